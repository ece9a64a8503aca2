"""The job store: one SQLite file (WAL), so a job outlives the kernel that made it.

A submit is written **before its request leaves** (the write-ahead journal,
:mod:`hailuo_nb.journal`), and the provider's id is filled in when the answer arrives, so
an interrupt, a crash or a kernel restart never loses a job that may have been paid for:
``resume(id)`` finishes it, from this process or another one, and ``reconcile`` looks for
a submit whose answer was lost. The API key is never written, only a short fingerprint
of it (:func:`key_id`), so a job is resumed with the key that made it.

A job is known by **(provider, base_url, id)**: two servers may hand out the same id, and
a server that repeats an id gets a second row rather than overwriting the first. Each
row also keeps its request's fingerprint, so an identical request can be answered with
the job already made (:meth:`JobStore.find_reusable`, see :mod:`hailuo_nb.reuse`).

Each call opens its own short-lived connection: safe from any thread or process, and
WAL lets a reader (``hailuo history`` in a terminal) look while a notebook writes.

Example:
    >>> import tempfile, pathlib
    >>> store = JobStore(pathlib.Path(tempfile.mkdtemp()) / "jobs.sqlite3")
    >>> store.save(Job(id="r1", provider="emulator", model="hailuo-2.3",
    ...                params={"prompt": "a fox"}, submitted_at=1.0))
    >>> store.get("r1").prompt, [j.id for j in store.history()]
    ('a fox', ['r1'])
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import StoreError
from .models import STATUSES, UNPAID_STATUSES, Cost, Job

__all__ = [
    "COLUMNS",
    "IN_FLIGHT",
    "OWNER",
    "RUNNING_MAX_AGE",
    "STALE_AFTER",
    "JobStore",
    "alive",
    "find_seq",
    "key_id",
    "read_row",
    "write",
]

_VERSION = 2
_TABLE = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    provider TEXT NOT NULL,
    base_url TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    video_url TEXT,
    video_path TEXT,
    cost_usd REAL,
    cost_estimated INTEGER,
    estimate_usd REAL,
    submitted_at REAL,
    started_at REAL,
    finished_at REAL,
    expected_seconds REAL,
    updated_at REAL NOT NULL,
    fingerprint TEXT,
    key_id TEXT,
    sent INTEGER NOT NULL DEFAULT 1,
    owner TEXT,
    request TEXT
);
"""
_INDEXES = """
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs (id, provider, base_url);
CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs (submitted_at);
CREATE INDEX IF NOT EXISTS jobs_by_model ON jobs (provider, model, base_url, status);
CREATE INDEX IF NOT EXISTS jobs_by_fingerprint ON jobs (fingerprint, submitted_at);
"""
# The columns a Job is read from, in read_row's order.
COLUMNS = (
    "seq, id, provider, model, base_url, params, status, error, video_url, video_path,"
    " cost_usd, cost_estimated, estimate_usd, submitted_at, started_at, finished_at,"
    " expected_seconds, updated_at, sent, owner"
)
_V1_COLUMNS = (
    "id, provider, model, base_url, params, status, error, video_url, video_path, cost_usd,"
    " cost_estimated, estimate_usd, submitted_at, started_at, finished_at, expected_seconds,"
    " updated_at, fingerprint"
)
_RUNNING = ("queued", "processing")
RUNNING_MAX_AGE = 3600.0
"""Seconds after submission past which a job still "running" in the store is not reused.

Its follower most likely died with a kernel, and Segmind forgets jobs after an hour.

Example:
    >>> RUNNING_MAX_AGE
    3600.0
"""
STALE_AFTER = 600.0
"""Seconds after which a ``submitting`` row of a process on another machine counts as dead.

On this machine the owner's pid is asked instead. A live submit refreshes its row at
every step and gives up on an answer well within this (the HTTP timeout).

Example:
    >>> STALE_AFTER > 60
    True
"""
OWNER = f"{socket.gethostname()}:{os.getpid()}"
"""Who writes a journal row: ``host:pid`` (to tell a live submit from a dead process's).

Example:
    >>> OWNER.endswith(str(os.getpid()))
    True
"""


def key_id(key: str | None) -> str | None:
    """A short one-way fingerprint of an API key: tells keys apart, never reveals one.

    Example:
        >>> key_id("SG_0123"), key_id(None)
        ('k-f3f9b3e95f', None)
    """
    if not key:
        return None
    return "k-" + hashlib.sha256(b"hailuo-nb key\0" + key.encode()).hexdigest()[:10]


class JobStore:
    """Jobs by (provider, base_url, id), with their history; created on first use.

    Example:
        >>> import tempfile, pathlib
        >>> JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3").get("nope") is None
        True
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._ready = False

    def __repr__(self) -> str:
        return f"JobStore({str(self.path)!r})"

    @contextlib.contextmanager
    def connect(self, *, timeout: float | None = None) -> Iterator[sqlite3.Connection]:
        """A connection in one write transaction (``BEGIN IMMEDIATE``), committed on exit.

        ``timeout`` is how long to wait for a lock another process holds (the store's
        ``busy_timeout`` by default).

        Example:
            >>> import tempfile, pathlib
            >>> with JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3").connect() as c:
            ...     c.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
            0
        """
        try:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            wait = self.busy_timeout if timeout is None else timeout
            conn = sqlite3.connect(self.path, timeout=wait, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(_reason(exc)) from exc
        try:
            if not self._ready:
                # WAL: readers in other processes never block the writer (and vice versa).
                _wal(conn, wait)
                _upgrade(conn)
                self._ready = True
            # IMMEDIATE: a check-then-write (the journal's claim) is atomic across processes.
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            # One kind of error for every store failure (locked, full, unreadable): the
            # callers decide what it means (before a submit: nothing was sent).
            raise StoreError(_reason(exc)) from exc
        finally:
            conn.close()

    def save(
        self,
        job: Job,
        *,
        base_url: str | None = None,
        estimate: Cost | None = None,
        fingerprint: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Insert or update ``job`` (every public field; never ``raw``, never a key).

        The row is the newest one of (provider, ``job.base_url`` or ``base_url``, id).
        ``estimate`` and ``fingerprint`` (of the request, see :mod:`hailuo_nb.fingerprint`)
        are kept from the first save when not given again.

        Example:
            >>> import tempfile, pathlib
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.save(Job(id="a", provider="p", model="m", status="failed", error="no"))
            >>> s.get("a").error
            'no'
        """
        base = job.base_url or base_url or ""
        with self.connect(timeout=timeout) as conn:
            seq = find_seq(conn, job.provider, base, job.id)
            if seq is None:
                conn.execute(
                    "INSERT INTO jobs (id, provider, base_url, model, params, status,"
                    " updated_at) VALUES (?, ?, ?, ?, '{}', 'queued', 0)",
                    (job.id, job.provider, base, job.model),
                )
                seq = int(conn.execute("SELECT last_insert_rowid()").fetchone()[0])
            write(conn, seq, job, base_url=base, estimate=estimate, fingerprint=fingerprint)

    def get(
        self, job_id: str, *, provider: str | None = None, base_url: str | None = None
    ) -> Job | None:
        """The newest stored job with this id (at this provider and server, when given).

        Example:
            >>> import tempfile, pathlib
            >>> JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3").get("x") is None
            True
        """
        sql, args = f"SELECT {COLUMNS} FROM jobs WHERE id = ?", [job_id]
        if provider is not None:
            sql, args = sql + " AND provider = ?", [*args, provider]
        if base_url is not None:
            sql, args = sql + " AND base_url = ?", [*args, base_url]
        rows = self.select(sql + " ORDER BY seq DESC LIMIT 1", args)
        return rows[0] if rows else None

    def select(self, sql: str, args: list[Any] | tuple[Any, ...] = ()) -> list[Job]:
        """Jobs read by a ``SELECT {COLUMNS} FROM jobs ...`` query (for this module's kin).

        Example:
            >>> import tempfile, pathlib
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.select(f"SELECT {COLUMNS} FROM jobs")
            []
        """
        with self.connect() as conn:
            rows = conn.execute(sql, args).fetchall()
        now = time.time()
        return [read_row(r, now) for r in rows]

    def base_url(self, job_id: str) -> str | None:
        """The provider root the job was submitted to (to resume it at the same place).

        Example:
            >>> import tempfile, pathlib
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.save(Job(id="a", provider="p", model="m"), base_url="http://h")
            >>> s.base_url("a")
            'http://h'
        """
        job = self.get(job_id)
        return job.base_url if job else None

    def key_id(self, job: Job) -> str | None:
        """The fingerprint of the API key that submitted ``job`` (None when not recorded).

        Example:
            >>> import tempfile, pathlib
            >>> JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3").key_id(
            ...     Job(id="a", provider="p", model="m")) is None
            True
        """
        return self._column("key_id", job)

    def fingerprint(self, job_id: str) -> str | None:
        """The fingerprint of the request that made the job (None for jobs saved without).

        Example:
            >>> import tempfile, pathlib
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.save(Job(id="a", provider="p", model="m"), fingerprint="f0")
            >>> s.save(Job(id="a", provider="p", model="m", status="processing"))
            >>> s.fingerprint("a")
            'f0'
        """
        job = self.get(job_id)
        return None if job is None else self._column("fingerprint", job)

    def _column(self, name: str, job: Job) -> str | None:
        with self.connect() as conn:
            seq = find_seq(conn, job.provider, job.base_url or "", job.id)
            row = conn.execute(f"SELECT {name} FROM jobs WHERE seq = ?", (seq,)).fetchone()
        return str(row[0]) if row and row[0] else None

    def history(self, limit: int | None = None, *, since: float | None = None) -> list[Job]:
        """Jobs, newest first (another process's claim that was never sent is not one).

        Example:
            >>> import tempfile, pathlib
            >>> JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3").history()
            []
        """
        sql = f"SELECT {COLUMNS} FROM jobs WHERE NOT (status = 'submitting' AND sent = 0)"
        args: list[Any] = []
        if since is not None:
            sql += " AND COALESCE(submitted_at, updated_at) >= ?"
            args.append(since)
        sql += " ORDER BY COALESCE(submitted_at, updated_at) DESC, seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self.select(sql, args)

    def find_reusable(
        self,
        fingerprint: str,
        *,
        attachable: Callable[[Job], bool] | None = None,
        now: float | None = None,
    ) -> Job | None:
        """The newest job made by this request that can stand in for a new one, or None.

        That is a job that completed **and whose video file still exists**, or completed
        with its video not saved yet (a full disk, a follower that died: it is fetched, not
        paid for again), or one still running (submitted less than :data:`RUNNING_MAX_AGE`
        ago). Only jobs accepted by ``attachable`` when given stand in for a running or
        unsaved one (a job only its dead kernel could follow cannot). Failed,
        expired and uncertain jobs are never reused (the journal,
        :mod:`hailuo_nb.journal`, stops a request whose earlier submit is uncertain).

        Example:
            >>> import tempfile, pathlib
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.save(Job(id="a", provider="p", model="m", status="failed"), fingerprint="f")
            >>> s.find_reusable("f") is None
            True
            >>> s.save(Job(id="b", provider="p", model="m", status="processing",
            ...            submitted_at=__import__("time").time()), fingerprint="f")
            >>> s.find_reusable("f").id
            'b'
        """
        now = time.time() if now is None else now
        marks = ", ".join("?" * (len(_RUNNING) + 1))
        rows = self.select(
            f"SELECT {COLUMNS} FROM jobs WHERE fingerprint = ? AND status IN ({marks})"
            " ORDER BY COALESCE(submitted_at, updated_at) DESC, seq DESC",
            (fingerprint, "completed", *_RUNNING),
        )
        for job in rows:
            if job.status == "completed":
                if job.video_path and Path(job.video_path).is_file():
                    return job
                if job.video_path or not job.video_url:
                    continue  # saved once, then deleted: the user let it go
                if attachable is None or attachable(job):
                    return job
                continue
            started = job.submitted_at if job.submitted_at is not None else now
            if now - started > RUNNING_MAX_AGE:
                continue
            if attachable is None or attachable(job):
                return job
        return None

    def recent_runs(self, provider: str, model: str, base_url: str, limit: int = 10) -> list[float]:
        """Submit-to-finish seconds of recent completed jobs of this model at this server.

        Oldest first; the poll schedule's expected duration comes from these.

        Example:
            >>> import tempfile, pathlib
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.save(Job(id="a", provider="p", model="m", status="completed",
            ...            submitted_at=0.0, finished_at=9.0), base_url="http://h")
            >>> s.recent_runs("p", "m", "http://h")
            [9.0]
        """
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT finished_at - submitted_at FROM jobs WHERE provider = ? AND model = ?"
                " AND base_url = ? AND status = 'completed' AND finished_at IS NOT NULL"
                " AND submitted_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
                (provider, model, base_url, limit),
            ).fetchall()
        return [float(r[0]) for r in reversed(rows)]

    def spending(self, since: float | None = None) -> dict[str, float | int]:
        """Estimated and billed USD, and job counts (what :attr:`Job.charge` counts).

        Failed and expired jobs cost nothing, unless the provider reported a billed
        amount for them (AI/ML, at submit): that counts. An ``uncertain`` submit may have
        been billed: its estimate counts, and ``uncertain`` says how many there are.

        Example:
            >>> import tempfile, pathlib
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.save(Job(id="a", provider="p", model="m", status="completed",
            ...            cost=Cost(0.4, estimated=False)), estimate=Cost(0.35))
            >>> s.spending()["actual_usd"], s.spending()["jobs"]
            (0.4, 1)
        """
        out: dict[str, float | int] = {
            "estimated_usd": 0.0,
            "actual_usd": 0.0,
            "jobs": 0,
            "completed": 0,
            "failed": 0,
            "running": 0,
            "uncertain": 0,
        }
        for job in self.history(since=since):
            out["jobs"] += 1
            if job.status in UNPAID_STATUSES:
                out["failed"] += 1
            else:
                kind = job.status if job.status in ("completed", "uncertain") else "running"
                out[kind] += 1
            cost = job.charge
            if cost is None:
                continue
            key = "estimated_usd" if cost.estimated else "actual_usd"
            out[key] = round(float(out[key]) + cost.usd, 6)
        return out


def find_seq(conn: sqlite3.Connection, provider: str, base_url: str, job_id: str) -> int | None:
    """The newest row of (provider, base_url, id); a row stored without its server also fits.

    Example:
        >>> import tempfile, pathlib
        >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
        >>> with s.connect() as c:
        ...     find_seq(c, "p", "http://h", "a") is None
        True
    """
    row = conn.execute(
        "SELECT seq FROM jobs WHERE id = ? AND provider = ? AND base_url IN (?, '')"
        " ORDER BY base_url = ? DESC, seq DESC LIMIT 1",
        (job_id, provider, base_url, base_url),
    ).fetchone()
    return None if row is None else int(row[0])


def write(
    conn: sqlite3.Connection,
    seq: int,
    job: Job,
    *,
    base_url: str,
    estimate: Cost | None = None,
    fingerprint: str | None = None,
) -> None:
    """Write every public field of ``job`` into row ``seq`` (keeping what is not given again).

    Example:
        >>> import tempfile, pathlib
        >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
        >>> s.save(Job(id="a", provider="p", model="m"))
        >>> with s.connect() as c:
        ...     write(c, 1, Job(id="a", provider="p", model="m", status="failed"), base_url="")
        >>> s.get("a").status
        'failed'
    """
    cost = job.cost
    conn.execute(
        "UPDATE jobs SET id = ?, provider = ?, base_url = ?, model = ?, params = ?,"
        " status = ?, error = ?, video_url = ?, video_path = ?, cost_usd = ?,"
        " cost_estimated = ?, estimate_usd = COALESCE(?, estimate_usd), submitted_at = ?,"
        " started_at = ?, finished_at = ?, expected_seconds = ?, updated_at = ?,"
        " fingerprint = COALESCE(?, fingerprint), sent = 1 WHERE seq = ?",
        (
            job.id,
            job.provider,
            base_url,
            job.model,
            json.dumps(job.params, default=str, sort_keys=True),
            job.status,
            job.error,
            job.video_url,
            job.video_path,
            cost.usd if cost else None,
            None if cost is None else int(cost.estimated),
            estimate.usd if estimate else None,
            job.submitted_at,
            job.started_at,
            job.finished_at,
            job.expected_seconds,
            time.time(),
            fingerprint,
            seq,
        ),
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


IN_FLIGHT: set[str] = set()
"""This process's submits being sent right now (their journal names): the journal keeps it.

A ``submitting`` row of this process that is not in it was abandoned (a failure while
clearing it): it must not pass for a live submit for the rest of the kernel's life.

Example:
    >>> "submit-none" in IN_FLIGHT
    False
"""


def alive(owner: str | None, updated_at: float, now: float, ref: str | None = None) -> bool:
    """Whether the process that wrote a ``submitting`` row may still be working on it.

    Example:
        >>> alive(OWNER, 0.0, 1e12), alive(None, 0.0, 1e12), alive(OWNER, 0.0, 1e12, "x")
        (True, False, False)
    """
    if owner == OWNER:
        return ref is None or ref in IN_FLIGHT
    host, _, pid = (owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return False
        except OSError:
            return True  # it exists, and belongs to someone else
        return True
    return bool(owner) and now - updated_at < STALE_AFTER


def _wal(conn: sqlite3.Connection, wait: float) -> None:
    """Switch a store to WAL, waiting up to ``wait`` seconds for another process.

    Two processes opening a new store at once both ask for WAL, which needs the file to
    themselves; SQLite answers "database is locked" at once there, without its busy
    timeout (waiting could deadlock it), so the wait is ours.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _upgrade(conn: sqlite3.Connection) -> None:
    """Create the table, or bring a store written by an older version up to date."""
    conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it done
    try:
        if int(conn.execute("PRAGMA user_version").fetchone()[0]) < _VERSION:
            _from_v1(conn)
            for statement in (_TABLE + _INDEXES).split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _from_v1(conn: sqlite3.Connection) -> None:
    """Version 1 keyed jobs by id alone: copy them into the (provider, base_url, id) table."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}
    if not columns or "seq" in columns:
        return
    conn.execute("ALTER TABLE jobs RENAME TO jobs_v1")
    # Its indexes went with it under their old names: drop them so the new ones are made.
    for name in ("jobs_by_time", "jobs_by_model", "jobs_by_fingerprint"):
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.execute(_TABLE)
    fingerprint = "fingerprint" if "fingerprint" in columns else "NULL"
    old = _V1_COLUMNS.replace("base_url", "COALESCE(base_url, '')")
    old = old.replace("fingerprint", fingerprint)
    conn.execute(f"INSERT INTO jobs ({_V1_COLUMNS}) SELECT {old} FROM jobs_v1 ORDER BY rowid")
    conn.execute("DROP TABLE jobs_v1")


def read_row(row: tuple[Any, ...], now: float) -> Job:
    """The job of a row read with :data:`COLUMNS` (a dead process's submit, as it stands).

    Example:
        >>> import tempfile, pathlib
        >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
        >>> s.save(Job(id="a", provider="p", model="m"))
        >>> with s.connect() as c:
        ...     read_row(c.execute(f"SELECT {COLUMNS} FROM jobs").fetchone(), 0.0).id
        'a'
    """
    (
        _seq,
        jid,
        provider,
        model,
        base,
        params,
        status,
        error,
        url,
        path,
        usd,
        est_flag,
        _est,
        submitted,
        started,
        finished,
        expected,
        updated,
        sent,
        owner,
    ) = row
    if status == "submitting" and not alive(owner, updated or 0.0, now, jid):
        # Its process died: sent means the provider may have it; unsent means nothing left.
        status = "uncertain" if sent else "failed"
        error = error or (
            "the process stopped with the submit in flight: the provider may have accepted"
            " (and billed) it"
            if sent
            else "never sent: the process stopped before the request left"
        )
    cost = None if usd is None else Cost(float(usd), estimated=bool(est_flag))
    return Job(
        id=jid,
        provider=provider,
        model=model,
        params=json.loads(params),
        status=status if status in STATUSES else "failed",
        error=error,
        video_url=url,
        video_path=path,
        cost=cost,
        submitted_at=submitted,
        started_at=started,
        finished_at=finished,
        expected_seconds=expected,
        base_url=base or None,
    )
