"""H3 on fal (``minimax/h3/*``) and Replicate (``minimax/h3``, ``minimax/h3-lite``), end
to end against the emulator: each host's fields, the video's sound, fal's app in the job id.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hailuo_nb.client import Client
from hailuo_nb.errors import ValidationError

from ..emulator.h3helpers import probe
from .conftest import requests_to, stats


@pytest.mark.parametrize(
    ("provider", "model", "route"),
    [
        ("fal", "h3", "POST /fal/{endpoint:path}"),
        ("fal", "h3-max", "POST /fal/{endpoint:path}"),
        ("replicate", "h3", "POST /replicate/v1/models/{owner}/{name}/predictions"),
        ("replicate", "h3-lite", "POST /replicate/v1/models/{owner}/{name}/predictions"),
    ],
)
async def test_a_vertical_h3_video_with_sound(
    make_client: Callable[..., Client], emulator_url: str, provider: str, model: str, route: str
) -> None:
    async with make_client(provider) as client:
        job = await client.submit("a lighthouse at dusk", model=model, duration=6, ratio="9:16")
        done = await client.wait(job, timeout=60)
    assert done.status == "completed" and done.model == model
    seen = probe(Path(done.video_path or "").read_bytes())
    assert seen.height > seen.width and 5.5 <= seen.video_seconds <= 6.5
    assert seen.audio_codec == "aac" and seen.channels == 2
    assert requests_to(emulator_url, route) == {"201" if provider == "replicate" else "200": 1}


async def test_fal_h3_cancel_goes_to_its_app(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("fal") as client:
        job = await client.submit("a slow fox", model="h3", resolution="2k")
        answer = await client.cancel(job)
    # Queued (cancelled, unpaid) or already running (runs on): either is fal's answer,
    # heard under minimax/h3, never a 404 under Hailuo's app.
    assert "no such request" not in answer.message
    assert answer.message.startswith("fal: ")


async def test_h3_rules_on_these_hosts_are_one_line_before_sending(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("fal") as client:
        with pytest.raises(ValidationError, match="duration"):
            await client.submit("a fox", model="h3", duration=4)  # fal's H3 starts at 5 s
        with pytest.raises(ValidationError, match="needs a first frame"):
            await client.submit("a fox", model="h3", last_frame="https://x/b.png")
        with pytest.raises(ValidationError, match="reference images only"):
            await client.submit(
                "a fox",
                model="h3-max",
                reference_images=["https://x/a.png"],
                reference_videos=["https://x/a.mp4"],
            )
    async with make_client("replicate") as client:
        with pytest.raises(ValidationError, match="resolution"):
            await client.submit("a fox", model="h3-lite", resolution="2k")
    assert stats(emulator_url)["submissions"]["total"] == 0
