"""The write-ahead journal: a submit is in the job store before its request leaves.

Between the POST and the store write anything can happen (Ctrl-C, a dropped connection,
a dead kernel, a full disk), and a job the provider accepted must never be lost or paid
for twice. So every submit goes through a row of the store:

1. :meth:`Journal.open` writes it (status ``submitting``, a local name ``submit-…``, the
   request's fingerprint, provider, server, the key's fingerprint, the wire payload for
   matching, the time) before anything is sent; with ``exclusive`` it first checks, in the
   same transaction, that no identical request is being sent or may have been paid;
2. :meth:`Journal.sending` marks the moment the request leaves (and when a 429 proves
   it was not taken);
3. :meth:`Journal.accepted` turns the row into the provider's job when the answer comes;
   :meth:`Journal.uncertain` keeps it as ``uncertain`` when the outcome is unknown;
   :meth:`Journal.discard` deletes it when the request provably never left.

A row left ``submitting`` by a process that died reads as ``uncertain`` (it had been sent)
or is ignored (it had not); see :func:`hailuo_nb.store.alive`.

Example:
    >>> import tempfile, pathlib
    >>> from hailuo_nb.store import JobStore
    >>> journal = Journal(JobStore(pathlib.Path(tempfile.mkdtemp()) / "jobs.sqlite3"))
    >>> ref = journal.open(Job(id="", provider="segmind", model="hailuo-2.3"),
    ...                    fingerprint="f", exclusive=True)
    >>> journal.sending(ref, True)
    >>> journal.uncertain(ref, "connection dropped")
    >>> journal.store.get(ref).status
    'uncertain'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import time
import uuid
from typing import Any

from .models import Cost, Job
from .store import COLUMNS, IN_FLIGHT, OWNER, JobStore, find_seq, read_row, write

__all__ = ["Claimed", "Journal", "match_form"]

_LONG = 300  # longer strings (data URLs) are kept as a digest: small rows, same matching


class Claimed(Exception):
    """An identical request is being sent (``live``) or may have been paid (``job``).

    Not a :class:`~hailuo_nb.errors.HailuoError`: the ledger decides what the user sees.

    Example:
        >>> Claimed(Job(id="submit-1", provider="p", model="m"), live=True).live
        True
    """

    def __init__(self, job: Job, *, live: bool) -> None:
        super().__init__(job.id)
        self.job = job
        self.live = live


def match_form(payload: dict[str, Any]) -> dict[str, Any]:
    """The wire payload as kept for reconciliation: long strings become ``sha256:…``.

    Example:
        >>> match_form({"prompt": "a fox", "image": "data:" + "A" * 400})["image"][:7]
        'sha256:'
    """

    def small(value: Any) -> Any:
        if isinstance(value, str) and len(value) > _LONG:
            return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
        if isinstance(value, dict):
            return {k: small(v) for k, v in value.items()}
        if isinstance(value, list):
            return [small(v) for v in value]
        return value

    return {str(k): small(v) for k, v in payload.items()}


class Journal:
    """The submit rows of one job store.

    Example: see the module.
    """

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def open(
        self,
        job: Job,
        *,
        fingerprint: str | None,
        exclusive: bool,
        ref: str | None = None,
        key_id: str | None = None,
        request: dict[str, Any] | None = None,
        estimate: Cost | None = None,
    ) -> str:
        """Write the ``submitting`` row; return its name (``ref``, else ``submit-…``).

        With ``exclusive``, raise :class:`Claimed` instead when a row of the same
        fingerprint is being sent by a live process or may have been paid (``uncertain``).

        Example: see the module.
        """
        ref = ref or f"submit-{uuid.uuid4().hex[:12]}"
        now = time.time()
        with self.store.connect() as conn:
            if exclusive and fingerprint:
                _check_claims(conn, fingerprint, now)
            conn.execute(
                "INSERT INTO jobs (id, provider, base_url, model, params, status, updated_at,"
                " key_id, sent, owner, request) VALUES (?, ?, ?, ?, '{}', 'submitting', ?,"
                " ?, 0, ?, ?)",
                (
                    ref,
                    job.provider,
                    job.base_url or "",
                    job.model,
                    now,
                    key_id,
                    OWNER,
                    None if request is None else json.dumps(match_form(request), default=str),
                ),
            )
            seq = int(conn.execute("SELECT last_insert_rowid()").fetchone()[0])
            pending = dataclasses.replace(
                job, id=ref, status="submitting", submitted_at=job.submitted_at or now
            )
            write(
                conn,
                seq,
                pending,
                base_url=job.base_url or "",
                estimate=estimate,
                fingerprint=fingerprint,
            )
            conn.execute("UPDATE jobs SET sent = 0 WHERE seq = ?", (seq,))
        IN_FLIGHT.add(ref)
        return ref

    def settled(self, ref: str) -> None:
        """This process is done with the submit ``ref`` (whatever its row now says).

        Example:
            >>> Journal(None).settled("submit-x")  # type: ignore[arg-type]
        """
        IN_FLIGHT.discard(ref)

    def sending(self, ref: str, sent: bool) -> None:
        """Mark that the request left (``True``), or was provably not taken (``False``).

        Example: see the module.
        """
        with self.store.connect() as conn:
            conn.execute(
                "UPDATE jobs SET sent = ?, updated_at = ? WHERE id = ? AND status = 'submitting'",
                (int(sent), time.time(), ref),
            )

    def accepted(self, ref: str, job: Job, *, timeout: float | None = None) -> None:
        """The provider answered with ``job``: the row becomes that job.

        Raises ``sqlite3.Error`` or ``OSError`` when the store cannot be written (the
        caller retries, and keeps the job in memory if it still fails).

        Example: see the module.
        """
        with self.store.connect(timeout=timeout) as conn:
            seq = find_seq(conn, job.provider, job.base_url or "", ref)
            if seq is not None:
                write(conn, seq, job, base_url=job.base_url or "")
        if seq is None:  # someone dismissed it meanwhile: the answer wins
            self.store.save(job)
        self.settled(ref)

    def uncertain(self, ref: str, reason: str) -> None:
        """The outcome is unknown: the row stays, as ``uncertain``, with the reason.

        Example: see the module.
        """
        self.settled(ref)  # first: a row left "submitting" then reads as uncertain anyway
        with self.store.connect() as conn:
            conn.execute(
                "UPDATE jobs SET status = 'uncertain', error = ?, sent = 1, updated_at = ?"
                " WHERE id = ? AND status = 'submitting'",
                (reason, time.time(), ref),
            )

    def discard(self, ref: str) -> None:
        """The request provably never left (refused connection, interrupt before sending).

        Example:
            >>> import tempfile, pathlib
            >>> j = Journal(JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3"))
            >>> ref = j.open(Job(id="", provider="p", model="m"), fingerprint=None,
            ...              exclusive=False)
            >>> j.discard(ref); j.store.get(ref) is None
            True
        """
        self.settled(ref)  # first: even if the row cannot be deleted, it is not in flight
        with self.store.connect() as conn:
            conn.execute("DELETE FROM jobs WHERE id = ? AND status = 'submitting'", (ref,))

    def unresolved(self, provider: str | None = None) -> list[tuple[Job, dict[str, Any]]]:
        """Submits whose outcome is unknown, oldest first, each with its wire payload.

        Example:
            >>> import tempfile, pathlib
            >>> Journal(JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")).unresolved()
            []
        """
        with self.store.connect() as conn:
            rows = conn.execute(
                f"SELECT {COLUMNS}, request FROM jobs WHERE status IN"
                " ('uncertain', 'submitting') AND sent = 1 ORDER BY seq"
            ).fetchall()
        now, out = time.time(), []
        for row in rows:
            job = read_row(row[:-1], now)
            # A live process still sending it is not unresolved (yet).
            if job.status == "uncertain" and provider in (None, job.provider):
                out.append((job, json.loads(row[-1] or "{}")))
        return out

    def resolve(self, ref: str, job: Job) -> None:
        """Reconciliation found the provider's job for the uncertain submit ``ref``.

        Example: see :meth:`Client.reconcile <hailuo_nb.client.Client.reconcile>`.
        """
        with self.store.connect() as conn:
            row = conn.execute(
                # A dead process's row still says "submitting" (it reads as uncertain).
                "SELECT seq, fingerprint FROM jobs WHERE id = ? AND status IN"
                " ('uncertain', 'submitting') AND sent = 1 ORDER BY seq DESC LIMIT 1",
                (ref,),
            ).fetchone()
            if row is None:
                return
            write(conn, int(row[0]), job, base_url=job.base_url or "", fingerprint=row[1])

    def dismiss(self, ref: str, reason: str) -> bool:
        """The uncertain submit ``ref`` was not accepted (looked up, or the user says so).

        It becomes ``failed`` with ``reason``: it costs nothing and no longer stops an
        identical request. False when there is no such uncertain submit.

        Example:
            >>> import tempfile, pathlib
            >>> Journal(JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")).dismiss(
            ...     "submit-x", "not found")
            False
        """
        with self.store.connect() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET status = 'failed', error = ?, updated_at = ?, finished_at = ?"
                " WHERE id = ? AND status IN ('uncertain', 'submitting') AND sent = 1",
                (reason, time.time(), time.time(), ref),
            )
            return cursor.rowcount > 0


def _check_claims(conn: sqlite3.Connection, fingerprint: str, now: float) -> None:
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM jobs WHERE fingerprint = ? AND status IN"
        " ('submitting', 'uncertain') ORDER BY seq DESC",
        (fingerprint,),
    ).fetchall()
    for row in rows:
        job = read_row(row, now)
        if job.status == "submitting":
            raise Claimed(job, live=True)
        if job.status == "uncertain":
            raise Claimed(job, live=False)
        # A dead process's claim that never left: not a job. Clear it away.
        conn.execute("DELETE FROM jobs WHERE seq = ?", (row[0],))
