"""How a ``Job`` shows itself when a cell evaluates it (``fox`` after ``%%hailuo -o fox``).

A finished job shows as its video (or its reason), a running one as its live state on one
line; the text form is ``Job.__repr__``'s short line. Registered on the shell's display
formatter when its session is made, so the core's ``Job`` stays free of notebook code.

Example (in IPython)::

    %%hailuo -o fox
    a red fox
    # later, in a cell of its own:
    fox
"""

from __future__ import annotations

from typing import Any

from .. import display as d
from ..models import Job
from .session import Session

__all__ = ["job_html", "register"]


def register(shell: Any, session: Session) -> None:
    """Show every ``Job`` a cell evaluates as HTML, through ``session``.

    Example (what :func:`~hailuo_nb.notebook.registry.session_for` does)::

        register(shell, session)
    """
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if formatters and "text/html" in formatters:
        formatters["text/html"].for_type(Job, lambda job: job_html(session, job))


def job_html(session: Session, job: Job) -> str:
    """The job's video or reason when it is done, else its live state, as HTML (escaped).

    Example:
        >>> from hailuo_nb.notebook.config import Hailuo
        >>> html = job_html(Session(Hailuo()), Job(id="a", provider="p", model="m",
        ...                 status="processing", params={"prompt": "<b>"}))
        >>> "processing" in html and "&lt;b&gt;" in html
        True
    """
    if job.done:
        return str(session.final_bundle(job)["text/html"])
    f = d.figures(job)
    return (
        f'<div class="{d.NO_MATH}">{d.live_label_html(f)} {d.live_info_html(f)}'
        f"{d.live_details_html(f)}</div>"
    )
