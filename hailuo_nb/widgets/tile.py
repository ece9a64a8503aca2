"""A job as a tile inside another widget: live status and bar, then its final output.

A tile is a :class:`~hailuo_nb.progress.LiveView`, so the session's hub draws it (throttled
like every other view) and :meth:`JobTile.finish` is called with the job's final MIME
bundle. The finished bundle goes into an ``ipywidgets.Output`` by setting its ``outputs``
(never ``with output:``, which breaks in background tasks): JupyterLab renders it with the
notebook's own renderers, so a ``<video src>`` relative to the notebook resolves exactly as
in a cell output.

Example:
    >>> from hailuo_nb.models import Job
    >>> tile = JobTile(Job(id="a", provider="emulator", model="hailuo-2.3", status="queued"))
    >>> tile.finish({"text/plain": "done", "text/html": "<b>done</b>"})
    >>> tile.out.outputs[0]["data"]["text/plain"], tile.finished
    ('done', True)
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..models import Job
from ..progress import FigureView

__all__ = ["JobTile", "TileActions", "session_actions"]


@dataclass(frozen=True)
class TileActions:
    """What a tile's buttons do; each returns the one line to show under the tile.

    ``can_cancel(job)``: the job's provider can cancel it (a *Cancel* button while the
    job is queued); ``can_upscale(job)``: it is a 768P draft that can be made at 2K (a
    *2K* button once it is done). Built from the session by ``session_actions``.

    Example:
        >>> acts = TileActions(cancel=lambda job: f"asked to cancel {job.id}")
        >>> t = JobTile(Job(id="q", provider="p", model="m", status="queued"), actions=acts)
        >>> t.cancel_button.layout.display, t.cancel_button.click(), t.action_note.value
        ('', None, '<small>asked to cancel q</small>')
    """

    cancel: Callable[[Job], str] | None = None
    upscale: Callable[[Job], str] | None = None
    can_cancel: Callable[[Job], bool] = lambda job: True
    can_upscale: Callable[[Job], bool] = lambda job: False

_FIGURE = "hailuo-tile-figure"


class JobTile(FigureView):
    """Status line, progress bar and details of one job; becomes its video when done.

    ``header_html`` (already escaped HTML) is shown above the tile, e.g. what makes this
    tile differ from its neighbours in a grid. ``tile.widget`` is the widget to place.

    Example:
        >>> from hailuo_nb.models import Job
        >>> t = JobTile(Job(id="b", provider="p", model="m"), header_html="<b>A</b>")
        >>> t.draw(time.time()); t.widget.children[0].value
        '<b>A</b>'
    """

    def __init__(
        self,
        job: Job,
        *,
        header_html: str = "",
        width: str = "100%",
        actions: TileActions | None = None,
        muted: bool = False,
    ) -> None:
        super().__init__(job)
        # A grid's tiles start muted (H3 videos have sound); their controls unmute one.
        self.muted = muted
        import ipywidgets as w

        self.actions = actions or TileActions()
        self.header = w.HTML(header_html)
        self.bar.layout.width = "95%"
        self.out = w.Output()
        self.live = w.VBox([self.label, self.bar, self.info])
        self.cancel_button = w.Button(description="Cancel", icon="ban")
        self.cancel_button.tooltip = "ask the provider to cancel this queued job (not charged)"
        self.upscale_button = w.Button(description="2K", icon="arrow-up")
        self.upscale_button.tooltip = "make this 768P draft again at 2K (a new, paid job)"
        self.action_note = w.HTML("")
        self.cancel_button.on_click(lambda _: self._act(self.actions.cancel))
        self.upscale_button.on_click(lambda _: self._act(self.actions.upscale))
        self.action_row = w.HBox([self.cancel_button, self.upscale_button, self.action_note])
        self._show_actions()
        self.widget = w.VBox([self.header, self.live, self.out, self.action_row])
        self.widget.layout.width = width
        self.widget.layout.border = "1px solid #e5e7eb"
        self.widget.layout.padding = "4px"
        self.widget.add_class("hailuo-tile")
        self.widget.add_class(f"hailuo-status-{job.status}")

    def draw(self, now: float) -> None:
        """Draw the live figures, and the buttons that apply to the job's status now.

        Example: see the class.
        """
        super().draw(now)
        self._show_actions()

    def _show_actions(self) -> None:
        job, acts = self.job, self.actions
        queued = job.status == "queued" and not self.finished
        cancel = acts.cancel is not None and queued and acts.can_cancel(job)
        done = self.finished and job.status == "completed"
        upscale = acts.upscale is not None and done and acts.can_upscale(job)
        self.cancel_button.layout.display = "" if cancel else "none"
        self.upscale_button.layout.display = "" if upscale else "none"
        # An empty row still takes its margins: a finished tile would be taller than the
        # lasting grid's figure, and the grid would move when it is replaced.
        shown = cancel or upscale or bool(self.action_note.value)
        self.action_row.layout.display = "" if shown else "none"

    def _act(self, action: Callable[[Job], str] | None) -> None:
        # A widget callback must not raise: whatever happens is the line under the tile.
        if action is None:
            return
        try:
            said = action(self.job)
        except Exception as exc:
            said = str(exc) or type(exc).__name__
        self.action_note.value = f"<small>{html.escape(said)}</small>"
        self._show_actions()

    def finish(self, bundle: dict[str, Any]) -> None:
        """Show ``bundle`` (the job's final output) in place of the live part.

        Safe to call again (``%hailuo wait`` re-sends finals): the output is replaced.

        Example: see the module.
        """
        if not self.finished:
            self.draw(time.time())
        self.finished = True
        data = dict(bundle)
        if self.muted and "text/html" in data and "<video controls muted " not in data["text/html"]:
            data["text/html"] = str(data["text/html"]).replace(
                "<video controls ", "<video controls muted "
            )
        self.out.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)
        self.live.layout.display = "none"
        self._status_class()

    def finish_as_figure(self, bundle: dict[str, Any]) -> None:
        """Show ``bundle``, a figure with its own caption and frame, in place of the tile's.

        A comparison's tile ends as the lasting grid's figure (see
        ``comparison.export.tile_bundle``): the header and frame go, so the figure takes
        exactly the place it will have in the lasting grid.

        Example:
            >>> from hailuo_nb.models import Job
            >>> t = JobTile(Job(id="c", provider="p", model="m"), header_html="<b>A</b>")
            >>> t.finish_as_figure({"text/html": "<figure>v</figure>", "text/plain": "v"})
            >>> t.header.layout.display, t.widget.layout.border
            ('none', '0')
        """
        # JupyterLab pads every HTML output 20 px on the right; the lasting grid has that
        # once, around the whole grid (its board leaves the same room), not in each tile.
        html = bundle.get("text/html", "")
        unpadded = f"<style>.{_FIGURE} .jp-RenderedHTMLCommon{{padding-right:0}}</style>{html}"
        self.finish({**bundle, "text/html": unpadded})
        self.header.layout.display = "none"
        self.widget.layout.border = "0"
        self.widget.layout.padding = "0"
        self.out.layout.margin = "0"
        self.out.add_class(_FIGURE)

    def _status_class(self) -> None:
        for status in ("submitting", "queued", "processing"):
            self.widget.remove_class(f"hailuo-status-{status}")
        self.widget.add_class(f"hailuo-status-{self.job.status}")
        self._show_actions()


def session_actions(session: Any, view: Callable[[Job], Any] | None = None) -> TileActions:
    """Tile buttons that act through the notebook ``session`` (cancel, 2K).

    ``view`` places the 2K job's live view (the panel's job list); by default it shows
    under the cell that drew the tile.

    Example (in a notebook)::

        JobTile(job, actions=session_actions(current_session()))
    """
    from ..catalog import get_model
    from ..errors import ValidationError
    from ..notebook import actions
    from ..providers import Cancellable

    def can_cancel(job: Job) -> bool:
        try:
            client = session.client(job.provider)
        except Exception:
            return False
        return isinstance(client.adapter_for(job), Cancellable)

    def can_upscale(job: Job) -> bool:
        try:
            regenerates = get_model(job.provider, job.model).regenerates
        except ValidationError:
            return False
        p = job.params
        return regenerates and p.get("resolution") == "768p" and not p.get("regenerate_from")

    def upscale(job: Job) -> str:
        tracked = actions.upscale(session, job.id, view=view)
        again = " (the same request's job, shown again)" if tracked.extra.get("reused") else ""
        return f"2K: job {tracked.job.id}{again} · {tracked.job.cost}"

    return TileActions(
        cancel=lambda job: actions.cancel_line(session, job.id),
        upscale=upscale,
        can_cancel=can_cancel,
        can_upscale=can_upscale,
    )
