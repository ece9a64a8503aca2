"""The MiniMax models on Replicate and their input schemas (protocols-more.md §4.5).

Replicate checks types strictly (JSON schema): ``duration`` is an integer and ``"6"`` is
refused. Resolutions are lower case on Hailuo (``"768p"``) and upper case on H3
(``"768P"``, ``"2K"``). Rules a schema cannot say (10 s only at 768p, no adaptive ratio
for text-to-video…) are MiniMax's: the prediction is created and then **fails** with
the reason, as a wrapped upstream API does. ``minimax/h3-max`` is not here (404, seen).
Prices and timings not in the doc are guesses.

Example:
    >>> m = MODELS["minimax/hailuo-02"]
    >>> [f.default for f in m.fields if f.name in ("duration", "resolution")]
    [6, '1080p']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .hosted import RATIOS, Plan, h3_plan, hailuo_plan, image_ratio, reference_issues
from .schema import Field


@dataclass(frozen=True)
class ReplicateModel:
    """One official model (``owner/name``). Hailuo models without a resolution field make
    ``resolution`` videos; H3 models are priced and timed per output second.

    Example:
        >>> MODELS["minimax/h3"].per_second["2K"]
        0.13
    """

    name: str
    fields: tuple[Field, ...]
    family: Literal["hailuo", "h3"]
    resolution: str = "768p"
    typical_s: float = 150.0
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    per_second: dict[str, float] = field(default_factory=dict)
    work_per_second: dict[str, float] = field(default_factory=dict)


_PROMPT = Field("prompt", "str", required=True)
_OPT = Field("prompt_optimizer", "bool", default=True)
_FIRST = Field("first_frame_image", "uri")
_LAST = Field("last_frame_image", "uri")
_DUR = Field("duration", "int", default=6, choices=(6, 10))
_720 = {"720p": (0.50, 0.50)}


def _h3_fields(resolutions: tuple[str, ...]) -> tuple[Field, ...]:
    return (
        Field("prompt", "str", required=True, max_length=7000),
        _FIRST,
        _LAST,
        Field("reference_image_urls", "uris", default=(), max_length=9),
        Field("reference_video_urls", "uris", default=(), max_length=3),
        Field("reference_audio_urls", "uris", default=(), max_length=3),
        Field("duration", "int", default=5, minimum=4, maximum=15),
        Field("resolution", "str", default="768P", choices=resolutions),
        Field("ratio", "str", default="16:9", choices=("adaptive", *RATIOS)),
    )


_ALL = [
    ReplicateModel(
        "minimax/video-01",
        (_PROMPT, _FIRST, Field("subject_reference", "uri"), _OPT),
        "hailuo",
        "720p",
        180.0,
        _720,
    ),
    ReplicateModel("minimax/video-01-live", (_PROMPT, _FIRST, _OPT), "hailuo", "720p", 180.0, _720),
    ReplicateModel(
        "minimax/video-01-director", (_PROMPT, _FIRST, _OPT), "hailuo", "720p", 180.0, _720
    ),
    ReplicateModel(
        "minimax/hailuo-02",
        (
            _PROMPT,
            _FIRST,
            _LAST,
            _DUR,
            Field("resolution", "str", default="1080p", choices=("512p", "768p", "1080p")),
            _OPT,
        ),
        "hailuo",
        typical_s=180.0,
        prices={"512p": (0.10, 0.15), "768p": (0.27, 0.45), "1080p": (0.48, 0.48)},
    ),
    # An image-to-video model: the page was not captured, first_frame_image required (guess).
    ReplicateModel(
        "minimax/hailuo-02-fast",
        (
            _PROMPT,
            Field("first_frame_image", "uri", required=True),
            _DUR,
            _OPT,
            Field("go_fast", "bool", default=False),
        ),
        "hailuo",
        "512p",
        80.0,
        {"512p": (0.10, 0.17)},
    ),
    ReplicateModel(
        "minimax/hailuo-2.3",
        (
            _PROMPT,
            _FIRST,
            _DUR,
            Field("resolution", "str", default="768p", choices=("768p", "1080p")),
            _OPT,
        ),
        "hailuo",
        typical_s=150.0,
        prices={"768p": (0.28, 0.56), "1080p": (0.49, 0.49)},
    ),
    ReplicateModel(
        "minimax/hailuo-2.3-fast",
        (
            _PROMPT,
            Field("first_frame_image", "uri", required=True),
            _DUR,
            Field("resolution", "str", default="768p", choices=("768p", "1080p")),
            _OPT,
        ),
        "hailuo",
        typical_s=110.0,
        prices={"768p": (0.19, 0.32), "1080p": (0.33, 0.33)},
    ),
    ReplicateModel(
        "minimax/h3",
        _h3_fields(("768P", "2K")),
        "h3",
        per_second={"768P": 0.08, "2K": 0.13},
        work_per_second={"768P": 12.0, "2K": 36.0},
    ),
    ReplicateModel(
        "minimax/h3-lite",
        _h3_fields(("768P",)),
        "h3",
        per_second={"768P": 0.05},
        work_per_second={"768P": 8.0},
    ),
]

MODELS: dict[str, ReplicateModel] = {m.name: m for m in _ALL}


def plan(m: ReplicateModel, params: dict[str, Any], assets: dict[str, tuple[bytes, str]]) -> Plan:
    """The video a schema-valid input makes, or a plan that fails with MiniMax's reason.

    Example:
        >>> body = {"prompt": "fox", "duration": 10, "resolution": "1080p"}
        >>> plan(MODELS["minimax/hailuo-2.3"], body, {}).fail_reason
        'duration 10 is only available at 768p'
    """
    if m.family == "hailuo":
        seconds = params.get("duration") or 6
        resolution = params.get("resolution") or m.resolution
        first = params.get("first_frame_image") or params.get("subject_reference")
        if seconds == 10 and resolution != "768p":
            return Plan.refused("duration 10 is only available at 768p")
        if resolution == "512p" and not first:
            return Plan.refused("512p is only available for image-to-video (first_frame_image)")
        return hailuo_plan(
            params["prompt"],
            seconds,
            resolution,
            typical_s=m.typical_s,
            prices=m.prices,
            first=first,
            last=params.get("last_frame_image"),
        )
    first, last = params.get("first_frame_image"), params.get("last_frame_image")
    refs = [params.get(k) for k in ("reference_image_urls", "reference_video_urls")]
    problems = [str(i.limit) for i in reference_issues(params)]
    if (first or last) and any(refs):
        problems.append("first/last frame images cannot be combined with reference files")
    ratio = params["ratio"]
    image = first or next(iter(params.get("reference_image_urls") or []), None)
    if first or last:
        ratio = image_ratio(image, assets) or "16:9"  # image-to-video ignores the ratio asked
    elif ratio == "adaptive":
        if not any(refs):
            problems.append("ratio 'adaptive' needs an image: choose a ratio for text-to-video")
        ratio = image_ratio(image, assets) or "16:9"
    if problems:
        return Plan.refused("; ".join(problems))
    return h3_plan(
        params["prompt"],
        params["duration"],
        params["resolution"],
        ratio,
        per_second=m.per_second,
        work_per_second=m.work_per_second,
        first=first,
        last=last,
    )
