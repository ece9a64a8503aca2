"""Segmind request history: ``/segmind/inference-request/request-history[/{id}]``.

Over HTTP in-process (rows, key scoping, the single GET outliving the 1-hour status
window, pagination, filters, 400s, faults), then the official segmind 1.3.0 SDK's
``generations.history()`` and ``generations.get()`` against a real 127.0.0.1 server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from importlib import import_module
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from segmind import SegmindClient  # type: ignore[import-untyped]
from segmind.exceptions import SegmindError  # type: ignore[import-untyped]
from segmind.v2 import InferenceFailed  # type: ignore[import-untyped]

from hailuo_nb.emulator import EmulatorConfig, Fault, create_app, serve_in_thread

from .helpers import SG, client_for, fast, poll

HISTORY = "/segmind/inference-request/request-history"
OTHER = {"x-api-key": "SG_fedcba9876543210"}
ROW_FIELDS = {
    "request_id",
    "model_name",
    "model_status",
    "credits_deduction",
    "request_body",
    "generation_url",
    "latency_ms",
    "error",
    "created_at",
    "updated_at",
    "model_created",
}


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return fast(seed=7, keys={SG["x-api-key"]: 100.0, OTHER["x-api-key"]: 100.0})


async def submit(client: httpx.AsyncClient, body: dict[str, Any], slug: str = "hailuo-2.3") -> str:
    r = await client.post(f"/segmind/v2/{slug}", json=body, headers=SG)
    assert r.status_code == 200, r.text
    rid: str = r.json()["request_id"]
    return rid


async def settle(client: httpx.AsyncClient, rid: str) -> str:
    """Poll the status endpoint until the job is terminal; return COMPLETED or FAILED."""
    done = await poll(
        client, f"/segmind/v2/requests/{rid}/status", {"COMPLETED", "FAILED"}, headers=SG
    )
    status: str = done.json()["status"]
    return status


async def history(
    client: httpx.AsyncClient, headers: dict[str, str] = SG, **params: Any
) -> dict[str, Any]:
    r = await client.get(HISTORY, params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def iso(text: str) -> datetime:
    assert text.endswith("Z")
    return datetime.fromisoformat(text[:-1] + "+00:00")


async def test_completed_failed_and_pending_rows() -> None:
    # Real-time durations (time_scale 1): the last job stays PENDING; the clock finishes
    # the first two.
    async with client_for(fast(time_scale=1.0)) as client:
        ok_body = {"prompt": "a red fox in snow", "duration": 6}
        bad_body = {"prompt": "a fox", "duration": 10, "resolution": "1080p"}
        ok = await submit(client, ok_body)
        bad = await submit(client, bad_body)
        await client.post("/__emulator__/clock", json={"advance": 1000})
        assert await settle(client, ok) == "COMPLETED"
        assert await settle(client, bad) == "FAILED"
        pending = await submit(client, {"prompt": "a slow fox"})
        result = (await client.get(f"/segmind/v2/requests/{ok}", headers=SG)).json()

        page = await history(client)
        assert set(page) == {"data", "page", "per_page", "total", "total_pages"}
        assert (page["page"], page["per_page"], page["total"], page["total_pages"]) == (1, 20, 3, 1)
        rows = page["data"]
        assert [r["request_id"] for r in rows] == [pending, bad, ok]  # newest first
        assert all(set(r) == ROW_FIELDS for r in rows)
        by_id = {r["request_id"]: r for r in rows}

        done = by_id[ok]
        assert done["model_name"] == "hailuo-2.3"
        assert done["model_status"] == "COMPLETED"
        assert done["credits_deduction"] == 0.35
        assert done["generation_url"] == result["output"]
        assert done["error"] is None
        assert done["request_body"] == ok_body
        assert isinstance(done["latency_ms"], int) and done["latency_ms"] > 0
        assert iso(done["updated_at"]) > iso(done["created_at"]) == iso(done["model_created"])
        video = await client.get(done["generation_url"])
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"

        failed = by_id[bad]
        assert failed["model_status"] == "FAILED" and failed["credits_deduction"] == 0
        assert "768p" in failed["error"] and failed["generation_url"] is None
        assert failed["request_body"] == bad_body and failed["latency_ms"] > 0

        waiting = by_id[pending]
        assert waiting["model_status"] == "PENDING" and waiting["credits_deduction"] == 0
        assert waiting["generation_url"] is None and waiting["latency_ms"] is None
        assert waiting["error"] is None

        # The single GET answers the same row, no envelope.
        one = await client.get(f"{HISTORY}/{ok}", headers=SG)
        assert one.status_code == 200 and one.json() == done


async def test_request_body_as_sent_and_v1_requests_too(emulator_client: httpx.AsyncClient) -> None:
    # "6" as a string, an explicit null and a key the model does not know: kept as sent.
    sent = {
        "prompt": "a fox",
        "first_frame_image": "https://example.invalid/a.jpg",
        "last_frame_image": None,
        "duration": "6",
        "seed": 5,
    }
    v2 = await submit(emulator_client, sent, slug="hailuo-02-fast")
    v1 = await emulator_client.post("/segmind/v1/hailuo-2.3", json={"prompt": "fox"}, headers=SG)
    assert v1.status_code == 200
    v1_failed = await emulator_client.post(
        "/segmind/v1/hailuo-2.3", json={"prompt": "[[block]] fox"}, headers=SG
    )
    assert v1_failed.status_code == 400
    # Refused at the door: no request was accepted, so there is no row.
    refused = await emulator_client.post(
        "/segmind/v2/hailuo-2.3", json={"prompt": "fox", "duration": 7}, headers=SG
    )
    assert refused.status_code == 400
    await settle(emulator_client, v2)

    rows = (await history(emulator_client))["data"]
    assert len(rows) == 3
    by_id = {r["request_id"]: r for r in rows}
    assert by_id[v2]["request_body"] == sent
    assert by_id[v2]["model_name"] == "hailuo-02-fast"
    sync = by_id[v1.headers["x-request-id"]]
    assert sync["model_status"] == "COMPLETED"
    assert sync["credits_deduction"] == pytest.approx(float(v1.headers["x-cost"]))
    assert sync["request_body"] == {"prompt": "fox"}
    (blocked,) = [r for r in rows if r["model_status"] == "FAILED"]
    assert "moderation" in blocked["error"] and blocked["request_body"]["prompt"] == "[[block]] fox"


async def test_only_the_callers_own_requests(
    emulator_client: httpx.AsyncClient,
    emulator_stats: Any,
) -> None:
    mine = await submit(emulator_client, {"prompt": "fox"})
    await settle(emulator_client, mine)
    # An AI/ML job of the same key is not a Segmind request.
    r = await emulator_client.post(
        "/aimlapi/v2/video/generations",
        json={"model": "minimax/hailuo-2.3", "prompt": "fox"},
        headers={"Authorization": f"Bearer {SG['x-api-key']}"},
    )
    assert r.status_code == 200
    jobs = (await emulator_stats())["jobs"]
    (aiml,) = [jid for jid, j in jobs.items() if j["provider"] == "aimlapi"]

    assert [row["request_id"] for row in (await history(emulator_client))["data"]] == [mine]
    assert (await history(emulator_client, OTHER))["data"] == []
    theirs = await emulator_client.get(f"{HISTORY}/{mine}", headers=OTHER)
    assert theirs.status_code == 404
    assert theirs.json() == {"error": f"Request {mine} not found"}
    for rid in (aiml, "0" * 32):
        missing = await emulator_client.get(f"{HISTORY}/{quote(rid, safe='')}", headers=SG)
        assert missing.status_code == 404 and missing.json() == {
            "error": f"Request {rid} not found"
        }

    assert (await emulator_client.get(HISTORY)).status_code == 401
    bearer = await emulator_client.get(
        f"{HISTORY}/{mine}", headers={"Authorization": f"Bearer {SG['x-api-key']}"}
    )
    assert bearer.status_code == 401 and "x-api-key" in bearer.json()["error"]


async def test_the_single_get_outlives_the_status_window(
    emulator_client: httpx.AsyncClient,
) -> None:
    rid = await submit(emulator_client, {"prompt": "fox", "duration": 10})
    await settle(emulator_client, rid)
    output = (await emulator_client.get(f"/segmind/v2/requests/{rid}", headers=SG)).json()["output"]

    await emulator_client.post("/__emulator__/clock", json={"advance": 2 * 3600})
    assert (
        await emulator_client.get(f"/segmind/v2/requests/{rid}/status", headers=SG)
    ).status_code == 404
    assert (await emulator_client.get(f"/segmind/v2/requests/{rid}", headers=SG)).status_code == 404
    row = (await emulator_client.get(f"{HISTORY}/{rid}", headers=SG)).json()
    assert row["model_status"] == "COMPLETED"
    assert row["credits_deduction"] == 0.70
    assert row["generation_url"] == output
    assert (await emulator_client.get(output)).status_code == 200  # files live 7 days

    # Eight days on: the record still resolves, the file is gone, and it has left the
    # default 7-day list window (but not a window that covers its day).
    created = iso(row["created_at"]).date()
    await emulator_client.post("/__emulator__/clock", json={"advance": 8 * 86400})
    again = await emulator_client.get(f"{HISTORY}/{rid}", headers=SG)
    assert again.status_code == 200 and again.json()["generation_url"] == output
    assert (await emulator_client.get(output)).status_code == 404
    assert (await history(emulator_client))["total"] == 0
    window = await history(emulator_client, from_date=created.isoformat())
    assert [r["request_id"] for r in window["data"]] == [rid]


async def test_pagination_sorting_and_filters(emulator_client: httpx.AsyncClient) -> None:
    bodies: list[tuple[str, dict[str, Any]]] = [
        ("hailuo-2.3", {"prompt": "one"}),
        ("hailuo-2.3", {"prompt": "two", "duration": 10}),
        ("hailuo-2.3-fast", {"prompt": "three", "first_frame_image": "https://x.invalid/a.png"}),
        ("hailuo-2.3", {"prompt": "four [[block]]"}),
        ("minimax-hailuo-2", {"prompt": "five"}),
    ]
    ids = []
    for slug, body in bodies:
        ids.append(await submit(emulator_client, body, slug=slug))
        # A second apart, so the order by time is plain to see.
        await emulator_client.post("/__emulator__/clock", json={"advance": 1})
    for rid in ids:
        await settle(emulator_client, rid)
    newest_first = ids[::-1]

    seen = []
    for number in (1, 2, 3):
        page = await history(emulator_client, page=number, per_page=2)
        assert (page["page"], page["per_page"], page["total"], page["total_pages"]) == (
            number,
            2,
            5,
            3,
        )
        seen += [r["request_id"] for r in page["data"]]
    assert seen == newest_first
    assert (await history(emulator_client, page=4, per_page=2))["data"] == []

    def order(page: dict[str, Any]) -> list[str]:
        return [r["request_id"] for r in page["data"]]

    assert order(await history(emulator_client, sort_order="asc")) == ids
    assert order(await history(emulator_client, sort_by="created_at", sort_order="asc")) == ids
    assert order(await history(emulator_client, sort_by="model_created")) == newest_first
    by_cost = await history(emulator_client, sort_by="credits_deduction")
    assert [r["credits_deduction"] for r in by_cost["data"]] == [0.70, 0.41, 0.39, 0.35, 0.0]
    by_name = await history(emulator_client, sort_by="model_name", sort_order="asc")
    assert [r["model_name"] for r in by_name["data"]][-1] == "minimax-hailuo-2"

    # model_name is a substring match (the SDK says so): "hailuo-2.3" takes in -fast too.
    assert set(order(await history(emulator_client, model_name="hailuo-2.3"))) == set(ids[:4])
    assert order(await history(emulator_client, model_name="fast")) == [ids[2]]
    assert order(await history(emulator_client, status="FAILED")) == [ids[3]]
    assert len((await history(emulator_client, status="COMPLETED"))["data"]) == 4
    assert (await history(emulator_client, status="PENDING"))["total"] == 0

    today = datetime.now(timezone.utc).date()
    old = await history(
        emulator_client,
        from_date=(today - timedelta(days=40)).isoformat(),
        to_date=(today - timedelta(days=10)).isoformat(),
    )
    assert old["total"] == 0 and old["data"] == []


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"page": 0}, "page"),
        ({"from_date": "2024/01/01"}, "from_date"),
        ({"to_date": "2024-02-30"}, "to_date"),
        ({"from_date": "2024-01-01", "to_date": "2024-02-02"}, "31 days"),
        ({"from_date": "2024-02-02", "to_date": "2024-01-01"}, "after"),
        ({"status": "done"}, "status"),
        ({"status": "completed"}, "status"),
        ({"sort_by": "price"}, "sort_by"),
        ({"sort_order": "up"}, "sort_order"),
    ],
)
async def test_bad_queries_are_400(
    emulator_client: httpx.AsyncClient, params: dict[str, Any], needle: str
) -> None:
    r = await emulator_client.get(HISTORY, params=params, headers=SG)
    assert r.status_code == 400
    assert set(r.json()) == {"error"} and needle in r.json()["error"]


async def test_window_limits_are_inclusive(emulator_client: httpx.AsyncClient) -> None:
    # 2024-01-01 .. 2024-02-01 spans exactly 31 days: the most allowed.
    widest = await history(emulator_client, from_date="2024-01-01", to_date="2024-02-01")
    assert widest["total"] == 0
    assert (await history(emulator_client, per_page=1))["per_page"] == 1
    assert (await history(emulator_client, per_page=100))["per_page"] == 100


async def test_fault_endpoint(emulator_client: httpx.AsyncClient, emulator_stats: Any) -> None:
    assert Fault.from_spec("segmind.history:502").endpoint == "segmind.history"
    rid = await submit(emulator_client, {"prompt": "fox"})

    async def faults(*items: dict[str, Any]) -> None:
        r = await emulator_client.post("/__emulator__/faults", json={"faults": list(items)})
        assert r.status_code == 200

    await faults({"endpoint": "segmind.history", "kind": "500", "times": 2})
    failed = await emulator_client.get(HISTORY, headers=SG)
    assert failed.status_code == 500 and "error" in failed.json()
    assert (await emulator_client.get(f"{HISTORY}/{rid}", headers=SG)).status_code == 500
    assert (await emulator_client.get(HISTORY, headers=SG)).status_code == 200

    await faults({"endpoint": "segmind.history", "kind": "429", "times": 1})
    limited = await emulator_client.get(HISTORY, headers=SG)
    assert limited.status_code == 429
    assert "x-rate-limit-reset-at-utc" in limited.headers and "retry-after" not in limited.headers

    await faults({"endpoint": "segmind.history", "kind": "drop", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        await emulator_client.get(f"{HISTORY}/{rid}", headers=SG)
    # Other Segmind endpoints are untouched by a history fault.
    await faults({"endpoint": "segmind.history", "kind": "500"})
    status = await emulator_client.get(f"/segmind/v2/requests/{rid}/status", headers=SG)
    assert status.status_code in (200, 422)

    injected = (await emulator_stats())["faults_injected"]
    assert injected["segmind.history:500"] == 2
    assert injected["segmind.history:429"] == 1
    assert injected["segmind.history:drop"] == 1


# -- the official segmind SDK as a peer ---------------------------------------------------


@pytest.fixture(scope="module")
def sdk_base() -> Iterator[str]:
    app = create_app(
        EmulatorConfig(
            time_scale=400.0, preview=True, seed=11, keys={"SG_good": 50.0, "SG_else": 50.0}
        )
    )
    with serve_in_thread(app) as base:
        yield base


@pytest.fixture
def sdk(sdk_base: str, monkeypatch: pytest.MonkeyPatch) -> SegmindClient:
    # The SDK reads the history from a fixed host (api.spotprod.segmind.com), not from
    # base_url: its module constant is the only way to point it elsewhere. The module is
    # fetched by name because ``segmind.generations`` is also a package attribute (a
    # shortcut object) that hides it.
    monkeypatch.setattr(
        import_module("segmind.generations"),
        "REQUEST_HISTORY_URL",
        f"{sdk_base}/segmind/inference-request/request-history",
    )
    return SegmindClient(api_key="SG_good", base_url=f"{sdk_base}/segmind/v1")


def test_sdk_history_and_get_parse_our_answers(sdk: SegmindClient, sdk_base: str) -> None:
    job = sdk.submit_async("hailuo-2.3", prompt="a red fox in snow", duration=6)
    result = job.wait(timeout=60, interval=0.1)
    bad = sdk.submit_async("hailuo-2.3", prompt="a fox", duration=10, resolution="1080p")
    with pytest.raises(InferenceFailed):
        bad.wait(timeout=60, interval=0.1)

    page = sdk.generations.history(per_page=10)
    rows = {r["request_id"]: r for r in page["data"]}
    assert {job.request_id, bad.request_id} <= set(rows)
    assert rows[job.request_id]["model_status"] == "COMPLETED"
    assert rows[bad.request_id]["model_status"] == "FAILED"
    assert rows[bad.request_id]["request_body"] == {
        "prompt": "a fox",
        "duration": 10,
        "resolution": "1080p",
    }
    failed_only = sdk.generations.history(status="FAILED", model_name="hailuo", sort_order="asc")
    assert bad.request_id in {r["request_id"] for r in failed_only["data"]}
    assert job.request_id not in {r["request_id"] for r in failed_only["data"]}

    # An hour on, the status URL forgets the job; generations.get still knows it.
    httpx.post(f"{sdk_base}/__emulator__/clock", json={"advance": 2 * 3600}).raise_for_status()
    with pytest.raises(SegmindError) as gone:
        job.status()
    assert gone.value.status == 404
    row = sdk.generations.get(job.request_id)
    assert row["model_status"] == "COMPLETED"
    assert row["generation_url"] == result["output"]
    assert row["credits_deduction"] == 0.35
    assert row["request_body"] == {"prompt": "a red fox in snow", "duration": 6}


def test_sdk_sees_our_errors(sdk: SegmindClient, sdk_base: str) -> None:
    job = sdk.submit_async("hailuo-2.3", prompt="a fox")
    other = SegmindClient(api_key="SG_else", base_url=f"{sdk_base}/segmind/v1")
    with pytest.raises(SegmindError) as theirs:
        other.generations.get(job.request_id)
    assert theirs.value.status == 404 and job.request_id in theirs.value.detail
    with pytest.raises(SegmindError) as bad_page:
        sdk.generations.history(per_page=500)
    assert bad_page.value.status == 400 and "per_page" in bad_page.value.detail
    job.wait(timeout=60, interval=0.1)
    assert sdk.generations.get(job.request_id)["model_status"] == "COMPLETED"
