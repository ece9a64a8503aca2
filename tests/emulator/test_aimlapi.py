"""AI/ML API contract: submit/poll, statuses, error body, signed URL expiry."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from .helpers import BEARER, client_for, fast, poll, probe_mp4

PATH = "/aimlapi/v2/video/generations"


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str] = BEARER, **body: Any
) -> httpx.Response:
    body.setdefault("model", "minimax/hailuo-2.3")
    body.setdefault("prompt", "a red fox")
    return await client.post(PATH, json=body, headers=headers)


def assert_error_body(r: httpx.Response, status: int) -> None:
    body = r.json()
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    assert int(body["statusCode"]) == status == r.status_code
    assert body["path"] == "/v2/video/generations"


async def test_submit_poll_download(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client)
    assert r.status_code == 200
    body = r.json()
    assert re.fullmatch(r"\d+:minimax/hailuo-2\.3", body["generation_id"])
    assert body["id"] == body["generation_id"] and body["status"] == "queued"
    assert body["meta"]["usage"]["credits_used"] > 0

    url = f"{PATH}?generation_id={body['id']}"
    seen = set()
    while True:
        p = await emulator_client.get(url, headers=BEARER)
        seen.add(p.json()["status"])
        if p.json()["status"] in ("completed", "error"):
            break
        await asyncio.sleep(0.02)  # a tight loop would starve the render thread of the GIL
    assert seen <= {"queued", "generating", "completed"} and "completed" in seen
    video_url = p.json()["video"]["url"]
    assert "Expires=" in video_url and "Signature=" in video_url
    assert p.json()["error"] is None
    video = await emulator_client.get(video_url)
    assert video.status_code == 200 and probe_mp4(video.content)[:2] == (320, 180)

    # Tampered signature, then expiry.
    assert (
        await emulator_client.get(video_url.replace("Signature=", "Signature=x"))
    ).status_code == 403
    await emulator_client.post("/__emulator__/clock", json={"advance": 3601})
    expired = await emulator_client.get(video_url)
    assert expired.status_code == 403 and "expired" in expired.text


async def test_old_spellings_and_image_to_video(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(
        emulator_client,
        model="minimax/hailuo-2.3-fast",
        prompt_optimizer=False,
        first_frame_image="https://example.invalid/x.png",
        duration="6",
    )
    assert r.status_code == 200


async def test_blocked_prompt_ends_in_error(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client, prompt="[[block]] fox")
    p = await poll(
        emulator_client,
        f"{PATH}?generation_id={r.json()['id']}",
        {"completed", "error"},
        headers=BEARER,
    )
    assert p.status_code == 200
    assert p.json()["status"] == "error"
    assert set(p.json()["error"]) == {"name", "message"}
    assert "moderation" in p.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"model": "minimax/hailuo-9"}, "model"),
        ({"prompt": None}, "prompt"),
        ({"prompt": "x" * 2001}, "2000"),
        ({"resolution": "768p"}, "resolution"),
        ({"duration": 7}, "duration"),
        ({"duration": 10, "resolution": "1080P"}, "768P"),
        ({"model": "minimax/hailuo-2.3-fast"}, "image_url"),
        ({"last_image_url": "https://example.invalid/x.png"}, "last_image_url"),
    ],
)
async def test_bad_parameters_are_400(
    emulator_client: httpx.AsyncClient, body: dict[str, Any], needle: str
) -> None:
    r = await submit(emulator_client, **body)
    assert_error_body(r, 400)
    assert needle in r.json()["message"]


async def test_auth_and_unknown_generation(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client, headers={})
    assert_error_body(r, 401)
    r = await submit(emulator_client, headers={"x-api-key": "k"})
    assert_error_body(r, 401)
    r = await emulator_client.get(f"{PATH}?generation_id=1:minimax/hailuo-2.3", headers=BEARER)
    assert_error_body(r, 404)


async def test_insufficient_credit_is_403() -> None:
    async with client_for(fast(keys={"poor": 0.1})) as client:
        r = await submit(client, headers={"Authorization": "Bearer poor"})
        assert_error_body(r, 403)


async def test_rate_limit_is_429_with_its_body() -> None:
    async with client_for(fast(rate_limit_rpm=3)) as client:
        codes = [(await submit(client, prompt=None)).status_code for _ in range(4)]
        assert codes == [400, 400, 400, 429]
        r = await submit(client)
        assert_error_body(r, 429)
        assert r.json()["statusCode"] == "429"  # a string, as seen in the wild
