"""The panel's two job lists: this session's live tiles, and earlier jobs from the job store.

"Stop waiting" only stops *showing* a job: it goes on at the provider, the session keeps
following it and the store keeps it, so it can be shown again (or resumed after a restart)
from the history. A paid job is never cancelled from here.

Example:
    >>> from hailuo_nb.models import Job
    >>> jobs = SessionJobs()
    >>> tile = jobs.view(Job(id="j1", provider="emulator", model="hailuo-2.3",
    ...                      params={"prompt": "a <b>fox</b>"}))
    >>> "a &lt;b&gt;fox&lt;/b&gt;" in tile.header.value, jobs.ids()
    (True, ['j1'])
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from typing import Any

from .. import display as d
from ..models import Job
from .style import html_line
from .tile import JobTile, TileActions

__all__ = ["HistoryList", "PanelTile", "SessionJobs", "header_html"]

_COLORS = {
    "completed": "#16a34a",
    "failed": "#dc2626",
    "expired": "#b45309",
    "uncertain": "#b45309",
    "cancelled": "#6b7280",
}


def header_html(job: Job) -> str:
    """The escaped caption above a tile: the prompt (shortened) and the settings.

    Example:
        >>> "<b>x&amp;y</b>" in header_html(Job(id="a", provider="emulator", model="m",
        ...                                     params={"prompt": "x&y"}))
        True
    """
    prompt = " ".join(job.prompt.split())
    prompt = prompt if len(prompt) <= 90 else prompt[:89] + "…"
    return (
        f'<div class="hailuo-tile-header {d.NO_MATH}"><b>{html.escape(prompt)}</b><br>'
        f'<small style="color:#6b7280">{html.escape(d.settings_summary(job))}</small></div>'
    )


class PanelTile(JobTile):
    """A :class:`JobTile` with a control row: "Stop waiting" while live, "Hide" when done.

    Example:
        >>> t = PanelTile(Job(id="a", provider="p", model="m"), hub=None)
        >>> t.stop.description
        'Stop waiting'
        >>> t.stop.click(); t.widget.layout.display, t.again.layout.display
        ('none', '')
        >>> t.finish({"text/plain": "done"}); t.stop.description
        'Hide'
    """

    def __init__(
        self,
        job: Job,
        *,
        hub: Any,
        on_finish: Callable[[], None] | None = None,
        actions: TileActions | None = None,
    ) -> None:
        import ipywidgets as w

        super().__init__(job, header_html=header_html(job), actions=actions)
        self.hub = hub
        self._on_finish = on_finish
        self.stop = w.Button(description="Stop waiting", icon="eye-slash")
        self.stop.tooltip = "hide this tile; the job goes on and stays in the job store"
        self.again = w.Button(description="Show again", icon="eye")
        self.again.layout.display = "none"
        self.note = w.HTML("")
        # The buttons sit under their own tile, inside one frame with it: above it, they
        # read as the end of the tile before.
        self.entry = w.VBox([self.widget, w.HBox([self.stop, self.again, self.note])])
        self.entry.add_class("hailuo-panel-job")
        self.entry.layout.border = self.widget.layout.border
        self.entry.layout.padding = "4px"
        self.entry.layout.margin = "0 0 10px 0"
        self.widget.layout.border = "0"
        self.widget.layout.padding = "0"
        self.stop.on_click(lambda _: self.hide())
        self.again.on_click(lambda _: self.show())

    def hide(self) -> None:
        """Stop drawing and hide the tile; the job itself is untouched.

        Example: see the class.
        """
        if self.hub is not None:
            self.hub.remove(self)
        self.widget.layout.display = "none"
        self.stop.layout.display = "none"
        self.again.layout.display = ""
        what = "is done" if self.finished else "goes on in the background"
        self.note.value = html_line(
            f"Not shown: job {self.job.id} {what} and stays in the job store.",
            "hailuo-stopped",
            color="#6b7280",
        )

    def show(self) -> None:
        """Show the tile again (and draw it again while the job runs).

        Example: ``tile.show()``
        """
        if self.hub is not None and not self.finished:
            self.hub.add(self)
        self.widget.layout.display = ""
        self.stop.layout.display = ""
        self.again.layout.display = "none"
        self.note.value = ""

    def finish(self, bundle: dict[str, Any]) -> None:
        """Show the final bundle (see :meth:`JobTile.finish`); the control becomes "Hide".

        Example: see the class.
        """
        super().finish(bundle)
        # The final output has its own caption (prompt, settings, time, cost, file).
        self.header.layout.display = "none"
        self.stop.description = "Hide"
        self.stop.icon = "eye-slash"
        self.stop.tooltip = "hide this tile (the video stays in the job store and on disk)"
        if self._on_finish is not None:
            self._on_finish()


class SessionJobs:
    """This session's jobs sent from the panel, newest first, as :class:`PanelTile` s.

    ``view`` is the view factory handed to ``Session.submit``/``Session.start``;
    ``on_finish()`` is called (on the runner's thread) whenever one of its jobs ends.

    Example: see the module.
    """

    def __init__(self, hub: Any = None, on_finish: Callable[[], None] | None = None) -> None:
        import ipywidgets as w

        self.hub = hub
        self.on_finish = on_finish
        self.actions: TileActions | None = None  # the tiles' Cancel / 2K buttons, if set
        self.tiles: dict[str, PanelTile] = {}
        self.title = w.HTML("")
        self.box = w.VBox([])
        self.widget = w.VBox([self.title, self.box])
        self.widget.add_class("hailuo-panel-jobs")
        self._retitle()

    def view(self, job: Job) -> PanelTile:
        """A new tile for ``job``, placed first.

        Example: see the module.
        """
        old = self.tiles.pop(job.id, None)
        tile = PanelTile(job, hub=self.hub, on_finish=self.on_finish, actions=self.actions)
        self.tiles[job.id] = tile
        rest = [e for e in self.box.children if old is None or e is not old.entry]
        self.box.children = (tile.entry, *rest)
        self._retitle()
        return tile

    def ids(self) -> list[str]:
        """The job ids shown, newest first.

        Example: see the module.
        """
        return [job_id for job_id in reversed(self.tiles)]

    def bring_forward(self, job_id: str) -> None:
        """Show a job's tile again, first in the list.

        Example: ``jobs.bring_forward(job.id)``
        """
        tile = self.tiles[job_id]
        self.tiles[job_id] = self.tiles.pop(job_id)
        tile.show()
        self.box.children = (tile.entry, *[e for e in self.box.children if e is not tile.entry])

    def _retitle(self) -> None:
        n = len(self.tiles)
        self.title.value = (
            f"<b>Jobs of this session</b> ({n})" if n else "<b>Jobs of this session</b>: none yet"
        )


class HistoryList:
    """Earlier jobs from the job store as compact rows, each with a "Show" button.

    ``load()`` returns the jobs (newest first); ``on_show(job_id)`` re-shows or resumes one.

    Example:
        >>> shown = []
        >>> h = HistoryList(lambda: [Job(id="old1", provider="emulator", model="hailuo-2.3",
        ...     status="completed", params={"prompt": "<i>owl</i>"})], shown.append)
        >>> h.refresh(); row = h.rows.children[0]
        >>> len(h.rows.children), "&lt;i&gt;owl" in row.children[1].value
        (1, True)
        >>> h.rows.children[0].children[0].click(); shown
        ['old1']
    """

    def __init__(self, load: Callable[[], Sequence[Job]], on_show: Callable[[str], None]) -> None:
        import ipywidgets as w

        self._w = w
        self._load = load
        self._on_show = on_show
        self.reload = w.Button(description="Refresh", icon="refresh")
        self.reload.layout.width = "100px"
        self.rows = w.VBox([])
        self.widget = w.VBox([w.HBox([w.HTML("<b>Earlier jobs</b>"), self.reload]), self.rows])
        self.widget.add_class("hailuo-panel-history")
        self.reload.on_click(lambda _: self.refresh())

    def refresh(self) -> None:
        """Read the history again and redraw the rows.

        Example: see the class.
        """
        jobs = list(self._load())
        rows = [self._row(job) for job in jobs]
        if not rows:
            rows = [self._w.HTML("<i>no jobs yet</i>")]
        self.rows.children = rows

    def _row(self, job: Job) -> Any:
        w = self._w
        show = w.Button(description="Show", tooltip=f"show job {job.id} here (resume if running)")
        # Never squeezed by a long row ("Sh…"): the text beside it wraps instead.
        show.layout.width = "auto"
        show.layout.min_width = "70px"
        show.layout.flex = "0 0 auto"
        show.on_click(lambda _: self._on_show(job.id))
        when = (
            time.strftime("%m-%d %H:%M", time.localtime(job.submitted_at))
            if job.submitted_at
            else ""
        )
        prompt = " ".join(job.prompt.split())
        prompt = prompt if len(prompt) <= 50 else prompt[:49] + "…"
        cost = str(job.cost) if job.cost is not None else ""
        # A short id, the full one on hover (as %hailuo history): a 32-character id
        # would wrap on a line of its own.
        short = job.id if len(job.id) <= 13 else job.id[:12] + "…"
        color = _COLORS.get(job.status, "#6b7280")
        text = (
            f'<span class="hailuo-history-row {d.NO_MATH}">'
            f'<b style="color:{color}">{html.escape(job.status)}</b> · {html.escape(when)} · '
            f"{html.escape(d.settings_summary(job))} · {html.escape(cost)} · "
            f"<i>{html.escape(prompt)}</i> · "
            f'<code title="{html.escape(job.id)}" style="white-space:nowrap">'
            f"{html.escape(short)}</code></span>"
        )
        line = w.HTML(text)
        line.layout.flex = "1 1 auto"
        line.layout.min_width = "0"
        return w.HBox([show, line], layout=w.Layout(align_items="center"))
