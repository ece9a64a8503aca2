"""The client against the emulator's Segmind protocol over a real socket, with faults."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from PIL import Image

from hailuo_nb.client import Client
from hailuo_nb.errors import JobFailed, NetworkError, SubmitUncertain

from .conftest import requests_to, set_faults, stats


def probe(path: str) -> tuple[int, float]:
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.width, frames / float(stream.average_rate or 24)


async def test_generate_saves_a_playable_mp4_and_records_the_job(
    segmind: Client, emulator_url: str
) -> None:
    job = await segmind.generate("a red fox running through snow", duration=6)
    assert job.status == "completed" and job.error is None
    assert job.video_path and os.path.exists(job.video_path)
    assert Path(job.video_path).parent == segmind.settings.output_dir.resolve()
    assert "a-red-fox" in Path(job.video_path).name and job.id in Path(job.video_path).name
    width, seconds = probe(job.video_path)
    assert width > 0 and abs(seconds - 6) < 0.2
    assert job.cost is not None and not job.cost.estimated  # Segmind reports metrics.cost
    assert job.submitted_at and job.finished_at and job.finished_at >= job.submitted_at
    stored = segmind.store.get(job.id)
    assert stored is not None and stored.status == "completed"
    assert stored.video_path == job.video_path
    assert stats(emulator_url)["submissions"]["total"] == 1
    # No leftover temporary file next to the video.
    assert [p.name for p in Path(job.video_path).parent.glob("*.part")] == []


async def test_updates_yield_each_status_once_in_order(segmind: Client) -> None:
    job = await segmind.submit("a lighthouse at dusk")
    seen = [s.status async for s in segmind.updates(job)]
    assert seen[-1] == "completed"
    order = ["queued", "processing", "completed"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)


async def test_job_is_in_the_store_before_its_first_poll(
    segmind: Client, emulator_url: str
) -> None:
    job = await segmind.submit("a heron in the rain")
    assert segmind.store.get(job.id) is not None
    assert requests_to(emulator_url, "GET /segmind/v2/requests/{request_id}/status") == {}
    await segmind.wait(job)


async def test_429_on_submit_is_retried_and_submitted_once(
    segmind: Client, emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "429", "times": 2})
    job = await segmind.generate("a fox")
    assert job.status == "completed"
    assert requests_to(emulator_url, "POST /segmind/v2/{slug}") == {"429": 2, "200": 1}
    assert stats(emulator_url)["submissions"]["total"] == 1


async def test_502_html_and_dropped_connections_while_polling(
    segmind: Client, emulator_url: str
) -> None:
    set_faults(
        emulator_url,
        {"endpoint": "segmind.status", "kind": "502", "times": 2},
        {"endpoint": "segmind.status", "kind": "drop", "times": 1},
        {"endpoint": "segmind.result", "kind": "drop", "times": 1},
        {"endpoint": "files", "kind": "502", "times": 1},
    )
    job = await segmind.generate("a fox in the snow")
    assert job.status == "completed" and job.video_path
    injected = stats(emulator_url)["faults_injected"]
    assert injected["segmind.status:502"] == 2 and injected["segmind.status:drop"] == 1
    assert injected["files:502"] == 1
    assert stats(emulator_url)["submissions"]["total"] == 1


async def test_one_status_poll_in_three_fails_yet_every_job_completes(
    segmind: Client, emulator_url: str
) -> None:
    # The scenario where the vendor's SDK gave up on 5 paid jobs out of 5.
    set_faults(emulator_url, {"endpoint": "segmind.status", "kind": "502", "rate": 0.33})
    jobs = await segmind.run_many([{"prompt": f"scene {n}"} for n in range(5)], concurrency=5)
    assert [j.status for j in jobs] == ["completed"] * 5
    assert stats(emulator_url)["submissions"]["total"] == 5


async def test_a_poll_whose_retries_all_fail_does_not_end_the_job(
    segmind: Client, emulator_url: str
) -> None:
    # More 502s in a row than one poll's attempts (6 with fast_retry): the job must still be
    # followed to the end at the next scheduled polls, never left "queued".
    set_faults(emulator_url, {"endpoint": "segmind.status", "kind": "502", "times": 9})
    job = await segmind.wait(await segmind.submit("a fox through an outage"))
    assert job.status == "completed" and job.video_path
    assert requests_to(emulator_url, "GET /segmind/v2/requests/{request_id}/status")["502"] == 9
    assert stats(emulator_url)["submissions"]["total"] == 1


async def test_drop_after_acceptance_is_not_resubmitted(segmind: Client, emulator_url: str) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "drop_after", "times": 1})
    with pytest.raises(SubmitUncertain, match="NOT resubmitted"):
        await segmind.submit("a fox")
    assert stats(emulator_url)["submissions"]["total"] == 1
    assert requests_to(emulator_url, "POST /segmind/v2/{slug}") == {"0": 1}


async def test_500_on_submit_is_not_resubmitted(segmind: Client, emulator_url: str) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "500", "times": 1})
    with pytest.raises(SubmitUncertain):
        await segmind.submit("a fox")
    assert sum(requests_to(emulator_url, "POST /segmind/v2/{slug}").values()) == 1


async def test_failed_job_raises_with_the_servers_reason(
    segmind: Client, emulator_url: str
) -> None:
    job = await segmind.submit("a [[block]] fox")
    with pytest.raises(JobFailed, match="sensitive") as info:
        await segmind.wait(job)
    assert info.value.job_id == job.id
    stored = segmind.get(job.id)
    assert stored is not None and stored.status == "failed" and "sensitive" in (stored.error or "")
    assert requests_to(emulator_url, "GET /segmind/v2/requests/{request_id}/status").get("422")


async def test_resume_after_restart_finishes_and_downloads(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("segmind") as first:
        job = await first.submit("a fox")
    async with make_client("segmind") as second:
        done = await second.resume(job.id)
    assert done.status == "completed" and done.video_path and os.path.exists(done.video_path)
    assert stats(emulator_url)["submissions"]["total"] == 1


async def test_local_first_frame_goes_through_upload_asset(
    segmind: Client, emulator_url: str, tmp_path: Path
) -> None:
    image = tmp_path / "frame.png"
    Image.new("RGB", (640, 360), (200, 80, 40)).save(image)
    job = await segmind.generate(
        "the scene comes alive", model="hailuo-2.3-fast", first_frame=image
    )
    assert job.status == "completed"
    assert job.params["first_frame"] == str(image)
    assert requests_to(emulator_url, "POST /segmind/upload-asset") == {"200": 1}


async def test_run_many_keeps_each_failure_to_its_job(segmind: Client) -> None:
    jobs = await segmind.run_many(
        [{"prompt": "a fox"}, {"prompt": "a [[block]] fox"}, {"prompt": "x", "duration": 7}],
        concurrency=2,
    )
    assert [j.status for j in jobs] == ["completed", "failed", "failed"]
    assert jobs[2].id == "unsent-2" and "duration" in (jobs[2].error or "")


async def test_v1_streams_the_video(make_client: Callable[..., Client], emulator_url: str) -> None:
    async with make_client("segmind", segmind_api="v1") as client:
        job = await client.generate("a fox")
    assert job.status == "completed" and job.video_path and os.path.getsize(job.video_path) > 0
    assert job.cost is not None and not job.cost.estimated


async def test_unreachable_server_is_a_network_error(
    make_client: Callable[..., Client],
) -> None:
    async with make_client("segmind", base_url="http://127.0.0.1:9/segmind") as client:
        with pytest.raises(NetworkError, match="cannot connect"):
            await client.submit("a fox")
