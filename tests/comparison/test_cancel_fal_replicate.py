"""Cancel on fal and Replicate from a notebook: ``%hailuo cancel`` and a grid tile's button.

A real shell, the served emulator slowed to one job at a time per key (so a second job
waits in the queue), providers found through ``FAL_BASE_URL`` / ``REPLICATE_BASE_URL``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from IPython.core.interactiveshell import InteractiveShell

import hailuo_nb
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.notebook.registry import session_for
from tests.notebook.conftest import RecordingPublisher, shell  # noqa: F401 - fixture

Shell = tuple[InteractiveShell, RecordingPublisher]
SECRETS = {"FAL_KEY": "fal-SECRET-0123456789", "REPLICATE_API_TOKEN": "r8_SECRET_0123456789"}


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(time_scale=60.0, preview=True, seed=7, workers_per_key=1, spread=0.0)


@pytest.fixture
def slow(
    shell: Shell,  # noqa: F811 - the fixture imported above
    emulator_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[InteractiveShell, RecordingPublisher, str]]:
    sh, rec = shell
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FAL_BASE_URL", f"{emulator_url}/fal")
    monkeypatch.setenv("REPLICATE_BASE_URL", f"{emulator_url}/replicate")
    sh.run_line_magic("config", 'Hailuo.provider = "fal"')
    sh.run_line_magic("config", "Hailuo.poll_min_interval = 0.02")
    sh.run_line_magic("config", "Hailuo.poll_max_interval = 0.1")
    sh.run_line_magic("config", "Hailuo.requests_per_minute = 6000.0")
    yield sh, rec, emulator_url
    for name in ("first", "second"):
        sh.user_ns.pop(name, None)


def charged(base: str, job_id: str) -> bool:
    return bool(httpx.get(f"{base}/__emulator__/stats").json()["jobs"][job_id]["charged"])


def test_hailuo_cancel_a_queued_fal_job(
    slow: tuple[InteractiveShell, RecordingPublisher, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sh, rec, base = slow
    sh.run_cell_magic("hailuo", "--provider fal -o first", "a fox in snow\n")
    sh.run_cell_magic("hailuo", "--provider fal -o second", "an owl at dusk\n")
    second = sh.user_ns["second"]
    sh.run_line_magic("hailuo", "cancel second")
    said = capsys.readouterr().out.strip().splitlines()
    assert said[-1] == f"{second.id}: cancelled: fal: cancelled before it started; not charged"
    sh.run_line_magic("hailuo", "wait second")
    assert sh.user_ns["second"].status == "cancelled" and not charged(base, second.id)
    sh.run_line_magic("hailuo", "wait first")
    assert sh.user_ns["first"].status == "completed" and charged(base, sh.user_ns["first"].id)
    assert not any(s in repr(rec.bundles()) for s in SECRETS.values())


@pytest.mark.parametrize("provider", ["fal", "replicate"])
def test_a_queued_grid_tile_offers_cancel_and_says_the_answer(
    slow: tuple[InteractiveShell, RecordingPublisher, str], provider: str
) -> None:
    sh, _, base = slow
    sh.run_line_magic("config", 'Hailuo.progress = "widget"')
    cmp = hailuo_nb.compare(["a red fox", "an owl at dusk"], providers=[provider])
    tiles = cmp.board.tiles  # type: ignore[attr-defined]
    queued = tiles[1]
    limit = time.time() + 10
    while queued.job.status == "submitting" and time.time() < limit:
        time.sleep(0.02)  # the grid sends in the background
    queued.draw(time.time())
    assert queued.job.status == "queued" and queued.cancel_button.layout.display != "none"
    queued.cancel_button.click()
    note = queued.action_note.value
    assert "\n" not in note and f"{queued.job.id}: cancelled: {provider}: cancelled before" in note
    cmp.wait(timeout=60)
    session_for(sh).wait()
    assert [j.status for j in cmp.jobs] == ["completed", "cancelled"]
    assert queued.cancel_button.layout.display == "none"
    assert not charged(base, cmp.jobs[1].id)
