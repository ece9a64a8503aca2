"""``Client``: one async API over Segmind, the AI/ML API, MiniMax, fal, Replicate and the
in-process emulator.

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
import contextlib
import dataclasses
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from . import catalog
from . import params as params_mod
from .errors import (
    HailuoError,
    JobFailed,
    NetworkError,
    NotFound,
    StoreError,
    ValidationError,
)
from .fingerprint import fingerprint
from .follow import Follower, needs_download
from .hosts import host
from .http import Http, Retry
from .journal import Journal
from .models import Cost, Job
from .polling import PollPolicy, apply_update, expected_seconds
from .prepared import Prepared
from .providers import (
    Adapter,
    CancelAnswer,
    Cancellable,
    HttpRequest,
    TakesDeadline,
    Update,
    UploadsEach,
    make_adapter,
)
from .ratelimit import Book, Limits, RateBudget
from .ratestate import SharedBook
from .reconcile import Lookup, Reconciled, reconcile
from .reuse import Ledger
from .settings import Settings, resolve, say_emulator_once
from .store import JobStore, key_id
from .submitter import Submitter, store_reason
from .tracker import Tracker

__all__ = ["Client"]


class Client:
    """The async client. Use it as ``async with Client(...) as client:``.

    Settings come from the arguments, then ``notebook_settings`` (``%config Hailuo``),
    then ``environ`` (default ``os.environ``, read here, never at import), then defaults.
    ``budget`` replaces the provider's request budget (``hailuo_nb.ratelimit``), e.g. one
    whose minute is scaled for a sped-up emulator; by default it is learnt (unless
    ``requests_per_minute`` is set) and shared with every process using the same key.

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
        budget: RateBudget | None = None,
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
        self.adapter = self._make_adapter(s.base_url)
        self._adapters: dict[tuple[str, str | None], Adapter] = {(s.base_url, None): self.adapter}
        self.key_id = key_id(s.api_key)
        self.store = JobStore(s.job_store)
        self.journal = Journal(self.store)
        self.budget = budget or self._make_budget()
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
            self.http,
            self.adapter_for,
            self.policy,
            s,
            self._jobs,
            self.tracker.publish,
            scale=self._scale,
        )
        self.ledger = Ledger(self.store, self._jobs, self._following)
        self.submitter = Submitter(
            self.http,
            self.adapter,
            self.journal,
            base_url=s.base_url,
            key_id=self.key_id,
            remember=self._remember,
            start=self._start,
        )
        # The last store failure while following (a full disk, a lock): jobs go on in memory.
        self.store_problem: str | None = None

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
    async def submit(
        self,
        prompt: str | Prepared,
        *,
        new: bool = False,
        timeout: float | None = None,
        **params: Any,
    ) -> Job:
        """Validate, send, record in the store, start following; return the job at once.

        ``prompt`` may be a :class:`~hailuo_nb.prepared.Prepared` request (from
        :meth:`prepare`): it is sent as it is, without validating it again.

        With ``reuse="always"`` (and not ``new``), an identical request's job that completed
        (video still on disk) or is still running is returned instead, marked
        ``reused=True``, without any request to the provider (see :mod:`hailuo_nb.reuse`).

        ``timeout`` (seconds) is sent as a server-side deadline where the provider takes
        one (``providers.TakesDeadline``: Replicate's ``Cancel-After``), so giving up also
        stops the bill; elsewhere it is not sent (``wait(timeout=)`` only stops waiting).

        Raises :class:`~hailuo_nb.errors.ValidationError` before anything is sent, and
        :class:`~hailuo_nb.errors.SubmitUncertain` when the job may exist but we cannot
        tell (it is never sent twice).

        Example (inside a coroutine)::

            job = await client.submit("a red fox", model="hailuo-2.3", duration=6)
            again = await client.submit("a red fox", model="hailuo-2.3", duration=6)
            again.reused  # True with reuse="always": nothing was sent
        """
        if timeout is not None and not (
            isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0
        ):
            raise ValidationError(
                "timeout", f"must be a number of seconds above 0, not {timeout!r}"
            )
        if isinstance(prompt, Prepared):
            prepared = prompt
        else:
            prepared = self.prepare(prompt, new=new, **params)
        send = partial(self._send, prepared, deadline=timeout)
        if prepared.new or new or self.settings.reuse != "always":
            return await send(exclusive=False)
        job, reused = await self.ledger.once(prepared.fingerprint, partial(send, exclusive=True))
        return self._attach(job) if reused else job

    def _attach(self, found: Job) -> Job:
        live = self._jobs.setdefault(found.id, found)
        self._ensure_following(found.id)  # attach to a running one, as resume does
        return dataclasses.replace(live, reused=True)

    async def _send(
        self, prepared: Prepared, *, exclusive: bool, deadline: float | None = None
    ) -> Job:
        if self.settings.auto_chosen:
            say_emulator_once()  # where a job is made: the videos are placeholders
        request = prepared.request
        adapter = self._adapter_at(self.settings.base_url, request.model.protocol)
        image_urls = await self._upload_images(request, adapter)
        if request.regenerate_from is not None:
            image_urls["base_video"] = await self._base_video(request.regenerate_from)
        # A model the catalog does not know goes as the user gave it (catalog.raw_model).
        body = request.raw_body() if request.extra is not None else None
        body = body if body is not None else adapter.payload(request, image_urls)
        wire = adapter.submit_request(body, request.model.wire_name)
        if deadline is not None and isinstance(adapter, TakesDeadline):
            wire = adapter.with_deadline(wire, deadline)
        job = Job(
            id="",
            provider=self.settings.provider,
            model=request.model.name,
            params=request.public_params(),
            cost=prepared.estimate,
            expected_seconds=self._expected(request),
        )
        return await self.submitter.send(prepared, job, wire, exclusive=exclusive, adapter=adapter)

    async def cancel(self, job: Job | str) -> CancelAnswer:
        """Ask the provider to cancel a job that has not finished; its answer.

        Generic over every adapter that can cancel (``providers.Cancellable``). A refusal
        is an answer (``accepted=False`` with the provider's reason, e.g. MiniMax cannot
        cancel a running task), never an exception; a finished job, or a provider that
        cannot cancel, is refused here without a request. An accepted cancel ends the
        job as ``cancelled`` (final, not charged).

        Example (inside a coroutine)::

            answer = await client.cancel(job)
            print(answer.message)
        """
        job_id = job if isinstance(job, str) else job.id
        current = self.get(job_id) or (job if isinstance(job, Job) else None)
        if current is None:
            raise ValidationError("job", f"unknown job {job_id!r}")
        if current.done:
            return CancelAnswer(False, f"the job is already {current.status}", current.status)
        if current.status == "submitting":
            return CancelAnswer(False, "its submit is still in flight; try again in a moment")
        self.check_owner(current)
        adapter = self.adapter_for(current)
        if not isinstance(adapter, Cancellable):
            name = host(current.provider).title or current.provider
            return CancelAnswer(False, f"{name} cannot cancel a job once submitted", None)
        answer = await self.http.call(
            adapter.cancel_request(job_id),
            partial(adapter.parse_cancel, job_id),
            idempotent=True,  # cancelling twice is harmless: never a second paid job
        )
        if answer.accepted and answer.status is None:
            answer = await self._settle_cancel(adapter, current, answer)
        if answer.accepted and answer.status == "cancelled":
            latest = self._jobs.get(job_id, current)
            update = Update("cancelled", reason=f"cancelled: {answer.message}")
            self._jobs.setdefault(job_id, latest)
            self.tracker.publish(apply_update(latest, update, now=time.time()))
            # Its follow loop asks once more, hears "cancelled" from the provider, and ends.
            self.follower.nudge(job_id)
        return answer

    async def _settle_cancel(
        self, adapter: Adapter, job: Job, answer: CancelAnswer
    ) -> CancelAnswer:
        # The provider only took the request and says the same to a queued and a running
        # job (fal): one status read tells the user which happened, in one line.
        update = await self.http.call(
            adapter.poll_request(job.id), partial(adapter.parse, "status", job.id), idempotent=True
        )
        name = host(job.provider).title or job.provider
        if update.status == "cancelled":
            return CancelAnswer(
                True, f"{name}: cancelled before it started; not charged", "cancelled"
            )
        if update.status == "processing" or update.status == "completed":
            return CancelAnswer(
                False,
                f"{name}: the job had already started; it runs on and will be billed",
                update.status,
            )
        return answer  # still queued: the cancel is on its way, the follow loop will see it

    def prepare_2k(self, job: Job | str, *, new: bool = False) -> Prepared:
        """The 2K regeneration of a finished 768P H3 job, priced, not sent.

        Raises ``ValidationError`` (one line) for a job that cannot be regenerated: not
        finished, not 768P, or a model without regeneration. Pass it to :meth:`submit`.

        Example (with a finished 768P H3 job)::

            p = client.prepare_2k(job); print(p.estimate)   # ~$0.40 (estimate) for 8 s
        """
        job_id = job if isinstance(job, str) else job.id
        base = self.get(job_id)
        if base is None:
            raise ValidationError("job", f"unknown job {job_id!r}")
        if base.status != "completed":
            raise ValidationError(
                "job", f"{job_id} is {base.status}; only a finished job can be made at 2K"
            )
        if base.params.get("resolution") != "768p" or base.params.get("regenerate_from"):
            raise ValidationError(
                "job", f"{job_id} is not a 768P generation; only 768P drafts are made at 2K"
            )
        return self.prepare(
            base.prompt,
            new=new,
            model=base.model,
            duration=base.params.get("duration"),
            resolution="2k",
            regenerate_from=job_id,
        )

    async def regenerate_2k(self, job: Job | str, *, new: bool = False) -> Job:
        """Make a finished 768P H3 job again at 2K: a new job, submitted like any other.

        Priced first (:meth:`prepare_2k`), journaled, and reused like any request: asking
        twice gives the same 2K job back with ``reuse="always"``.

        Example (inside a coroutine)::

            final = await client.wait(await client.regenerate_2k(draft))
        """
        return await self.submit(self.prepare_2k(job, new=new))

    async def _base_video(self, job_id: str) -> str:
        # The original's content.url is time-limited: ask for a fresh one.
        base = self.get(job_id)
        if base is None:
            raise ValidationError("regenerate_from", f"unknown job {job_id!r}")
        self._jobs.setdefault(job_id, base)
        update = await self.follower.poll_once(job_id)
        if update.status != "completed" or not update.video_url:
            raise ValidationError(
                "regenerate_from",
                f"{job_id} is no longer available at the provider ({update.status})",
            )
        return update.video_url

    def _remember(self, job: Job, fp: str | None) -> None:
        self._jobs[job.id] = job
        if fp is not None:
            self.ledger.note(job.id, fp)

    def _start(self, job: Job, wire: HttpRequest | None) -> None:
        if wire is not None:
            self.tracker.start(job.id, partial(self.follower.run_v1, job.id, wire))
        else:
            self.tracker.start(job.id, partial(self.follower.follow, job.id))

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
        if result.status in ("failed", "expired", "cancelled"):
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

        The job is asked about at the server that made it (from the store), with this
        client's key, which must be the key that made it: a job is never turned into
        ``expired`` by asking the wrong server or account. An id the store does not know is
        asked at this client's server; nothing is written unless the provider knows it.

        Returns the job in whatever final state it reached; raises for network trouble, a
        job made with another provider or key, or an id nobody knows.

        Example (inside a coroutine)::

            job = await client.resume("4f0c...")
        """
        job = self._jobs.get(job_id) or self.store.get(job_id)
        if job is None:
            job = await self._adopt(job_id)
        self.check_owner(job)
        if job.status in ("submitting", "uncertain"):
            raise ValidationError(
                "job_id",
                f"{job_id} is a submit whose outcome is unknown ({job.error or job.status});"
                " reconcile looks for it at the provider",
            )
        if job.base_url is None:
            job = dataclasses.replace(job, base_url=self.settings.base_url)
        if job_id.startswith("v1-") and not job.done:
            job = dataclasses.replace(
                job,
                status="uncertain",
                error="a Segmind v1 job cannot be resumed (its answer was the video itself):"
                " it may have been billed; reconcile looks for it in Segmind's history",
            )
            self._save(job)
        self._jobs[job_id] = job
        try:
            return await self.wait(job)
        except JobFailed:
            return self._jobs[job_id]

    def check_owner(self, job: Job) -> None:
        """Refuse (``ValidationError``) a job made with another provider or another key.

        Asking with the wrong key would get "not found", which must never turn a paid
        job into ``expired``.

        Example:
            >>> Client("emulator", environ={}).check_owner(
            ...     Job(id="a", provider="segmind", model="hailuo-2.3"))
            Traceback (most recent call last):
            ...
            hailuo_nb.errors.ValidationError: job_id: job a was made with provider segmind; \
resume it with Client(provider='segmind')
        """
        if job.provider != self.settings.provider:
            raise ValidationError(
                "job_id",
                f"job {job.id} was made with provider {job.provider}; "
                f"resume it with Client(provider={job.provider!r})",
            )
        made_with = self.store.key_id(job) if job.id not in self._jobs else None
        if made_with and self.key_id and made_with != self.key_id:
            raise ValidationError(
                "api_key",
                f"job {job.id} was submitted with another {job.provider} key ({made_with});"
                f" this key is {self.key_id}: resume it with the key that made it (the job"
                " is left as it was)",
            )

    async def _adopt(self, job_id: str) -> Job:
        # Not in the store: an id from the dashboard or another machine. Ask before writing.
        model = self.settings.model or catalog.default_model(self.settings.provider)
        job = Job(
            id=job_id,
            provider=self.settings.provider,
            model=model,
            status="queued",
            base_url=self.settings.base_url,
        )
        self._jobs[job_id] = job
        try:
            update = await self.follower.poll_once(job_id)
        except NotFound:
            update = None
        finally:
            del self._jobs[job_id]
        if update is None or update.status == "expired":
            raise NotFound(
                f"no job {job_id} in the job store, and {job.provider} at"
                f" {self.settings.base_url} does not know it either",
                provider=job.provider,
                status_code=404,
            )
        return job

    async def reconcile(self, dismiss: str | None = None) -> list[Reconciled]:
        """Look for every uncertain submit at the provider; each one's outcome.

        An uncertain submit (its answer lost: a dropped connection, an interrupt, a dead
        process) is looked up in the provider's own request history where there is one
        (Segmind): found, it becomes its real job (followed, its video saved); provably
        absent, it is dismissed (it cost nothing, and no longer stops an identical
        request). Providers without a history say so. ``dismiss`` names one submit the
        user checked on the dashboard and knows was not accepted.

        Example (inside a coroutine)::

            for found in await client.reconcile():
                print(found.line)
        """
        lookup = Lookup(
            self.journal, self.http, self.adapter_for, self.settings.provider, self._scale
        )
        found = await reconcile(lookup, dismiss)
        for item in found:
            # Found: follow it like any job (poll it, or fetch its video).
            if item.job is not None and (not item.job.done or needs_download(item.job)):
                self._jobs[item.job.id] = item.job
                self._ensure_following(item.job.id)
        return found

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
        elif request.resolution == "2k":
            typical *= 2.0  # H3 (protocols-more.md §1.10): 2K ~160-330 s, 768P ~60-160 s
        recent: list[float] = []
        if not host(self.settings.provider).in_process:  # its speed is known: time_scale
            with contextlib.suppress(StoreError):  # a guess: never a reason to stop a submit
                recent = self.store.recent_runs(
                    self.settings.provider, spec.name, self.settings.base_url
                )
        return expected_seconds(typical, recent, scale=self._scale)

    async def _upload_images(self, request: params_mod.Request, adapter: Adapter) -> dict[str, str]:
        if isinstance(adapter, UploadsEach):
            # One file at a time (MiniMax's mm_file://): a repeated upload costs nothing.
            return {
                field: await self.http.call(wire, adapter.parse_upload_one, idempotent=True)
                for field, wire in adapter.upload_each(request)
            }
        fields = adapter.upload_fields(request)
        if not fields:
            return {}
        images = [getattr(request, f) for f in fields]
        wire = adapter.upload_request([i.data_url() for i in images])
        urls = await self.http.call(
            wire, partial(adapter.parse_upload, count=len(images)), idempotent=True
        )
        return dict(zip(fields, urls, strict=True))

    def adapter_for(self, job: Job) -> Adapter:
        """The adapter speaking to the server ``job`` lives at (with this client's key).

        Example:
            >>> c = Client("emulator", environ={})
            >>> c.adapter_for(Job(id="a", provider="emulator", model="m")) is c.adapter
            True
        """
        base = job.base_url or self.settings.base_url
        try:
            protocol = catalog.get_model(job.provider, job.model).protocol
        except ValidationError:
            protocol = None  # a model the catalog no longer knows: the provider's protocol
        return self._adapter_at(base, protocol)

    def _adapter_at(self, base: str, protocol: str | None) -> Adapter:
        # One adapter per server and protocol: MiniMax's H3 models speak V2 beside V1.
        if (base, protocol) not in self._adapters:
            self._adapters[base, protocol] = self._make_adapter(base, protocol)
        return self._adapters[base, protocol]

    def _make_adapter(self, base_url: str, protocol: str | None = None) -> Adapter:
        s, where = self.settings, host(self.settings.provider)
        same = base_url == s.base_url
        return make_adapter(
            s.provider,
            base_url,
            s.api_key,
            segmind_api=s.segmind_api,
            upload_url=s.upload_url if same else where.upload_url_for(base_url),
            history_url=s.history_url if same else where.history_url_for(base_url),
            protocol=protocol,
        )

    def _make_budget(self) -> RateBudget:
        """The provider's request budget: learnt unless ``requests_per_minute`` was set,
        shared with every process using this key unless it is the in-process emulator."""
        s, where = self.settings, host(self.settings.provider)
        book: Callable[[Limits], Book] | None = None
        if s.budget_state is not None and not where.in_process:
            path, scope = s.budget_state, (s.provider, s.base_url, self.key_id)
            book = partial(SharedBook, path, scope)
        return RateBudget(
            s.requests_per_minute,
            floor=where.floor_rpm,
            learn=not s.rpm_explicit,
            book=book,
            label=where.possessive,
        )

    def _save(self, job: Job) -> None:
        if job.id.startswith("v1-") and not job.done:
            return  # its journal row stays "submitting" while the blocking call runs
        try:
            self.submitter.save(job)
        except (StoreError, OSError, sqlite3.Error) as exc:
            # Never end a follow for the store's sake: the job goes on in memory and the
            # next change tries again; the session says the store is failing.
            self.store_problem = f"the job store cannot be written ({store_reason(exc)})"
        else:
            self.store_problem = None

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
