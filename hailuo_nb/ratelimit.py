"""The request budget: how many requests a minute, learnt from the server, and who goes first.

Every API request (submit, poll, result, upload) takes a token first. Three parts:

- **How many** (:class:`Bucket`): a token bucket refilled at the rate, and never more
  than the rate in any window of a minute (the servers count a sliding or fixed minute,
  so a bucket's burst alone could pass them). The numbers live in a :class:`Book`: this
  process's memory, or a small file every process using the same key shares
  (:mod:`hailuo_nb.ratestate`).
- **What the server allows** (:func:`lowered`, :func:`raised`): without an explicit
  ``requests_per_minute`` the rate starts at the provider's published paid tier and is
  learnt. A 429 pauses every request until the reset the server named and lowers the rate:
  to what got through in the past minute when that is at least the free tier (the server
  just told us that was its limit), else by half; a 429 whose reset is only seconds away
  is a burst limit, not the minute's budget, and lowers it by a tenth. Never below the
  published free tier. While requests wait for the budget and answers keep coming, the
  rate grows by one a minute per minute (ten times slower near a rate that was refused).
  An explicit ``requests_per_minute`` is the rate: never exceeded and never learnt.
- **Who goes first** (:func:`poll_rank`, :class:`RateBudget`): every request has a
  *rank*, from 0 to 100, how unlikely it is to be worth its token. Fetching the result of
  a job known complete ranks 0; a poll ranks 5 past its job's latest likely end and 60 at
  its earliest (its chance of finding the job done in between, run times being spread
  evenly over ``expected × (1 ± spread)``), 60-100 before that or while the job is still
  queued; a submit (or an upload) ranks 40, after polls more likely than not to find
  their job done. When requests must wait, the next token goes to the lowest rank minus
  the seconds waited (so nothing waits forever behind newer requests). And a request
  takes a token only if it leaves some in the bucket for better ones: the lower its
  value (``1 − rank / 100``, plus what its wait has earned), the more it leaves, up to
  six (``need``); only a result fetch may take the last. The follower also spaces out
  polls of jobs far from their end so that they use at most a tenth of the budget
  (:attr:`RateBudget.interval`), and wakes a job's siblings when it finishes much sooner
  than expected.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     budget = RateBudget(requests_per_minute=600, burst=3)
    ...     return [(await budget.acquire()).waited for _ in range(3)]
    >>> waits = asyncio.run(demo())
    >>> waits[0] == waits[1] == 0.0 and 0.05 < waits[2] < 0.2
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol, TypeVar

__all__ = [
    "AGE",
    "FAR",
    "RESERVE",
    "RESULT",
    "SUBMIT",
    "Book",
    "Bucket",
    "Limits",
    "MemoryBook",
    "RateBudget",
    "Ticket",
    "lowered",
    "need",
    "poll_rank",
    "raised",
]

T = TypeVar("T")

RESULT = 0.0
"""Rank of a result fetch for a job known complete (Segmind's result, MiniMax's file).

Example:
    >>> RESULT < poll_rank(200.0, 100.0) < SUBMIT
    True
"""
SUBMIT = 40.0
"""Rank of a submit, an upload or any request that is not a poll.

Example:
    >>> poll_rank(92.0, 100.0) < SUBMIT < poll_rank(88.0, 100.0)
    True
"""
FAR = 60.0
"""Ranks from here up are polls of jobs before their earliest likely end (or queued).

Example:
    >>> poll_rank(10.0, 100.0) > FAR >= poll_rank(85.0, 100.0)
    True
"""
AGE = 60.0
"""Seconds (the server's) of waiting that make any request worth a whole token.

Example:
    >>> need(100.0, 0.0, burst=10.0), need(100.0, AGE, burst=10.0)
    (7.0, 2.0)
"""
RESERVE = 6.0
"""Tokens a request of no value leaves in the bucket for better ones.

Example:
    >>> need(100.0, 0.0, burst=50.0) - 1.0 == RESERVE
    True
"""
# Requests logged for the one-minute window at most: above this rate (tests and the
# in-process emulator use thousands a minute) only the bucket paces them.
LOG_MAX = 1000
# A learnt rate not used for a day is forgotten: start again from the published rate.
FORGET_AFTER = 86400.0


def poll_rank(
    elapsed: float, expected: float | None, *, spread: float = 0.15, queued: bool = False
) -> float:
    """A poll's rank: lower when its job is more likely finished (by its expected end).

    Run times are taken as spread evenly over ``expected × (1 ± spread)``: from the
    earliest likely end (60) the rank falls with the chance that the job is done, to 5 at
    the latest; before the earliest it is 60 to 100 (far from the end). A job still
    ``queued`` past its earliest end has not started, so it is not near its end either
    (80). Unknown expected time: a submit's rank.

    Example:
        >>> [round(poll_rank(t, 100.0)) for t in (0.0, 50.0, 85.0, 100.0, 115.0, 300.0)]
        [100, 76, 60, 32, 5, 5]
        >>> poll_rank(300.0, 100.0, queued=True)
        80.0
    """
    if expected is None or expected <= 0:
        return SUBMIT
    earliest = expected * (1.0 - spread)
    latest = expected * (1.0 + spread)
    if queued and elapsed >= earliest:
        return 80.0
    if elapsed < earliest:
        return FAR + (100.0 - FAR) * (earliest - elapsed) / earliest
    done = min(1.0, (elapsed - earliest) / max(latest - earliest, 1e-9))
    return 5.0 + (FAR - 5.0) * (1.0 - done)


def need(rank: float, waited: float, *, burst: float) -> float:
    """Tokens a request of ``rank`` needs in the bucket (it takes one, leaves the rest).

    Its value is ``1 − rank / 100``, plus ``waited / AGE`` (seconds waited, the
    server's). A request of no value leaves ``RESERVE`` tokens for better ones (all but
    one of a small bucket), fewer as its value grows; anything but a result fetch (rank
    below 1) leaves at least one.

    Example:
        >>> need(RESULT, 0.0, burst=10.0), need(SUBMIT, 0.0, burst=10.0)
        (1.0, 3.4)
        >>> need(100.0, 0.0, burst=10.0), need(100.0, 0.0, burst=4.0)
        (7.0, 4.0)
        >>> need(SUBMIT, 600.0, burst=10.0)
        2.0
    """
    value = min(1.0, max(0.0, 1.0 - rank / 100.0) + waited / AGE)
    wanted = 1.0 + (1.0 - value) * min(RESERVE, max(burst, 1.0) - 1.0)
    # Only a result fetch may take the last token, however long the others waited (they
    # get theirs: nothing else takes the last one, so the bucket always gets back to two).
    return round(wanted if rank < 1.0 else max(2.0, wanted), 6)


def lowered(
    rate: float, *, floor: float, got_through: int, pause: float | None, window: float
) -> float:
    """The learnt rate after a 429 (requests per window).

    ``got_through`` is how many requests the server took in the past window (this
    machine's, every process sharing the key); ``pause`` how long the server asked us to
    wait (None: it did not say).

    Example:
        >>> lowered(50.0, floor=5.0, got_through=5, pause=55.0, window=60.0)  # a free tier
        5.0
        >>> lowered(50.0, floor=5.0, got_through=2, pause=None, window=60.0)  # no clue: halve
        25.0
        >>> lowered(50.0, floor=5.0, got_through=2, pause=1.0, window=60.0)   # a burst limit
        45.0
        >>> lowered(6.0, floor=5.0, got_through=3, pause=40.0, window=60.0)
        5.0
    """
    if pause is not None and pause < window / 6.0:
        new = rate * 0.9
    elif got_through >= floor:
        new = min(rate * 0.9, float(got_through))
    else:
        new = rate / 2.0
    return max(floor, new)


def raised(rate: float, *, refused_at: float | None) -> float:
    """The learnt rate after one more answered request while the budget was spent to the
    full: one more a minute per minute of such answers, ten times slower within one of a
    rate that was refused.

    Example:
        >>> round(raised(5.0, refused_at=None), 3)
        5.2
        >>> round(raised(5.0, refused_at=5.5), 3)
        5.02
    """
    step = 1.0 / max(rate, 1.0)
    if refused_at is not None and rate + 1.0 >= refused_at:
        step /= 10.0
    return rate + step


@dataclass(frozen=True)
class Limits:
    """What one budget is told: its rate to start from, its floor, whether it is fixed.

    ``window`` is the server's minute in our seconds (60; ``60 / time_scale`` for a
    sped-up emulator). Rates are requests per window.

    Example:
        >>> Limits(start=50.0, floor=5.0).burst(50.0)
        10.0
    """

    start: float
    floor: float = 1.0
    fixed: bool = False
    window: float = 60.0
    burst_size: float | None = None

    def rate(self, bucket: Bucket) -> float:
        """The rate in force: the fixed one, else the learnt one."""
        return self.start if self.fixed else bucket.rate

    def burst(self, rate: float) -> float:
        """Tokens the bucket holds at most: a fifth of the minute, at least 4."""
        if self.burst_size is not None:
            return float(self.burst_size)
        return max(4.0, rate / 5.0)


@dataclass
class Bucket:
    """The numbers of one budget, as kept in memory or in the shared file. Times are UNIX.

    Example:
        >>> b = Bucket.fresh(Limits(start=5.0), now=0.0)
        >>> b.take(0.0, Limits(start=5.0)), b.take(0.0, Limits(start=5.0))
        (0.0, 0.0)
    """

    rate: float
    tokens: float
    stamp: float
    paused_until: float = 0.0
    sent: list[float] = field(default_factory=list)
    lowered_at: float = 0.0
    refused_at: float | None = None  # the rate a 429 last came at

    @classmethod
    def fresh(cls, limits: Limits, now: float) -> Bucket:
        """A new budget: the starting rate, a full bucket."""
        return cls(rate=limits.start, tokens=limits.burst(limits.start), stamp=now)

    def in_window(self, now: float, window: float) -> int:
        """Requests sent (and not refused) in the past window."""
        cut = now - window
        self.sent = [t for t in self.sent if t > cut]
        return len(self.sent)

    def take(self, now: float, limits: Limits, need: float = 1.0) -> float:
        """Take a token: 0.0, or the seconds until one could be taken.

        ``need`` tokens (and places left in the minute) must be there, and one is taken:
        a request of less value leaves more for better ones (see :func:`need`).

        Example:
            >>> lim = Limits(start=60.0, burst_size=2)
            >>> b = Bucket.fresh(lim, now=0.0)
            >>> b.take(0.0, lim, 2.0), b.take(0.0, lim, 2.0), b.take(0.0, lim, 1.0)
            (0.0, 1.0, 0.0)
        """
        if now < self.paused_until:
            return self.paused_until - now
        rate = limits.rate(self)
        per_second = rate / limits.window
        burst = limits.burst(rate)
        need = max(1.0, min(need, burst))
        if now > self.stamp:
            self.tokens = min(burst, self.tokens + (now - self.stamp) * per_second)
            self.stamp = now
        wait = 0.0
        if self.tokens < need - 1e-9:
            wait = (need - self.tokens) / per_second
        if rate <= LOG_MAX:
            capacity = max(1, int(rate))
            # A little longer than the server's minute: our send times are a few
            # milliseconds before its arrival times.
            span = limits.window * 1.02
            excess = math.ceil(self.in_window(now, span) + min(need, capacity) - capacity)
            if excess > 0:
                wait = max(wait, self.sent[excess - 1] + span - now)
        if wait > 0:
            return max(wait, 1e-3)
        self.tokens -= 1.0
        if rate <= LOG_MAX:
            self.sent.append(now)
        return 0.0

    def give_back(self, sent_at: float, limits: Limits) -> None:
        """A request that never reached the server: its token and its place come back."""
        self._forget(sent_at)
        self.tokens = min(limits.burst(limits.rate(self)), self.tokens + 1.0)

    def refused(
        self, now: float, sent_at: float, until: float | None, limits: Limits, *, named: bool = True
    ) -> None:
        """A 429: pause everything until ``until`` and learn (once per episode).

        ``named`` says the server named that time (else it is our own back-off, and says
        nothing about the kind of limit).

        Example:
            >>> lim = Limits(start=50.0, floor=5.0)
            >>> b = Bucket.fresh(lim, now=0.0)
            >>> for _ in range(6):
            ...     _ = b.take(0.0, lim)
            >>> b.refused(1.0, 0.0, 60.0, lim); b.rate, b.paused_until
            (5.0, 60.0)
        """
        self._forget(sent_at)
        pause = None if until is None or not named else max(0.0, until - now)
        if until is not None:
            self.paused_until = max(self.paused_until, until)
            # The server counted requests we did not see: start the refill from empty.
            self.tokens = 0.0
            self.stamp = max(self.stamp, until)
        if limits.fixed or sent_at < self.lowered_at:
            return  # a fixed rate; or sent before the last lowering: old news
        got = self.in_window(now, limits.window)
        new = lowered(
            self.rate, floor=limits.floor, got_through=got, pause=pause, window=limits.window
        )
        if new < self.rate:
            # What was refused: the request after those the server took, or our rate.
            self.refused_at = min(self.rate, float(got + 1)) if got else self.rate
            self.rate = new
            self.lowered_at = now

    def answered(self, limits: Limits, *, busy: bool) -> bool:
        """An answer that was not a 429: grow the rate if the request had to wait for the
        budget (``busy``: the budget, not the server, was what held it back).

        Returns whether anything changed (a shared file need not be written otherwise).

        Example:
            >>> lim = Limits(start=5.0)
            >>> b = Bucket.fresh(lim, now=0.0)
            >>> b.answered(lim, busy=False), b.answered(lim, busy=True), b.rate > 5.0
            (False, True, True)
        """
        if limits.fixed or not busy or self.rate > LOG_MAX:
            return False
        self.rate = raised(self.rate, refused_at=self.refused_at)
        return True

    def _forget(self, sent_at: float) -> None:
        with contextlib.suppress(ValueError):
            self.sent.remove(sent_at)


class Book(Protocol):
    """Where a budget's :class:`Bucket` lives; ``apply`` runs a change on it atomically."""

    async def apply(self, change: Callable[[Bucket], T]) -> T:
        """Run ``change`` on the bucket (read, change, write as one step)."""
        ...

    def describe(self) -> str:
        """Where the numbers live, in a few words."""
        ...


class MemoryBook:
    """The bucket in this process's memory (the in-process emulator, a state file that
    failed, ``HAILUO_BUDGET_STATE=off``).

    Example:
        >>> book = MemoryBook(Limits(start=5.0))
        >>> asyncio.run(book.apply(lambda b: b.rate))
        5.0
    """

    def __init__(self, limits: Limits, bucket: Bucket | None = None) -> None:
        self.bucket = bucket or Bucket.fresh(limits, time.time())

    async def apply(self, change: Callable[[Bucket], T]) -> T:
        return change(self.bucket)

    def describe(self) -> str:
        return "this process only"


@dataclass(frozen=True)
class Ticket:
    """A granted token: when it was granted (the request's send time) and the wait.

    Example:
        >>> Ticket(sent_at=1.0, waited=0.0).waited
        0.0
    """

    sent_at: float
    waited: float
    # It had to wait, or others were still waiting: the budget held requests back.
    busy: bool = False


@dataclass(eq=False)
class _Waiter:
    rank: Callable[[], float]
    since: float
    future: asyncio.Future[Ticket]


class RateBudget:
    """One provider's request budget for a client: learning, sharing, and order of service.

    ``requests_per_minute`` is the rate to start from; with ``learn`` it adapts between
    ``floor`` and whatever the server allows, else it is fixed. ``book`` makes the
    :class:`Book` that keeps the numbers from the limits (default: this process's memory;
    :class:`~hailuo_nb.ratestate.SharedBook` shares them); ``scale`` speeds the minute up
    for an emulator whose clock runs faster (benchmarks). ``label`` names the provider in
    notes ("Segmind's").

    Example:
        >>> b = RateBudget(requests_per_minute=5)
        >>> b.rate, b.learning
        (5.0, False)
    """

    def __init__(
        self,
        requests_per_minute: float,
        *,
        floor: float | None = None,
        learn: bool = False,
        burst: float | None = None,
        book: Callable[[Limits], Book] | None = None,
        scale: float = 1.0,
        clock: Callable[[], float] = time.time,
        label: str = "the provider's",
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be more than 0")
        self.limits = Limits(
            start=float(requests_per_minute),
            floor=min(
                float(floor if floor is not None else requests_per_minute),
                float(requests_per_minute),
            ),
            fixed=not learn,
            window=60.0 / scale,
            burst_size=burst,
        )
        self.scale = scale
        self.book: Book = book(self.limits) if book is not None else MemoryBook(self.limits)
        self.label = label
        self._clock = clock
        self._waiters: list[_Waiter] = []
        self._wake: asyncio.Event | None = None
        self._pump_task: asyncio.Task[None] | None = None
        self._rate = float(requests_per_minute)  # last seen in the book
        self._paused_until = 0.0
        self.requests = 0  # tokens handed out: what this client asked of the provider
        self.waited = 0.0  # total seconds callers spent waiting for a token
        self.limited = 0  # 429s seen

    def __repr__(self) -> str:
        kind = "learnt" if self.learning else "fixed"
        return f"RateBudget({self.rate:g}/min {kind}, {self.book.describe()})"

    @property
    def learning(self) -> bool:
        """True when the rate is learnt from the server (no explicit requests_per_minute)."""
        return not self.limits.fixed

    @property
    def rate(self) -> float:
        """The rate in force, requests per minute (the last one read from the book)."""
        return self.limits.start if self.limits.fixed else round(self._rate, 2)

    @property
    def interval(self) -> float:
        """Seconds between two tokens at the rate in force (in our clock).

        Example:
            >>> RateBudget(30).interval
            2.0
        """
        return self.limits.window / max(self.rate, 1e-9)

    def note(self) -> str:
        """What a job waiting for a token shows.

        Example:
            >>> RateBudget(5, label="Segmind's").note()
            "waiting for Segmind's request budget, ~5/min"
        """
        paused = self.paused_for()
        if paused > 2.0:
            clock = time.strftime("%H:%M:%S", time.gmtime(self._paused_until))
            return (
                f"waiting for {self.label} request budget: the server asked for a pause"
                f" until {clock} UTC"
            )
        return f"waiting for {self.label} request budget, ~{self.rate:.3g}/min"

    def paused_for(self) -> float:
        """Seconds left in a server-imposed pause, as last seen (0 when none).

        Example:
            >>> RateBudget(60).paused_for()
            0.0
        """
        return max(0.0, self._paused_until - self._clock())

    def pause_until(self, unix_time: float) -> None:
        """Hold every request of this process until ``unix_time``, learning nothing (a
        429 goes through :meth:`refused`, which also pauses the processes sharing it).

        Example:
            >>> b = RateBudget(60)
            >>> b.pause_until(time.time() + 5)
            >>> 4 < b.paused_for() <= 5
            True
        """
        book = self.book
        if isinstance(book, MemoryBook):
            bucket = book.bucket
            bucket.paused_until = max(bucket.paused_until, unix_time)
            bucket.tokens, bucket.stamp = 0.0, max(bucket.stamp, unix_time)
        self._paused_until = max(self._paused_until, unix_time)

    async def acquire(self, rank: float | Callable[[], float] = SUBMIT) -> Ticket:
        """Wait for a token; the lower the rank, the sooner (see the module).

        ``rank`` may be a function, asked again each time a token is handed out (a poll
        becomes more urgent as its job nears its end). Cancelling the wait takes nothing.

        Example:
            >>> asyncio.run(RateBudget(60).acquire()).waited
            0.0
        """
        value = rank if callable(rank) else (lambda r=float(rank): r)
        loop = asyncio.get_running_loop()
        waiter = _Waiter(value, self._clock(), loop.create_future())
        self._waiters.append(waiter)
        self._kick()
        try:
            ticket = await waiter.future
        except asyncio.CancelledError:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            elif waiter.future.done() and not waiter.future.cancelled():
                # Granted just as we were cancelled: the request will not leave.
                await asyncio.shield(self.refund(waiter.future.result()))
            raise
        self.requests += 1
        self.waited += ticket.waited
        return ticket

    async def refund(self, ticket: Ticket | None = None) -> None:
        """Give back a token whose request never left (the connection was refused).

        Example:
            >>> async def demo():
            ...     b = RateBudget(60, burst=1)
            ...     await b.refund(await b.acquire())
            ...     return b.requests
            >>> asyncio.run(demo())
            0
        """
        sent_at = ticket.sent_at if ticket is not None else -1.0
        await self.book.apply(partial(Bucket.give_back, sent_at=sent_at, limits=self.limits))
        self.requests = max(0, self.requests - 1)
        self._kick()

    async def refused(self, ticket: Ticket, until: float | None, *, named: bool = True) -> None:
        """A 429 for ``ticket``'s request: pause until ``until`` (UNIX) and learn.

        ``named``: the server named that time (else it is our back-off: see :func:`lowered`).

        Example:
            >>> async def demo():
            ...     b = RateBudget(50, floor=5, learn=True)
            ...     t = await b.acquire()
            ...     await b.refused(t, None)
            ...     return b.rate
            >>> asyncio.run(demo())
            25.0
        """
        now = self._clock()
        self.limited += 1

        def change(b: Bucket) -> tuple[float, float]:
            b.refused(now, ticket.sent_at, until, self.limits, named=named)
            return b.rate, b.paused_until

        self._rate, paused = await self.book.apply(change)
        self._paused_until = max(self._paused_until, paused)

    async def answered(self, ticket: Ticket | None = None) -> None:
        """An answer that was not a 429: the rate may grow (see :func:`raised`) if the
        request had to wait for the budget (``ticket.busy``; no ticket: as if it had).

        Example:
            >>> asyncio.run(RateBudget(5).answered())
        """
        if self.limits.fixed or (ticket is not None and not ticket.busy):
            return
        self._rate = await self.book.apply(partial(_answered, limits=self.limits))

    # -- the order of service -----------------------------------------------------
    def _kick(self) -> None:
        loop = asyncio.get_running_loop()
        task = self._pump_task
        if task is None or task.done() or task.get_loop() is not loop:
            # One pump per event loop (a budget outlives an asyncio.run in doctests).
            self._wake = asyncio.Event()
            self._pump_task = loop.create_task(self._pump())
        assert self._wake is not None
        self._wake.set()

    def _ordered(self, now: float) -> list[tuple[_Waiter, float, float]]:
        """Waiters in order of service, each with its rank now and its wait (the server's
        seconds): aging makes a second of waiting worth a point of rank."""
        scored = []
        for w in self._waiters:
            waited = (now - w.since) * self.scale
            rank = w.rank()
            scored.append((rank - waited, w.since, w, rank, waited))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [(w, rank, waited) for _, _, w, rank, waited in scored]

    async def _pump(self) -> None:
        try:
            await self._serve()
        except Exception as exc:  # a bug must not leave requests waiting for ever
            for waiter in self._waiters:
                if not waiter.future.done():
                    waiter.future.set_exception(exc)
            self._waiters.clear()
            raise

    async def _serve(self) -> None:
        wake = self._wake
        assert wake is not None
        while self._waiters:
            wake.clear()
            now = self._clock()
            wait = 5.0  # look again at least this often: other processes share the book
            refused = math.inf  # the least need the bucket said no to, this round
            burst = self.limits.burst(self.rate)
            for waiter, rank, waited in self._ordered(now):
                if waiter.future.done():
                    self._drop(waiter)
                    continue
                wanted = need(rank, waited, burst=burst)
                if wanted >= refused:
                    continue  # the bucket just said no to as much

                def take(
                    b: Bucket, wanted: float = wanted, now: float = now
                ) -> tuple[float, float, float]:
                    return b.take(now, self.limits, wanted), b.rate, b.paused_until

                got, self._rate, self._paused_until = await self.book.apply(take)
                if got == 0.0:
                    self._drop(waiter)
                    if waiter.future.done():  # cancelled meanwhile: the token goes back
                        await self.book.apply(
                            partial(Bucket.give_back, sent_at=now, limits=self.limits)
                        )
                    else:
                        spent = max(0.0, self._clock() - waiter.since)
                        busy = spent > 1e-3 or any(not w.future.done() for w in self._waiters)
                        waited = round(spent, 6) if spent > 1e-3 else 0.0
                        waiter.future.set_result(Ticket(sent_at=now, waited=waited, busy=busy))
                    wait = 0.0
                    break
                wait = min(wait, got)
                refused = wanted
                if wanted <= 1.0:
                    break  # nothing smaller to try
                # Its value grows as it waits: look again when it needs a token less.
                wait = min(wait, max(1e-3, AGE / max(burst - 1.0, 1.0) / self.scale))
            if wait > 0.0 and self._waiters:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=wait)

    def _drop(self, waiter: _Waiter) -> None:
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)


def _answered(bucket: Bucket, limits: Limits) -> float:
    bucket.answered(limits, busy=True)
    return bucket.rate
