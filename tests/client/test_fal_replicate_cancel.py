"""Cancel and queue position on fal and Replicate: the adapters' requests sent by hand.

The generic ``Client.cancel`` is written elsewhere against the same ``Cancellable``
protocol; here each adapter's ``cancel_request`` goes to the emulator through a plain httpx
client, its answer is parsed by ``parse_cancel``, and the client that follows the job must
then see what the provider did: a queued job cancelled and unpaid, a running one (fal) run
on and billed, its video saved.

The emulator runs slowly enough here (one worker per key, about a second a job) for jobs to be
seen queued and running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from hailuo_nb import display
from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.errors import JobFailed
from hailuo_nb.models import Job
from hailuo_nb.providers import CancelAnswer, Cancellable

from .conftest import one_worker, set_faults, stats, until


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return one_worker()


async def cancel(client: Client, job: Job) -> CancelAnswer:
    adapter = client.adapter_for(job)
    assert isinstance(adapter, Cancellable)
    wire = adapter.cancel_request(job.id)
    async with httpx.AsyncClient() as http:
        response = await http.request(wire.method, wire.url, headers=wire.headers)
    return adapter.parse_cancel(job.id, response)


@pytest.mark.parametrize("provider", ["fal", "replicate"])
async def test_cancelling_a_queued_job_stops_it_unpaid(
    make_client: Callable[..., Client], emulator_url: str, provider: str
) -> None:
    async with make_client(provider) as client:
        first = await client.submit("a fox in snow")
        second = await client.submit("an owl at dusk")
        answer = await cancel(client, second)
        assert answer.accepted and "not billed" in answer.message
        with pytest.raises(JobFailed):
            await client.wait(second)
        done = await client.wait(first)
    cancelled = client.get(second.id)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert cancelled.charge is None and client.spending()["actual_usd"] == 0.0
    assert done.status == "completed"
    jobs = stats(emulator_url)["jobs"]
    assert jobs[second.id]["charged"] is False and jobs[first.id]["charged"] is True


async def test_fal_running_job_runs_on_and_its_video_is_kept(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("fal") as client:
        job = await client.submit("a fox in snow")
        await until(client, job, "processing")
        answer = await cancel(client, job)
        # fal passes the signal to the app, which cannot stop MiniMax: it finishes.
        assert answer.accepted and "billed" in answer.message
        done = await client.wait(job)
        late = await cancel(client, done)
    assert done.status == "completed" and done.video_path
    assert not late.accepted and "already completed" in late.message
    assert stats(emulator_url)["jobs"][job.id]["charged"] is True


async def test_replicate_cancels_a_running_prediction(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("replicate") as client:
        job = await client.submit("a fox in snow")
        await until(client, job, "processing")
        answer = await cancel(client, job)
        assert answer.accepted and answer.status == "cancelled" and "running" in answer.message
        with pytest.raises(JobFailed):
            await client.wait(job)
        again = await cancel(client, job)
    assert again.accepted and again.status == "cancelled"  # an ended one answers unchanged
    assert client.get(job.id) is not None and client.get(job.id).status == "cancelled"  # type: ignore[union-attr]


@pytest.mark.parametrize("provider", ["fal", "replicate"])
async def test_cancel_race_never_loses_paid_work(
    make_client: Callable[..., Client], emulator_url: str, provider: str
) -> None:
    # The job leaves the queue just before the cancel lands: fal lets it run on (billed),
    # Replicate cancels it but bills it. Either way the client reports what happened.
    set_faults(emulator_url, {"endpoint": f"{provider}.cancel", "kind": "cancel_race"})
    async with make_client(provider) as client:
        first = await client.submit("a fox in snow")
        second = await client.submit("an owl at dusk")
        answer = await cancel(client, second)
        assert answer.accepted
        try:
            final = await client.wait(second)
        except JobFailed:
            final = client.get(second.id)  # type: ignore[assignment]
        await client.wait(first)
    assert final is not None
    charged = stats(emulator_url)["jobs"][second.id]["charged"]
    assert charged is True
    if provider == "fal":
        assert final.status == "completed" and final.video_path
    else:
        assert final.status == "cancelled"


async def test_fal_queue_position_reaches_the_live_view(
    make_client: Callable[..., Client],
) -> None:
    # A key of its own: the emulator queues per key, and jobs other tests left running on
    # the shared key would stand in this queue too (seen: "queued, 3 ahead").
    async with make_client("fal", api_key="test-key-fal-queue-position-0123") as client:
        jobs = [await client.submit(f"fox number {n}") for n in range(4)]
        # The submit answer says it already: at least the two queued before it (jobs that
        # other tests left on the shared server may stand in the app's queue too).
        first = jobs[3].queue_position
        assert first is not None and first >= 2
        seen: list[str] = []
        positions: list[int] = []
        async for snapshot in client.updates(jobs[3]):
            seen.append(display.figures(snapshot)["state"])
            if snapshot.queue_position is not None:
                positions.append(snapshot.queue_position)
            if snapshot.done:
                break
        await asyncio.gather(*(client.wait(j) for j in jobs[:3]))
    # One runs; the two queued before it are ahead (fal counts the queue, not the runner).
    assert f"queued, {positions[0]} ahead" in seen and positions == sorted(positions, reverse=True)
    assert positions[0] <= first
    assert seen[-1] == "completed"
    assert client.get(jobs[3].id).queue_position is None  # type: ignore[union-attr]
    text = display.live_text(Job(id="x", provider="fal", model="m", queue_position=2))
    assert "queued, 2 ahead" in text
