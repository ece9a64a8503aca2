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

from ..display import format_seconds
from ..models import Job
from ..notebook import media
from . import render
from .plan import Cell

__all__ = ["export_page", "figures", "grid_bundle", "tile_bundle"]


def _poster(path: str) -> str:
    # The session already wrote the first frame next to the video (media.save_poster).
    saved = Path(path).with_suffix(".jpg")
    data = saved.read_bytes() if saved.exists() else media.poster_for(path)[0]
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _note(job: Job) -> str:
    if job.status == "completed":
        bits = [f"{format_seconds(job.elapsed())}"]
        if job.cost is not None:
            bits.append(str(job.cost))
        return " · ".join(bits)
    if not job.done:
        return "not finished"
    return job.error or "no reason given"


def figures(
    cells: Sequence[Cell], jobs: Sequence[Job], video_src: Callable[[str], str]
) -> list[str]:
    """One figure per tile; ``video_src(path)`` makes the URL of a downloaded video.

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
        out.append(
            render.figure_html(
                cell.caption(),
                status=status,
                video_src=video_src(path) if ready and path else None,
                poster_src=_poster(path) if ready and path else None,
                note=note,
                job_id=job.id,
            )
        )
    return out


def _body(
    cells: Sequence[Cell],
    jobs: Sequence[Job],
    records: Sequence[dict[str, Any]],
    columns: int,
    video_src: Callable[[str], str],
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
) -> dict[str, Any]:
    """The lasting output of a finished comparison in the notebook (HTML and text).

    Video sources are relative to the kernel's folder (the notebook's), like the magic's.

    Example: see the module.
    """

    def src(path: str) -> str:
        return media.data_url(path) if embed else media.relative_src(path)

    body = _body(cells, jobs, records, columns, src)
    return {
        "text/plain": heading + "\n" + render.table_text(records),
        "text/html": render.block_html(heading, body),
    }


def tile_bundle(cell: Cell, job: Job, text: str, *, embed: bool = False) -> dict[str, Any]:
    """One finished tile of the live grid, drawn exactly as the lasting grid draws it.

    The live grid's tiles end as these figures, so that when the whole grid is replaced
    by :func:`grid_bundle` nothing moves. ``text`` is the tile's ``text/plain``.

    Example:
        >>> b = tile_bundle(Cell(1, "x", None, {}), Job(id="j", provider="p", model="m",
        ...                 status="failed", error="no"), "job j failed")
        >>> b["text/html"].startswith('<figure class="hailuo-compare-tile"'), b["text/plain"]
        (True, 'job j failed')
    """

    def src(path: str) -> str:
        return media.data_url(path) if embed else media.relative_src(path)

    return {"text/plain": text, "text/html": figures([cell], [job], src)[0]}


def export_page(
    path: str | os.PathLike[str],
    heading: str,
    cells: Sequence[Cell],
    jobs: Sequence[Job],
    records: Sequence[dict[str, Any]],
    *,
    columns: int,
    embed: bool = False,
    title: str = "Hailuo comparison",
) -> Path:
    """Write one self-contained HTML page; videos linked relative to the page, or embedded.

    Example::

        export_page("compare.html", "4 videos", cells, jobs, records, columns=2)
    """
    target = Path(path)
    folder = target.resolve().parent

    def src(video: str) -> str:
        return media.data_url(video) if embed else media.relative_src(video, cwd=str(folder))

    body = render.block_html(heading, _body(cells, jobs, records, columns, src))
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(render.document(title, body), encoding="utf-8")
    os.replace(tmp, target)
    return target
