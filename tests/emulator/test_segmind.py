"""Segmind protocol contract: v2 submit/status/result, v1, upload-asset, errors."""

from __future__ import annotations

import asyncio
import base64
import io
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.emulator.config import Fault

from .helpers import BEARER, SG, client_for, fast, poll, probe_mp4

Stats = Callable[[], Awaitable[dict[str, Any]]]


async def submit(
    client: httpx.AsyncClient, slug: str = "hailuo-2.3", **body: Any
) -> httpx.Response:
    body.setdefault("prompt", "a red fox in snow")
    return await client.post(f"/segmind/v2/{slug}", json=body, headers=SG)


async def test_v2_submit_poll_result_download(
    emulator_client: httpx.AsyncClient, emulator_stats: Stats
) -> None:
    r = await submit(emulator_client)
    assert r.status_code == 200  # Segmind answers 200, not 202
    body = r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body["request_id"])
    assert body["status"] == "QUEUED"
    rid = body["request_id"]
    assert body["status_url"] == f"http://emulator/segmind/v2/requests/{rid}/status"
    assert body["response_url"] == f"http://emulator/segmind/v2/requests/{rid}"
    assert body["poll_url"].endswith(f"/requests/{rid}")

    seen = set()
    while True:
        s = await emulator_client.get(body["status_url"], headers=SG)
        assert s.status_code == 200
        seen.add(s.json()["status"])
        if s.json()["status"] == "COMPLETED":
            break
        await asyncio.sleep(0.02)  # a tight loop would starve the render thread of the GIL
    assert seen <= {"QUEUED", "PROCESSING", "COMPLETED"}
    assert "queue_position" not in s.json() and "progress" not in s.json()

    result = (await emulator_client.get(body["response_url"], headers=SG)).json()
    assert result["status"] == "COMPLETED" and result["error"] is None
    assert result["metrics"]["cost"] == 0.35
    video = await emulator_client.get(result["output"])
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert int(video.headers["content-length"]) == len(video.content)
    assert probe_mp4(video.content)[:2] == (320, 180)  # preview frames

    stats = await emulator_stats()
    assert stats["submissions"]["total"] == 1
    assert stats["submissions"]["by_provider"] == {"segmind": 1}
    assert stats["jobs"][rid]["status"] == "completed"
    assert stats["requests"]["POST /segmind/v2/{slug}"] == {"200": 1}
    # The key itself never appears, only a short hash of it.
    assert SG["x-api-key"] not in str(stats)


async def test_prompt_block_is_failed_422_on_both_gets(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client, prompt="a fox [[block]]")
    assert r.status_code == 200
    status = await poll(
        emulator_client, r.json()["status_url"], {"FAILED", "COMPLETED"}, headers=SG
    )
    assert status.status_code == 422
    assert status.json()["status"] == "FAILED"
    assert "moderation" in status.json()["error"]
    result = await emulator_client.get(r.json()["response_url"], headers=SG)
    assert result.status_code == 422 and result.json()["error"] == status.json()["error"]


async def test_1080p_10s_accepted_then_failed(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client, duration=10, resolution="1080p")
    assert r.status_code == 200
    status = await poll(
        emulator_client, r.json()["status_url"], {"FAILED", "COMPLETED"}, headers=SG
    )
    assert status.status_code == 422
    assert "768p" in status.json()["error"]


async def test_output_block_fails(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client, prompt="[[block-output]] fox")
    status = await poll(
        emulator_client, r.json()["status_url"], {"FAILED", "COMPLETED"}, headers=SG
    )
    assert status.status_code == 422 and "sensitive" in status.json()["error"]


@pytest.mark.parametrize(
    ("slug", "body", "needle"),
    [
        ("hailuo-2.3", {"prompt": None}, "prompt is required"),
        ("hailuo-2.3", {"duration": "six"}, "duration"),
        ("hailuo-2.3", {"duration": 7}, "duration"),
        ("hailuo-2.3", {"resolution": "1080P"}, "resolution"),
        ("hailuo-2.3", {"prompt_optimizer": "yes"}, "prompt_optimizer"),
        ("hailuo-2.3-fast", {}, "first_frame_image is required"),
        ("hailuo-02-fast", {}, "first_frame_image is required"),
        ("minimax-hailuo-2", {"mode": "turbo"}, "mode"),
    ],
)
async def test_bad_parameters_are_400(
    emulator_client: httpx.AsyncClient,
    emulator_stats: Stats,
    slug: str,
    body: dict[str, Any],
    needle: str,
) -> None:
    r = await emulator_client.post(
        f"/segmind/v2/{slug}", json={"prompt": "fox", **body}, headers=SG
    )
    assert r.status_code == 400
    assert needle in r.json()["error"]
    assert (await emulator_stats())["submissions"]["total"] == 0


async def test_duration_as_string_is_accepted(emulator_client: httpx.AsyncClient) -> None:
    # Segmind's own 02-fast example sends "duration": "6".
    r = await submit(
        emulator_client,
        "hailuo-02-fast",
        duration="6",
        go_fast=True,
        first_frame_image="https://example.invalid/a.jpg",
        last_frame_image=None,
    )
    assert r.status_code == 200


async def test_unknown_model_and_unknown_request_are_404(
    emulator_client: httpx.AsyncClient,
) -> None:
    r = await submit(emulator_client, "hailuo-9")
    assert r.status_code == 404 and "error" in r.json()
    rid = "0" * 32
    for path in (f"/segmind/v2/requests/{rid}/status", f"/segmind/v2/requests/{rid}"):
        r = await emulator_client.get(path, headers=SG)
        assert r.status_code == 404
        assert r.json() == {"error": f"Request {rid} not found"}


async def test_status_expires_after_retention(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client)
    done = await poll(emulator_client, r.json()["status_url"], {"COMPLETED"}, headers=SG)
    assert done.status_code == 200
    await emulator_client.post("/__emulator__/clock", json={"advance": 3601})
    assert (await emulator_client.get(r.json()["status_url"], headers=SG)).status_code == 404
    assert (await emulator_client.get(r.json()["response_url"], headers=SG)).status_code == 404


async def test_auth(emulator_client: httpx.AsyncClient) -> None:
    r = await emulator_client.post("/segmind/v2/hailuo-2.3", json={"prompt": "x"})
    assert r.status_code == 401 and "error" in r.json()
    r = await emulator_client.post(
        "/segmind/v2/hailuo-2.3", json={"prompt": "x"}, headers={"Authorization": "Bearer SG_abc"}
    )
    assert r.status_code == 401 and "x-api-key" in r.json()["error"]
    # Another key cannot see my job.
    mine = await submit(emulator_client)
    other = await emulator_client.get(mine.json()["status_url"], headers={"x-api-key": "SG_b"})
    assert other.status_code == 404


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        time_scale=2000.0,
        preview=True,
        seed=5,
        keys={SG["x-api-key"]: 100.0, "SG_poor": 0.5, "SG_b": 1.0},
    )


async def test_insufficient_credit_402_on_v2_406_on_v1(
    emulator_client: httpx.AsyncClient,
    emulator_stats: Stats,
) -> None:
    poor = {"x-api-key": "SG_poor"}
    # 0.35 fits in 0.50 once; while it runs, a second one does not.
    first = await emulator_client.post("/segmind/v2/hailuo-2.3", json={"prompt": "a"}, headers=poor)
    assert first.status_code == 200
    r = await emulator_client.post("/segmind/v2/hailuo-2.3", json={"prompt": "b"}, headers=poor)
    assert r.status_code == 402 and "credit" in r.json()["error"].lower()
    r = await emulator_client.post("/segmind/v1/hailuo-2.3", json={"prompt": "b"}, headers=poor)
    assert r.status_code == 406
    assert (await emulator_stats())["submissions"]["total"] == 1
    # Unknown keys are refused when --key restricts the emulator.
    r = await emulator_client.post(
        "/segmind/v2/hailuo-2.3", json={"prompt": "b"}, headers={"x-api-key": "SG_stranger"}
    )
    assert r.status_code == 401


async def test_completed_job_is_charged(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client, duration=10)
    await poll(emulator_client, r.json()["status_url"], {"COMPLETED"}, headers=SG)
    result = (await emulator_client.get(r.json()["response_url"], headers=SG)).json()
    assert result["metrics"]["cost"] == 0.70
    assert result["metrics"]["remaining_credits"] == pytest.approx(99.30)


async def test_v1_blocks_and_answers_mp4_with_headers(emulator_client: httpx.AsyncClient) -> None:
    r = await emulator_client.post("/segmind/v1/hailuo-2.3", json={"prompt": "fox"}, headers=SG)
    assert r.status_code == 200
    assert r.headers["content-type"] == "video/mp4"
    assert float(r.headers["x-remaining-credits"]) == pytest.approx(99.65)
    assert float(r.headers["x-cost"]) == pytest.approx(0.35)
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    assert float(r.headers["x-generation-time"]) > 0
    assert probe_mp4(r.content)[:2] == (320, 180)


async def test_v1_failure_is_an_error(emulator_client: httpx.AsyncClient) -> None:
    r = await emulator_client.post(
        "/segmind/v1/hailuo-2.3", json={"prompt": "[[block]]"}, headers=SG
    )
    assert r.status_code == 400 and "moderation" in r.json()["error"]


def _png(color: tuple[int, int, int]) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (640, 360), color).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


async def test_upload_asset_then_use_it_as_first_frame(emulator_client: httpx.AsyncClient) -> None:
    data_url = _png((200, 30, 30))
    r = await emulator_client.post(
        "/segmind/upload-asset", json={"data_urls": [data_url]}, headers=SG
    )
    assert r.status_code == 200
    urls = r.json()["file_urls"]
    assert urls == r.json()["urls"] and len(urls) == 1
    image = await emulator_client.get(urls[0])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content == base64.b64decode(data_url.split(",", 1)[1])

    job = await submit(
        emulator_client, "hailuo-2.3-fast", first_frame_image=urls[0], resolution="768p"
    )
    assert job.status_code == 200
    await poll(emulator_client, job.json()["status_url"], {"COMPLETED"}, headers=SG)

    bad = await emulator_client.post(
        "/segmind/upload-asset", json={"data_urls": ["hello"]}, headers=SG
    )
    assert bad.status_code == 400
    unauth = await emulator_client.post(
        "/segmind/upload-asset", json={"data_urls": [data_url]}, headers=BEARER
    )
    assert unauth.status_code == 401


@pytest.mark.parametrize("slug_path", ["/segmind/v2/hailuo-2.3", "/segmind/v1/hailuo-2.3"])
async def test_a_body_not_sent_as_json_is_406_invalid_content_type(
    emulator_client: httpx.AsyncClient, emulator_stats: Stats, slug_path: str
) -> None:
    # One of Segmind's several 406s: not credits, the Content-Type.
    r = await emulator_client.post(
        slug_path,
        content=b"prompt=a+fox",
        headers={**SG, "content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 406 and r.json() == {"error": "Invalid content type"}
    assert (await emulator_stats())["submissions"]["total"] == 0


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("406_credits", "Insufficient credits"),
        ("406_content_type", "Invalid content type"),
        ("406_param", "Invalid value for"),
        ("406_spend_limit", "spend limit"),
    ],
)
async def test_406_faults_answer_each_meaning_in_segmind_words(
    emulator_client: httpx.AsyncClient, emulator_stats: Stats, kind: str, words: str
) -> None:
    faults = [{"endpoint": ep, "kind": kind, "times": 1} for ep in ("segmind.submit", "segmind.v1")]
    await emulator_client.post("/__emulator__/faults", json={"faults": faults})
    for path in ("/segmind/v2/hailuo-2.3", "/segmind/v1/hailuo-2.3"):
        r = await emulator_client.post(path, json={"prompt": "a fox"}, headers=SG)
        assert r.status_code == 406 and words in r.json()["error"], r.text
    s = await emulator_stats()
    assert s["submissions"]["total"] == 0
    assert s["faults_injected"] == {f"segmind.submit:{kind}": 1, f"segmind.v1:{kind}": 1}


def test_406_faults_are_segmind_only() -> None:
    with pytest.raises(ValueError, match="Segmind"):
        Fault("minimax.submit", "406_credits")


async def test_v1_json_answer_carries_the_output_url_or_the_error() -> None:
    async with client_for(fast(segmind_v1_answer="json")) as client:
        ok = await client.post("/segmind/v1/hailuo-2.3", json={"prompt": "fox"}, headers=SG)
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
        body = ok.json()
        assert body["status"] == "COMPLETED" and float(ok.headers["x-cost"]) == 0.35
        video = await client.get(body["output"])
        assert video.status_code == 200 and probe_mp4(video.content)[:2] == (320, 180)
        bad = await client.post(
            "/segmind/v1/hailuo-2.3", json={"prompt": "[[block]] fox"}, headers=SG
        )
        assert bad.status_code == 200 and bad.json()["status"] == "FAILED"
        assert "moderation" in bad.json()["error"]


async def test_v1_octet_answer_is_the_same_bytes() -> None:
    async with client_for(fast(segmind_v1_answer="octet")) as client:
        r = await client.post("/segmind/v1/hailuo-2.3", json={"prompt": "fox"}, headers=SG)
        assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
        assert probe_mp4(r.content)[:2] == (320, 180) and float(r.headers["x-cost"]) == 0.35


async def test_v1_html_answer_is_a_page_after_the_job_ran() -> None:
    async with client_for(fast(segmind_v1_answer="html")) as client:
        r = await client.post("/segmind/v1/hailuo-2.3", json={"prompt": "fox"}, headers=SG)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.text.startswith("<!doctype html>")
        jobs = (await client.get("/__emulator__/stats")).json()["jobs"]
        assert [j["status"] for j in jobs.values()] == ["completed"]
