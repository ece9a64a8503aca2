"""A kernel killed (SIGKILL, no clean-up at all) while its job runs loses nothing.

The job is submitted in the background from one kernel, which is then killed outright;
a brand-new kernel finds the job with ``%hailuo history`` and ``%hailuo resume`` fetches
its video. The emulator runs as a server that outlives both kernels, as a real provider
would, and its statistics show the job was submitted once.
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

from ..notebook.test_kernel import run

KEY = "SG_killtest_0123456789"


@pytest.fixture
def server() -> Iterator[str]:
    # ~8 s for hailuo-2.3: the kernel is killed well before the job ends.
    with serve_in_thread(create_app(EmulatorConfig(time_scale=20.0, preview=True))) as base:
        yield base


def start(base: str, cwd: Path, key: str = KEY) -> KernelManager:
    """A kernel whose hailuo settings point at the emulator ``base`` as Segmind."""
    env = {k: v for k, v in os.environ.items() if k not in ("AIMLAPI_KEY", "MINIMAX_API_KEY")}
    env.update(
        HAILUO_PROVIDER="segmind",
        HAILUO_BASE_URL=f"{base}/segmind",
        SEGMIND_API_KEY=key,
        HAILUO_RPM="600",
    )
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(cwd), env=env)
    return km


@pytest.mark.slow
def test_killed_kernel_then_new_kernel_finds_and_finishes_the_job(
    server: str, tmp_path: Path
) -> None:
    first = start(server, tmp_path)
    try:
        run(first, "%load_ext hailuo_nb")
        run(first, "%%hailuo -o fox\na fox crossing a frozen river")
        shown = run(first, "print('JOB', fox.id, fox.status)")
        found = re.search(r"JOB ([0-9a-f]{32}) (\w+)", shown)
        assert found, shown
        job_id, status = found.groups()
        assert status in ("queued", "processing")
        pid = first.provisioner.pid  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)  # no atexit, no finally, no clean close of the store
        deadline = time.time() + 10
        while first.is_alive() and time.time() < deadline:
            time.sleep(0.05)
        assert not first.is_alive()
    finally:
        first.shutdown_kernel(now=True)

    second = start(server, tmp_path)
    try:
        run(second, "%load_ext hailuo_nb")
        history = run(second, "%hailuo history")
        assert job_id in history, history
        resumed = run(second, f"%hailuo resume {job_id}\n%hailuo wait")
        assert f"{job_id} completed" in resumed, resumed
    finally:
        second.shutdown_kernel(now=True)
    assert KEY not in shown + history + resumed
    videos = list((tmp_path / "hailuo_outputs").glob(f"{job_id}_*.mp4"))
    assert videos and videos[0].stat().st_size > 1000
    stats = httpx.get(f"{server}/__emulator__/stats").json()
    assert stats["submissions"]["total"] == 1
