"""Faults, admin endpoints, rate limits, worker slots and file serving."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from .helpers import SG, client_for, fast, poll

SUBMIT = "/segmind/v2/hailuo-2.3"


async def set_faults(client: httpx.AsyncClient, *faults: dict[str, Any]) -> None:
    r = await client.post("/__emulator__/faults", json={"faults": list(faults)})
    assert r.status_code == 200


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/__emulator__/stats")).json()
    return body


@pytest.mark.parametrize(
    ("kind", "status"), [("429", 429), ("500", 500), ("502", 502), ("504", 504)]
)
async def test_submit_faults_happen_before_the_job(
    emulator_client: httpx.AsyncClient, kind: str, status: int
) -> None:
    await set_faults(emulator_client, {"endpoint": "segmind.submit", "kind": kind, "times": 1})
    r = await emulator_client.post(SUBMIT, json={"prompt": "x"}, headers=SG)
    assert r.status_code == status
    if kind == "502":
        assert r.headers["content-type"].startswith("text/html") and "<html>" in r.text
    if kind == "429":
        assert "x-rate-limit-reset-at-utc" in r.headers and "retry-after" not in r.headers
    s = await stats(emulator_client)
    assert s["submissions"]["total"] == 0
    assert s["faults_injected"] == {f"segmind.submit:{kind}": 1}
    # times=1: the next request goes through.
    assert (await emulator_client.post(SUBMIT, json={"prompt": "x"}, headers=SG)).status_code == 200


async def test_drop_before_and_after_acceptance(emulator_client: httpx.AsyncClient) -> None:
    await set_faults(emulator_client, {"endpoint": "segmind.submit", "kind": "drop", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        await emulator_client.post(SUBMIT, json={"prompt": "x"}, headers=SG)
    assert (await stats(emulator_client))["submissions"]["total"] == 0

    await set_faults(
        emulator_client, {"endpoint": "segmind.submit", "kind": "drop_after", "times": 1}
    )
    with pytest.raises(httpx.RemoteProtocolError):
        await emulator_client.post(SUBMIT, json={"prompt": "x"}, headers=SG)
    s = await stats(emulator_client)
    # The job exists although the client never heard of it: never resubmit blindly.
    assert s["submissions"]["total"] == 1
    assert s["requests"]["POST /segmind/v2/{slug}"] == {"0": 2}


async def test_drop_on_a_real_socket(emulator_url: str) -> None:
    async with httpx.AsyncClient(base_url=emulator_url) as client:
        await set_faults(client, {"endpoint": "segmind.status", "kind": "drop", "times": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"/segmind/v2/requests/{'0' * 32}/status", headers=SG)
        # The server survives and answers the next request.
        r = await client.get(f"/segmind/v2/requests/{'0' * 32}/status", headers=SG)
        assert r.status_code == 404


async def test_slow_and_malformed() -> None:
    async with client_for(fast(slow_seconds=0.3)) as client:
        await set_faults(
            client,
            {"endpoint": "segmind.submit", "kind": "slow", "times": 1},
            {"endpoint": "aimlapi.poll", "kind": "malformed"},
        )
        start = asyncio.get_running_loop().time()
        r = await client.post(SUBMIT, json={"prompt": "x"}, headers=SG)
        assert r.status_code == 200
        assert asyncio.get_running_loop().time() - start >= 0.3
        assert (await stats(client))["submissions"]["total"] == 1
        bad = await client.get(
            "/aimlapi/v2/video/generations?generation_id=1", headers={"Authorization": "Bearer k"}
        )
        assert bad.status_code == 200
        with pytest.raises(ValueError):
            bad.json()


async def test_minimax_1002_fault_and_rate(emulator_client: httpx.AsyncClient) -> None:
    await set_faults(emulator_client, {"endpoint": "*", "kind": "1002", "rate": 1.0})
    r = await emulator_client.get(
        "/minimax/v1/query/video_generation?task_id=1", headers={"Authorization": "Bearer k"}
    )
    assert r.status_code == 200 and r.json()["base_resp"]["status_code"] == 1002
    assert (await emulator_client.delete("/__emulator__/faults")).json() == {"faults": []}
    r = await emulator_client.get(
        "/minimax/v1/query/video_generation?task_id=1", headers={"Authorization": "Bearer k"}
    )
    assert r.json()["base_resp"]["status_code"] != 1002


@pytest.mark.parametrize(
    ("kind", "message"),
    [("1000", "unknown error"), ("1001", "request timeout"), ("1013", "internal service error")],
)
async def test_minimax_retry_later_faults_are_in_band(
    emulator_client: httpx.AsyncClient, kind: str, message: str
) -> None:
    await set_faults(emulator_client, {"endpoint": "*", "kind": kind, "times": 2})
    r = await emulator_client.get(
        "/minimax/v1/query/video_generation?task_id=1", headers={"Authorization": "Bearer k"}
    )
    # MiniMax V1 says it inside an HTTP 200, in its own words.
    assert r.status_code == 200
    assert r.json()["base_resp"] == {"status_code": int(kind), "status_msg": message}
    # A provider with real status codes answers its 500 instead.
    other = await emulator_client.get(f"/segmind/v2/requests/{'0' * 32}", headers=SG)
    assert other.status_code == 500
    assert (await stats(emulator_client))["faults_injected"] == {
        f"minimax.query:{kind}": 1,
        f"segmind.result:{kind}": 1,
    }


async def test_bad_fault_is_refused(emulator_client: httpx.AsyncClient) -> None:
    r = await emulator_client.post(
        "/__emulator__/faults", json={"faults": [{"endpoint": "segmind.nope", "kind": "500"}]}
    )
    assert r.status_code == 400


async def test_segmind_rate_limit_header() -> None:
    async with client_for(fast(rate_limit_rpm=2)) as client:
        codes = []
        for _ in range(3):
            r = await client.get(f"/segmind/v2/requests/{'0' * 32}", headers=SG)
            codes.append(r.status_code)
        assert codes == [404, 404, 429]
        assert r.headers["x-rate-limit-reset-at-utc"].endswith("Z")
        assert "retry-after" not in r.headers
        # Another key has its own budget.
        other = await client.get(f"/segmind/v2/requests/{'0' * 32}", headers={"x-api-key": "b"})
        assert other.status_code == 404
        # After a minute (on the emulator's clock) the window is free again.
        await client.post("/__emulator__/clock", json={"advance": 61})
        r = await client.get(f"/segmind/v2/requests/{'0' * 32}", headers=SG)
        assert r.status_code == 404


async def test_worker_slots_make_jobs_queue() -> None:
    async with client_for(fast(workers_per_key=1, time_scale=200.0, spread=0.0)) as client:
        first = (await client.post(SUBMIT, json={"prompt": "a"}, headers=SG)).json()
        second = (await client.post(SUBMIT, json={"prompt": "b"}, headers=SG)).json()
        await poll(client, first["status_url"], {"PROCESSING"}, headers=SG)
        s2 = (await client.get(second["status_url"], headers=SG)).json()
        assert s2["status"] == "QUEUED"  # its only slot is taken by the first job
        await poll(client, first["status_url"], {"COMPLETED"}, headers=SG)
        await poll(client, second["status_url"], {"COMPLETED"}, headers=SG)
        r2 = (await client.get(second["response_url"], headers=SG)).json()
        assert r2["metrics"]["queue_time"] > r2["metrics"]["inference_time"] * 0.9


async def test_clock_and_reset(emulator_client: httpx.AsyncClient) -> None:
    before = (await emulator_client.get("/__emulator__/clock")).json()["now"]
    after = (await emulator_client.post("/__emulator__/clock", json={"advance": 100})).json()
    assert after["now"] - before >= 100
    assert (
        await emulator_client.post("/__emulator__/clock", json={"advance": -1})
    ).status_code == 400
    await emulator_client.post(SUBMIT, json={"prompt": "x"}, headers=SG)
    assert (await stats(emulator_client))["submissions"]["total"] == 1
    assert (await emulator_client.post("/__emulator__/reset")).status_code == 200
    s = await stats(emulator_client)
    assert s["submissions"]["total"] == 0 and s["jobs"] == {} and s["requests"] == {}


async def test_video_range_requests(emulator_url: str) -> None:
    async with httpx.AsyncClient(base_url=emulator_url) as client:
        r = await client.post(SUBMIT, json={"prompt": "range"}, headers=SG)
        await poll(client, r.json()["status_url"], {"COMPLETED"}, headers=SG)
        url = (await client.get(r.json()["response_url"], headers=SG)).json()["output"]
        assert url.startswith(emulator_url)
        full = await client.get(url)
        part = await client.get(url, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.content == full.content[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
        assert full.headers["accept-ranges"] == "bytes"
        assert (await client.get("/files/segmind/nope.mp4")).status_code == 404
