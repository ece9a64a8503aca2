"""Storyboards: shots chained into one film, each starting from the last frame before.

Modules: :mod:`.plan` (shots, validation, price, what is free), :mod:`.frames` (last
frames with PyAV), :mod:`.join` (one MP4 from the shots), :mod:`.media` (thumbnails,
strip, manifest, remembered picks), :mod:`.render` (pure HTML), :mod:`.output` (the
lasting bundle), :mod:`.flow` (:class:`Storyboard`: shots, variants, picks, film),
:mod:`.start` (:func:`storyboard`), :mod:`.cli` (``hailuo story``).
``hailuo_nb.storyboard`` is :func:`storyboard`.

Example:
    >>> from hailuo_nb.story import build_shots
    >>> [s.prompt for s in build_shots(["a fox wakes up", "it runs"])]
    ['a fox wakes up', 'it runs']

In a notebook::

    story = hailuo_nb.storyboard(["a fox wakes up", "it runs"], model="hailuo-2.3")
"""

from __future__ import annotations

from .flow import Storyboard
from .plan import Shot, ShotError, StoryPlan, build_shots, split_variants
from .start import start_storyboard, storyboard

__all__ = [
    "Shot",
    "ShotError",
    "StoryPlan",
    "Storyboard",
    "build_shots",
    "split_variants",
    "start_storyboard",
    "storyboard",
]
