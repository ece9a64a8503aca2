"""Progress is honest about queueing (issue 15, item 4).

More jobs than the emulator's workers for one key: the last one waits in line for the
others. What a live view would show of it (``display.figures`` and ``live_text`` of every
snapshot the client yields, and of ticks between them) never counts the wait as progress
and never promises an end that cannot be that close.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from hailuo_nb import display
from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.models import Job


async def test_a_queued_job_shows_its_wait_not_progress_and_its_estimate_starts_with_the_run(
    tmp_path: Path,
) -> None:
    # hailuo-2.3's 141 s over 60: about 2.4 s a job; one worker, so the third waits ~5 s.
    config = EmulatorConfig(time_scale=60.0, preview=True, seed=7, workers_per_key=1, spread=0.0)
    seen: list[tuple[float, Job]] = []
    async with Client(
        "emulator", output_dir=tmp_path / "out", store_path=tmp_path / "s.db",
        emulator_config=config,
    ) as client:
        jobs = [await client.submit(f"a fox, take {n}", model="hailuo-2.3") for n in range(3)]
        last = jobs[-1]
        latest = {"job": last}

        async def follow() -> None:
            async for snap in client.updates(last):
                latest["job"] = snap

        async def tick() -> None:  # what a view draws between polls, four times a second
            while not latest["job"].done:
                seen.append((time.time(), latest["job"]))
                await asyncio.sleep(0.25)

        await asyncio.gather(follow(), tick(), *(client.wait(j) for j in jobs[:2]))
        final = await client.wait(last)

    assert final.status == "completed" and final.started_at is not None
    waited = final.started_at - (final.submitted_at or 0.0)
    assert waited > 2.0, "the third job waited for the two before it"
    queued = [(t, j) for t, j in seen if j.status == "queued"]
    running = [(t, j) for t, j in seen if j.status == "processing"]
    assert queued and running
    for t, j in queued:
        f = display.figures(j, now=t)
        assert f["value"] == 0.0 and f["left"] == "position unknown"
        line = display.live_text(j, now=t)
        assert "left" not in line and "position unknown" in line
    # The first look at it running: its whole run is still ahead, not "~1 s left".
    t0, first = running[0]
    assert first.remaining(t0) is not None
    assert first.remaining(t0) > 0.5 * ((final.finished_at or 0.0) - t0)
    assert display.figures(first, now=t0)["value"] < 0.9  # not the 95 % of a wait in line
    assert display.figures(first, now=t0)["waited"].startswith("queued ")
    assert "any moment" not in display.figures(first, now=t0)["left"]
