"""Shared fixtures: a fast emulator, in-process and on a real 127.0.0.1 socket.

``emulator_config`` is fast (large time_scale, small preview frames); override it in a
test module to change behaviour. ``emulator_app`` is built from it, ``emulator_url`` serves
that same app with uvicorn, and ``emulator_stats`` reads its statistics over HTTP.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread


@pytest.fixture(autouse=True, scope="session")
def _cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A temporary user cache folder for the whole run: the request budget that kernels and
    ``hailuo`` processes share lives there (hailuo_nb.ratestate), not in the real one."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Jobs finish in a fraction of a second; videos are 320x180."""
    return EmulatorConfig(time_scale=2000.0, preview=True, seed=1234)


@pytest.fixture
def emulator_app(emulator_config: EmulatorConfig) -> Starlette:
    """A fresh emulator app (use with ``httpx.ASGITransport``)."""
    return create_app(emulator_config)


@pytest.fixture
def emulator_url(emulator_app: Starlette) -> Iterator[str]:
    """``emulator_app`` served on a real socket: ``http://127.0.0.1:PORT``."""
    with serve_in_thread(emulator_app) as base:
        yield base


@pytest.fixture
async def emulator_client(emulator_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client wired in-process to ``emulator_app`` (base URL ``http://emulator``)."""
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        yield client


@pytest.fixture
def emulator_stats(emulator_app: Starlette) -> Callable[[], Awaitable[dict[str, Any]]]:
    """``await emulator_stats()`` → the body of ``GET /__emulator__/stats``."""

    async def read() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=emulator_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as c:
            response = await c.get("/__emulator__/stats")
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body

    return read
