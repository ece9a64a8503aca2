"""The client against the emulator's MiniMax V1 protocol over a real socket.

What the official API allows and the client must live with: a ``Fail`` whose ``base_resp``
is code 0 "success" (the query schema has no error field), download URLs valid one hour,
and first + last frame generation at 768P and 1080P only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.errors import JobFailed, NetworkError, ValidationError

from .conftest import advance_clock, requests_to, set_faults, stats

QUERY = "GET /minimax/v1/query/video_generation"
RETRIEVE = "GET /minimax/v1/files/retrieve"


@pytest.fixture
def emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    """The suite's fast emulator; ``indirect`` parametrization changes some fields."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return EmulatorConfig(time_scale=2000.0, preview=True, seed=1234, **overrides)


@pytest.mark.parametrize(
    ("emulator_config", "reason"),
    [
        ({"minimax_fail_style": "code"}, "output new_sensitive (code 1027)"),
        ({"minimax_fail_style": "zero"}, "MiniMax reports the task failed (no reason given)"),
        (
            {"minimax_fail_style": "zero_msg"},
            "MiniMax reports the task failed: output new_sensitive",
        ),
        (
            {"minimax_fail_style": "zero_field"},
            "MiniMax reports the task failed: output new_sensitive",
        ),
    ],
    indirect=["emulator_config"],
    ids=["code", "zero", "zero_msg", "zero_field"],
)
async def test_a_failed_task_never_shows_success_as_its_reason(
    make_client: Callable[..., Client], emulator_url: str, reason: str
) -> None:
    async with make_client("minimax") as client:
        job = await client.submit("a red fox [[block-output]]")
        with pytest.raises(JobFailed) as info:
            await client.wait(job, timeout=30)
        stored = client.get(job.id)
    assert info.value.reason == reason and "success" not in reason.lower()
    assert stored is not None and stored.status == "failed" and stored.error == reason
    assert stored.video_url is None and stored.video_path is None
    assert requests_to(emulator_url, RETRIEVE) == {}  # an empty file_id is never fetched


async def test_512p_with_a_last_frame_is_refused_before_anything_is_sent(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    first = Image.new("RGB", (640, 360), (200, 80, 20))
    last = Image.new("RGB", (640, 360), (20, 80, 200))
    frames = {"model": "hailuo-02", "first_frame": first, "last_frame": last}
    async with make_client("minimax") as client:
        with pytest.raises(ValidationError) as info:
            await client.submit("a fox turns around", resolution="512p", **frames)
        assert "\n" not in str(info.value)
        assert str(info.value) == (
            "resolution: 512p cannot go with a last frame on hailuo-02 (minimax): first +"
            " last frame videos are 768p or 1080p only"
        )
        assert stats(emulator_url)["requests"] == {}
        # The same frames at 768P are what MiniMax takes: sent once, and accepted.
        job = await client.submit("a fox turns around", resolution="768p", **frames)
    assert job.params["resolution"] == "768p"
    assert requests_to(emulator_url, "POST /minimax/v1/video_generation") == {"200": 1}
    assert stats(emulator_url)["submissions"]["total"] == 1


@pytest.mark.parametrize(
    ("later", "retrieves"),
    [(3600 - 120, 1), (3600 + 60, 2)],
    ids=["within-the-hour", "past-the-hour"],
)
async def test_resume_asks_files_retrieve_again_once_the_url_is_past_one_hour(
    make_client: Callable[..., Client], emulator_url: str, later: float, retrieves: int
) -> None:
    # The download fails until the client gives up (6 attempts with fast_retry), leaving a
    # finished job with a URL and no file; then time passes and the job is resumed.
    set_faults(emulator_url, {"endpoint": "files", "kind": "502", "times": 6})
    async with make_client("minimax") as first:
        job = await first.submit("a red fox in the snow")
        with pytest.raises(NetworkError, match="download failed"):
            await first.wait(job, timeout=30)
        old = first.get(job.id)
    assert old is not None and old.status == "completed" and old.video_url
    assert requests_to(emulator_url, RETRIEVE) == {"200": 1}

    advance_clock(emulator_url, later)
    # The emulator's default lifetime is MiniMax's documented hour.
    expect = 200 if later < 3600 else 403
    assert httpx.get(old.video_url).status_code == expect
    async with make_client("minimax") as second:
        done = await second.resume(job.id)
    assert done.status == "completed" and done.error is None and done.video_path
    data = Path(done.video_path).read_bytes()
    assert data[4:8] == b"ftyp"
    assert requests_to(emulator_url, RETRIEVE) == {"200": retrieves}
    assert (done.video_url == old.video_url) is (retrieves == 1)
    assert stats(emulator_url)["submissions"]["total"] == 1
