"""Property tests of every provider adapter's answer parsing (hailuo_nb/providers/*).

- Any answer in the documented shape maps to one of our statuses, and a failure keeps the
  server's reason.
- Anything else (unknown words, wrong types, arbitrary JSON, bytes that are not JSON, any
  HTTP code) either maps to one of our statuses or raises our ``ProviderError``; never a
  ``KeyError``, ``TypeError``, ``AttributeError`` or ``ValueError`` from inside a parser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from hailuo_nb.errors import ProviderError
from hailuo_nb.models import STATUSES
from hailuo_nb.providers import AimlApi, MiniMax, SegmindV1, SegmindV2, Update
from hailuo_nb.providers.base import parse_retry_at
from hailuo_nb.providers.minimax import raise_for_base_resp
from hailuo_nb.providers.segmind import parse_upload

FAST = settings(max_examples=200, deadline=None)
SEG = SegmindV2("http://h", "k")
SEG1 = SegmindV1("http://h", "k")
AIML = AimlApi("http://h", "k")
MM = MiniMax("http://h", "k")

text = st.text(max_size=40)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
anything = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
codes = st.sampled_from([200, 201, 400, 401, 402, 403, 404, 406, 410, 422, 429, 500, 502, 504])
url = st.sampled_from(["https://cdn.example/v.mp4", "http://127.0.0.1:1/files/segmind/a.mp4"])
reason = st.text(min_size=1, max_size=60).filter(lambda s: s.strip() != "")
metrics = st.fixed_dictionaries(
    {},
    optional={
        "cost": st.floats(0, 5) | st.sampled_from(["0.35", "n/a"]),
        "total_time": st.floats(0, 900) | st.none(),
        "queue_time": st.floats(0, 60),
    },
)


def response(code: int, body: Any) -> httpx.Response:
    return httpx.Response(code, json=body)


def only_ours(parse: Callable[[], Any]) -> Any:
    """Run a parser: it may answer or raise our ProviderError, nothing else."""
    try:
        result = parse()
    except ProviderError as exc:
        assert str(exc)  # a message to show, never empty
        return None
    if isinstance(result, Update):
        assert result.status in STATUSES
    return result


# -- Segmind -------------------------------------------------------------------------------
@FAST
@given(
    word=st.sampled_from(["QUEUED", "PROCESSING", "COMPLETED", "FAILED"]),
    step=st.sampled_from(["status", "result"]),
    output=st.none() | url,
    error=reason,
    m=metrics,
)
def test_segmind_documented_shapes(
    word: str, step: str, output: str | None, error: str, m: dict[str, Any]
) -> None:
    body = {"status": word, "request_id": "ab" * 16, "metrics": m, "output": output}
    if word == "FAILED":
        body["error"] = error
    code = 422 if word == "FAILED" else 200
    if step == "result" and word == "COMPLETED" and output is None:
        return  # documented: a COMPLETED result always has its output
    update = only_ours(lambda: SEG.parse(step, "r", response(code, body)))
    assert update is not None
    expected = {"QUEUED": "queued", "PROCESSING": "processing", "FAILED": "failed"}
    if word in expected:
        assert update.status == expected[word]
    elif output is None:  # the status endpoint has no output: the result is asked next
        assert update.status == "processing" and update.follow_up is not None
    else:
        assert update.status == "completed" and update.video_url == output
    if word == "FAILED":
        assert update.reason == error


@FAST
@given(code=codes, body=anything, step=st.sampled_from(["status", "result"]))
def test_segmind_garbage_is_our_error(code: int, body: Any, step: str) -> None:
    only_ours(lambda: SEG.parse(step, "r", response(code, body)))
    only_ours(lambda: SEG.parse_submit(response(code, body)))
    only_ours(lambda: parse_upload(response(code, body), 1))
    only_ours(lambda: SEG1.check_video(response(code, body)))


@FAST
@given(code=codes, raw=st.binary(max_size=60))
def test_every_parser_on_non_json_bytes(code: int, raw: bytes) -> None:
    r = httpx.Response(code, content=raw)
    for parse in (
        lambda: SEG.parse("status", "r", r),
        lambda: SEG.parse_submit(r),
        lambda: AIML.parse("status", "g", r),
        lambda: AIML.parse_submit(r),
        lambda: MM.parse("status", "t", r),
        lambda: MM.parse("retrieve", "t", r),
        lambda: MM.parse_submit(r),
    ):
        only_ours(parse)


@FAST
@given(word=st.text(max_size=12), code=st.sampled_from([200, 422]))
def test_segmind_unknown_words(word: str, code: int) -> None:
    update = only_ours(lambda: SEG.parse("status", "r", response(code, {"status": word})))
    if code == 422 and update is not None:
        assert update.status == "failed"


# -- AI/ML API -----------------------------------------------------------------------------
@FAST
@given(
    word=st.sampled_from(["queued", "waiting", "generating", "completed", "error"]),
    video=url,
    name=st.sampled_from(["ContentModerationError", "GenerationError"]),
    message=reason,
)
def test_aimlapi_documented_shapes(word: str, video: str, name: str, message: str) -> None:
    body: dict[str, Any] = {"id": "1:minimax/hailuo-2.3", "status": word, "video": None}
    body["error"] = {"name": name, "message": message} if word == "error" else None
    if word == "completed":
        body["video"] = {"url": video}
    update = only_ours(lambda: AIML.parse("status", "g", response(200, body)))
    assert update is not None
    expected = {
        "queued": "queued",
        "waiting": "queued",
        "generating": "processing",
        "completed": "completed",
        "error": "failed",
    }
    assert update.status == expected[word]
    if word == "error":
        assert message in (update.reason or "")
    if word == "completed":
        assert update.video_url == video


@FAST
@given(code=codes, body=anything)
def test_aimlapi_garbage_is_our_error(code: int, body: Any) -> None:
    only_ours(lambda: AIML.parse("status", "g", response(code, body)))
    only_ours(lambda: AIML.parse_submit(response(code, body)))


# -- MiniMax -------------------------------------------------------------------------------
@FAST
@given(
    word=st.sampled_from(["Preparing", "Queueing", "Processing", "Success", "Fail"]),
    file_id=st.integers(1, 10**15),
    fail=st.sampled_from([(1027, "output new_sensitive"), (1000, "unknown error")]),
)
def test_minimax_documented_shapes(word: str, file_id: int, fail: tuple[int, str]) -> None:
    code, msg = (0, "success") if word != "Fail" else fail
    body: dict[str, Any] = {
        "task_id": "42",
        "status": word,
        "base_resp": {"status_code": code, "status_msg": msg},
    }
    if word == "Success":
        body["file_id"] = str(file_id)
    update = only_ours(lambda: MM.parse("status", "42", response(200, body)))
    assert update is not None
    if word == "Success":
        assert update.follow_up is not None and update.follow_up.params == {"file_id": str(file_id)}
    elif word == "Fail":
        assert update.status == "failed" and msg in (update.reason or "")
        assert str(code) in (update.reason or "")
    else:
        assert update.status == ("processing" if word == "Processing" else "queued")


@FAST
@given(code=st.integers(-5, 3000), msg=st.text(max_size=30), status=st.text(max_size=10))
def test_minimax_any_base_resp_code(code: int, msg: str, status: str) -> None:
    body = {"status": status, "base_resp": {"status_code": code, "status_msg": msg}}
    only_ours(lambda: MM.parse("status", "t", response(200, body)))
    only_ours(lambda: MM.parse("retrieve", "t", response(200, body)))
    only_ours(lambda: MM.parse_submit(response(200, body)))
    try:
        raise_for_base_resp(body)
    except ProviderError as exc:
        assert exc.code == code and code != 0
    else:
        assert code == 0


@FAST
@given(code=codes, body=anything, step=st.sampled_from(["status", "retrieve"]))
def test_minimax_garbage_is_our_error(code: int, body: Any, step: str) -> None:
    only_ours(lambda: MM.parse(step, "t", response(code, body)))
    only_ours(lambda: MM.parse_submit(response(code, body)))


# -- rate-limit headers --------------------------------------------------------------------
@FAST
@given(
    reset=st.text(max_size=30) | st.datetimes().map(lambda d: d.isoformat() + "Z"),
    after=st.text(max_size=30),
)
def test_retry_headers_never_crash(reset: str, after: str) -> None:
    headers = httpx.Headers()
    for name, value in (("x-rate-limit-reset-at-utc", reset), ("retry-after", after)):
        try:
            headers[name] = value
        except (UnicodeEncodeError, ValueError):
            continue  # not a value a header can carry
    got = parse_retry_at(headers, now=1000.0)
    assert got is None or isinstance(got, float)
