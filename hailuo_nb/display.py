"""Pure rendering: a ``Job`` (and ready-made media sources) → HTML, text and MIME bundles.

No I/O happens here: callers pass the video and poster sources (a relative path or a data
URL). Every value that reaches HTML goes through :func:`html.escape` — prompts, errors,
file names, ids — so a prompt such as ``<script>`` shows as text and never runs. Every
rich output has a ``text/plain`` twin for terminals, nbconvert and static renderers.

Example:
    >>> from hailuo_nb.models import Job
    >>> job = Job(id="r1", provider="emulator", model="hailuo-2.3",
    ...           params={"prompt": "<b>fox</b>", "duration": 6}, status="failed",
    ...           error="blocked <script>")
    >>> "&lt;script&gt;" in final_bundle(job)["text/html"]
    True
    >>> final_bundle(job)["text/plain"].splitlines()[0]
    'hailuo job r1 failed: blocked <script>'
"""

from __future__ import annotations

import base64
import html
import time
from typing import Any

from .catalog import get_model
from .errors import ValidationError
from .models import Job

__all__ = [
    "figures",
    "final_bundle",
    "final_html",
    "final_text",
    "format_seconds",
    "live_text",
    "settings_summary",
]

_STATUS_COLOURS = {
    "submitting": "#6b7280",
    "queued": "#6b7280",
    "processing": "#2563eb",
    "completed": "#16a34a",
    "failed": "#dc2626",
    "expired": "#b45309",
    "uncertain": "#b45309",
    "cancelled": "#6b7280",
}


# JupyterLab typesets $...$ in HTML outputs as LaTeX: "$0.00 billed + ~$0.84" would turn
# into math. These classes tell MathJax (2 and 3 spellings) to leave our outputs alone.
NO_MATH = "tex2jax_ignore mathjax_ignore"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def format_seconds(seconds: float | None) -> str:
    """A duration, the one way every output writes it; ``'?'`` when unknown.

    Tenths under ten seconds (a short job's times differ there), whole seconds to a minute,
    then minutes and seconds, then hours and minutes.

    Example:
        >>> [format_seconds(s) for s in (7.44, 42.4, 125, 3720, None)]
        ['7.4 s', '42 s', '2 min 05 s', '1 h 02 min', '?']
    """
    if seconds is None:
        return "?"
    seconds = max(0.0, seconds)
    if round(seconds, 1) < 10:
        return f"{seconds:.1f} s"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def settings_summary(job: Job) -> str:
    """Model and the settings that matter, in one short line.

    Example:
        >>> settings_summary(Job(id="a", provider="segmind", model="hailuo-2.3",
        ...     params={"duration": 6, "resolution": "768p", "prompt_optimizer": False}))
        'hailuo-2.3 on segmind · 6 s · 768p · optimizer off'
        >>> settings_summary(Job(id="a", provider="minimax", model="h3",
        ...     params={"duration": 8, "resolution": "768p", "ratio": "9:16"}))
        'h3 on minimax · 8 s · 768p · 9:16 · with sound'
    """
    p = job.params
    parts = [f"{job.model} on {job.provider}"]
    if p.get("duration") is not None:
        parts.append(f"{p['duration']} s")
    if p.get("resolution"):
        parts.append(str(p["resolution"]))
    if job.model.startswith("raw:"):
        parts.append("unknown model: sent as given, price unknown")
    if p.get("ratio"):
        parts.append(str(p["ratio"]))
    if _with_sound(job):
        parts.append("with sound")
    if p.get("regenerate_from"):
        parts.append(f"2K of {p['regenerate_from']}")
    refs = [f"{len(p[k])} {k.split('_')[1]}" for k in _REFS if p.get(k)]
    if refs:
        parts.append("references: " + ", ".join(refs))
    if p.get("prompt_expansion_mode"):
        parts.append(f"expansion {p['prompt_expansion_mode']}")
    if p.get("mode"):
        parts.append(f"mode {p['mode']}")
    if p.get("first_frame"):
        parts.append(f"first frame {p['first_frame']}")
    if p.get("last_frame"):
        parts.append(f"last frame {p['last_frame']}")
    if p.get("prompt_optimizer") is False:
        parts.append("optimizer off")
    if p.get("go_fast"):
        parts.append("go fast")
    if p.get("fast_pretreatment"):
        parts.append("fast pretreatment")
    return " · ".join(parts)


_REFS = ("reference_images", "reference_videos", "reference_audio")


def _with_sound(job: Job) -> bool:
    """True for a model whose videos carry sound (H3), as the catalog says.

    Example:
        >>> _with_sound(Job(id="a", provider="minimax", model="h3"))
        True
        >>> _with_sound(Job(id="a", provider="minimax", model="no-such-model"))
        False
    """
    try:
        return get_model(job.provider, job.model).sound
    except ValidationError:
        return False


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def figures(job: Job, now: float | None = None) -> dict[str, Any]:
    """The live view's figures as a plain dict (the widget and the text view draw it).

    ``bar_style`` follows ipywidgets: ``''`` running, ``'success'``, ``'danger'``. Time in
    the provider's queue is not progress: ``elapsed`` is the time in the current state
    (queued, then processing), ``waited`` the queue's time once the job runs, and ``left``
    an estimate only once the provider says it is processing. An empty figure is not shown.

    Example:
        >>> j = Job(id="a", provider="p", model="m", status="processing",
        ...         submitted_at=0.0, started_at=2.0, expected_seconds=20.0)
        >>> f = figures(j, now=7.0)
        >>> f["value"], f["elapsed"], f["left"], f["waited"], f["bar_style"]
        (0.2778, '5.0 s', '~13 s left', 'queued 2.0 s', '')
        >>> f = figures(Job(id="a", provider="p", model="m", submitted_at=0.0,
        ...                 expected_seconds=20.0), now=19.0)
        >>> f["value"], f["elapsed"], f["left"]
        (0.0, '19 s', 'position unknown')
    """
    now = time.time() if now is None else now
    queued = job.queued_seconds(now)
    waited = left = ""
    if job.done:
        elapsed = format_seconds(job.elapsed(now)) if job.submitted_at is not None else ""
        left = "done" if job.status == "completed" else str(job.status)
    elif job.status in ("submitting", "queued"):
        elapsed = format_seconds(queued) if queued is not None else ""
        if job.status == "queued":
            # Where the provider tells the place in line (fal), the status words say it.
            left = "position unknown" if job.queue_position is None else ""
    else:
        running = job.processing_seconds(now)
        if running is None:
            running = job.elapsed(now)
        elapsed = format_seconds(running) if running is not None else ""
        remaining = job.remaining(now)
        if remaining is None:
            left = ""
        elif remaining <= 0:
            left = "any moment now"
        else:
            left = f"~{format_seconds(remaining)} left"
        if queued is not None and queued >= 0.5:
            waited = f"queued {format_seconds(queued)}"
    style = {
        "completed": "success",
        "failed": "danger",
        "expired": "danger",
        "uncertain": "warning",
        "cancelled": "warning",
    }.get(job.status, "")
    return {
        "status": job.status,
        # The status as said: a queued job's place in line where the provider tells it.
        "state": status_words(job),
        "value": job.progress(now),
        "elapsed": elapsed,
        "left": left,
        "waited": waited,
        "bar_style": style,
        "cost": str(job.cost) if job.cost is not None else "",
        "settings": settings_summary(job),
        "id": job.id,
        "prompt": _short(job.prompt),
        # A running job's passing note (a long rate-limit wait) shows where errors do.
        "error": job.error or job.note or "",
    }


def _info(f: dict[str, Any]) -> str:
    parts = [f.get("elapsed"), f.get("left"), f.get("waited"), f.get("cost"), f.get("error")]
    return " · ".join(str(p) for p in parts if p)


STATUS_WIDTH = 10
"""Characters of the longest status word: the status is padded to it, so that the bar
beside it does not move when the word changes."""


def status_words(job: Job) -> str:
    """The status as the live views say it: ``"queued, 3 ahead"`` when the provider
    tells the place in its queue (fal), else the status itself.

    Example:
        >>> status_words(Job(id="a", provider="fal", model="m", queue_position=3))
        'queued, 3 ahead'
        >>> status_words(Job(id="a", provider="fal", model="m", queue_position=0))
        'queued, next'
        >>> status_words(Job(id="a", provider="p", model="m", status="processing"))
        'processing'
    """
    if job.status != "queued" or job.queue_position is None:
        return job.status
    if job.queue_position <= 0:
        return "queued, next"
    return f"queued, {job.queue_position} ahead"


def live_label_html(f: dict[str, Any]) -> str:
    """The left part of the live view: a coloured status word, in a fixed width.

    Example:
        >>> "processing" in live_label_html({"status": "processing"})
        True
    """
    colour = _STATUS_COLOURS.get(str(f["status"]), "#6b7280")
    return (
        f'<span style="color:{colour};font-weight:600;font-family:monospace;'
        f'display:inline-block;min-width:{STATUS_WIDTH + 1}ch">'
        f"{_e(f.get('state') or f['status'])}</span>"
    )


def live_info_html(f: dict[str, Any]) -> str:
    """The right part of the live view: time in this state, the estimate, the queue's time, cost.

    Example:
        >>> live_info_html({"elapsed": "5.0 s", "left": "~15 s left", "cost": "", "error": ""})
        '<span style="font-family:monospace">5.0 s · ~15 s left</span>'
    """
    return f'<span style="font-family:monospace">{_e(_info(f))}</span>'


def live_details_html(f: dict[str, Any]) -> str:
    """The second line of the live view: the prompt, model and settings, request id.

    Example:
        >>> "&lt;i&gt;" in live_details_html({"prompt": "<i>", "settings": "m", "id": "x"})
        True
    """
    return (
        f'<div class="{NO_MATH}" style="font-size:smaller;color:#6b7280">'
        f"<q>{_e(f['prompt'])}</q> · {_e(f['settings'])} · id <code>{_e(f['id'])}</code></div>"
    )


def live_text(job: Job, now: float | None = None, *, name: str | None = None) -> str:
    """One plain-text progress line (terminal IPython, nbconvert, the live view's twin).

    ``name`` says which job it is where its id is not enough (a comparison's tile, a job
    not sent yet, whose id is not known).

    Example:
        >>> live_text(Job(id="a", provider="p", model="m", status="processing",
        ...     submitted_at=0.0, expected_seconds=20.0, params={"prompt": "fox"}), now=5.0)
        'hailuo job a: processing  25% 5.0 s · ~15 s left · m on p · "fox"'
        >>> live_text(Job(id="", provider="p", model="m", status="submitting"), now=0.0,
        ...           name="tile 2")
        'tile 2: submitting   0% · m on p · ""'
    """
    f = figures(job, now)
    pct = f"{int(f['value'] * 100):3d}%"
    head = name or f"hailuo job {f['id'] or '(not sent yet)'}"
    if name and f["id"]:
        head += f" (job {f['id']})"
    info = _info({**f, "cost": "", "error": ""})
    extra = f" · {f['cost']}" if f["cost"] else ""
    err = f" · {f['error']}" if f["error"] else ""
    info = f" {info}" if info else ""
    return (
        f"{head}: {f['state']:<{STATUS_WIDTH}} {pct}{info}{extra}"
        f' · {f["settings"]} · "{f["prompt"]}"{err}'
    )


def final_text(job: Job, path: str | None = None) -> str:
    """The ``text/plain`` of a finished job: id and outcome, file, prompt.

    Example:
        >>> print(final_text(Job(id="a", provider="p", model="m", status="completed",
        ...     submitted_at=0.0, finished_at=12.0, params={"prompt": "fox"}), "out/a.mp4"))
        hailuo job a completed in 12 s · m on p
        file: out/a.mp4
        prompt: fox
    """
    ident = job.id or "(not sent)"  # a submit refused before the provider gave an id
    if job.status == "completed":
        head = f"hailuo job {ident} completed in {format_seconds(job.elapsed())}"
        head += f" · {settings_summary(job)}"
        if job.cost is not None:
            head += f" · {job.cost}"
        if job.error:  # completed but not saved (a full disk): say so, and how to fix it
            head += f" · {job.error}"
    elif job.done:
        head = f"hailuo job {ident} {job.status}: {job.error or 'no reason given'}"
        if job.charge is not None and not job.charge.estimated:
            # Billed at submit (AI/ML) and not known to be refunded: say what it cost.
            head += f" · {job.charge} billed"
    else:
        head = f"hailuo job {ident} {job.status} (not finished)"
    lines = [head]
    shown = path or job.video_path
    if shown:
        lines.append(f"file: {shown}")
    lines.append(f"prompt: {job.prompt}")
    return "\n".join(lines)


def _caption_html(job: Job, path: str | None) -> str:
    bits = [settings_summary(job), f"took {format_seconds(job.elapsed())}"]
    if job.cost is not None:
        bits.append(str(job.cost))
    file_html = f" · <code>{_e(path)}</code>" if path else ""
    return (
        '<figcaption style="font-size:smaller;margin-top:4px">'
        f'<div style="white-space:pre-wrap">{_e(job.prompt)}</div>'
        f'<div style="color:#6b7280">{_e(" · ".join(bits))} · id <code>{_e(job.id)}</code>'
        f"{file_html}</div></figcaption>"
    )


def final_html(
    job: Job,
    *,
    video_src: str | None = None,
    poster_src: str | None = None,
    path: str | None = None,
    width: int = 480,
    full_src: str | None = None,
    still_src: str | None = None,
) -> str:
    """HTML of a finished job: a ``<video controls>`` with a caption, or the failure reason.

    ``video_src``/``poster_src`` are URLs already chosen by the caller (a path relative to
    the notebook, or a data URL); they are escaped like everything else. ``full_src``
    links the full-size file when ``video_src`` is an embedded preview; ``still_src`` is
    the fallback picture (default: the poster).

    The poster is also an ``<img>`` *inside* the ``<video>``: a browser that plays video
    never draws it (one video in JupyterLab, no duplicate picture), while a renderer that
    strips ``<video>`` but keeps its content (GitHub's sanitizer) shows the frame. Where
    media is blocked but ``<video>`` kept (a CSP ``media-src 'none'``), ``poster=`` draws it.

    Example:
        >>> j = Job(id="a", provider="p", model="m", status="completed", params={"prompt": "x"})
        >>> final_html(j, video_src="out/a b.mp4").count("<video")
        1
        >>> h = final_html(j, video_src="data:video/mp4;base64,AA", poster_src="p.jpg",
        ...                full_src="out/a.mp4")
        >>> h.index("<video") < h.index("<img") < h.index("</video>"), 'href="out/a.mp4"' in h
        (True, True)
    """
    if job.status == "completed" and video_src:
        poster = f' poster="{_e(poster_src)}"' if poster_src else ""
        still_url = still_src or poster_src
        still = (
            f'<img class="hailuo-still" src="{_e(still_url)}" width="{int(width)}"'
            f' alt="first frame of {_e(path or job.id)}" style="max-width:100%">'
            if still_url
            else ""
        )
        full = (
            '<div class="hailuo-full" style="font-size:smaller">embedded preview · full size: '
            f'<a href="{_e(full_src)}" target="_blank" rel="noopener">{_e(path or full_src)}</a>'
            "</div>"
            if full_src
            else ""
        )
        return (
            f'<figure class="hailuo-result {NO_MATH}" data-job-id="{_e(job.id)}" style="margin:0">'
            f'<video controls preload="metadata" playsinline width="{int(width)}"{poster}'
            f' src="{_e(video_src)}" style="max-width:100%">{still}</video>'
            f"{full}{_caption_html(job, path)}</figure>"
        )
    colour = _STATUS_COLOURS.get(job.status, "#6b7280")
    if job.status == "completed":
        # Only our own "not saved: <reason>; free space..." is shown: a download error can
        # quote the provider's (possibly hostile) URL, which never reaches the page.
        saved_note = job.error if (job.error or "").startswith("not saved:") else None
        reason = saved_note or "completed, but the video was not downloaded"
    elif job.done:
        reason = job.error or "no reason given"
    else:
        reason = "not finished yet"
    return (
        f'<figure class="hailuo-result {NO_MATH}" data-job-id="{_e(job.id)}" style="margin:0">'
        f'<div style="border-left:4px solid {colour};padding:4px 8px">'
        f'<b style="color:{colour}">{_e(job.status)}</b>: '
        f'<span class="hailuo-reason" style="white-space:pre-wrap">{_e(reason)}</span></div>'
        f"{_caption_html(job, path)}</figure>"
    )


def final_bundle(
    job: Job,
    *,
    video_src: str | None = None,
    poster_src: str | None = None,
    poster: tuple[bytes, str] | None = None,
    path: str | None = None,
    full_src: str | None = None,
    still_src: str | None = None,
) -> dict[str, Any]:
    """The lasting MIME bundle of a finished job: ``text/html``, ``text/plain``, poster image.

    ``poster`` is ``(bytes, mime)``; it is added as ``image/png``/``image/jpeg`` so that
    renderers without HTML still show a frame.

    Example:
        >>> j = Job(id="a", provider="p", model="m", status="completed", params={"prompt": "x"})
        >>> sorted(final_bundle(j, video_src="a.mp4", poster=(b"\\xff\\xd8", "image/jpeg")))
        ['image/jpeg', 'text/html', 'text/plain']
    """
    bundle: dict[str, Any] = {
        "text/plain": final_text(job, path),
        "text/html": final_html(
            job,
            video_src=video_src,
            poster_src=poster_src,
            path=path,
            full_src=full_src,
            still_src=still_src,
        ),
    }
    if poster is not None:
        data, mime = poster
        bundle[mime] = base64.b64encode(data).decode("ascii")
    return bundle
