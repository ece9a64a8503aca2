"""``hailuo_nb.Panel()``: generate videos by pointing and clicking, next to ``%%hailuo``.

The panel is a face on the notebook session (:func:`~hailuo_nb.notebook.registry.current_session`):
the same settings (``%config Hailuo``), client, budget and list of jobs as the magic. It
sends through ``Session.submit`` (validate, budget, send, follow) and resumes through
``Session.start``, exactly as ``%%hailuo`` and ``%hailuo resume`` do. Errors show in one
escaped status line, never as a traceback; the API key is never shown.

Example::

    import hailuo_nb
    panel = hailuo_nb.Panel()
    panel                     # the form, the Generate button, the jobs, the history
    panel.form.fill(prompt="a red fox running through snow", duration=6)
    panel.generate.click()
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BudgetExceeded, HailuoError, ValidationError
from ..hosts import KEY_ENV
from ..models import Job
from ..notebook import outcomes
from ..notebook.registry import current_session
from .form import PanelForm
from .jobs import HistoryList, SessionJobs
from .style import html_line, one_line
from .tile import session_actions

if TYPE_CHECKING:
    from ..client import Client
    from ..notebook.session import Session

__all__ = ["DOUBLE_CLICK_S", "Panel", "panel_command"]

DOUBLE_CLICK_S = 2.0
"""A click that repeats the request just sent, within this many seconds, is ignored.

Example:
    >>> DOUBLE_CLICK_S
    2.0
"""

_RED, _GREY, _GREEN = "#dc2626", "#6b7280", "#16a34a"


class Panel:
    """The control panel: inputs, estimate, Generate, this session's jobs, earlier jobs.

    ``session`` defaults to the one shared with ``%%hailuo``. Parts, for code and tests:
    ``form`` (:class:`~hailuo_nb.widgets.form.PanelForm`), ``generate`` (the button),
    ``reason`` (why it is disabled), ``status`` (what happened last), ``new_sample``,
    ``jobs`` (:class:`~hailuo_nb.widgets.jobs.SessionJobs`), ``history``
    (:class:`~hailuo_nb.widgets.jobs.HistoryList`), ``widget`` (the whole box).
    ``double_click_s``: the same request again within this many seconds is not sent.

    Example (in a notebook)::

        panel = hailuo_nb.Panel()
        panel.form.fill(prompt="a paper boat on a rainy street", resolution="768p")
        panel.generate.click()          # one job; its tile becomes the video
    """

    def __init__(self, session: Session | None = None, *, history_limit: int = 10) -> None:
        import ipywidgets as w

        if session is None:
            session = current_session()
        self.session = session
        self.history_limit = history_limit
        self.form = PanelForm(session)
        self.new_sample = w.Checkbox(
            value=False,
            description="new sample (do not reuse an identical earlier video)",
            indent=False,
        )
        self.new_sample.layout.width = "auto"
        self.generate = w.Button(description="Generate", button_style="primary", icon="play")
        self.generate.add_class("hailuo-generate")
        self.reason = w.HTML("")
        self.reason.add_class("hailuo-panel-reason")
        self.status = w.HTML("")
        self.status.add_class("hailuo-panel-status")
        # A finished job changes its history row (status, billed cost): redraw the list.
        self.jobs = SessionJobs(session.hub, on_finish=lambda: self._guard(self.history.refresh))
        self.jobs.actions = session_actions(session, view=self.jobs.view)
        self.history = HistoryList(self._history, self.resume)
        self._sending = False
        self._last: tuple[Any, float, str] | None = None
        self.double_click_s = DOUBLE_CLICK_S
        self.widget = w.VBox(
            [
                w.HTML("<b>Hailuo video</b>"),
                self.form.widget,
                w.HBox([self.generate, self.new_sample]),
                self.reason,
                self.status,
                self.jobs.widget,
                self.history.widget,
            ]
        )
        self.widget.add_class("hailuo-panel")
        self.form.observe(self._refresh)
        self.generate.on_click(lambda _: self.submit())
        self._refresh()
        self._guard(self.history.refresh)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- actions -----------------------------------------------------------------------
    def submit(self) -> Job | None:
        """What Generate does: send the form as one job and show its tile first.

        Blocks only for the submit round trip. Returns the job, or None when nothing was
        sent (the status line says why).

        Example (in a notebook)::

            job = panel.submit()
        """
        if self._sending:
            return None  # a second click while the first is on its way must not pay twice
        check = self.form.check()
        if not check.ok:
            self._say(f"not sent: {check.reason}", _RED)
            return None
        prompt, params = self.form.prompt.value, self.form.params()
        new = bool(self.new_sample.value)
        key = (self.form.provider.value, prompt, sorted(params.items()), new)
        last = self._last
        recent = last is not None and time.monotonic() - last[1] < self.double_click_s
        if last is not None and recent and last[0] == key:
            # The browser queues clicks made while the kernel was sending: a double click
            # arrives as a second request right after the first. Never pay for it.
            self._say(
                f"not sent again: job {last[2]} has just been sent with these settings", _GREY
            )
            return None
        self._sending = True
        self.generate.description = "Sending…"
        self._refresh()
        try:
            client = self._client(self.form.provider.value)
            tracked = self.session.submit(
                client, prompt, params, view=self.jobs.view, new=new, embed=self.session.embeds()
            )
        except (ValidationError, BudgetExceeded) as exc:
            self._say(f"not sent: {exc}", _RED)
            return None
        except Exception as exc:  # a widget callback must not raise
            self._say(_describe(exc), _RED)
            return None
        finally:
            self._sending = False
            self.generate.description = "Generate"
            self._refresh()
        job = tracked.job
        self._last = (key, time.monotonic(), job.id)
        if tracked.extra.get("reused"):
            # An identical earlier request's job came back instead of a new, paid one.
            self._say(
                f"reused job {job.id} (same request, nothing paid again);"
                " tick 'new sample' for a fresh one",
                _GREEN,
            )
        else:
            self._say(
                f"sent: job {job.id} · {job.cost or check.estimate} · its tile is below", _GREEN
            )
        self._guard(self.history.refresh)
        return job

    def resume(self, job_id: str) -> None:
        """Show a stored job here: its tile again if present, else follow it like
        ``%hailuo resume ID`` (a running job is picked up, a finished one shown).

        Example (in a notebook)::

            panel.resume("4f0c...")
        """
        if job_id in self.jobs.tiles:
            self.jobs.bring_forward(job_id)
            self._say(f"job {job_id} is shown first", _GREY)
            return

        def start() -> None:
            stored = self._client(None).get(job_id)
            if stored is None:
                self._say(f"no job {job_id!r} in the job store", _RED)
                return
            client = self._client(stored.provider)
            done = stored.done and (stored.status != "completed" or bool(stored.video_path))
            self.session.start(
                client,
                stored,
                already_done=done,
                view=self.jobs.view(stored),
                embed=self.session.embeds(),
            )
            what = "shown" if done else "followed again"
            self._say(f"job {job_id} ({stored.status}) {what} above", _GREY)

        self._guard(start)

    # -- internals ---------------------------------------------------------------------
    def _client(self, provider: str | None) -> Client:
        """The session's client; never asks for a key from a widget callback."""
        if provider is None:
            # Any client reads the one job store; prefer the chosen provider's.
            chosen = self.form.provider.value
            provider = chosen if self.session.has_key(chosen) != "missing" else "emulator"
        if self.session.has_key(provider) == "missing":
            raise HailuoError(
                f"no API key for {provider}: set ${KEY_ENV[provider]},"
                " or enter it once in a %%hailuo cell"
            )
        return self.session.client(provider)

    def _history(self) -> list[Job]:
        return self._client(None).history(limit=self.history_limit)

    def _refresh(self) -> None:
        check = self.form.check()
        # The reason goes out before the button state: the front end never shows
        # a disabled Generate without saying why.
        self.reason.value = (
            html_line(f"Cannot generate yet: {check.reason}", "hailuo-reason", color=_RED)
            if check.reason
            else ""
        )
        self.generate.tooltip = check.reason or "send this request (paid on a real provider)"
        self.generate.disabled = self._sending or not check.ok
        budget = self.session.config.budget_usd
        spent = self.session.spent()
        extra = (
            f"; budget ${budget:.2f}, ${spent['estimated_usd'] + spent['actual_usd']:.2f} used"
            if budget is not None
            else ""
        )
        self.form.cost.value = html_line(
            f"Estimated cost: {check.estimate} — catalog price, the provider bills the actual"
            + extra,
            "hailuo-cost",
        )

    def _say(self, text: str, color: str) -> None:
        self.status.value = html_line(text, "hailuo-status", color=color)

    def _guard(self, action: Any) -> None:
        try:
            action()
        except Exception as exc:  # shown in the status line instead
            self._say(_describe(exc), _RED)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, HailuoError):
        return one_line(outcomes.error_line(exc))
    return one_line(f"{type(exc).__name__}: {exc}")


def panel_command(session: Session, rest: Sequence[str] = ()) -> Panel:
    """``%hailuo panel``: display a :class:`Panel` on ``session`` and return it.

    Example (what the magic runs)::

        panel_command(self.session, [])
    """
    from IPython.display import display

    if rest:
        from IPython.core.error import UsageError

        raise UsageError("usage: %hailuo panel")
    panel = Panel(session)
    display(panel)  # type: ignore[no-untyped-call]
    return panel
