"""Every H3 rule is refused locally, in one line, before anything reaches the provider.

Each case submits through a real client to the emulator on a socket and asserts the
one-line error and that the emulator saw no request at all (no create, no upload):
a refused rule costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hailuo_nb.client import Client
from hailuo_nb.errors import ValidationError

from ..emulator.h3helpers import clip, image, wav
from .conftest import stats

URL = "https://example.com/ref.png"
VIDEO_URL = "https://example.com/ref.mp4"
AUDIO_URL = "https://example.com/ref.wav"


def _file(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


def cases(tmp: Path) -> dict[str, tuple[str, dict[str, Any], str, str]]:
    """rule -> (provider, parameters, field, words of the error)."""
    f = tmp
    short_video = _file(f, "short.mp4", clip(1.0))
    long_video = _file(f, "long.mp4", clip(16.0, fps=24, width=32, height=32))
    eight = _file(f, "eight.mp4", clip(8.0, width=32, height=32))
    short_audio = _file(f, "short.wav", wav(1.0))
    eight_wav = _file(f, "eight.wav", wav(8.0, rate=8000))
    text_file = _file(f, "notes.mp4", b"this is not a video")
    h3, h3max = {"model": "MiniMax-H3"}, {"model": "MiniMax-H3-Max"}
    return {
        "prompt at most 7000 characters": (
            "minimax", {**h3, "prompt": "x" * 7001}, "prompt", "the limit is 7000"),
        "duration 4-15 on H3": ("minimax", {**h3, "duration": 3}, "duration", "got 3"),
        "duration 5-15 on H3-Max": ("minimax", {**h3max, "duration": 4}, "duration", "got 4"),
        "resolution 768P or 2K on H3": (
            "minimax", {**h3, "resolution": "1080p"}, "resolution", "768p or 2k"),
        "resolution 480P or 768P on H3-Max": (
            "minimax", {**h3max, "resolution": "2K"}, "resolution", "480p or 768p"),
        "resolution 2K only on AI/ML": (
            "aimlapi", {"model": "minimax/h3", "resolution": "768p"}, "resolution", "must be 2k"),
        "ratio from the list": ("minimax", {**h3, "ratio": "5:4"}, "ratio", "must be one of"),
        "text only is never adaptive": (
            "minimax", {**h3, "ratio": "adaptive"}, "ratio", "a text-only video needs a shape"),
        "frames take the frame's shape": (
            "minimax", {**h3, "ratio": "9:16", "first_frame": URL}, "ratio", "leave ratio out"),
        "keyframes and references never together": (
            "minimax", {**h3, "first_frame": URL, "reference_images": [URL]},
            "reference_images", "cannot go with a first or last frame"),
        "at most 9 reference images": (
            "minimax", {**h3, "reference_images": [URL] * 10}, "reference_images",
            "at most 9 allowed, got 10"),
        "at most 3 reference videos": (
            "minimax", {**h3, "reference_videos": [VIDEO_URL] * 4}, "reference_videos",
            "at most 3 allowed, got 4"),
        "at most 3 reference audio clips": (
            "minimax", {**h3, "reference_images": [URL], "reference_audio": [AUDIO_URL] * 4},
            "reference_audio", "at most 3 allowed, got 4"),
        "at most 12 references in all": (
            "minimax", {**h3, "reference_images": [URL] * 9, "reference_videos": [VIDEO_URL] * 3,
                        "reference_audio": [AUDIO_URL]},
            "reference_images", "at most 12 references in all, got 13"),
        "audio never alone": (
            "minimax", {**h3, "reference_audio": [AUDIO_URL]}, "reference_audio",
            "audio cannot be the only reference"),
        "each video at least 2 s": (
            "minimax", {**h3, "reference_videos": [short_video]}, "reference_videos[0]",
            "each clip must be 2-15 s"),
        "each video at most 15 s": (
            "minimax", {**h3, "reference_videos": [long_video]}, "reference_videos[0]",
            "is 16.0 s; each clip must be 2-15 s"),
        "videos total at most 15 s": (
            "minimax", {**h3, "reference_videos": [eight, eight]}, "reference_videos",
            "the clips total 16.0 s; at most 15 s in all"),
        "each audio clip at least 2 s": (
            "minimax", {**h3, "reference_images": [URL], "reference_audio": [short_audio]},
            "reference_audio[0]", "each clip must be 2-15 s"),
        "audio total at most 15 s": (
            "minimax", {**h3, "reference_images": [URL], "reference_audio": [eight_wav] * 2},
            "reference_audio", "the clips total 16.0 s"),
        "a reference video must be a video": (
            "minimax", {**h3, "reference_videos": [text_file]}, "reference_videos[0]",
            "not a readable video file"),
        "a reference video must be MP4 (MOV by URL)": (
            "minimax", {**h3, "reference_videos": [short_audio]}, "reference_videos[0]",
            "video files must be MP4"),
        "reference images follow the image rules": (
            "minimax", {**h3, "reference_images": [image(200, 400)]}, "reference_images[0]",
            "short side is 200 px"),
        "prompt expansion only on H3-Max": (
            "minimax", {**h3, "prompt_expansion_mode": "quality"}, "prompt_expansion_mode",
            "only H3-Max takes it"),
        "prompt expansion disabled, balanced or quality": (
            "minimax", {**h3max, "prompt_expansion_mode": "balance"}, "prompt_expansion_mode",
            "must be one of disabled, balanced, quality, got 'balance'"),
        "H3 parameters only on H3 models": (
            "minimax", {"ratio": "16:9"}, "ratio", "H3 models take it"),
        "references only on H3 models": (
            "aimlapi", {"reference_images": [URL]}, "reference_images", "H3 models take it"),
    }


def _rules() -> list[str]:
    # The names only; the files are made per test in its tmp_path.
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return list(cases(Path(tmp)))


@pytest.mark.parametrize("rule", _rules())
async def test_rule_refused_before_anything_is_sent(
    rule: str, make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    provider, params, field, words = cases(tmp_path)[rule]
    params = dict(params)
    prompt = params.pop("prompt", "a fox in the snow")
    async with make_client(provider) as client:
        with pytest.raises(ValidationError) as info:
            await client.submit(prompt, **params)
    error = info.value
    assert error.field == field, str(error)
    assert words in error.message, str(error)
    assert "\n" not in str(error)
    seen = stats(emulator_url)
    assert seen["submissions"]["total"] == 0
    assert seen["requests"] == {}  # not even an upload
