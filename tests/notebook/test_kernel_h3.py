"""A real kernel: Interrupt Kernel on a ``--wait`` H3 cell offers to cancel the queued job,
and ``%hailuo cancel`` then cancels it, unpaid (the emulator as a server, on real time)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from jupyter_client.manager import KernelManager

from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread

from .test_kernel import run

KEY = "sk-api-0123456789abcdef"


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[tuple[KernelManager, str]]:
    # Real time: an H3 768P task waits ~12 s in the queue, then runs ~66 s.
    app = create_app(EmulatorConfig(time_scale=1.0, preview=True, seed=5))
    with serve_in_thread(app) as base:
        env = {k: v for k, v in os.environ.items() if k not in ("AIMLAPI_KEY", "SEGMIND_API_KEY")}
        env.update(
            HAILUO_PROVIDER="minimax",
            HAILUO_BASE_URL=f"{base}/minimax",
            MINIMAX_API_KEY=KEY,
            HAILUO_RPM="600",
        )
        km = KernelManager(kernel_name="python3")
        km.start_kernel(cwd=str(tmp_path), env=env)
        try:
            yield km, base
        finally:
            km.shutdown_kernel(now=True)


@pytest.mark.slow
def test_interrupt_offers_cancel_and_cancel_costs_nothing(
    kernel: tuple[KernelManager, str],
) -> None:
    km, base = kernel
    run(km, "%load_ext hailuo_nb")
    shown = run(km, "%%hailuo -m MiniMax-H3 --wait -o fox\na fox in a snow storm",
                interrupt_after=2.5)
    assert "Stopped waiting" in shown and "Traceback" not in shown, shown
    assert "Still queued, so not charged yet: fox; %hailuo cancel fox cancels it." in shown
    said = run(km, "%hailuo cancel fox")
    assert "cancelled: cancelled before it started; not charged" in said, said
    assert KEY not in shown + said
    jobs = httpx.get(f"{base}/__emulator__/stats").json()["jobs"]
    assert [j["status"] for j in jobs.values()] == ["cancelled"]
    assert not any(j["charged"] for j in jobs.values())
