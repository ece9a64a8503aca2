"""Following one job to its end: poll on the adaptive schedule, then download the video.

The :class:`~hailuo_nb.client.Client` starts one task per job running
:meth:`Follower.follow` (or :meth:`Follower.run_v1` for Segmind v1, whose answer is the
video itself). Every change goes through the client's ``publish`` callback, which records
it in the store and tells the listeners; the follower itself keeps no state but the jobs
mapping it shares with the client.

Example (what the client does for each job, inside a coroutine)::

    follower = Follower(http, adapter, policy, settings, jobs, publish)
    await follower.follow(job.id)
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, MutableMapping
from functools import partial
from pathlib import Path

import httpx

from .download import DownloadError, safe_path, stream_to_file, video_filename
from .errors import HailuoError, NetworkError, ProviderError, RateLimited, transient
from .http import Http
from .models import Job
from .polling import PollPolicy, apply_update
from .providers import Adapter, HttpRequest, Synchronous, Update
from .settings import Settings

__all__ = ["Follower", "needs_download"]


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
        adapter: Adapter,
        policy: PollPolicy,
        settings: Settings,
        jobs: MutableMapping[str, Job],
        publish: Callable[[Job], None],
    ) -> None:
        self.http = http
        self.adapter = adapter
        self.policy = policy
        self.settings = settings
        self.jobs = jobs
        self.publish = publish

    async def follow(self, job_id: str) -> None:
        """Poll until the job is final, then download its video if it has one.

        A poll that fails for a passing reason (network, 5xx, 429, garbage) is tried again
        on the next tick; only ``Retry.failed_polls`` of them in a row end the follow.

        Example (inside a coroutine)::

            await follower.follow("4f0c...")
        """
        job = self.jobs[job_id]
        polls = failed = 0
        while not job.done:
            elapsed = time.time() - (job.submitted_at or time.time())
            await asyncio.sleep(self.policy.delay(elapsed, job.expected_seconds, polls))
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
            job = apply_update(job, update, now=time.time())
            self.publish(job)
        if needs_download(job):
            await self.download(job)

    async def poll_once(self, job_id: str) -> Update:
        """One status check, with the provider's follow-up requests (result, retrieve).

        Example (inside a coroutine)::

            update = await follower.poll_once("4f0c...")
        """
        request = self.adapter.poll_request(job_id)
        update: Update = await self.http.call(
            request, partial(self.adapter.parse, request.step, job_id), idempotent=True
        )
        while update.follow_up is not None:
            request = update.follow_up
            update = await self.http.call(
                request, partial(self.adapter.parse, request.step, job_id), idempotent=True
            )
        return update

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

        Example (inside a coroutine)::

            await follower.run_v1(job.id, wire)
        """
        job = self.jobs[job_id]
        target = safe_path(self.settings.output_dir, video_filename(job.id, job.prompt))
        adapter = self.adapter
        assert isinstance(adapter, Synchronous)

        async def handle(response: httpx.Response) -> Update:
            if not response.is_success:
                await response.aread()
            update = adapter.check_video(response)
            if update.status == "completed":
                limit = self.settings.max_download_bytes
                await stream_to_file(response, target, max_bytes=limit)
            return update

        try:
            # v1 blocks for the whole generation: give it the video models' 15 minutes.
            update = await self.http.submit_stream(wire, handle, timeout=900.0)
        except HailuoError as exc:
            # Nothing can follow a v1 job (no id to poll): end it, with the reason, so the
            # history does not show it running forever. If the server may have taken it,
            # the reason says so (SubmitUncertain): it may have been billed.
            self.publish(
                dataclasses.replace(job, status="failed", error=str(exc), finished_at=time.time())
            )
            raise
        job = apply_update(job, update, now=time.time())
        if job.status == "completed":
            job = dataclasses.replace(job, video_path=str(target))
        self.publish(job)


def needs_download(job: Job) -> bool:
    """True when the job is completed with a video URL but no saved file (yet, or any more).

    Example:
        >>> needs_download(Job(id="a", provider="p", model="m", status="processing"))
        False
    """
    if job.status != "completed" or not job.video_url:
        return False
    return not (job.video_path and Path(job.video_path).exists())
