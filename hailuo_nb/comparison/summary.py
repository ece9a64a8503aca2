"""The comparison's summary: one record per tile, and a pandas DataFrame when available.

Example:
    >>> from hailuo_nb.models import Cost, Job
    >>> from hailuo_nb.comparison.plan import Cell
    >>> job = Job(id="j1", provider="emulator", model="hailuo-2.3", status="completed",
    ...           params={"prompt": "a fox", "duration": 6, "resolution": "768p"},
    ...           cost=Cost(0.35), submitted_at=0.0, finished_at=12.0)
    >>> r = record(Cell(1, "a fox", None, {}), job)
    >>> r["tile"], r["model"], r["settings"], r["seconds"], r["cost_usd"], r["billed"]
    (1, 'hailuo-2.3', '6 s · 768p', 12.0, 0.35, False)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

from ..display import settings_summary
from ..models import Job
from .plan import Cell

__all__ = ["record", "to_dataframe"]


def _settings(job: Job) -> str:
    # The model is its own column: keep the rest of the summary ("6 s · 768p").
    text = settings_summary(job)
    head = f"{job.model} on {job.provider}"
    return text[len(head) :].lstrip(" ·") if text.startswith(head) else text


def record(cell: Cell, job: Job, cwd: str | None = None) -> dict[str, Any]:
    """One row of the summary: tile, prompt, provider, model, settings, status, time, cost,
    file (relative to ``cwd``, default the kernel's folder), job id and error.

    Example: see the module.
    """
    path = job.video_path
    if path:
        with contextlib.suppress(ValueError):  # another drive on Windows
            path = os.path.relpath(path, cwd or os.getcwd())
    elapsed = job.elapsed() if job.submitted_at is not None else None
    return {
        "tile": cell.index,
        "prompt": job.prompt or cell.prompt,
        "provider": job.provider,
        "model": job.model,
        "settings": _settings(job),
        "status": job.status,
        "seconds": round(elapsed, 1) if elapsed is not None else None,
        "cost_usd": job.cost.usd if job.cost is not None else None,
        "billed": job.cost is not None and not job.cost.estimated,
        "file": path,
        "job_id": job.id or None,
        "error": job.error,
    }


def to_dataframe(records: Sequence[dict[str, Any]]) -> Any:
    """The records as a ``pandas.DataFrame`` indexed by tile; a clear error without pandas.

    Example::

        df = to_dataframe(comparison.table())
    """
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ImportError(
            "to_dataframe() needs pandas, which is not installed: pip install pandas"
            " (table() gives the same rows as a list of dicts)"
        ) from None
    return pd.DataFrame.from_records(list(records)).set_index("tile")
