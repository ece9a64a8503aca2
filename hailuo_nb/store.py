"""The job store: one SQLite file (WAL), so a job outlives the kernel that made it.

A job is written **before its first poll**, so an interrupted cell, a crash or a kernel
restart never loses a job that was paid for: ``resume(id)`` finishes it, from this process
or another one. The API key is never written: nothing here ever sees it.

Each job also keeps its request's fingerprint, so an identical request can be answered with
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
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .models import STATUSES, Cost, Job

__all__ = ["RUNNING_MAX_AGE", "JobStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    base_url TEXT,
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
    fingerprint TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs (submitted_at);
CREATE INDEX IF NOT EXISTS jobs_by_model ON jobs (provider, model, base_url, status);
"""
# Run after the migration below: a store from an older version has no fingerprint column
# until then, and CREATE TABLE IF NOT EXISTS never adds one.
_INDEXES = "CREATE INDEX IF NOT EXISTS jobs_by_fingerprint ON jobs (fingerprint, submitted_at);"
_COLUMNS = (
    "id, provider, model, base_url, params, status, error, video_url, video_path, cost_usd,"
    " cost_estimated, estimate_usd, submitted_at, started_at, finished_at, expected_seconds,"
    " updated_at"
)
_RUNNING = ("submitting", "queued", "processing")
RUNNING_MAX_AGE = 3600.0
"""Seconds after submission past which a job still "running" in the store is not reused.

Its follower most likely died with a kernel, and Segmind forgets jobs after an hour.

Example:
    >>> RUNNING_MAX_AGE
    3600.0
"""


class JobStore:
    """Jobs by id, with their history; created on first use.

    Example:
        >>> import tempfile, pathlib
        >>> JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3").get("nope") is None
        True
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ready = False

    def __repr__(self) -> str:
        return f"JobStore({str(self.path)!r})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30.0)
        try:
            if not self._ready:
                # WAL: readers in other processes never block the writer (and vice versa).
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
                _migrate(conn)
                conn.executescript(_INDEXES)
                self._ready = True
            with conn:
                yield conn
        finally:
            conn.close()

    def save(
        self,
        job: Job,
        *,
        base_url: str | None = None,
        estimate: Cost | None = None,
        fingerprint: str | None = None,
    ) -> None:
        """Insert or update ``job`` (every public field; never ``raw``, never a key).

        ``base_url``, ``estimate`` and ``fingerprint`` (of the request, see
        :mod:`hailuo_nb.fingerprint`) are kept from the first save when not given again.

        Example:
            >>> import tempfile, pathlib
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.save(Job(id="a", provider="p", model="m", status="failed", error="no"))
            >>> s.get("a").error
            'no'
        """
        cost = job.cost
        row = (
            job.id,
            job.provider,
            job.model,
            base_url,
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
        )
        with self._connect() as conn:
            conn.execute(
                f"INSERT INTO jobs ({_COLUMNS}, fingerprint) VALUES ({', '.join('?' * len(row))})"
                " ON CONFLICT(id) DO UPDATE SET provider=excluded.provider,"
                " model=excluded.model, base_url=COALESCE(excluded.base_url, jobs.base_url),"
                " params=excluded.params, status=excluded.status, error=excluded.error,"
                " video_url=excluded.video_url, video_path=excluded.video_path,"
                " cost_usd=excluded.cost_usd, cost_estimated=excluded.cost_estimated,"
                " estimate_usd=COALESCE(excluded.estimate_usd, jobs.estimate_usd),"
                " submitted_at=excluded.submitted_at, started_at=excluded.started_at,"
                " finished_at=excluded.finished_at, expected_seconds=excluded.expected_seconds,"
                " updated_at=excluded.updated_at,"
                " fingerprint=COALESCE(excluded.fingerprint, jobs.fingerprint)",
                row,
            )

    def get(self, job_id: str) -> Job | None:
        """The stored job, or None.

        Example:
            >>> import tempfile, pathlib
            >>> JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3").get("x") is None
            True
        """
        with self._connect() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def base_url(self, job_id: str) -> str | None:
        """The provider root the job was submitted to (to resume it at the same place).

        Example:
            >>> import tempfile, pathlib
            >>> s = JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3")
            >>> s.save(Job(id="a", provider="p", model="m"), base_url="http://h")
            >>> s.base_url("a")
            'http://h'
        """
        with self._connect() as conn:
            row = conn.execute("SELECT base_url FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return str(row[0]) if row and row[0] else None

    def history(self, limit: int | None = None, *, since: float | None = None) -> list[Job]:
        """Jobs, newest first.

        Example:
            >>> import tempfile, pathlib
            >>> JobStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite3").history()
            []
        """
        sql = f"SELECT {_COLUMNS} FROM jobs"
        args: list[Any] = []
        if since is not None:
            sql += " WHERE COALESCE(submitted_at, updated_at) >= ?"
            args.append(since)
        sql += " ORDER BY COALESCE(submitted_at, updated_at) DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._connect() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [_job(r) for r in rows]

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
        with self._connect() as conn:
            row = conn.execute("SELECT fingerprint FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return str(row[0]) if row and row[0] else None

    def find_reusable(
        self,
        fingerprint: str,
        *,
        attachable: Callable[[Job], bool] | None = None,
        now: float | None = None,
    ) -> Job | None:
        """The newest job made by this request that can stand in for a new one, or None.

        That is a job that completed **and whose video file still exists**, or one still
        running (submitted less than :data:`RUNNING_MAX_AGE` ago, and accepted by
        ``attachable`` when given: a job only its dead kernel could follow is not). Failed
        and expired jobs are never reused.

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
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE fingerprint = ? AND status IN ({marks})"
                " ORDER BY COALESCE(submitted_at, updated_at) DESC, rowid DESC",
                (fingerprint, "completed", *_RUNNING),
            ).fetchall()
        for row in rows:
            job = _job(row)
            if job.status == "completed":
                if job.video_path and Path(job.video_path).is_file():
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
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT finished_at - submitted_at FROM jobs WHERE provider = ? AND model = ?"
                " AND base_url = ? AND status = 'completed' AND finished_at IS NOT NULL"
                " AND submitted_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
                (provider, model, base_url, limit),
            ).fetchall()
        return [float(r[0]) for r in reversed(rows)]

    def spending(self, since: float | None = None) -> dict[str, float | int]:
        """Estimated and billed USD, and job counts (failed and expired jobs cost nothing).

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
        }
        for job in self.history(since=since):
            out["jobs"] += 1
            if job.status == "completed":
                out["completed"] += 1
            elif job.done:
                out["failed"] += 1
                continue
            else:
                out["running"] += 1
            if job.cost is None:
                continue
            key = "estimated_usd" if job.cost.estimated else "actual_usd"
            out[key] = round(float(out[key]) + job.cost.usd, 6)
        return out


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a store written by an older version up to date (columns are only ever added)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}
    if "fingerprint" not in columns:
        try:
            conn.execute("ALTER TABLE jobs ADD COLUMN fingerprint TEXT")
        except sqlite3.OperationalError as exc:
            # Another process migrated it between our look and our change.
            if "duplicate column" not in str(exc):
                raise


def _job(row: tuple[Any, ...]) -> Job:
    (
        jid,
        provider,
        model,
        _base,
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
        _updated,
    ) = row
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
    )
