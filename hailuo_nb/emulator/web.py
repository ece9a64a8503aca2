"""What every provider route shares: faults, auth, rate limits and request statistics.

Each provider module describes its quirks in a small ``Dialect`` (how it authenticates,
how its errors look); ``guarded`` wraps a handler with the steps every request goes
through, in the order a real gateway applies them: injected fault, key check, rate limit,
then the handler.

Example:
    >>> DropResponse().status_code
    200
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .config import FAULT_KINDS, IN_HANDLER_KINDS, RETRY_LATER_KINDS, SEGMIND_406, Fault
from .state import State

Handler = Callable[[Request, "Call"], Awaitable[Response]]

_HTML = {
    502: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>nginx</center></body></html>",
    504: "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway "
    "Time-out</h1></center><hr><center>nginx</center></body></html>",
}


class Dialect(Protocol):
    """How one provider authenticates and words its errors."""

    name: str

    def key_of(self, request: Request) -> str | None:
        """The API key the request carries in this provider's way, or None."""

    def error(self, request: Request, status: int, message: str) -> Response:
        """An error answer in this provider's shape (HTTP status or in-band code)."""

    def unauthorized(self, request: Request) -> Response:
        """The answer to a missing or unknown key."""

    def rate_limited(self, request: Request, reset_at: float) -> Response:
        """The answer to a request over the per-key rate limit."""


@runtime_checkable
class InBand(Protocol):
    """A dialect whose service failures come inside an HTTP 200 (MiniMax V1's ``base_resp``)."""

    def retry_later(self, request: Request, code: int) -> Response:
        """The in-band "try again later" answer with this provider's ``code`` (1000...)."""


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON answer (``application/json``).

    Example:
        >>> json_response({"a": 1}).body
        b'{"a": 1}'
    """
    return Response(
        json.dumps(body), status_code=status, headers=headers, media_type="application/json"
    )


class Dropped(httpx.RemoteProtocolError):
    """Raised to drop a connection.

    Under uvicorn, raising after the response has started makes it close the socket, so
    the client sees a connection closed without a (complete) answer. Under
    ``httpx.ASGITransport`` the exception itself reaches the client, and it is exactly
    the class httpx raises for a real dropped connection.
    """


class DropResponse(Response):
    """A 'response' that closes the connection instead of answering."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"64"), (b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise Dropped("Server disconnected without sending a complete response.")


class QuietDrops(logging.Filter):
    """Hide uvicorn's traceback for the drops we cause on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, Dropped)


@dataclass
class Call:
    """What a handler learns from the wrapper: the state, the caller's key and the fault
    picked for this request that the handler itself must act on (``cancel_race``)."""

    state: State
    key: str
    fault: Fault | None = None


def fault_response(
    dialect: Dialect, request: Request, kind: str, state: State, reset_s: float = 60.0
) -> Response:
    """The answer an injected fault of ``kind`` gives on this provider."""
    if kind == "drop":
        return DropResponse()
    if kind in ("502", "504"):
        return HTMLResponse(_HTML[int(kind)], status_code=int(kind))
    if kind == "malformed":
        return Response(b'{"status": "PROCESS', media_type="application/json")
    if kind in ("429", "1002"):
        return dialect.rate_limited(request, state.now() + reset_s)
    if kind == "529":  # MiniMax V2's overloaded_error
        return dialect.error(request, 529, "Service overloaded")
    if kind in SEGMIND_406:  # Segmind's 406, each with its own words
        return dialect.error(request, 406, SEGMIND_406[kind])
    if kind in RETRY_LATER_KINDS and isinstance(dialect, InBand):
        return dialect.retry_later(request, int(kind))
    return dialect.error(request, 500, "Internal server error")


def guarded(
    state: State,
    dialect: Dialect | None,
    method: str,
    path: str,
    endpoint: str,
    handler: Handler,
) -> Route:
    """A Starlette ``Route`` running ``handler`` behind faults, auth and rate limits.

    ``dialect=None`` skips auth and rate limits (video files). ``drop_after`` and
    ``slow`` faults act after the handler ran: on a submit the job then already exists.
    A ``cancel_race`` fault reaches the handler in ``Call.fault``.
    """

    # A cancel race only means something where a job can be cancelled.
    kinds = None if endpoint.endswith(".cancel") else _NOT_CANCEL

    async def run(request: Request) -> Response:
        response = await _run(request)
        # Status 0 in the statistics = the connection was dropped, no answer.
        code = 0 if isinstance(response, DropResponse) else response.status_code
        state.count(method, path, code)
        return response

    async def _run(request: Request) -> Response:
        fault = state.pick_fault(endpoint, kinds)
        if fault is not None and fault.kind not in IN_HANDLER_KINDS:
            return fault_response(dialect or _PLAIN, request, fault.kind, state, fault.reset_s)
        key = ""
        if dialect is not None:
            found = dialect.key_of(request)
            if not state.known_key(found):
                return dialect.unauthorized(request)
            assert found is not None
            key = found
            reset_at = state.rate_limited(key)
            if reset_at is not None:
                return dialect.rate_limited(request, reset_at)
        response = await handler(request, Call(state=state, key=key, fault=fault))
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(state.config.slow_seconds)
        if fault is not None and fault.kind == "drop_after":
            return DropResponse()
        return response

    return Route(path, run, methods=[method])


_NOT_CANCEL = tuple(k for k in FAULT_KINDS if k != "cancel_race")


class _Plain:
    """Errors of routes that belong to no provider: plain JSON, no auth."""

    name = "plain"

    def key_of(self, request: Request) -> str | None:
        return None

    def error(self, request: Request, status: int, message: str) -> Response:
        return json_response({"error": message}, status)

    def unauthorized(self, request: Request) -> Response:
        return self.error(request, 401, "Unauthorized")

    def rate_limited(self, request: Request, reset_at: float) -> Response:
        return self.error(request, 429, "Too many requests")


_PLAIN = _Plain()
