"""``compare()``: many prompts and settings at once, side by side, within budget and limits.

The flow: build every tile (:mod:`.plan`), validate and price them all with each
provider's client (nothing is sent if one is wrong), check the session's budget, show
the plan; above ``confirm_above_usd`` wait for a click on "Send" (or ``.confirm()``).
Then every tile is submitted concurrently on the session's runner loop, at most
``max_concurrency`` jobs of one client in flight, inside its shared request budget, and
followed by the session like a ``%%hailuo`` job, drawn as a tile of the board
(:mod:`.grid`). When all are done, the board becomes one lasting HTML grid of videos.

Example (in a notebook)::

    import hailuo_nb
    cmp = hailuo_nb.compare(["a red fox in snow", "an owl at dusk"],
                            models=["hailuo-2.3", "minimax-hailuo-2"])
    cmp.wait(); cmp.table(); cmp.export_html("foxes.html")
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import display as d
from ..errors import HailuoError, PossiblyPaid, SubmitUncertain, ValidationError
from ..models import Job
from ..notebook import outcomes
from ..notebook.registry import current_session
from ..notebook.session import ask_reuse
from ..progress import LiveView
from . import export, render, summary
from .grid import Board, make_board
from .plan import Cell, Plan, build_cells, make_plan, show_value

if TYPE_CHECKING:
    from ..client import Client
    from ..notebook.session import Session, Tracked

__all__ = [
    "DEFAULT_CONFIRM_ABOVE_USD",
    "Comparison",
    "columns_for",
    "compare",
    "start_comparison",
]

DEFAULT_CONFIRM_ABOVE_USD = 5.0
"""Above this estimated total (USD) nothing is sent before the user confirms.

Example:
    >>> DEFAULT_CONFIRM_ABOVE_USD
    5.0
"""


def columns_for(n_tiles: int, per_prompt: int) -> int:
    """Grid columns: one row per prompt when that gives 2-4 columns, else up to 3.

    Example:
        >>> columns_for(4, 2), columns_for(8, 2), columns_for(4, 1), columns_for(6, 6)
        (2, 2, 2, 3)
    """
    if 2 <= per_prompt <= 4:
        return per_prompt
    if n_tiles == 4:
        return 2
    return max(1, min(n_tiles, 3))


class Comparison:
    """A running (or planned) comparison: its tiles, jobs, summary table and exports.

    Made by :func:`compare`. ``state`` is ``pending`` (waiting for confirmation),
    ``running`` or ``done``.

    Example (in a notebook)::

        cmp = hailuo_nb.compare(["a fox", "an owl"], durations=[6, 10])
        cmp.jobs            # the Job of each tile, in order
        cmp.wait()          # blocks; Interrupt Kernel stops waiting, not the jobs
        cmp.table()         # list of dicts; cmp.to_dataframe() with pandas
        cmp.export_html("compare.html")
    """

    def __init__(
        self,
        session: Session,
        plan: Plan,
        clients: Mapping[str | None, Client],
        *,
        embed: bool = False,
        view_kind: str = "auto",
    ) -> None:
        self.session = session
        self.plan = plan
        self.cells = plan.cells
        self.embed = embed
        self._clients = dict(clients)
        self._lock = threading.Lock()
        self._jobs = [
            Job(
                id="",
                provider=self._clients[c.provider].settings.provider,
                model=str(resolved.get("model", "")),
                params=dict(resolved),
                status="submitting",
                cost=estimate,
            )
            for c, resolved, estimate in zip(plan.cells, plan.resolved, plan.estimates, strict=True)
        ]
        self._tracked: list[Tracked | None] = [None] * len(self.cells)
        self._future: concurrent.futures.Future[None] | None = None
        self._bundle: dict[str, Any] | None = None
        self.state = "pending"
        prompts = len({c.prompt for c in self.cells})
        self.columns = columns_for(len(self.cells), len(self.cells) // max(1, prompts))
        self.board: Board = make_board(self.heading(), view_kind, _tile_actions(session))

    # -- what it shows ---------------------------------------------------------------
    @property
    def jobs(self) -> list[Job]:
        """The latest ``Job`` of each tile, in tile order (``id=''`` while not yet sent).

        Example: see the class.
        """
        return [
            t.job if t is not None else j for t, j in zip(self._tracked, self._jobs, strict=True)
        ]

    def shared(self) -> str:
        """The settings every tile has in common, e.g. ``hailuo-2.3 · 6 s · 768p``.

        Example: see the class.
        """
        resolved = self.plan.resolved
        keys = [k for k in resolved[0] if k != "prompt" or len(resolved) > 1]
        same = [
            k for k in keys if k not in self.cells[0].differs and all(
                r.get(k) == resolved[0][k] for r in resolved)
        ]  # fmt: skip
        shown = [show_value(k, resolved[0][k]) for k in same if k != "prompt"]
        provider = self.jobs[0].provider if "provider" not in self.cells[0].differs else None
        return " · ".join([*([provider] if provider else []), *shown])

    def heading(self) -> str:
        """One line: the plan, then (once sent) how many tiles are in each status.

        Example: see the class.
        """
        if self.state == "pending":
            line = self.plan.describe()
        else:
            # What was paid for now, apart from what is only shown again (paid before).
            line = self.plan.describe(again_too=False)
            jobs, again = self.jobs, self._shown_again()
            counts = Counter(j.status for j in jobs)
            line += " · " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            billed = {  # by job: twin tiles of one job are paid once
                j.id: j.cost.usd
                for i, j in enumerate(jobs)
                if i not in again and j.cost is not None and not j.cost.estimated
            }
            if billed:
                line += f" · paid for this comparison: ${sum(billed.values()):.2f} billed"
            if again:
                days = sorted(
                    {
                        time.strftime("%Y-%m-%d", time.localtime(jobs[i].submitted_at))
                        for i in again
                        if jobs[i].submitted_at
                    }
                )
                paid = f" (paid on {', '.join(days)})" if days else " (paid before)"
                line += f" · {len(again)} shown again{paid}"
        shared = self.shared()
        return f"{line} · same for all: {shared}" if shared else line

    def _shown_again(self) -> set[int]:
        # Tiles answered by an earlier identical job: planned so, or found so at send time.
        # (A twin of another tile of this grid, "tile N", is paid for here, once.)
        planned = {
            i for i, r in enumerate(self.plan.reused) if r is not None and not r.startswith("tile ")
        }
        found = {i for i, t in enumerate(self._tracked) if t is not None and t.extra.get("reused")}
        return planned | found

    def table(self) -> list[dict[str, Any]]:
        """One record per tile: prompt, provider, model, settings, status, seconds, cost,
        file, job id, error.

        Example: see the class.
        """
        return [summary.record(c, j) for c, j in zip(self.cells, self.jobs, strict=True)]

    def to_dataframe(self) -> Any:
        """:meth:`table` as a ``pandas.DataFrame`` (ImportError naming pandas without it).

        Example: see the class.
        """
        return summary.to_dataframe(self.table())

    def export_html(self, path: str | Path, embed: bool | None = None) -> Path:
        """Write one self-contained HTML page: videos side by side, captions, the table.

        By default light previews are inlined, each linking its full file relative to the
        page (it plays anywhere, also in Jupyter's "Open in New Browser Tab"); with
        ``embed=False`` the videos are only linked (keep them next to the page).

        Example: see the class.
        """
        return export.export_page(
            path,
            self.heading(),
            self.cells,
            self.jobs,
            self.table(),
            columns=self.columns,
            embed=embed,
        )

    def __repr__(self) -> str:
        return f"<Comparison {self.heading()}>"

    def _repr_html_(self) -> str:
        return render.block_html(self.heading(), render.table_html(self.table()), controls=False)

    # -- sending -------------------------------------------------------------------
    def ask(self) -> None:
        """Show the plan and a Send button; nothing is sent until confirmed.

        Example: see the class.
        """
        label = f"send {self.plan.to_send} jobs (~${self.plan.total_usd:.2f})"
        self.board.ask(self.plan.lines(), label[0].upper() + label[1:], self._on_button)

    def _on_button(self) -> None:
        try:
            self.confirm()
        except HailuoError as exc:
            self.board.note(str(exc))

    def confirm(self) -> Comparison:
        """Send every tile now (after the budget is checked again); no-op once sent.

        Raises :class:`~hailuo_nb.errors.BudgetExceeded` if the budget would be passed.

        Example: see the class.
        """
        with self._lock:
            if self.state != "pending":
                return self
            self.session.check_budget(self.plan.total_usd)
            self.state = "running"
        headers = [render.caption_html(c.caption()) for c in self.cells]
        views = self.board.start(self._jobs, headers, self.columns)
        self._future = self.session.runner.submit(self._run(views))
        return self

    @property
    def sent(self) -> bool:
        """Whether its tiles were sent (False while it waits for its Send button).

        Example: see the class.
        """
        return self._future is not None

    def wait(self, timeout: float | None = None) -> Comparison:
        """Block until every tile is done; the final grid is shown again from this cell.

        Interrupt Kernel raises :class:`~hailuo_nb.errors.StoppedWaiting`; the jobs go on.

        Example: see the class.
        """
        if self._future is None:
            raise HailuoError(
                f"nothing sent yet: call .confirm() to send {self.plan.to_send} jobs"
                f" (~${self.plan.total_usd:.2f})"
            )
        self.session.runner.wait(self._future, timeout)
        if self._bundle is not None:
            # Re-sent from the waiting cell, for executors that only keep its messages.
            self.board.finish(self._bundle)
        return self

    def upscale(self, tile: int, *, name: str | None = None) -> Job:
        """Make tile ``tile`` (1-based, as the table numbers them) again at 2K: a new job,
        priced and budget-checked, shown in the calling cell. Its 768P draft must be done.

        Example (after a 768P H3 comparison)::

            final = cmp.upscale(3, name="final")
        """
        from ..notebook import actions

        if not 1 <= tile <= len(self.cells):
            raise ValidationError("tile", f"must be 1-{len(self.cells)}, got {tile}")
        job = self.jobs[tile - 1]
        if not job.id:
            raise ValidationError("tile", f"tile {tile} was not sent")
        return actions.upscale(self.session, job.id, name=name).job

    async def _run(self, views: list[LiveView]) -> None:
        gates: dict[int, asyncio.Semaphore] = {}
        for client in self._clients.values():
            gates.setdefault(id(client), asyncio.Semaphore(client.settings.max_concurrency))
        await asyncio.gather(
            *(self._one(i, view, gates) for i, view in enumerate(views)),
            return_exceptions=True,
        )
        self._bundle = await asyncio.to_thread(self._final_bundle)
        self.state = "done"
        self._bundle["text/plain"] = self.heading() + "\n" + render.table_text(self.table())
        self.board.finish(self._bundle)

    async def _one(self, i: int, view: LiveView, gates: dict[int, asyncio.Semaphore]) -> None:
        cell = self.cells[i]
        client = self._clients[cell.provider]
        async with gates[id(client)]:
            try:
                job = await self.session.asubmit(client, self.plan.prepared[i])
            except HailuoError as exc:
                # A submit whose outcome is unknown may have been paid: not "failed".
                maybe = isinstance(exc, (SubmitUncertain, PossiblyPaid))
                failed = dataclasses.replace(
                    self._jobs[i],
                    status="uncertain" if maybe else "failed",
                    error=outcomes.error_line(exc),
                )
                self._jobs[i] = failed
                view.update(failed)
                view.finish(d.final_bundle(failed))
                self._refresh()
                return
            # A job reused from an identical earlier request may already be finished.
            done = job.done and (job.status != "completed" or bool(job.video_path))
            tile = _GridTile(view, cell, self._refresh)
            tracked = self.session.start(
                client, job, embed=self.embed, view=tile, already_done=done
            )
            tracked.extra["reused"] = job.reused  # paid before: not paid for this comparison
            self._tracked[i] = tracked
            assert tracked.future is not None
            # A failure shows in the tile's own final output.
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(tracked.future)
        self._refresh()

    def _refresh(self) -> None:
        # A front end that went away must not stop the other tiles.
        with contextlib.suppress(Exception):
            self.board.set_table(self.table())
            self.board.set_heading(self.heading())

    def _final_bundle(self) -> dict[str, Any]:
        return export.grid_bundle(
            self.heading(),
            self.cells,
            self.jobs,
            self.table(),
            columns=self.columns,
            embed=self.embed,
            cap_bytes=self.session.config.preview_max_bytes,
        )


class _GridTile:
    """A tile's live view whose end is drawn as the lasting grid draws that tile.

    The session finishes a job's view with the job's own output (a wide video and its
    caption); in a grid that would make each tile jump, then the whole grid jump again
    when it is replaced by the lasting one. This view hands its tile the grid's figure
    instead (``JobTile.finish_as_figure`` where the tile can drop its own frame).
    """

    def __init__(self, view: LiveView, cell: Cell, on_status: Callable[[], None]) -> None:
        self.view, self.cell, self.on_status = view, cell, on_status

    @property
    def job(self) -> Job:
        return self.view.job

    def __getattr__(self, name: str) -> Any:
        # Otherwise it is its tile (``widget``, ``bar``, ``finished``...).
        return getattr(self.view, name)

    def update(self, job: Job) -> None:
        changed = job.status != self.view.job.status
        self.view.update(job)
        if changed:  # the table and heading say each tile's status: not a stale one
            self.on_status()

    def draw(self, now: float) -> None:
        self.view.draw(now)

    def finish(self, bundle: dict[str, Any]) -> None:
        text = str(bundle.get("text/plain", ""))
        figure = export.tile_bundle(self.cell, self.view.job, text)
        getattr(self.view, "finish_as_figure", self.view.finish)(figure)


def compare(
    prompts: str | Sequence[str],
    models: Any = None,
    durations: Any = None,
    resolutions: Any = None,
    providers: Any = None,
    settings: Sequence[Mapping[str, Any]] | None = None,
    confirm_above_usd: float | None = DEFAULT_CONFIRM_ABOVE_USD,
    new: bool = False,
    embed: bool = False,
    **common: Any,
) -> Comparison:
    """Generate every combination (or each of ``settings``) side by side in a live grid.

    ``prompts`` × ``providers`` × ``models`` × ``durations`` × ``resolutions`` (leave one
    out for the session's default); ``settings`` is an explicit list of dicts used
    instead of the product (crossed with ``prompts`` unless a dict has its own
    ``prompt``). ``common`` (e.g. ``prompt_optimizer=False``, ``first_frame=...``) applies
    to every tile. Uses the ``%%hailuo`` session: its settings, clients, budget and jobs.

    Every tile is validated before anything is sent (:class:`~.plan.TileError` names the
    tile and field); :class:`~hailuo_nb.errors.BudgetExceeded` if the estimate would pass
    ``Hailuo.budget_usd``; above ``confirm_above_usd`` (``None``: never ask) the plan
    waits for its Send button or :meth:`Comparison.confirm`. ``new=True`` asks for fresh
    samples where identical earlier jobs could be reused; ``embed=True`` inlines the
    videos in the notebook (``Hailuo.embed``, by default where the front end needs it).
    On Colab (``Hailuo.wait``) the cell waits for the grid, which Colab repaints only
    while its cell runs.

    Example (in a notebook)::

        cmp = hailuo_nb.compare(["a red fox in snow", "an owl at dusk"],
                                models=["hailuo-2.3", "minimax-hailuo-2"])
    """
    session = current_session()
    comparison = start_comparison(
        session,
        prompts,
        models=models,
        durations=durations,
        resolutions=resolutions,
        providers=providers,
        settings=settings,
        confirm_above_usd=confirm_above_usd,
        new=new,
        embed=embed,
        common=common,
    )
    if session.waits() and comparison.state != "pending":
        # Colab repaints an output only while its cell runs: the grid lives in this cell.
        comparison.wait()
    return comparison


def start_comparison(
    session: Session,
    prompts: str | Sequence[str],
    *,
    models: Any = None,
    durations: Any = None,
    resolutions: Any = None,
    providers: Any = None,
    settings: Sequence[Mapping[str, Any]] | None = None,
    confirm_above_usd: float | None = DEFAULT_CONFIRM_ABOVE_USD,
    new: bool = False,
    embed: bool = False,
    common: Mapping[str, Any] | None = None,
) -> Comparison:
    """:func:`compare` on a given session (``%%hailuo --compare`` passes the magic's).

    Example (in a notebook)::

        cmp = start_comparison(current_session(), ["a fox", "an owl"], durations=[6, 10])
    """
    cells = build_cells(
        prompts,
        models=models,
        durations=durations,
        resolutions=resolutions,
        providers=providers,
        settings=settings,
        common=common,
    )
    clients = {p: session.client(p) for p in dict.fromkeys(c.provider for c in cells)}
    plan = make_plan(cells, clients.__getitem__, new=new)
    if not new and plan.to_send < len(cells) and not _may_reuse(session, plan):
        new = True
        plan = plan.as_new()
    session.check_budget(plan.total_usd)
    comparison = Comparison(
        session,
        plan,
        clients,
        embed=session.embeds(embed),
        view_kind=session.config.progress,
    )
    session.add_group(comparison)  # `%hailuo wait` waits for its tiles, sent or not yet
    if confirm_above_usd is not None and plan.total_usd > confirm_above_usd + 1e-9:
        comparison.ask()
    else:
        comparison.confirm()
    return comparison


def _may_reuse(session: Session, plan: Plan) -> bool:
    # Hailuo.reuse = "ask": one y/N question per comparison, only when tiles would be
    # shown again.
    if session.config.reuse != "ask":
        return True
    again = len(plan.cells) - plan.to_send
    return ask_reuse(
        f"{again} of {len(plan.cells)} tiles repeat earlier requests: show those videos again"
        f" instead of paying ~${plan.full_usd - plan.total_usd:.2f} for new ones? [y/N] "
    )


def _tile_actions(session: Session) -> Any:
    # The grid's tiles get Cancel (while queued) and 2K (768P H3 drafts) buttons.
    from ..widgets.tile import session_actions

    return session_actions(session)
