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

import time
from typing import Any

from ..models import Job
from ..progress import FigureView

__all__ = ["JobTile"]

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

    def __init__(self, job: Job, *, header_html: str = "", width: str = "100%") -> None:
        super().__init__(job)
        import ipywidgets as w

        self.header = w.HTML(header_html)
        self.bar.layout.width = "95%"
        self.out = w.Output()
        self.live = w.VBox([self.label, self.bar, self.info])
        self.widget = w.VBox([self.header, self.live, self.out])
        self.widget.layout.width = width
        self.widget.layout.border = "1px solid #e5e7eb"
        self.widget.layout.padding = "4px"
        self.widget.add_class("hailuo-tile")
        self.widget.add_class(f"hailuo-status-{job.status}")

    def finish(self, bundle: dict[str, Any]) -> None:
        """Show ``bundle`` (the job's final output) in place of the live part.

        Safe to call again (``%hailuo wait`` re-sends finals): the output is replaced.

        Example: see the module.
        """
        if not self.finished:
            self.draw(time.time())
        self.finished = True
        self.out.outputs = ({"output_type": "display_data", "data": dict(bundle), "metadata": {}},)
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
