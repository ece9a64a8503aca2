"""Where a comparison is drawn: a live ipywidgets grid, or text where widgets can't render.

Every board is displayed once with a ``display_id`` and, when all tiles are done, updated
to the comparison's lasting MIME bundle (HTML grid of videos, ``text/plain`` summary), as
:class:`~hailuo_nb.progress.WidgetView` does for one job: what is saved with the notebook
is plain HTML that any renderer shows.

* :class:`WidgetBoard` — heading, play/pause/restart buttons, a ``GridBox`` of
  :class:`~hailuo_nb.widgets.tile.JobTile` (each becomes its video), the summary table;
  before sending, the plan and a "Send N jobs ($X)" button;
* :class:`TextBoard` — one ``text/plain`` output listing every tile's progress line;
* :class:`PrintBoard` — printed lines (terminal IPython).

Example:
    >>> from hailuo_nb.models import Job
    >>> lines: list[str] = []
    >>> board = PrintBoard("2 videos", write=lines.append)
    >>> views = board.start([Job(id="", provider="p", model="m", status="submitting")] * 2,
    ...                     ["<b>a</b>", "<b>b</b>"], 2)
    >>> board.finish({"text/plain": "all done"}); lines[-1]
    'all done'
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .. import display as d
from ..models import Job
from ..progress import BaseView, LiveView, PrintView, close_widgets, show, view_kind
from . import render

__all__ = ["Board", "PrintBoard", "TextBoard", "WidgetBoard", "make_board"]


class Board(Protocol):
    """What a comparison needs from where it is drawn."""

    def ask(self, plan_lines: Sequence[str], label: str, on_confirm: Callable[[], None]) -> None:
        """Show the plan and a way to confirm it (nothing is sent before)."""

    def start(self, jobs: Sequence[Job], headers: Sequence[str], columns: int) -> list[LiveView]:
        """Show one live view per tile (``headers``: escaped HTML captions)."""

    def note(self, text: str) -> None:
        """Show a one-line message (e.g. why confirming failed)."""

    def set_table(self, records: Sequence[dict[str, Any]]) -> None:
        """Show the current summary table."""

    def set_heading(self, heading: str) -> None:
        """Show the current heading line (the lasting output will have the same)."""

    def finish(self, bundle: dict[str, Any]) -> None:
        """Replace the whole board with the comparison's lasting bundle."""


class WidgetBoard:
    """The live grid in a kernel with a widget front end.

    Example (in a kernel)::

        board = WidgetBoard("4 videos (2 prompts × 2 models) · estimated ~$1.48")
        tiles = board.start(placeholder_jobs, captions, columns=2)
    """

    def __init__(self, heading: str, actions: Any = None) -> None:
        import ipywidgets as w

        self._w = w
        self.actions = actions  # the tiles' Cancel / 2K buttons (widgets.tile.TileActions)
        self.heading = w.HTML(render.heading_html(heading))
        self.message = w.HTML("")
        self.body = w.VBox([])
        self.root = w.VBox([self.heading, self.message, self.body])
        # No widget margins above the grid: the lasting output has none, and its grid
        # would sit higher than the live one (render.heading_html).
        for part in (self.heading, self.message):
            part.layout.margin = "0"
        # The play-all buttons find their videos through this class (render.controls_html).
        self.root.add_class("hailuo-compare")
        self.button: Any = None
        self.table: Any = None
        self.grid: Any = None
        self.handle = show(self._bundle(heading), display_id=True)

    def _bundle(self, text: str) -> dict[str, Any]:
        return {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 0,
                "model_id": self.root.model_id,
            },
            "text/plain": text,
        }

    def ask(self, plan_lines: Sequence[str], label: str, on_confirm: Callable[[], None]) -> None:
        """The plan, one tile a line, and the Send button.

        Example: see the class.
        """
        w = self._w
        listing = w.HTML(
            '<pre style="font-size:smaller;margin:4px 0">'
            + html.escape("\n".join(plan_lines))
            + "</pre>"
        )
        self.button = w.Button(description=label, button_style="warning", icon="paper-plane")
        self.button.layout.width = "auto"
        self.button.on_click(lambda _: on_confirm())
        hint = w.HTML(
            '<span style="color:#6b7280;font-size:smaller">Nothing has been sent. Click to send,'
            " or call <code>.confirm()</code> on the comparison.</span>"
        )
        self.body.children = (listing, w.HBox([self.button, hint]))

    def start(self, jobs: Sequence[Job], headers: Sequence[str], columns: int) -> list[LiveView]:
        """Replace the plan by the controls, the grid of tiles and the table.

        Example: see the class.
        """
        from ..widgets.tile import JobTile

        w = self._w
        tiles = [
            JobTile(job, header_html=h, actions=self.actions, muted=True)
            for job, h in zip(jobs, headers, strict=True)
        ]
        controls = w.Output(layout=w.Layout(margin="0"))
        controls.outputs = (
            {
                "output_type": "display_data",
                "data": {"text/html": render.controls_html(), "text/plain": ""},
                "metadata": {},
            },
        )
        self.grid = w.GridBox(
            [t.widget for t in tiles],
            layout=w.Layout(
                grid_template_columns=f"repeat({int(columns)}, minmax(0, 1fr))",
                grid_gap="8px",
                # The lasting grid is an HTML output, which JupyterLab pads 20 px on the
                # right: the live grid leaves the same room, so its tiles keep their size.
                width="calc(100% - 20px)",
                margin="0",
            ),
        )
        # As wide as the lasting output's table (JupyterLab's 20 px, as the grid above).
        self.table = w.HTML("", layout=w.Layout(width="calc(100% - 20px)", margin="0"))
        self.message.value = ""
        self.body.children = (controls, self.grid, self.table)
        self.tiles = list(tiles)  # each tile's buttons (Cancel, 2K) act on its job
        return list(tiles)

    def note(self, text: str) -> None:
        """A red one-line message under the heading.

        Example: see the class.
        """
        self.message.value = f'<span style="color:#dc2626">{html.escape(text)}</span>'

    def set_table(self, records: Sequence[dict[str, Any]]) -> None:
        """Redraw the summary table.

        Example: see the class.
        """
        if self.table is not None:
            self.table.value = render.table_html(records)

    def set_heading(self, heading: str) -> None:
        """Redraw the heading, as the lasting grid will draw it (it does not jump then).

        Example: see the class.
        """
        self.heading.value = render.heading_html(heading)

    def finish(self, bundle: dict[str, Any]) -> None:
        """Swap the widgets for the lasting bundle, then close them (safe to call again).

        The tiles' outputs are emptied first, so a saved widget state does not hold every
        poster a second time; a closed tile may still be finished again by ``%hailuo
        wait``, which then sends nothing.

        Example: see the class.
        """
        self.handle.update(bundle, raw=True)
        for widget in self._all():
            if isinstance(widget, self._w.Output):
                # Executors that save every widget's last state (nbclient) would keep
                # each tile's video and poster a second time: empty them first.
                widget.outputs = ()
        close_widgets(self._all())

    def _all(self) -> list[Any]:
        found: list[Any] = []

        def walk(widget: Any) -> None:
            found.append(widget)
            for child in getattr(widget, "children", ()):
                walk(child)

        walk(self.root)
        return found


class _Slot(BaseView):
    """One tile's line in a :class:`TextBoard`."""

    def __init__(self, board: TextBoard, job: Job) -> None:
        super().__init__(job)
        self.board = board

    def draw(self, now: float) -> None:
        self.board.redraw(now)

    def finish(self, bundle: dict[str, Any]) -> None:
        self.finished = True
        self.board.redraw(time.time(), force=True)


class TextBoard:
    """One ``text/plain`` output for the whole comparison, updated at most once a second.

    Example (in a kernel)::

        board = TextBoard("2 videos"); slots = board.start(jobs, captions, 2)
    """

    def __init__(self, heading: str) -> None:
        self.heading = heading
        self.slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._last = ""
        self._last_at = 0.0
        self.handle = show({"text/plain": heading}, display_id=True)

    def ask(self, plan_lines: Sequence[str], label: str, on_confirm: Callable[[], None]) -> None:
        """The plan as text and how to confirm it.

        Example: see the class.
        """
        text = "\n".join(
            [self.heading, *plan_lines, "Nothing has been sent: call .confirm() to " + label]
        )
        self.handle.update({"text/plain": text}, raw=True)

    def start(self, jobs: Sequence[Job], headers: Sequence[str], columns: int) -> list[LiveView]:
        """One progress line per tile.

        Example: see the class.
        """
        self.slots = [_Slot(self, job) for job in jobs]
        self.redraw(time.time(), force=True)
        return list(self.slots)

    def redraw(self, now: float, force: bool = False) -> None:
        """Update the text when it changed (throttled unless ``force``).

        Example: see the class.
        """
        with self._lock:
            if not force and now - self._last_at < 1.0:
                return
            lines = (d.live_text(s.job, now, name=f"tile {n}") for n, s in enumerate(self.slots, 1))
            text = "\n".join([self.heading, *lines])
            if text != self._last:
                self._last, self._last_at = text, now
                self.handle.update({"text/plain": text}, raw=True)

    def note(self, text: str) -> None:
        """Append a message line.

        Example: see the class.
        """
        self.handle.update({"text/plain": f"{self.heading}\n{text}"}, raw=True)

    def set_table(self, records: Sequence[dict[str, Any]]) -> None:
        """Nothing to do: the lines already say everything.

        Example: see the class.
        """

    def set_heading(self, heading: str) -> None:
        """The first line from now on.

        Example: see the class.
        """
        self.heading = heading

    def finish(self, bundle: dict[str, Any]) -> None:
        """Replace the text with the lasting bundle.

        Example: see the class.
        """
        with self._lock:
            self._last = "(finished)"
            self.handle.update(bundle, raw=True)


class PrintBoard:
    """Printed lines: the plan, one line per status change, then the summary.

    Example: see the module.
    """

    def __init__(self, heading: str, write: Callable[[str], object] = print) -> None:
        self.write = write
        self.write(heading)
        self._finished = False

    def ask(self, plan_lines: Sequence[str], label: str, on_confirm: Callable[[], None]) -> None:
        """Print the plan and how to confirm it.

        Example: see the module.
        """
        for line in plan_lines:
            self.write(line)
        self.write("Nothing has been sent: call .confirm() to " + label)

    def start(self, jobs: Sequence[Job], headers: Sequence[str], columns: int) -> list[LiveView]:
        """A :class:`~hailuo_nb.progress.PrintView` per tile.

        Example: see the module.
        """
        # Named by tile: a tile waiting for a slot has no id yet.
        return [PrintView(job, self.write, name=f"tile {n}") for n, job in enumerate(jobs, 1)]

    def note(self, text: str) -> None:
        """Print the message.

        Example: see the module.
        """
        self.write(text)

    def set_table(self, records: Sequence[dict[str, Any]]) -> None:
        """Nothing: the summary is printed at the end.

        Example: see the module.
        """

    def set_heading(self, heading: str) -> None:
        """Nothing: the summary's heading is printed at the end.

        Example: see the module.
        """

    def finish(self, bundle: dict[str, Any]) -> None:
        """Print the summary (once).

        Example: see the module.
        """
        if not self._finished:
            self._finished = True
            self.write(str(bundle.get("text/plain", "")))


def make_board(heading: str, kind: str = "auto", actions: Any = None) -> Board:
    """The board for where we run; ``kind`` as ``Hailuo.progress`` (auto, widget, text, print).

    Example:
        >>> type(make_board("x", "print")).__name__
        x
        'PrintBoard'
    """
    kind = view_kind(kind)
    if kind == "widget":
        return WidgetBoard(heading, actions)
    if kind == "text":
        return TextBoard(heading)
    return PrintBoard(heading)
