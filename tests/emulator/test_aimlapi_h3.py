"""AI/ML API ``minimax/h3``: flat fields, defaults, the H3 rules in AI/ML's error shape,
and 2K MP4s with sound."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest

from . import h3helpers as m
from .helpers import BEARER, client_for, fast, poll

PATH = "/aimlapi/v2/video/generations"
URL = "https://example.com/x"


def assert_error_body(r: httpx.Response, status: int) -> None:
    """AI/ML's error shape, with the HTTP status repeated in ``statusCode``."""
    body = r.json()
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    assert int(body["statusCode"]) == status == r.status_code


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str] = BEARER, **body: Any
) -> httpx.Response:
    body.setdefault("model", "minimax/h3")
    body.setdefault("prompt", "a red fox in snow")
    return await client.post(
        PATH, json={k: v for k, v in body.items() if v is not None}, headers=headers
    )


async def finished(client: httpx.AsyncClient, gid: str) -> dict[str, Any]:
    r = await poll(client, f"{PATH}?generation_id={gid}", {"completed", "error"}, headers=BEARER)
    body: dict[str, Any] = r.json()
    return body


async def test_submit_poll_download(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client)
    assert r.status_code == 200, r.text
    b = r.json()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", b["id"])
    assert "generation_id" not in b  # H3's replies carry only the UUID id
    assert (b["status"], b["model"], b["video"], b["error"]) == ("queued", "minimax/h3", None, None)
    # Defaults: 6 s at 2K, $0.13/s; 2,000,000 credits per USD.
    assert b["meta"]["usage"] == {"credits_used": 1_560_000, "usd_spent": 0.78}
    done = await finished(emulator_client, b["id"])
    assert done["status"] == "completed" and done["model"] == "minimax/h3"
    video = await emulator_client.get(done["video"]["url"])
    p = m.probe(video.content)
    # Text-only "adaptive" becomes 16:9 (2560x1440, previewed at 320x192); 2K is 24 frames/s.
    assert (p.width, p.height, p.fps, p.frames) == (320, 192, 24.0, 144)
    assert (p.audio_codec, p.sample_rate, p.channels) == ("aac", 32000, 2)
    assert p.audio_seconds == pytest.approx(6.0, abs=0.03)


async def test_hailuo_answers_are_unchanged(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client, model="minimax/hailuo-2.3")
    assert "generation_id" in r.json()
    done = await finished(emulator_client, r.json()["id"])
    assert "model" not in done


@pytest.mark.parametrize(
    ("fields", "size"),
    [
        ({"ratio": "9:16", "duration": 4}, (192, 320)),
        ({"image_url": base64.b64encode(m.image(360, 640)).decode()}, (192, 320)),  # raw base64
        ({"reference_image_urls": [m.image_uri(600, 600)]}, (320, 320)),
        ({"reference_image_urls": [m.image_uri(600, 600)], "ratio": "21:9"}, (320, 128)),
    ],
)
async def test_ratio(
    emulator_client: httpx.AsyncClient, fields: dict[str, Any], size: tuple[int, int]
) -> None:
    r = await submit(emulator_client, **fields)
    assert r.status_code == 200, r.text
    done = await finished(emulator_client, r.json()["id"])
    p = m.probe((await emulator_client.get(done["video"]["url"])).content)
    assert (p.width, p.height) == size


async def test_references_are_billed(emulator_app: Any, emulator_client: httpx.AsyncClient) -> None:
    r = await submit(
        emulator_client,
        duration=5,
        reference_image_urls=[URL] * 7,
        video_urls=[m.data_uri("video/mp4", m.clip(3.0))],
        audio_urls=[m.data_uri("audio/wav", m.wav(4.0))],
    )
    assert r.status_code == 200, r.text
    # 5 s + 3 s of reference video at $0.13/s, 2 images past the 5 free at $0.04, audio free.
    assert r.json()["meta"]["usage"]["usd_spent"] == pytest.approx(1.12)


TEN = [URL] * 10
RULES: list[tuple[str, dict[str, Any], str]] = [
    ("prompt missing", {"prompt": None}, "prompt is required"),
    ("prompt empty", {"prompt": " "}, "prompt is required"),
    ("prompt over 7000", {"prompt": "x" * 7001}, "at most 7000 characters"),
    ("resolution 768P", {"resolution": "768P"}, "resolution must be one of ['2K']"),
    ("duration 3", {"duration": 3}, "duration must be an integer from 4 to 15"),
    ("duration 16", {"duration": 16}, "duration must be an integer from 4 to 15"),
    ("duration word", {"duration": "six"}, "duration must be an integer"),
    ("ratio", {"ratio": "2:1"}, "ratio must be one of"),
    ("10 reference images", {"reference_image_urls": TEN}, "at most 9 items"),
    ("4 videos", {"video_urls": [URL] * 4}, "video_urls must have at most 3"),
    ("4 audio", {"audio_urls": [URL] * 4, "video_urls": [URL]}, "audio_urls must have at most 3"),
    ("list not an array", {"video_urls": URL}, "video_urls must be an array"),
    ("audio alone", {"audio_urls": [URL]}, "cannot be the only reference"),
    ("frame and references", {"image_url": URL, "video_urls": [URL]}, "cannot be combined"),
    (
        "13 references",
        {"reference_image_urls": [URL] * 9, "video_urls": [URL] * 3, "audio_urls": [URL]},
        "at most 12 reference files",
    ),
    ("mm_file", {"image_url": "mm_file://1"}, "mm_file:// is MiniMax's own"),
    (
        "short reference video",
        {"video_urls": [m.data_uri("video/mp4", m.clip(1.0))]},
        "video_urls[0]: each video must be 2-15 s long",
    ),
    ("small image", {"image_url": m.image_uri(200, 300)}, "image_url: each side"),
]


@pytest.mark.parametrize(("fields", "needle"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
async def test_rule(
    emulator_client: httpx.AsyncClient, emulator_stats: Any, fields: dict[str, Any], needle: str
) -> None:
    r = await submit(emulator_client, **fields)
    assert_error_body(r, 400)
    assert needle in r.json()["message"]
    assert (await emulator_stats())["submissions"]["total"] == 0


async def test_blocked_prompt_ends_in_error(emulator_client: httpx.AsyncClient) -> None:
    r = await submit(emulator_client, prompt="a [[block]] fox")
    done = await finished(emulator_client, r.json()["id"])
    assert done["status"] == "error" and "moderation" in done["error"]["message"]


async def test_auth_credit_and_stats() -> None:
    async with client_for(fast(keys={"rich": 10.0, "poor": 0.5})) as c:
        assert_error_body(await submit(c, headers={}), 401)
        assert_error_body(await submit(c, headers={"Authorization": "Bearer poor"}), 403)
        r = await submit(c, headers={"Authorization": "Bearer rich"})
        s = (await c.get("/__emulator__/stats")).json()
        assert s["submissions"]["by_provider"] == {"aimlapi": 1}
        assert s["jobs"][r.json()["id"]]["model"] == "minimax/h3"


async def test_nulls_take_the_defaults(emulator_client: httpx.AsyncClient) -> None:
    body = {"model": "minimax/h3", "prompt": "fox", "resolution": None, "ratio": None}
    r = await emulator_client.post(PATH, json={**body, "duration": None}, headers=BEARER)
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["usage"]["usd_spent"] == pytest.approx(0.78)  # 6 s at 2K
