"""One request budget per provider, shared by every job of a client: a token bucket.

Every API request (submit, poll, result, upload) takes a token first, so sixteen jobs
polled at once still send at most ``requests_per_minute`` requests a minute instead of
a storm of 429s. When the server says it is rate limited, :meth:`RateBudget.pause_until`
holds *all* requests until the time it named, not just the one that was refused.

Example:
    >>> import asyncio
    >>> async def demo():
    ...     budget = RateBudget(requests_per_minute=600, burst=2)
    ...     return [await budget.acquire() for _ in range(3)]
    >>> waits = asyncio.run(demo())
    >>> waits[0] == waits[1] == 0.0 and 0.05 < waits[2] < 0.2
    True
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["RateBudget"]


class RateBudget:
    """A token bucket refilled at ``requests_per_minute``; ``burst`` tokens at most.

    The default burst is a fifth of the minute's budget (at least 1): a batch of
    submits goes out at once, and the rest of the minute is paced evenly.

    Example:
        >>> RateBudget(requests_per_minute=5).burst
        1
    """

    def __init__(
        self,
        requests_per_minute: float,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be more than 0")
        self.rate = requests_per_minute / 60.0  # tokens per second
        self.burst = burst if burst is not None else max(1, int(requests_per_minute / 5))
        self._tokens = float(self.burst)
        self._clock = clock
        self._wall = wall
        self._stamp = clock()
        self._paused_until = 0.0  # monotonic
        self._lock = asyncio.Lock()
        self.requests = 0  # tokens handed out: what this client asked of the provider
        self.waited = 0.0  # total seconds callers spent waiting for a token

    def __repr__(self) -> str:
        return f"RateBudget({self.rate * 60:g}/min, burst={self.burst})"

    def pause_until(self, unix_time: float) -> None:
        """Hold every request until ``unix_time`` (a server's rate-limit reset time).

        Example:
            >>> b = RateBudget(60)
            >>> b.pause_until(time.time() + 5)
            >>> 4 < b.paused_for() <= 5
            True
        """
        until = self._clock() + max(0.0, unix_time - self._wall())
        self._paused_until = max(self._paused_until, until)
        # The server counted requests we did not see: start the refill from empty.
        self._tokens = 0.0
        self._stamp = max(self._stamp, until)

    def paused_for(self) -> float:
        """Seconds left in a server-imposed pause (0 when none).

        Example:
            >>> RateBudget(60).paused_for()
            0.0
        """
        return max(0.0, self._paused_until - self._clock())

    def refund(self) -> None:
        """Give back a token whose request never left (the connection was refused).

        Example:
            >>> b = RateBudget(60, burst=1)
            >>> _ = asyncio.run(b.acquire()); b.refund(); b.requests
            0
        """
        self._tokens = min(float(self.burst), self._tokens + 1.0)
        self.requests = max(0, self.requests - 1)

    async def acquire(self) -> float:
        """Wait for a token; return how long we waited (seconds).

        The lock makes waiters queue in order, so no job starves another.

        Example:
            >>> asyncio.run(RateBudget(60).acquire())
            0.0
        """
        start = self._clock()
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                if now > self._stamp:
                    self._tokens = min(
                        float(self.burst), self._tokens + (now - self._stamp) * self.rate
                    )
                    self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    break
                await asyncio.sleep((1.0 - self._tokens) / self.rate)
        waited = self._clock() - start
        self.requests += 1
        self.waited += waited
        return round(waited, 6) if waited > 1e-3 else 0.0
