"""The MiniMax endpoints on fal.ai and their input schemas (protocols-more.md §3.4).

fal words things its own way: durations are the **strings** ``"6"``/``"10"`` on Hailuo
(an integer 6 is refused), integers 5–15 on H3; Hailuo-02's image-to-video resolution is
``"512P"``/``"768P"`` and H3's ``"480P"``…``"4K"`` (upper case, as fal-js types them).
An endpoint's status and result live under its app, the first two path segments
(``fal-ai/minimax``, ``minimax/h3``). Prices and timings not in the doc are guesses.

Example:
    >>> ep = ENDPOINTS["fal-ai/minimax/hailuo-2.3/standard/image-to-video"]
    >>> ep.app, [f.name for f in ep.fields if f.required]
    ('fal-ai/minimax', ['prompt', 'image_url'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .hosted import RATIOS, Plan, h3_plan, hailuo_plan, image_ratio, reference_issues
from .schema import Field, Issue

Family = Literal["hailuo", "h3", "h3-max"]


@dataclass(frozen=True)
class FalEndpoint:
    """One endpoint id and what it takes. Hailuo endpoints without a resolution or
    duration field make ``resolution`` videos of 6 s.

    Example:
        >>> ENDPOINTS["minimax/h3-max/text-to-video"].app
        'minimax/h3-max'
    """

    id: str
    fields: tuple[Field, ...]
    family: Family
    resolution: str = "768p"
    typical_s: float = 150.0
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def app(self) -> str:
        """``owner/alias``: where status, result and cancel live."""
        return "/".join(self.id.split("/")[:2])


_PROMPT = Field("prompt", "str", required=True)
_OPT = Field("prompt_optimizer", "bool", default=True)
_DUR = Field("duration", "str", default="6", choices=("6", "10"))
_IMAGE = Field("image_url", "uri", required=True)
_END = Field("end_image_url", "uri")
_MM = "fal-ai/minimax"


def _hailuo(
    path: str,
    fields: tuple[Field, ...],
    resolution: str,
    typical_s: float,
    prices: dict[str, tuple[float, float]],
) -> FalEndpoint:
    return FalEndpoint(f"{_MM}/{path}", fields, "hailuo", resolution, typical_s, prices)


_HAILUO = [
    _hailuo(
        "hailuo-02/standard/text-to-video",
        (_PROMPT, _DUR, _OPT),
        "768p",
        180.0,
        {"768p": (0.27, 0.45)},
    ),
    _hailuo(
        "hailuo-02/standard/image-to-video",
        (
            _PROMPT,
            _IMAGE,
            _END,
            _DUR,
            Field("resolution", "str", default="768P", choices=("512P", "768P")),
            _OPT,
        ),
        "768p",
        180.0,
        {"512p": (0.10, 0.15), "768p": (0.27, 0.45)},
    ),
    _hailuo(
        "hailuo-02/pro/text-to-video", (_PROMPT, _OPT), "1080p", 180.0, {"1080p": (0.48, 0.48)}
    ),
    _hailuo(
        "hailuo-02/pro/image-to-video",
        (_PROMPT, _IMAGE, _END, _OPT),
        "1080p",
        180.0,
        {"1080p": (0.48, 0.48)},
    ),
    _hailuo(
        "hailuo-02-fast/image-to-video",
        (_PROMPT, _IMAGE, _DUR, _OPT),
        "512p",
        80.0,
        {"512p": (0.10, 0.17)},
    ),
    _hailuo(
        "hailuo-2.3/standard/text-to-video",
        (_PROMPT, _DUR, _OPT),
        "768p",
        150.0,
        {"768p": (0.28, 0.56)},
    ),
    _hailuo(
        "hailuo-2.3/standard/image-to-video",
        (_PROMPT, _IMAGE, _DUR, _OPT),
        "768p",
        150.0,
        {"768p": (0.28, 0.56)},
    ),
    _hailuo(
        "hailuo-2.3/pro/text-to-video", (_PROMPT, _OPT), "1080p", 150.0, {"1080p": (0.49, 0.49)}
    ),
    _hailuo(
        "hailuo-2.3/pro/image-to-video",
        (_PROMPT, _IMAGE, _OPT),
        "1080p",
        150.0,
        {"1080p": (0.49, 0.49)},
    ),
    _hailuo(
        "hailuo-2.3-fast/standard/image-to-video",
        (_PROMPT, _IMAGE, _DUR, _OPT),
        "768p",
        110.0,
        {"768p": (0.19, 0.32)},
    ),
    _hailuo(
        "hailuo-2.3-fast/pro/image-to-video",
        (_PROMPT, _IMAGE, _OPT),
        "1080p",
        110.0,
        {"1080p": (0.33, 0.33)},
    ),
    *(
        _hailuo(f"{name}{suffix}", fields, "720p", 180.0, {"720p": (0.50, 0.50)})
        for name in ("video-01", "video-01-director", "video-01-live")
        for suffix, fields in (("", (_PROMPT, _OPT)), ("/image-to-video", (_PROMPT, _IMAGE, _OPT)))
    ),
    _hailuo(
        "video-01-subject-reference",
        (_PROMPT, Field("subject_reference_image_url", "uri", required=True), _OPT),
        "720p",
        180.0,
        {"720p": (0.50, 0.50)},
    ),
]

# H3: fal-js (2026-08-02) had 2K only, later pages 480P…4K at $0.05–0.16/s; accept all four.
_H3_DUR = Field("duration", "int", default=5, minimum=5, maximum=15)
_H3_RES = Field("resolution", "str", default="2K", choices=("480P", "768P", "2K", "4K"))
_H3_PROMPT = Field("prompt", "str", required=True, max_length=7000)
_H3_PRICE = {"480P": 0.05, "768P": 0.06, "2K": 0.13, "4K": 0.16}
#: Vendor seconds of work per output second (768P 5 s ≈ 60 s, 2K 8 s ≈ 290 s: §1.10).
_H3_WORK = {"480P": 8.0, "768P": 12.0, "2K": 36.0, "4K": 60.0}
_REFS = (
    Field("reference_image_urls", "uris", default=(), max_length=9),
    Field("reference_video_urls", "uris", default=(), max_length=3),
    Field("reference_audio_urls", "uris", default=(), max_length=3),
)
_H3 = [
    FalEndpoint(
        "minimax/h3/text-to-video",
        (
            _H3_PROMPT,
            _H3_DUR,
            _H3_RES,
            Field("aspect_ratio", "str", default="16:9", choices=RATIOS),
        ),
        "h3",
    ),
    FalEndpoint("minimax/h3/image-to-video", (_H3_PROMPT, _IMAGE, _END, _H3_DUR, _H3_RES), "h3"),
    FalEndpoint(
        "minimax/h3/reference-to-video",
        (
            _H3_PROMPT,
            *_REFS,
            Field("aspect_ratio", "str", default="adaptive", choices=("adaptive", *RATIOS)),
            _H3_DUR,
            _H3_RES,
        ),
        "h3",
    ),
]

_MAX_COMMON = (
    Field("prompt", "str", required=True, max_length=50000),
    _H3_DUR,
    Field("resolution", "str", default="768P", choices=("480P", "768P", "1080P")),
    Field(
        "prompt_expansion_mode",
        "str",
        default="balanced",
        choices=("disabled", "balanced", "quality"),
    ),
    Field("seed", "int", minimum=0, maximum=2**32 - 1),
    Field("enable_safety_checker", "bool", default=True),
    Field("target_audio_url", "uri"),
)
_MAX_PRICE = {"480P": 0.05, "768P": 0.08, "1080P": 0.10}
_MAX_WORK = {"480P": 3.0, "768P": 4.0, "1080P": 6.0}
_H3_MAX = [
    FalEndpoint(
        "minimax/h3-max/text-to-video",
        (*_MAX_COMMON, Field("aspect_ratio", "str", default="16:9", choices=RATIOS)),
        "h3-max",
    ),
    FalEndpoint("minimax/h3-max/image-to-video", (*_MAX_COMMON, _IMAGE, _END), "h3-max"),
    FalEndpoint("minimax/h3-max/reference-to-video", (*_MAX_COMMON, _REFS[0]), "h3-max"),
]

ENDPOINTS: dict[str, FalEndpoint] = {ep.id: ep for ep in (*_HAILUO, *_H3, *_H3_MAX)}


def plan(
    ep: FalEndpoint, params: dict[str, Any], assets: dict[str, tuple[bytes, str]]
) -> Plan | list[Issue]:
    """The video a valid input makes, or the rules across fields it breaks.

    Example:
        >>> body = {"prompt": "fox", "duration": 5, "resolution": "2K", "aspect_ratio": "9:16"}
        >>> p = plan(ENDPOINTS["minimax/h3/text-to-video"], body, {})
        >>> (p.width, p.height, p.audio)
        (1440, 2560, True)
    """
    if ep.family == "hailuo":
        return hailuo_plan(
            params["prompt"],
            int(params.get("duration") or 6),
            params.get("resolution") or ep.resolution,
            typical_s=ep.typical_s,
            prices=ep.prices,
            first=params.get("image_url") or params.get("subject_reference_image_url"),
            last=params.get("end_image_url"),
        )
    issues = reference_issues(params)
    if issues:
        return issues
    ratio = params.get("aspect_ratio") or "adaptive"
    if ratio == "adaptive":  # image-to-video and adaptive references follow the image
        image = params.get("image_url") or next(
            iter(params.get("reference_image_urls") or []), None
        )
        ratio = image_ratio(image, assets) or "16:9"
    prices, work = (_MAX_PRICE, _MAX_WORK) if ep.family == "h3-max" else (_H3_PRICE, _H3_WORK)
    return h3_plan(
        params["prompt"],
        params["duration"],
        params["resolution"],
        ratio,
        per_second=prices,
        work_per_second=work,
        first=params.get("image_url"),
        last=params.get("end_image_url"),
    )
