"""The only place requests are sent: the request budget, retries with back-off, downloads.

Retry policy, decided here once:

- **Polls, results, uploads and downloads** are safe to repeat: retried with exponential
  back-off and jitter on 429, 5xx, unreadable answers and network errors.
- **A submit creates a billable job** and no provider offers an idempotency key. It is
  retried only when the server provably did not take it: a 429 (or MiniMax's 1002), or a
  connection that was never made. Any other failure after the request may have reached
  the server raises :class:`SubmitUncertain`: the job may exist, and it was NOT sent again.

Every request first takes a token of the provider's request budget
(:class:`~hailuo_nb.ratelimit.RateBudget`) at its ``rank`` (who goes first when requests
must wait), and tells the budget how it went: a 429 pauses it and lowers the learnt rate,
an answer may raise it, a request never sent gives its token back. A wait of more than
``Retry.note_after`` seconds is said on the job (``notify``) while it lasts.

Example:
    >>> Retry().attempts
    6
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx

from .download import check_url, stream_to_file
from .errors import (
    DownloadError,
    NetworkError,
    ProviderError,
    RateLimited,
    SubmitUncertain,
    transient,
)
from .polling import Backoff
from .providers.base import HttpRequest, parse_retry_at
from .ratelimit import SUBMIT, RateBudget, Ticket

__all__ = ["Http", "Notify", "Rank", "Retry", "Sending", "SubmitUncertain", "wait_note"]

T = TypeVar("T")
# Never sent: the connection was not made (refused, DNS, connect timeout, pool full).
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass
class Retry:
    """How hard to try: attempts per call, and the back-off between them.

    ``rate_limit_attempts`` is separate and larger: a 429 costs nothing and the budget
    pause already spaces the retries.

    Example:
        >>> Retry(attempts=3).backoff.cap
        30.0
    """

    attempts: int = 6
    # A refused connection rarely heals within seconds (wrong URL, server down): fail fast.
    connect_attempts: int = 3
    rate_limit_attempts: int = 20
    # Honour the server's reset time (a daily quota may reset hours away), but no longer
    # than an hour at a time: a wrong clock must not stall a job for days.
    max_pause: float = 3600.0
    # A pause longer than this is said at once (on the job, or to the submitting cell):
    # waiting silently for many minutes looks like a hang.
    notice_after: float = 120.0
    # A request waiting longer than this for the request budget says so on its job.
    note_after: float = 2.0
    # A poll that failed after all its attempts lost nothing (the job runs on remotely), so
    # the follow loop polls again at its next scheduled time; only this many failed poll
    # cycles in a row (a long outage) end the follow with an error naming the job.
    failed_polls: int = 10
    backoff: Backoff = field(default_factory=Backoff)

    def pause_until(self, retry_at: float | None, limited: int) -> float:
        """The UNIX time to wait for after the ``limited``-th rate-limit answer in a row.

        Example:
            >>> Retry(max_pause=10.0).pause_until(time.time() + 3600, 1) < time.time() + 11
            True
        """
        now = time.time()
        wanted = retry_at if retry_at is not None else now + self.backoff.delay(limited)
        return min(wanted, now + self.max_pause)


Notify = Callable[[str | None], None]
"""Told a passing remark about a request (a long rate-limit wait), then None when it passes.

Example:
    >>> say: Notify = print
"""
Rank = float | Callable[[], float]
"""A request's place when requests must wait: a number, or a function asked each time.

Example:
    >>> urgent: Rank = 0.0
"""
Sending = Callable[[bool], None]
"""Told True just before a submit leaves, False when a 429 proved it was not taken.

Example:
    >>> mark: Sending = lambda sent: None
"""


def wait_note(provider: str, until: float, exc: RateLimited) -> str:
    """The one line shown while a long rate-limit pause runs.

    Example:
        >>> wait_note("segmind", 0.0, RateLimited("quota", provider="segmind"))
        'rate limited until 00:00 UTC; waiting (segmind: quota)'
    """
    clock = time.strftime("%H:%M", time.gmtime(until))
    return f"rate limited until {clock} UTC; waiting ({provider}: {exc.message})"


class Http:
    """An ``httpx.AsyncClient`` plus the provider's request budget and the retry policy.

    The API key travels only in each :class:`HttpRequest`'s headers, never as a client
    default, so a video download from a CDN host never carries it.

    Example (needs a server)::

        http = Http("segmind", httpx.AsyncClient(), RateBudget(5))
        update = await http.call(adapter.poll_request(job_id), parse, idempotent=True)
    """

    def __init__(
        self,
        provider: str,
        client: httpx.AsyncClient,
        budget: RateBudget,
        retry: Retry | None = None,
    ) -> None:
        self.provider = provider
        self.client = client
        self.budget = budget
        self.retry = retry or Retry()

    async def call(
        self,
        request: HttpRequest,
        parse: Callable[[httpx.Response], T],
        *,
        idempotent: bool,
        timeout: float | None = None,
        notify: Notify | None = None,
        sending: Sending | None = None,
        rank: Rank = SUBMIT,
    ) -> T:
        """Send ``request`` within the budget, parse the answer, retry where it is safe.

        ``sending`` (a submit's journal) is told when the request leaves and when a 429
        proved it was not taken; ``notify`` is told of a wait for the budget or a long
        rate-limit pause (then None when it is over); ``rank`` orders waiting requests
        (:mod:`hailuo_nb.ratelimit`).

        Example (needs a server)::

            submitted = await http.call(req, adapter.parse_submit, idempotent=False)
        """
        attempt = limited = 0
        said: str | None = None  # the note this call put on its job, if any
        while True:
            ticket, said = await self._acquire(rank, notify, said)
            if sending is not None:
                sending(True)
            try:
                response = await self.client.request(
                    request.method,
                    request.url,
                    headers=request.headers,
                    json=request.json,
                    params=request.params,
                    data=request.data,
                    files=request.files,
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
                answer = parse(response)
                await self.budget.answered(ticket)
                if said is not None and notify is not None:
                    notify(None)  # the wait that was said is over
                return answer
            except RateLimited as exc:
                # Not taken, whatever the request was: wait as told, then ask again.
                if sending is not None:
                    sending(False)
                limited += 1
                if limited >= self.retry.rate_limit_attempts:
                    raise
                said = await self._pause(ticket, exc.retry_at, limited, exc, notify) or said
                continue
            except _NOT_SENT as exc:
                if sending is not None:
                    sending(False)
                await self.budget.refund(ticket)  # the server never saw it: none of our quota
                cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                failure: Exception = NetworkError(f"{self.provider}: cannot connect ({cause})")
                if attempt + 1 >= self.retry.connect_attempts:
                    raise failure from exc
            except httpx.TransportError as exc:
                cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if not idempotent:
                    raise SubmitUncertain(self.provider, cause) from exc
                failure = NetworkError(f"{self.provider}: {cause}")
            except ProviderError as exc:
                if not transient(exc):
                    raise  # a refusal: the same request would be refused again
                if not idempotent:
                    raise SubmitUncertain(self.provider, str(exc)) from exc
                failure = exc
            attempt += 1
            if attempt >= self.retry.attempts:
                raise failure
            await asyncio.sleep(self.retry.backoff.delay(attempt))

    async def _acquire(
        self, rank: Rank, notify: Notify | None, said: str | None
    ) -> tuple[Ticket, str | None]:
        """A token; a wait longer than ``Retry.note_after`` is said on the job meanwhile."""
        if notify is None:
            return await self.budget.acquire(rank), said
        waiting = asyncio.ensure_future(self.budget.acquire(rank))
        try:
            done, _ = await asyncio.wait({waiting}, timeout=self.retry.note_after)
            if not done and said is None:
                said = self.budget.note()
                notify(said)
            return await waiting, said
        except asyncio.CancelledError:
            waiting.cancel()
            raise

    async def _pause(
        self,
        ticket: Ticket,
        retry_at: float | None,
        limited: int,
        exc: RateLimited | None,
        notify: Notify | None,
    ) -> str | None:
        """A 429: the budget pauses (every request of every process sharing it) and learns.

        Returns the note said on the job when the pause is long, else None.
        """
        if retry_at is not None and retry_at == int(retry_at):
            # A reset named to the whole second (Segmind's header) may fall anywhere in
            # that second: waking at its start would draw another 429.
            retry_at += 1.0
        until = self.retry.pause_until(retry_at, limited)
        await self.budget.refused(ticket, until, named=retry_at is not None)
        if notify is not None and exc is not None and until - time.time() > self.retry.notice_after:
            note = wait_note(self.provider, until, exc)
            notify(note)
            return note
        return None

    async def submit_stream(
        self,
        request: HttpRequest,
        handle: Callable[[httpx.Response], Awaitable[T]],
        *,
        timeout: float,
        sending: Sending | None = None,
    ) -> T:
        """A submit whose answer is streamed to ``handle`` (Segmind v1: the video itself).

        Same rule as :meth:`call` for a submit: retried only on 429 or when never sent.

        Example (needs a server)::

            update = await http.submit_stream(req, save_video, timeout=900)
        """
        limited = attempt = 0
        while True:
            ticket = await self.budget.acquire(SUBMIT)
            if sending is not None:
                sending(True)
            try:
                async with self.client.stream(
                    request.method,
                    request.url,
                    headers=request.headers,
                    json=request.json,
                    timeout=timeout,
                ) as response:
                    if response.status_code != 429:
                        await self.budget.answered(ticket)
                        try:
                            return await handle(response)
                        except (ProviderError, DownloadError) as exc:
                            # The blocking call reached the server: a gateway error or a
                            # garbled answer may hide a job that runs (and is billed) on.
                            if isinstance(exc, RateLimited) or not transient(exc):
                                raise
                            raise SubmitUncertain(self.provider, str(exc)) from exc
                    await response.aread()
                    retry_at = parse_retry_at(response.headers)
                    if sending is not None:
                        sending(False)
            except _NOT_SENT as exc:
                if sending is not None:
                    sending(False)
                await self.budget.refund(ticket)
                attempt += 1
                if attempt >= self.retry.connect_attempts:
                    raise NetworkError(f"{self.provider}: cannot connect ({exc!r})") from exc
                await asyncio.sleep(self.retry.backoff.delay(attempt))
                continue
            except httpx.TransportError as exc:
                raise SubmitUncertain(self.provider, f"{type(exc).__name__}: {exc}") from exc
            limited += 1
            if limited >= self.retry.rate_limit_attempts:
                raise RateLimited("too many requests", provider=self.provider, status_code=429)
            await self._pause(ticket, retry_at, limited, None, None)

    async def download(self, url: str, target: Path, *, max_bytes: int) -> int:
        """Stream ``url`` into ``target`` (atomically), retrying transient failures.

        No API key is sent and no budget token taken: video URLs are signed files,
        usually on a CDN, and downloads do not count against the API's rate limit.

        Example (needs a server)::

            size = await http.download(job.video_url, path, max_bytes=2 * 10**9)
        """
        check_url(url)
        attempt = 0
        while True:
            try:
                async with self.client.stream("GET", url) as response:
                    if response.status_code in (401, 403, 404, 410):
                        raise DownloadError(
                            f"the video URL answered HTTP {response.status_code}"
                            " (it may have expired)",
                            gone=True,
                        )
                    if response.status_code == 429 or response.status_code >= 500:
                        failure: Exception = NetworkError(
                            f"video download: HTTP {response.status_code}"
                        )
                    elif not response.is_success:
                        raise DownloadError(f"the video URL answered HTTP {response.status_code}")
                    else:
                        return await stream_to_file(response, target, max_bytes=max_bytes)
            except httpx.TransportError as exc:
                failure = NetworkError(f"video download: {type(exc).__name__}: {exc}")
            except DownloadError as exc:
                if not transient(exc):
                    raise
                failure = exc
            attempt += 1
            if attempt >= self.retry.attempts:
                raise failure
            await asyncio.sleep(self.retry.backoff.delay(attempt))
