"""Noticing a reloaded notebook page that lost the live views of running jobs.

A browser reload while a job runs leaves its cell empty: the kernel goes on, the job too,
but the page that showed its live view is gone (normal Jupyter). The kernel sees it as
a new front-end session in the messages it receives. So each job is noted with the page
(front-end session) of the cell after which it first appeared, and each page with when it
last ran a cell; the first ``%hailuo`` command or cell of a new page then says, once, how
many jobs of this session an earlier page left running or finished after it last ran.

Example:
    >>> from hailuo_nb.models import Job
    >>> class Seen:  # what the watch reads of a session: its tracked jobs
    ...     def __init__(self, jobs): self.jobs = jobs
    ...     def tracked(self): return [type("T", (), {"job": j})() for j in self.jobs]
    >>> watch = PageWatch()
    >>> jobs = Seen([Job(id="a", provider="p", model="m", status="processing"),
    ...              Job(id="b", provider="p", model="m", status="queued")])
    >>> watch.after_cell(jobs, "page-1", now=10.0)
    >>> watch.notice(jobs, "page-1") is None, watch.notice(jobs, "page-2")
    (True, '2 jobs of this session are still running or finished unseen: %hailuo wait')
    >>> watch.notice(jobs, "page-2") is None  # said once
    True
"""

from __future__ import annotations

import time
from typing import Any, Protocol

__all__ = ["PageWatch", "page_of"]


class _Tracks(Protocol):
    def tracked(self) -> list[Any]: ...


def page_of(shell: Any) -> str | None:
    """The front-end session of the message being run (a new one after a page reload).

    None outside a kernel (terminal IPython has no pages to reload).

    Example:
        >>> page_of(None) is None
        True
    """
    header = getattr(shell, "parent_header", None)
    if not isinstance(header, dict):
        return None
    session = (header.get("header") or {}).get("session")
    return str(session) if session else None


class PageWatch:
    """Which page showed each job, when each page last ran a cell, what was said.

    Example: see the module.
    """

    def __init__(self) -> None:
        self._page_of: dict[str, str] = {}
        self._last_seen: dict[str, float] = {}
        self._told: set[str] = set()

    def after_cell(self, session: _Tracks, page: str | None, now: float | None = None) -> None:
        """After a cell of ``page``: it is alive now, and new jobs are the ones it shows.

        Example: see the module.
        """
        if page is None:
            return
        self._last_seen[page] = time.time() if now is None else now
        for tracked in session.tracked():
            if tracked.job.id:
                self._page_of.setdefault(tracked.job.id, page)

    def notice(self, session: _Tracks, page: str | None) -> str | None:
        """The line to say once on a new ``page``, or None.

        A job counts when an earlier page showed it and it is still running, or it
        ended after that page last ran a cell (its final output may never have been seen).

        Example: see the module.
        """
        if page is None or page in self._told:
            return None
        self._told.add(page)
        unseen = 0
        for tracked in session.tracked():
            job = tracked.job
            shown_on = self._page_of.get(job.id)
            if shown_on is None or shown_on == page:
                continue
            ended = job.finished_at or 0.0
            if not job.done or ended > self._last_seen.get(shown_on, 0.0):
                unseen += 1
        if not unseen:
            return None
        jobs = "1 job of this session is" if unseen == 1 else f"{unseen} jobs of this session are"
        return f"{jobs} still running or finished unseen: %hailuo wait"
