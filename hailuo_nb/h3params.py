"""H3's part of the vocabulary: ratio, references, prompt expansion, each rule one line.

Rules from protocols-more.md §1.2 and §2.1, all checked before anything is sent: a
ratio from the list, never ``adaptive`` for text only (16:9 when left out), keyframes
(first/last frame) and references never together, at most 9 reference images, 3
videos and 3 audio clips and 12 references in all, audio never alone, each clip 2-15 s
and 15 s in all (local clips are measured, URLs are left to the provider), the 64 MB
request body, and H3-Max's ``prompt_expansion_mode``.

Example:
    >>> from hailuo_nb.catalog import get_model
    >>> h3 = get_model("minimax", "MiniMax-H3")
    >>> check_h3(h3, frames=0, ratio=None).ratio
    '16:9'
    >>> check_h3(h3, frames=0, ratio="adaptive")
    Traceback (most recent call last):
    ...
    hailuo_nb.errors.ValidationError: ratio: a text-only video needs a shape; choose one of \
21:9, 16:9, 4:3, 1:1, 3:4 or 9:16 (adaptive follows input images or videos)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .catalog import ModelSpec
from .errors import ValidationError
from .images import ImageInput, load_image
from .media import MediaInput, load_media

__all__ = [
    "MAX_BODY_BYTES",
    "REFERENCE_FIELDS",
    "H3Fields",
    "check_clip",
    "check_h3",
    "check_references_allowed",
]

MAX_BODY_BYTES = 64 * 1024 * 1024
"""MiniMax's cap on a whole request body (§1.2); data URIs count toward it.

Example:
    >>> MAX_BODY_BYTES >> 20
    64
"""

REFERENCE_FIELDS = ("reference_images", "reference_videos", "reference_audio")
"""The reference parameters, in the order they are sent.

Example:
    >>> REFERENCE_FIELDS[0]
    'reference_images'
"""

_LIMITS = {"reference_images": 9, "reference_videos": 3, "reference_audio": 3}
_MAX_REFERENCES = 12
_CLIP_SECONDS = (2.0, 15.0)
# Containers round lengths (an 8 s clip may read 8.02 s); the emulator allows 0.1 s too.
_SLACK = 0.1
_MAX_SIDE = 5760


@dataclass(frozen=True)
class H3Fields:
    """The checked H3 values of one request.

    Example:
        >>> H3Fields("16:9", (), (), (), None).reference_count
        0
    """

    ratio: str | None
    reference_images: tuple[ImageInput, ...]
    reference_videos: tuple[MediaInput, ...]
    reference_audio: tuple[MediaInput, ...]
    prompt_expansion_mode: str | None

    @property
    def reference_count(self) -> int:
        """How many reference files in all.

        Example: see the class.
        """
        return len(self.reference_images) + len(self.reference_videos) + len(self.reference_audio)

    def reference_video_seconds(self) -> float:
        """Measured seconds of reference video (URLs count 0: their length is unknown).

        Example:
            >>> H3Fields(None, (), (), (), None).reference_video_seconds()
            0.0
        """
        return float(sum(v.seconds or 0.0 for v in self.reference_videos))


def check_references_allowed(spec: ModelSpec, given: dict[str, Any]) -> None:
    """Refuse H3-only parameters on a model that does not take them (Hailuo).

    Example:
        >>> from hailuo_nb.catalog import get_model
        >>> check_references_allowed(get_model("minimax", None), {"ratio": "16:9"})
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: ratio: not an option of hailuo-2.3 (minimax); \
H3 models take it (h3, h3-max)
    """
    if spec.family == "h3":
        return
    for name, value in given.items():
        if value not in (None, (), []):
            raise ValidationError(
                name, f"not an option of {spec.label}; H3 models take it (h3, h3-max)"
            )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]  # one path, URL or image


def _ratio(spec: ModelSpec, value: Any, frames: int, references: int) -> str | None:
    if value is None:
        # Text only must name a shape (MiniMax refuses adaptive there): AI/ML's default.
        return "16:9" if frames == 0 and references == 0 else None
    text = str(value).strip().lower()
    if text not in spec.ratios:
        raise ValidationError("ratio", f"must be one of {', '.join(spec.ratios)}, got {value!r}")
    if frames and text != "adaptive":
        # MiniMax ignores it without a word (§1.2): the video takes the frame's shape.
        raise ValidationError(
            "ratio", "a video from a first/last frame takes the frame's shape; leave ratio out"
        )
    if text == "adaptive" and frames == 0 and references == 0:
        shapes = [r for r in spec.ratios if r != "adaptive"]
        raise ValidationError(
            "ratio",
            f"a text-only video needs a shape; choose one of {', '.join(shapes[:-1])} or"
            f" {shapes[-1]} (adaptive follows input images or videos)",
        )
    return text


def check_clip(clip: MediaInput, where: str) -> None:
    """Refuse a reference clip shorter than 2 s or longer than 15 s (when its length is known).

    Example:
        >>> from hailuo_nb.media import MediaInput
        >>> check_clip(MediaInput("a.wav", "audio", None, b"", "audio/wav", 1.0, ""), "x[0]")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: x[0]: a.wav is 1.0 s; each clip must be 2-15 s
    """
    low, high = _CLIP_SECONDS
    if clip.seconds is not None and not low - _SLACK <= clip.seconds <= high + _SLACK:
        raise ValidationError(
            where, f"{clip.ref} is {clip.seconds:.1f} s; each clip must be 2-15 s"
        )


def _clips(field: str, kind: Any, values: list[Any]) -> tuple[MediaInput, ...]:
    clips = tuple(load_media(v, kind=kind, field=f"{field}[{n}]") for n, v in enumerate(values))
    high = _CLIP_SECONDS[1]
    for n, clip in enumerate(clips):
        check_clip(clip, f"{field}[{n}]")
    total = sum(c.seconds or 0.0 for c in clips)
    if total > high + _SLACK:
        raise ValidationError(field, f"the clips total {total:.1f} s; at most 15 s in all")
    return clips


def _expansion(spec: ModelSpec, value: Any) -> str | None:
    if value is None:
        return None
    if not spec.expansion_modes:
        raise ValidationError(
            "prompt_expansion_mode", f"not an option of {spec.label}; only H3-Max takes it"
        )
    text = str(value).strip().lower()
    if text not in spec.expansion_modes:
        allowed = ", ".join(spec.expansion_modes)
        raise ValidationError("prompt_expansion_mode", f"must be one of {allowed}, got {value!r}")
    return text


def check_h3(
    spec: ModelSpec,
    *,
    frames: int,
    ratio: Any = None,
    reference_images: Any = None,
    reference_videos: Any = None,
    reference_audio: Any = None,
    prompt_expansion_mode: Any = None,
    frame_bytes: int = 0,
) -> H3Fields:
    """Check H3's parameters; ``frames`` is how many keyframes (first/last) were given.

    Example:
        >>> from hailuo_nb.catalog import get_model
        >>> check_h3(get_model("minimax", "MiniMax-H3"), frames=0,
        ...          reference_audio=["https://x/a.wav"])
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: reference_audio: audio cannot be the only \
reference; add a reference image or video
    """
    given = {
        "reference_images": _as_list(reference_images),
        "reference_videos": _as_list(reference_videos),
        "reference_audio": _as_list(reference_audio),
    }
    for name, values in given.items():
        if len(values) > _LIMITS[name]:
            raise ValidationError(name, f"at most {_LIMITS[name]} allowed, got {len(values)}")
    count = sum(len(v) for v in given.values())
    if count > _MAX_REFERENCES:
        raise ValidationError(
            "reference_images", f"at most {_MAX_REFERENCES} references in all, got {count}"
        )
    if count and frames:
        raise ValidationError(
            "reference_images",
            "references cannot go with a first or last frame; use one or the other",
        )
    if given["reference_audio"] and not (given["reference_images"] or given["reference_videos"]):
        raise ValidationError(
            "reference_audio", "audio cannot be the only reference; add a reference image or video"
        )
    chosen_ratio = _ratio(spec, ratio, frames, count)
    expansion = _expansion(spec, prompt_expansion_mode)
    images = tuple(
        load_image(v, field=f"reference_images[{n}]")
        for n, v in enumerate(given["reference_images"])
    )
    for n, image in enumerate(images):
        if image.width and image.height and max(image.width, image.height) > _MAX_SIDE:
            raise ValidationError(f"reference_images[{n}]", f"sides must be at most {_MAX_SIDE} px")
    videos = _clips("reference_videos", "video", given["reference_videos"])
    audio = _clips("reference_audio", "audio", given["reference_audio"])
    inline = frame_bytes + _inline_bytes([*images, *videos, *audio], spec.upload_over)
    if inline > MAX_BODY_BYTES:
        raise ValidationError(
            "reference_videos",
            f"local media make a {inline / 2**20:.0f} MB request; at most 64 MB can be"
            " sent: give some of them as http(s) URLs",
        )
    return H3Fields(chosen_ratio, images, videos, audio, expansion)


def _inline_bytes(items: Sequence[ImageInput | MediaInput], upload_over: int | None) -> int:
    # Base64 grows data by 4/3; files over the model's upload size are not in the body.
    sizes = [len(i.data) for i in items if i.data is not None]
    inline = [n for n in sizes if upload_over is None or n <= upload_over]
    return sum(4 * math.ceil(n / 3) for n in inline)
