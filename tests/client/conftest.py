"""Client test fixtures: the emulator on a real 127.0.0.1 socket, and clients pointed at it.

The emulator is fast (``time_scale`` 2000, 320 px previews); the client polls on a
matching scale and backs off for milliseconds, so the whole folder runs in seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.http import Retry
from hailuo_nb.models import Job
from hailuo_nb.polling import Backoff

MOUNTS = {
    "segmind": "segmind",
    "aimlapi": "aimlapi",
    "minimax": "minimax",
    "fal": "fal",
    "replicate": "replicate",
}
FAST_POLLS = {"poll_min_interval": 0.01, "poll_max_interval": 0.1}


def one_worker() -> EmulatorConfig:
    """One job at a time per key, each about a second: later ones wait in the queue."""
    return EmulatorConfig(time_scale=150.0, preview=True, seed=7, workers_per_key=1, spread=0.0)


async def until(client: Client, job: Job, status: str) -> Job:
    """The job's first snapshot in ``status``; fails if it ends without one."""
    async for snapshot in client.updates(job):
        if snapshot.status == status:
            return snapshot
        if snapshot.done:
            break
    raise AssertionError(f"{job.id} never was {status}")


def fast_retry() -> Retry:
    """Back-off and rate-limit pauses of milliseconds (the emulator's 429 says 60 s)."""
    return Retry(attempts=6, max_pause=0.05, backoff=Backoff(base=0.01, cap=0.05))


def set_faults(base: str, *faults: dict[str, Any]) -> None:
    """Replace the emulator's fault list (``POST /__emulator__/faults``)."""
    httpx.post(f"{base}/__emulator__/faults", json={"faults": list(faults)}).raise_for_status()


def stats(base: str) -> dict[str, Any]:
    """``GET /__emulator__/stats`` of a real server."""
    body: dict[str, Any] = httpx.get(f"{base}/__emulator__/stats").json()
    return body


def advance_clock(base: str, seconds: float) -> None:
    """Move the emulator's clock forward (expiry without waiting an hour)."""
    httpx.post(f"{base}/__emulator__/clock", json={"advance": seconds}).raise_for_status()


def requests_to(base: str, route: str) -> dict[str, int]:
    """Answers by status code for one route template, e.g. ``POST /segmind/v2/{slug}``."""
    counts: dict[str, int] = stats(base)["requests"].get(route, {})
    return counts


@pytest.fixture
def make_client(emulator_url: str, tmp_path: Path) -> Callable[..., Client]:
    """``make_client("segmind", **overrides)``: a client on the real emulator server."""

    def make(provider: str = "segmind", **kw: Any) -> Client:
        args: dict[str, Any] = {
            "base_url": f"{emulator_url}/{MOUNTS[provider]}",
            "api_key": f"test-key-{provider}-0123456789",
            "output_dir": tmp_path / "out",
            "requests_per_minute": 60_000,
            "settings": FAST_POLLS,
            "environ": {},
            "retry": fast_retry(),
        }
        args.update(kw)
        return Client(provider, **args)

    return make


@pytest.fixture
async def segmind(make_client: Callable[..., Client]) -> AsyncIterator[Client]:
    """A Segmind v2 client on the real emulator server."""
    async with make_client("segmind") as client:
        yield client
