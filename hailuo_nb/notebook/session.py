"""The notebook layer's state: shared clients, this session's jobs, their live views.

One per shell (:mod:`hailuo_nb.notebook.registry`), shared by the magics, the panel and
the comparison. Everything async runs on the runner's loop; the methods here are
synchronous and safe to call from a cell.

Example:
    >>> from hailuo_nb.notebook.config import Hailuo
    >>> session = Session(Hailuo(provider="emulator"))
    >>> session.tracked()
    []
    >>> session.close()
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import dataclasses
import getpass
import importlib
import os
import sys
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from IPython.core.error import StdinNotImplementedError

from .. import display as d
from ..errors import (
    BudgetExceeded,
    HailuoError,
    JobFailed,
    StoppedWaiting,
    StoreError,
    SubmitInterrupted,
)
from ..hosts import KEY_ENV
from ..models import Job
from ..prepared import Prepared
from ..progress import ProgressHub, make_view
from ..runner import Runner
from ..settings import key_source
from ..submitter import SHIELD_SECONDS
from . import frontend, media, preview
from .config import Hailuo

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["Session", "Tracked", "ask_reuse", "colab_secret"]


@dataclass
class Tracked:
    """A job of this session: latest snapshot, live view, follower future, final bundle.

    Example:
        >>> t = Tracked(Job(id="a", provider="p", model="m"))
        >>> t.job.id, t.bundle
        ('a', None)
    """

    job: Job
    view: Any = None
    future: concurrent.futures.Future[Job] | None = None
    embed: bool = False
    bundle: dict[str, Any] | None = None
    name: str | None = None  # the -o variable
    extra: dict[str, Any] = field(default_factory=dict)


class Session:
    """Clients per settings, the jobs submitted from this kernel, and how they are shown.

    Example:
        >>> s = Session(Hailuo()); s.spent()
        {'estimated_usd': 0.0, 'actual_usd': 0.0}
        >>> s.close()
    """

    def __init__(
        self,
        config: Hailuo,
        *,
        runner: Runner | None = None,
        user_ns: MutableMapping[str, Any] | None = None,
        ask_key: Callable[[str], str] | None = None,
    ) -> None:
        self.config = config
        self.runner = runner or Runner()
        self.hub = ProgressHub(self.runner)
        self.user_ns: MutableMapping[str, Any] = user_ns if user_ns is not None else {}
        self._ask_key = ask_key  # None: getpass.getpass, looked up at use (never echoes)
        self._keys: dict[str, str] = {}  # memory only: never shown, stored or saved
        self._from_colab: set[str] = set()  # keys read from Colab's secrets
        self._jobs: dict[str, Tracked] = {}
        # Groups of jobs still to come (a comparison's tiles wait for a slot or a Send
        # button): `wait` waits for them too. Anything with .wait(timeout) and .sent.
        self._groups: list[tuple[str | None, Any]] = []
        # Reuse bookkeeping: jobs shown again from before this session, and what each saved.
        self._reused_from_before: set[str] = set()
        self._saved_usd: list[float] = []

    # -- clients ---------------------------------------------------------------------
    def client(self, provider: str | None = None) -> Client:
        """The shared client for the current settings (and ``provider`` if given).

        Example (needs the client)::

            session.client("emulator").settings
        """
        # The client resolves settings in one place (explicit > notebook > env > default):
        # our settings are its notebook layer, a cell's --provider stays explicit, and
        # unset traits fall through to the environment.
        layer = self.config.client_settings()
        name = provider or layer.get("provider")
        api_key = self._key_for(name)
        emulator = dict(self.config.emulator) if name in (None, "emulator") else {}

        async def make() -> Client:
            from ..client import Client

            extra: dict[str, Any] = {}
            if emulator:
                from ..emulator import EmulatorConfig

                extra["emulator_config"] = EmulatorConfig(**emulator)
            client = Client(provider, notebook_settings=layer, api_key=api_key, **extra)
            client.submitter.notify = _say  # a long rate-limit wait before a submit leaves
            await client.__aenter__()
            return client

        async def close(client: Client) -> None:
            await client.__aexit__(None, None, None)

        return self.runner.resource((self.config.key(provider), name), make, close)

    def _key_for(self, provider: str | None) -> str | None:
        if provider not in KEY_ENV:
            return None
        if key_source(provider):
            return None  # the client reads it from the environment itself
        if provider not in self._keys and self.frontend() == "colab":
            secret = colab_secret(KEY_ENV[provider])
            if secret:
                self._keys[provider] = secret
                self._from_colab.add(provider)
        if provider not in self._keys:
            ask = self._ask_key or getpass.getpass
            key = ask(f"{provider} API key (kept in memory only): ").strip()
            if not key:
                raise HailuoError(f"no API key for {provider}: set {KEY_ENV[provider]}")
            self._keys[provider] = key
        return self._keys[provider]

    def has_key(self, provider: str) -> str:
        """Where the key of ``provider`` comes from: ``env``, ``session`` or ``missing``.

        Example:
            >>> Session(Hailuo()).has_key("emulator")
            'not needed'
        """
        if provider not in KEY_ENV:
            return "not needed"
        source = key_source(provider)
        if source:
            return f"from ${source}"
        if provider in self._from_colab:
            return "from Colab secrets"
        return "entered this session" if provider in self._keys else "missing"

    # -- front end -------------------------------------------------------------------
    def frontend(self) -> str:
        """The front end drawing this kernel's outputs (``Hailuo.frontend``, or detected).

        Example:
            >>> Session(Hailuo(frontend="colab")).frontend()
            'colab'
        """
        from IPython import get_ipython

        return frontend.resolve(self.config.frontend, user_ns=self.user_ns, shell=get_ipython())

    def embeds(self, flag: bool = False) -> bool:
        """Whether a video goes inside its output: ``--embed``, else ``Hailuo.embed``.

        Example:
            >>> Session(Hailuo(frontend="vscode")).embeds(), Session(Hailuo(embed=False,
            ...     frontend="vscode")).embeds(), Session(Hailuo(frontend="jupyterlab")).embeds()
            (True, False, False)
        """
        return flag or frontend.embeds(self.config.embed, self.frontend())

    def waits(self, flag: bool = False) -> bool:
        """Whether a cell waits for its video: ``--wait``, else ``Hailuo.wait``.

        Example:
            >>> Session(Hailuo(frontend="colab")).waits(), Session(Hailuo()).waits(True)
            (True, True)
        """
        return flag or frontend.waits_in_foreground(self.config.wait, self.frontend())

    # -- jobs ------------------------------------------------------------------------
    def tracked(self) -> list[Tracked]:
        """This session's jobs, oldest first.

        Example:
            >>> Session(Hailuo()).tracked()
            []
        """
        return list(self._jobs.values())

    def find(self, ref: str) -> Tracked | None:
        """A session job by id, or by the name of the variable holding it.

        Example:
            >>> Session(Hailuo()).find("nope") is None
            True
        """
        if ref in self._jobs:
            return self._jobs[ref]
        value = self.user_ns.get(ref)
        if isinstance(value, Job):
            return self._jobs.get(value.id)
        return next((t for t in self._jobs.values() if t.name == ref), None)

    def add_group(self, group: Any, name: str | None = None) -> None:
        """Let :meth:`wait` wait for ``group`` (a comparison), also by ``name``.

        Example:
            >>> class Done:
            ...     sent = True
            ...     def wait(self, timeout=None): return self
            >>> s = Session(Hailuo()); s.add_group(Done(), "c"); s.group("c") is not None
            True
        """
        self._groups = [
            (n, g) for n, g in self._groups if g is not group and (n != name or not name)
        ]
        self._groups.append((name, group))

    def group(self, name: str) -> Any:
        """The group (comparison) added under ``name``, or None.

        Example:
            >>> Session(Hailuo()).group("c") is None
            True
        """
        return next((g for n, g in reversed(self._groups) if n == name), None)

    def spent(self, *, with_saved: bool = False) -> dict[str, float]:
        """Cost of this session's jobs in USD, as :attr:`~hailuo_nb.models.Job.charge` counts it.

        A failed job counts only an amount its provider reported as billed (AI/ML says
        it at submit; whether a failure is refunded is not documented).

        A job reused from before this session (an identical request's, see
        :mod:`hailuo_nb.reuse`) cost nothing now and is not counted. ``with_saved`` adds
        ``saved_usd`` (what the reused jobs would have cost again) and ``reused_jobs``.

        Example:
            >>> Session(Hailuo()).spent()["actual_usd"]
            0.0
            >>> Session(Hailuo()).spent(with_saved=True)["saved_usd"]
            0.0
        """
        from_before = self._reused_from_before
        est = act = 0.0
        for t in self._jobs.values():
            cost = t.job.charge
            if cost is None or t.job.id in from_before:
                continue
            if cost.estimated:
                est += cost.usd
            else:
                act += cost.usd
        out = {"estimated_usd": round(est, 4), "actual_usd": round(act, 4)}
        if with_saved:
            out["saved_usd"] = round(float(sum(self._saved_usd)), 4)
            out["reused_jobs"] = float(len(self._saved_usd))
        return out

    def check_budget(self, estimate_usd: float) -> None:
        """Raise :class:`BudgetExceeded` if ``estimate_usd`` would pass ``Hailuo.budget_usd``.

        What counts as spent: :meth:`spent` (billed amounts where the provider reported
        them, estimates otherwise; a failed job only with a billed amount).

        Example:
            >>> s = Session(Hailuo(budget_usd=1.0))
            >>> s.check_budget(0.5)
            >>> try:
            ...     s.check_budget(2.0)
            ... except BudgetExceeded as exc:
            ...     print(exc)
            estimated cost $2.00 would pass the budget of $1.00 ($0.00 already spent)
        """
        budget = self.config.budget_usd
        if budget is None:
            return
        spent = self.spent()
        already = spent["estimated_usd"] + spent["actual_usd"]
        if already + estimate_usd > budget + 1e-9:
            raise BudgetExceeded(estimate_usd, budget, already)

    async def asubmit(self, client: Client, prepared: Prepared) -> Job:
        """Send one prepared request on the runner's loop; the job carries its estimate.

        Example (inside a coroutine on the runner's loop)::

            job = await session.asubmit(client, client.prepare("a fox", duration=6))
        """
        job = await client.submit(prepared)
        if job.cost is None:
            job.cost = prepared.estimate
        if job.reused:
            # Nothing was paid for it now: it counts as saved, and (if it was made before
            # this session) not as spent.
            if job.id not in self._jobs:
                self._reused_from_before.add(job.id)
            self._saved_usd.append(job.cost.usd)
        return job

    def submit(
        self,
        client: Client,
        prompt: str,
        params: dict[str, Any],
        *,
        new: bool = False,
        view: Callable[[Job], Any] | None = None,
        name: str | None = None,
        embed: bool = False,
    ) -> Tracked:
        """Validate, check the budget, send, and follow one request; blocks until sent.

        Raises :class:`~hailuo_nb.errors.ValidationError` or :class:`BudgetExceeded`
        before anything is sent. See :meth:`send` for the rest.

        Example (needs the client)::

            tracked = session.submit(client, "a red fox", {"model": "hailuo-2.3"})
        """
        prepared = client.prepare(prompt, new=new, **params)
        return self.send(client, prepared, view=view, name=name, embed=embed)

    def send(
        self,
        client: Client,
        prepared: Prepared,
        *,
        view: Callable[[Job], Any] | None = None,
        name: str | None = None,
        embed: bool = False,
    ) -> Tracked:
        """Check the budget, send and follow one prepared request; blocks until sent.

        A request the client answers with an identical earlier job
        (``tracked.extra["reused"]``) is free, so it passes any budget. ``view`` makes the
        live view from the new job (e.g. ``JobTile``); by default it is displayed in the
        current cell.

        Example (needs the client)::

            tracked = session.send(client, client.prepare("a red fox"))
        """
        if prepared.will_pay:
            self.check_budget(prepared.estimate.usd)
        future = self.runner.submit(self.asubmit(client, prepared))
        try:
            try:
                job = self.runner.wait(future)
            except StoppedWaiting:
                job = self._interrupted(future)
        except (SubmitInterrupted, StoreError) as exc:
            # The provider accepted it before we could stop: show and follow it anyway.
            accepted = client.get(exc.job_id) if exc.job_id else None
            if accepted is not None:
                self.start(client, accepted, embed=embed, name=name)
            raise
        tracked = self.start(
            client, job, embed=embed, name=name, view=view(job) if view is not None else None
        )
        tracked.extra["reused"] = job.reused  # the job as submit returned it (tracked.job moves)
        return tracked

    def _interrupted(self, future: concurrent.futures.Future[Job]) -> Job:
        # Interrupt Kernel during a submit: the client drops a request not yet sent, or
        # waits (bounded) for the answer of one in flight and records it. Its verdict is
        # SubmitInterrupted; a second interrupt stops our waiting for that verdict.
        self.runner.interrupt(future)
        try:
            return self.runner.wait(future, timeout=SHIELD_SECONDS + 10.0)
        except (StoppedWaiting, TimeoutError):
            raise StoppedWaiting(
                "stopped waiting for the submit's answer; whatever it is, the job store will"
                " have it: %hailuo history, %hailuo reconcile"
            ) from None

    def start(
        self,
        client: Client,
        job: Job,
        *,
        embed: bool = False,
        name: str | None = None,
        view_kind: str | None = None,
        view: Any = None,
        already_done: bool = False,
    ) -> Tracked:
        """Show ``job`` live and follow it on the runner's loop.

        By default the live view is displayed in the current cell; a widget that places
        the job itself (a tile of the panel or of a comparison grid) passes its own
        ``view`` (any :class:`~hailuo_nb.progress.LiveView`, e.g.
        :class:`~hailuo_nb.widgets.tile.JobTile`), which is drawn and finished the same way.

        Example (needs the client)::

            tracked = session.start(client, job, name="fox")
        """
        tracked = Tracked(job=job, embed=embed, name=name)
        self._jobs[job.id] = tracked
        if name:
            self.user_ns[name] = job
        tracked.view = (
            view if view is not None else make_view(job, view_kind or self.config.progress)
        )
        self.hub.add(tracked.view)
        tracked.future = self.runner.submit(self._follow(client, tracked, already_done))
        return tracked

    async def _follow(self, client: Client, t: Tracked, already_done: bool) -> Job:
        job = t.job
        try:
            if not already_done:
                async for snapshot in client.updates(job):
                    self._set(t, snapshot)
                job = await client.wait(t.job)
        except JobFailed as exc:
            job = client.get(t.job.id) or t.job
            if not job.done:
                job = dataclasses.replace(job, status="failed")
            if not job.error:
                job = dataclasses.replace(job, error=exc.reason)
        except HailuoError as exc:
            # Not a remote failure: the job may still be running. Say so and how to resume.
            job = dataclasses.replace(t.job, error=str(exc))
        except asyncio.CancelledError:
            self.hub.remove(t.view)
            raise
        self._set(t, job)
        # Decoding the poster frame is CPU work: keep it off the loop.
        t.bundle = await asyncio.to_thread(self.final_bundle, job, t.embed)
        self.hub.remove(t.view)
        t.view.finish(t.bundle)
        return job

    def _set(self, t: Tracked, job: Job) -> None:
        old = t.job
        t.job = job
        t.view.update(job)
        # Keep the -o variable current, unless the user has since reused the name.
        if t.name and self.user_ns.get(t.name) is old:
            self.user_ns[t.name] = job

    def final_bundle(self, job: Job, embed: bool = False) -> dict[str, Any]:
        """The lasting MIME bundle of a finished job (video, poster, caption, text).

        Example:
            >>> b = Session(Hailuo()).final_bundle(Job(id="a", provider="p", model="m",
            ...     status="failed", error="blocked"))
            >>> "blocked" in b["text/html"]
            True
        """
        path = job.video_path
        if job.status != "completed" or not path or not os.path.exists(path):
            return d.final_bundle(job, path=path)
        try:
            _, poster = media.save_poster(path, job.prompt)
        except OSError:
            # A full disk must not cost the video its output: the poster stays in memory.
            poster, _ = media.poster_for(path, job.prompt)
        rel = os.path.relpath(path)
        video_src, full_src = media.relative_src(path), None
        if embed:
            light = preview.embeddable(
                path,
                max_height=self.config.preview_height,
                cap_bytes=self.config.preview_max_bytes,
            )
            # Too big to embed even as a preview: linked, its frame and file name shown.
            if light is not None:
                video_src = media.data_url(light)
                full_src = None if str(light) == str(path) else media.relative_src(path)
        # Always inline: JupyterLab rewrites relative src/href in outputs but not poster=,
        # and the small JPEG keeps the frame visible where the video file is not served.
        poster_src = "data:image/jpeg;base64," + base64.b64encode(poster).decode("ascii")
        return d.final_bundle(
            job,
            video_src=video_src,
            poster_src=poster_src,
            poster=(poster, "image/jpeg"),
            path=rel,
            full_src=full_src,
            # Seen only where <video> is stripped: four frames across it, not just the first.
            still_src=media.strip_src(path, poster),
        )

    def wait(self, refs: list[str] | None = None, timeout: float | None = None) -> list[Tracked]:
        """Block until the given jobs (default: all of this session's) are done.

        ``refs`` are job ids, ``-o`` names of jobs, or names of groups (a comparison's
        ``-o``). By default every group is waited for first (tiles still waiting for a
        slot become jobs as they are sent); a comparison waiting for its Send button is
        said, not waited for. Interrupt Kernel raises :class:`StoppedWaiting`; the jobs
        go on.

        Example:
            >>> Session(Hailuo()).wait([])
            []
        """
        groups = [g for _, g in self._groups] if refs is None else []
        if refs is None:
            # Finished ones too: their final output is re-sent from the waiting cell, for
            # executors that dropped it when it came between two cells.
            targets = None
        else:
            targets = []
            for ref in refs:
                group = self.group(ref)
                if group is not None:
                    groups.append(group)
                    continue
                found = self.find(ref)
                if found is None:
                    raise KeyError(ref)
                targets.append(found)
        for group in groups:
            # First the groups: their tiles become jobs of this session as they are sent.
            if not getattr(group, "sent", True):
                print(f"{group!r}: waits for its Send button; not waited for")
                continue
            try:
                group.wait(timeout)
            except StoppedWaiting:
                raise
            except Exception:
                continue  # its tiles show what went wrong
        if targets is None:
            targets = list(self._jobs.values())
        for t in targets:
            if t.future is not None:
                try:
                    self.runner.wait(t.future, timeout)
                except StoppedWaiting:
                    raise
                except Exception:
                    continue  # the job's final bundle shows what went wrong
        return targets

    def close(self) -> None:
        """Stop following jobs (they stay saved in the store) and close the clients.

        Example:
            >>> Session(Hailuo()).close()
        """
        self.runner.close()


def _say(note: str | None) -> None:
    # From the runner's thread; the kernel shows it in the cell that is submitting.
    if note:
        print(f"hailuo: {note} (Interrupt Kernel stops waiting; nothing is sent)", file=sys.stderr)


def ask_reuse(question: str) -> bool:
    """Ask ``question`` (ending in ``[y/N]``) for ``Hailuo.reuse = "ask"``; True means reuse.

    Nobody to ask (Run All headless, nbconvert: no stdin) means reuse: never pay twice
    by default.

    Example (in a notebook)::

        if not ask_reuse("reused job 5f3a from 2026-11-23 10:42: show it again? [y/N] "):
            new = True
    """
    try:
        answer = input(question)
    except (StdinNotImplementedError, EOFError, OSError):
        return True
    return answer.strip().lower() in ("y", "yes")


def colab_secret(name: str) -> str | None:
    """``name`` from Colab's secrets (the key icon), or ``None`` (not Colab, not granted).

    Example:
        >>> colab_secret("SEGMIND_API_KEY") is None  # not in Colab
        True
    """
    try:
        # Imported by name: google.colab exists only on Colab.
        userdata = importlib.import_module("google.colab.userdata")
        value = userdata.get(name)
    except Exception:  # not Colab, no such secret, or this notebook not granted access
        return None
    return str(value).strip() or None if value else None  # an empty secret is no key
