"""The panel's rules, without widgets: default provider, what a model forbids, and why.

Pure functions over the catalog (:mod:`hailuo_nb.catalog`), so they are tested and
documented on their own; :mod:`hailuo_nb.widgets.form` turns them into enabled and
disabled buttons.

Example:
    >>> from hailuo_nb.catalog import get_model
    >>> spec = get_model("minimax", "hailuo-02")
    >>> forbidden(spec, spec.durations, duration=None, resolution="1080p", has_first=False)
    {10: '1080p allows only 6 s on hailuo-02 (minimax); choose 768p for 10 s'}
    >>> forbidden(spec, spec.resolutions, duration=6, resolution=None, has_first=False)
    {'512p': '512p needs a first frame image on hailuo-02 (minimax) (image-to-video only); \
choose 768p or 1080p for text-to-video'}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..catalog import PROVIDERS, ModelSpec
from ..settings import detect_provider

__all__ = [
    "combination_reason",
    "default_provider",
    "fitting_resolution",
    "forbidden",
    "model_note",
]


def default_provider(config: Any, environ: Mapping[str, str] | None = None) -> str:
    """The provider the magic would use: the setting, ``$HAILUO_PROVIDER``, a key, the emulator.

    Example:
        >>> from hailuo_nb.notebook.config import Hailuo
        >>> default_provider(Hailuo(), {"AIMLAPI_KEY": "k"}), default_provider(Hailuo(), {})
        ('aimlapi', 'emulator')
    """
    chosen = config.provider or detect_provider(environ)
    return str(chosen) if chosen in PROVIDERS else "emulator"


def combination_reason(
    spec: ModelSpec, duration: Any, resolution: Any, has_first: bool
) -> str | None:
    """Why this duration × resolution (× first frame or not) is forbidden, or None.

    A missing or unwanted first frame is not a reason here: it is said once, by the form's
    check, not on every button.

    Example:
        >>> from hailuo_nb.catalog import get_model
        >>> spec = get_model("segmind", "hailuo-2.3-fast")   # needs a first frame
        >>> combination_reason(spec, 10, "1080p", has_first=False)
        '1080p allows only 6 s on hailuo-2.3-fast (segmind); choose 768p for 10 s'
        >>> combination_reason(spec, 6, "1080p", has_first=False) is None
        True
    """
    issue = spec.combination_issue(duration, resolution, has_first)
    if issue is not None and issue[0] == "first_frame":
        issue = spec.combination_issue(duration, resolution, not has_first)
    return issue[1] if issue is not None and issue[0] != "first_frame" else None


def forbidden(
    spec: ModelSpec, values: Iterable[Any], *, duration: Any, resolution: Any, has_first: bool
) -> dict[Any, str]:
    """``{value: reason}`` for the durations (``duration=None``) or resolutions
    (``resolution=None``) in ``values`` that cannot go with the other, current, choice.

    Example: see the module.
    """
    out: dict[Any, str] = {}
    for value in values:
        d, r = (value, resolution) if duration is None else (duration, value)
        reason = combination_reason(spec, d, r, has_first)
        if reason:
            out[value] = reason
    return out


def fitting_resolution(spec: ModelSpec, duration: Any, has_first: bool) -> str | None:
    """The model's default resolution, or the first one that fits ``duration``.

    Example:
        >>> from hailuo_nb.catalog import get_model
        >>> fitting_resolution(get_model("segmind", "hailuo-2.3-fast"), 10, True)
        '768p'
    """
    for res in [spec.default_resolution, *spec.resolutions]:
        if res and combination_reason(spec, duration, res, has_first) is None:
            return res
    return spec.default_resolution


def model_note(spec: ModelSpec) -> str:
    """What the panel says about the inputs a model does not take ('' when it takes all).

    Example:
        >>> from hailuo_nb.catalog import get_model
        >>> model_note(get_model("segmind", "minimax-hailuo-2"))
        'this model chooses the duration and resolution itself'
    """
    if not spec.durations and not spec.resolutions:
        return "this model chooses the duration and resolution itself"
    if not spec.resolutions:
        return "this model chooses the resolution itself"
    if not spec.durations:
        return "this model chooses the duration itself"
    return ""
