"""A real kernel: Interrupt Kernel during ``--wait`` loses nothing, and a restarted kernel
finds the job in the store and finishes it (``%hailuo history`` / ``%hailuo resume``).

The emulator runs as a server here, as a real provider would: it outlives the kernel."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread

KEY = "SG_0123456789abcdef"


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[KernelManager]:
    # ~8 s for hailuo-2.3: long enough to interrupt the wait, short enough for CI.
    app = create_app(EmulatorConfig(time_scale=20.0, preview=True, seed=11))
    with serve_in_thread(app) as base:
        env = {k: v for k, v in os.environ.items() if k not in ("AIMLAPI_KEY", "MINIMAX_API_KEY")}
        env.update(
            HAILUO_PROVIDER="segmind",
            HAILUO_BASE_URL=f"{base}/segmind",
            SEGMIND_API_KEY=KEY,
            HAILUO_RPM="600",
        )
        km = KernelManager(kernel_name="python3")
        km.start_kernel(cwd=str(tmp_path), env=env)
        try:
            yield km
        finally:
            km.shutdown_kernel(now=True)


def run(
    km: KernelManager,
    code: str,
    *,
    interrupt_after: float | None = None,
    page: Session | None = None,
) -> str:
    """Execute ``code``; return the text the cell showed (stream, display, error).

    ``page``: the front-end session it runs from (a reloaded page is a new one).
    """
    kc = km.client() if page is None else km.client(session=page)
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        msg_id = kc.execute(code)
        if interrupt_after is not None:
            time.sleep(interrupt_after)
            km.interrupt_kernel()
        texts: list[str] = []
        while True:
            msg: dict[str, Any] = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                texts.append(content["text"])
            elif kind in ("display_data", "execute_result", "update_display_data"):
                texts.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                texts.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                return "\n".join(texts)
    finally:
        kc.stop_channels()


def test_interrupt_then_restart_and_resume(kernel: KernelManager, tmp_path: Path) -> None:
    run(kernel, "%load_ext hailuo_nb")
    shown = run(kernel, "%%hailuo --wait -o fox\na fox in a snow storm", interrupt_after=2.5)
    assert "Stopped waiting" in shown, shown
    assert "KeyboardInterrupt" not in shown and "Traceback" not in shown
    job_id = re.search(r"\b([0-9a-f]{32})\b", shown)
    assert job_id, f"the job id is not shown: {shown}"

    # The kernel dies; a new one finds the job in the store and fetches its video.
    kernel.restart_kernel(now=True)
    run(kernel, "%load_ext hailuo_nb")
    assert job_id.group(1) in run(kernel, "%hailuo history")
    resumed = run(kernel, f"%hailuo resume {job_id.group(1)}\n%hailuo wait")
    assert f"{job_id.group(1)} completed" in resumed, resumed
    assert KEY not in shown + resumed
    videos = list((tmp_path / "hailuo_outputs").glob(f"{job_id.group(1)}_*.mp4"))
    assert videos and videos[0].stat().st_size > 1000
