"""Small helpers for the emulator tests (polling until a terminal state, probing MP4s)."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from typing import Any

import av
import httpx

from hailuo_nb.emulator import EmulatorConfig, create_app

SG = {"x-api-key": "SG_0123456789abcdef"}
BEARER = {"Authorization": "Bearer test-key"}


async def poll(
    client: httpx.AsyncClient,
    url: str,
    done: set[str],
    field: str = "status",
    headers: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> httpx.Response:
    """GET ``url`` until ``body[field]`` is in ``done``; return that response."""
    deadline = asyncio.get_running_loop().time() + timeout
    seen: list[Any] = []
    while True:
        response = await client.get(url, headers=headers)
        value = response.json().get(field)
        seen.append(value)
        if value in done:
            return response
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no terminal state; saw {seen[-5:]}")
        await asyncio.sleep(0.02)


def probe_mp4(data: bytes) -> tuple[int, int, float, str]:
    """(width, height, seconds, pixel format) of an MP4 given as bytes."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        rate = float(stream.average_rate or 24)
        return stream.width, stream.height, frames / rate, str(stream.format.name)


@contextlib.asynccontextmanager
async def client_for(config: EmulatorConfig) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client on a fresh app with ``config`` (for one-off settings)."""
    transport = httpx.ASGITransport(app=create_app(config))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        yield client


def fast(**overrides: Any) -> EmulatorConfig:
    """The test suite's fast config, with some fields changed."""
    return EmulatorConfig(**{"time_scale": 2000.0, "preview": True, "seed": 3, **overrides})
