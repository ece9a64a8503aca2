"""Helpers for the fal and Replicate tests: probing MP4s with their sound, images, waiting."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import httpx
from PIL import Image


@dataclass
class Media:
    """What a player would see in an MP4."""

    width: int
    height: int
    seconds: float
    pix_fmt: str
    video_codec: str
    audio_codec: str | None = None
    channels: int = 0
    sample_rate: int = 0
    audio_seconds: float = 0.0


def probe_media(data: bytes) -> Media:
    """Decode every frame and every audio sample of an MP4 given as bytes."""
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video))
        media = Media(
            width=video.width,
            height=video.height,
            seconds=frames / float(video.average_rate or 24),
            pix_fmt=str(video.format.name),
            video_codec=video.codec_context.name,
        )
    with av.open(io.BytesIO(data)) as container:
        if container.streams.audio:
            audio = container.streams.audio[0]
            samples = sum(frame.samples for frame in container.decode(audio))
            media.audio_codec = audio.codec_context.name
            media.channels = audio.codec_context.channels
            media.sample_rate = audio.codec_context.sample_rate
            media.audio_seconds = samples / audio.codec_context.sample_rate
    return media


def png_data_url(width: int, height: int) -> str:
    """A plain PNG of this size as a data URL (what a client sends for a first frame)."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


async def until(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    done: Callable[[httpx.Response], bool],
    timeout: float = 20.0,
) -> httpx.Response:
    """GET ``url`` until ``done(response)``; return that response."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        response = await client.get(url, headers=headers)
        if done(response):
            return response
        if loop.time() > deadline:
            raise AssertionError(f"gave up on {url}: {response.status_code} {response.text[:200]}")
        await asyncio.sleep(0.02)  # a tight loop would starve the render thread of the GIL


async def advance(client: httpx.AsyncClient, seconds: float) -> None:
    """Move the emulator's clock forward."""
    r = await client.post("/__emulator__/clock", json={"advance": seconds})
    assert r.status_code == 200


async def set_faults(client: httpx.AsyncClient, *faults: dict[str, Any]) -> None:
    r = await client.post("/__emulator__/faults", json={"faults": list(faults)})
    assert r.status_code == 200, r.text


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/__emulator__/stats")).json()
    return body
