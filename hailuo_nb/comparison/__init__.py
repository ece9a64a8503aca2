"""Prompt comparison: many prompts and settings at once, as a live grid of videos.

Modules: :mod:`.plan` (tiles, what differs, estimate, validation), :mod:`.grid` (where it
is drawn), :mod:`.render` (pure HTML), :mod:`.summary` (records, DataFrame),
:mod:`.export` (the lasting bundle and the HTML page), :mod:`.comparison` (the flow).
``hailuo_nb.compare`` is :func:`compare`.

Example:
    >>> from hailuo_nb.comparison import build_cells
    >>> [c.label() for c in build_cells(["a fox", "an owl"], durations=[6])]
    ['a fox', 'an owl']

In a notebook::

    cmp = hailuo_nb.compare(["a fox", "an owl"], models=["hailuo-2.3", "minimax-hailuo-2"])
"""

from __future__ import annotations

from ..errors import TileError
from .comparison import DEFAULT_CONFIRM_ABOVE_USD, Comparison, compare, start_comparison
from .plan import Cell, Plan, build_cells

__all__ = [
    "DEFAULT_CONFIRM_ABOVE_USD",
    "Cell",
    "Comparison",
    "Plan",
    "TileError",
    "build_cells",
    "compare",
    "start_comparison",
]
