"""The runner: a private loop in a thread, blocking waits, interrupts that lose nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest

from hailuo_nb.errors import StoppedWaiting
from hailuo_nb.models import Job
from hailuo_nb.progress import PrintView, ProgressHub
from hailuo_nb.runner import Runner


def test_submit_and_wait_return_results_and_errors() -> None:
    runner = Runner()
    try:
        assert runner.wait(runner.submit(asyncio.sleep(0.01, "ok"))) == "ok"

        async def boom() -> None:
            raise ValueError("bad")

        with pytest.raises(ValueError, match="bad"):
            runner.wait(runner.submit(boom()))
        with pytest.raises(TimeoutError):
            runner.wait(runner.submit(asyncio.sleep(5)), timeout=0.2)
    finally:
        runner.close()


def test_interrupt_stops_the_waiting_not_the_work() -> None:
    runner = Runner()
    done = threading.Event()

    async def work() -> str:
        await asyncio.sleep(0.6)
        done.set()
        return "finished"

    future = runner.submit(work())
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(StoppedWaiting):
            runner.wait(future)
        assert not future.done()
        assert runner.wait(future, timeout=5) == "finished" and done.is_set()
    finally:
        timer.cancel()
        runner.close()


def test_one_shared_resource_per_key_closed_on_close() -> None:
    runner = Runner()
    closed: list[str] = []

    async def make() -> dict[str, str]:
        return {"loop": str(id(asyncio.get_running_loop()))}

    async def close(value: dict[str, str]) -> None:
        closed.append(value["loop"])

    a = runner.resource("k", make, close)
    assert runner.resource("k", make, close) is a
    assert runner.resource("other", make, close) is not a
    runner.close()
    assert len(closed) == 2


def test_tasks_run_in_a_fresh_context() -> None:
    # ipykernel 7 parents our output to the *current* cell only if the task does not carry
    # the submitting cell's context (see hailuo_nb.runner).
    import contextvars

    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker")
    marker.set("cell-1")
    runner = Runner()

    async def read() -> str:
        return marker.get("unset")

    try:
        assert runner.wait(runner.submit(read())) == "unset"
    finally:
        runner.close()


class CountingView(PrintView):
    def __init__(self, job: Job) -> None:
        super().__init__(job, lambda _line: None)
        self.draws = 0

    def draw(self, now: float) -> None:
        self.draws += 1


def test_the_hub_caps_updates_for_many_jobs() -> None:
    runner = Runner()
    hub = ProgressHub(runner, per_view_hz=4, max_updates_per_second=20)
    views = [CountingView(Job(id=str(i), provider="p", model="m")) for i in range(16)]
    try:
        for view in views:
            hub.add(view)
        time.sleep(1.5)
        for view in views:
            hub.remove(view)
        total = sum(v.draws for v in views)
        assert total <= 20 * 1.5 + 16  # the shared cap (plus one tick in flight)
        assert all(v.draws >= 1 for v in views)
        one = CountingView(Job(id="x", provider="p", model="m"))
        hub.add(one)
        time.sleep(1.0)
        hub.remove(one)
        assert 3 <= one.draws <= 5  # a lone job ticks about 4 times a second
    finally:
        runner.close()
