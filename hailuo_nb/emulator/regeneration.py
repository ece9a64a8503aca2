"""MiniMax V2's ``/v2/video_regeneration`` request: a 768P H3 output made again at 2K.

Rules (protocols-more.md §1.8): ``model`` MiniMax-H3 only, ``resolution`` 2K, the original
text and media, and exactly one ``video_url`` with role ``base_video`` that is an
unmodified H3 768P output (sound, 24 fps, sides multiples of 32, area at most 768×1344,
107-362 frames in steps of 17).

Example:
    >>> 124 in BASE_FRAMES, 120 in BASE_FRAMES
    (True, False)
"""

from __future__ import annotations

from typing import Any

from . import h3
from .h3content import Invalid, Media, Resolver, check_common, parse_content
from .h3jobs import Output

BASE_MAX_AREA = 768 * 1344
BASE_FRAMES = range(107, 363, 17)


def parse_regeneration(body: dict[str, Any], resolver: Resolver) -> tuple[str, int, Output]:
    """Prompt, duration and 2K output of a regeneration request (§1.8).

    The output keeps the base's frames and ratio: from our own task when the base is one
    of our outputs, from the file when we can see it, else 5 s at 16:9.
    """
    if body.get("model") != "MiniMax-H3":
        raise Invalid(
            f"video_regeneration supports model MiniMax-H3 only, got {body.get('model')!r}"
        )
    prompt, media = parse_content(body.get("content"), resolver, base_video=True)
    resolution = body.get("resolution")
    if resolution is None:
        raise Invalid("resolution is required")
    if resolution != "2K":
        raise Invalid(f"resolution must be 2K for video_regeneration, got {resolution!r}")
    check_common(body)
    bases = [m for m in media if m.role == "base_video"]
    if len(bases) != 1:
        raise Invalid("content must include exactly one video_url with role base_video")
    base = bases[0]
    check_base(base)
    if base.job is not None:
        frames = int(base.job.extra["frames"])
        ratio = str(base.job.extra["output_ratio"])
        duration = base.job.seconds
    elif base.data is not None:
        frames, ratio = base.frames, h3.nearest_ratio(base.width, base.height)
        duration = min(15, max(4, round(frames / h3.FPS)))
    else:
        frames, ratio, duration = h3.frame_count("768P", 5), "16:9", 5
    width, height = h3.frame_size("2K", ratio)
    return prompt, duration, Output(width, height, frames)


def check_base(base: Media) -> None:
    """A regeneration ``base_video`` must be an unmodified H3 768P output (§1.8)."""
    job = base.job
    if job is not None:
        if not (
            job.extra.get("h3")
            and job.extra.get("task_type") == "generation"
            and job.extra.get("resolution") == "768P"
        ):
            raise Invalid("base_video must be an unmodified MiniMax-H3 768P output")
        return
    if base.data is None:
        return  # a public URL: nothing to look at
    problems = []
    if not base.has_audio:
        problems.append("it has no audio")
    if abs(base.fps - 24) > 0.01:
        problems.append(f"it is {base.fps:g} fps, not 24")
    if base.width % 32 or base.height % 32 or base.width * base.height > BASE_MAX_AREA:
        problems.append(f"{base.width}x{base.height} is not a 768P H3 size")
    if base.frames not in BASE_FRAMES:
        problems.append(f"{base.frames} frames is not 107-362 in steps of 17")
    if problems:
        raise Invalid(
            "base_video must be an unmodified MiniMax-H3 768P output: " + "; ".join(problems)
        )
