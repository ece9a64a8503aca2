"""AI/ML API variants the emulator can answer with: a failed job's error shapes, the usage
it reports at submit, and its refusal of WebP images (the official schema: JPG/JPEG/PNG)."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from hailuo_nb.emulator.__main__ import config_from_args, parse_args

from .helpers import BEARER, client_for, fast, poll
from .test_aimlapi import PATH, assert_error_body, submit

MODERATED = "The generated video was flagged as sensitive content by moderation"


def encoded(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 360), "teal").save(buf, fmt)
    return buf.getvalue()


async def failed_error(shape: str, prompt: str) -> Any:
    async with client_for(fast(aimlapi_error_shape=shape)) as client:
        r = await submit(client, prompt=prompt)
        p = await poll(client, f"{PATH}?generation_id={r.json()['id']}", {"error"}, headers=BEARER)
        return p.json()["error"]


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("name_message", {"name": "ContentModerationError", "message": MODERATED}),
        ("detail", {"detail": [{"loc": ["body"], "msg": MODERATED, "type": "content_moderation"}]}),
        ("string", MODERATED),
    ],
)
async def test_a_failed_jobs_error_takes_the_configured_shape(shape: str, expected: Any) -> None:
    assert await failed_error(shape, "a fox [[block-output]]") == expected


async def test_a_refused_prompt_points_at_the_prompt_in_the_detail_shape() -> None:
    error = await failed_error("detail", "a [[block]] fox")
    assert error["detail"][0]["loc"] == ["body", "prompt"]


def test_an_unknown_error_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="aimlapi_error_shape"):
        fast(aimlapi_error_shape="xml")


@pytest.mark.parametrize(
    ("usd_spent", "usage"),
    [
        (True, {"credits_used": 600_000, "usd_spent": 0.30}),
        (False, {"credits_used": 600_000}),  # as in the seed
    ],
)
async def test_usage_reports_the_price_in_credits_and_usd(
    usd_spent: bool, usage: dict[str, Any]
) -> None:
    async with client_for(fast(aimlapi_usd_spent=usd_spent)) as client:
        r = await submit(client)
        assert r.json()["meta"]["usage"] == usage  # 2,000,000 credits = 1 USD
        p = await client.get(f"{PATH}?generation_id={r.json()['id']}", headers=BEARER)
        assert p.json()["meta"]["usage"] == usage


@pytest.mark.parametrize(
    "image_url",
    [
        "data:image/webp;base64," + base64.b64encode(encoded("WEBP")).decode(),
        base64.b64encode(encoded("WEBP")).decode(),  # raw base64: still WebP inside
        "data:image/png;base64," + base64.b64encode(encoded("WEBP")).decode(),  # a wrong label
        "https://example.invalid/frames/fox.webp?sig=1",
    ],
    ids=["data-url", "raw-base64", "mislabelled", "url"],
)
async def test_webp_is_refused_with_the_error_body(
    emulator_client: httpx.AsyncClient, image_url: str
) -> None:
    r = await submit(emulator_client, model="minimax/hailuo-2.3-fast", image_url=image_url)
    assert_error_body(r, 400)
    assert (
        r.json()["message"] == "image_url: image format WEBP is not supported; use JPG, JPEG or PNG"
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
async def test_jpg_and_png_are_taken(emulator_client: httpx.AsyncClient, fmt: str) -> None:
    data = f"data:image/{fmt.lower()};base64," + base64.b64encode(encoded(fmt)).decode()
    r = await submit(
        emulator_client, model="minimax/hailuo-02", image_url=data, last_image_url=data
    )
    assert r.status_code == 200


async def test_a_webp_last_frame_is_refused_too(emulator_client: httpx.AsyncClient) -> None:
    png = "data:image/png;base64," + base64.b64encode(encoded("PNG")).decode()
    webp = "data:image/webp;base64," + base64.b64encode(encoded("WEBP")).decode()
    r = await submit(emulator_client, model="minimax/hailuo-02", image_url=png, last_image_url=webp)
    assert_error_body(r, 400)
    assert r.json()["message"].startswith("last_image_url: image format WEBP")


def test_the_command_line_reaches_the_variants() -> None:
    cfg = config_from_args(
        parse_args(["--aimlapi-error-shape", "detail", "--aimlapi-credits-only"])
    )
    assert cfg.aimlapi_error_shape == "detail" and cfg.aimlapi_usd_spent is False
    default = config_from_args(parse_args([]))
    assert default.aimlapi_error_shape == "name_message" and default.aimlapi_usd_spent is True
    with pytest.raises(SystemExit):
        parse_args(["--aimlapi-error-shape", "xml"])
