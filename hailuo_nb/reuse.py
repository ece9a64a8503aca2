"""The job ledger: an identical request is answered with the job already made, not paid twice.

Re-running a notebook sends the same requests again. With ``reuse="always"`` (the
notebook's default; scripts and the CLI pay unless asked), ``Client.submit`` first looks
for a job made from the same :func:`~hailuo_nb.fingerprint.fingerprint`:

1. one of this client's own jobs: still running (attach to it), or completed with its
   video on disk (or being downloaded right now);
2. else the newest such job in the job store (another kernel, an earlier run): completed
   **and its video file still exists**, or still running at a server that can still be
   asked about it.

Failed and expired jobs are never reused (``new=True`` asks for a fresh sample on purpose).
An identical request whose earlier submit is in the journal (:mod:`hailuo_nb.journal`) is
not sent: one being sent by another process right now is waited for (then reused); one
whose outcome is unknown (``uncertain``) raises :class:`~hailuo_nb.errors.PossiblyPaid`
until it is reconciled.
A running job of the in-process emulator, or a Segmind v1 job, from another process cannot
be followed (its server, or its one open answer, died with that process): it is not reused,
rather than waiting on it forever. A *completed* in-process emulator job whose file exists
is reused across kernels like any other.

Example:
    >>> import tempfile, pathlib
    >>> from hailuo_nb.store import JobStore
    >>> store = JobStore(pathlib.Path(tempfile.mkdtemp()) / "jobs.sqlite3")
    >>> ledger = Ledger(store, {})
    >>> ledger.find("0" * 64) is None
    True
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from .errors import PossiblyPaid
from .hosts import PROVIDERS, host
from .journal import Claimed
from .models import Job
from .store import JobStore

__all__ = ["CLAIM_WAIT", "REUSE_MODES", "Ledger", "attachable"]

CLAIM_WAIT = 30.0
"""Seconds to wait for another process's identical submit to get its answer.

Example:
    >>> CLAIM_WAIT
    30.0
"""

REUSE_MODES = ("always", "never")
"""The client's ``reuse`` setting (the notebook adds ``"ask"``, answered by the magic).

Example:
    >>> "always" in REUSE_MODES
    True
"""

_RUNNING = ("submitting", "queued", "processing")


def attachable(job: Job, own: Mapping[str, Job]) -> bool:
    """Whether a running job can be followed from this client.

    This client's own jobs can; so can a job at a real server (its id means something
    there). A job of the in-process emulator, or a Segmind v1 job, made by another
    process cannot: its server (or its one open answer) is gone.

    Example:
        >>> j = Job(id="x", provider="emulator", model="hailuo-2.3", status="processing")
        >>> attachable(j, {}), attachable(j, {"x": j})
        (False, True)
        >>> attachable(Job(id="y", provider="segmind", model="hailuo-2.3"), {})
        True
    """
    if job.id in own:
        return True
    in_process = job.provider in PROVIDERS and host(job.provider).in_process
    return not in_process and not job.id.startswith("v1-")


class Ledger:
    """Fingerprints of one client's jobs, and the search for a reusable one.

    ``own`` is the client's live jobs by id (shared, not copied); ``following(id)`` says
    whether the client is still working on a job (e.g. downloading its video).

    Example:
        >>> import tempfile, pathlib, time
        >>> from hailuo_nb.store import JobStore
        >>> store = JobStore(pathlib.Path(tempfile.mkdtemp()) / "jobs.sqlite3")
        >>> job = Job(id="a", provider="segmind", model="hailuo-2.3", status="queued",
        ...           submitted_at=time.time())
        >>> ledger = Ledger(store, {"a": job})
        >>> ledger.note("a", "f" * 64)
        >>> ledger.find("f" * 64).id
        'a'
    """

    def __init__(
        self,
        store: JobStore,
        own: Mapping[str, Job],
        following: Callable[[str], bool] | None = None,
    ) -> None:
        self.store = store
        self.own = own
        self.following = following or (lambda job_id: False)
        self._fingerprints: dict[str, str] = {}
        self._sending: dict[str, asyncio.Future[Job]] = {}  # fingerprint -> being sent

    async def once(self, fingerprint: str, send: Callable[[], Awaitable[Job]]) -> tuple[Job, bool]:
        """Send a request unless a job can stand in for it: ``(job, reused)``.

        The one place that decides, for ``reuse="always"``: an identical request being sent
        right now (``run_many``, a grid) shares that send's outcome (its error too); else
        :meth:`find`'s job stands in; else ``send()`` pays for a new one.

        Example (inside a coroutine)::

            job, reused = await ledger.once(prepared.fingerprint, send)
        """
        while (pending := self._sending.get(fingerprint)) is not None:
            await asyncio.wait({pending})
            if not pending.cancelled():  # a sender that gave up before knowing: look again
                return pending.result(), True
        found = self.find(fingerprint)
        if found is not None:
            return found, True
        sending: asyncio.Future[Job] = asyncio.get_running_loop().create_future()
        self._sending[fingerprint] = sending
        reused = False
        try:
            try:
                job = await send()
            except Claimed as claim:
                job, reused = await self._after_claim(fingerprint, claim, send)
        except Exception as exc:
            sending.set_exception(exc)
            sending.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        except BaseException:
            sending.cancel()
            raise
        else:
            sending.set_result(job)
            return job, reused
        finally:
            del self._sending[fingerprint]

    async def _after_claim(
        self, fingerprint: str, claim: Claimed, send: Callable[[], Awaitable[Job]]
    ) -> tuple[Job, bool]:
        # Another submit of this very request is in the journal. Being sent by a live
        # process: wait for its answer, then reuse its job. Unknown outcome: refuse.
        deadline = time.monotonic() + CLAIM_WAIT
        while claim.live and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            found = self.store.find_reusable(fingerprint, attachable=self._attachable)
            if found is not None:
                return found, True
            row = self.store.get(claim.job.id)
            if row is None:  # it never left, or was refused: this one may go
                try:
                    return await send(), False
                except Claimed as again:
                    claim = again
            elif row.status != "submitting":
                claim = Claimed(row, live=False)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(claim.job.submitted_at or 0))
        raise PossiblyPaid(claim.job.id, claim.job.provider, when)

    def note(self, job_id: str, fingerprint: str) -> None:
        """Remember which request made one of this client's jobs.

        Example:
            >>> Ledger(None, {}).note("a", "f" * 64)  # type: ignore[arg-type]
        """
        self._fingerprints[job_id] = fingerprint

    def find(self, fingerprint: str) -> Job | None:
        """The job that can stand in for a new request with this fingerprint, or None.

        Example:
            >>> import tempfile, pathlib
            >>> from hailuo_nb.store import JobStore
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.save(Job(id="f", provider="p", model="m", status="failed"), fingerprint="x")
            >>> Ledger(s, {}).find("x") is None
            True
        """
        # A snapshot: a notebook asks from the kernel's thread while the client's loop
        # records new jobs on the runner's (copying a dict is one step under the GIL).
        noted = tuple(self._fingerprints.items())
        own = dict(self.own)
        mine = [own[job_id] for job_id, fp in noted if fp == fingerprint and job_id in own]
        mine.sort(key=lambda j: j.submitted_at or 0.0, reverse=True)
        for job in mine:
            if job.status in _RUNNING:
                return job
            if job.status == "completed" and (
                _saved(job)
                or (self.following(job.id) and not job.error)
                or (not job.video_path and job.video_url)  # not saved yet: fetch, not pay
            ):
                return job
        return self.store.find_reusable(fingerprint, attachable=self._attachable)

    def _attachable(self, job: Job) -> bool:
        return attachable(job, self.own)


def _saved(job: Job) -> bool:
    return bool(job.video_path) and Path(str(job.video_path)).is_file()
