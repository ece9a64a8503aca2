"""Prompt comparison: many prompts and settings at once, as a live grid of videos.

Modules: :mod:`.plan` (tiles, what differs, estimate, validation), :mod:`.grid` (where it
is drawn), :mod:`.render` (pure HTML), :mod:`.summary` (records, DataFrame),
:mod:`.export` (the lasting bundle and the HTML page), :mod:`.comparison` (the flow).

Example:
    >>> from hailuo_nb.compare import build_cells
    >>> [c.label() for c in build_cells(["a fox", "an owl"], durations=[6])]
    ['a fox', 'an owl']

``hailuo_nb.compare`` is both this package and the function: once the package is imported,
Python binds the name to the module, so the module itself is callable and calls
:func:`compare`.

In a notebook::

    cmp = hailuo_nb.compare(["a fox", "an owl"], models=["hailuo-2.3", "minimax-hailuo-2"])
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .comparison import DEFAULT_CONFIRM_ABOVE_USD, Comparison, compare
from .plan import Cell, Plan, TileError, build_cells

__all__ = [
    "DEFAULT_CONFIRM_ABOVE_USD",
    "Cell",
    "Comparison",
    "Plan",
    "TileError",
    "build_cells",
    "compare",
]


class _CallableModule(types.ModuleType):
    """The package, callable as :func:`compare` (see the module's docstring).

    Example:
        >>> import hailuo_nb.compare as pkg
        >>> callable(pkg), pkg.Comparison is Comparison
        (True, True)
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Comparison:
        return compare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
