"""Cancel, for real: a queued H3 task is cancelled and never charged; a running one goes on.

The emulator runs on real time here (``time_scale`` 1) and its clock is moved by hand, so
a task is queued or running exactly when the test says.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.errors import JobFailed
from hailuo_nb.providers.minimax_v2 import RUNNING_REFUSAL

from .conftest import advance_clock, requests_to, stats

DELETE = "DELETE /minimax/v2/video_generation/{task_id}"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(time_scale=1.0, preview=True, spread=0.0, seed=3)


async def test_cancel_a_queued_task(make_client: Callable[..., Client], emulator_url: str) -> None:
    async with make_client("minimax") as client:
        job = await client.submit("a fox", model="MiniMax-H3")
        assert client.get(job.id).status == "queued"  # type: ignore[union-attr]
        answer = await client.cancel(job)
        assert answer.accepted and answer.status == "cancelled"
        assert "not charged" in answer.message
        final = client.get(job.id)
        assert final is not None and final.status == "cancelled" and final.done
        assert final.charge is None  # nothing counts toward spending
        with pytest.raises(JobFailed, match="cancelled"):
            await client.wait(job)
        again = await client.cancel(job)  # already final: no second request
        assert not again.accepted and "already cancelled" in again.message
    assert requests_to(emulator_url, DELETE) == {"200": 1}
    seen = stats(emulator_url)
    assert seen["jobs"][job.id]["status"] == "cancelled" and not seen["jobs"][job.id]["charged"]
    async with make_client("minimax") as client:  # another process reads it from the store
        stored = client.get(job.id)
    assert stored is not None and stored.status == "cancelled"


async def test_a_running_task_cannot_be_cancelled(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("minimax") as client:
        job = await client.submit("a fox", model="MiniMax-H3")
        advance_clock(emulator_url, 30)  # 78 s job: queued for ~12 s, then running
        answer = await client.cancel(job)
        assert not answer.accepted and answer.message == RUNNING_REFUSAL
        assert answer.message.startswith("MiniMax cannot cancel a running task")
        advance_clock(emulator_url, 120)
        done = await asyncio.wait_for(client.wait(job), 30)
    assert done.status == "completed" and done.video_path
    assert requests_to(emulator_url, DELETE) == {"400": 1}
    assert stats(emulator_url)["jobs"][job.id]["charged"]


async def test_providers_that_cannot_cancel_say_so_without_a_request(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("minimax") as client:
        job = await client.submit("a fox")  # Hailuo 2.3 on MiniMax V1: no cancel
        answer = await client.cancel(job)
    assert not answer.accepted and answer.message == "MiniMax cannot cancel a job once submitted"
    assert not any(route.startswith("DELETE") for route in stats(emulator_url)["requests"])
