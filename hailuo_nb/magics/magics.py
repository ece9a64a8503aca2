"""``%%hailuo`` (the cell is the prompt) and ``%hailuo`` (config, history, resume, cost, wait).

Example::

    %load_ext hailuo_nb
    %%hailuo -m hailuo-2.3 --duration 6 -o fox
    a red {animal} running through snow

Without ``--wait`` the cell returns at once and its output is a live view that becomes
the video when the job is done. User mistakes raise ``UsageError`` (one line) and send
nothing. A bracket close to a camera command (``[Pan lft]``) is said in one line with the
command it probably means; the prompt is still sent as written.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from ..camera import camera_warnings
from ..errors import (
    BudgetExceeded,
    HailuoError,
    StoppedWaiting,
    SubmitInterrupted,
    ValidationError,
)
from ..hosts import KEY_ENV
from ..notebook import actions, outcomes
from ..notebook.pages import PageWatch, page_of
from ..notebook.registry import session_for
from ..notebook.session import Session, ask_reuse
from ..prepared import Prepared
from ..progress import show
from ..providers import Cancellable
from ..ratestate import learnt
from ..settings import budget_state_path, environment
from ..widgets.panel import panel_command
from . import reports
from .compare_cell import run_compare_cell
from .parsing import cell_params, fill_prompt, parse_cell_args
from .story_cell import run_story_cell

__all__ = ["HailuoMagics"]

LINE_USAGE = (
    "%hailuo config | history [N] | resume ID | reconcile [--dismiss ID] | cost"
    " | wait [NAME_OR_ID ...] | panel | cancel NAME_OR_ID | upscale NAME_OR_ID [-o NAME]"
)


@magics_class
class HailuoMagics(Magics):
    """The magics, on the shell's one :class:`Session` (shared with ``Panel()``, ``compare()``).

    Example::

        shell.register_magics(HailuoMagics(shell))
    """

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.session: Session = session_for(shell)
        self.config_obj = self.session.config
        self.pages = PageWatch()

    def after_cell(self, result: Any = None) -> None:
        """After every cell (IPython's ``post_run_cell``): note the page and its new jobs.

        Example::

            shell.events.register("post_run_cell", magics.after_cell)
        """
        self.pages.after_cell(self.session, page_of(self.shell))

    def _say_unseen(self) -> None:
        # Once per reloaded page: the jobs whose live views went with the old page.
        line = self.pages.notice(self.session, page_of(self.shell))
        if line:
            print(line)

    @property
    def _ns(self) -> dict[str, Any]:
        assert self.shell is not None
        ns: dict[str, Any] = self.shell.user_ns
        return ns

    # -- %%hailuo ------------------------------------------------------------------------
    @cell_magic
    def hailuo(self, line: str, cell: str) -> None:
        """Generate a video from the cell's prompt.

        ::

          %%hailuo [-m MODEL] [--provider P] [--duration D] [--resolution R]
                   [--first-frame PATH_URL_OR_VAR] [--last-frame PATH_URL_OR_VAR]
                   [--no-optimizer] [--go-fast] [--fast-pretreatment] [--mode MODE]
                   [--ratio R] [--ref-image X]... [--ref-video X]... [--ref-audio X]...
                   [--expansion MODE] [-o NAME] [--wait] [--embed] [--new] [--compare]
                   [--story]
          a red fox running through {place}

        ``{name}`` is filled from your variables (``{{``/``}}`` for literal braces).
        ``-o NAME`` keeps the ``Job`` in ``NAME``; ``--wait`` blocks until the video is
        ready (Interrupt Kernel stops waiting, not the job); ``--embed`` inlines the video.
        A request identical to an earlier job that completed (video still on disk) or is
        running shows that job again instead of paying twice (``Hailuo.reuse``: always,
        never, ask); ``--new`` asks for a fresh sample. ``--compare`` runs the prompts
        separated by ``---`` lines side by side, option lists comma-separated
        (``-m hailuo-2.3,minimax-hailuo-2``); see :mod:`hailuo_nb.magics.compare_cell`.
        ``--story`` chains the shots separated by ``---`` lines into one film, each
        starting from the last frame before; see :mod:`hailuo_nb.magics.story_cell`.
        Settings: ``%config Hailuo`` (provider, model, output_dir, budget_usd, ...).
        """
        args = parse_cell_args(line)
        self._say_unseen()
        if args.story:
            run_story_cell(self.session, args, cell, self._ns)
            return
        if args.compare:
            run_compare_cell(self.session, args, cell, self._ns)
            return
        prompt = fill_prompt(cell, self._ns)
        params = cell_params(args, self._ns)
        client = self._client(args.provider)
        try:
            prepared = client.prepare(prompt, new=bool(args.new), **params)
            for warning in camera_warnings(prompt):
                print(warning)  # a probable typo; the prompt still goes as written
            if not self._may_reuse(prepared):
                prepared = prepared.as_new()
            tracked = self.session.send(
                client, prepared, embed=self.session.embeds(args.embed), name=args.o
            )
        except (ValidationError, BudgetExceeded) as exc:
            raise UsageError(f"%%hailuo: {exc}") from None
        except SubmitInterrupted as exc:
            print(outcomes.interrupted_line(exc))
            return
        except StoppedWaiting as exc:
            print(exc)
            return
        except HailuoError as exc:
            # A refusal, a lost answer, a failing store: one line, every paid job named.
            raise UsageError(f"%%hailuo: {outcomes.error_line(exc)}") from None
        if tracked.extra.get("reused"):
            print(reports.reused_line(tracked.job))
        if self.session.waits(args.wait):  # on Colab by default: it repaints running cells
            self._wait_for([tracked.job.id], summary=False)

    # -- %hailuo -------------------------------------------------------------------------
    @line_magic("hailuo")  # type: ignore[arg-type]
    def hailuo_line(self, line: str) -> None:
        """``%hailuo config | history [N] | resume ID | cost | wait [NAME_OR_ID ...] |
        cancel NAME_OR_ID | upscale NAME_OR_ID [-o NAME]``.

        Example::

            %hailuo history 5
        """
        words = line.split()
        if not words:
            raise UsageError(f"usage: {LINE_USAGE}")
        command, rest = words[0], words[1:]
        if command != "wait":  # wait itself shows them
            self._say_unseen()
        handler = {
            "config": self._config,
            "history": self._history,
            "resume": self._resume,
            "reconcile": self._reconcile,
            "cost": self._cost,
            "wait": self._wait,
            "panel": self._panel,
            "cancel": self._cancel,
            "upscale": self._upscale,
        }.get(command)
        if handler is None:
            raise UsageError(f"%hailuo: unknown command {command!r}; usage: {LINE_USAGE}")
        handler(rest)

    def _config(self, rest: list[str]) -> None:
        keys = {p: self.session.has_key(p) for p in KEY_ENV}
        show(reports.config_bundle(self.config_obj.notebook_settings(), keys, self._budgets()))

    def _budgets(self) -> list[tuple[str, str]]:
        # This session's clients (the rate in force, learnt or fixed, where it is shared),
        # then what other kernels and processes learnt, from the shared state file.
        rows: list[tuple[str, str]] = []
        seen: set[tuple[str, str, str]] = set()
        for client in self.session.runner.resources():
            budget, s = client.budget, client.settings
            kind = "learnt" if budget.learning else "fixed by requests_per_minute"
            where = budget.book.describe()
            rows.append((s.provider, f"~{budget.rate:.3g}/min, {kind}, {where} ({s.base_url})"))
            seen.add((s.provider, s.base_url, client.key_id or ""))
        path = budget_state_path(self.config_obj.budget_state, environment())
        for row in learnt(path) if path is not None else []:
            if (row.provider, row.base_url, row.key_id) not in seen:
                line = f"~{row.rate:.3g}/min, learnt, in {path} ({row.base_url})"
                rows.append((row.provider, line))
        return rows

    def _history(self, rest: list[str]) -> None:
        if len(rest) > 1 or (rest and not rest[0].isdigit()):
            raise UsageError("usage: %hailuo history [N]")
        limit = int(rest[0]) if rest else 20
        show(reports.history_bundle(self._client(None).history(limit=limit)))

    def _cost(self, rest: list[str]) -> None:
        total = reports.total_cost(self._client(None).history())
        show(reports.cost_bundle(self.session.spent(with_saved=True), total))

    def _resume(self, rest: list[str]) -> None:
        if len(rest) != 1:
            raise UsageError("usage: %hailuo resume ID")
        job_id = rest[0]
        stored = self._client(None).get(job_id)
        if stored is None:
            raise UsageError(f"%hailuo resume: no job {job_id!r} in the job store")
        client = self._client(stored.provider)
        if stored.status in ("submitting", "uncertain"):
            raise UsageError(
                f"%hailuo resume: {job_id} is a submit whose outcome is unknown"
                f" ({stored.error or stored.status}): %hailuo reconcile looks for it"
            )
        try:
            client.check_owner(stored)
        except ValidationError as exc:
            raise UsageError(f"%hailuo resume: {exc}") from None
        done = stored.done and (stored.status != "completed" or bool(stored.video_path))
        self.session.start(client, stored, embed=self.session.embeds(), already_done=done)
        if done:
            self._wait_for([stored.id], summary=False)

    def _reconcile(self, rest: list[str]) -> None:
        # Look up every uncertain submit at its provider; show and follow what is found.
        dismiss = rest[1] if len(rest) == 2 and rest[0] == "--dismiss" else None
        if rest and dismiss is None:
            raise UsageError("usage: %hailuo reconcile [--dismiss SUBMIT_ID]")
        base = self._client(None)
        providers = {job.provider for job, _ in base.journal.unresolved()}
        if dismiss:
            stored = base.get(dismiss)
            providers.add(stored.provider if stored else base.settings.provider)
        if not providers:
            print("no uncertain submits: nothing to look for")
            return
        runner = self.session.runner
        for provider in sorted(providers):
            client = self._client(provider)
            try:
                found = runner.wait(runner.submit(client.reconcile(dismiss)))
            except HailuoError as exc:
                raise UsageError(f"%hailuo reconcile: {exc}") from None
            for item in found:
                print(item.line.replace("(reconcile --dismiss", "(%hailuo reconcile --dismiss"))
                if item.job is not None:
                    self.session.start(client, item.job)

    def _panel(self, rest: list[str]) -> None:
        panel_command(self.session, rest)

    def _cancel(self, rest: list[str]) -> None:
        # A refusal (a running MiniMax task) is printed: it is an answer, not an error.
        if len(rest) != 1:
            raise UsageError("usage: %hailuo cancel NAME_OR_ID")
        try:
            print(actions.cancel_line(self.session, rest[0]))
        except HailuoError as exc:
            raise UsageError(f"%hailuo cancel: {exc}") from None

    def _upscale(self, rest: list[str]) -> None:
        # 2K from a finished 768P H3 draft: a new paid job, priced and budget-checked first.
        name = rest[2] if len(rest) == 3 and rest[1] == "-o" else None
        if len(rest) not in (1, 3) or (len(rest) == 3 and name is None):
            raise UsageError("usage: %hailuo upscale NAME_OR_ID [-o NAME]")
        if name is not None and not name.isidentifier():
            raise UsageError(f"%hailuo upscale: -o needs a variable name, got {name!r}")
        try:
            tracked = actions.upscale(
                self.session, rest[0], name=name, embed=self.config_obj.embed
            )
        except HailuoError as exc:
            raise UsageError(f"%hailuo upscale: {outcomes.error_line(exc)}") from None
        if tracked.extra.get("reused"):
            print(reports.reused_line(tracked.job))

    def _wait(self, rest: list[str]) -> None:
        for ref in rest:
            if self.session.find(ref) is None and self.session.group(ref) is None:
                raise UsageError(f"%hailuo wait: no job or comparison {ref!r} in this session")
        self._wait_for(rest or None)

    # -- helpers -------------------------------------------------------------------------
    def _may_reuse(self, prepared: Prepared) -> bool:
        # Hailuo.reuse = "ask": one y/N question per cell, only when there is a job to reuse.
        found = prepared.reusable
        if self.config_obj.reuse != "ask" or found is None:
            return True
        question = reports.reused_line(found, hint="same request").replace(" (same request)", "")
        return ask_reuse(f"{question}: show it again instead of paying for a new one? [y/N] ")

    def _client(self, provider: str | None) -> Any:
        try:
            return self.session.client(provider)
        except ValidationError as exc:
            raise UsageError(f"%%hailuo: {exc}") from None
        except HailuoError as exc:
            raise UsageError(f"%%hailuo: {exc}") from None

    def _cancel_hint(self) -> str:
        # Interrupt on a --wait cell: a queued job its provider can cancel costs nothing yet.
        queued = []
        for t in self.session.tracked():
            if t.job.status != "queued":
                continue
            try:
                adapter = self.session.client(t.job.provider).adapter_for(t.job)
            except HailuoError:
                continue
            if isinstance(adapter, Cancellable):
                queued.append(t.name or t.job.id)
        if not queued:
            return ""
        return (
            f" Still queued, so not charged yet: {', '.join(queued)};"
            f" %hailuo cancel {queued[0]} cancels it."
        )

    def _wait_for(self, refs: list[str] | None, *, summary: bool = True) -> None:
        try:
            waited = self.session.wait(refs)
        except StoppedWaiting:
            running = [t.job.id for t in self.session.tracked() if not t.job.done]
            print(
                "Stopped waiting. Still running in the background and saved in the job store: "
                + ", ".join(running)
                + ". Each cell's output becomes the video when its job is done;"
                " after a restart use %hailuo resume ID."
                + self._cancel_hint()
            )
            return
        for t in waited:
            if t.bundle is not None:
                # Send the final output again from *this* cell: front ends that only keep
                # messages of the running cell (nbclient, nbconvert) get it this way too.
                t.view.finish(t.bundle)
            if summary:
                print(t.bundle["text/plain"].splitlines()[0] if t.bundle else t.job.id)
