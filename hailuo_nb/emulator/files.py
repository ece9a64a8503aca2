"""``GET /files/{provider}/{name}``: rendered videos and uploaded images.

Each provider's download rules are kept: Segmind output URLs live 7 days; AI/ML and
MiniMax hand out signed URLs (``Expires`` + ``Signature``, as on their object stores)
that are refused with 403 once expired or tampered with. Videos are served by
Starlette's ``FileResponse``, which sets Content-Type and Content-Length and answers HTTP
Range requests (browsers seek with them).

Example:
    >>> q = sign("secret", "/files/minimax/1.mp4", 100)
    >>> q.startswith("Expires=100&")
    True
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from .segmind import FILE_RETENTION_S
from .state import Job, State
from .web import Call, guarded


def sign(secret: str, path: str, expires: int) -> str:
    """The query string that makes ``path`` downloadable until ``expires`` (epoch s)."""
    mac = hmac.new(secret.encode(), f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()
    return f"Expires={expires}&OSSAccessKeyId=EMULATOR&Signature={quote(mac[:32])}"


def signed_url(state: State, base: str, path: str, ttl_s: float) -> str:
    """An absolute, expiring URL for ``path`` (a ``/files/...`` path)."""
    return f"{base}{path}?{sign(state.secret, path, int(state.now() + ttl_s))}"


def _denied(message: str) -> Response:
    # Object stores answer XML; the exact body does not matter, the 403 does.
    return PlainTextResponse(f"AccessDenied: {message}", status_code=403)


def _check_signature(request: Request, state: State) -> Response | None:
    expires = request.query_params.get("Expires", "")
    given = request.query_params.get("Signature", "")
    if not expires.isdigit() or not given:
        return _denied("missing Expires or Signature")
    wanted = sign(state.secret, request.url.path, int(expires)).rsplit("Signature=", 1)[1]
    if not hmac.compare_digest(given, wanted):
        return _denied("signature does not match")
    if state.now() > int(expires):
        return _denied("Request has expired")
    return None


def _video(job: Job | None) -> Response:
    if job is None or job.path is None:
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(
        job.path,
        media_type="video/mp4",
        filename=f"{job.id[-15:]}.mp4",
        content_disposition_type="inline",
    )


def routes(state: State) -> list[Route]:
    """The file routes of one app (no API key: URLs are the credential)."""

    async def serve(request: Request, call: Call) -> Response:
        provider = request.path_params["provider"]
        name = request.path_params["name"]
        now = state.now()
        if provider == "assets":
            found = state.assets.get(name)
            if found is None:
                return PlainTextResponse("Not Found", status_code=404)
            return Response(found[0], media_type=found[1])
        stem = name.removesuffix(".mp4")
        if provider == "segmind":
            job = state.jobs.get(stem)
            if job is not None and now > job.created + FILE_RETENTION_S:
                job = None
            return _video(job)
        if provider in ("aimlapi", "minimax"):
            refused = _check_signature(request, state)
            if refused is not None:
                return refused
            job = state.files.get(stem)
            return _video(job)
        return PlainTextResponse("Not Found", status_code=404)

    return [guarded(state, None, "GET", "/files/{provider}/{name}", "files", serve)]
