"""Interrupt Kernel, or a dead kernel, at each moment of a ``%%hailuo`` submit; then Run All.

The emulator runs as a server that outlives the kernels, as a real provider would. Its
``slow`` fault holds the submit's answer after it accepted the job (the request is in
flight); a ``429`` holds the request before it is taken. After each interruption the same
cell runs again, and the emulator's own count says how many jobs were paid for: one.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from jupyter_client.manager import KernelManager

from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread

from ..client.conftest import set_faults, stats
from ..notebook.test_kernel import run
from .test_kernel_kill import start as start_kernel

KEY = "SG_interrupt_0123456789"
CELL = "%%hailuo -o fox\na fox crossing a frozen river"


@pytest.fixture
def server() -> Iterator[str]:
    config = EmulatorConfig(time_scale=200.0, preview=True, slow_seconds=4.0)
    with serve_in_thread(create_app(config)) as base:
        yield base


@pytest.fixture
def kernel(server: str, tmp_path: Path) -> Iterator[KernelManager]:
    km = start(server, tmp_path)
    try:
        yield km
    finally:
        km.shutdown_kernel(now=True)


def start(base: str, cwd: Path) -> KernelManager:
    km = start_kernel(base, cwd, KEY)
    run(km, "%load_ext hailuo_nb")
    return km


def accepted(base: str) -> int:
    return int(stats(base)["submissions"]["total"])


@pytest.mark.slow
def test_interrupt_in_flight_keeps_the_job_and_run_all_pays_nothing(
    server: str, kernel: KernelManager
) -> None:
    set_faults(server, {"endpoint": "segmind.submit", "kind": "slow", "times": 1})
    shown = run(kernel, CELL, interrupt_after=1.5)  # accepted, answer held for 4 s
    found = re.search(r"interrupted after segmind accepted job (\w+); it is saved:", shown)
    assert found, shown
    assert f"%hailuo resume {found.group(1)}" in shown and "Traceback" not in shown
    again = run(kernel, CELL)  # Run All again
    assert found.group(1) in again and ("reused" in again or "attached" in again), again
    assert found.group(1) in run(kernel, "%hailuo history")
    assert accepted(server) == 1
    assert KEY not in shown + again


@pytest.mark.slow
def test_interrupt_before_sending_pays_nothing(server: str, kernel: KernelManager) -> None:
    # A reset 5 s ahead (not a minute): the cell run after the interrupt rightly waits
    # for the pause the server named, and a minute of it made this the slowest test.
    fault = {"endpoint": "segmind.submit", "kind": "429", "times": 50, "reset_s": 5.0}
    set_faults(server, fault)
    shown = run(kernel, CELL, interrupt_after=1.5)  # refused (429): waiting for the reset
    assert "interrupted before the request was sent to segmind: nothing was paid" in shown
    assert "Traceback" not in shown
    assert "no jobs yet" in run(kernel, "%hailuo history")
    set_faults(server)
    run(kernel, CELL + "\n")
    run(kernel, "%hailuo wait")
    assert accepted(server) == 1


@pytest.mark.slow
def test_kernel_dies_in_flight_then_run_all_pays_nothing_and_reconcile_finds_it(
    server: str, tmp_path: Path
) -> None:
    set_faults(server, {"endpoint": "segmind.submit", "kind": "slow", "times": 1})
    first = start(server, tmp_path)
    try:
        kc = first.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.execute(CELL)
        deadline = time.time() + 10
        while accepted(server) == 0 and time.time() < deadline:
            time.sleep(0.05)
        os.kill(first.provisioner.pid, signal.SIGKILL)  # type: ignore[union-attr]
        kc.stop_channels()
    finally:
        first.shutdown_kernel(now=True)
    httpx.get(f"{server}/__emulator__/stats").raise_for_status()

    second = start(server, tmp_path)
    try:
        again = run(second, CELL)  # Run All in a new kernel
        assert "may already have been accepted and billed by segmind" in again, again
        assert "%hailuo reconcile" in again
        history = run(second, "%hailuo history")
        assert "uncertain" in history, history
        time.sleep(4.0)  # the held answer is long gone; the job is in Segmind's history
        found = run(second, "%hailuo reconcile\n%hailuo wait")
        assert "found, it is job" in found, found
        job_id = re.search(r"it is job (\w+)", found)
        assert job_id and job_id.group(1) in run(second, "%hailuo history")
    finally:
        second.shutdown_kernel(now=True)
    assert accepted(server) == 1
