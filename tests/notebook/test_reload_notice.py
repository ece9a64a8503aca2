"""After a reload (issue 15, item 9): the next ``%hailuo`` says once which jobs lost their
live view.

A real kernel; a page reload is a new front-end session connecting to the same kernel,
which is what a second ``KernelClient`` with its own ``Session`` is.
"""

from __future__ import annotations

from typing import Any

from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

from .test_kernel import kernel

__all__ = ["kernel"]  # the fixture, imported for pytest


def run(km: KernelManager, code: str, page: Session) -> str:
    """Execute ``code`` from the page whose front-end session is ``page``; its text."""
    kc = km.client(session=page)
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        msg_id = kc.execute(code)
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


def test_the_next_hailuo_after_a_reload_names_the_running_jobs_once(
    kernel: KernelManager,
) -> None:
    def page() -> Session:
        return Session(key=kernel.session.key, signature_scheme=kernel.session.signature_scheme)

    first, second = page(), page()
    run(kernel, "%load_ext hailuo_nb", first)
    run(kernel, "%%hailuo\na fox in a snow storm", first)
    run(kernel, "%%hailuo\nan owl at dusk", first)
    assert "still running" not in run(kernel, "%hailuo cost", first)  # same page: nothing

    # The page is reloaded while both run (~8 s each): its cells are empty now.
    said = run(kernel, "%hailuo history 2", second)
    assert "2 jobs of this session are still running or finished unseen: %hailuo wait" in said
    assert "still running" not in run(kernel, "%hailuo cost", second)  # once
    waited = run(kernel, "%hailuo wait", second)
    assert waited.count("completed") >= 2, waited
