"""MiniMax H3 as the emulator knows it: models, sizes, frame counts, prices and timing.

Written from protocols-more.md §1.2, §1.9 and §1.10. Where the document only guesses (2K
sizes other than 16:9, every 480P size, the token counts) the choice is recorded in
docs/emulator-h3.md. Both the MiniMax V2 API and AI/ML's ``minimax/h3`` use these facts.

Example:
    >>> frame_size("768P", "16:9"), frame_size("2K", "9:16")
    ((1344, 768), (1440, 2560))
    >>> frame_count("768P", 5), frame_count("2K", 5)
    (124, 120)
    >>> round(generation_price("MiniMax-H3", "2K", 5), 2)
    0.65
"""

from __future__ import annotations

import math

MODELS = ("MiniMax-H3", "MiniMax-H3-Max")
#: Resolutions per model, in the upper case MiniMax requires.
RESOLUTIONS = {"MiniMax-H3": ("768P", "2K"), "MiniMax-H3-Max": ("480P", "768P")}
#: Allowed durations in whole seconds (H3-Max refuses 4).
DURATIONS = {"MiniMax-H3": range(4, 16), "MiniMax-H3-Max": range(5, 16)}
RATIOS = ("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
FPS = 24
SAMPLE_RATE = 32_000

# Landscape sizes; a portrait ratio swaps them. 768P follows the open-weights rule (short
# edge 768, area at most 768×1344, sides multiples of 32); 480P is the same rule at 480
# (area at most 480×840); 2K is 16:9 2560×1440 as measured, the rest as the doc guesses.
_SIZES = {
    "480P": {"16:9": (832, 480), "4:3": (640, 480), "1:1": (480, 480), "21:9": (960, 416)},
    "768P": {"16:9": (1344, 768), "4:3": (1024, 768), "1:1": (768, 768), "21:9": (1536, 672)},
    "2K": {"16:9": (2560, 1440), "4:3": (1920, 1440), "1:1": (1440, 1440), "21:9": (2880, 1260)},
}
_PORTRAIT = {"9:16": "16:9", "3:4": "4:3"}
_RATIO_VALUE = {
    "21:9": 21 / 9,
    "16:9": 16 / 9,
    "4:3": 4 / 3,
    "1:1": 1.0,
    "3:4": 3 / 4,
    "9:16": 9 / 16,
}

#: USD per output second (protocols-more.md §1.10, pay-as-you-go).
RATE = {
    ("MiniMax-H3", "768P"): 0.08,
    ("MiniMax-H3", "2K"): 0.13,
    ("MiniMax-H3-Max", "480P"): 0.05,
    ("MiniMax-H3-Max", "768P"): 0.08,
}
#: Input images: the first N are free, then a price each.
FREE_IMAGES = {"MiniMax-H3": 5, "MiniMax-H3-Max": 2}
IMAGE_PRICE = {"MiniMax-H3": 0.04, "MiniMax-H3-Max": 0.074}
REGENERATION_RATE = 0.05
CONTEXT_IR_IN_PER_TOKEN = 0.90 / 1_000_000
CONTEXT_IR_OUT_PER_TOKEN = 3.60 / 1_000_000

#: Output tokens per second of video: 52,078/s at 2K is the doc's example (260,390 for
#: 5 s); the others scale with the frame area.
_TOKENS_PER_SECOND = {"2K": 52_078, "768P": 14_583, "480P": 5_645}
#: Input tokens (invented, chosen so the doc's example of one image + 6 s of audio gives
#: about its 13,500).
TOKENS_PER_IMAGE = 4_500
TOKENS_PER_AUDIO_SECOND = 1_500
TOKENS_PER_VIDEO_SECOND = 2_500


def frame_size(resolution: str, ratio: str) -> tuple[int, int]:
    """Width × height of an output at ``resolution`` and a concrete ``ratio``.

    Example:
        >>> frame_size("480P", "3:4")
        (480, 640)
    """
    if ratio in _PORTRAIT:
        w, h = _SIZES[resolution][_PORTRAIT[ratio]]
        return h, w
    return _SIZES[resolution][ratio]


def nearest_ratio(width: int, height: int) -> str:
    """The listed ratio closest to ``width/height`` (what ``adaptive`` picks for an image).

    Example:
        >>> nearest_ratio(640, 360), nearest_ratio(1000, 1100), nearest_ratio(360, 640)
        ('16:9', '1:1', '9:16')
    """
    value = math.log(width / height)
    return min(_RATIO_VALUE, key=lambda r: abs(math.log(_RATIO_VALUE[r]) - value))


def frame_count(resolution: str, duration: int) -> int:
    """How many frames a ``duration``-second output has.

    2K outputs were measured at exactly 24 per second (120 frames for 5 s). The 768P and
    480P model runs on the open-weights grid of 17n+5 frames, at least 107 (the range the
    regeneration endpoint accepts as ``base_video``): the nearest grid point to 24 per
    second, so clips come out up to half a second off, as resellers report.

    Example:
        >>> [frame_count("768P", d) for d in (4, 6, 15)]
        [107, 141, 362]
    """
    wanted = FPS * duration
    if resolution == "2K":
        return wanted
    n = round((wanted - 5) / 17)
    return max(107, 17 * n + 5)


def preview_size(width: int, height: int) -> tuple[int, int]:
    """The small frame of preview mode: long side 320, each side a multiple of 32.

    Multiples of 32 keep a preview output acceptable as a regeneration ``base_video``.

    Example:
        >>> preview_size(1344, 768), preview_size(1440, 2560), preview_size(2880, 1260)
        ((320, 192), (192, 320), (320, 128))
    """
    scale = 320 / max(width, height)
    return (max(32, 32 * round(width * scale / 32)), max(32, 32 * round(height * scale / 32)))


def generation_price(
    model: str, resolution: str, duration: int, images: int = 0, video_seconds: int = 0
) -> float:
    """USD for a generation: output seconds, reference video seconds at the output rate,
    and the images past the free ones (reference audio is free).

    Example:
        >>> round(generation_price("MiniMax-H3", "768P", 5, images=7, video_seconds=3), 2)
        0.72
    """
    rate = RATE[(model, resolution)]
    paid_images = max(0, images - FREE_IMAGES[model])
    return round(rate * (duration + video_seconds) + IMAGE_PRICE[model] * paid_images, 6)


def typical_seconds(resolution: str, duration: int) -> float:
    """Wall time of a generation before ``time_scale``: 768P 60-159 s, 2K 160-325 s.

    Example:
        >>> typical_seconds("768P", 4), typical_seconds("2K", 15)
        (60.0, 325.0)
    """
    if resolution == "2K":
        return 160.0 + 15.0 * (duration - 4)
    base = 60.0 + 9.0 * (duration - 4)
    return base * 0.7 if resolution == "480P" else base


def regeneration_seconds(duration: int) -> float:
    """Wall time of a 768P → 2K regeneration before ``time_scale`` (a guess)."""
    return 100.0 + 10.0 * (duration - 4)


#: Context-IR writes text only: a short job (a guess).
CONTEXT_IR_SECONDS = 20.0


def output_tokens(resolution: str, duration: int) -> int:
    """Completion tokens of a ``duration``-second output."""
    return _TOKENS_PER_SECOND[resolution] * duration


def prompt_tokens(prompt: str, images: int, video_seconds: float, audio_seconds: float) -> int:
    """Prompt tokens of a request (invented: ~4 characters a token plus media)."""
    return (
        math.ceil(len(prompt) / 4)
        + TOKENS_PER_IMAGE * images
        + round(TOKENS_PER_VIDEO_SECOND * video_seconds)
        + round(TOKENS_PER_AUDIO_SECOND * audio_seconds)
    )
