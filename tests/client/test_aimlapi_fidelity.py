"""AI/ML API variants the evidence allows: a failed job's error shapes, the cost billed at
submit (credits and USD), and its image formats (no WebP). The client runs against the
emulator over a real socket, configured to answer each variant."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from hailuo_nb.client import Client
from hailuo_nb.display import final_text
from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread
from hailuo_nb.errors import JobFailed, ProviderError, ValidationError
from hailuo_nb.params import build_request
from hailuo_nb.providers.aimlapi import AimlApi

from .conftest import requests_to, stats

#: The emulator's price of a 6 s 768P hailuo-2.3 job on AI/ML (the catalog estimates $0.29).
BILLED = 0.30
INPUT_BLOCKED = "The prompt was flagged as sensitive content by moderation"
OUTPUT_BLOCKED = "The generated video was flagged as sensitive content by moderation"


def image(fmt: str, size: tuple[int, int] = (640, 360)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "teal").save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """``serve(**config)``: a fast emulator with these settings on a real socket."""
    stack: list[Any] = []

    def start(**overrides: Any) -> str:
        cfg = EmulatorConfig(time_scale=2000.0, preview=True, seed=5, **overrides)
        server = serve_in_thread(create_app(cfg))
        stack.append(server)
        return str(server.__enter__())

    yield start
    for server in reversed(stack):
        server.__exit__(None, None, None)


# -- a failed job's error: {"name", "message"}, {"detail": [...]}, a plain string ---------


@pytest.mark.parametrize(
    ("shape", "prompt", "reason"),
    [
        ("name_message", "a fox [[block-output]]", f"{OUTPUT_BLOCKED} (ContentModerationError)"),
        ("detail", "a fox [[block-output]]", OUTPUT_BLOCKED),
        ("detail", "a [[block]] fox", f"prompt: {INPUT_BLOCKED}"),
        ("string", "a fox [[block-output]]", OUTPUT_BLOCKED),
    ],
)
async def test_every_error_shape_reaches_the_user_with_its_reason(
    make_client: Callable[..., Client],
    serve: Callable[..., str],
    shape: str,
    prompt: str,
    reason: str,
) -> None:
    base = serve(aimlapi_error_shape=shape)
    async with make_client("aimlapi", base_url=f"{base}/aimlapi") as client:
        job = await client.submit(prompt)
        with pytest.raises(JobFailed) as info:
            await client.wait(job)
        stored = client.get(job.id)
    assert info.value.reason == reason
    assert stored is not None and stored.status == "failed" and stored.error == reason
    shown = final_text(stored)
    assert shown.startswith(f"hailuo job {job.id} failed: {reason} · $0.30 billed")


def test_several_detail_messages_are_joined_with_where_they_point() -> None:
    body = {
        "id": "1:minimax/hailuo-2.3",
        "status": "error",
        "error": {
            "detail": [
                {"loc": ["body", "image_url"], "msg": "Could not detect face", "type": "x"},
                {"loc": ["body"], "msg": "too dark", "type": "y"},
            ]
        },
    }
    update = AimlApi("http://h", "k").parse("status", "1", httpx.Response(200, json=body))
    assert update.status == "failed"
    assert update.reason == "image_url: Could not detect face; too dark"


def test_an_http_error_in_the_detail_shape_keeps_its_message() -> None:
    body = {"detail": [{"loc": ["body", "duration"], "msg": "must be 6 or 10", "type": "v"}]}
    with pytest.raises(ProviderError, match="duration: must be 6 or 10"):
        AimlApi("http://h", "k").parse_submit(httpx.Response(422, json=body))


# -- the billed cost, reported at submit ----------------------------------------------


@pytest.mark.parametrize("usd_spent", [True, False], ids=["usd_spent", "credits_only"])
async def test_the_billed_cost_is_recorded_at_submit_and_kept(
    make_client: Callable[..., Client], serve: Callable[..., str], usd_spent: bool
) -> None:
    base = serve(aimlapi_usd_spent=usd_spent)
    async with make_client("aimlapi", base_url=f"{base}/aimlapi") as client:
        assert str(client.estimate_cost()) == "~$0.29 (estimate)"
        job = await client.submit("a red fox")
        # Known as soon as the submit answers: no waiting for the end, as on Segmind.
        assert job.cost is not None and not job.cost.estimated
        assert job.cost.usd == pytest.approx(BILLED)
        assert client.get(job.id).cost == job.cost  # type: ignore[union-attr]
        done = await client.wait(job)
        spending = client.spending()
    assert done.status == "completed" and done.cost == job.cost
    assert "$0.30" in final_text(done) and "estimate" not in final_text(done)
    assert spending["actual_usd"] == pytest.approx(BILLED) and spending["estimated_usd"] == 0


async def test_a_failed_job_keeps_its_billed_cost_and_it_counts(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    # AI/ML reports the charge at submit; whether a job ending in error is refunded is not
    # documented, so the charge it reported stays on the job and counts as spent.
    async with make_client("aimlapi") as client:
        job = await client.submit("a fox [[block-output]]")
        with pytest.raises(JobFailed):
            await client.wait(job)
        failed = client.get(job.id)
        spending = client.spending()
    assert failed is not None and failed.status == "failed"
    assert failed.cost is not None and not failed.cost.estimated
    assert failed.cost.usd == pytest.approx(BILLED)
    assert spending["failed"] == 1 and spending["actual_usd"] == pytest.approx(BILLED)


# -- images: JPG/JPEG/PNG only on AI/ML --------------------------------------------------


async def test_a_webp_frame_is_refused_for_aimlapi_before_anything_is_sent(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    webp = image("WEBP")
    async with make_client("aimlapi") as client:
        with pytest.raises(ValidationError) as info:
            await client.submit("a fox", model="hailuo-2.3-fast", first_frame=webp)
        with pytest.raises(ValidationError, match="not WebP"):
            await client.submit("a fox", first_frame="https://example.invalid/frame.WebP")
        # The same frame as PNG goes through.
        png = image("PNG")
        job = await client.submit("a fox", model="hailuo-2.3-fast", first_frame=png)
    message = str(info.value)
    assert message == (
        "first_frame: aimlapi takes JPG or PNG images only, not WebP; convert it to PNG first"
    )
    assert job.id and stats(emulator_url)["submissions"]["total"] == 1
    assert requests_to(emulator_url, "POST /aimlapi/v2/video/generations") == {"200": 1}


async def test_the_emulator_refuses_webp_as_aimlapi_would(emulator_url: str) -> None:
    # What the user would get if the client let a WebP frame through.
    data = "data:image/webp;base64," + base64.b64encode(image("WEBP")).decode()
    async with httpx.AsyncClient() as http:
        r = await http.post(
            f"{emulator_url}/aimlapi/v2/video/generations",
            headers={"Authorization": "Bearer k"},
            json={"model": "minimax/hailuo-2.3-fast", "prompt": "a fox", "image_url": data},
        )
    assert r.status_code == 400
    assert r.json()["message"] == (
        "image_url: image format WEBP is not supported; use JPG, JPEG or PNG"
    )
    with pytest.raises(ProviderError, match="image format WEBP is not supported"):
        AimlApi("http://h", "k").parse_submit(r)


def test_webp_is_still_taken_where_minimax_rules_apply() -> None:
    for provider in ("minimax", "segmind", "emulator"):
        request = build_request(provider, "a fox", first_frame=image("WEBP"))
        assert request.first_frame is not None and request.first_frame.mime == "image/webp"
    jpeg = build_request("aimlapi", "a fox", first_frame=image("JPEG"))
    assert jpeg.first_frame is not None and jpeg.first_frame.mime == "image/jpeg"
