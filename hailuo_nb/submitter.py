"""Sending one submit: journaled before it leaves, shielded from interrupts while in flight.

:class:`Submitter` is the client's one path to a paid request (see :mod:`hailuo_nb.journal`):

- the store holds the submit (``submitting``) **before** the request leaves; a store that
  cannot be written stops it there, with nothing sent;
- a request refused for sure (a 4xx, a 429 to the end, a connection never made) deletes
  the row; an outcome that is unknown (a dropped connection, a garbled answer) keeps it
  as ``uncertain`` and raises :class:`~hailuo_nb.errors.SubmitUncertain` naming it;
- an interrupt (Ctrl-C, Interrupt Kernel, task cancellation) while the request waits to
  leave drops it (nothing paid); while it is in flight, the answer is awaited for up to
  ``shield_seconds`` and its job recorded before stopping
  (:class:`~hailuo_nb.errors.SubmitInterrupted` says which). An answer that comes later
  still, while the loop runs, is recorded too;
- the store write after the answer is retried; if it still fails the job is kept in
  memory and followed, and :class:`~hailuo_nb.errors.StoreError` names it.

Example (what the client does, inside a coroutine)::

    job = await submitter.send(prepared, wire, exclusive=True)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any

from .errors import (
    HailuoError,
    StoreError,
    SubmitInterrupted,
    SubmitUncertain,
)
from .http import Http
from .journal import Journal
from .models import Cost, Job
from .prepared import Prepared
from .providers import Adapter, HttpRequest, Submitted

__all__ = ["SHIELD_SECONDS", "Submitter", "store_reason"]

SHIELD_SECONDS = 15.0
"""How long an interrupt waits for the answer of a submit already in flight.

Example:
    >>> SHIELD_SECONDS
    15.0
"""
_STORE_ERRORS = (StoreError, sqlite3.Error, OSError)


def store_reason(exc: BaseException) -> str:
    """A store failure in a few words (``database is locked``, ``No space left on device``).

    Example:
        >>> store_reason(OSError(28, "No space left on device"))
        'No space left on device'
    """
    if isinstance(exc, StoreError):
        return exc.reason
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


@dataclasses.dataclass
class _Flight:
    """Where one submit is: ``sent`` once the request left (False again after a 429)."""

    ref: str
    sent: bool = False
    # When the request last left (after any wait for the request budget): the job's
    # submitted_at, from which its polls are scheduled.
    at: float | None = None


class Submitter:
    """Sends prepared requests for one client: journal, shield, record, start following.

    ``remember(job, fingerprint)`` keeps an accepted job in the client's memory (and
    ledger); ``start(job, wire)`` starts following it (``wire`` for a synchronous protocol,
    whose answer is the video). :meth:`save` is the client's store write for every change
    of a job: the first one turns the journal row into the job.

    Example: see the module.
    """

    def __init__(
        self,
        http: Http,
        adapter: Adapter,
        journal: Journal,
        *,
        base_url: str,
        key_id: str | None,
        remember: Callable[[Job, str | None], None],
        start: Callable[[Job, HttpRequest | None], None],
        shield_seconds: float = SHIELD_SECONDS,
    ) -> None:
        self.http = http
        self.adapter = adapter
        self.journal = journal
        self.base_url = base_url
        self.key_id = key_id
        self.remember = remember
        self.start = start
        self.shield_seconds = shield_seconds
        # Accepted jobs whose journal row still carries the local name (write pending).
        self.unwritten: dict[str, str] = {}
        # Told of a long wait before a submit can leave (a 429 whose reset is minutes away):
        # there is no job to show it on yet, so the front end says it (a cell, the CLI).
        self.notify: Callable[[str | None], None] | None = None
        self._late_tasks: set[asyncio.Future[None]] = set()  # strong refs until done

    def save(self, job: Job) -> None:
        """Write ``job``'s latest state: into its journal row first, then by its id.

        Raises ``sqlite3.Error`` / ``OSError`` when the store cannot be written.

        Example (inside the client)::

            submitter.save(job)
        """
        ref = self.unwritten.get(job.id)
        if ref is None:
            self.journal.store.save(job, base_url=self.base_url)
            if job.id.startswith("v1-") and job.done:
                self.journal.settled(job.id)  # the blocking call is over, however it ended
            return
        # Short waits for a lock here: the caller retries, and an answer must not wait long.
        self.journal.accepted(ref, job, timeout=min(5.0, self.journal.store.busy_timeout))
        self.unwritten.pop(job.id, None)

    async def send(
        self,
        prepared: Prepared,
        job: Job,
        wire: HttpRequest,
        *,
        exclusive: bool,
        adapter: Adapter | None = None,
    ) -> Job:
        """Journal, send and record one submit; the accepted job, already followed.

        ``job`` is the job-to-be (no id yet). With ``exclusive``, an identical request
        being sent or possibly paid raises :class:`~hailuo_nb.journal.Claimed` first.

        ``adapter`` parses the answer when the model speaks another protocol than the
        provider's own (MiniMax's H3).

        Example: see the module.
        """
        adapter = adapter or self.adapter
        job = dataclasses.replace(job, base_url=self.base_url)
        sync = adapter.synchronous
        ref = f"v1-{uuid.uuid4().hex}" if sync else None
        try:
            ref = self.journal.open(
                job,
                ref=ref,
                fingerprint=prepared.fingerprint,
                exclusive=exclusive,
                key_id=self.key_id,
                request=wire.json,
                estimate=prepared.estimate,
            )
        except _STORE_ERRORS as exc:
            raise StoreError(store_reason(exc), nothing_sent=True) from None
        if sync:
            # The answer is the video itself: the row stays "submitting" (in flight) for the
            # whole call, so a process that dies with it leaves an uncertain submit.
            accepted = dataclasses.replace(
                job, id=ref, status="processing", submitted_at=time.time()
            )
            self.remember(accepted, None)
            self.start(accepted, wire)
            return accepted
        flight = _Flight(ref)
        submitted_at = time.time()
        task = asyncio.ensure_future(
            self.http.call(
                wire,
                adapter.parse_submit,
                idempotent=False,
                sending=lambda sent: self._sending(flight, sent),
                notify=self.notify,
            )
        )
        try:
            answer = await asyncio.shield(task)
        except asyncio.CancelledError:
            return await self._interrupted(task, flight, prepared, job, submitted_at)
        except BaseException as exc:
            self._failed(flight, exc, job)
            raise
        return await self._accepted(flight, prepared, job, answer, flight.at or submitted_at)

    def _sending(self, flight: _Flight, sent: bool) -> None:
        flight.sent = sent
        # The row says "sent" before the bytes leave; failing to say it must not stop a
        # submit already journaled (the row reads as possibly sent either way).
        with contextlib.suppress(*_STORE_ERRORS):
            self.journal.sending(flight.ref, sent)
        if sent:
            flight.at = time.time()  # after the store write: when the bytes leave

    def _failed(self, flight: _Flight, exc: BaseException, job: Job) -> None:
        with contextlib.suppress(*_STORE_ERRORS):
            if isinstance(exc, SubmitUncertain):
                self.journal.uncertain(flight.ref, exc.cause)
            else:
                self.journal.discard(flight.ref)  # refused, or never sent: nothing to find
        if isinstance(exc, SubmitUncertain):
            exc.ref = flight.ref
            exc.args = (str(SubmitUncertain(exc.provider, exc.cause, ref=flight.ref)),)

    async def _accepted(
        self, flight: _Flight, prepared: Prepared, job: Job, answer: Submitted, at: float
    ) -> Job:
        job = dataclasses.replace(
            job,
            id=answer.job_id,
            status=answer.status,
            submitted_at=at,
            raw=answer.raw,
            queue_position=answer.queue_position if answer.status == "queued" else None,
        )
        if answer.cost_usd is not None:
            # Billed at submit (AI/ML's meta.usage): what was charged, not the estimate.
            job = dataclasses.replace(job, cost=Cost(answer.cost_usd, estimated=False))
        self.unwritten[job.id] = flight.ref
        self.remember(job, prepared.fingerprint)  # in memory first: never unnamed
        failure: BaseException | None = None
        for pause in (0.0, 0.5, 1.0, 2.0):
            await asyncio.sleep(pause)
            try:
                # Off the loop: a locked store waits here without freezing the other jobs.
                await asyncio.to_thread(self.save, job)
                failure = None
                break
            except _STORE_ERRORS as exc:
                failure = exc
        self.start(job, None)  # followed in memory whatever the store said
        if failure is not None:
            raise StoreError(store_reason(failure), job_id=job.id, provider=job.provider)
        return job

    async def _interrupted(
        self,
        task: asyncio.Future[Submitted],
        flight: _Flight,
        prepared: Prepared,
        job: Job,
        at: float,
    ) -> Job:
        provider = job.provider
        # Wait for the answer, bounded. A request that has not left (or that a 429 proved
        # was not taken) is simply dropped: nothing was paid.
        deadline = asyncio.get_running_loop().time() + self.shield_seconds
        while not task.done() and flight.sent:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await asyncio.wait({task}, timeout=min(left, 0.05))
        if not task.done() and not flight.sent:
            task.cancel()
            with contextlib.suppress(*_STORE_ERRORS):
                self.journal.discard(flight.ref)
            raise SubmitInterrupted(provider, sent=False) from None
        if not task.done():
            reason = (
                f"interrupted with the request in flight; no answer within"
                f" {self.shield_seconds:.0f} s"
            )
            with contextlib.suppress(*_STORE_ERRORS):
                self.journal.uncertain(flight.ref, reason)
            # The loop may live on (a notebook): a late answer is still recorded.
            task.add_done_callback(lambda t: self._late(t, flight, prepared, job, at))
            raise SubmitInterrupted(provider, sent=True, ref=flight.ref) from None
        exc = task.exception()
        if exc is not None:
            self._failed(flight, exc, job)
            if isinstance(exc, SubmitUncertain):
                raise SubmitInterrupted(provider, sent=True, ref=flight.ref) from exc
            raise SubmitInterrupted(provider, sent=False) from exc
        try:
            accepted = await self._accepted(flight, prepared, job, task.result(), at)
        except StoreError as store:
            accepted_id = store.job_id
        else:
            accepted_id = accepted.id
        raise SubmitInterrupted(provider, sent=True, job_id=accepted_id)

    def _late(
        self, task: asyncio.Future[Any], flight: _Flight, prepared: Prepared, job: Job, at: float
    ) -> None:
        if task.cancelled() or task.exception() is not None:
            return  # stays uncertain: reconciliation looks for it

        async def record() -> None:
            with contextlib.suppress(HailuoError):
                await self._accepted(flight, prepared, job, task.result(), at)

        late = asyncio.ensure_future(record())
        self._late_tasks.add(late)
        late.add_done_callback(self._late_tasks.discard)
