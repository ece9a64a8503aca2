"""fal.ai queue contract: submit, status, result, cancel, files, validation, faults."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from .helpers import client_for, fast
from .hosted_helpers import advance, png_data_url, probe_media, set_faults, stats, until

KEY = {"Authorization": "Key fal-test:secret"}
T2V = "/fal/fal-ai/minimax/hailuo-2.3/standard/text-to-video"
H3 = "/fal/minimax/h3/text-to-video"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def realtime(**overrides: Any) -> Any:
    """Real-time durations (hailuo-2.3: 150 s, queued for the first 22.5 s), moved by the clock."""
    return client_for(fast(time_scale=1.0, spread=0.0, **overrides))


async def submit(client: httpx.AsyncClient, path: str = T2V, **body: Any) -> dict[str, Any]:
    body.setdefault("prompt", "a red fox in snow")
    r = await client.post(path, json=body, headers=KEY)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def finished(
    client: httpx.AsyncClient, job: dict[str, Any], key: dict[str, str] = KEY
) -> httpx.Response:
    """The status once COMPLETED (200)."""
    return await until(client, job["status_url"], key, lambda r: r.status_code == 200)


async def result_ready(
    client: httpx.AsyncClient, job: dict[str, Any], key: dict[str, str] = KEY
) -> httpx.Response:
    """The result once it is no longer "still in progress" (the render may lag the clock)."""
    return await until(client, job["response_url"], key, lambda r: r.status_code != 400)


async def test_submit_status_result_download(emulator_client: httpx.AsyncClient) -> None:
    r = await emulator_client.post(T2V, json={"prompt": "a fox", "duration": "6"}, headers=KEY)
    assert r.status_code == 200
    job = r.json()
    rid = job["request_id"]
    assert re.fullmatch(UUID, rid)
    assert r.headers["x-fal-request-id"] == rid
    # Status, result and cancel live under the app (owner/alias), not the endpoint's path.
    root = f"http://emulator/fal/fal-ai/minimax/requests/{rid}"
    assert job["response_url"] == root
    assert job["status_url"] == f"{root}/status"
    assert job["cancel_url"] == f"{root}/cancel"
    assert job["status"] == "IN_QUEUE" and job["queue_position"] == 0

    seen = set()
    while True:
        s = await emulator_client.get(job["status_url"], headers=KEY)
        body = s.json()
        seen.add((s.status_code, body["status"]))
        if body["status"] == "IN_QUEUE":
            assert isinstance(body["queue_position"], int)
        if body["status"] == "COMPLETED":
            break
        assert body["logs"] is None  # not asked for
        await asyncio.sleep(0.02)
    assert seen <= {(202, "IN_QUEUE"), (202, "IN_PROGRESS"), (200, "COMPLETED")}
    assert s.status_code == 200
    assert body["metrics"]["inference_time"] > 0 and "error" not in body

    result = await result_ready(emulator_client, job)
    assert result.status_code == 200
    video = result.json()["video"]
    assert video["content_type"] == "video/mp4" and video["file_name"] == "output.mp4"
    download = await emulator_client.get(video["url"])
    assert download.status_code == 200 and download.headers["content-type"] == "video/mp4"
    assert len(download.content) == video["file_size"]
    media = probe_media(download.content)
    assert (media.width, media.height, media.pix_fmt) == (320, 180, "yuv420p")
    assert media.seconds == pytest.approx(6.0, abs=0.1)
    assert media.audio_codec is None  # Hailuo videos are silent

    s = await stats(emulator_client)
    assert s["submissions"]["by_provider"] == {"fal": 1}
    assert s["jobs"][rid] == {
        "provider": "fal",
        "model": "fal-ai/minimax/hailuo-2.3/standard/text-to-video",
        "status": "completed",
        "charged": True,  # a completed job is paid for
    }
    assert s["requests"]["POST /fal/{endpoint:path}"] == {"200": 1}
    assert "fal-test:secret" not in str(s)


async def test_result_is_400_while_running_and_logs_on_request() -> None:
    async with realtime() as client:
        job = await submit(client)
        early = await client.get(job["response_url"], headers=KEY)
        assert early.status_code == 400
        assert early.json() == {"detail": "Request is still in progress"}
        queued = await client.get(job["status_url"], params={"logs": "1"}, headers=KEY)
        assert queued.status_code == 202 and queued.json()["logs"] == []

        await advance(client, 60)  # queued 22.5 s, then processing until 150 s
        for flag in ("1", "true"):
            s = await client.get(job["status_url"], params={"logs": flag}, headers=KEY)
            assert s.status_code == 202 and s.json()["status"] == "IN_PROGRESS"
            logs = s.json()["logs"]
            assert [line["message"] for line in logs] == [
                "Generating with fal-ai/minimax/hailuo-2.3/standard/text-to-video",
                "Generation 25% done",
            ]
            assert set(logs[0]) == {"message", "level", "source", "timestamp"}
        # fal-client sends httpx's booleans: logs=false.
        s = await client.get(job["status_url"], params={"logs": "false"}, headers=KEY)
        assert s.json()["logs"] is None
        assert (await client.get(job["response_url"], headers=KEY)).status_code == 400

        await advance(client, 100)
        done = await finished(client, job)
        assert done.json()["metrics"]["inference_time"] == pytest.approx(127.5, abs=0.01)
        logs = (await client.get(job["status_url"] + "?logs=1", headers=KEY)).json()["logs"]
        assert logs[-1]["message"] == "Video ready" and len(logs) == 5
        assert (await result_ready(client, job)).status_code == 200


async def test_status_and_result_only_under_the_right_app(
    emulator_client: httpx.AsyncClient,
) -> None:
    job = await submit(emulator_client)
    rid = job["request_id"]
    # Under the endpoint's full path only the submit (POST) exists.
    full_path = f"{T2V}/requests/{rid}/status"
    assert (await emulator_client.get(full_path, headers=KEY)).status_code == 405
    wrong_app = await emulator_client.get(f"/fal/minimax/h3/requests/{rid}/status", headers=KEY)
    assert wrong_app.status_code == 404 and wrong_app.json() == {"detail": "Request not found"}
    other_key = await emulator_client.get(job["status_url"], headers={"Authorization": "Key b"})
    assert other_key.status_code == 404
    h3 = await submit(emulator_client, H3)
    assert h3["status_url"].startswith("http://emulator/fal/minimax/h3/requests/")


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        # fal's Hailuo durations are strings: the integer is a literal_error.
        (
            T2V,
            {"prompt": "x", "duration": 6},
            {
                "loc": ["body", "duration"],
                "msg": "Input should be '6' or '10'",
                "type": "literal_error",
                "input": 6,
                "ctx": {"expected": "'6' or '10'"},
            },
        ),
        (T2V, {}, {"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}),
        (
            "/fal/fal-ai/minimax/hailuo-02/standard/image-to-video",
            {"prompt": "x", "image_url": "https://example.com/a.png", "resolution": "768p"},
            {
                "loc": ["body", "resolution"],
                "msg": "Input should be '512P' or '768P'",
                "type": "literal_error",
                "input": "768p",
                "ctx": {"expected": "'512P' or '768P'"},
            },
        ),
        (
            H3,
            {"prompt": "x", "duration": 4},
            {
                "loc": ["body", "duration"],
                "msg": "Input should be greater than or equal to 5",
                "type": "greater_than_equal",
                "input": 4,
                "ctx": {"ge": 5},
            },
        ),
        (
            H3,
            {"prompt": "x", "resolution": "2k"},
            {
                "loc": ["body", "resolution"],
                "msg": "Input should be '480P', '768P', '2K' or '4K'",
                "type": "literal_error",
                "input": "2k",
                "ctx": {"expected": "'480P', '768P', '2K' or '4K'"},
            },
        ),
        (
            "/fal/minimax/h3/reference-to-video",
            {"prompt": "x", "reference_audio_urls": ["https://example.com/a.mp3"]},
            {
                "loc": ["body", "reference_audio_urls"],
                "msg": "Value error, reference audio needs a reference image or video",
                "type": "value_error",
                "input": 1,
                "ctx": {"error": "reference audio needs a reference image or video"},
            },
        ),
        (
            "/fal/minimax/h3/reference-to-video",
            {"prompt": "x", "reference_image_urls": ["https://example.com/a.png"] * 10},
            {
                "loc": ["body", "reference_image_urls"],
                "msg": "List should have at most 9 items after validation, not 10",
                "type": "too_long",
                "input": ["https://example.com/a.png"] * 10,
                "ctx": {"field_type": "List", "max_length": 9, "actual_length": 10},
            },
        ),
        (
            "/fal/minimax/h3/image-to-video",
            {"prompt": "x", "image_url": "not a url"},
            {
                "loc": ["body", "image_url"],
                "msg": "Input should be a valid URL, relative URL without a base",
                "type": "url_parsing",
                "input": "not a url",
            },
        ),
    ],
)
async def test_bad_input_completes_with_a_422_result(
    emulator_client: httpx.AsyncClient, path: str, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    # fal's runners check the input: the queue takes it, the job then ends COMPLETED.
    r = await emulator_client.post(path, json=body, headers=KEY)
    assert r.status_code == 200
    job = r.json()
    status = (await finished(emulator_client, job)).json()
    assert status["error_type"] == "validation_error" and status["error"] == expected["msg"]
    result = await emulator_client.get(job["response_url"], headers=KEY)
    assert result.status_code == 422
    assert result.json() == {"detail": [expected]}
    assert result.headers["x-fal-retryable"] == "false"
    s = await stats(emulator_client)
    assert s["submissions"]["total"] == 1  # accepted into the queue, never charged


async def test_refusals_at_submit() -> None:
    async with client_for(fast(keys={"rich": 100.0, "poor": 0.1})) as client:
        unknown = await client.post("/fal/fal-ai/minimax/hailuo-9", json={}, headers=KEY)
        assert unknown.status_code == 401  # the key is checked first
        rich = {"Authorization": "Key rich"}
        unknown = await client.post("/fal/fal-ai/minimax/hailuo-9", json={}, headers=rich)
        assert unknown.status_code == 404
        not_object = await client.post(T2V, content=b"[1]", headers=rich)
        assert not_object.status_code == 422 and not_object.json()["detail"][0]["loc"] == ["body"]
        assert (await client.post(T2V, json={"prompt": "x"})).status_code == 401
        bearer = await client.post(
            T2V, json={"prompt": "x"}, headers={"Authorization": "Bearer rich"}
        )
        assert bearer.status_code == 401 and "detail" in bearer.json()
        poor = await client.post(T2V, json={"prompt": "x"}, headers={"Authorization": "Key poor"})
        assert poor.status_code == 403 and "Exhausted balance" in poor.json()["detail"]
        assert (await stats(client))["submissions"]["total"] == 0


async def test_content_policy_is_a_422_result(emulator_client: httpx.AsyncClient) -> None:
    job = await submit(emulator_client, prompt="a fox [[block]]")
    status = (await finished(emulator_client, job)).json()
    assert status["error_type"] == "content_policy_violation"
    result = await emulator_client.get(job["response_url"], headers=KEY)
    assert result.status_code == 422
    item = result.json()["detail"][0]
    assert item["type"] == "content_policy_violation" and item["loc"] == ["body", "prompt"]

    late = await submit(emulator_client, prompt="a fox [[block-output]]")
    await finished(emulator_client, late)
    result = await emulator_client.get(late["response_url"], headers=KEY)
    assert result.status_code == 422
    assert result.json()["detail"][0]["type"] == "content_policy_violation"


async def test_queue_positions_follow_the_worker_slots() -> None:
    async with realtime(workers_per_key=1) as client:
        jobs = [await submit(client, prompt=f"fox {i}") for i in range(3)]
        assert [j["queue_position"] for j in jobs] == [0, 1, 2]
        await advance(client, 30)  # the first one runs now
        states = [(await client.get(j["status_url"], headers=KEY)).json() for j in jobs]
        assert [s["status"] for s in states] == ["IN_PROGRESS", "IN_QUEUE", "IN_QUEUE"]
        assert [s.get("queue_position") for s in states[1:]] == [0, 1]


async def test_cancel_before_start_frees_the_job_and_its_money() -> None:
    # 0.60 covers two 0.28 jobs: only if the cancelled one is no longer pending.
    async with realtime(workers_per_key=1, keys={"k": 0.60}) as client:
        key = {"Authorization": "Key k"}
        first = (await client.post(T2V, json={"prompt": "a"}, headers=key)).json()
        second = (await client.post(T2V, json={"prompt": "b"}, headers=key)).json()
        refused = await client.post(T2V, json={"prompt": "c"}, headers=key)
        assert refused.status_code == 403
        r = await client.put(second["cancel_url"], headers=key)
        assert (r.status_code, r.json()) == (202, {"status": "CANCELLATION_REQUESTED"})
        status = await client.get(second["status_url"], headers=key)
        assert status.status_code == 200
        assert status.json()["status"] == "COMPLETED"
        assert status.json()["error_type"] == "request_cancelled"
        result = await client.get(second["response_url"], headers=key)
        assert result.status_code == 400
        again = await client.put(second["cancel_url"], headers=key)
        assert (again.status_code, again.json()) == (400, {"status": "ALREADY_COMPLETED"})

        third = await client.post(T2V, json={"prompt": "c"}, headers=key)
        assert third.status_code == 200
        # The freed slot is free only once the first job leaves it: the third one queues.
        assert third.json()["queue_position"] == 1
        await advance(client, 400)
        assert (await result_ready(client, first, key)).status_code == 200
        assert (await result_ready(client, third.json(), key)).status_code == 200
        s = await stats(client)
        assert s["jobs"][second["request_id"]]["status"] == "failed"
        missing = await client.put(
            f"/fal/fal-ai/minimax/requests/{'0' * 8}-0000-4000-8000-{'0' * 12}/cancel", headers=key
        )
        assert (missing.status_code, missing.json()) == (404, {"status": "NOT_FOUND"})


@pytest.mark.parametrize("race", [False, True])
async def test_cancel_after_start_runs_on_and_is_charged(race: bool) -> None:
    async with realtime(keys={"k": 0.30}) as client:
        key = {"Authorization": "Key k"}
        job = (await client.post(T2V, json={"prompt": "a"}, headers=key)).json()
        if race:
            # Still IN_QUEUE when the client decides; it starts just before the cancel lands.
            await set_faults(client, {"endpoint": "fal.cancel", "kind": "cancel_race", "times": 1})
        else:
            await advance(client, 30)
        before = (await client.get(job["status_url"], headers=key)).json()["status"]
        assert before == ("IN_QUEUE" if race else "IN_PROGRESS")
        r = await client.put(job["cancel_url"], headers=key)
        assert (r.status_code, r.json()) == (202, {"status": "CANCELLATION_REQUESTED"})
        after = (await client.get(job["status_url"], headers=key)).json()
        assert after["status"] == "IN_PROGRESS"
        await advance(client, 200)
        assert (await result_ready(client, job, key)).status_code == 200  # the video came anyway
        # ...and was paid for: 0.02 left, the next job is refused.
        assert (await client.post(T2V, json={"prompt": "b"}, headers=key)).status_code == 403
        injected = (await stats(client))["faults_injected"]
        assert injected == ({"fal.cancel:cancel_race": 1} if race else {})


@pytest.mark.parametrize(
    ("kind", "status"), [("429", 429), ("500", 500), ("502", 502), ("504", 504)]
)
async def test_submit_faults_happen_before_the_job(
    emulator_client: httpx.AsyncClient, kind: str, status: int
) -> None:
    await set_faults(emulator_client, {"endpoint": "fal.submit", "kind": kind, "times": 1})
    r = await emulator_client.post(T2V, json={"prompt": "x"}, headers=KEY)
    assert r.status_code == status
    if kind in ("502", "504"):
        # fal-client retries these: nginx in the body and no x-fal-request-id.
        assert "nginx" in r.text and "x-fal-request-id" not in r.headers
    else:
        assert "detail" in r.json()
    assert (await stats(emulator_client))["submissions"]["total"] == 0
    assert (await emulator_client.post(T2V, json={"prompt": "x"}, headers=KEY)).status_code == 200


async def test_faults_on_status_result_and_after_acceptance(
    emulator_client: httpx.AsyncClient,
) -> None:
    await set_faults(emulator_client, {"endpoint": "fal.submit", "kind": "drop_after", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        await emulator_client.post(T2V, json={"prompt": "x"}, headers=KEY)
    assert (await stats(emulator_client))["submissions"]["total"] == 1  # the job exists

    job = await submit(emulator_client)
    await set_faults(
        emulator_client,
        {"endpoint": "fal.status", "kind": "drop", "times": 1},
        {"endpoint": "fal.result", "kind": "malformed", "times": 1},
    )
    with pytest.raises(httpx.RemoteProtocolError):
        await emulator_client.get(job["status_url"], headers=KEY)
    await finished(emulator_client, job)
    bad = await emulator_client.get(job["response_url"], headers=KEY)
    with pytest.raises(ValueError):
        bad.json()
    assert (await result_ready(emulator_client, job)).status_code == 200
    assert (await stats(emulator_client))["faults_injected"] == {
        "fal.submit:drop_after": 1,
        "fal.status:drop": 1,
        "fal.result:malformed": 1,
    }


async def test_files_expire() -> None:
    async with realtime() as client:
        default = await submit(client)
        short = await client.post(
            T2V,
            json={"prompt": "short"},
            headers={
                **KEY,
                "X-Fal-Object-Lifecycle-Preference": '{"expiration_duration_seconds": 60}',
            },
        )
        never = await client.post(
            T2V,
            json={"prompt": "kept"},
            headers={
                **KEY,
                "X-Fal-Object-Lifecycle-Preference": '{"expiration_duration_seconds": null}',
            },
        )
        await advance(client, 200)
        urls = []
        for job in (default, short.json(), never.json()):
            urls.append((await result_ready(client, job)).json()["video"]["url"])
        assert [(await client.get(u)).status_code for u in urls] == [200, 200, 200]
        await advance(client, 61)
        assert [(await client.get(u)).status_code for u in urls] == [200, 404, 200]
        await advance(client, 7 * 24 * 3600)
        assert [(await client.get(u)).status_code for u in urls] == [404, 404, 200]
        # The result itself still answers; only its file is gone.
        assert (await client.get(default["response_url"], headers=KEY)).status_code == 200


async def test_h3_video_has_stereo_aac_sound(emulator_client: httpx.AsyncClient) -> None:
    job = await submit(emulator_client, H3, duration=5, resolution="2K", aspect_ratio="9:16")
    video = (await result_ready(emulator_client, job)).json()["video"]
    media = probe_media((await emulator_client.get(video["url"])).content)
    assert (media.width, media.height) == (320, 570)  # 1440×2560 in preview
    assert media.seconds == pytest.approx(5.0, abs=0.1)
    assert (media.audio_codec, media.channels, media.sample_rate) == ("aac", 2, 32000)
    assert media.audio_seconds == pytest.approx(5.0, abs=0.1)


async def test_h3_image_to_video_follows_the_image(emulator_client: httpx.AsyncClient) -> None:
    job = await submit(
        emulator_client, "/fal/minimax/h3/image-to-video", image_url=png_data_url(300, 400)
    )
    video = (await result_ready(emulator_client, job)).json()["video"]
    media = probe_media((await emulator_client.get(video["url"])).content)
    assert (media.width, media.height) == (320, 428)  # 3:4, as the image
    assert media.audio_codec == "aac"


async def test_h3_max_returns_seed_and_timings(emulator_client: httpx.AsyncClient) -> None:
    job = await submit(emulator_client, "/fal/minimax/h3-max/text-to-video", seed=42)
    assert job["status_url"].startswith("http://emulator/fal/minimax/h3-max/requests/")
    result = (await result_ready(emulator_client, job)).json()
    assert result["seed"] == 42 and result["timings"]["inference"] > 0
