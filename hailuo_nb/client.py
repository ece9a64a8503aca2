"""``Client``: one async API over Segmind, the AI/ML API, MiniMax and the in-process emulator.

Submit returns at once, with the job already in the store; a background task per job
polls it on the adaptive schedule (inside the provider's shared request budget) and
downloads the video the moment it is done, before the provider's URL expires.

Example:
    >>> import asyncio
    >>> async def main():
    ...     async with Client("emulator", output_dir=tmp, emulator_config=fast) as client:
    ...         job = await client.generate("a red fox running through snow")
    ...         return job.status, job.video_path.endswith(".mp4")
    >>> import tempfile; from hailuo_nb.emulator import EmulatorConfig
    >>> tmp, fast = tempfile.mkdtemp(), EmulatorConfig(time_scale=2000, preview=True)
    >>> asyncio.run(main())
    ('completed', True)
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from . import catalog
from . import params as params_mod
from .errors import HailuoError, JobFailed, NetworkError, ValidationError
from .fingerprint import fingerprint
from .follow import Follower, needs_download
from .hosts import host
from .http import Http, Retry
from .models import Cost, Job
from .polling import PollPolicy, expected_seconds
from .prepared import Prepared
from .providers import make_adapter
from .ratelimit import RateBudget
from .reuse import Ledger
from .settings import Settings, resolve
from .store import JobStore
from .tracker import Tracker

__all__ = ["Client"]


class Client:
    """The async client. Use it as ``async with Client(...) as client:``.

    Settings come from the arguments, then ``notebook_settings`` (``%config Hailuo``),
    then ``environ`` (default ``os.environ``, read here, never at import), then defaults.

    Example:
        >>> Client("emulator", environ={}).settings.base_url
        'http://emulator.invalid/segmind'
    """

    def __init__(
        self,
        provider: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        output_dir: str | Path | None = None,
        store_path: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int | None = None,
        requests_per_minute: float | None = None,
        segmind_api: str | None = None,
        settings: Settings | Mapping[str, Any] | None = None,
        notebook_settings: Mapping[str, Any] | None = None,
        emulator_config: Any = None,
        environ: Mapping[str, str] | None = None,
        poll_policy: PollPolicy | None = None,
        retry: Retry | None = None,
        reuse: str | None = None,
    ) -> None:
        if isinstance(settings, Settings):
            self.settings = settings
        else:
            layer = {**(notebook_settings or {}), **(settings or {})}
            self.settings = resolve(
                provider,
                api_key=api_key,
                base_url=base_url,
                notebook=layer,
                environ=environ,
                model=model,
                output_dir=output_dir,
                store_path=store_path,
                max_concurrency=max_concurrency,
                requests_per_minute=requests_per_minute,
                segmind_api=segmind_api,
                reuse=reuse,
            )
        s = self.settings
        self._scale = 1.0
        if s.provider == "emulator" and transport is None:
            transport, self._scale = _emulator_transport(emulator_config)
        self.adapter = make_adapter(
            s.provider, s.base_url, s.api_key, segmind_api=s.segmind_api, upload_url=s.upload_url
        )
        self.store = JobStore(s.job_store)
        self.budget = RateBudget(s.requests_per_minute)
        self.policy = poll_policy or PollPolicy(
            min_interval=max(0.005, s.poll_min_interval / self._scale),
            max_interval=max(0.05, s.poll_max_interval / self._scale),
        )
        timeout = httpx.Timeout(s.request_timeout, connect=10.0)
        self._httpx = httpx.AsyncClient(transport=transport, timeout=timeout)
        self.http = Http(s.provider, self._httpx, self.budget, retry)
        self.tracker = Tracker(self._save)
        self._jobs = self.tracker.jobs  # the live jobs by id (shared with follower, ledger)
        self.follower = Follower(
            self.http, self.adapter, self.policy, s, self._jobs, self.tracker.publish
        )
        self.ledger = Ledger(self.store, self._jobs, self._following)

    def __repr__(self) -> str:
        return f"Client(provider={self.settings.provider!r}, base_url={self.settings.base_url!r})"

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop following jobs (they stay in the store, resumable) and close connections.

        Example (inside a coroutine)::

            await client.aclose()
        """
        await self.tracker.aclose()
        await self._httpx.aclose()

    # -- parameters (no I/O) ---------------------------------------------------------
    def _request(self, prompt: str, params: Mapping[str, Any]) -> params_mod.Request:
        unknown = set(params) - set(params_mod.VOCABULARY)
        if unknown:
            name = sorted(unknown)[0]
            raise ValidationError(
                name, "unknown parameter; use one of " + ", ".join(params_mod.VOCABULARY[1:])
            )
        chosen = dict(params)
        chosen["model"] = chosen.get("model") or self.settings.model
        return params_mod.build_request(self.settings.provider, prompt, **chosen)

    def prepare(self, prompt: str, *, new: bool = False, **params: Any) -> Prepared:
        """Validate a request once: its fingerprint, estimate and any job that stands in.

        No request is sent. Raises :class:`~hailuo_nb.errors.ValidationError` for bad
        input. ``reusable`` is the job :meth:`submit` would hand back instead of paying
        (None with ``reuse="never"`` or ``new``). Pass the result to :meth:`submit`.

        Example:
            >>> import tempfile
            >>> c = Client("emulator", environ={}, output_dir=tempfile.mkdtemp(), reuse="always")
            >>> p = c.prepare("a red fox", duration="10")
            >>> p.params["duration"], str(p.estimate), p.reusable is None
            (10, '~$0.70 (estimate)', True)
        """
        request = self._request(prompt, params)
        fp = fingerprint(request, base_url=self.settings.base_url)
        found = None if new else self._reusable(fp)
        return Prepared(request, fp, request.estimate(), found, new=new)

    def validate(self, prompt: str, **params: Any) -> dict[str, Any]:
        """Check a request without sending anything; the parameters as they would be sent.

        Example:
            >>> Client("emulator", environ={}).validate("a fox", duration="6")["duration"]
            6
        """
        return self._request(prompt, params).public_params()

    def estimate_cost(self, prompt: str | None = None, **params: Any) -> Cost:
        """The catalog's price estimate for these parameters (``estimated=True``).

        Example:
            >>> str(Client("emulator", environ={}).estimate_cost(duration=10))
            '~$0.70 (estimate)'
        """
        return self._request(prompt or "estimate", params).estimate()

    def reusable(self, prompt: str, *, new: bool = False, **params: Any) -> Job | None:
        """The job ``submit`` would hand back for this request instead of paying, or None.

        No request is sent (a comparison subtracts these from its cost estimate); None
        when ``reuse`` is ``"never"`` or ``new`` is set. Raises ``ValidationError`` as
        ``submit`` would.

        Example:
            >>> import tempfile
            >>> c = Client("emulator", environ={}, output_dir=tempfile.mkdtemp(), reuse="always")
            >>> c.reusable("a red fox", duration=6) is None
            True
        """
        found = self.prepare(prompt, new=new, **params).reusable
        return None if found is None else dataclasses.replace(found, reused=True)

    # -- jobs ------------------------------------------------------------------------
    async def submit(self, prompt: str | Prepared, *, new: bool = False, **params: Any) -> Job:
        """Validate, send, record in the store, start following; return the job at once.

        ``prompt`` may be a :class:`~hailuo_nb.prepared.Prepared` request (from
        :meth:`prepare`): it is sent as it is, without validating it again.

        With ``reuse="always"`` (and not ``new``), an identical request's job that completed
        (video still on disk) or is still running is returned instead, marked
        ``reused=True``, without any request to the provider (see :mod:`hailuo_nb.reuse`).

        Raises :class:`~hailuo_nb.errors.ValidationError` before anything is sent, and
        :class:`~hailuo_nb.errors.SubmitUncertain` when the job may exist but we cannot
        tell (it is never sent twice).

        Example (inside a coroutine)::

            job = await client.submit("a red fox", model="hailuo-2.3", duration=6)
            again = await client.submit("a red fox", model="hailuo-2.3", duration=6)
            again.reused  # True with reuse="always": nothing was sent
        """
        if isinstance(prompt, Prepared):
            prepared = prompt
        else:
            prepared = self.prepare(prompt, new=new, **params)
        if prepared.new or new or self.settings.reuse != "always":
            return await self._send(prepared)
        job, reused = await self.ledger.once(prepared.fingerprint, partial(self._send, prepared))
        return self._attach(job) if reused else job

    def _attach(self, found: Job) -> Job:
        live = self._jobs.setdefault(found.id, found)
        self._ensure_following(found.id)  # attach to a running one, as resume does
        return dataclasses.replace(live, reused=True)

    async def _send(self, prepared: Prepared) -> Job:
        request, estimate, fp = prepared.request, prepared.estimate, prepared.fingerprint
        image_urls = await self._upload_images(request)
        wire = self.adapter.submit_request(
            self.adapter.payload(request, image_urls), request.model.wire_name
        )
        job = Job(
            id="",
            provider=self.settings.provider,
            model=request.model.name,
            params=request.public_params(),
            cost=estimate,
            expected_seconds=self._expected(request),
        )
        if self.adapter.synchronous:
            # The answer is the video itself: no id to poll, so we name the job ourselves.
            job = dataclasses.replace(
                job, id=f"v1-{uuid.uuid4().hex}", status="processing", submitted_at=time.time()
            )
            self._record(job, estimate, fp)
            self.tracker.start(job.id, partial(self.follower.run_v1, job.id, wire))
            return job
        submitted_at = time.time()
        answer = await self.http.call(wire, self.adapter.parse_submit, idempotent=False)
        job = dataclasses.replace(
            job,
            id=answer.job_id,
            status=answer.status,
            submitted_at=submitted_at,
            raw=answer.raw,
        )
        self._record(job, estimate, fp)  # before the first poll: a crash now loses nothing
        self.tracker.start(job.id, partial(self.follower.follow, job.id))
        return job

    def _reusable(self, fp: str) -> Job | None:
        if self.settings.reuse != "always":
            return None
        return self.ledger.find(fp)

    async def wait(
        self, job: Job | str, *, timeout: float | None = None, download: bool = True
    ) -> Job:
        """Wait until the job is done (and its video saved); raise ``JobFailed`` if it failed.

        A job that ``submit`` reused comes back still marked ``reused`` (so do the
        snapshots of :meth:`updates`).

        A timeout or a lost connection raises :class:`~hailuo_nb.errors.NetworkError`
        naming the job id; the job goes on and ``resume(id)`` picks it up.

        Example (inside a coroutine)::

            job = await client.wait(job, timeout=600)
        """
        job_id = job if isinstance(job, str) else job.id
        if job_id not in self._jobs:
            if isinstance(job, Job):
                self._jobs[job_id] = job
            else:
                return await self.resume(job_id)
        task = self._ensure_following(job_id)
        try:
            if task is not None:
                waiter: asyncio.Future[Any] = (
                    asyncio.shield(task)
                    if download
                    else asyncio.ensure_future(self.tracker.final(job_id).wait())
                )
                await asyncio.wait_for(waiter, timeout)
        except asyncio.TimeoutError:
            raise NetworkError(f"still running after {timeout} s", job_id=job_id) from None
        except NetworkError as exc:
            raise NetworkError(exc.message, job_id=job_id) from exc
        result = _marked(self._jobs[job_id], job)
        if result.status in ("failed", "expired"):
            raise JobFailed(job_id, result.error or result.status, provider=result.provider)
        return result

    async def updates(self, job: Job | str) -> AsyncIterator[Job]:
        """Yield the job now and on every change, until it is done and downloaded.

        Example (inside a coroutine)::

            async for snapshot in client.updates(job):
                print(snapshot.status, round(snapshot.progress(), 2))
        """
        job_id = job if isinstance(job, str) else job.id
        if job_id not in self._jobs:
            stored = job if isinstance(job, Job) else self.get(job_id)
            if stored is None:
                raise ValidationError("job", f"unknown job {job_id!r}")
            self._jobs[job_id] = stored
        queue = self.tracker.listen(job_id)
        try:
            yield _marked(self._jobs[job_id], job)
            if self._ensure_following(job_id) is None:
                return
            while (snapshot := await queue.get()) is not None:
                yield _marked(snapshot, job)
        finally:
            self.tracker.unlisten(job_id, queue)

    async def resume(self, job_id: str) -> Job:
        """Finish (or re-read) a job by id, also one from another process or a restart.

        Returns the job in whatever final state it reached; raises only for network
        trouble or a job made with another provider.

        Example (inside a coroutine)::

            job = await client.resume("4f0c...")
        """
        job = self._jobs.get(job_id) or self.store.get(job_id)
        if job is None:
            # Not ours: ask the provider anyway (an id from the dashboard or another machine).
            model = self.settings.model or catalog.default_model(self.settings.provider)
            job = Job(id=job_id, provider=self.settings.provider, model=model, status="queued")
        if job.provider != self.settings.provider:
            raise ValidationError(
                "job_id",
                f"job {job_id} was made with provider {job.provider}; "
                f"resume it with Client(provider={job.provider!r})",
            )
        if job_id.startswith("v1-") and not job.done:
            job = dataclasses.replace(
                job,
                status="expired",
                error="a Segmind v1 job cannot be resumed: its answer was the video itself",
            )
            self._record(job)
        self._jobs[job_id] = job
        try:
            return await self.wait(job)
        except JobFailed:
            return self._jobs[job_id]

    def get(self, job_id: str) -> Job | None:
        """The latest known state of a job (this session's, else the store's).

        Example:
            >>> import tempfile
            >>> Client("emulator", environ={}, output_dir=tempfile.mkdtemp()).get("x") is None
            True
        """
        return self._jobs.get(job_id) or self.store.get(job_id)

    def history(self, limit: int | None = None) -> list[Job]:
        """Stored jobs, newest first (every provider, every process using this store).

        Example (with a store)::

            for job in client.history(10):
                print(job.id, job.status)
        """
        return self.store.history(limit)

    def spending(self, since: float | None = None) -> dict[str, float | int]:
        """Estimated and billed USD and job counts since ``since`` (UNIX time; None = all).

        Example (with a store)::

            client.spending(since=time.time() - 86400)["actual_usd"]
        """
        return self.store.spending(since)

    async def generate(self, prompt: str, **params: Any) -> Job:
        """Submit and wait: the finished job, video saved.

        Example (inside a coroutine)::

            job = await client.generate("a red fox", duration=6)
        """
        return await self.wait(await self.submit(prompt, **params))

    async def run_many(
        self, requests: list[dict[str, Any]], concurrency: int | None = None
    ) -> list[Job]:
        """Run many requests, at most ``concurrency`` at a time; one job per request, in order.

        A failure stays with its own job (``status='failed'`` and ``error``); a request
        refused before sending gets a job with id ``unsent-<n>``.

        Example (inside a coroutine)::

            jobs = await client.run_many([{"prompt": "a fox"}, {"prompt": "a cat"}])
        """
        gate = asyncio.Semaphore(concurrency or self.settings.max_concurrency)

        async def one(n: int, req: dict[str, Any]) -> Job:
            args = dict(req)
            prompt = str(args.pop("prompt", ""))
            async with gate:
                try:
                    job = await self.submit(prompt, **args)
                except HailuoError as exc:
                    model = str(args.get("model") or self.settings.model or "")
                    return Job(
                        id=f"unsent-{n}",
                        provider=self.settings.provider,
                        model=model,
                        params={"prompt": prompt, **args},
                        status="failed",
                        error=str(exc),
                    )
                try:
                    return await self.wait(job)
                except HailuoError as exc:
                    latest = self._jobs.get(job.id, job)
                    return dataclasses.replace(latest, error=latest.error or str(exc))

        return list(await asyncio.gather(*(one(n, r) for n, r in enumerate(requests))))

    # -- internals -------------------------------------------------------------------
    def _expected(self, request: params_mod.Request) -> float | None:
        spec = request.model
        typical = spec.typical_seconds
        # A guess where the vendors are silent: longer and sharper clips take longer.
        if request.duration and spec.durations and request.duration > min(spec.durations):
            typical *= 1.5
        if request.resolution == "1080p":
            typical *= 1.3
        recent: list[float] = []
        if not host(self.settings.provider).in_process:  # its speed is known: time_scale
            recent = self.store.recent_runs(
                self.settings.provider, spec.name, self.settings.base_url
            )
        return expected_seconds(typical, recent, scale=self._scale)

    async def _upload_images(self, request: params_mod.Request) -> dict[str, str]:
        fields = self.adapter.upload_fields(request)
        if not fields:
            return {}
        images = [getattr(request, f) for f in fields]
        wire = self.adapter.upload_request([i.data_url() for i in images])
        urls = await self.http.call(
            wire, partial(self.adapter.parse_upload, count=len(images)), idempotent=True
        )
        return dict(zip(fields, urls, strict=True))

    def _record(self, job: Job, estimate: Cost | None = None, fp: str | None = None) -> None:
        self._jobs[job.id] = job
        if fp is not None:
            self.ledger.note(job.id, fp)
        self.store.save(job, base_url=self.settings.base_url, estimate=estimate, fingerprint=fp)

    def _save(self, job: Job) -> None:
        self.store.save(job, base_url=self.settings.base_url)

    def _ensure_following(self, job_id: str) -> asyncio.Task[None] | None:
        task = self.tracker.running(job_id)
        if task is not None:
            return task
        job = self._jobs[job_id]
        if job.done and not needs_download(job):
            self.tracker.final(job_id).set()
            return None
        return self.tracker.start(job_id, partial(self.follower.follow, job_id))

    def _following(self, job_id: str) -> bool:
        return self.tracker.running(job_id) is not None


def _marked(snapshot: Job, asked: Job | str) -> Job:
    """``snapshot``, still marked ``reused`` when the caller follows a reused job."""
    if isinstance(asked, Job) and asked.reused and not snapshot.reused:
        return dataclasses.replace(snapshot, reused=True)
    return snapshot


def _emulator_transport(config: Any) -> tuple[httpx.AsyncBaseTransport, float]:
    """The emulator app behind an in-process transport, and how much faster than real time."""
    try:
        from .emulator import EmulatorConfig, create_app
    except ImportError as exc:
        raise HailuoError(
            f"the emulator provider needs the 'emulator' extra ({exc.name} is missing):"
            " pip install 'hailuo-nb[emulator]'"
        ) from None
    config = config if config is not None else EmulatorConfig()
    return httpx.ASGITransport(app=create_app(config)), float(config.time_scale)
