"""MiniMax V2's error answers: real HTTP status codes and an OpenAI-style body.

V1 answers every error inside HTTP 200 (``base_resp``); V2 (protocols-more.md §1.4) uses
the real status and ``{"type": "error", "error": {"type", "message": "… (<internal code>)",
"http_code": "400"}, "request_id"}``. ``V2Dialect`` gives the shared route wrapper (faults,
auth, rate limits) these answers; ``read_json`` refuses what V2 refuses before any rule runs.

Example:
    >>> r = fail(400, "duration is required")
    >>> r.status_code, json.loads(r.body)["error"]["message"]
    (400, 'invalid params, duration is required (2013)')
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .h3content import MAX_BODY
from .web import json_response

_ERROR_TYPES = {
    400: ("bad_request_error", 2013),
    401: ("authorized_error", 1004),
    402: ("insufficient_balance_error", 1008),
    422: ("unprocessable_entity_error", 1026),
    429: ("rate_limit_error", 1002),
    500: ("server_error", 1000),
    529: ("overloaded_error", 1000),
}
_GENERIC = {
    401: "login fail: Please carry the API secret key in the 'Authorization' field of the "
    "request header",
    402: "insufficient balance",
    422: "video description contains sensitive content",
    429: "rate limit, please retry later",
    500: "internal error",
    529: "the service is overloaded, please retry later",
}


def oai_error(status: int, message: str) -> Response:
    """V2's error answer: the real HTTP status and the OpenAI-style body."""
    kind = _ERROR_TYPES.get(status, ("server_error", 1000))[0]
    return json_response(
        {
            "type": "error",
            "error": {"type": kind, "message": message, "http_code": str(status)},
            "request_id": secrets.token_hex(16),
        },
        status,
    )


def fail(status: int, detail: str | None = None) -> Response:
    """An error with MiniMax's wording: ``invalid params, <detail> (2013)`` for a 400."""
    code = _ERROR_TYPES.get(status, ("", 1000))[1]
    if status == 400:
        return oai_error(400, f"invalid params, {detail} ({code})")
    return oai_error(status, f"{detail or _GENERIC.get(status, 'error')} ({code})")


class V2Dialect:
    """V2's auth (Bearer) and real-status errors."""

    name = "minimax"

    def key_of(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[7:].strip() or None if auth.lower().startswith("bearer ") else None

    def error(self, request: Request, status: int, message: str) -> Response:
        return fail(status, message if status == 400 else None)

    def unauthorized(self, request: Request) -> Response:
        return fail(401)

    def rate_limited(self, request: Request, reset_at: float) -> Response:
        return fail(429)


async def read_json(request: Request) -> dict[str, Any] | Response:
    """The JSON object body, or the 400 for a body over 64 MB, of the wrong type or broken."""
    if not request.headers.get("content-type", "").lower().startswith("application/json"):
        return fail(400, "Content-Type must be application/json")
    length = request.headers.get("content-length", "")
    too_big = fail(400, f"the request body must be at most {MAX_BODY >> 20} MB")
    if length.isdigit() and int(length) > MAX_BODY:
        return too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return too_big
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks) or b"null")
    except ValueError:
        return fail(400, "the body is not valid JSON")
    if not isinstance(body, dict):
        return fail(400, "the body must be a JSON object")
    return body
