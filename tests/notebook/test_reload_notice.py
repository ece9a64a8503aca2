"""After a reload (issue 15, item 9): the next ``%hailuo`` says once which jobs lost their
live view.

A real kernel; a page reload is a new front-end session connecting to the same kernel,
which is what a second ``KernelClient`` with its own ``Session`` is.
"""

from __future__ import annotations

from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

from .test_kernel import kernel, run

__all__ = ["kernel"]  # the fixture, imported for pytest


def test_the_next_hailuo_after_a_reload_names_the_running_jobs_once(
    kernel: KernelManager,
) -> None:
    def page() -> Session:
        return Session(key=kernel.session.key, signature_scheme=kernel.session.signature_scheme)

    first, second = page(), page()
    run(kernel, "%load_ext hailuo_nb", page=first)
    run(kernel, "%%hailuo\na fox in a snow storm", page=first)
    run(kernel, "%%hailuo\nan owl at dusk", page=first)
    assert "still running" not in run(kernel, "%hailuo cost", page=first)  # same page: nothing

    # The page is reloaded while both run (~8 s each): its cells are empty now.
    said = run(kernel, "%hailuo history 2", page=second)
    assert "2 jobs of this session are still running or finished unseen: %hailuo wait" in said
    assert "still running" not in run(kernel, "%hailuo cost", page=second)  # once
    waited = run(kernel, "%hailuo wait", page=second)
    assert waited.count("completed") >= 2, waited
