"""The emulator's own model catalog, written from protocols.md and the vendor seeds.

It is deliberately separate from the client's catalog: if both were one table, a wrong
value would be mirrored on both sides and no test would notice.

Example:
    >>> m = model("segmind", "hailuo-2.3-fast")
    >>> [p.name for p in m.params if p.required]
    ['prompt', 'first_frame_image']
    >>> frame_size("768p"), frame_size("1080P")
    ((1366, 768), (1920, 1080))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["str", "uri", "int", "bool"]


@dataclass(frozen=True)
class Param:
    """One request field: its JSON type, whether it is required, default, allowed values.

    Example:
        >>> Param("duration", "int", default=6, allowed=(6, 10)).allowed
        (6, 10)
    """

    name: str
    kind: Kind
    required: bool = False
    default: Any = None
    allowed: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Model:
    """A model as one provider exposes it.

    ``typical_s`` is the vendor's typical wall time before ``time_scale``; ``prices``
    maps ``(seconds, resolution)`` to USD, with ``base_price`` as the fallback.

    Example:
        >>> model("segmind", "hailuo-2.3").price(10, "768p")
        0.7
    """

    provider: str
    name: str
    params: tuple[Param, ...]
    typical_s: float
    base_price: float
    prices: dict[tuple[int, str], float] = field(default_factory=dict)

    def param(self, name: str) -> Param | None:
        """The field called ``name``, or None.

        Example:
            >>> model("minimax", "MiniMax-Hailuo-02").param("last_frame_image") is not None
            True
        """
        return next((p for p in self.params if p.name == name), None)

    def price(self, seconds: int, resolution: str) -> float:
        """USD charged when a job of this shape completes.

        Example:
            >>> model("segmind", "minimax-hailuo-2").price(6, "768p")
            0.39
        """
        return self.prices.get((seconds, resolution.lower()), self.base_price)


_PROMPT = Param("prompt", "str", required=True)
_OPT = Param("prompt_optimizer", "bool", default=True)
_DUR = Param("duration", "int", default=6, allowed=(6, 10))

# Segmind: resolution strings are lower case (protocols.md, seeds). Typical times are those
# on Segmind's current pages (protocols.md: ~141 s, ~114 s, ~174 s; the seeds' 02-fast ~80 s).
_SEGMIND = [
    Model(
        "segmind",
        "hailuo-2.3",
        (
            _PROMPT,
            _DUR,
            Param("resolution", "str", default="768p", allowed=("768p", "1080p")),
            Param("first_frame_image", "uri"),
            _OPT,
        ),
        typical_s=140.7,
        base_price=0.35,
        prices={(6, "768p"): 0.35, (10, "768p"): 0.70, (6, "1080p"): 0.70, (10, "1080p"): 0.70},
    ),
    Model(
        "segmind",
        "hailuo-2.3-fast",
        (
            _PROMPT,
            Param("first_frame_image", "uri", required=True),
            _DUR,
            Param("resolution", "str", default="1080p", allowed=("768p", "1080p")),
            _OPT,
        ),
        typical_s=114.2,
        base_price=0.24,
        prices={(6, "768p"): 0.24, (10, "768p"): 0.41, (6, "1080p"): 0.41, (10, "1080p"): 0.41},
    ),
    Model(
        "segmind",
        "hailuo-02-fast",
        (
            _PROMPT,
            Param("first_frame_image", "uri", required=True),
            Param("last_frame_image", "uri"),
            _DUR,
            Param("go_fast", "bool", default=False),
            _OPT,
        ),
        typical_s=80.0,
        base_price=0.13,
        prices={(10, "768p"): 0.19},
    ),
    # The page marks last_frame_image and mode "required" yet gives defaults (null,
    # "standard") and its own example omits nothing else: we treat them as optional.
    Model(
        "segmind",
        "minimax-hailuo-2",
        (
            _PROMPT,
            Param("image_url", "uri"),
            Param("last_frame_image", "uri"),
            Param("mode", "str", default="standard", allowed=("standard", "pro")),
            _OPT,
        ),
        typical_s=174.2,
        base_price=0.39,
    ),
]

# AI/ML API: resolution in upper case; older spellings are mapped in aimlapi.py.
_AIML_COMMON = (
    _PROMPT,
    Param("resolution", "str", default="768P", allowed=("768P", "1080P")),
    _DUR,
    Param("enhance_prompt", "bool", default=True),
)
_AIMLAPI = [
    Model(
        "aimlapi",
        "minimax/hailuo-2.3",
        (*_AIML_COMMON, Param("image_url", "uri")),
        typical_s=98.0,
        base_price=0.30,
        prices={(10, "768p"): 0.55, (6, "1080p"): 0.55},
    ),
    Model(
        "aimlapi",
        "minimax/hailuo-2.3-fast",
        (*_AIML_COMMON, Param("image_url", "uri", required=True)),
        typical_s=69.0,
        base_price=0.20,
        prices={(10, "768p"): 0.34, (6, "1080p"): 0.34},
    ),
    Model(
        "aimlapi",
        "minimax/hailuo-02",
        (*_AIML_COMMON, Param("image_url", "uri"), Param("last_image_url", "uri")),
        typical_s=390.0,
        base_price=0.30,
        prices={(10, "768p"): 0.50, (6, "1080p"): 0.55},
    ),
]

_MM_COMMON = (
    Param("prompt", "str"),
    _DUR,
    _OPT,
    Param("fast_pretreatment", "bool", default=False),
)
_MINIMAX = [
    Model(
        "minimax",
        "MiniMax-Hailuo-2.3",
        (
            *_MM_COMMON,
            Param("first_frame_image", "uri"),
            Param("resolution", "str", default="768P", allowed=("768P", "1080P")),
        ),
        typical_s=150.0,
        base_price=0.28,
        prices={(10, "768p"): 0.56, (6, "1080p"): 0.49},
    ),
    Model(
        "minimax",
        "MiniMax-Hailuo-2.3-Fast",
        (
            *_MM_COMMON,
            Param("first_frame_image", "uri", required=True),
            Param("resolution", "str", default="768P", allowed=("768P", "1080P")),
        ),
        typical_s=110.0,
        base_price=0.19,
        prices={(10, "768p"): 0.32, (6, "1080p"): 0.33},
    ),
    Model(
        "minimax",
        "MiniMax-Hailuo-02",
        (
            *_MM_COMMON,
            Param("first_frame_image", "uri"),
            Param("last_frame_image", "uri"),
            Param("resolution", "str", default="768P", allowed=("512P", "768P", "1080P")),
        ),
        typical_s=180.0,
        base_price=0.28,
        prices={(6, "512p"): 0.10, (10, "512p"): 0.15, (10, "768p"): 0.56, (6, "1080p"): 0.49},
    ),
]

MODELS: dict[str, dict[str, Model]] = {
    provider: {m.name: m for m in models}
    for provider, models in (("segmind", _SEGMIND), ("aimlapi", _AIMLAPI), ("minimax", _MINIMAX))
}

_SIZES = {"512p": (912, 512), "768p": (1366, 768), "1080p": (1920, 1080)}


def model(provider: str, name: str) -> Model | None:
    """Look a model up; None when this provider does not have it.

    Example:
        >>> model("segmind", "hailuo-9") is None
        True
    """
    return MODELS.get(provider, {}).get(name)


def frame_size(resolution: str, provider: str = "segmind") -> tuple[int, int]:
    """Pixel size of a resolution label (case-insensitive).

    AI/ML documents its 768P output as 1364×768, so it gets that.

    Example:
        >>> frame_size("768P", provider="aimlapi")
        (1364, 768)
    """
    width, height = _SIZES[resolution.lower()]
    if provider == "aimlapi" and height == 768:
        width = 1364
    return width, height


class ParamError(ValueError):
    """A request field is missing, of the wrong type or not allowed."""


def check(m: Model, body: dict[str, Any], *, digit_strings: bool = True) -> dict[str, Any]:
    """Type-check ``body`` against ``m`` and fill in defaults. Unknown keys are ignored.

    ``digit_strings`` accepts ``"6"`` for an integer field (Segmind's own 02-fast example
    sends the duration as a string). Raises ``ParamError`` with a human message.

    Example:
        >>> check(model("segmind", "hailuo-2.3"), {"prompt": "fox", "duration": "10"})["duration"]
        10
        >>> check(model("segmind", "hailuo-2.3"), {})
        Traceback (most recent call last):
        ...
        hailuo_nb.emulator.catalog.ParamError: prompt is required
    """
    out: dict[str, Any] = {}
    for p in m.params:
        value = body.get(p.name)
        if value is None:
            if p.required:
                raise ParamError(f"{p.name} is required")
            out[p.name] = p.default
            continue
        out[p.name] = _coerce(p, value, digit_strings)
    return out


def _coerce(p: Param, value: Any, digit_strings: bool) -> Any:
    if p.kind == "bool":
        if not isinstance(value, bool):
            raise ParamError(f"{p.name} must be a boolean, got {value!r}")
    elif p.kind == "int":
        if isinstance(value, str) and digit_strings and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"{p.name} must be an integer, got {value!r}")
    elif not isinstance(value, str) or (p.required and not value.strip()):
        raise ParamError(f"{p.name} must be a non-empty string, got {value!r}")
    elif p.kind == "uri" and not value.startswith(("http://", "https://", "data:")):
        raise ParamError(f"{p.name} must be an http(s) URL or a data URL")
    if p.allowed is not None and value not in p.allowed:
        allowed = ", ".join(repr(a) for a in p.allowed)
        raise ParamError(f"{p.name} must be one of {allowed}, got {value!r}")
    return value
