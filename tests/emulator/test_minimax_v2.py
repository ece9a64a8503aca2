"""MiniMax V2 (H3) contract: create/query/list/cancel, uploads, regeneration, every
request rule with its documented error, URL freshness, the 7-day window and the MP4s."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hailuo_nb.emulator import h3
from hailuo_nb.emulator.h3content import MAX_BODY

from . import h3helpers as m
from .helpers import client_for, fast

KEY = {"Authorization": "Bearer sk-api-test"}
CREATE = "/minimax/v2/video_generation"
QUERY = "/minimax/v2/query/video_generation"
REGENERATE = "/minimax/v2/video_regeneration"
UPLOAD = "/minimax/v1/files/upload"
DAY = 86400.0


def text(t: str = "a red fox in snow") -> dict[str, Any]:
    return {"type": "text", "text": t}


def item(kind: str, url: str, role: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": f"{kind}_url", f"{kind}_url": {"url": url}}
    if role is not None:
        out["role"] = role
    return out


def img(role: str | None = "reference_image", url: str = "https://example.com/i.png") -> dict:
    return item("image", url, role)


def vid(url: str = "https://example.com/v.mp4", role: str = "reference_video") -> dict:
    return item("video", url, role)


def aud(url: str = "https://example.com/a.wav", role: str = "reference_audio") -> dict:
    return item("audio", url, role)


def body(**over: Any) -> dict[str, Any]:
    """A valid text-to-video create body, with some fields changed (None removes one)."""
    out: dict[str, Any] = {
        "model": "MiniMax-H3",
        "content": [text()],
        "resolution": "768P",
        "duration": 5,
        "ratio": "16:9",
    }
    out.update(over)
    return {k: v for k, v in out.items() if v is not None}


async def create(
    client: httpx.AsyncClient, json: Any = None, headers: dict[str, str] = KEY, **over: Any
) -> httpx.Response:
    return await client.post(CREATE, json=body(**over) if json is None else json, headers=headers)


def error(r: httpx.Response, status: int, kind: str, needle: str = "") -> str:
    """Assert V2's OpenAI-style error body; return its message."""
    assert r.status_code == status, r.text
    b = r.json()
    assert set(b) == {"type", "error", "request_id"} and b["type"] == "error"
    assert set(b["error"]) == {"type", "message", "http_code"}
    assert b["error"]["type"] == kind and b["error"]["http_code"] == str(status)
    assert re.fullmatch(r"[0-9a-f]{32}", b["request_id"])
    assert "base_resp" not in b
    message: str = b["error"]["message"]
    assert needle in message, message
    return message


def bad(r: httpx.Response, needle: str) -> None:
    msg = error(r, 400, "bad_request_error", needle)
    assert msg.startswith("invalid params, ") and msg.endswith(" (2013)")


async def task(client: httpx.AsyncClient, tid: str) -> dict[str, Any]:
    r = await client.get(f"{QUERY}/{tid}", headers=KEY)
    assert r.status_code == 200, r.text
    t: dict[str, Any] = r.json()["task"]
    return t


async def finish(client: httpx.AsyncClient, tid: str, timeout: float = 20.0) -> list[dict]:
    """Query until the task ends; return every task object seen."""
    seen: list[dict] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        seen.append(await task(client, tid))
        if seen[-1]["status"] in ("succeeded", "failed", "cancelled"):
            return seen
        assert asyncio.get_running_loop().time() < deadline, seen[-3:]
        await asyncio.sleep(0.02)  # leave the render thread the GIL


async def made(client: httpx.AsyncClient, **over: Any) -> dict[str, Any]:
    """Create a task and return it succeeded."""
    r = await create(client, **over)
    assert r.status_code == 200, r.text
    done = (await finish(client, r.json()["task_id"]))[-1]
    assert done["status"] == "succeeded", done
    return done


async def download(client: httpx.AsyncClient, url: str) -> m.Probe:
    r = await client.get(url)
    assert r.status_code == 200
    return m.probe(r.content)


async def advance(client: httpx.AsyncClient, seconds: float) -> None:
    await client.post("/__emulator__/clock", json={"advance": seconds})


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    s: dict[str, Any] = (await client.get("/__emulator__/stats")).json()
    return s


async def upload(
    client: httpx.AsyncClient,
    data: bytes,
    filename: str,
    purpose: str = "video_generation_input",
    headers: dict[str, str] = KEY,
) -> httpx.Response:
    return await client.post(
        UPLOAD, data={"purpose": purpose}, files={"file": (filename, data)}, headers=headers
    )


# -- the happy path and the file ------------------------------------------------------


async def test_create_query_download() -> None:
    # Slow enough (~0.35 s, 50 ms queued) for the first query to see "queued".
    async with client_for(fast(time_scale=200.0)) as client:
        r = await create(client)
        assert r.status_code == 200 and set(r.json()) == {"task_id"}  # no base_resp on V2
        tid = r.json()["task_id"]
        assert re.fullmatch(r"\d{15}", tid)
        seen = await finish(client, tid)
        p = await download(client, seen[-1]["content"]["url"])
    assert seen[0]["status"] == "queued"
    assert [t["status"] for t in seen] == sorted(
        (t["status"] for t in seen), key=["queued", "running", "succeeded"].index
    )
    for t in seen[:-1]:
        assert t["usage"] == {} and "content" not in t
    done = seen[-1]
    assert {k: done[k] for k in ("id", "model", "resolution", "duration", "ratio")} == {
        "id": tid,
        "model": "MiniMax-H3",
        "resolution": "768P",
        "duration": 5,
        "ratio": "16:9",
    }
    assert (done["task_type"], done["modality"]) == ("generation", "video")
    assert done["created_at"] <= done["updated_at"] and isinstance(done["created_at"], int)
    usage = done["usage"]
    assert usage["output_seconds"] == usage["total_seconds"] == 5 and usage["input_seconds"] == 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    # Preview shrinks the picture to 320x192 (multiples of 32), never the sound.
    assert (p.width, p.height, p.fps, p.frames) == (320, 192, 24.0, 124)
    assert (p.audio_codec, p.sample_rate, p.channels) == ("aac", 32000, 2)
    assert p.audio_seconds == pytest.approx(124 / 24, abs=0.03)
    assert p.video_seconds == pytest.approx(124 / 24, abs=0.01)


async def test_full_size_mp4_is_1344x768_24fps_with_aac_stereo_32k() -> None:
    async with client_for(fast(preview=False)) as client:
        done = await made(client, duration=4)
        p = await download(client, done["content"]["url"])
    assert (p.width, p.height, p.fps, p.video_codec) == (1344, 768, 24.0, "h264")
    assert p.frames == 107  # 4 s on the 17n+5 grid, at least 107 frames
    assert (p.audio_codec, p.sample_rate, p.channels) == ("aac", 32000, 2)
    assert p.audio_seconds == pytest.approx(p.frames / 24, abs=0.03)


def test_size_table() -> None:
    sizes = {(res, r): h3.frame_size(res, r) for res in ("768P", "2K") for r in h3.RATIOS[1:]}
    assert sizes[("768P", "16:9")] == (1344, 768) and sizes[("2K", "16:9")] == (2560, 1440)
    assert sizes[("768P", "9:16")] == (768, 1344) and sizes[("2K", "9:16")] == (1440, 2560)
    assert sizes[("768P", "4:3")] == (1024, 768) and sizes[("2K", "3:4")] == (1440, 1920)
    assert sizes[("768P", "1:1")] == (768, 768) and sizes[("2K", "1:1")] == (1440, 1440)
    assert sizes[("768P", "21:9")] == (1536, 672) and sizes[("2K", "21:9")] == (2880, 1260)
    for (res, _), (w, hgt) in sizes.items():
        if res == "768P":  # the open-weights rule: multiples of 32, area <= 768x1344
            assert w % 32 == hgt % 32 == 0 and w * hgt <= 768 * 1344
    assert [h3.frame_size("480P", r) for r in ("16:9", "3:4")] == [(832, 480), (480, 640)]
    assert [h3.frame_count("2K", d) for d in (5, 8)] == [120, 192]  # as measured


@pytest.mark.parametrize(
    ("resolution", "ratio", "duration", "size", "frames"),
    [("2K", "9:16", 5, (192, 320), 120), ("768P", "21:9", 6, (320, 128), 141)],
)
async def test_other_sizes_keep_their_shape_and_length(
    emulator_client: httpx.AsyncClient,
    resolution: str,
    ratio: str,
    duration: int,
    size: tuple[int, int],
    frames: int,
) -> None:
    done = await made(emulator_client, resolution=resolution, ratio=ratio, duration=duration)
    p = await download(emulator_client, done["content"]["url"])
    assert ((p.width, p.height), p.frames) == (size, frames)
    assert p.audio_seconds == pytest.approx(frames / 24, abs=0.03)


async def test_first_frame_sets_the_ratio(emulator_client: httpx.AsyncClient) -> None:
    # i2va is always adaptive: a given ratio is ignored without error.
    content = [text(), img(None, m.image_uri(360, 640))]  # no role = first_frame
    r = await create(emulator_client, content=content, ratio="16:9")
    tid = r.json()["task_id"]
    assert (await task(emulator_client, tid))["ratio"] == "adaptive"
    done = (await finish(emulator_client, tid))[-1]
    assert done["ratio"] == "9:16" and done["usage"]["input_image_count"] == 1
    p = await download(emulator_client, done["content"]["url"])
    assert (p.width, p.height) == (192, 320)


async def test_reference_image_sets_an_adaptive_ratio(emulator_client: httpx.AsyncClient) -> None:
    done = await made(emulator_client, content=[text(), img(url=m.image_uri(600, 600))], ratio=None)
    assert done["ratio"] == "1:1"


async def test_h3_max_480p(emulator_client: httpx.AsyncClient) -> None:
    done = await made(
        emulator_client,
        model="MiniMax-H3-Max",
        resolution="480P",
        extra={"prompt_expansion_mode": "quality"},
        aigc_watermark=True,
        seed=42,  # an unknown field (Comfy sends it): ignored
    )
    assert (done["model"], done["resolution"]) == ("MiniMax-H3-Max", "480P")
    # H3-Max's resolution is "described as default 768P".
    done = await made(emulator_client, model="MiniMax-H3-Max", resolution=None)
    assert done["resolution"] == "768P"


async def test_timing_and_billing(emulator_app: Any, emulator_client: httpx.AsyncClient) -> None:
    state = emulator_app.state.emulator
    state.config.spread = 0.0
    ids = []
    for res in ("768P", "2K"):
        ids.append((await create(emulator_client, resolution=res)).json()["task_id"])
    jobs = [state.jobs[i] for i in ids]
    scale = state.config.time_scale
    assert [round((j.finished - j.created) * scale) for j in jobs] == [69, 175]
    assert [j.price for j in jobs] == [0.4, 0.65]  # $0.08/s at 768P, $0.13/s at 2K
    for tid in ids:
        await finish(emulator_client, tid)
    s = await stats(emulator_client)
    assert s["submissions"]["by_provider"] == {"minimax": 2}
    assert all(s["jobs"][i]["charged"] for i in ids)
    assert state.account("sk-api-test").balance == pytest.approx(1000 - 1.05)


# -- request rules: one case per rule, each with the documented 400 ----------------------

TEN_IMAGES = [img() for _ in range(10)]
RULES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown model", {"model": "MiniMax-H4"}, "model must be one of"),
    ("v1 model", {"model": "MiniMax-Hailuo-2.3"}, "model must be one of"),
    ("content missing", {"content": None}, "content is required"),
    ("content not an array", {"content": "a fox"}, "content must be an array"),
    ("item not an object", {"content": [text(), "x"]}, "content[1] must be an object"),
    ("item type unknown", {"content": [text(), {"type": "pdf_url"}]}, "content[1].type"),
    ("no text item", {"content": [img(None)]}, "non-empty text item (prompt is required)"),
    ("empty text", {"content": [text("  ")]}, "non-empty text item (prompt is required)"),
    ("text not a string", {"content": [{"type": "text", "text": 5}]}, "text must be a string"),
    ("two text items", {"content": [text(), text("b")]}, "exactly one text item"),
    ("text over 7000", {"content": [text("x" * 7001)]}, "at most 7000 characters"),
    ("resolution missing", {"resolution": None}, "resolution is required"),
    ("resolution lower case", {"resolution": "768p"}, "resolution must be one of 768P, 2K"),
    ("1080P", {"resolution": "1080P"}, "resolution must be one of"),
    ("480P on H3", {"resolution": "480P"}, "resolution must be one of 768P, 2K"),
    (
        "2K on H3-Max",
        {"model": "MiniMax-H3-Max", "resolution": "2K"},
        "resolution must be one of 480P, 768P",
    ),
    ("duration missing", {"duration": None}, "duration is required"),
    ("duration as string", {"duration": "5"}, "duration must be an integer"),
    ("duration as float", {"duration": 5.5}, "duration must be an integer"),
    ("duration as bool", {"duration": True}, "duration must be an integer"),
    ("duration 3", {"duration": 3}, "from 4 to 15"),
    ("duration 16", {"duration": 16}, "from 4 to 15"),
    ("duration 4 on H3-Max", {"model": "MiniMax-H3-Max", "duration": 4}, "from 5 to 15"),
    ("ratio unknown", {"ratio": "2:1"}, "ratio must be one of"),
    ("text-only adaptive", {"ratio": "adaptive"}, "must not be adaptive"),
    ("text-only without ratio", {"ratio": None}, "ratio is required"),
    ("two first frames", {"content": [text(), img(None), img("first_frame")]}, "one first_frame"),
    ("two last frames", {"content": [text(), img("last_frame"), img("last_frame")]}, "last_frame"),
    ("keyframes with references", {"content": [text(), img(None), img()]}, "cannot be combined"),
    ("10 reference images", {"content": [text(), *TEN_IMAGES]}, "at most 9 reference_image"),
    ("4 reference videos", {"content": [text(), *[vid()] * 4]}, "at most 3 reference_video"),
    ("4 reference audio", {"content": [text(), img(), *[aud()] * 4]}, "at most 3 reference_aud"),
    ("audio alone", {"content": [text(), aud()]}, "cannot be the only reference"),
    (
        "13 references",
        {"content": [text(), *[img()] * 9, *[vid()] * 3, aud()]},
        "at most 12 reference files",
    ),
    ("video without role", {"content": [text(), item("video", "https://e.com/v.mp4")]}, "role"),
    ("role of another type", {"content": [text(), img("reference_video")]}, "not valid"),
    ("base_video on create", {"content": [text(), vid(role="base_video")]}, "not valid"),
    ("url missing", {"content": [text(), {"type": "image_url", "role": "first_frame"}]}, "url"),
    ("url scheme", {"content": [text(), img(url="ftp://e.com/i.png")]}, "public URL, mm_file"),
    (
        "data URI upper case",
        {"content": [text(), img(url=m.image_uri().replace("image/png", "image/PNG"))]},
        "lower case",
    ),
    (
        "data URI of another kind",
        {"content": [text(), img(url=m.data_uri("video/mp4", m.clip()))]},
        "not one of image/jpeg",
    ),
    ("data URI not base64", {"content": [text(), img(url="data:image/png;base64,@@")]}, "base64"),
    ("extra on H3", {"extra": {"prompt_expansion_mode": "quality"}}, "only supported by"),
    (
        "expansion 'balance'",
        {"model": "MiniMax-H3-Max", "extra": {"prompt_expansion_mode": "balance"}},
        "prompt_expansion_mode must be one of",
    ),
    (
        "expansion empty",
        {"model": "MiniMax-H3-Max", "extra": {"prompt_expansion_mode": ""}},
        "prompt_expansion_mode must be one of",
    ),
    (
        "expansion boolean",
        {"model": "MiniMax-H3-Max", "extra": {"prompt_expansion_mode": True}},
        "prompt_expansion_mode must be one of",
    ),
    (
        "extra unknown key",
        {"model": "MiniMax-H3-Max", "extra": {"prompt_expansion": "quality"}},
        "extra does not allow",
    ),
    ("callback_url", {"callback_url": "not a url"}, "callback_url"),
    ("aigc_watermark", {"aigc_watermark": "yes"}, "aigc_watermark must be a boolean"),
    ("mm_file unknown", {"content": [text(), img(url="mm_file://123")]}, "file 123 not found"),
]


@pytest.mark.parametrize(("over", "needle"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
async def test_rule(
    emulator_client: httpx.AsyncClient, emulator_stats: Any, over: dict[str, Any], needle: str
) -> None:
    bad(await create(emulator_client, **over), needle)
    assert (await emulator_stats())["submissions"]["total"] == 0


async def test_limits_are_inclusive(emulator_client: httpx.AsyncClient) -> None:
    ok = [
        {"content": [text("x" * 7000)]},
        {"duration": 4},
        {"duration": 15, "model": "MiniMax-H3-Max", "resolution": "480P"},
        {"content": [text(), *[img()] * 9, *[vid()] * 3], "ratio": None},
        {"content": [text(), img("first_frame"), img("last_frame")], "ratio": None},
        {"content": [text(), img(), *[aud()] * 3]},
    ]
    for over in ok:
        r = await create(emulator_client, **over)
        assert r.status_code == 200, (over, r.text)


async def test_body_is_json_of_at_most_64_mb(emulator_client: httpx.AsyncClient) -> None:
    post = emulator_client.post
    bad(
        await post(CREATE, content=b"{", headers={**KEY, "content-type": "application/json"}),
        "not valid JSON",
    )
    bad(await post(CREATE, json=[1], headers=KEY), "must be a JSON object")
    bad(
        await post(CREATE, content=b"{}", headers={**KEY, "content-type": "text/plain"}),
        "Content-Type must be application/json",
    )
    huge = b'{"model": "MiniMax-H3", "pad": "' + b"x" * MAX_BODY + b'"}'
    bad(
        await post(CREATE, content=huge, headers={**KEY, "content-type": "application/json"}),
        "at most 64 MB",
    )


def _video(data: bytes) -> dict[str, Any]:
    return vid(m.data_uri("video/mp4", data))


def _audio(data: bytes) -> dict[str, Any]:
    return aud(m.data_uri("audio/wav", data))


# Items are made when the case runs: some are tens of megabytes.
MEDIA_RULES: list[tuple[str, Callable[[], list[dict[str, Any]]], str]] = [
    ("image side under 256", lambda: [img(url=m.image_uri(250, 400))], "each side of an image"),
    ("image side over 5760", lambda: [img(url=m.image_uri(5800, 2400, "JPEG"))], "each side"),
    ("image ratio over 2.5", lambda: [img(url=m.image_uri(1000, 300))], "between 0.4 and 2.5"),
    ("image ratio under 0.4", lambda: [img(url=m.image_uri(300, 1000))], "between 0.4 and 2.5"),
    (
        "image GIF",
        lambda: [img(url=m.data_uri("image/png", m.image(640, 360, "GIF")))],
        "not JPG, PNG",
    ),
    (
        "image undecodable",
        lambda: [img(url=m.data_uri("image/png", b"\x89PNG nope"))],
        "cannot be decoded",
    ),
    (
        "image over 30 MB",
        lambda: [img(url=m.data_uri("image/png", b"\0" * ((30 << 20) + 1)))],
        "at most 30 MB",
    ),
    ("video under 2 s", lambda: [_video(m.clip(1.5))], "2-15 s long"),
    ("video over 15 s", lambda: [_video(m.clip(16.0))], "2-15 s long"),
    ("videos over 15 s in total", lambda: [_video(m.clip(8.0))] * 2, "must total at most 15 s"),
    ("video at 15 fps", lambda: [_video(m.clip(3.0, fps=15))], "23.976-60 fps"),
    ("video MPEG-4", lambda: [_video(m.mpeg4_clip())], "not H.264 or H.265"),
    ("video undecodable", lambda: [_video(b"\0\0\0\x18ftypmp42")], "cannot be decoded"),
    ("audio under 2 s", lambda: [img(), _audio(m.wav(1.0))], "2-15 s long"),
    ("audio over 15 s", lambda: [img(), _audio(m.wav(16.0))], "2-15 s long"),
    (
        "audio over 15 s in total",
        lambda: [img(), _audio(m.wav(8.0)), _audio(m.wav(8.0))],
        "must total at most 15 s",
    ),
    ("audio FLAC", lambda: [img(), _audio(m.flac())], "must be WAV or MP3"),
    ("audio over 15 MB", lambda: [img(), _audio(b"\0" * ((15 << 20) + 1))], "at most 15 MB"),
]


@pytest.mark.parametrize(
    ("items", "needle"), [r[1:] for r in MEDIA_RULES], ids=[r[0] for r in MEDIA_RULES]
)
async def test_media_rule(
    emulator_client: httpx.AsyncClient, items: Callable[[], list[dict[str, Any]]], needle: str
) -> None:
    bad(await create(emulator_client, content=[text(), *items()], ratio=None), needle)


async def test_our_video_is_not_an_image(emulator_client: httpx.AsyncClient) -> None:
    done = await made(emulator_client)
    content = [text(), img(url=done["content"]["url"])]
    bad(await create(emulator_client, content=content, ratio=None), "is a video, not an image")


async def test_video_over_50_mb_is_refused_at_upload(emulator_client: httpx.AsyncClient) -> None:
    r = await upload(emulator_client, b"\0" * ((50 << 20) + 1), "big.mp4")
    assert r.status_code == 400 and "at most 50 MB" in r.json()["base_resp"]["status_msg"]


# -- references: uploads (mm_file://), data URIs, our own outputs -------------------------


async def test_references_by_upload(emulator_client: httpx.AsyncClient) -> None:
    r = await upload(emulator_client, m.image(800, 600, "JPEG"), "ref.jpg")
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["base_resp"] == {"status_code": 0, "status_msg": "success"}
    assert (
        isinstance(f["file"]["file_id"], int) and f["file"]["purpose"] == "video_generation_input"
    )
    assert f["file"]["bytes"] == len(m.image(800, 600, "JPEG"))
    image_id = f["file"]["file_id"]
    clip_id = (await upload(emulator_client, m.clip(3.0), "c.mp4")).json()["file"]["file_id"]
    sound_id = (await upload(emulator_client, m.wav(4.0), "s.wav")).json()["file"]["file_id"]
    done = await made(
        emulator_client,
        content=[
            text(),
            img(url=f"mm_file://{image_id}"),
            vid(f"mm_file://{clip_id}"),
            aud(f"mm_file://{sound_id}"),
        ],
        ratio=None,
    )
    assert done["ratio"] == "4:3"  # adaptive: from the reference image
    u = done["usage"]
    assert (u["input_image_count"], u["input_seconds"], u["input_audio_seconds"]) == (1, 3, 4)
    assert u["total_seconds"] == 5 + 3


async def test_references_by_data_uri(
    emulator_app: Any, emulator_client: httpx.AsyncClient
) -> None:
    content = [
        text(),
        *[img(url=m.image_uri())] * 7,
        vid(m.data_uri("video/mp4", m.clip(2.5))),
        aud(m.data_uri("audio/wav", m.wav(6.0))),
    ]
    r = await create(emulator_client, content=content, ratio="1:1")
    done = (await finish(emulator_client, r.json()["task_id"]))[-1]
    assert done["ratio"] == "1:1"
    u = done["usage"]
    assert (u["input_image_count"], u["input_seconds"], u["input_audio_seconds"]) == (7, 3, 6)
    # $0.08/s for 5 s out + 3 s of reference video, 2 images past the 5 free at $0.04.
    assert emulator_app.state.emulator.jobs[done["id"]].price == pytest.approx(0.72)


async def test_upload_rules(emulator_client: httpx.AsyncClient) -> None:
    cases = [
        (await upload(emulator_client, m.image(), "a.png", purpose="fine-tune"), "purpose"),
        (await emulator_client.post(UPLOAD, data={"purpose": "x"}, headers=KEY), "file"),
        (await upload(emulator_client, b"%PDF", "a.pdf"), "not an image"),
        (await upload(emulator_client, m.image(200, 200), "a.png"), "each side"),
        (await upload(emulator_client, m.clip(1.0), "a.mp4"), "2-15 s"),
    ]
    for r, needle in cases:
        assert r.status_code == 400
        resp = r.json()["base_resp"]
        assert resp["status_code"] == 2013 and needle in resp["status_msg"]


async def test_upload_auth_is_v1_style(emulator_client: httpx.AsyncClient) -> None:
    r = await upload(emulator_client, m.image(), "a.png", headers={})
    assert r.status_code == 200 and r.json()["base_resp"]["status_code"] == 1004


async def test_mm_file_rules(emulator_client: httpx.AsyncClient) -> None:
    fid = (await upload(emulator_client, m.image(), "a.png")).json()["file"]["file_id"]
    as_video = [text(), vid(f"mm_file://{fid}")]
    bad(await create(emulator_client, content=as_video, ratio=None), "is an image, not a video")
    other = {"Authorization": "Bearer sk-api-other"}
    r = await create(emulator_client, content=[text(), img(url=f"mm_file://{fid}")], headers=other)
    bad(r, "not found")  # another key's file
    await advance(emulator_client, 7 * DAY + 1)
    r = await create(emulator_client, content=[text(), img(url=f"mm_file://{fid}")], ratio=None)
    bad(r, "expired")


async def test_an_earlier_output_as_reference(emulator_client: httpx.AsyncClient) -> None:
    first = await made(emulator_client)
    url = first["content"]["url"]
    fid = url.rsplit("/", 1)[1].split(".mp4")[0]
    for ref in (url, f"mm_file://{fid}"):
        done = await made(emulator_client, content=[text(), img(), vid(ref)], ratio="16:9")
        assert done["usage"]["input_seconds"] == 6  # 124 frames = 5.17 s, started seconds
    await advance(emulator_client, DAY + 1)  # the URL has expired: it cannot be fetched
    bad(await create(emulator_client, content=[text(), img(), vid(url)]), "cannot be downloaded")


# -- errors with real HTTP status codes ---------------------------------------------------


async def test_401(emulator_client: httpx.AsyncClient) -> None:
    msg = error(await create(emulator_client, headers={}), 401, "authorized_error", "(1004)")
    assert msg.startswith("login fail")
    async with client_for(fast(keys={"sk-api-test": 5.0})) as c:
        r = await create(c, headers={"Authorization": "Bearer sk-api-nobody"})
        error(r, 401, "authorized_error")
        error(await c.get(f"{QUERY}/1", headers={}), 401, "authorized_error")


async def test_402_for_plan_keys_and_low_balance() -> None:
    async with client_for(fast(keys={"sk-cp-plan": 100.0, "sk-api-poor": 0.3})) as c:
        r = await create(c, headers={"Authorization": "Bearer sk-cp-plan"})
        error(r, 402, "insufficient_balance_error", "insufficient balance (1008)")
        r = await create(c, headers={"Authorization": "Bearer sk-api-poor"})
        error(r, 402, "insufficient_balance_error", "(1008)")
        assert (await stats(c))["submissions"]["total"] == 0


async def test_422_moderation_at_submit(emulator_client: httpx.AsyncClient) -> None:
    content = [text("a [[block]] fox")]
    r = await create(emulator_client, content=content)
    error(r, 422, "unprocessable_entity_error", "sensitive content (1026)")
    assert (await stats(emulator_client))["submissions"]["total"] == 0


async def test_output_moderation_is_a_failed_task(emulator_client: httpx.AsyncClient) -> None:
    r = await create(emulator_client, content=[text("a [[block-output]] fox")])
    done = (await finish(emulator_client, r.json()["task_id"]))[-1]
    assert done["status"] == "failed" and done["usage"] == {} and "content" not in done
    assert done["error"]["code"] == "1027"  # a string, as documented
    s = await stats(emulator_client)
    assert s["submissions"]["total"] == 1 and not s["jobs"][done["id"]]["charged"]


async def test_429_rate_limit_and_tasks_in_flight() -> None:
    async with client_for(fast(rate_limit_rpm=2)) as c:
        for _ in range(2):
            await c.get(f"{QUERY}/1", headers=KEY)
        error(await create(c), 429, "rate_limit_error", "rate limit, please retry later (1002)")
    async with client_for(fast(time_scale=1.0, minimax_v2_max_in_flight=2)) as c:
        assert [(await create(c)).status_code for _ in range(2)] == [200, 200]
        error(await create(c), 429, "rate_limit_error", "in flight")
        assert (await stats(c))["submissions"]["total"] == 2


@pytest.mark.parametrize(
    ("endpoint", "kind", "status", "type_"),
    [
        ("minimax.v2.submit", "500", 500, "server_error"),
        ("minimax.v2.submit", "529", 529, "overloaded_error"),
        ("minimax.v2.submit", "429", 429, "rate_limit_error"),
        ("minimax.v2.query", "1002", 429, "rate_limit_error"),
        ("minimax.v2.list", "500", 500, "server_error"),
        ("minimax.v2.cancel", "500", 500, "server_error"),
        ("minimax.v2.regenerate", "529", 529, "overloaded_error"),
    ],
)
async def test_faults(
    emulator_client: httpx.AsyncClient, endpoint: str, kind: str, status: int, type_: str
) -> None:
    fault = {"endpoint": endpoint, "kind": kind, "times": 1}
    await emulator_client.post("/__emulator__/faults", json={"faults": [fault]})
    method, path = {
        "minimax.v2.submit": ("POST", CREATE),
        "minimax.v2.query": ("GET", f"{QUERY}/1"),
        "minimax.v2.list": ("GET", QUERY),
        "minimax.v2.cancel": ("DELETE", f"{CREATE}/1"),
        "minimax.v2.regenerate": ("POST", REGENERATE),
    }[endpoint]
    r = await emulator_client.request(method, path, json=body(), headers=KEY)
    error(r, status, type_)
    s = await stats(emulator_client)
    assert s["faults_injected"] == {f"{endpoint}:{kind}": 1} and s["submissions"]["total"] == 0


async def test_drop_after_submit_keeps_the_task(emulator_client: httpx.AsyncClient) -> None:
    fault = {"endpoint": "minimax.v2.submit", "kind": "drop_after", "times": 1}
    await emulator_client.post("/__emulator__/faults", json={"faults": [fault]})
    with pytest.raises(httpx.RemoteProtocolError):
        await create(emulator_client)
    # The task exists although the client never heard of it: the list finds it.
    listed = (await emulator_client.get(QUERY, headers=KEY)).json()
    assert listed["total"] == 1 and (await stats(emulator_client))["submissions"]["total"] == 1


async def test_upload_fault(emulator_client: httpx.AsyncClient) -> None:
    fault = {"endpoint": "minimax.upload", "kind": "500", "times": 1}
    await emulator_client.post("/__emulator__/faults", json={"faults": [fault]})
    r = await upload(emulator_client, m.image(), "a.png")
    assert r.status_code == 500 and r.json()["base_resp"]["status_code"] == 1000


# -- cancel and delete --------------------------------------------------------------------


async def test_cancel_a_queued_task() -> None:
    async with client_for(fast(time_scale=1.0, keys={"sk-api-test": 1.0})) as c:
        tid = (await create(c)).json()["task_id"]
        r = await c.delete(f"{CREATE}/{tid}", headers=KEY)
        assert r.status_code == 200
        assert r.json() == {"task_id": tid, "action": "cancelled", "status": "cancelled"}
        t = await task(c, tid)
        assert t["status"] == "cancelled" and t["usage"] == {} and "content" not in t
        bad(await c.delete(f"{CREATE}/{tid}", headers=KEY), "already cancelled")
        await advance(c, 600)  # long after it would have finished: still cancelled, unpaid
        assert (await task(c, tid))["status"] == "cancelled"
        s = await stats(c)
        assert s["submissions"]["total"] == 1  # it was accepted once...
        assert s["jobs"][tid] == {  # ...and never charged
            "provider": "minimax",
            "model": "MiniMax-H3",
            "status": "cancelled",
            "charged": False,
        }
        # The balance it reserved is free again: a $0.40 task fits the $1 balance twice.
        assert [(await create(c)).status_code for _ in range(2)] == [200, 200]


async def test_a_running_task_cannot_be_cancelled_a_finished_one_is_deleted() -> None:
    async with client_for(fast(time_scale=1.0, spread=0.0)) as c:
        tid = (await create(c)).json()["task_id"]  # 69 s: 10.35 s queued, then running
        await advance(c, 30)
        assert (await task(c, tid))["status"] == "running"
        bad(await c.delete(f"{CREATE}/{tid}", headers=KEY), "running and cannot be cancelled")
        await advance(c, 60)
        done = (await finish(c, tid))[-1]
        r = await c.delete(f"{CREATE}/{tid}", headers=KEY)
        assert r.json() == {"task_id": tid, "action": "deleted", "status": "succeeded"}
        bad(await c.get(f"{QUERY}/{tid}", headers=KEY), "invalid task_id")
        assert (await c.get(QUERY, headers=KEY)).json() == {"items": [], "total": 0}
        assert (await c.get(done["content"]["url"])).status_code == 404
        s = await stats(c)
        assert s["jobs"][tid]["charged"] and s["submissions"]["total"] == 1


async def test_cancel_frees_the_worker_slot() -> None:
    async with client_for(fast(time_scale=1.0, spread=0.0, workers_per_key=1)) as c:
        first = (await create(c)).json()["task_id"]
        await c.delete(f"{CREATE}/{first}", headers=KEY)
        second = (await create(c)).json()["task_id"]
        await advance(c, 15)  # without the slot back it would wait ~69 s
        assert (await task(c, second))["status"] == "running"


async def test_v1_does_not_know_v2_tasks(emulator_client: httpx.AsyncClient) -> None:
    tid = (await create(emulator_client)).json()["task_id"]
    r = await emulator_client.get(f"/minimax/v1/query/video_generation?task_id={tid}", headers=KEY)
    assert r.status_code == 200 and r.json()["base_resp"]["status_code"] == 2013
    assert (await task(emulator_client, tid))["id"] == tid


async def test_cancel_unknown_task(emulator_client: httpx.AsyncClient) -> None:
    bad(await emulator_client.delete(f"{CREATE}/123456789012345", headers=KEY), "invalid task_id")


# -- the list -----------------------------------------------------------------------------


async def test_list_filters_and_pages() -> None:
    async with client_for(fast(time_scale=1.0)) as c:
        ids = [(await create(c)).json()["task_id"] for _ in range(2)]
        ids.append((await create(c, model="MiniMax-H3-Max", resolution="480P")).json()["task_id"])
        await c.delete(f"{CREATE}/{ids[0]}", headers=KEY)

        async def listing(**params: Any) -> dict[str, Any]:
            r = await c.get(QUERY, params=params, headers=KEY)
            assert r.status_code == 200, r.text
            out: dict[str, Any] = r.json()
            return out

        everything = await listing()
        assert everything["total"] == 3
        assert {t["id"] for t in everything["items"]} == set(ids)
        assert everything["items"][0]["id"] == ids[2]  # newest first
        assert all(t["usage"] == {} and "content" not in t for t in everything["items"])
        assert [t["id"] for t in (await listing(**{"filter.status": "cancelled"}))["items"]] == [
            ids[0]
        ]
        assert (await listing(**{"filter.model": "MiniMax-H3-Max"}))["total"] == 1
        assert (await listing(**{"filter.task_ids": f"{ids[0]},{ids[1]}"}))["total"] == 2
        assert (await listing(**{"filter.task_type": "regeneration"}))["total"] == 0
        page = await listing(page_num=2, page_size=2)
        assert page["total"] == 3 and len(page["items"]) == 1
        bad(await c.get(QUERY, params={"page_size": 0}, headers=KEY), "page_size")
        bad(await c.get(QUERY, params={"filter.status": "done"}, headers=KEY), "filter.status")
        mine_only = await c.get(QUERY, headers={"Authorization": "Bearer sk-api-other"})
        assert mine_only.json() == {"items": [], "total": 0}


# -- URLs and the 7-day window -----------------------------------------------------------


async def test_every_query_signs_a_fresh_url(emulator_client: httpx.AsyncClient) -> None:
    done = await made(emulator_client)
    old = done["content"]["url"]
    assert "Expires=" in old and "Signature=" in old
    await advance(emulator_client, 23 * 3600)
    new = (await task(emulator_client, done["id"]))["content"]["url"]
    assert new != old
    listed = (await emulator_client.get(QUERY, headers=KEY)).json()["items"][0]
    assert listed["content"]["url"].startswith(new.split("?")[0])
    await advance(emulator_client, 2 * 3600)  # the first URL is 25 h old: expired
    expired = await emulator_client.get(old)
    assert expired.status_code == 403 and "expired" in expired.text
    assert (await emulator_client.get(new)).status_code == 200
    tampered = new.replace("Signature=", "Signature=0")
    assert (await emulator_client.get(tampered)).status_code == 403


async def test_tasks_are_kept_7_days(emulator_client: httpx.AsyncClient) -> None:
    done = await made(emulator_client)
    await advance(emulator_client, 7 * DAY - 60)
    assert (await task(emulator_client, done["id"]))["status"] == "succeeded"
    await advance(emulator_client, 120)
    bad(await emulator_client.get(f"{QUERY}/{done['id']}", headers=KEY), "invalid task_id")
    assert (await emulator_client.get(QUERY, headers=KEY)).json()["total"] == 0
    bad(await emulator_client.delete(f"{CREATE}/{done['id']}", headers=KEY), "invalid task_id")


# -- regeneration and Context-IR ----------------------------------------------------------


def regen(base_url: str, **over: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "model": "MiniMax-H3",
        "content": [text(), vid(base_url, role="base_video")],
        "resolution": "2K",
    }
    out.update(over)
    return {k: v for k, v in out.items() if v is not None}


async def test_regeneration_of_a_768p_output(
    emulator_app: Any, emulator_client: httpx.AsyncClient
) -> None:
    base = await made(emulator_client, ratio="9:16")
    fid = base["content"]["url"].rsplit("/", 1)[1].split(".mp4")[0]
    for ref in (base["content"]["url"], f"mm_file://{fid}"):
        r = await emulator_client.post(
            REGENERATE, json=regen(ref, aigc_watermark=True), headers=KEY
        )
        assert r.status_code == 200 and set(r.json()) == {"task_id"}, r.text
        done = (await finish(emulator_client, r.json()["task_id"]))[-1]
        assert done["status"] == "succeeded"
        assert (done["task_type"], done["resolution"], done["ratio"]) == ("regeneration", "2K", "")
        assert done["duration"] == 5 and done["usage"]["output_seconds"] == 5
        assert emulator_app.state.emulator.jobs[done["id"]].price == pytest.approx(0.25)
        assert emulator_app.state.emulator.jobs[done["id"]].width == 1440  # 2K 9:16
        p = await download(emulator_client, done["content"]["url"])
        assert ((p.width, p.height), p.frames, p.audio_codec) == ((192, 320), 124, "aac")
    listed = await emulator_client.get(
        QUERY, params={"filter.task_type": "regeneration"}, headers=KEY
    )
    assert listed.json()["total"] == 2


async def test_regeneration_of_an_uploaded_768p_file(emulator_client: httpx.AsyncClient) -> None:
    good = m.clip_with_sound(124, 320, 192)  # 24 fps, sound, x32 sides, 17n+5 frames
    r = await emulator_client.post(
        REGENERATE, json=regen(m.data_uri("video/mp4", good)), headers=KEY
    )
    assert r.status_code == 200, r.text
    done = (await finish(emulator_client, r.json()["task_id"]))[-1]
    assert done["status"] == "succeeded" and done["duration"] == 5


REGEN_RULES: list[tuple[str, dict[str, Any], str]] = [
    ("H3-Max", {"model": "MiniMax-H3-Max"}, "MiniMax-H3 only"),
    ("resolution missing", {"resolution": None}, "resolution is required"),
    ("resolution 768P", {"resolution": "768P"}, "resolution must be 2K"),
    ("no base_video", {"content": [text(), img(None)]}, "exactly one video_url with role base"),
    ("no text", {"content": [vid("https://e.com/v.mp4", role="base_video")]}, "non-empty text"),
    (
        "two base videos",
        {"content": [text(), *[vid("https://e.com/v.mp4", role="base_video")] * 2]},
        "exactly one",
    ),
    (
        "base without sound",
        {
            "content": [
                text(),
                vid(m.data_uri("video/mp4", m.clip(124 / 24, 24, 320, 192)), role="base_video"),
            ]
        },
        "it has no audio",
    ),
    (
        "base off the frame grid",
        {
            "content": [
                text(),
                vid(m.data_uri("video/mp4", m.clip_with_sound(120, 320, 192)), role="base_video"),
            ]
        },
        "120 frames is not 107-362 in steps of 17",
    ),
    (
        "base not a multiple of 32",
        {
            "content": [
                text(),
                vid(m.data_uri("video/mp4", m.clip_with_sound(124, 320, 180)), role="base_video"),
            ]
        },
        "320x180 is not a 768P H3 size",
    ),
]


@pytest.mark.parametrize(
    ("over", "needle"), [r[1:] for r in REGEN_RULES], ids=[r[0] for r in REGEN_RULES]
)
async def test_regeneration_rule(
    emulator_client: httpx.AsyncClient, over: dict[str, Any], needle: str
) -> None:
    r = await emulator_client.post(
        REGENERATE, json=regen("https://e.com/v.mp4", **over), headers=KEY
    )
    bad(r, needle)


async def test_regeneration_needs_an_h3_768p_output(emulator_client: httpx.AsyncClient) -> None:
    two_k = await made(emulator_client, resolution="2K")
    r = await emulator_client.post(REGENERATE, json=regen(two_k["content"]["url"]), headers=KEY)
    bad(r, "unmodified MiniMax-H3 768P output")


async def test_context_ir(emulator_client: httpx.AsyncClient) -> None:
    r = await emulator_client.post(
        "/minimax/v2/h3_context_ir",
        json=body(content=[text("a fox crosses a frozen river")], duration=8, resolution=None),
        headers=KEY,
    )
    assert r.status_code == 200, r.text
    done = (await finish(emulator_client, r.json()["task_id"]))[-1]
    assert (done["task_type"], done["modality"]) == ("h3_context_ir", "text")
    assert done["content"]["prompt"].startswith("integrated_multimodal_description: ")
    assert "[Shot 1]" in done["content"]["prompt"] and "resolution" not in done
    assert set(done["usage"]) == {"total_tokens", "prompt_tokens", "completion_tokens"}


# -- a real socket and the command line ---------------------------------------------------


async def test_on_a_real_socket(emulator_url: str) -> None:
    async with httpx.AsyncClient(base_url=emulator_url) as client:
        fid = (await upload(client, m.image(640, 480), "r.png")).json()["file"]["file_id"]
        done = await made(client, content=[text(), img(url=f"mm_file://{fid}")], ratio=None)
        assert done["content"]["url"].startswith(emulator_url)
        p = await download(client, done["content"]["url"])
        assert (p.width, p.height, p.audio_codec) == (320, 256, "aac")  # 4:3, from the image


def test_cli_options() -> None:
    from hailuo_nb.emulator.__main__ import config_from_args, parse_args

    cfg = config_from_args(
        parse_args(["--minimax-v2-url-ttl", "60", "--minimax-v2-in-flight", "3"])
    )
    assert (cfg.minimax_v2_url_ttl_s, cfg.minimax_v2_max_in_flight) == (60.0, 3)
    with pytest.raises(ValueError):
        config_from_args(parse_args(["--minimax-v2-in-flight", "0"]))
