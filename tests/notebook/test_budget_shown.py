"""The request budget, visible (issue 14): ``%hailuo config`` says each provider's rate and
whether it is learnt, and a job waiting for the budget says so in the live view, the
comparison tile (both drawn from ``display.figures``) and the CLI's progress line.
"""

from __future__ import annotations

import asyncio
import html
import io
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb import display
from hailuo_nb.cli import _show_progress
from hailuo_nb.models import Job
from hailuo_nb.ratelimit import Limits
from hailuo_nb.ratestate import SharedBook

from .conftest import RecordingPublisher

Shell = tuple[InteractiveShell, RecordingPublisher]
NOTE = "waiting for Segmind's request budget, ~5/min"


def test_config_shows_each_providers_request_budget(shell: Shell, tmp_path: Path) -> None:
    sh, rec = shell
    state = tmp_path / "budget.sqlite3"
    # Another process learnt Segmind's rate for its key on this machine.
    book = SharedBook(state, ("segmind", "https://api.segmind.com", "k-1234"), Limits(50.0))
    asyncio.run(book.apply(lambda b: setattr(b, "rate", 5.0)))
    sh.run_line_magic("config", f'Hailuo.budget_state = "{state}"')
    sh.run_cell_magic("hailuo", "--wait", "a fox")  # this session's emulator client
    sh.run_line_magic("hailuo", "config")
    text = rec.bundles()[-1]["text/plain"]
    assert "emulator request budget: ~600/min, learnt, this process only" in text
    assert f"segmind request budget: ~5/min, learnt, in {state} (https://api.segmind.com)" in text
    assert "request budget" in rec.bundles()[-1]["text/html"]
    with sqlite3.connect(state) as conn:  # a fingerprint of the key, never the key
        assert conn.execute("SELECT key_id FROM budgets").fetchall() == [("k-1234",)]


def test_a_waiting_job_says_so_where_its_figures_are_drawn() -> None:
    job = Job(
        id="a",
        provider="segmind",
        model="hailuo-2.3",
        status="processing",
        submitted_at=time.time() - 10,
        expected_seconds=157.0,
        note=NOTE,
    )
    assert display.figures(job)["error"] == NOTE  # the live view's and the tile's line
    assert NOTE in display.live_text(job)  # the text view, the comparison grid's text twin
    assert html.escape(NOTE) in display.live_info_html(display.figures(job))


def test_the_cli_progress_line_shows_the_note() -> None:
    start = Job(id="abc", provider="segmind", model="hailuo-2.3", status="queued")
    steps = [
        start,
        Job(**{**start.__dict__, "note": NOTE}),
        Job(**{**start.__dict__, "status": "processing"}),
    ]

    class Fake:
        async def updates(self, job: Job) -> AsyncIterator[Job]:
            for step in steps:
                yield step

    err = io.StringIO()
    asyncio.run(_show_progress(Fake(), start, err))  # type: ignore[arg-type]
    lines = err.getvalue().splitlines()
    assert len(lines) == 3 and lines[1].endswith(f" · {NOTE}")
    assert NOTE not in lines[2]
