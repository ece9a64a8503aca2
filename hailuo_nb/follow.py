"""Following one job to its end: poll on the adaptive schedule, then download the video.

The :class:`~hailuo_nb.client.Client` starts one task per job running
:meth:`Follower.follow` (or :meth:`Follower.run_v1` for Segmind v1, whose answer is the
video itself). Every change goes through the client's ``publish`` callback, which records
it in the store and tells the listeners; the follower itself keeps no state but the jobs
mapping it shares with the client.

Each job is asked about at its own server (``adapter_for(job)``). A job the provider says it
does not know is ``expired`` only past the provider's documented status window; within it
(or where none is documented) that answer is an error that leaves the job as it was (it was
most likely made with another key or server). Past Segmind's one-hour window the job is
looked up in its request history: its real status, video and billed cost.

Saving is part of the job: a full disk or an unwritable folder ends the job as
``completed`` with "not saved: <reason>", which a later resume fixes.

Example (what the client does for each job, inside a coroutine)::

    follower = Follower(http, client.adapter_for, policy, settings, jobs, publish)
    await follower.follow(job.id)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, MutableMapping
from functools import partial
from pathlib import Path

import httpx

from .download import DownloadError, safe_path, stream_to_file, video_filename
from .errors import (
    HailuoError,
    NetworkError,
    NotFound,
    ProviderError,
    RateLimited,
    SubmitUncertain,
    transient,
)
from .hosts import PROVIDERS, host
from .http import Http
from .models import Job, Status
from .polling import PollPolicy, apply_update
from .providers import Adapter, HttpRequest, Synchronous, Update, WithHistory
from .providers.segmind_history import parse_one
from .ratelimit import FAR, RESULT, SUBMIT, poll_rank
from .settings import Settings

__all__ = ["FAR_SHARE", "PROBING", "QUEUED_GAP", "Follower", "needs_download"]

FAR_SHARE = 0.1
"""The share of the request budget that polls of jobs far from their end may use.

Example:
    >>> FAR_SHARE
    0.1
"""
PROBING = 0.1
"""The first share of a job's expected time, whose polls (probes) are never spaced out.

Example:
    >>> PROBING * 157.0
    15.700000000000001
"""
QUEUED_GAP = 0.075
"""The longest wait between polls of a queued job, as a share of its expected time.

Example:
    >>> round(QUEUED_GAP * 141.0, 1)   # a hailuo-2.3 job still queued: asked every ~10 s
    10.6
"""


class Follower:
    """Polls and downloads jobs for one client (its HTTP layer, adapter and settings).

    Example:
        >>> needs_download(Job(id="a", provider="p", model="m", status="completed",
        ...                    video_url="http://h/v.mp4"))
        True
    """

    def __init__(
        self,
        http: Http,
        adapter_for: Callable[[Job], Adapter],
        policy: PollPolicy,
        settings: Settings,
        jobs: MutableMapping[str, Job],
        publish: Callable[[Job], None],
        *,
        scale: float = 1.0,
    ) -> None:
        self.http = http
        self.adapter_for = adapter_for
        self.policy = policy
        self.settings = settings
        self.jobs = jobs
        self.publish = publish
        self.scale = scale  # the emulator's clock runs this much faster than ours
        self._nudges: dict[str, asyncio.Event] = {}  # wakes a follow loop before its time
        self._seen_queued: dict[str, float] = {}  # the last poll that saw a job queued
        self._starts: dict[str, float] = {}  # a long-queued job's schedule counts from here

    async def follow(self, job_id: str) -> None:
        """Poll until the job is final, then download its video if it has one.

        A poll that fails for a passing reason (network, 5xx, 429, garbage) is tried again
        on the next tick; only ``Retry.failed_polls`` of them in a row end the follow.

        Example (inside a coroutine)::

            await follower.follow("4f0c...")
        """
        job = self.jobs[job_id]
        polls = failed = 0
        nudge = self._nudges.setdefault(job_id, asyncio.Event())
        while not job.done:
            elapsed = self.elapsed(job)
            delay = self.policy.delay(elapsed, job.expected_seconds, polls)
            nudge.clear()
            # A sibling that finished much sooner than expected wakes this one (siblings).
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(nudge.wait(), self.spaced(job, elapsed, delay, polls))
            polls += 1
            try:
                update = await self.poll_once(job_id)
            except (NetworkError, RateLimited, ProviderError) as exc:
                if not transient(exc):
                    raise
                failed += 1
                if failed >= self.http.retry.failed_polls:
                    raise NetworkError(str(exc), job_id=job_id) from exc
                continue
            failed = 0
            if update.status == "expired" and not update.output_gone:
                update = await self.unknown(job, update)
            before = self.jobs.get(job_id, job)
            job = apply_update(before, update, now=time.time())
            if before.started_at is None and job.started_at is not None:
                # It started between the poll that last saw it waiting and this one (far
                # polls are seconds apart): midway, not now, or the queue's time shown
                # would grow by what is really run time.
                last = self._seen_queued.get(job_id, job.submitted_at or job.started_at)
                job = dataclasses.replace(job, started_at=(last + job.started_at) / 2.0)
            self.publish(job)
            self._queued(before, job)
            if job.status == "completed":
                self.siblings(job)
        self._nudges.pop(job_id, None)
        self._starts.pop(job_id, None)
        self._seen_queued.pop(job_id, None)
        if needs_download(job):
            await self.download(job)

    def nudge(self, job_id: str) -> None:
        """Poll ``job_id`` now rather than at its next turn (a cancel was accepted).

        Example:
            >>> f = Follower(None, None, PollPolicy(), None, {}, print)  # type: ignore[arg-type]
            >>> f.nudge("a")  # no follow loop for "a": nothing to wake
        """
        event = self._nudges.get(job_id)
        if event is not None:
            event.set()

    def siblings(self, done: Job) -> list[str]:
        """A job finished much sooner than expected: so have, most likely, the jobs sent
        with it. Each running job of the same model and settings at the same server that
        expected to take over a third longer now expects this run time, and is polled at
        once (a new server runs faster than the catalog says: the first of a comparison's
        jobs to be seen done tells the others). Returns their ids.

        Example:
            >>> jobs = {}
            >>> def keep(job): jobs[job.id] = job
            >>> f = Follower(None, None, PollPolicy(), None, jobs, keep)  # type: ignore[arg-type]
            >>> mk = lambda i, **kw: Job(id=i, provider="p", model="m", submitted_at=0.0,
            ...                          expected_seconds=157.0, **kw)
            >>> jobs.update(a=mk("a", status="completed", finished_at=8.0), b=mk("b"))
            >>> f.siblings(jobs["a"]), jobs["b"].expected_seconds
            (['b'], 8.0)
        """
        if done.submitted_at is None or done.finished_at is None:
            return []
        run = done.finished_at - done.submitted_at
        woken = []
        mine = _run_kind(done)
        for other in list(self.jobs.values()):
            if other.done or other.id == done.id or _run_kind(other) != mine:
                continue
            if run <= 0 or other.expected_seconds is None or other.expected_seconds < 1.3 * run:
                continue
            self.publish(dataclasses.replace(other, expected_seconds=run))
            woken.append(other.id)
            nudge = self._nudges.get(other.id)
            if nudge is not None:
                nudge.set()
        return woken

    async def unknown(self, job: Job, update: Update) -> Update:
        """The provider does not know the job: expired, looked up, or an error.

        Within the provider's documented status window (or where none is documented) a
        job it does not know was most likely made with another key or at another server:
        :class:`~hailuo_nb.errors.NotFound`, and the job stays as it was. Past Segmind's
        window its request history has the real outcome.

        Example (inside a coroutine)::

            update = await follower.unknown(job, Update("expired", reason="not found"))
        """
        window = host(job.provider).status_window if job.provider in PROVIDERS else None
        age = (time.time() - (job.submitted_at or time.time())) * self.scale
        if window is None or age < window:
            where = (
                f"its {window / 3600:g}-hour status window"
                if window
                else "a retention it does not document"
            )
            raise NotFound(
                f"{job.provider} does not know job {job.id} ({update.reason or 'not found'})"
                f" although it is within {where}: it was most likely made with another key or"
                " at another server; the job is left as it was",
                provider=job.provider,
                status_code=404,
            )
        adapter = self.adapter_for(job)
        if not isinstance(adapter, WithHistory):
            return update
        try:
            row = await self.http.call(adapter.history_request(job.id), parse_one, idempotent=True)
        except NotFound:
            return Update("expired", reason="neither its status nor Segmind's history knows it")
        return row.update()

    async def poll_once(self, job_id: str) -> Update:
        """One status check, with the provider's follow-up requests (result, retrieve).

        When requests must wait for the budget, the status check goes by how likely its
        job is to have finished (:func:`~hailuo_nb.ratelimit.poll_rank`, asked again as the
        wait goes on), and a follow-up (the result of a job known complete) before anything
        else. A wait of more than a couple of seconds shows on the job (``Job.note``).

        Example (inside a coroutine)::

            update = await follower.poll_once("4f0c...")
        """
        adapter = self.adapter_for(self.jobs[job_id])
        notify = partial(self._note, job_id)
        request = adapter.poll_request(job_id)
        update: Update = await self.http.call(
            request,
            partial(adapter.parse, request.step, job_id),
            idempotent=True,
            notify=notify,
            rank=partial(self.rank, job_id),
        )
        while update.follow_up is not None:
            request = update.follow_up
            update = await self.http.call(
                request,
                partial(adapter.parse, request.step, job_id),
                idempotent=True,
                notify=notify,
                rank=RESULT,
            )
        return update

    def elapsed(self, job: Job, now: float | None = None) -> float:
        """Seconds the job has run, for its poll schedule and rank: since it was submitted,
        or, for a job that waited in line far longer than its siblings (queued behind a
        key's other jobs), since it left the line, less the usual wait.

        Example:
            >>> f = Follower(None, None, PollPolicy(), None, {}, print)  # type: ignore[arg-type]
            >>> f.elapsed(Job(id="a", provider="p", model="m", submitted_at=100.0), now=130.0)
            30.0
        """
        now = time.time() if now is None else now
        start = self._starts.get(job.id, job.submitted_at)
        return now - (start if start is not None else now)

    def _queued(self, before: Job, after: Job) -> None:
        # The last poll that still saw the job queued, and, when it is first seen running
        # after a wait in line far longer than usual, the start its schedule counts from.
        now = time.time()
        if after.status == "queued":
            self._seen_queued[after.id] = now
            return
        if before.status != "queued" or after.submitted_at is None or not after.expected_seconds:
            return
        # It left the line between the last poll that saw it queued and this one.
        left_line = (self._seen_queued.get(after.id, after.submitted_at) + now) / 2.0
        usual = self._usual_wait(after)
        if left_line - after.submitted_at > usual + self.policy.spread * after.expected_seconds:
            self._starts[after.id] = left_line - usual

    def _usual_wait(self, job: Job) -> float:
        # How long this model's jobs usually wait before they run: the median of those seen
        # running here without a long wait; else the policy's spread of the expected time.
        waits = sorted(
            j.started_at - j.submitted_at
            for j in self.jobs.values()
            if j.model == job.model
            and j.base_url == job.base_url
            and j.id not in self._starts
            and j.id != job.id
            and j.started_at is not None
            and j.submitted_at is not None
            and j.started_at - j.submitted_at < 0.5 * (j.expected_seconds or 0.0)
        )
        if waits:
            return waits[len(waits) // 2]
        return self.policy.spread * (job.expected_seconds or 0.0)

    def spaced(self, job: Job, elapsed: float, delay: float, polls: int) -> float:
        """The wait before the next poll, spaced out while the job is far from its end.

        Polls of jobs before their earliest likely end (or still queued) find little: they
        are spaced so that together they use at most a tenth of the request budget
        (``FAR_SHARE``), never past the job's earliest likely end: the minute before the
        end, when every request counts, is not spent on them. The first probes, in
        the first tenth of the expected time (``PROBING``), are not: they notice a job
        refused at once, or a server much faster than the catalog says (a new one).

        Example:
            >>> from hailuo_nb.ratelimit import RateBudget
            >>> class H: budget = RateBudget(5)
            >>> f = Follower(H(), None, PollPolicy(), None, {}, print)  # type: ignore[arg-type]
            >>> j = Job(id="a", provider="p", model="m", status="processing",
            ...         submitted_at=0.0, expected_seconds=157.0)
            >>> f.jobs["a"] = j
            >>> f.spaced(j, 10.0, 4.0, polls=3)   # still probing (the first 15.7 s)
            4.0
            >>> f.spaced(j, 20.0, 4.0, polls=5)   # one job at 5/min: 12 s a token, 120 s
            113.45
            >>> f.spaced(j, 120.0, 4.0, polls=9)  # not past the earliest end (133 s)
            13.45
        """
        if job.expected_seconds is None:
            return delay
        ahead = elapsed + delay
        if ahead < PROBING * job.expected_seconds:
            return delay  # the first probes: a refused job, or a server faster than thought
        if poll_rank(ahead, job.expected_seconds, spread=self.policy.spread) <= FAR and (
            job.status != "queued"
        ):
            return delay
        running = sum(1 for j in self.jobs.values() if not j.done) or 1
        share = self.http.budget.interval * running / FAR_SHARE
        if job.status != "queued":
            earliest = job.expected_seconds * (1.0 - self.policy.spread)
            share = min(share, earliest - elapsed)
        else:
            # A queued job may start any moment, and when it left the line sets its whole
            # schedule (``_queued`` takes the midpoint between the polls that saw it queued
            # and running). Unbounded, that gap was 95 s at 50/min with 8 jobs: the start
            # was guessed 50 s late and every end was missed by up to 36 s. Half the
            # spread keeps the guess within a quarter of the window of likely ends.
            share = min(share, QUEUED_GAP * job.expected_seconds)
        return round(max(delay, share), 4)

    def rank(self, job_id: str) -> float:
        """Where a status check of ``job_id`` stands among waiting requests (lower: sooner).

        Example:
            >>> f = Follower(None, None, PollPolicy(), None, {}, print)  # type: ignore[arg-type]
            >>> f.jobs["a"] = Job(id="a", provider="p", model="m", status="processing",
            ...                   submitted_at=time.time() - 200, expected_seconds=100.0)
            >>> f.rank("a")
            5.0
        """
        job = self.jobs.get(job_id)
        if job is None or job.submitted_at is None:
            return SUBMIT
        elapsed = self.elapsed(job)
        return poll_rank(
            elapsed, job.expected_seconds, spread=self.policy.spread, queued=job.status == "queued"
        )

    def _note(self, job_id: str, note: str | None) -> None:
        # A long rate-limit wait is said on the job at once (then cleared).
        job = self.jobs.get(job_id)
        if job is not None and job.note != note:
            self.publish(dataclasses.replace(job, note=note))

    async def download(self, job: Job) -> None:
        """Save the finished job's video into the output folder (before its URL expires).

        A URL refused as gone (a signed URL past its lifetime, as after a resume) is asked
        for once more: MiniMax hands out a fresh download URL for a kept file.

        Example (inside a coroutine)::

            await follower.download(job)
        """
        assert job.video_url is not None
        target = safe_path(self.settings.output_dir, video_filename(job.id, job.prompt))
        limit = self.settings.max_download_bytes
        try:
            try:
                await self.http.download(job.video_url, target, max_bytes=limit)
            except DownloadError as exc:
                fresh = await self._fresh_url(job) if exc.gone else None
                if fresh is None:
                    raise
                job = dataclasses.replace(job, video_url=fresh)
                self.publish(job)
                await self.http.download(fresh, target, max_bytes=limit)
        except HailuoError as exc:
            self.publish(dataclasses.replace(job, error=f"download failed: {exc}"))
            raise NetworkError(f"download failed: {exc}", job_id=job.id) from exc
        except OSError as exc:
            # A full disk, an unwritable folder: the video is still at the provider (the
            # .part file is gone), so this is the job's error, not a crash.
            reason = exc.strerror or str(exc)
            self.publish(
                dataclasses.replace(
                    job,
                    error=f"not saved: {reason}; free space and run %hailuo resume {job.id}",
                )
            )
            return
        self.publish(dataclasses.replace(job, video_path=str(target), error=None))

    async def _fresh_url(self, job: Job) -> str | None:
        # One more status check; a different URL for the same finished job, or None.
        try:
            update = await self.poll_once(job.id)
        except HailuoError:
            return None
        url = update.video_url
        return url if update.status == "completed" and url and url != job.video_url else None

    async def run_v1(self, job_id: str, wire: HttpRequest) -> None:
        """A synchronous protocol (Segmind v1): one blocking request whose answer is the
        video, streamed to a file.

        Only an answer whose Content-Type says video is written to the file. JSON is read:
        an output URL is downloaded as any other job's video, an error fails the job. Any
        other answer (an HTML page) is an error and the job ``uncertain``: it may have run
        and been billed.

        Example (inside a coroutine)::

            await follower.run_v1(job.id, wire)
        """
        job = self.jobs[job_id]
        target = safe_path(self.settings.output_dir, video_filename(job.id, job.prompt))
        adapter = self.adapter_for(job)
        assert isinstance(adapter, Synchronous)

        async def handle(response: httpx.Response) -> Update:
            streamed = adapter.answers_video(response)
            if not streamed:
                await response.aread()  # an error, JSON or a page: read, never saved
            update = adapter.check_video(response)
            if streamed and update.status == "completed":
                limit = self.settings.max_download_bytes
                await stream_to_file(response, target, max_bytes=limit)
            return update

        try:
            # v1 blocks for the whole generation: give it the video models' 15 minutes.
            update = await self.http.submit_stream(wire, handle, timeout=900.0)
        except asyncio.CancelledError:
            # Stopped with the call in flight: Segmind may finish (and bill) it, and nothing
            # can pick it up again here. Only its request history can tell.
            self.publish(
                dataclasses.replace(
                    job,
                    status="uncertain",
                    error="interrupted during a Segmind v1 call, which cannot be resumed (its"
                    " answer is the video itself): it may have been billed; reconcile looks"
                    " for it in Segmind's history",
                    finished_at=time.time(),
                )
            )
            raise
        except HailuoError as exc:
            # Nothing can follow a v1 job (no id to poll): end it, with the reason, so the
            # history does not show it running forever. If the server may have taken it
            # (SubmitUncertain), it may have been billed: uncertain, for reconciliation.
            status: Status = "uncertain" if isinstance(exc, SubmitUncertain) else "failed"
            self.publish(
                dataclasses.replace(job, status=status, error=str(exc), finished_at=time.time())
            )
            raise
        except OSError as exc:
            # The answer was the video, and the disk refused it: billed, and not fetchable
            # again from here.
            self.publish(
                dataclasses.replace(
                    job,
                    status="completed",
                    error=f"not saved: {exc.strerror or exc}; a Segmind v1 answer cannot be"
                    " fetched again (its request history may still list the video)",
                    finished_at=time.time(),
                )
            )
            return
        job = apply_update(job, update, now=time.time())
        if job.status == "completed" and update.video_url is None:
            job = dataclasses.replace(job, video_path=str(target))
        self.publish(job)
        if needs_download(job):
            await self.download(job)  # the answer was JSON with an output URL


def _run_kind(job: Job) -> tuple[object, ...]:
    # What sets a job's run time: where it runs, the model, and its length and size.
    params = job.params
    return (job.provider, job.model, job.base_url, params.get("duration"), params.get("resolution"))


def needs_download(job: Job) -> bool:
    """True when the job is completed with a video URL but no saved file (yet, or any more).

    Example:
        >>> needs_download(Job(id="a", provider="p", model="m", status="processing"))
        False
    """
    if job.status != "completed" or not job.video_url:
        return False
    return not (job.video_path and Path(job.video_path).exists())
