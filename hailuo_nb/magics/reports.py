"""Pure renderings for ``%hailuo config``, ``history`` and ``cost``: MIME bundles, escaped.

Example:
    >>> b = history_bundle([])
    >>> b["text/plain"]
    'no jobs yet'
"""

from __future__ import annotations

import contextlib
import html
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ..display import NO_MATH, format_seconds, settings_summary
from ..models import Job

__all__ = ["config_bundle", "cost_bundle", "history_bundle", "mask", "reused_line", "total_cost"]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def mask(secret: str | None) -> str:
    """A key shown as its last 4 characters at most (short keys fully hidden).

    Example:
        >>> mask("sk-1234567890abcd"), mask("abc"), mask(None)
        ('…abcd', '****', 'not set')
    """
    if not secret:
        return "not set"
    return "****" if len(secret) < 12 else "…" + secret[-4:]


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th style='text-align:left'>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{_e(c)}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return (
        f"<table class='hailuo-table {NO_MATH}'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _text_table(rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )


def config_bundle(
    settings: Mapping[str, Any],
    keys: Mapping[str, str],
    budgets: Sequence[tuple[str, str]] = (),
) -> dict[str, str]:
    """Settings, where each provider's key comes from (never the key itself), and each
    provider's request budget (the rate in force, learnt or fixed, and where it is shared).

    Example:
        >>> print(config_bundle({"provider": "emulator"}, {"segmind": "missing"},
        ...                     [("segmind", "~50/min, learnt")])["text/plain"])
        Hailuo.provider = 'emulator'
        segmind key: missing
        segmind request budget: ~50/min, learnt
    """
    rows = [(f"Hailuo.{k}", repr(v)) for k, v in settings.items()]
    rows += [(f"{p} key", where) for p, where in keys.items()]
    rows += [(f"{p} request budget", line) for p, line in budgets]
    text = "\n".join(
        [f"Hailuo.{k} = {v!r}" for k, v in settings.items()]
        + [f"{p} key: {where}" for p, where in keys.items()]
        + [f"{p} request budget: {line}" for p, line in budgets]
    )
    return {"text/plain": text, "text/html": _table(["setting", "value"], rows)}


def _job_row(job: Job) -> list[object]:
    cost = str(job.cost) if job.cost is not None else ""
    prompt = " ".join(job.prompt.split())
    return [
        job.id,
        job.status,
        settings_summary(job),
        format_seconds(job.elapsed()) if job.submitted_at else "",
        cost,
        prompt[:60] + ("…" if len(prompt) > 60 else ""),
        job.video_path or job.error or "",
    ]


def history_bundle(jobs: Sequence[Job]) -> dict[str, str]:
    """A table of jobs, newest first as given: id, status, settings, time, cost, prompt, file.

    Example:
        >>> j = Job(id="a", provider="p", model="m", params={"prompt": "<b>"})
        >>> "&lt;b&gt;" in history_bundle([j])["text/html"]
        True
    """
    if not jobs:
        return {"text/plain": "no jobs yet", "text/html": "<i>no jobs yet</i>"}
    headers = ["id", "status", "model and settings", "time", "cost", "prompt", "file or reason"]
    rows = [_job_row(j) for j in jobs]
    return {"text/plain": _text_table([headers, *rows]), "text/html": _history_html(headers, jobs)}


def _history_html(headers: Sequence[str], jobs: Sequence[Job]) -> str:
    # Made to fit a notebook's width: a short id (the full one on hover and in text/plain),
    # settings on one line, files relative to the notebook, long paths allowed to break.
    def td(value: object, style: str = "", title: str = "") -> str:
        hover = f" title='{_e(title)}'" if title else ""
        return f"<td style='text-align:left;{style}'{hover}>{_e(value)}</td>"

    head = "".join(f"<th style='text-align:left'>{_e(h)}</th>" for h in headers)
    body = []
    for job in jobs:
        _, status, settings, took, cost, prompt, _ = _job_row(job)
        where = job.video_path or ""
        if where:
            with contextlib.suppress(ValueError):  # another drive (Windows): keep it whole
                where = os.path.relpath(where)
        short = job.id if len(job.id) <= 13 else job.id[:12] + "…"
        cells = [
            td(short, "font-family:monospace;white-space:nowrap", title=job.id),
            td(status),
            td(settings, "white-space:nowrap"),
            td(took, "white-space:nowrap"),
            td(cost, "white-space:nowrap"),
            td(prompt),
            td(where or job.error or "", "word-break:break-all"),
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table class='hailuo-table {NO_MATH}'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def cost_bundle(session: Mapping[str, float], total: Mapping[str, float]) -> dict[str, str]:
    """Spent this session and in the whole job store, estimated and actual.

    Example:
        >>> print(cost_bundle({"estimated_usd": 0.5, "actual_usd": 0.0},
        ...                   {"estimated_usd": 1.0, "actual_usd": 0.25})["text/plain"])
        this session: $0.00 billed + ~$0.50 estimated
        all jobs in the store: $0.25 billed + ~$1.00 estimated
        >>> print(cost_bundle({"estimated_usd": 0.0, "actual_usd": 0.0, "saved_usd": 0.7,
        ...                    "reused_jobs": 2}, {"estimated_usd": 0.0, "actual_usd": 0.7}
        ...                   )["text/plain"].splitlines()[-1])
        saved by reuse this session: $0.70 (2 jobs shown again)
    """

    def line(d: Mapping[str, float]) -> str:
        return f"${d['actual_usd']:.2f} billed + ~${d['estimated_usd']:.2f} estimated"

    rows = [("this session", line(session)), ("all jobs in the store", line(total))]
    if "saved_usd" in session:
        count = int(session.get("reused_jobs", 0))
        noun = "job" if count == 1 else "jobs"
        rows.append(
            (
                "saved by reuse this session",
                f"${session['saved_usd']:.2f} ({count} {noun} shown again)",
            )
        )
    return {
        "text/plain": "\n".join(f"{a}: {b}" for a, b in rows),
        "text/html": _table(["", "cost"], rows),
    }


def total_cost(jobs: Sequence[Job]) -> dict[str, float]:
    """Sum of what the jobs count (:attr:`~hailuo_nb.models.Job.charge`), split into
    estimated and billed: a failed job counts only an amount its provider billed.

    Example:
        >>> total_cost([])
        {'estimated_usd': 0.0, 'actual_usd': 0.0}
    """
    est = act = 0.0
    for job in jobs:
        cost = job.charge
        if cost is None:
            continue
        if cost.estimated:
            est += cost.usd
        else:
            act += cost.usd
    return {"estimated_usd": round(est, 4), "actual_usd": round(act, 4)}


def reused_line(job: Job, *, hint: str = "--new for a fresh sample") -> str:
    """The one line telling that a request was answered with an earlier identical job.

    Example:
        >>> j = Job(id="5f3a9c0e1d2b", provider="emulator", model="hailuo-2.3",
        ...         status="completed", submitted_at=0.0)
        >>> print(reused_line(j))  # doctest: +ELLIPSIS
        reused job 5f3a9c0e1d2b from 19... (same request; --new for a fresh sample)
    """
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.submitted_at or 0))
    verb = "reused job" if job.done else f"attached to {job.status} job"
    return f"{verb} {job.id} from {when} (same request; {hint})"
