"""Pure HTML of a comparison: tiles side by side, play-all controls, the summary table.

Shared by the notebook's lasting output and the exported page. No I/O: callers pass the
video and poster sources. Every value is escaped (a prompt ``<script>`` shows as text).

The play/pause/restart buttons carry their own ``onclick`` (ipywidgets cannot call
``video.play()``): the handler finds the videos of its own comparison through
``closest('.hailuo-compare')``, so two comparisons on a page never drive each other.
JupyterLab keeps these handlers in trusted outputs (the ones this session made); in an
untrusted or static copy they are removed and each video keeps its own controls.

Example:
    >>> fig = figure_html([("prompt", "<b>fox</b>")], status="completed", video_src="a.mp4")
    >>> "&lt;b&gt;fox&lt;/b&gt;" in fig and '<video' in fig
    True
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from ..display import NO_MATH, format_seconds

__all__ = [
    "controls_html",
    "document",
    "figure_html",
    "grid_html",
    "heading_html",
    "table_html",
    "table_text",
]

_CELL = "text-align:left;padding:2px 8px;line-height:18px"
COLUMNS = ("tile", "prompt", "model", "settings", "status", "time", "cost", "file")

_ACTIONS = {
    "play": "v.play().catch(function(){})",
    "pause": "v.pause()",
    "restart": "v.currentTime=0;v.play().catch(function(){})",
}
_LABELS = {"play": "▶ Play all", "pause": "‖ Pause all", "restart": "⟲ Restart all"}
# The look of an ipywidgets button (the panel's), so the grid's controls match it.
_BUTTON_CSS = (
    "margin:0 6px 0 0;padding:0 10px;height:28px;border:0;border-radius:0;"
    "background:#eeeeee;color:rgba(0,0,0,.8);font-size:13px;cursor:pointer"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def controls_html() -> str:
    """Play, pause and restart every video of the enclosing comparison.

    The buttons are drawn by the comparison's own script, so they appear only where they
    work: JupyterLab runs no script (and strips inline handlers) in an untrusted notebook,
    and there each video's own controls remain. The script finds its videos through
    ``.hailuo-compare``.

    Example:
        >>> html_ = controls_html()
        >>> "<button" in html_, "hailuo-play-all" in html_, "closest('.hailuo-compare')" in html_
        (False, True, True)
    """
    actions = ",".join(
        f"['hailuo-{action}-all','{_LABELS[action]}',function(v){{{code}}}]"
        for action, code in _ACTIONS.items()
    )
    script = (
        "(function(){var s=document.currentScript,box=s&&s.previousElementSibling;"
        "if(!box||box.childElementCount)return;"
        "var root=box.closest('.hailuo-compare')||document;"
        f"[{actions}].forEach(function(a){{var b=document.createElement('button');"
        "b.type='button';b.className=a[0];b.textContent=a[1];"
        f"b.style.cssText='{_BUTTON_CSS}';"
        "b.addEventListener('click',function(){"
        "root.querySelectorAll('video').forEach(a[2]);});box.appendChild(b);});})();"
    )
    return (
        f'<div class="hailuo-compare-controls" style="margin:4px 0"></div><script>{script}</script>'
    )


def caption_html(caption: Sequence[tuple[str, str]]) -> str:
    """What differs for one tile: the prompt on its own line, the rest in bold.

    Example:
        >>> caption_html([("prompt", "a fox"), ("model", "hailuo-2.3")])[-35:]
        '>a fox</div><b>hailuo-2.3</b></div>'
    """
    prompt = "".join(
        f'<div style="white-space:pre-wrap">{_e(v)}</div>' for k, v in caption if k == "prompt"
    )
    rest = " · ".join(_e(v) for k, v in caption if k != "prompt")
    return f'<div class="hailuo-caption">{prompt}{f"<b>{rest}</b>" if rest else ""}</div>'


def figure_html(
    caption: Sequence[tuple[str, str]],
    *,
    status: str,
    video_src: str | None = None,
    poster_src: str | None = None,
    note: str = "",
    job_id: str = "",
    full_src: str | None = None,
    file_name: str = "",
    still_src: str | None = None,
) -> str:
    """One tile: its caption, then its video (or why there is none), then a small note.

    The poster is also an ``<img>`` inside the ``<video>`` (drawn only where ``<video>``
    is stripped, as on GitHub: see :func:`hailuo_nb.display.final_html`); ``full_src``
    links the full-size file beside an embedded preview, named ``file_name``;
    ``still_src`` is that picture (default: the poster).

    Example:
        >>> "hailuo-reason" in figure_html([("tile", "#1")], status="failed", note="blocked")
        True
        >>> t = figure_html([], status="completed", video_src="data:,", poster_src="p.jpg",
        ...                 full_src="v.mp4", file_name="v.mp4")
        >>> '<img class="hailuo-still" src="p.jpg"' in t, 'href="v.mp4"' in t
        (True, True)
    """
    if status == "completed" and video_src:
        poster = f' poster="{_e(poster_src)}"' if poster_src else ""
        still_url = still_src or poster_src
        still = (
            f'<img class="hailuo-still" src="{_e(still_url)}"'
            f' alt="first frame of {_e(file_name or job_id)}" style="width:100%">'
            if still_url
            else ""
        )
        body = (
            # Muted: a grid of videos with sound would all speak at once (H3); each video's
            # own controls unmute the one to hear, and Play all keeps that choice.
            f'<video controls muted preload="metadata" playsinline{poster}'
            f' src="{_e(video_src)}"'
            f' style="width:100%;max-width:100%;display:block">{still}</video>'
        )
        bits = [_e(note)] if note else []
        if full_src:
            bits.append(
                f'full size: <a href="{_e(full_src)}" target="_blank" rel="noopener">'
                f"{_e(file_name or full_src)}</a>"
            )
        elif file_name:
            bits.append(f"<code>{_e(file_name)}</code>")
        foot = (
            f'<div style="font-size:smaller;color:#6b7280">{" · ".join(bits)}</div>' if bits else ""
        )
    else:
        colour = "#dc2626" if status in ("failed", "expired", "uncertain") else "#6b7280"
        body = (
            f'<div style="border-left:4px solid {colour};padding:4px 8px">'
            f'<b style="color:{colour}">{_e(status)}</b>'
            f'{": " if note else ""}<span class="hailuo-reason">{_e(note)}</span></div>'
        )
        foot = ""
    return (
        f'<figure class="hailuo-compare-tile" data-job-id="{_e(job_id)}" data-status="{_e(status)}"'
        ' style="margin:0;border:1px solid #e5e7eb;padding:4px;min-width:0">'
        f"<figcaption>{caption_html(caption)}</figcaption>{body}{foot}</figure>"
    )


def grid_html(figures: Sequence[str], columns: int) -> str:
    """Tiles in a CSS grid of ``columns`` equal columns.

    Example:
        >>> "repeat(2," in grid_html(["<figure></figure>"] * 4, 2)
        True
    """
    return (
        '<div class="hailuo-compare-grid" style="display:grid;'
        f'grid-template-columns:repeat({int(columns)},minmax(0,1fr));gap:8px">'
        f"{''.join(figures)}</div>"
    )


def _cell(key: str, record: Mapping[str, Any]) -> str:
    value = record.get(key)
    if key == "time":
        seconds = record.get("seconds")
        if seconds is None:
            return ""
        return format_seconds(float(seconds))
    if key == "cost":
        usd = record.get("cost_usd")
        if usd is None:
            return ""
        return f"${usd:.2f}" if record.get("billed") else f"~${usd:.2f}"
    if key == "status" and record.get("error"):
        return f"{value}: {record['error']}"
    return "" if value is None else str(value)


def table_html(records: Sequence[Mapping[str, Any]]) -> str:
    """The summary table (tile, prompt, model, settings, status, time, cost, file).

    Example:
        >>> t = table_html([{"tile": 1, "prompt": "<i>", "status": "completed",
        ...                  "seconds": 12.0, "cost_usd": 0.35, "billed": False}])
        >>> "&lt;i&gt;" in t, "~$0.35" in t, "12 s" in t
        (True, True, True)
    """
    head = "".join(f'<th style="{_CELL}">{c}</th>' for c in COLUMNS)
    rows = []
    for r in records:
        cells = "".join(
            f'<td style="{_CELL};vertical-align:top">{_e(_cell(c, r))}</td>'
            for c in COLUMNS
        )
        rows.append(f"<tr>{cells}</tr>")
    return (
        '<table class="hailuo-compare-table" style="border-collapse:collapse;'
        # A set font size and line height (on the cells: JupyterLab sets theirs): the live
        # grid's table (in a widget, 28 px lines) and the lasting one's then have the same
        # rows, and what follows the grid does not move.
        f'font-size:12px;margin-top:8px"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def table_text(records: Sequence[Mapping[str, Any]], width: int = 40) -> str:
    """The summary table as aligned plain text (long prompts shortened).

    Example:
        >>> print(table_text([{"tile": 1, "prompt": "a fox", "model": "m", "status": "queued"}]))
        tile  prompt  model  settings  status  time  cost  file
        1     a fox   m                queued
    """
    rows = [list(COLUMNS)]
    for r in records:
        row = [_cell(c, r) for c in COLUMNS]
        rows.append([v if len(v) <= width else v[: width - 1] + "…" for v in row])
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def heading_html(heading: str) -> str:
    """The comparison's heading line, the same in the live grid and the lasting one.

    The line height is set, not inherited: a widget's HTML inherits 28 px lines, an
    output's the notebook's, and the grid below would move when one replaces the other
    (the live board also takes the widgets' margins away, see ``grid.WidgetBoard``).

    Example:
        >>> heading_html("2 videos <b>").endswith('>2 videos &lt;b&gt;</div>')
        True
    """
    return (
        '<div class="hailuo-compare-heading" style="font-weight:600;line-height:20px;margin:0">'
        f"{_e(heading)}</div>"
    )


def block_html(heading: str, body: str, *, controls: bool = True) -> str:
    """The whole comparison: heading line, controls, then ``body`` (grid and table).

    Example:
        >>> block_html("2 videos", "<p>x</p>").startswith('<div class="hailuo-compare')
        True
    """
    return (
        f'<div class="hailuo-compare {NO_MATH}">'
        f"{heading_html(heading)}"
        f"{controls_html() if controls else ''}{body}</div>"
    )


def document(title: str, body: str) -> str:
    """A complete HTML page around ``body`` (the exported comparison).

    Example:
        >>> page = document("a <b>", "<p>x</p>")
        >>> page.startswith("<!DOCTYPE html>"), "<title>a &lt;b&gt;</title>" in page
        (True, True)
    """
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:16px;color:#111827}"
        "th{border-bottom:1px solid #d1d5db}td{border-bottom:1px solid #f3f4f6}"
        f'</style></head><body><h1 style="font-size:1.2em">{_e(title)}</h1>'
        f"{body}</body></html>\n"
    )
