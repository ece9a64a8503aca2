"""The client against the emulator's AI/ML API and MiniMax protocols over a real socket."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from hailuo_nb.client import Client
from hailuo_nb.errors import AuthError, JobFailed, NotFound, ProviderError, SubmitUncertain

from .conftest import requests_to, set_faults, stats


@pytest.mark.parametrize("provider", ["aimlapi", "minimax"])
async def test_generate_end_to_end(
    make_client: Callable[..., Client], emulator_url: str, provider: str
) -> None:
    async with make_client(provider) as client:
        job = await client.generate("a red fox running through snow", resolution="768p")
    assert job.status == "completed" and job.video_path and os.path.getsize(job.video_path) > 0
    # AI/ML reports what it billed at submit (meta.usage); MiniMax reports no price.
    assert job.cost is not None and job.cost.estimated == (provider == "minimax")
    assert stats(emulator_url)["submissions"]["by_provider"] == {provider: 1}


async def test_aimlapi_429_on_submit_then_faults_while_polling(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(
        emulator_url,
        {"endpoint": "aimlapi.submit", "kind": "429", "times": 1},
        {"endpoint": "aimlapi.poll", "kind": "502", "times": 1},
        {"endpoint": "aimlapi.poll", "kind": "malformed", "times": 1},
        {"endpoint": "aimlapi.poll", "kind": "drop", "times": 1},
    )
    async with make_client("aimlapi") as client:
        job = await client.generate("a fox")
    assert job.status == "completed" and ":" in job.id  # "<digits>:minimax/hailuo-2.3"
    assert stats(emulator_url)["submissions"]["total"] == 1
    assert requests_to(emulator_url, "POST /aimlapi/v2/video/generations") == {"429": 1, "200": 1}


async def test_aimlapi_error_status_carries_the_reason(
    make_client: Callable[..., Client],
) -> None:
    async with make_client("aimlapi") as client:
        job = await client.submit("a fox [[block-output]]")
        with pytest.raises(JobFailed) as info:
            await client.wait(job)
    assert info.value.reason


async def test_minimax_in_band_1002_is_retried_and_submitted_once(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(
        emulator_url,
        {"endpoint": "minimax.submit", "kind": "1002", "times": 2},
        {"endpoint": "minimax.query", "kind": "1002", "times": 1},
        {"endpoint": "minimax.retrieve", "kind": "502", "times": 1},
    )
    async with make_client("minimax") as client:
        job = await client.generate("a fox")
    assert job.status == "completed"
    assert stats(emulator_url)["submissions"]["total"] == 1
    assert stats(emulator_url)["faults_injected"]["minimax.submit:1002"] == 2


async def test_minimax_in_band_retry_later_codes_are_polled_through(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    # HTTP 200 with base_resp 1000 / 1001 / 1013 on query and retrieve: asked again like a
    # 5xx, so the job still ends completed with its video (before, one such answer ended it).
    set_faults(
        emulator_url,
        {"endpoint": "minimax.query", "kind": "1000", "times": 1},
        {"endpoint": "minimax.query", "kind": "1001", "times": 1},
        {"endpoint": "minimax.query", "kind": "1013", "times": 1},
        {"endpoint": "minimax.retrieve", "kind": "1013", "times": 1},
        {"endpoint": "minimax.retrieve", "kind": "1000", "times": 1},
    )
    async with make_client("minimax") as client:
        job = await client.generate("a fox")
    assert job.status == "completed" and job.video_path and os.path.getsize(job.video_path) > 0
    injected = stats(emulator_url)["faults_injected"]
    assert injected == {
        "minimax.query:1000": 1,
        "minimax.query:1001": 1,
        "minimax.query:1013": 1,
        "minimax.retrieve:1013": 1,
        "minimax.retrieve:1000": 1,
    }
    assert stats(emulator_url)["submissions"]["total"] == 1


async def test_minimax_retry_later_on_submit_is_not_sent_again(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    # On a submit the same code may hide a job that was taken: say so, never re-send.
    set_faults(emulator_url, {"endpoint": "minimax.submit", "kind": "1013", "times": 1})
    async with make_client("minimax") as client:
        with pytest.raises(SubmitUncertain, match="internal service error"):
            await client.submit("a fox")
    assert requests_to(emulator_url, "POST /minimax/v1/video_generation") == {"200": 1}


async def test_minimax_1026_refused_prompt_creates_nothing(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("minimax") as client:
        with pytest.raises(ProviderError) as info:
            await client.submit("a [[block]] fox")
    assert info.value.code == 1026 and info.value.provider == "minimax"
    assert stats(emulator_url)["submissions"]["total"] == 0
    assert client.history() == []


async def test_minimax_1027_sensitive_output_fails_the_job(
    make_client: Callable[..., Client],
) -> None:
    async with make_client("minimax") as client:
        job = await client.submit("a fox [[block-output]]")
        with pytest.raises(JobFailed, match="1027"):
            await client.wait(job)


async def test_minimax_2013_unknown_task_is_refused_and_nothing_written(
    make_client: Callable[..., Client],
) -> None:
    # An id neither the store nor MiniMax (2013) knows: a one-line error, no store row.
    async with make_client("minimax") as client:
        with pytest.raises(NotFound, match="does not know it either"):
            await client.resume("123456789")
        assert client.history() == []


async def test_minimax_wrong_key_is_an_auth_error_without_the_key(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread

    app = create_app(EmulatorConfig(keys={"good-key-0123456789": 10.0}, time_scale=2000))
    with serve_in_thread(app) as base:
        async with make_client("minimax", base_url=f"{base}/minimax") as client:
            with pytest.raises(AuthError) as info:
                await client.submit("a fox")
    assert info.value.code == 1004
    assert "test-key" not in str(info.value) and "test-key" not in repr(client.settings)
