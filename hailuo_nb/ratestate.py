"""The request budget shared by every process using the same key on this machine.

Kernels in different folders have different job stores, and twelve ``hailuo generate``
processes have nothing else in common, yet the provider counts their requests against one
key. So a budget's numbers (:class:`~hailuo_nb.ratelimit.Bucket`: the learnt rate, the
pause a 429 asked for, the tokens and the requests of the past minute) live in one small
SQLite file per user, by default ``$XDG_CACHE_HOME/hailuo-nb/budget.sqlite3`` (else
``~/.cache/hailuo-nb/budget.sqlite3``), one row per (provider, server, key fingerprint).
The key itself is never written: only :func:`hailuo_nb.store.key_id`'s one-way fingerprint.

Each change is one ``BEGIN IMMEDIATE`` transaction, so two processes never take the same
token. The file is a convenience, never a reason to stop a request: if it cannot be opened,
read or written (a locked, read-only or corrupt file, a full disk), the budget carries on
in memory from the last numbers it saw, and says so once in the log.

Example:
    >>> import asyncio, tempfile, pathlib
    >>> from hailuo_nb.ratelimit import Limits
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "budget.sqlite3"
    >>> book = SharedBook(path, ("segmind", "https://api.segmind.com", "k-1"), Limits(50.0))
    >>> asyncio.run(book.apply(lambda b: b.rate))
    50.0
    >>> [row.rate for row in learnt(path)]
    [50.0]
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .ratelimit import FORGET_AFTER, Bucket, Limits, MemoryBook

__all__ = ["Learnt", "SharedBook", "learnt"]

log = logging.getLogger("hailuo_nb")
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS budgets (
    provider TEXT NOT NULL,
    base_url TEXT NOT NULL,
    key_id TEXT NOT NULL,
    rate REAL NOT NULL,
    tokens REAL NOT NULL,
    stamp REAL NOT NULL,
    paused_until REAL NOT NULL DEFAULT 0,
    sent TEXT NOT NULL DEFAULT '[]',
    lowered_at REAL NOT NULL DEFAULT 0,
    refused_at REAL,
    updated REAL NOT NULL,
    PRIMARY KEY (provider, base_url, key_id)
)
"""
_COLUMNS = "rate, tokens, stamp, paused_until, sent, lowered_at, refused_at"


@dataclass(frozen=True)
class Learnt:
    """One row of the shared file, as ``%hailuo config`` shows it.

    Example:
        >>> Learnt("segmind", "https://api.segmind.com", "k-1", 50.0, 0.0, 0.0).line(0.0)
        'segmind (https://api.segmind.com, key k-1): ~50/min'
    """

    provider: str
    base_url: str
    key_id: str
    rate: float
    paused_until: float
    updated: float

    def line(self, now: float | None = None) -> str:
        """The row in one line."""
        now = time.time() if now is None else now
        key = self.key_id or "none"
        text = f"{self.provider} ({self.base_url}, key {key}): ~{self.rate:.3g}/min"
        if self.paused_until > now:
            clock = time.strftime("%H:%M:%S", time.gmtime(self.paused_until))
            text += f", paused by the server until {clock} UTC"
        return text


class SharedBook:
    """A :class:`~hailuo_nb.ratelimit.Book` in the shared SQLite file, row ``scope``.

    ``scope`` is (provider, base URL, key fingerprint). The first failure of the file
    turns this book into a memory book for the rest of the process (see the module).

    Example: see the module.
    """

    def __init__(
        self,
        path: str | Path,
        scope: tuple[str, str, str | None],
        limits: Limits,
        *,
        busy_timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        provider, base_url, key = scope
        self.scope = (provider, base_url, key or "")
        self.limits = limits
        self.busy_timeout = busy_timeout
        self._clock = clock
        self._fallback: MemoryBook | None = None
        self._last: Bucket | None = None
        self.problem: str | None = None  # why the file is not used, once it failed

    def describe(self) -> str:
        if self._fallback is not None:
            return f"this process only ({self.problem})"
        return f"shared in {self.path}"

    async def apply(self, change: Callable[[Bucket], T]) -> T:
        if self._fallback is None:
            try:
                return await asyncio.to_thread(self._apply, change)
            except (sqlite3.Error, OSError, ValueError, TypeError) as exc:
                self._fall_back(exc)
        assert self._fallback is not None
        return await self._fallback.apply(change)

    def _fall_back(self, exc: BaseException) -> None:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        self.problem = f"{self.path} unusable: {reason}"
        log.info("hailuo: the shared request budget goes on in memory (%s)", self.problem)
        self._fallback = MemoryBook(self.limits, self._last)

    def _apply(self, change: Callable[[Bucket], T]) -> T:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            # A lost update costs a token at most: no need to wait for the disk.
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(_SCHEMA)
            now = self._clock()
            row = conn.execute(
                f"SELECT {_COLUMNS}, updated FROM budgets"
                " WHERE provider=? AND base_url=? AND key_id=?",
                self.scope,
            ).fetchone()
            if row is None or now - float(row[-1]) > FORGET_AFTER:
                bucket = Bucket.fresh(self.limits, now)
                before = None
            else:
                bucket = _bucket(row)
                before = _values(bucket)
            result = change(bucket)
            after = _values(bucket)
            if after != before:
                conn.execute(
                    f"INSERT OR REPLACE INTO budgets (provider, base_url, key_id, {_COLUMNS},"
                    " updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*self.scope, *after, now),
                )
            conn.execute("COMMIT")
            self._last = bucket
            return result
        finally:
            conn.close()


def _bucket(row: tuple[object, ...]) -> Bucket:
    rate, tokens, stamp, paused, sent, lowered_at, refused_at = row[:7]
    times = json.loads(str(sent))
    if not isinstance(times, list):
        raise ValueError("the sent column is not a list")
    return Bucket(
        rate=float(rate),  # type: ignore[arg-type]
        tokens=float(tokens),  # type: ignore[arg-type]
        stamp=float(stamp),  # type: ignore[arg-type]
        paused_until=float(paused),  # type: ignore[arg-type]
        sent=[float(t) for t in times],
        lowered_at=float(lowered_at),  # type: ignore[arg-type]
        refused_at=None if refused_at is None else float(refused_at),  # type: ignore[arg-type]
    )


def _values(b: Bucket) -> tuple[object, ...]:
    sent = json.dumps(b.sent)
    return (b.rate, b.tokens, b.stamp, b.paused_until, sent, b.lowered_at, b.refused_at)


def learnt(path: str | Path, *, now: float | None = None) -> list[Learnt]:
    """Every budget in the shared file that is still remembered (used within a day).

    Reading never creates the file; an unreadable file reads as empty.

    Example:
        >>> learnt("/nonexistent/budget.sqlite3")
        []
    """
    path = Path(path)
    if not path.is_file():
        return []
    now = time.time() if now is None else now
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
        try:
            rows = conn.execute(
                "SELECT provider, base_url, key_id, rate, paused_until, updated FROM budgets"
                " ORDER BY provider, base_url"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []
    return [
        Learnt(str(p), str(u), str(k), float(r), float(pu), float(up))
        for p, u, k, r, pu, up in rows
        if now - float(up) <= FORGET_AFTER
    ]
