"""``await client.cancel(job)`` on fal and Replicate: the generic cancel, the emulator's answer.

fal says "cancellation requested" to a queued and a running job alike; the client reads
the status once to tell the user which happened, in one line. Replicate answers the
prediction itself. Two jobs on one worker per key: the second waits in the queue.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.errors import JobFailed

from .conftest import one_worker, requests_to, stats, until


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return one_worker()


@pytest.mark.parametrize("provider", ["fal", "replicate"])
async def test_a_queued_job_is_cancelled_unpaid(
    make_client: Callable[..., Client], emulator_url: str, provider: str
) -> None:
    async with make_client(provider) as client:
        first = await client.submit("a fox in snow")
        second = await client.submit("an owl at dusk")
        answer = await client.cancel(second)
        assert answer.accepted and answer.status == "cancelled"
        assert "\n" not in answer.message and "not" in answer.message
        assert answer.message.startswith("fal: cancelled before it started; not charged") or (
            answer.message == "replicate: cancelled before it started (not billed)"
        )
        mine = client.get(second.id)
        assert mine is not None and mine.status == "cancelled" and mine.charge is None
        with pytest.raises(JobFailed, match="cancelled"):
            await client.wait(second)
        again = await client.cancel(second)  # final: refused without a request
        assert not again.accepted and "already cancelled" in again.message
        await client.wait(first)
    jobs = stats(emulator_url)["jobs"]
    assert jobs[second.id]["charged"] is False and jobs[first.id]["charged"] is True
    assert client.spending()["actual_usd"] == 0.0 or provider == "replicate"


async def test_fal_running_job_says_it_runs_on_and_is_billed(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("fal") as client:
        job = await client.submit("a fox in snow")
        await until(client, job, "processing")
        answer = await client.cancel(job)
        assert not answer.accepted and answer.status == "processing"
        assert answer.message == "fal: the job had already started; it runs on and will be billed"
        done = await client.wait(job)
    assert done.status == "completed" and done.video_path
    assert stats(emulator_url)["jobs"][job.id]["charged"] is True
    cancels = [r for r in stats(emulator_url)["requests"] if r.startswith("PUT")]
    assert len(cancels) == 1 and sum(requests_to(emulator_url, cancels[0]).values()) == 1


async def test_replicate_cancels_a_running_prediction(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("replicate") as client:
        job = await client.submit("a fox in snow")
        await until(client, job, "processing")
        answer = await client.cancel(job)
        assert answer.accepted and answer.status == "cancelled"
        assert answer.message == (
            "replicate: cancelled while running (Replicate may bill the time it ran)"
        )
        with pytest.raises(JobFailed, match="cancelled"):
            await client.wait(job)
    final = client.get(job.id)
    assert final is not None and final.status == "cancelled"
