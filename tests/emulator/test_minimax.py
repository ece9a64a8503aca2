"""MiniMax contract: in-band errors, statuses, the duration × resolution matrix, files."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from .helpers import BEARER, client_for, fast, poll, probe_mp4


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str] = BEARER, **body: Any
) -> httpx.Response:
    body.setdefault("model", "MiniMax-Hailuo-2.3")
    body.setdefault("prompt", "a red fox")
    return await client.post("/minimax/v1/video_generation", json=body, headers=headers)


def code(r: httpx.Response) -> int:
    assert r.status_code == 200  # MiniMax errors travel inside HTTP 200
    return int(r.json()["base_resp"]["status_code"])


async def test_generate_query_retrieve_download(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client, duration=10)
    assert code(r) == 0 and r.json()["task_id"]
    tid = r.json()["task_id"]
    url = f"/minimax/v1/query/video_generation?task_id={tid}"
    seen = []
    while True:
        q = await emulator_client.get(url, headers=BEARER)
        assert code(q) == 0
        seen.append(q.json()["status"])
        if q.json()["status"] in ("Success", "Fail"):
            break
        await asyncio.sleep(0.02)  # a tight loop would starve the render thread of the GIL
    assert set(seen) <= {"Preparing", "Queueing", "Processing", "Success"}
    assert seen[0] == "Preparing" and seen[-1] == "Success"
    assert (q.json()["video_width"], q.json()["video_height"]) == (1366, 768)
    fid = q.json()["file_id"]

    f = await emulator_client.get(f"/minimax/v1/files/retrieve?file_id={fid}", headers=BEARER)
    assert code(f) == 0
    file = f.json()["file"]
    assert str(file["file_id"]) == fid
    video = await emulator_client.get(file["download_url"])
    assert video.status_code == 200 and len(video.content) == file["bytes"]
    width, height, seconds, _ = probe_mp4(video.content)
    assert (width, height) == (320, 180) and seconds == pytest.approx(10, abs=0.1)

    # Valid 1 hour by default (MiniMax's download page), not the 9 h of an older note.
    await emulator_client.post("/__emulator__/clock", json={"advance": 3600 - 60})
    assert (await emulator_client.get(file["download_url"])).status_code == 200
    await emulator_client.post("/__emulator__/clock", json={"advance": 120})
    assert (await emulator_client.get(file["download_url"])).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"duration": 10, "resolution": "1080P"},
        {"resolution": "512P"},
        {"model": "MiniMax-Hailuo-02", "resolution": "512P"},  # 512P needs an image
        {"resolution": "768p"},
        {"duration": "6"},
        {"duration": 8},
        {"model": "MiniMax-Hailuo-2.3-Fast"},  # image-to-video only
        {"last_frame_image": "https://example.invalid/x.png"},  # 02 only
        {  # first + last frame generation lists 768P and 1080P only
            "model": "MiniMax-Hailuo-02",
            "resolution": "512P",
            "first_frame_image": "https://example.invalid/x.png",
            "last_frame_image": "https://example.invalid/y.png",
        },
        {"model": "MiniMax-Hailuo-9"},
        {"prompt": None},
    ],
)
async def test_invalid_params_are_2013(
    emulator_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    assert code(await submit(emulator_client, **body)) == 2013


async def test_valid_matrix_corners(emulator_client: httpx.AsyncClient) -> None:
    img = "https://example.invalid/x.png"
    assert code(await submit(emulator_client, resolution="1080P", duration=6)) == 0
    h02 = {"model": "MiniMax-Hailuo-02", "first_frame_image": img}
    assert code(await submit(emulator_client, resolution="512P", duration=10, **h02)) == 0
    for res in ("768P", "1080P"):
        both = await submit(emulator_client, resolution=res, last_frame_image=img, **h02)
        assert code(both) == 0
    assert (
        code(
            await submit(
                emulator_client, model="MiniMax-Hailuo-2.3-Fast", first_frame_image=img, prompt=None
            )
        )
        == 0
    )


async def test_moderation(emulator_client: httpx.AsyncClient, emulator_stats: Any) -> None:
    r = await submit(emulator_client, prompt="[[block]] fox")
    assert code(r) == 1026
    assert (await emulator_stats())["submissions"]["total"] == 0  # nothing was created
    r = await submit(emulator_client, prompt="[[block-output]] fox")
    assert code(r) == 0
    q = await poll(
        emulator_client,
        f"/minimax/v1/query/video_generation?task_id={r.json()['task_id']}",
        {"Success", "Fail"},
        headers=BEARER,
    )
    assert q.json()["status"] == "Fail" and code(q) == 1027


async def test_auth_is_1004(emulator_client: httpx.AsyncClient) -> None:
    assert code(await submit(emulator_client, headers={})) == 1004
    async with client_for(fast(keys={"test-key": 1.0})) as restricted:
        assert code(await submit(restricted, headers={"Authorization": "Bearer nobody"})) == 1004
    q = await emulator_client.get("/minimax/v1/query/video_generation?task_id=1", headers={})
    assert code(q) == 1004


async def test_balance_and_rate_limit() -> None:
    async with client_for(fast(rate_limit_rpm=2, keys={"test-key": 9.0, "poor": 0.1})) as c:
        assert code(await submit(c, headers={"Authorization": "Bearer poor"})) == 1008
        assert code(await submit(c, model="nope")) == 2013
        assert code(await submit(c, model="nope")) == 2013
        assert code(await submit(c)) == 1002


async def test_unknown_ids(emulator_client: httpx.AsyncClient) -> None:
    q = await emulator_client.get("/minimax/v1/query/video_generation?task_id=42", headers=BEARER)
    assert code(q) != 0
    f = await emulator_client.get("/minimax/v1/files/retrieve?file_id=42", headers=BEARER)
    assert code(f) != 0


def _data_url(size: tuple[int, int], fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, format=fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buf.getvalue()).decode()


@pytest.mark.parametrize(
    ("size", "fmt", "ok"),
    [
        ((640, 360), "PNG", True),
        ((640, 360), "JPEG", True),
        ((300, 300), "PNG", False),
        ((1800, 320), "PNG", False),
        ((640, 360), "GIF", False),
    ],
)
async def test_image_rules(
    emulator_client: httpx.AsyncClient, size: tuple[int, int], fmt: str, ok: bool
) -> None:
    r = await submit(
        emulator_client, model="MiniMax-Hailuo-2.3-Fast", first_frame_image=_data_url(size, fmt)
    )
    assert code(r) == (0 if ok else 2013)


async def test_512p_with_a_last_frame_is_2013_and_creates_nothing(
    emulator_client: httpx.AsyncClient, emulator_stats: Any
) -> None:
    img = "https://example.invalid/x.png"
    r = await submit(
        emulator_client,
        model="MiniMax-Hailuo-02",
        resolution="512P",
        first_frame_image=img,
        last_frame_image=img,
    )
    assert code(r) == 2013 and "768P and 1080P" in r.json()["base_resp"]["status_msg"]
    assert r.json()["task_id"] == ""
    assert (await emulator_stats())["submissions"]["total"] == 0


async def _failed_query(config_style: str) -> dict[str, Any]:
    """The query answer of a task that failed (the output marker) under a fail style."""
    async with client_for(fast(minimax_fail_style=config_style)) as client:
        r = await submit(client, prompt="a fox [[block-output]]")
        tid = r.json()["task_id"]
        q = await poll(
            client,
            f"/minimax/v1/query/video_generation?task_id={tid}",
            {"Fail", "Success"},
            headers=BEARER,
        )
        body: dict[str, Any] = q.json()
        return body


@pytest.mark.parametrize(
    ("style", "base", "field"),
    [
        ("code", {"status_code": 1027, "status_msg": "output new_sensitive"}, None),
        ("zero", {"status_code": 0, "status_msg": "success"}, None),
        ("zero_msg", {"status_code": 0, "status_msg": "output new_sensitive"}, None),
        ("zero_field", {"status_code": 0, "status_msg": "success"}, "output new_sensitive"),
    ],
)
async def test_a_failed_task_says_why_in_each_style(
    style: str, base: dict[str, Any], field: str | None
) -> None:
    # The official query schema has no error field: a Fail may carry code 0 "success".
    body = await _failed_query(style)
    assert body["status"] == "Fail" and body["file_id"] == ""
    assert body["base_resp"] == base
    assert body.get("error_message") == field


def test_fail_style_is_checked() -> None:
    with pytest.raises(ValueError, match="minimax_fail_style"):
        fast(minimax_fail_style="silent")
