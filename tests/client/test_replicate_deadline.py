"""A ``timeout`` on Replicate goes as ``Cancel-After``: giving up also stops the bill.

The emulator scales ``Cancel-After`` like job durations (time_scale 10: Replicate's
minimum 5 s is half a second here, a Hailuo job tens of seconds), so the prediction is
cancelled by Replicate itself long before it could finish, and the client says why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.errors import JobFailed, ValidationError

from .conftest import stats
from .test_cli import hailuo


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(time_scale=10.0, preview=True, seed=5, spread=0.0)


def prediction(base: str, pid: str) -> dict[str, Any]:
    headers = {"Authorization": "Bearer test-key-replicate-0123456789"}
    body: dict[str, Any] = httpx.get(
        f"{base}/replicate/v1/predictions/{pid}", headers=headers
    ).json()
    return body


async def test_a_deadline_cancels_the_prediction_there(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("replicate") as client:
        job = await client.submit("a fox in snow", timeout=5)
        with pytest.raises(JobFailed, match="its Cancel-After deadline passed"):
            await client.wait(job, timeout=20)
    final = client.get(job.id)
    assert final is not None and final.status == "cancelled"
    assert final.error == "its Cancel-After deadline passed"
    seen = prediction(emulator_url, job.id)
    assert seen["status"] == "canceled" and seen["deadline"] is not None


async def test_no_timeout_no_deadline_and_bad_ones_are_refused_before_sending(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("replicate") as client:
        for bad in (0, -3, "soon", True):
            with pytest.raises(ValidationError, match="timeout: must be a number") as info:
                await client.submit("a fox", timeout=bad)
            assert "\n" not in str(info.value)
        assert stats(emulator_url)["submissions"]["total"] == 0
        job = await client.submit("a fox in snow")
    assert prediction(emulator_url, job.id)["deadline"] is None


async def test_hosts_without_a_deadline_only_stop_waiting(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("fal") as client:
        job = await client.submit("a fox in snow", timeout=5)  # not sent: fal has no such field
        done = await client.wait(job, timeout=30)
    assert done.status == "completed"


def test_the_cli_timeout_is_the_deadline(tmp_path: Path, emulator_url: str) -> None:
    base = ("--provider", "replicate", "--base-url", f"{emulator_url}/replicate", "--rpm", "6000")
    done = hailuo(
        "generate", "a fox", *base, "--timeout", "5", cwd=tmp_path, REPLICATE_API_TOKEN="r8_x"
    )
    assert done.returncode == 1, done.stderr
    assert "cancelled: its Cancel-After deadline passed" in done.stderr
    assert "r8_x" not in done.stderr + done.stdout
