"""When to ask again: sparse while a job is far from its expected end, dense near it.

Providers give no progress figure, only a status, so each poll buys one bit. The
expected run time (the catalog's typical duration, or the median of this provider's and
model's recent jobs in the store) tells where that bit is worth buying. Run times vary
around it (``spread``, ±15 % by default), so the polls close in geometrically on the
*earliest* likely end, then ask every ~0.65 % of the expected time (at least
``min_interval``) until the latest likely end: a 141 s job (hailuo-2.3 on Segmind) is
polled about 37 times, most of them in its last minute, and its end is known about as soon
as with polls every second, instead of 141 polls at a fixed second.

The first few polls probe at intervals growing by half (1, 1.5, 2.25, 3.4 s...), so a job
refused at once or a server faster than expected is noticed within seconds. Past the
latest likely end the interval grows again, slowly, because a late job is often queued
behind others. Jitter keeps many jobs from polling in step. Every poll still goes through
the provider's shared request budget, which has the last word on a small plan.

Example:
    >>> p = PollPolicy(min_interval=1.0, max_interval=30.0, jitter=0.0)
    >>> p.delay(elapsed=0.0, expected=141.0)     # far from the end: sparse
    30.0
    >>> p.delay(elapsed=135.0, expected=141.0)   # near it: dense
    1.0
"""

from __future__ import annotations

import dataclasses
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from .models import Cost, Job
from .providers.base import Update

__all__ = [
    "PROBE_GROWTH",
    "SHORT_WINDOW",
    "Backoff",
    "PollPolicy",
    "apply_update",
    "expected_seconds",
]

SHORT_WINDOW = 12.0
"""A window of likely ends shorter than this many ``min_interval`` is polled twice as often.

Example:
    >>> p = PollPolicy(min_interval=1.0, jitter=0.0)
    >>> p.delay(18.0, 20.0), p.delay(150.0, 157.0)   # a 20 s job; a 157 s one
    (0.5, 1.0205)
"""
PROBE_GROWTH = 1.5
"""How much each of the first probes' intervals grows over the last.

Example:
    >>> [round(PROBE_GROWTH**n, 2) for n in range(4)]
    [1.0, 1.5, 2.25, 3.38]
"""


@dataclass
class PollPolicy:
    """The adaptive schedule.

    ``approach`` is the share of the time left before the earliest likely end slept
    before the next poll (so polls close in on it geometrically); ``spread`` is how much a
    run time varies around the expected one (both ways, as a share of it); ``near`` is the
    interval between the earliest and latest likely ends, as a share of the expected
    duration; ``min_interval`` and ``max_interval`` bound everything.

    Example:
        >>> PollPolicy(jitter=0.0).delay(elapsed=200.0, expected=100.0)  # late: backs off
        4.4
    """

    min_interval: float = 1.0
    max_interval: float = 30.0
    approach: float = 0.35
    near: float = 0.0065
    spread: float = 0.15
    jitter: float = 0.1
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self, elapsed: float, expected: float | None, polls: int = 99) -> float:
        """Seconds to sleep before the next poll of a job ``elapsed`` s after submission.

        ``polls`` is how many polls were made already: the first few probe at intervals
        growing by half (1, 1.5, 2.25, 3.4 s...), so a job refused right away, or a server
        much faster than the catalog says (an emulator, a quiet hour), is noticed within
        seconds.

        Example:
            >>> PollPolicy(jitter=0.0).delay(elapsed=0.0, expected=None)
            1.0
            >>> [PollPolicy(jitter=0.0).delay(0.0, 141.0, polls=n) for n in range(3)]
            [1.0, 1.5, 2.25]
        """
        floor = self.min_interval
        if expected is None or expected <= 0:
            # Nothing known: back off gently from the minimum.
            base = self.min_interval * (1.0 + elapsed / 30.0)
        else:
            earliest = expected * (1.0 - self.spread)
            latest = expected * (1.0 + self.spread)
            if latest - earliest < SHORT_WINDOW * self.min_interval and elapsed >= earliest:
                # A short job's likely ends span a few seconds: a second between polls
                # there is a large share of it (the end known ~0.5 s late, as by a client
                # polling every second all along), so half of it.
                floor = self.min_interval / 2.0
            near = max(floor, self.near * expected)
            if elapsed < earliest:
                base = max(near, self.approach * (earliest - elapsed))
            elif elapsed <= latest:
                base = near
            else:
                late = (elapsed - latest) / expected
                base = near * (1.0 + 4.0 * late)
        # By half, not doubling: a job of 8 s on a server the catalog thinks takes 157 s is
        # seen done at 8.1 s (polls at 1, 2.5, 4.75, 8.1 s), not at 15 s (1, 3, 7, 15 s).
        base = min(base, self.min_interval * PROBE_GROWTH ** min(polls, 40))
        base = min(self.max_interval, max(floor, base))
        if self.jitter:
            base *= 1.0 + self.rng.uniform(-self.jitter, self.jitter)
        return round(max(floor * 0.5, base), 4)


def expected_seconds(
    typical: float | None, recent: Sequence[float], *, scale: float = 1.0
) -> float | None:
    """The expected run time: the median of recent runs when there are a few, else typical.

    ``recent`` are submit-to-finish times of this provider's, model's and server's recent
    completed jobs (from the store); ``scale`` divides the catalog figure (the in-process
    emulator runs ``time_scale`` times faster than the real service).

    Example:
        >>> expected_seconds(141.0, []), expected_seconds(141.0, [], scale=16.0)
        (141.0, 8.8125)
        >>> expected_seconds(141.0, [9.0, 10.0, 11.0])
        10.0
    """
    runs = [r for r in recent if r > 0]
    if len(runs) >= 2:
        return float(statistics.median(runs[-10:]))
    if typical is None:
        return runs[0] if runs else None
    guess = typical / scale
    # One run seen: trust it halfway (a slow first job should not make all later ones lazy).
    return (guess + runs[0]) / 2 if runs else guess


@dataclass
class Backoff:
    """Exponential back-off with full jitter, for retries of polls and downloads.

    Example:
        >>> b = Backoff(base=0.5, cap=8.0, rng=random.Random(1))
        >>> all(0 <= b.delay(n) <= min(8.0, 0.5 * 2**n) for n in range(6))
        True
    """

    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (0-based).

        Example:
            >>> Backoff(base=1.0, cap=4.0, rng=random.Random(0)).delay(10) <= 4.0
            True
        """
        return self.rng.uniform(0.0, min(self.cap, self.base * 2.0**attempt))


def apply_update(job: Job, update: Update, *, now: float) -> Job:
    """The job after ``update``: status, reason, URL, billed cost and timings.

    ``started_at`` is when we first saw it processing; ``finished_at`` is the server's
    own figure when it reports one (Segmind's ``total_time``), else when we saw the end.

    Example:
        >>> j = Job(id="a", provider="segmind", model="m", submitted_at=100.0)
        >>> j = apply_update(j, Update("processing"), now=110.0)
        >>> j = apply_update(j, Update("completed", video_url="http://h/v.mp4", cost_usd=0.35,
        ...                            run_seconds=15.0), now=120.0)
        >>> j.status, j.started_at, j.finished_at, str(j.cost)
        ('completed', 110.0, 115.0, '$0.35')
    """
    changes: dict[str, object] = {"status": update.status}
    # Known only while queued, and only as fresh as the last answer.
    changes["queue_position"] = update.queue_position if update.status == "queued" else None
    if update.raw is not None:
        changes["raw"] = update.raw
    if update.status == "processing" and job.started_at is None:
        changes["started_at"] = now
    if update.status in ("completed", "failed", "expired", "cancelled"):
        finished = now
        if update.run_seconds is not None and job.submitted_at is not None:
            finished = min(now, job.submitted_at + update.run_seconds)
        changes["finished_at"] = finished
        if update.status != "completed":
            changes["error"] = update.reason or update.status
    if update.video_url:
        changes["video_url"] = update.video_url
    if update.cost_usd is not None:
        changes["cost"] = Cost(update.cost_usd, estimated=False)
    return dataclasses.replace(job, **changes)  # type: ignore[arg-type]
