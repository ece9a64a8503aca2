"""Live views of running jobs: an ipywidgets bar, or plain text where widgets can't render.

Like ``tqdm.notebook``, the figures come from one pure function (:func:`display.figures`)
and the views only draw them. Views are drawn from the runner's thread by one
:class:`ProgressHub` ticker: each view at most ``per_view_hz`` times a second (so elapsed
time and the estimate tick between polls), and all views together at most
``max_updates_per_second``, so that sixteen jobs never flood the front end. A view draws
nothing when its figures did not change.

Kinds of view:

* :class:`WidgetView` — ``HBox(HTML, FloatProgress, HTML)`` plus a details line, displayed
  with a ``display_id`` whose bundle also carries a ``text/plain`` line;
* :class:`TextView` — a ``text/plain`` output updated in place (kernels without widgets);
* :class:`PrintView` — one printed line per status change (terminal IPython).

Each ends with :meth:`finish`, which replaces the output with the final MIME bundle.

Example:
    >>> from hailuo_nb.models import Job
    >>> lines: list[str] = []
    >>> view = PrintView(Job(id="a", provider="p", model="m", status="queued"), lines.append)
    >>> view.draw(0.0); view.draw(1.0)
    >>> len(lines)
    1
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from . import display as d
from .models import Job
from .runner import Runner

__all__ = [
    "BaseView",
    "FigureView",
    "LiveView",
    "PrintView",
    "ProgressHub",
    "TextView",
    "WidgetView",
    "close_widgets",
    "make_view",
    "show",
    "view_kind",
]


class LiveView(Protocol):
    """What the hub needs from a view.

    Example:
        >>> view: LiveView = PrintView(Job(id="a", provider="p", model="m"), print)
        >>> view.job.id
        'a'
    """

    job: Job

    def update(self, job: Job) -> None: ...

    def draw(self, now: float) -> None: ...

    def finish(self, bundle: dict[str, Any]) -> None: ...


class BaseView:
    """A job's live view: the latest snapshot, drawn by the hub, finished with a bundle.

    Example:
        >>> BaseView(Job(id="a", provider="p", model="m")).finished
        False
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        self.finished = False
        self._lock = threading.Lock()

    def update(self, job: Job) -> None:
        """Take a new snapshot; drawn at the hub's next tick.

        Example:
            >>> v = PrintView(Job(id="a", provider="p", model="m"), print)
            >>> v.update(Job(id="a", provider="p", model="m", status="processing"))
            >>> v.job.status
            'processing'
        """
        with self._lock:
            self.job = job

    def draw(self, now: float) -> None:
        """Draw the current snapshot (throttled by the hub)."""
        raise NotImplementedError

    def finish(self, bundle: dict[str, Any]) -> None:
        """Replace the live view with the final bundle."""
        raise NotImplementedError


def show(bundle: dict[str, Any], *, display_id: bool = False) -> Any:
    """Publish a raw MIME bundle; with ``display_id`` returns a handle to update it.

    Example::

        handle = show({"text/plain": "hello"}, display_id=True)
        handle.update({"text/plain": "bye"}, raw=True)
    """
    from IPython.display import display

    return display(bundle, raw=True, display_id=display_id)  # type: ignore[no-untyped-call]


class FigureView(BaseView):
    """A live view drawn into three ipywidgets: status label, progress bar, info line.

    Shared by :class:`WidgetView` and the panel's and grid's job tiles.

    Example (in a kernel with ipywidgets)::

        view = FigureView(job); view.bar.value
    """

    def __init__(self, job: Job) -> None:
        super().__init__(job)
        import ipywidgets as w

        f = d.figures(job)
        self.label = w.HTML(d.live_label_html(f))
        self.bar = w.FloatProgress(value=f["value"], min=0.0, max=1.0, bar_style="")
        self.info = w.HTML(d.live_info_html(f))

    def draw(self, now: float) -> None:
        """Push changed figures to the widgets (unchanged traits send nothing).

        Example: see :class:`WidgetView`.
        """
        if self.finished:
            return
        f = d.figures(self.job, now)
        self.label.value = d.live_label_html(f)
        # Two decimals: finer steps would only add messages, not visible movement.
        self.bar.value = round(float(f["value"]), 2)
        self.bar.bar_style = f["bar_style"]
        self.info.value = d.live_info_html(f)


class WidgetView(FigureView):
    """A tqdm-style widget: status, progress bar, elapsed and estimated time, details.

    Example (in a kernel)::

        view = WidgetView(job)          # displays itself
        view.update(snapshot); view.draw(time.time())
        view.finish(final_bundle)       # the output becomes the video
    """

    def __init__(self, job: Job) -> None:
        super().__init__(job)
        import ipywidgets as w

        f = d.figures(job)
        self.details = w.HTML(d.live_details_html(f))
        self.bar.layout.width = "40%"
        self.box = w.VBox([w.HBox([self.label, self.bar, self.info]), self.details])
        self.box.add_class("hailuo-live")
        self.handle = show(self._bundle(job), display_id=True)

    def _bundle(self, job: Job) -> dict[str, Any]:
        return {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 0,
                "model_id": self.box.model_id,
            },
            "text/plain": d.live_text(job),
        }

    def finish(self, bundle: dict[str, Any]) -> None:
        """Replace the widget with the final bundle and free the widgets.

        Example: see the class.
        """
        if not self.finished:
            self.draw(time.time())  # the bar ends full and green (or red) in the saved state
        self.finished = True
        self.handle.update(bundle, raw=True)
        close_widgets([self.label, self.bar, self.info, self.details, *self.box.children, self.box])


def close_widgets(widgets: list[Any]) -> None:
    """Close widgets and the layout and style models they own.

    A widget's ``layout`` and ``style`` are widgets of their own; left open they stay in
    the kernel and in any saved widget state (about 1 KB each) long after the widget is gone.

    Example (with ipywidgets)::

        close_widgets([label, bar, box])
    """
    for widget in widgets:
        for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
            if part is not None and hasattr(part, "close"):
                part.close()
        widget.close()


class TextView(BaseView):
    """A ``text/plain`` progress line updated in place (a kernel without widgets).

    Example (in a kernel)::

        view = TextView(job); view.draw(time.time()); view.finish(bundle)
    """

    def __init__(self, job: Job) -> None:
        super().__init__(job)
        self._last = ""
        self._last_at = 0.0
        self.handle = show({"text/plain": d.live_text(job)}, display_id=True)

    def draw(self, now: float) -> None:
        """Update the line, at most once a second.

        Example: see the class.
        """
        if self.finished or now - self._last_at < 1.0:
            return
        line = d.live_text(self.job, now)
        if line != self._last:
            self._last, self._last_at = line, now
            self.handle.update({"text/plain": line}, raw=True)

    def finish(self, bundle: dict[str, Any]) -> None:
        """Replace the line with the final bundle.

        Example: see the class.
        """
        self.finished = True
        self.handle.update(bundle, raw=True)


class PrintView(BaseView):
    """Printed lines, one per status change (terminal IPython: no outputs to update).

    Example:
        >>> out: list[str] = []
        >>> v = PrintView(Job(id="a", provider="p", model="m"), out.append)
        >>> v.draw(0.0); v.draw(0.5)
        >>> v.update(Job(id="a", provider="p", model="m", status="processing")); v.draw(1.0)
        >>> [line.split(":")[1].split()[0] for line in out]
        ['queued', 'processing']
    """

    def __init__(
        self, job: Job, write: Callable[[str], object] = print, *, name: str | None = None
    ) -> None:
        super().__init__(job)
        self._write = write
        self._status = ""
        # Which job a line is about where its id is not enough (a comparison's tile).
        self.name = name

    def draw(self, now: float) -> None:
        """Write a line when the status changed.

        Example: see the class.
        """
        # The status as said: a move in fal's queue ("queued, 2 ahead") is a new line too.
        if self.finished or d.status_words(self.job) == self._status:
            return
        self._status = d.status_words(self.job)
        self._write(d.live_text(self.job, now, name=self.name))

    def finish(self, bundle: dict[str, Any]) -> None:
        """Write the final text (once: ``%hailuo wait`` finishes views again).

        Example: see the class.
        """
        if not self.finished:
            self.finished = True
            text = str(bundle.get("text/plain", ""))
            self._write(f"{self.name}: {text}" if self.name else text)


def make_view(job: Job, kind: str = "auto") -> BaseView:
    """The right view for where we run: ``auto``, ``widget``, ``text`` or ``print``.

    ``auto`` picks widgets in a kernel with ipywidgets, plain printing elsewhere.

    Example:
        >>> type(make_view(Job(id="a", provider="p", model="m"), "print")).__name__
        'PrintView'
    """
    kind = view_kind(kind)
    if kind == "widget":
        return WidgetView(job)
    if kind == "text":
        return TextView(job)
    return PrintView(job)


def view_kind(kind: str = "auto") -> str:
    """``kind`` with ``auto`` resolved: widgets in a kernel that has ipywidgets, text in
    another kernel, plain printing elsewhere (a script, terminal IPython).

    Example:
        >>> view_kind("text"), view_kind("auto")
        ('text', 'print')
    """
    if kind != "auto":
        return kind
    if not _in_kernel():
        return "print"
    return "widget" if _has_widgets() else "text"


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _has_widgets() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


class ProgressHub:
    """Draws every live view from one ticker on the runner's loop, with a shared cap.

    Example:
        >>> from hailuo_nb.runner import Runner
        >>> runner = Runner(); hub = ProgressHub(runner, per_view_hz=50)
        >>> out: list[str] = []
        >>> view = PrintView(Job(id="a", provider="p", model="m"), out.append)
        >>> hub.add(view); time.sleep(0.1); hub.remove(view); runner.close()
        >>> len(out)
        1
    """

    def __init__(
        self, runner: Runner, *, per_view_hz: float = 4.0, max_updates_per_second: float = 20.0
    ) -> None:
        self.runner = runner
        self.per_view_hz = per_view_hz
        self.max_updates_per_second = max_updates_per_second
        self._views: list[BaseView] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None

    def add(self, view: BaseView) -> None:
        """Start drawing ``view`` (thread-safe).

        Example: see the class.
        """
        with self._lock:
            self._views.append(view)
        self.runner.loop.call_soon_threadsafe(self._ensure_ticker)

    def remove(self, view: BaseView) -> None:
        """Stop drawing ``view``.

        Example: see the class.
        """
        with self._lock:
            if view in self._views:
                self._views.remove(view)

    def __len__(self) -> int:
        with self._lock:
            return len(self._views)

    def _ensure_ticker(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._tick())

    def interval(self, n_views: int) -> float:
        """Seconds between ticks for ``n_views`` views: per-view rate, then the shared cap.

        Example:
            >>> hub = ProgressHub(Runner())
            >>> hub.interval(1), hub.interval(16)
            (0.25, 0.8)
        """
        return max(1.0 / self.per_view_hz, n_views / self.max_updates_per_second)

    async def _tick(self) -> None:
        while True:
            with self._lock:
                views = list(self._views)
            if not views:
                return
            now = time.time()
            for view in views:
                try:
                    view.draw(now)
                except Exception:
                    # A view whose front end went away must not stop the others.
                    self.remove(view)
            await asyncio.sleep(self.interval(len(views)))
