"""The quickstart says that re-running reuses and how to watch a job live (issue 15, item 10).

After the headless quickstart, every cell opened in Lab shows its earlier video within a
second. Its first cell says so, and both ways it gives to see a fresh job live work.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from .conftest import RecordingPublisher, shell

__all__ = ["shell"]  # the fixture, imported for pytest

ROOT = Path(__file__).resolve().parents[2]
Shell = tuple[InteractiveShell, RecordingPublisher]
PROMPT = "a red fox running through fresh snow, golden hour, slow motion\n"


def first_cell() -> str:
    nb = json.loads((ROOT / "notebooks" / "quickstart.ipynb").read_text())
    return "".join(nb["cells"][0]["source"])


def test_the_first_cell_says_reruns_reuse_and_how_to_ask_for_fresh_samples() -> None:
    text = first_cell()
    assert "never paid twice" in text and "reused job" in text
    assert "%%hailuo --new -o fox" in text and '%config Hailuo.reuse = "never"' in text


def test_both_ways_send_a_fresh_job_with_a_live_view(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    sh, rec = shell
    run = sh.run_cell_magic
    run("hailuo", "-o fox --wait", PROMPT)
    first = sh.user_ns["fox"]
    run("hailuo", "-o fox --wait", PROMPT)  # as a re-run: shown again
    assert sh.user_ns["fox"].id == first.id
    assert "reused job" in capsys.readouterr().out

    for how in ("--new", "config"):
        shown = len(rec.messages)
        if how == "config":
            sh.run_line_magic("config", 'Hailuo.reuse = "never"')
            run("hailuo", "-o fox --wait", PROMPT)
        else:
            run("hailuo", "--new -o fox --wait", PROMPT)
        fresh = sh.user_ns["fox"]
        assert fresh.id != first.id and fresh.status == "completed"
        live = [m for m in rec.messages[shown:] if "hailuo job" in m["data"].get("text/plain", "")]
        assert any("processing" in m["data"]["text/plain"] or "queued" in m["data"]["text/plain"]
                   for m in live), live
        assert "reused job" not in capsys.readouterr().out
