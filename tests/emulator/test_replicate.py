"""Replicate predictions contract: create, wait, deadlines, cancel, list, retention, errors."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

import httpx
import pytest

from .helpers import client_for, fast
from .hosted_helpers import advance, png_data_url, probe_media, set_faults, stats, until

TOKEN = {"Authorization": "Bearer r8_test"}
CREATE = "/replicate/v1/models/minimax/hailuo-2.3/predictions"
H3 = "/replicate/v1/models/minimax/h3/predictions"
TERMINAL = {"succeeded", "failed", "canceled", "aborted"}


def realtime(**overrides: Any) -> Any:
    """Real-time durations (hailuo-2.3: 150 s, starting for 22.5 s), moved by the clock."""
    return client_for(fast(time_scale=1.0, spread=0.0, **overrides))


async def create(
    client: httpx.AsyncClient,
    path: str = CREATE,
    headers: dict[str, str] | None = None,
    **inputs: Any,
) -> dict[str, Any]:
    inputs.setdefault("prompt", "a red fox in snow")
    r = await client.post(path, json={"input": inputs}, headers={**TOKEN, **(headers or {})})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def ended(
    client: httpx.AsyncClient, prediction: dict[str, Any], key: dict[str, str] = TOKEN
) -> dict[str, Any]:
    r = await until(
        client, prediction["urls"]["get"], key, lambda r: r.json()["status"] in TERMINAL
    )
    body: dict[str, Any] = r.json()
    return body


async def test_create_poll_and_download(emulator_client: httpx.AsyncClient) -> None:
    r = await emulator_client.post(
        CREATE, json={"input": {"prompt": "a fox", "duration": 6}}, headers=TOKEN
    )
    assert r.status_code == 201
    p = r.json()
    pid = p["id"]
    assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{26}", pid)
    assert r.headers["location"] == p["urls"]["get"]
    assert (p["model"], p["version"], p["status"]) == ("minimax/hailuo-2.3", "hidden", "starting")
    assert p["input"] == {"prompt": "a fox", "duration": 6}  # echoed as sent, no defaults
    assert (p["output"], p["error"], p["data_removed"], p["started_at"]) == (
        None,
        None,
        False,
        None,
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", p["created_at"])
    base = "http://emulator/replicate"
    assert p["urls"] == {
        "get": f"{base}/v1/predictions/{pid}",
        "cancel": f"{base}/v1/predictions/{pid}/cancel",
        "stream": f"{base}/stream/v1/files/{pid}",
        "web": f"{base}/p/{pid}",
    }

    done = await ended(emulator_client, p)
    assert done["status"] == "succeeded"
    assert done["output"] == f"{base}/delivery/{pid}/output.mp4"
    assert done["started_at"] and done["completed_at"]
    assert 0 < done["metrics"]["predict_time"] <= done["metrics"]["total_time"]
    assert done["logs"].endswith("Video generated\n")
    video = await emulator_client.get(done["output"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    media = probe_media(video.content)
    assert (media.width, media.height, media.audio_codec) == (320, 180, None)
    assert media.seconds == pytest.approx(6.0, abs=0.1)

    # The older "Token" scheme is still accepted.
    old = await emulator_client.get(p["urls"]["get"], headers={"Authorization": "Token r8_test"})
    assert old.status_code == 200
    s = await stats(emulator_client)
    assert s["submissions"]["by_provider"] == {"replicate": 1}
    assert s["requests"]["POST /replicate/v1/models/{owner}/{name}/predictions"] == {"201": 1}


async def test_prefer_wait_returns_the_ended_prediction(emulator_client: httpx.AsyncClient) -> None:
    r = await emulator_client.post(
        CREATE, json={"input": {"prompt": "x"}}, headers={**TOKEN, "Prefer": "wait"}
    )
    assert r.status_code == 201
    assert r.json()["status"] == "succeeded" and r.json()["output"].endswith("/output.mp4")


async def test_an_unfinished_wait_says_starting() -> None:
    # 150 s / 50 = 3 s: processing after 0.45 s, still running when the 1 s wait ends.
    async with client_for(fast(time_scale=50.0, spread=0.0)) as client:
        start = asyncio.get_running_loop().time()
        r = await client.post(
            CREATE, json={"input": {"prompt": "x"}}, headers={**TOKEN, "Prefer": "wait=1"}
        )
        assert 0.95 < asyncio.get_running_loop().time() - start < 1.5
        # replicate-python treats anything but "starting" as final after a wait.
        assert r.json()["status"] == "starting"
        again = await client.get(r.json()["urls"]["get"], headers=TOKEN)
        assert again.json()["status"] == "processing"


@pytest.mark.parametrize(
    ("header", "value"),
    [("Prefer", "wait=0"), ("Prefer", "wait=61"), ("Prefer", "wait=soon"), ("Cancel-After", "4s")],
)
async def test_bad_wait_and_deadline_headers(
    emulator_client: httpx.AsyncClient, header: str, value: str
) -> None:
    r = await emulator_client.post(
        CREATE, json={"input": {"prompt": "x"}}, headers={**TOKEN, header: value}
    )
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert (await stats(emulator_client))["submissions"]["total"] == 0


@pytest.mark.parametrize("aborted", [False, True])
async def test_cancel_after_before_start(aborted: bool) -> None:
    async with realtime(replicate_aborted=aborted, keys={"t": 0.30}) as client:
        key = {"Authorization": "Bearer t"}
        p = await create(client, headers={**key, "Cancel-After": "10"})
        assert p["status"] == "starting"
        await advance(client, 11)  # it would have started at 22.5 s
        after = (await client.get(p["urls"]["get"], headers=key)).json()
        assert after["status"] == ("aborted" if aborted else "canceled")
        assert after["started_at"] is None and "predict_time" not in after["metrics"]
        assert after["output"] is None and after["error"] is None
        # Not charged: the budget still covers a 0.28 job.
        await create(client, headers=key)


async def test_cancel_after_while_running_is_charged() -> None:
    async with realtime(keys={"t": 0.30}) as client:
        key = {"Authorization": "Bearer t"}
        p = await create(client, headers={**key, "Cancel-After": "1m"})
        assert p["deadline"] is not None
        await advance(client, 30)
        assert (await client.get(p["urls"]["get"], headers=key)).json()["status"] == "processing"
        await advance(client, 31)
        after = (await client.get(p["urls"]["get"], headers=key)).json()
        assert after["status"] == "canceled"
        assert after["metrics"]["predict_time"] == pytest.approx(37.5, abs=0.01)
        assert after["logs"].startswith("Generating with minimax/hailuo-2.3\n")
        refused = await client.post(CREATE, json={"input": {"prompt": "x"}}, headers=key)
        assert refused.status_code == 402 and refused.json()["title"] == "Insufficient credit"


async def test_cancel_after_is_on_the_scaled_clock() -> None:
    # Like job durations, the deadline is divided by time_scale: 60 s / 10 = 6 s, while the
    # 150 s job takes 15 s (started after 2.25 s).
    async with client_for(fast(time_scale=10.0, spread=0.0)) as client:
        p = await create(client, headers={"Cancel-After": "1m"})
        created = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        deadline = datetime.fromisoformat(p["deadline"].replace("Z", "+00:00"))
        assert (deadline - created).total_seconds() == pytest.approx(6.0, abs=0.002)
        await advance(client, 7)
        after = (await client.get(p["urls"]["get"], headers=TOKEN)).json()
        assert after["status"] == "canceled"
        assert after["metrics"]["predict_time"] == pytest.approx(3.75, abs=0.01)


async def test_cancel_before_and_after_start() -> None:
    async with realtime(keys={"t": 0.60}) as client:
        key = {"Authorization": "Bearer t"}
        early = await create(client, headers=key)
        r = await client.post(early["urls"]["cancel"], headers=key)
        assert r.status_code == 200 and r.json()["status"] == "canceled"
        assert r.json()["started_at"] is None

        late = await create(client, headers=key)
        await advance(client, 30)
        r = await client.post(late["urls"]["cancel"], headers=key)
        assert r.json()["status"] == "canceled" and r.json()["metrics"]["predict_time"] > 0
        # Cancelling an ended prediction answers it unchanged.
        again = await client.post(late["urls"]["cancel"], headers=key)
        assert again.status_code == 200 and again.json() == r.json()
        # Only the one that had started was charged: 0.32 left, one more 0.28 job fits.
        await create(client, headers=key)
        assert (
            await client.post(CREATE, json={"input": {"prompt": "x"}}, headers=key)
        ).status_code == 402
        missing = await client.post("/replicate/v1/predictions/nope/cancel", headers=key)
        assert missing.status_code == 404 and missing.json()["status"] == 404


async def test_cancel_race_is_charged() -> None:
    async with realtime(keys={"t": 0.30}) as client:
        key = {"Authorization": "Bearer t"}
        p = await create(client, headers=key)
        await set_faults(client, {"endpoint": "replicate.cancel", "kind": "cancel_race"})
        r = await client.post(p["urls"]["cancel"], headers=key)
        body = r.json()
        assert body["status"] == "canceled" and body["started_at"] is not None
        assert (
            await client.post(CREATE, json={"input": {"prompt": "x"}}, headers=key)
        ).status_code == 402
        assert (await stats(client))["faults_injected"] == {"replicate.cancel:cancel_race": 1}


async def test_succeeded_prediction_cannot_be_cancelled(emulator_client: httpx.AsyncClient) -> None:
    done = await ended(emulator_client, await create(emulator_client))
    r = await emulator_client.post(done["urls"]["cancel"], headers=TOKEN)
    assert r.status_code == 200 and r.json()["status"] == "succeeded"


async def test_list_is_paginated_newest_first(emulator_client: httpx.AsyncClient) -> None:
    ids = [(await create(emulator_client, prompt="same"))["id"] for _ in range(101)]
    await create(emulator_client, headers={"Authorization": "Bearer other"})
    first = (await emulator_client.get("/replicate/v1/predictions", headers=TOKEN)).json()
    assert [p["id"] for p in first["results"]] == ids[::-1][:100]
    assert first["previous"] is None and first["next"].startswith(
        "http://emulator/replicate/v1/predictions?cursor="
    )
    second = (await emulator_client.get(first["next"], headers=TOKEN)).json()
    assert [p["id"] for p in second["results"]] == [ids[0]]
    assert second["next"] is None and second["previous"]
    back = (await emulator_client.get(second["previous"], headers=TOKEN)).json()
    assert [p["id"] for p in back["results"]] == ids[::-1][:100]
    bad = await emulator_client.get("/replicate/v1/predictions?cursor=%%%", headers=TOKEN)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("path", "inputs", "invalid"),
    [
        (
            CREATE,
            {"prompt": "x", "duration": "6"},
            ("invalid_type", "input.duration", "Invalid type. Expected: integer, given: string"),
        ),
        (
            CREATE,
            {"prompt": "x", "resolution": "768P"},
            (
                "enum",
                "input.resolution",
                'resolution must be one of the following: "768p", "1080p"',
            ),
        ),
        (CREATE, {"duration": 6}, ("required", "input", "prompt is required")),
        (
            "/replicate/v1/models/minimax/hailuo-2.3-fast/predictions",
            {"prompt": "x", "first_frame_image": "fox.png"},
            ("format", "input.first_frame_image", "Does not match format 'uri'"),
        ),
        (
            H3,
            {"prompt": "x", "duration": 3},
            ("number_gte", "input.duration", "Must be greater than or equal to 4"),
        ),
        (
            H3,
            {"prompt": "x", "resolution": "2k"},
            ("enum", "input.resolution", 'resolution must be one of the following: "768P", "2K"'),
        ),
    ],
)
async def test_schema_errors_are_422_problems(
    emulator_client: httpx.AsyncClient,
    path: str,
    inputs: dict[str, Any],
    invalid: tuple[str, str, str],
) -> None:
    r = await emulator_client.post(path, json={"input": inputs}, headers=TOKEN)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    kind, field, description = invalid
    assert r.json() == {
        "title": "Input validation failed",
        "detail": f"- {field}: {description}\n",
        "status": 422,
        "invalid_fields": [{"type": kind, "field": field, "description": description}],
    }
    assert (await stats(emulator_client))["submissions"]["total"] == 0


@pytest.mark.parametrize(
    ("path", "inputs", "reason"),
    [
        (CREATE, {"duration": 10, "resolution": "1080p"}, "only available at 768p"),
        (
            "/replicate/v1/models/minimax/hailuo-02/predictions",
            {"resolution": "512p"},
            "image-to-video",
        ),
        (H3, {"ratio": "adaptive"}, "choose a ratio for text-to-video"),
        (H3, {"reference_audio_urls": ["https://example.com/a.mp3"]}, "reference audio needs"),
    ],
)
async def test_rules_beyond_the_schema_fail_the_prediction(
    emulator_client: httpx.AsyncClient, path: str, inputs: dict[str, Any], reason: str
) -> None:
    p = await create(emulator_client, path, **inputs)
    done = await ended(emulator_client, p)
    assert done["status"] == "failed" and reason in done["error"]
    assert done["output"] is None


async def test_refusals(emulator_client: httpx.AsyncClient) -> None:
    none = await emulator_client.post(CREATE, json={"input": {"prompt": "x"}})
    assert none.status_code == 401
    assert none.json() == {
        "title": "Unauthenticated",
        "detail": "You did not pass a valid authentication token",
        "status": 401,
    }
    unknown = "/replicate/v1/models/minimax/h3-max/predictions"
    assert (
        await emulator_client.post(unknown, json={"input": {}}, headers=TOKEN)
    ).status_code == 404
    no_input = await emulator_client.post(CREATE, json={}, headers=TOKEN)
    assert no_input.status_code == 422
    not_json = await emulator_client.post(CREATE, content=b"{", headers=TOKEN)
    assert not_json.status_code == 400
    other = await emulator_client.get("/replicate/v1/predictions/abc", headers=TOKEN)
    assert other.status_code == 404 and other.json()["title"] == "Not found"


async def test_create_by_version(emulator_client: httpx.AsyncClient) -> None:
    r = await emulator_client.post(
        "/replicate/v1/predictions",
        json={"version": "minimax/hailuo-2.3:0123abcd", "input": {"prompt": "x"}},
        headers=TOKEN,
    )
    assert r.status_code == 201 and r.json()["model"] == "minimax/hailuo-2.3"
    bare = await emulator_client.post(
        "/replicate/v1/predictions", json={"version": "0123abcd", "input": {}}, headers=TOKEN
    )
    assert bare.status_code == 422


async def test_rate_limit_says_when_it_resets() -> None:
    async with client_for(fast(rate_limit_rpm=2)) as client:
        codes = [
            (await client.get("/replicate/v1/predictions", headers=TOKEN)).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        r = await client.get("/replicate/v1/predictions", headers=TOKEN)
        assert re.fullmatch(
            r"Request was throttled\. Your rate limit resets in ~(5\d|60)s\.", r.json()["detail"]
        )
        assert "retry-after" not in r.headers
        await advance(client, 61)
        assert (await client.get("/replicate/v1/predictions", headers=TOKEN)).status_code == 200


async def test_outputs_are_removed_after_an_hour() -> None:
    async with realtime() as client:
        p = await create(client)
        await advance(client, 200)
        done = await ended(client, p)
        assert done["status"] == "succeeded" and done["data_removed"] is False
        await until(client, done["output"], {}, lambda r: r.status_code == 200)
        await advance(client, 3500)  # 50 s short of an hour after the end
        assert (await client.get(done["output"])).status_code == 200
        await advance(client, 100)
        gone = (await client.get(p["urls"]["get"], headers=TOKEN)).json()
        assert gone["data_removed"] is True and gone["status"] == "succeeded"
        assert (gone["input"], gone["output"], gone["logs"]) == (None, None, None)
        assert (await client.get(done["output"])).status_code == 404
        listed = (await client.get("/replicate/v1/predictions", headers=TOKEN)).json()
        assert listed["results"][0]["data_removed"] is True


@pytest.mark.parametrize(
    ("kind", "status"), [("429", 429), ("500", 500), ("502", 502), ("504", 504)]
)
async def test_create_faults_happen_before_the_prediction(
    emulator_client: httpx.AsyncClient, kind: str, status: int
) -> None:
    await set_faults(emulator_client, {"endpoint": "replicate.create", "kind": kind, "times": 1})
    r = await emulator_client.post(CREATE, json={"input": {"prompt": "x"}}, headers=TOKEN)
    assert r.status_code == status
    if kind in ("429", "500"):
        assert r.headers["content-type"] == "application/problem+json"
    assert (await stats(emulator_client))["submissions"]["total"] == 0


async def test_faults_after_acceptance_and_on_reads(emulator_client: httpx.AsyncClient) -> None:
    await set_faults(
        emulator_client,
        {"endpoint": "replicate.create", "kind": "drop_after", "times": 1},
        {"endpoint": "replicate.get", "kind": "504", "times": 1},
        {"endpoint": "replicate.list", "kind": "malformed", "times": 1},
        {"endpoint": "replicate.cancel", "kind": "drop", "times": 1},
    )
    with pytest.raises(httpx.RemoteProtocolError):
        await emulator_client.post(CREATE, json={"input": {"prompt": "x"}}, headers=TOKEN)
    assert (await stats(emulator_client))["submissions"]["total"] == 1
    with pytest.raises(ValueError):
        (await emulator_client.get("/replicate/v1/predictions", headers=TOKEN)).json()
    listed = (await emulator_client.get("/replicate/v1/predictions", headers=TOKEN)).json()
    p = listed["results"][0]
    assert (await emulator_client.get(p["urls"]["get"], headers=TOKEN)).status_code == 504
    with pytest.raises(httpx.RemoteProtocolError):
        await emulator_client.post(p["urls"]["cancel"], headers=TOKEN)
    assert (await emulator_client.get(p["urls"]["get"], headers=TOKEN)).status_code == 200


async def test_h3_has_stereo_aac_sound(emulator_client: httpx.AsyncClient) -> None:
    p = await create(emulator_client, H3, duration=4)
    done = await ended(emulator_client, p)
    media = probe_media((await emulator_client.get(done["output"])).content)
    assert (media.width, media.height) == (320, 184)  # 1344×768 in preview
    assert media.seconds == pytest.approx(4.0, abs=0.1)
    assert (media.audio_codec, media.channels, media.sample_rate) == ("aac", 2, 32000)
    assert media.audio_seconds == pytest.approx(4.0, abs=0.1)

    lite = await create(
        emulator_client,
        "/replicate/v1/models/minimax/h3-lite/predictions",
        first_frame_image=png_data_url(400, 400),
        ratio="16:9",  # ignored: image-to-video follows the image
    )
    lite_done = await ended(emulator_client, lite)
    square = probe_media((await emulator_client.get(lite_done["output"])).content)
    assert (square.width, square.height, square.channels) == (320, 320, 2)


async def test_stream_and_web_urls(emulator_client: httpx.AsyncClient) -> None:
    p = await create(emulator_client)
    stream = await emulator_client.get(p["urls"]["stream"])
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.text.startswith("event: output\nid: 1\ndata: http://emulator/replicate/delivery/")
    assert stream.text.endswith("event: done\nid: 2\ndata: {}\n\n")
    page = await emulator_client.get(p["urls"]["web"])
    assert page.status_code == 200 and "succeeded" in page.text
