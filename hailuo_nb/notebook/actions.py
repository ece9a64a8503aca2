"""What a user does to a job of the session: cancel it, make it again at 2K.

Shared by ``%hailuo cancel`` / ``%hailuo upscale`` and the tiles' buttons. A job is named
by its id or by the variable that holds it (``-o NAME``); one found only in the job store
(another kernel's, a restart) works too.

Example:
    >>> from hailuo_nb.notebook.config import Hailuo
    >>> from hailuo_nb.notebook.session import Session
    >>> cancel_line(Session(Hailuo(provider="emulator")), "nope")
    Traceback (most recent call last):
    ...
    hailuo_nb.errors.ValidationError: job: no job 'nope' in this session or the job store
"""

from __future__ import annotations

from typing import Any

from ..errors import ValidationError
from ..models import Job
from .session import Session, Tracked

__all__ = ["cancel_line", "find_job", "upscale"]


def find_job(session: Session, ref: str) -> Job:
    """The job ``ref`` names: this session's (by id or variable), else the store's.

    Example: see the module.
    """
    tracked = session.find(ref)
    if tracked is not None:
        return tracked.job
    stored = session.client(None).get(ref)
    if stored is None:
        raise ValidationError("job", f"no job {ref!r} in this session or the job store")
    return stored


def cancel_line(session: Session, ref: str) -> str:
    """Ask the provider to cancel the job; one line saying what it answered.

    A refusal (MiniMax cannot cancel a running task) is said, not raised.

    Example: see the module.
    """
    job = find_job(session, ref)
    client = session.client(job.provider)
    answer = session.runner.wait(session.runner.submit(client.cancel(job)))
    verb = "cancelled" if answer.accepted else "not cancelled"
    return f"{job.id}: {verb}: {answer.message}"


def upscale(session: Session, ref: str, **show: Any) -> Tracked:
    """Make a finished 768P H3 job again at 2K: priced, budget-checked, sent, shown.

    ``show`` goes to :meth:`Session.send` (``view``, ``name``, ``embed``). An identical
    earlier 2K job is shown again instead of paying twice (``Hailuo.reuse``).

    Example (needs a finished 768P H3 job)::

        upscale(session, "fox", name="fox_2k")
    """
    job = find_job(session, ref)
    client = session.client(job.provider)
    prepared = client.prepare_2k(job)
    return session.send(client, prepared, **show)
