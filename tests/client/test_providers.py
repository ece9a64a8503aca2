"""Adapters parse every variant protocols.md lists (no I/O: answers built by hand)."""

from __future__ import annotations

import time

import httpx
import pytest

from hailuo_nb.errors import (
    AuthError,
    InsufficientCredits,
    NotFound,
    ProviderError,
    RateLimited,
    ServiceError,
    transient,
)
from hailuo_nb.providers import (
    AimlApi,
    MalformedResponse,
    MiniMax,
    SegmindV1,
    SegmindV2,
    parse_retry_at,
)
from hailuo_nb.providers.segmind import parse_upload

SG = SegmindV2("https://api.segmind.com", "SG_0123456789abcdef")
AI = AimlApi("https://api.aimlapi.com", "key")
MM = MiniMax("https://api.minimax.io", "key")
V1 = SegmindV1("https://api.segmind.com", "SG_0123456789abcdef")


def r(code: int, body: object = None, **kw: object) -> httpx.Response:
    if isinstance(body, str):
        return httpx.Response(code, text=body, **kw)  # type: ignore[arg-type]
    return httpx.Response(code, json=body, **kw)  # type: ignore[arg-type]


def test_segmind_statuses_and_follow_up() -> None:
    assert SG.parse("status", "a", r(200, {"status": "QUEUED"})).status == "queued"
    assert SG.parse("status", "a", r(200, {"status": "PROCESSING"})).status == "processing"
    done = SG.parse("status", "a", r(200, {"status": "COMPLETED", "metrics": {}}))
    assert done.follow_up is not None and done.follow_up.url.endswith("/v2/requests/a")
    result = SG.parse(
        "result",
        "a",
        r(
            200,
            {
                "status": "COMPLETED",
                "output": "https://cdn/x.mp4",
                "metrics": {"cost": "0.35", "total_time": 150.2},
            },
        ),
    )
    assert (result.status, result.video_url, result.cost_usd, result.run_seconds) == (
        "completed",
        "https://cdn/x.mp4",
        0.35,
        150.2,
    )


def test_segmind_422_is_failed_with_reason_and_404_is_expired() -> None:
    failed = SG.parse("status", "a", r(422, {"status": "FAILED", "error": "NSFW content"}))
    assert failed.status == "failed" and failed.reason == "NSFW content"
    gone = SG.parse("result", "a", r(404, {"error": "Request a not found"}))
    assert gone.status == "expired" and gone.reason == "Request a not found"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (401, AuthError),
        (402, InsufficientCredits),
        (406, InsufficientCredits),
        (404, NotFound),
        (400, ProviderError),
    ],
)
def test_segmind_submit_errors(code: int, kind: type[Exception]) -> None:
    with pytest.raises(kind, match="nope credits"):
        SG.parse_submit(r(code, {"error": "nope credits"}))


@pytest.mark.parametrize(
    ("body", "credits"),
    [
        ({"error": "Insufficient credits"}, True),
        ({"error": "Invalid content type"}, False),
        ({"message": "Team spend limit reached"}, False),
        ({"detail": "Invalid value for 'duration'"}, False),
    ],
)
def test_segmind_406_keeps_the_servers_words(body: dict[str, str], credits: bool) -> None:
    # 406 has several meanings: only one about credits is InsufficientCredits.
    with pytest.raises(ProviderError) as info:
        SG.parse_submit(r(406, body))
    assert info.value.message == next(iter(body.values()))
    assert isinstance(info.value, InsufficientCredits) is credits


def test_segmind_429_reset_header_and_gateway_html() -> None:
    with pytest.raises(RateLimited) as info:
        SG.parse_submit(
            r(429, {"error": "slow"}, headers={"x-rate-limit-reset-at-utc": "2030-01-01T00:00:00Z"})
        )
    assert info.value.retry_at == 1893456000.0
    with pytest.raises(ProviderError, match="non-JSON") as gateway:
        SG.parse("status", "a", r(502, "<html><body>Bad Gateway</body></html>"))
    assert gateway.value.status_code == 502
    with pytest.raises(MalformedResponse):
        SG.parse("status", "a", r(200, '{"status": "PROC'))


def test_segmind_submit_without_request_id_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        SG.parse_submit(r(200, {"status": "QUEUED"}))


def test_retry_after_variants() -> None:
    assert parse_retry_at(httpx.Headers({"retry-after": "7"}), now=10.0) == 17.0
    date = parse_retry_at(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert date == 1445412480.0
    assert parse_retry_at(httpx.Headers({"retry-after": "soon"})) is None
    assert parse_retry_at(httpx.Headers({})) is None


def test_upload_urls_under_either_key() -> None:
    assert parse_upload(r(200, {"file_urls": ["u"]}), 1) == ["u"]
    assert parse_upload(r(200, {"urls": ["u", "v"]}), 2) == ["u", "v"]
    with pytest.raises(MalformedResponse):
        parse_upload(r(200, {"urls": []}), 1)


def test_aimlapi_ids_statuses_and_errors() -> None:
    assert AI.parse_submit(r(200, {"generation_id": "1:m", "status": "queued"})).job_id == "1:m"
    assert AI.parse_submit(r(200, {"id": "2:m", "status": "queued"})).job_id == "2:m"
    for word, status in [("queued", "queued"), ("waiting", "queued"), ("generating", "processing")]:
        assert AI.parse("status", "1", r(200, {"status": word})).status == status
    done = AI.parse("status", "1", r(200, {"status": "completed", "video": {"url": "u"}}))
    assert done.video_url == "u"
    err = AI.parse(
        "status", "1", r(200, {"status": "error", "error": {"name": "X", "message": "bad"}})
    )
    assert err.status == "failed" and err.reason == "bad (X)"
    with pytest.raises(InsufficientCredits):
        AI.parse_submit(r(403, {"message": "no credits", "statusCode": 403}))
    with pytest.raises(RateLimited):
        AI.parse_submit(r(429, {"message": "slow", "statusCode": "429"}))
    assert AI.parse("status", "1", r(404, {"message": "gone"})).status == "expired"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (1002, RateLimited),
        (1004, AuthError),
        (2049, AuthError),
        (1008, InsufficientCredits),
        (1026, ProviderError),
        (2013, ProviderError),
        (1000, ServiceError),
        (1001, ServiceError),
        (1013, ServiceError),
        (1024, ServiceError),
        (1033, ServiceError),
    ],
)
def test_minimax_in_band_codes(code: int, kind: type[Exception]) -> None:
    body = {"task_id": "", "base_resp": {"status_code": code, "status_msg": "m"}}
    with pytest.raises(kind) as info:
        MM.parse_submit(r(200, body))
    assert getattr(info.value, "code", None) == code


@pytest.mark.parametrize(("code", "retry"), [(1000, True), (1013, True), (1026, False)])
def test_minimax_retry_later_codes_are_transient_on_a_poll(code: int, retry: bool) -> None:
    # MiniMax's "please retry later" comes as HTTP 200: it must read as a 5xx, not a refusal.
    body = {"task_id": "9", "status": "", "base_resp": {"status_code": code, "status_msg": "m"}}
    for step in ("status", "retrieve"):
        with pytest.raises(ProviderError) as info:
            MM.parse(step, "9", r(200, body))
        assert transient(info.value) is retry


def test_minimax_fail_with_a_retry_later_code_is_still_a_failure() -> None:
    # A job that ended "Fail" is over whatever the code says: never poll it forever.
    body = {"status": "Fail", "base_resp": {"status_code": 1000, "status_msg": "unknown error"}}
    update = MM.parse("status", "9", r(200, body))
    assert update.status == "failed" and update.reason == "unknown error (code 1000)"


def test_minimax_1002_waits_a_while() -> None:
    with pytest.raises(RateLimited) as info:
        MM.parse("status", "1", r(200, {"base_resp": {"status_code": 1002, "status_msg": "rpm"}}))
    assert info.value.retry_at is not None and info.value.retry_at > time.time()


def test_minimax_query_flow() -> None:
    ok = {"base_resp": {"status_code": 0, "status_msg": "success"}}
    for word, status in [
        ("Preparing", "queued"),
        ("Queueing", "queued"),
        ("Processing", "processing"),
    ]:
        assert MM.parse("status", "1", r(200, {"status": word, **ok})).status == status
    success = MM.parse("status", "1", r(200, {"status": "Success", "file_id": "77", **ok}))
    assert success.follow_up is not None and success.follow_up.params == {"file_id": "77"}
    file = MM.parse("retrieve", "1", r(200, {"file": {"file_id": 77, "download_url": "u"}, **ok}))
    assert file.status == "completed" and file.video_url == "u"
    fail = MM.parse(
        "status",
        "1",
        r(
            200,
            {
                "status": "Fail",
                "base_resp": {"status_code": 1027, "status_msg": "output new_sensitive"},
            },
        ),
    )
    assert fail.status == "failed" and "1027" in (fail.reason or "")


def test_requests_never_show_the_key() -> None:
    for adapter in (SG, AI, MM):
        req = adapter.poll_request("1")
        assert "0123456789abcdef" not in repr(req) and "key" not in repr(req)
        assert "0123456789abcdef" not in repr(adapter)


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({}, "MiniMax reports the task failed (no reason given)"),
        ({"base_resp": {"status_code": 0, "status_msg": ""}}, None),
        ({"base_resp": {"status_code": 0, "status_msg": "Success"}}, None),
        ({"base_resp": {"status_code": 0, "status_msg": "task timeout"}}, "task timeout"),
        ({"error_message": "GPU fault"}, "GPU fault"),
        ({"error": {"message": "bad frame"}}, "bad frame"),
        ({"fail_reason": "success"}, None),
        (
            {"base_resp": {"status_code": 0, "status_msg": "a"}, "message": "b"},
            "a; b",
        ),
    ],
)
def test_minimax_fail_with_code_0_never_says_success(
    extra: dict[str, object], reason: str | None
) -> None:
    body: dict[str, object] = {
        "task_id": "9",
        "status": "Fail",
        "file_id": "",
        "base_resp": {"status_code": 0, "status_msg": "success"},
        **extra,
    }
    update = MM.parse("status", "9", r(200, body))
    assert update.status == "failed" and update.follow_up is None
    if reason is None or reason.startswith("MiniMax"):
        assert update.reason == (reason or "MiniMax reports the task failed (no reason given)")
    else:
        assert update.reason == f"MiniMax reports the task failed: {reason}"


@pytest.mark.parametrize(
    "kind",
    [
        "video/mp4",
        "video/quicktime",
        "application/mp4",
        "application/octet-stream",
        "binary/octet-stream",
        None,
    ],
)
def test_segmind_v1_bytes_by_content_type_are_the_video(kind: str | None) -> None:
    headers = {"x-cost": "0.35"} | ({"content-type": kind} if kind else {})
    answer = httpx.Response(200, headers=headers, content=b"\x00\x00\x00\x18ftypmp42")
    assert V1.answers_video(answer)
    update = V1.check_video(answer)
    assert (update.status, update.video_url, update.cost_usd) == ("completed", None, 0.35)


@pytest.mark.parametrize(
    ("body", "url"),
    [
        ({"status": "COMPLETED", "output": "https://cdn/v.mp4"}, "https://cdn/v.mp4"),
        ({"output": ["https://cdn/v.mp4"]}, "https://cdn/v.mp4"),
        ({"output": {"url": "https://cdn/v.mp4"}}, "https://cdn/v.mp4"),
        ({"video_url": "https://cdn/v.mp4", "metrics": {"cost": 0.7}}, "https://cdn/v.mp4"),
    ],
)
def test_segmind_v1_json_with_an_output_url_is_a_video_to_download(
    body: dict[str, object], url: str
) -> None:
    answer = r(200, body)
    assert not V1.answers_video(answer)
    update = V1.check_video(answer)
    assert (update.status, update.video_url) == ("completed", url)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"error": "NSFW content"}, "NSFW content"),
        ({"status": "FAILED", "error": "timeout"}, "timeout"),
        ({"status": "FAILED"}, "failed without a reason"),
        ({"error": {"message": "blocked"}}, "blocked"),
    ],
)
def test_segmind_v1_json_with_an_error_fails(body: dict[str, object], reason: str) -> None:
    update = V1.check_video(r(200, body))
    assert (update.status, update.reason, update.video_url) == ("failed", reason, None)


@pytest.mark.parametrize(
    "answer",
    [
        r(200, "<html><body>Welcome</body></html>", headers={"content-type": "text/html"}),
        r(200, "ok", headers={"content-type": "text/plain"}),
        r(200, {"status": "PROCESSING"}),  # JSON with neither a URL nor an error
        r(200, "{broken", headers={"content-type": "application/json"}),
    ],
)
def test_segmind_v1_anything_else_is_an_error_never_a_video(answer: httpx.Response) -> None:
    assert not V1.answers_video(answer)
    with pytest.raises(MalformedResponse) as info:
        V1.check_video(answer)
    assert transient(info.value)  # the call reached the server: SubmitUncertain, not resent
