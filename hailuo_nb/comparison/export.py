"""The comparison's lasting outputs: the notebook's final MIME bundle and a standalone page.

This is the I/O half (reading posters and, with ``embed``, videos); the markup comes
from :mod:`hailuo_nb.comparison.render`. Videos are linked by a path relative to where the
output lives (the notebook's folder, or the page's), or inlined as ``data:`` URLs.

Example:
    >>> from hailuo_nb.models import Job
    >>> from hailuo_nb.comparison.plan import Cell
    >>> job = Job(id="j", provider="p", model="m", status="failed", error="<blocked>")
    >>> b = grid_bundle("1 video", [Cell(1, "x", None, {})], [job], [], columns=1)
    >>> "&lt;blocked&gt;" in b["text/html"], b["text/plain"].splitlines()[0]
    (True, '1 video')
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..catalog import get_model
from ..display import format_seconds
from ..errors import ValidationError
from ..models import Job
from ..notebook import media, preview
from . import render
from .plan import Cell

__all__ = ["Sources", "export_page", "figures", "grid_bundle", "tile_bundle"]

# An embedded comparison shares this many bytes among its tiles (a 16-tile grid stays
# well under 10 MB), each tile also under the single video's cap.
GRID_BUDGET_BYTES = 6_000_000
GRID_HEIGHT = 360  # tiles are drawn side by side, smaller than a single video


class Sources:
    """How a tile's video is reached: linked relative to ``folder``, or embedded.

    ``embed``: ``False`` links every file; ``True`` inlines a light preview (at most
    ``max_height`` px high and ``cap_bytes``; see :mod:`hailuo_nb.notebook.preview`) with a
    link to the full file, or links the file when no preview fits.

    Example:
        >>> Sources(False, folder="/a").video("/a/b/c.mp4")
        ('b/c.mp4', None)
    """

    def __init__(
        self,
        embed: bool,
        *,
        folder: str | None = None,
        tiles: int = 1,
        max_height: int = GRID_HEIGHT,
        cap_bytes: int = preview.DEFAULT_CAP_BYTES,
    ) -> None:
        self.embed = embed
        self.folder = folder
        self.max_height = max_height
        self.cap_bytes = min(cap_bytes, GRID_BUDGET_BYTES // max(1, tiles))

    def video(self, path: str) -> tuple[str, str | None]:
        """``(src, full_src)``: the video's URL and, for a preview, the full file's.

        Example: see the class.
        """
        linked = media.relative_src(path, cwd=self.folder)
        if not self.embed:
            return linked, None
        light = preview.embeddable(path, max_height=self.max_height, cap_bytes=self.cap_bytes)
        if light is None:
            return linked, None  # too big even as a preview: its frame and link remain
        return media.data_url(light), (None if str(light) == str(path) else linked)


def _poster(path: str) -> bytes:
    # The session already wrote the first frame next to the video (media.save_poster).
    saved = Path(path).with_suffix(".jpg")
    return saved.read_bytes() if saved.exists() else media.poster_for(path)[0]


def _note(job: Job) -> str:
    if job.status == "completed":
        bits = [f"{format_seconds(job.elapsed())}"]
        if job.cost is not None:
            bits.append(str(job.cost))
        if _draft(job):
            # The lasting grid has no buttons: say how to finish this draft at 2K.
            bits.append(f"2K: %hailuo upscale {job.id}")
        return " · ".join(bits)
    if not job.done:
        return "not finished"
    return job.error or "no reason given"


def _draft(job: Job) -> bool:
    """A finished 768P draft of a model that can be made again at 2K (H3).

    Example:
        >>> _draft(Job(id="a", provider="emulator", model="h3", params={"resolution": "768p"}))
        True
    """
    try:
        regenerates = get_model(job.provider, job.model).regenerates
    except ValidationError:
        return False
    return regenerates and job.params.get("resolution") == "768p"


def figures(
    cells: Sequence[Cell],
    jobs: Sequence[Job],
    video_src: Callable[[str], str | tuple[str, str | None]],
) -> list[str]:
    """One figure per tile; ``video_src(path)`` makes the URL of a downloaded video
    (or ``(url, full_url)`` for an embedded preview, as :meth:`Sources.video`).

    Example:
        >>> figures([Cell(1, "x", None, {})], [Job(id="j", provider="p", model="m")], str)[0][:7]
        '<figure'
    """
    out = []
    for cell, job in zip(cells, jobs, strict=True):
        path = job.video_path
        ready = job.status == "completed" and bool(path) and os.path.exists(path or "")
        status: str = job.status
        note = _note(job)
        if job.status == "completed" and not ready:
            status, note = "missing", "completed, but the video was not downloaded"
        src = full = poster = still = None
        if ready and path:
            got = video_src(path)
            src, full = got if isinstance(got, tuple) else (got, None)
            data = _poster(path)
            poster = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
            still = media.still_src(data)
        out.append(
            render.figure_html(
                cell.caption(),
                status=status,
                video_src=src,
                poster_src=poster,
                still_src=still,
                note=note,
                job_id=job.id,
                full_src=full,
                file_name=os.path.basename(path) if ready and path else "",
            )
        )
    return out


def _body(
    cells: Sequence[Cell],
    jobs: Sequence[Job],
    records: Sequence[dict[str, Any]],
    columns: int,
    video_src: Callable[[str], str | tuple[str, str | None]],
) -> str:
    grid = render.grid_html(figures(cells, jobs, video_src), columns)
    return grid + render.table_html(records)


def grid_bundle(
    heading: str,
    cells: Sequence[Cell],
    jobs: Sequence[Job],
    records: Sequence[dict[str, Any]],
    *,
    columns: int,
    embed: bool = False,
    cap_bytes: int = preview.DEFAULT_CAP_BYTES,
) -> dict[str, Any]:
    """The lasting output of a finished comparison in the notebook (HTML and text).

    Video sources are relative to the kernel's folder (the notebook's), like the magic's;
    ``embed`` inlines light previews (:class:`Sources`), full files linked.

    Example: see the module.
    """
    sources = Sources(embed, tiles=len(cells), cap_bytes=cap_bytes)
    body = _body(cells, jobs, records, columns, sources.video)
    return {
        "text/plain": heading + "\n" + render.table_text(records),
        "text/html": render.block_html(heading, body),
    }


def tile_bundle(cell: Cell, job: Job, text: str) -> dict[str, Any]:
    """One finished tile of the live grid, drawn exactly as the lasting grid draws it.

    The live grid's tiles end as these figures, so that when the whole grid is replaced
    by :func:`grid_bundle` nothing moves. ``text`` is the tile's ``text/plain``. The video
    is linked, never embedded: a live tile is seen only until its grid ends, and making
    a light preview twice (here and for the lasting grid) would only cost time.

    Example:
        >>> b = tile_bundle(Cell(1, "x", None, {}), Job(id="j", provider="p", model="m",
        ...                 status="failed", error="no"), "job j failed")
        >>> b["text/html"].startswith('<figure class="hailuo-compare-tile"'), b["text/plain"]
        (True, 'job j failed')
    """
    return {"text/plain": text, "text/html": figures([cell], [job], Sources(False).video)[0]}


def export_page(
    path: str | os.PathLike[str],
    heading: str,
    cells: Sequence[Cell],
    jobs: Sequence[Job],
    records: Sequence[dict[str, Any]],
    *,
    columns: int,
    embed: bool | None = None,
    title: str = "Hailuo comparison",
) -> Path:
    """Write one self-contained HTML page: videos embedded as previews, or linked.

    ``embed=None`` (default) or ``True`` inlines light previews, each linking its full
    file relative to the page: the page plays wherever it is opened, also from
    Jupyter's "Open in New Browser Tab", whose sandboxed ``/files/`` page cannot load the
    videos beside it. ``False`` links the videos (keep them next to the page).

    Example::

        export_page("compare.html", "4 videos", cells, jobs, records, columns=2)
    """
    target = Path(path)
    folder = target.resolve().parent
    sources = Sources(embed is not False, folder=str(folder), tiles=len(cells))
    body = render.block_html(heading, _body(cells, jobs, records, columns, sources.video))
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(render.document(title, body), encoding="utf-8")
    os.replace(tmp, target)
    return target
