"""Data models shared by every layer: the closed status set, costs and the ``Job``.

Provider words (``QUEUED``, ``generating``, ``Queueing`` …) are turned into :data:`Status`
at the boundary, in the provider adapters; nothing above them sees the provider's words.

Example:
    >>> job = Job(id="abc", provider="emulator", model="hailuo-2.3", params={"prompt": "a fox"})
    >>> job.status, job.done, job.prompt
    ('queued', False, 'a fox')
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Status = Literal[
    "submitting",
    "queued",
    "processing",
    "completed",
    "failed",
    "expired",
    "uncertain",
    "cancelled",
]
"""Where a job is. ``completed``, ``failed``, ``expired`` and ``uncertain`` are final.

``submitting`` is the write-ahead journal's mark: the request is about to leave or is in
flight, and the provider's id is not known yet. ``expired`` means the provider no longer
knows the job (past its documented retention) and we never fetched its video.
``cancelled`` means the provider confirmed a cancel (MiniMax v2 for a queued task, fal
before the job starts, Replicate at any time): nothing more will come of it.
``uncertain`` means the submit's outcome is unknown (the connection dropped, the process
was interrupted or died with the request in flight): the provider may have accepted and
billed it. Nothing follows such a job; reconciliation (``Client.reconcile``) can still
turn it into the real job, or dismiss it.
"""

STATUSES: tuple[Status, ...] = get_args(Status)
FINAL_STATUSES: frozenset[Status] = frozenset(
    {"completed", "failed", "expired", "uncertain", "cancelled"}
)
USUAL_QUEUE_SHARE = 0.15
"""The share of a job's expected submit-to-finish time usually spent in the provider's queue.

A wait in line up to this share is part of the expected time; a longer wait is not, so a
job that queued long still gets its whole run time estimated once it starts.

Example:
    >>> 0 < USUAL_QUEUE_SHARE < 1
    True
"""

UNPAID_STATUSES: frozenset[Status] = frozenset({"failed", "expired", "cancelled"})
"""Final statuses whose estimate costs nothing (an ``uncertain`` job may have been billed).

A job in one of them still counts an amount its provider reported as billed (see
:attr:`Job.charge`).

Example:
    >>> "uncertain" in UNPAID_STATUSES
    False
"""


@dataclass(frozen=True)
class Cost:
    """A price in US dollars, either an estimate (from the catalog) or what the provider billed.

    Example:
        >>> str(Cost(0.35, estimated=True)), str(Cost(0.4, estimated=False))
        ('~$0.35 (estimate)', '$0.40')
    """

    usd: float
    estimated: bool = True

    def __str__(self) -> str:
        return f"~${self.usd:.2f} (estimate)" if self.estimated else f"${self.usd:.2f}"


@dataclass
class Job:
    """One video generation request and everything known about it.

    ``params`` uses the kit's own vocabulary (``prompt``, ``duration``, ``resolution``,
    ``first_frame``, ``last_frame``, ``prompt_optimizer``, ``go_fast``, ``mode``,
    ``fast_pretreatment``), with images recorded as a short reference (path, URL or content
    hash), never as the full data URL. Times are UNIX seconds. ``reused`` is True when
    ``Client.submit`` handed back an earlier identical job instead of sending a new request.

    Example:
        >>> j = Job(id="r1", provider="segmind", model="hailuo-2.3", params={"prompt": "x"},
        ...         status="completed", submitted_at=100.0, finished_at=160.0)
        >>> j.done, j.elapsed()
        (True, 60.0)
    """

    id: str
    provider: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    status: Status = "queued"
    error: str | None = None
    video_url: str | None = None
    video_path: str | None = None
    cost: Cost | None = None
    submitted_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    expected_seconds: float | None = None
    # The provider root the job lives at (its status is asked there, whatever the client's
    # current base URL): a job is known by (provider, base_url, id).
    base_url: str | None = None
    # A passing remark on a running job ("rate limited until 14:05 UTC; waiting"): shown
    # by the live views, never stored.
    note: str | None = None
    # Jobs ahead of this one in the provider's queue while it waits there (fal says it):
    # shown as "queued, 3 ahead", never stored (it is stale a poll later).
    queue_position: int | None = None
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    # True on the Job that ``submit`` returned instead of paying again (an identical
    # request's job). Not stored: it is a fact about one call, not about the job.
    reused: bool = field(default=False, compare=False)

    def __repr__(self) -> str:
        """A short line: id, status, model and provider, prompt start, cost, file.

        Example:
            >>> Job(id="4f0c1e2d3c4b5a69", provider="emulator", model="hailuo-2.3",
            ...     params={"prompt": "a red fox running through deep snow at dawn"},
            ...     status="completed", cost=Cost(0.35), video_path="out/4f.mp4")
            Job(4f0c1e2d3c4b…, completed, hailuo-2.3 on emulator, 'a red fox running through…', ~$0.35 (estimate), out/4f.mp4)
        """  # noqa: E501
        short = self.id if len(self.id) <= 13 else self.id[:12] + "…"
        prompt = self.prompt if len(self.prompt) <= 26 else self.prompt[:25] + "…"
        parts = [short or "(no id yet)", self.status, f"{self.model} on {self.provider}"]
        parts.append(repr(prompt))
        if self.cost is not None:
            parts.append(str(self.cost))
        if self.video_path or self.error:
            parts.append(str(self.video_path or self.error))
        return f"Job({', '.join(parts)})"

    @property
    def prompt(self) -> str:
        """The prompt text.

        Example:
            >>> Job(id="a", provider="p", model="m", params={"prompt": "hi"}).prompt
            'hi'
        """
        return str(self.params.get("prompt", ""))

    @property
    def done(self) -> bool:
        """True once the job is in a final status.

        Example:
            >>> Job(id="a", provider="p", model="m", status="failed").done
            True
        """
        return self.status in FINAL_STATUSES

    @property
    def charge(self) -> Cost | None:
        """What this job counts toward spending and the budget, or None.

        A job that failed or expired counts only an amount its provider reported as
        billed: AI/ML reports the charge at submit and does not say whether a job that
        ends in error is refunded, so what it reported is counted. Its estimate counts
        nothing (Segmind bills only completed jobs). Any other job counts its cost, billed
        or estimated.

        Example:
            >>> Job(id="a", provider="p", model="m", status="failed", cost=Cost(0.3)).charge
            >>> Job(id="a", provider="p", model="m", status="failed",
            ...     cost=Cost(0.3, estimated=False)).charge
            Cost(usd=0.3, estimated=False)
        """
        if self.cost is None or (self.status in UNPAID_STATUSES and self.cost.estimated):
            return None
        return self.cost

    def elapsed(self, now: float | None = None) -> float | None:
        """Seconds from submission to the end (or to ``now`` while running).

        Example:
            >>> Job(id="a", provider="p", model="m", submitted_at=10.0).elapsed(now=25.0)
            15.0
        """
        if self.submitted_at is None:
            return None
        end = (
            self.finished_at
            if self.finished_at is not None
            else (time.time() if now is None else now)
        )
        return max(0.0, end - self.submitted_at)

    def queued_seconds(self, now: float | None = None) -> float | None:
        """Seconds spent waiting in the provider's queue (so far, while still waiting).

        None when unknown: not sent yet, or first seen past the queue with no start noted.

        Example:
            >>> j = Job(id="a", provider="p", model="m", submitted_at=0.0)
            >>> j.queued_seconds(now=4.0), Job(id="a", provider="p", model="m",
            ...     status="processing", submitted_at=0.0, started_at=3.0).queued_seconds()
            (4.0, 3.0)
        """
        if self.submitted_at is None:
            return None
        if self.started_at is not None:
            return max(0.0, self.started_at - self.submitted_at)
        if self.status in ("submitting", "queued"):
            return self.elapsed(now)
        return None

    def processing_seconds(self, now: float | None = None) -> float | None:
        """Seconds since the provider said it is processing (to the end once done).

        Example:
            >>> Job(id="a", provider="p", model="m", status="processing", submitted_at=0.0,
            ...     started_at=3.0).processing_seconds(now=5.0)
            2.0
        """
        if self.started_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else now
        end = time.time() if end is None else end
        return max(0.0, end - self.started_at)

    def _run_expected(self) -> float | None:
        # ``expected_seconds`` is submit-to-finish, so it holds a usual wait in line: a
        # wait up to that share is taken out of it, a longer one is not (the run itself
        # takes no less for having waited).
        if self.expected_seconds is None:
            return None
        queued = self.queued_seconds() or 0.0
        return self.expected_seconds - min(queued, USUAL_QUEUE_SHARE * self.expected_seconds)

    def remaining(self, now: float | None = None) -> float | None:
        """Estimated seconds left, from the expected duration; None when unknown or done.

        Providers report no percentage, so this is an estimate from typical durations.
        Time in the provider's queue is not progress: a queued job has no estimate, and
        the estimate counts from when the provider said it is processing.

        Example:
            >>> Job(id="a", provider="p", model="m", submitted_at=0.0, status="processing",
            ...     expected_seconds=100.0).remaining(now=30.0)
            70.0
            >>> Job(id="a", provider="p", model="m", submitted_at=0.0, started_at=40.0,
            ...     status="processing", expected_seconds=100.0).remaining(now=50.0)
            75.0
            >>> Job(id="a", provider="p", model="m", submitted_at=0.0, status="queued",
            ...     expected_seconds=100.0).remaining(now=90.0)
        """
        if self.done or self.expected_seconds is None:
            return None
        if self.status in ("submitting", "queued"):
            return None
        run = self.processing_seconds(now)
        if run is not None:
            expected = self._run_expected() or 0.0
            return max(0.0, expected - run)
        elapsed = self.elapsed(now)
        if elapsed is None:
            return self.expected_seconds
        return max(0.0, self.expected_seconds - elapsed)

    def progress(self, now: float | None = None) -> float:
        """A 0..1 estimate of progress for a progress bar (1.0 when completed).

        It never reaches 1.0 before the job is done: past the expected time it creeps
        toward 0.99. Waiting in the provider's queue is 0: the bar starts when the
        provider says the job is processing.

        Example:
            >>> Job(id="a", provider="p", model="m", submitted_at=0.0,
            ...     expected_seconds=100.0, status="processing").progress(now=50.0)
            0.5
            >>> Job(id="a", provider="p", model="m", submitted_at=0.0,
            ...     expected_seconds=100.0, status="queued").progress(now=95.0)
            0.0
        """
        if self.status == "completed":
            return 1.0
        if self.done or self.status in ("submitting", "queued"):
            return 0.0
        run = self.processing_seconds(now)
        expected = self._run_expected() if run is not None else self.expected_seconds
        if run is None:
            run = self.elapsed(now)
        if run is None or not expected:
            return 0.0
        frac = run / expected
        if frac <= 0.95:
            return round(frac, 4)
        # Past the estimate: approach 0.99 without ever claiming completion.
        return round(min(0.99, 0.95 + 0.04 * (1 - 1 / (1 + (frac - 0.95) * 4))), 4)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the public fields (no raw provider JSON).

        Example:
            >>> Job(id="a", provider="p", model="m").to_dict()["status"]
            'queued'
        """
        d = dataclasses.asdict(self)
        d.pop("raw", None)
        d["prompt"] = self.prompt
        return d
