"""``storyboard()``: shots chained into one film, each starting from the last frame before.

The flow: build the shots, validate and price them all (:mod:`.plan`; nothing is sent if
one is wrong, and a model that takes no first frame is refused naming the shot), check
the session's budget, show the plan; above ``confirm_above_usd`` wait for "Send" (or
``.confirm()``), as a comparison does. Then the shots run one after another on the
session's runner: each is sent through the session (its client, ledger, budget and job
list), followed like a ``%%hailuo`` job in its own card, and when it is done its last
frame is extracted (:mod:`.frames`) and becomes the next shot's first frame. An unchanged
shot is answered by the client's ledger (the first frame enters the fingerprint by its
content), so re-running an edited storyboard pays only from the first changed shot on.
Finally the shots are joined (:mod:`.join`), a manifest is written beside the film, and
the board becomes one lasting MIME bundle.

Example (in a notebook)::

    import hailuo_nb
    story = hailuo_nb.storyboard(["a fox wakes up in its den", "it steps out into snow"],
                                 model="hailuo-2.3")
    story.wait(); story.film; story.export_html("fox.html")
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import hashlib
import html
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog import get_model
from ..comparison.grid import Board, make_board
from ..errors import HailuoError, PossiblyPaid, SubmitUncertain, ValidationError
from ..models import Job
from ..notebook import media as nb_media
from ..notebook import outcomes
from ..prepared import Prepared
from ..progress import LiveView
from . import media, output, render
from .frames import save_last_frame
from .join import Joined, join
from .plan import Shot, ShotError, StoryPlan, pick_key

if TYPE_CHECKING:
    from ..client import Client
    from ..notebook.session import Session, Tracked

__all__ = ["Storyboard"]


class Storyboard:
    """A running (or planned) storyboard: its shots' jobs, the film, the manifest.

    Made by :func:`storyboard`. ``state`` is ``pending`` (waiting for confirmation),
    ``running`` or ``done``.

    Example (in a notebook)::

        story = hailuo_nb.storyboard(["a fox wakes up", "it runs"], model="hailuo-2.3")
        story.shots         # the Job of each shot, in order
        story.wait()        # blocks; Interrupt Kernel stops waiting, not the jobs
        story.film          # Path of the joined MP4 (None until done)
        story.manifest      # the record written beside it
    """

    def __init__(
        self,
        session: Session,
        plan: StoryPlan,
        client: Client,
        *,
        name: str = "storyboard",
        crossfade: float = 0.0,
        embed: bool = False,
        view_kind: str = "auto",
    ) -> None:
        self.session = session
        self.plan = plan
        self.client = client
        self.name = name
        self.crossfade = crossfade
        self.embed = embed
        self._lock = threading.Lock()
        provider = client.settings.provider
        self._jobs = [
            Job(
                id="",
                provider=provider,
                model=str(params.get("model", "")),
                params={**params, "prompt": shot.prompt},
                status="submitting",
                cost=estimate,
                # Said on the card until the shot is sent: it waits, it is not stuck.
                note=f"starts when shot {shot.index - 1} is done" if shot.index > 1 else None,
            )
            for shot, params, estimate in zip(
                plan.shots, plan.resolved, plan.estimates, strict=True
            )
        ]
        n = len(plan.shots)
        self._tracked: list[Tracked | None] = [None] * n
        self._frames: list[str | None] = [None] * n
        self._future: concurrent.futures.Future[None] | None = None
        self._bundle: dict[str, Any] | None = None
        self._current: int | None = None
        # One card per candidate: (shot, variant) from 0, in order; a shot without
        # variants has one. The live views come in this order too.
        self._slots = [(i, v) for i, s in enumerate(plan.shots) for v in range(len(s.candidates()))]
        self._views: list[LiveView] = []
        self._thumbs: dict[tuple[int, int], tuple[str | None, str | None]] = {}
        self._variants: dict[int, list[Tracked | None]] = {}
        self._picked: dict[int, int] = {i - 1: v - 1 for i, v in plan.picks.items()}
        self._requested: dict[int, int] = {}  # picks asked for by pick(), not yet used
        self._events: dict[int, asyncio.Event] = {}
        self._gate: concurrent.futures.Future[None] | None = None
        self.awaiting: int | None = None  # the shot (from 1) that waits for a pick
        self.joined: Joined | None = None
        self.manifest: dict[str, Any] | None = None
        self.manifest_path: Path | None = None
        self.error: str | None = None
        self.state = "pending"
        self.board: Board = make_board(self.heading(), view_kind)

    # -- what it shows ---------------------------------------------------------------
    @property
    def shots(self) -> list[Job]:
        """The latest ``Job`` of each shot, in order (``id=''`` while not yet sent).

        Example: see the class.
        """
        return [
            t.job if t is not None else j for t, j in zip(self._tracked, self._jobs, strict=True)
        ]

    @property
    def film(self) -> Path | None:
        """The joined MP4 (None until every shot is done and joined).

        Example: see the class.
        """
        return self.joined.path if self.joined is not None else None

    @property
    def sent(self) -> bool:
        """Whether it was sent (False while it waits for its Send button).

        Example: see the class.
        """
        return self._future is not None

    def eta_seconds(self, now: float | None = None) -> float:
        """Seconds until the whole film is done, from typical durations (shots run one
        after another, so the shots still to come add up).

        Example: see the class.
        """
        now = time.time() if now is None else now
        known = [j.expected_seconds for j in self.shots if j.expected_seconds]
        left = 0.0
        for job in self.shots:
            if job.done:
                continue
            expected = job.expected_seconds or (known[-1] if known else self._typical(job))
            started = job.submitted_at if job.id else None
            left += max(0.0, expected - (now - started)) if started else expected
        return left

    def _typical(self, job: Job) -> float:
        try:
            return float(get_model(job.provider, job.model).typical_seconds or 120.0)
        except HailuoError:
            return 120.0

    def heading(self) -> str:
        """One line: the plan, or which shot runs and the time left, or the film.

        Example: see the class.
        """
        if self.state == "pending":
            return "storyboard: " + self.plan.describe()
        jobs = self.shots
        n = len(jobs)
        sent = self._sent()
        again = sum(1 for t in sent if t.extra.get("reused"))
        paid = sum(
            t.job.cost.usd for t in sent if not t.extra.get("reused") and t.job.cost is not None
        )
        billed = all(t.job.cost is None or not t.job.cost.estimated for t in sent)
        money = f"${paid:.2f}" + (" billed" if billed else " (estimate)")
        tail = f" · paid for this storyboard: {money}" + (
            f" · {again} shown again (paid before)" if again else ""
        )
        if self.state == "done":
            if self.joined is not None:
                return f"film: {n} shots · {self.joined.seconds:.1f} s · {self.film_name()}{tail}"
            return f"storyboard: {n} shots · not joined: {self.error or 'a shot failed'}{tail}"
        if self.awaiting is not None:
            k = len(self.plan.shots[self.awaiting - 1].candidates())
            return (
                f"storyboard: shot {self.awaiting} of {n} waits for a pick:"
                f" story.pick(shot={self.awaiting}, variant=1..{k}), or Use this one{tail}"
            )
        i = self._current if self._current is not None else 0
        status = jobs[i].status
        return (
            f"storyboard: shot {i + 1} of {n} {status} · about {_duration(self.eta_seconds())}"
            f" left for the film{tail}"
        )

    def _sent(self) -> list[Tracked]:
        """Every job sent for this storyboard: each shot's, and every candidate's."""
        found = {id(t): t for t in self._tracked if t is not None}
        for candidates in self._variants.values():
            found.update({id(t): t for t in candidates if t is not None})
        return list(found.values())

    def film_name(self) -> str:
        """The film's file name, relative to the kernel's folder when it is under it.

        Example: see the class.
        """
        if self.film is None:
            return ""
        with contextlib.suppress(ValueError):
            return os.path.relpath(self.film)
        return str(self.film)

    def table(self) -> list[dict[str, Any]]:
        """One record per shot: shot, prompt, model, status, seconds, cost, file, job id.

        Example: see the class.
        """
        out = []
        for n, job in enumerate(self.shots, 1):
            elapsed = job.elapsed() if job.submitted_at is not None else None
            out.append(
                {
                    "tile": n,
                    "prompt": job.prompt,
                    "model": job.model,
                    "status": job.status,
                    "seconds": round(elapsed, 1) if elapsed is not None else None,
                    "cost_usd": job.cost.usd if job.cost is not None else None,
                    "billed": job.cost is not None and not job.cost.estimated,
                    "file": job.video_path,
                    "job_id": job.id or None,
                    "error": job.error,
                }
            )
        return out

    def __repr__(self) -> str:
        return f"<Storyboard {self.heading()}>"

    def _repr_html_(self) -> str:
        return (
            f'<div class="hailuo-story"><b>{html.escape(self.heading())}</b>'
            f"<pre>{html.escape(chr(10).join(self.plan.lines()))}</pre></div>"
        )

    # -- sending -------------------------------------------------------------------
    def ask(self) -> None:
        """Show the plan and a Send button; nothing is sent until confirmed.

        Example: see the class.
        """
        label = f"Send {self.plan.to_send} shots (~${self.plan.total_usd:.2f})"
        self.board.ask(self.plan.lines(), label, self._on_button)

    def _on_button(self) -> None:
        try:
            self.confirm()
        except HailuoError as exc:
            self.board.note(str(exc))

    def confirm(self) -> Storyboard:
        """Start the shots now (after the budget is checked again); no-op once sent.

        Example: see the class.
        """
        with self._lock:
            if self.state != "pending":
                return self
            self.session.check_budget(self.plan.total_usd)
            self.state = "running"
        headers = [self._header(slot) for slot in self._slots]
        jobs = [self._slot_job(slot) for slot in self._slots]
        views = self.board.start(jobs, headers, min(len(self._slots), 5))
        self._views = views
        self._set_heading()
        self._future = self.session.runner.submit(self._run(views))
        return self

    def wait(self, timeout: float | None = None) -> Storyboard:
        """Block until the film is made (or a shot failed); the result is shown again here.

        Interrupt Kernel raises :class:`~hailuo_nb.errors.StoppedWaiting`; the jobs go on.

        Example: see the class.
        """
        if self._future is None:
            raise HailuoError(
                f"nothing sent yet: call .confirm() to send {self.plan.to_send} shots"
                f" (~${self.plan.total_usd:.2f})"
            )
        future = self._future
        future.add_done_callback(lambda _: self._attention())
        deadline = None if timeout is None else time.monotonic() + timeout
        while not future.done():
            # A fresh gate before the checks: a change after them opens it.
            gate: concurrent.futures.Future[None] = concurrent.futures.Future()
            self._gate = gate
            if self._needs_pick():
                print(self.heading().partition(" · paid")[0])  # waits for a pick: say which
                return self
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            self.session.runner.wait(gate, left)
        self.session.runner.wait(self._future, timeout)
        if self._bundle is not None:
            self.board.finish(self._bundle)  # for executors that keep only this cell's
        return self

    def export_html(self, path: str | Path, embed: bool = False) -> Path:
        """Write one HTML page: the film, the shot cards; the film linked or ``embed``-ded.

        Example: see the class.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = str(target.resolve().parent)
        body = output.page_html(
            self,
            lambda p: nb_media.data_url(p) if embed else nb_media.relative_src(p, cwd=folder),
        )
        target.write_text(render.document("Hailuo storyboard", body), encoding="utf-8")
        return target

    def _slot_job(self, slot: tuple[int, int]) -> Job:
        i, v = slot
        shot = self.plan.shots[i]
        if not shot.variants:
            return self._jobs[i]
        return dataclasses.replace(
            self._jobs[i], params={**self._jobs[i].params, "prompt": shot.variants[v]}
        )

    def _header(self, slot: tuple[int, int]) -> str:
        """A card's top: shot (and variant), prompt, its first and last frames once known."""
        i, v = slot
        shot = self.plan.shots[i]
        first, last = self._thumbs.get(slot, (None, None))
        title = f"<b>shot {shot.index}</b>"
        prompt = shot.label()
        if shot.variants:
            title += f" · variant {v + 1} of {len(shot.variants)}"
            prompt = _label(shot.variants[v])
            if self._picked.get(i) == v:
                title += " <b>· picked</b>"
        return (
            f"{title} {html.escape(prompt)}"
            f'<div style="display:flex;gap:4px">{render.thumb(first, "first frame", "48%")}'
            f"{render.thumb(last, 'last frame', '48%')}</div>"
        )

    def _show_card(self, slot: tuple[int, int]) -> None:
        # The cards are the comparison's JobTiles: their header is where the frames go.
        with contextlib.suppress(Exception):  # a front end gone must not stop the shots
            header: Any = getattr(self._views[self._slots.index(slot)], "header", None)
            if hasattr(header, "value"):
                header.value = self._header(slot)

    def _view(self, slot: tuple[int, int]) -> LiveView:
        return self._views[self._slots.index(slot)]

    # -- picking a variant ---------------------------------------------------------
    def variants(self, shot: int) -> list[Job]:
        """The jobs of shot ``shot``'s candidates (from 1), in order.

        Example: see :meth:`pick`.
        """
        i = shot - 1
        tracked = self._variants.get(i)
        if not tracked:
            return [self.shots[i]]
        return [t.job if t is not None else self._jobs[i] for t in tracked]

    def pick(self, shot: int, variant: int) -> Storyboard:
        """Go on from variant ``variant`` of shot ``shot`` (both from 1); remembered, so a
        re-run does not ask again. May be called before the candidates are done.

        Example (in a notebook)::

            story = hailuo_nb.storyboard(["a fox", {"prompts": ["it runs", "it jumps"]}])
            story.pick(shot=2, variant=2)
        """
        shots = self.plan.shots
        if not 1 <= shot <= len(shots) or not shots[shot - 1].variants:
            with_variants = [s.index for s in shots if s.variants] or "none"
            raise HailuoError(
                f"shot {shot} has no variants to pick (shots with some: {with_variants})"
            )
        k = len(shots[shot - 1].variants)
        if not 1 <= variant <= k:
            raise HailuoError(f"shot {shot} has variants 1 to {k}, not {variant}")
        tracked = self._variants.get(shot - 1) or []
        chosen = tracked[variant - 1] if len(tracked) >= variant else None
        if chosen is not None and chosen.job.done and chosen.job.status != "completed":
            raise HailuoError(f"variant {variant} of shot {shot} {chosen.job.status}: pick another")
        if shot - 1 in self._picked and self._picked[shot - 1] != variant - 1:
            raise HailuoError(f"shot {shot} went on from variant {self._picked[shot - 1] + 1}")
        self._requested[shot - 1] = variant - 1
        event = self._events.get(shot - 1)
        if event is not None:
            self.session.runner.loop.call_soon_threadsafe(event.set)
        return self

    def _on_pick(self, i: int, v: int) -> None:
        try:
            self.pick(i + 1, v + 1)
        except HailuoError as exc:
            self.board.note(str(exc))

    def _offer(self, i: int, done: list[int]) -> None:
        """A *Use this one* button on each finished candidate's card (widget boards)."""
        with contextlib.suppress(Exception):  # no widgets here: story.pick() still works
            import ipywidgets as w

            for v in done:
                card: Any = getattr(self._view((i, v)), "widget", None)
                if card is None:
                    continue
                button = w.Button(description="Use this one", button_style="success", icon="check")
                button.on_click(lambda _, v=v: self._on_pick(i, v))
                card.children = (*card.children, button)

    def _needs_pick(self) -> bool:
        """Whether the chain is stopped at a shot whose pick nobody has asked for yet."""
        return self.awaiting is not None and (self.awaiting - 1) not in self._requested

    def _attention(self) -> None:
        """Wake a blocked :meth:`wait`: the storyboard is done or waits for a pick."""
        gate = self._gate
        if gate is not None:
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                gate.set_result(None)

    # -- running -------------------------------------------------------------------
    async def _run(self, views: list[LiveView]) -> None:
        ticker = asyncio.ensure_future(self._tick())
        try:
            await self._shots(views)
            if all(j.status == "completed" for j in self.shots):
                try:
                    await asyncio.to_thread(self._join)
                except Exception as exc:  # a full disk, a file gone: say it, keep the shots
                    self.error = f"joining failed: {exc}"
        finally:
            ticker.cancel()
        self.state = "done"
        self._bundle = await asyncio.to_thread(self.final_bundle)
        self.board.finish(self._bundle)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self._set_heading()

    def _set_heading(self) -> None:
        # The boards are the comparison's: the heading line is where the ETA goes.
        text = self.heading()
        with contextlib.suppress(Exception):  # a front end gone must not stop the shots
            widget: Any = getattr(self.board, "heading", None)
            if hasattr(widget, "value"):
                widget.value = f'<div style="font-weight:600">{html.escape(text)}</div>'
            elif isinstance(widget, str):
                self.board.heading = text  # type: ignore[attr-defined]

    async def _shots(self, views: list[LiveView]) -> None:
        before: str | None = None  # the last frame (PNG) of the shot before
        for i, shot in enumerate(self.plan.shots):
            self._current = i
            self._set_heading()
            try:
                planned = self.plan.prepared[0] if i == 0 else None
                # Prepared now, with the real last frame: the requests that are sent.
                if planned is None:
                    planned = await asyncio.to_thread(self._prepare, shot, before)
                prepared: list[Prepared] = planned
            except ValidationError as exc:
                error = outcomes.error_line(ShotError(shot.index, shot.label(), exc))
                self._stop(i, "failed", error)
                return
            if shot.variants:
                job = await self._variants_of(i, prepared)
            else:
                job = await self._one(i, 0, prepared[0])
            if job is None:
                return
            try:
                frame = await asyncio.to_thread(save_last_frame, str(job.video_path))
            except (HailuoError, OSError) as exc:
                self.error = f"shot {i + 1}: its last frame could not be read: {exc}"
                self._stop(i + 1, None, f"not sent: {self.error}")
                return
            before = self._frames[i] = str(frame)

    def _prepare(self, shot: Shot, before: str | None) -> list[Prepared]:
        params = {**shot.params, "first_frame": before}
        return [self.client.prepare(p, new=shot.new, **params) for p in shot.candidates()]

    async def _one(self, i: int, v: int, prepared: Prepared, *, alone: bool = True) -> Job | None:
        """Send and follow candidate ``v`` of shot ``i``; its finished job, or None."""
        shot = self.plan.shots[i]
        try:
            job = await self.session.asubmit(self.client, prepared)
        except HailuoError as exc:
            maybe = isinstance(exc, (SubmitUncertain, PossiblyPaid))
            status = "uncertain" if maybe else "failed"
            if alone:
                self._stop(i, status, outcomes.error_line(exc))
            else:
                self._fail_slot((i, v), status, outcomes.error_line(exc))
            return None
        if i:  # its first frame is the last frame of the shot before
            before = self._thumbs.get((i - 1, self._picked.get(i - 1, 0)), (None, None))[1]
            self._thumbs[(i, v)] = (before, None)
        done = job.done and (job.status != "completed" or bool(job.video_path))
        tracked = self.session.start(self.client, job, view=self._view((i, v)), already_done=done)
        tracked.extra["reused"] = job.reused
        if shot.variants:
            self._variants.setdefault(i, [None] * len(shot.variants))[v] = tracked
        if alone or self._tracked[i] is None:
            self._tracked[i] = tracked
        self._show_card((i, v))
        assert tracked.future is not None
        with contextlib.suppress(Exception):  # the card shows what went wrong
            await asyncio.wrap_future(tracked.future)
        job = tracked.job
        if job.status != "completed" or not job.video_path:
            if alone:
                self.error = f"shot {i + 1} {job.status}" + (f": {job.error}" if job.error else "")
                self._stop(i + 1, None, f"not sent: shot {i + 1} did not complete")
            return None
        first, last = await asyncio.to_thread(media.shot_thumbnails, job)
        self._thumbs[(i, v)] = (
            media.data_url(first) if first else None,
            media.data_url(last) if last else None,
        )
        self._show_card((i, v))
        return job

    async def _variants_of(self, i: int, prepared: list[Prepared]) -> Job | None:
        """Run shot ``i``'s candidates side by side, then wait for (or recall) the pick."""
        self._variants[i] = [None] * len(prepared)
        results = await asyncio.gather(
            *(self._one(i, v, p, alone=False) for v, p in enumerate(prepared))
        )
        done = [v for v, job in enumerate(results) if job is not None]
        if not done:
            self.error = f"shot {i + 1}: no variant completed"
            self._stop(i + 1, None, f"not sent: {self.error}")
            return None
        key = pick_key(prepared)
        folder = self.client.settings.output_dir
        remembered = media.load_picks(folder).get(key)
        pick = self._requested.get(i)
        if pick is None and remembered is not None:
            pick = remembered - 1
        if pick is None and len(done) == 1:
            pick = done[0]
        if pick not in done:
            self._events[i] = event = asyncio.Event()
            self._offer(i, done)
            while True:
                pick = self._requested.get(i)
                if pick in done:
                    break
                self._requested.pop(i, None)  # none yet, or one that failed: ask (again)
                self.awaiting = i + 1
                self._set_heading()
                self._attention()
                event.clear()
                await event.wait()
            self.awaiting = None
        assert pick is not None
        self._picked[i] = pick
        self._tracked[i] = self._variants[i][pick]
        with contextlib.suppress(OSError):  # not remembered: a re-run asks again, that's all
            await asyncio.to_thread(media.save_pick, folder, key, pick + 1)
        for v in range(len(prepared)):
            self._show_card((i, v))
        self._set_heading()
        return results[pick]

    def _fail_slot(self, slot: tuple[int, int], status: str, error: str) -> None:
        from .. import display as d

        i, _v = slot
        job = dataclasses.replace(
            self._slot_job(slot),
            status=status,  # type: ignore[arg-type]
            error=error,
            cost=self._jobs[i].cost if status == "uncertain" else None,
        )
        with contextlib.suppress(Exception):
            self._view(slot).update(job)
            self._view(slot).finish(d.final_bundle(job))

    def _stop(self, first: int, status: str | None, error: str) -> None:
        """Mark shot ``first`` (as ``status``) and every later one as not made."""
        for k in range(first, len(self._jobs)):
            here = k == first and status is not None
            job = dataclasses.replace(
                self._jobs[k],
                status=status if here else "failed",  # type: ignore[arg-type]
                error=error if k == first else f"not sent: shot {first + 1} did not complete",
                cost=self._jobs[k].cost if here and status == "uncertain" else None,
            )
            self._jobs[k] = job
            self.error = self.error or error
            for slot in self._slots:
                if slot[0] == k:
                    self._fail_slot(slot, str(job.status), str(job.error))

    def final_bundle(self) -> dict[str, Any]:
        """The lasting MIME bundle: film player and shot cards (HTML), a poster strip
        (JPEG), and a ``text/plain`` twin with the manifest's lines.

        Example: see the class.
        """
        return output.final_bundle(self)

    def _join(self) -> None:
        jobs = self.shots
        videos = [str(j.video_path) for j in jobs]
        key = "|".join([*(j.id for j in jobs), f"{self.crossfade:g}"])
        digest = hashlib.sha256(key.encode()).hexdigest()[:10]
        folder = Path(videos[0]).parent
        target = folder / f"{_safe(self.name)}-{digest}.mp4"
        self.joined = join(videos, target, crossfade=self.crossfade)
        variants = {i: (self.variants(i + 1), v) for i, v in self._picked.items()}
        self.manifest = media.manifest(
            jobs, self._frames, self.joined, crossfade=self.crossfade, variants=variants
        )
        self.manifest_path = media.write_manifest(self.manifest, target)


def _label(text: str) -> str:
    return Shot(0, text).label()


def _duration(seconds: float) -> str:
    """``45 s``, ``3 min``."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _safe(name: str) -> str:
    """A file-name-safe version of ``name`` (the ``-o`` variable, usually)."""
    kept = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")
    return kept or "storyboard"
