"""AI/ML API under ``/aimlapi``: ``POST/GET /aimlapi/v2/video/generations``.

Quirks kept (protocols.md, seed): Bearer auth; errors as ``{"message", "path",
"requestId", "statusCode", "timestamp"}`` (``statusCode`` is a string on 429, as seen);
out of credits is 403; the submit reply carries both ``generation_id`` and ``id`` of the
form ``<digits>:minimax/<model>``; statuses ``queued`` → ``generating`` → ``completed`` or
``error``; a failed job's ``error`` is ``{"name", "message"}``, ``{"detail": [{"loc", "msg",
"type"}]}`` or a plain string (``aimlapi_error_shape``); ``meta.usage`` reports the price
at submit as ``credits_used`` (2,000,000 a dollar) and ``usd_spent`` (unless
``aimlapi_usd_spent`` is off); video URLs are signed and expire.

Example:
    >>> AimlDialect.words["processing"]
    'generating'
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, ClassVar
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import aimlapi_h3
from .catalog import ParamError, check, model
from .files import signed_url
from .jobs import INPUT_BLOCKED, Shape, blocked, start_job
from .media import image_info
from .render import Renderer, resolve_image
from .state import Job, State
from .web import Call, guarded, json_response

PATH = "/aimlapi/v2/video/generations"
#: AI/ML bills in credits; the seed shows 399000 for one 2.3-fast video.
CREDITS_PER_USD = 2_000_000


class AimlDialect:
    """AI/ML API's auth and error shapes."""

    name = "aimlapi"
    words: ClassVar[dict[str, str]] = {
        "preparing": "queued",
        "queued": "queued",
        "processing": "generating",
        "completed": "completed",
        "failed": "error",
    }

    def key_of(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[7:].strip() or None if auth.lower().startswith("bearer ") else None

    def error(self, request: Request, status: int, message: str) -> Response:
        return json_response(
            {
                "message": message,
                "path": request.url.path.removeprefix("/aimlapi"),
                "requestId": str(uuid.uuid4()),
                "statusCode": str(status) if status == 429 else status,
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            },
            status,
        )

    def unauthorized(self, request: Request) -> Response:
        return self.error(request, 401, "Unauthorized: provide a valid API key as a Bearer token")

    def rate_limited(self, request: Request, reset_at: float) -> Response:
        return self.error(request, 429, "Too many requests. Please slow down.")


_D = AimlDialect()


def _normalise(body: dict[str, Any]) -> dict[str, Any]:
    """Map the older spellings still seen in the wild to the current ones."""
    out = dict(body)
    if "enhance_prompt" not in out and "prompt_optimizer" in out:
        out["enhance_prompt"] = out["prompt_optimizer"]
    if "image_url" not in out and "first_frame_image" in out:
        out["image_url"] = out["first_frame_image"]
    for name in ("image_url", "last_image_url"):
        value = out.get(name)
        # "uri or base64": raw base64 becomes a data URL, so the renderer can see it.
        if isinstance(value, str) and value and not value.startswith(("http", "data:")):
            out[name] = f"data:image/png;base64,{value}"
    return out


def format_problem(ref: Any, assets: dict[str, tuple[bytes, str]]) -> str | None:
    """Why AI/ML refuses this image's format, or None: its official schema takes JPG, JPEG
    and PNG only (MiniMax itself also takes WebP).

    Images we can see (data URLs, our own assets) are read; another URL is judged by its
    name, as the real service would find the format when it fetched it.

    Example:
        >>> format_problem("https://example.invalid/a.webp", {})
        'image format WEBP is not supported; use JPG, JPEG or PNG'
        >>> format_problem("https://example.invalid/a.png", {}) is None
        True
    """
    if not isinstance(ref, str) or not ref:
        return None
    data = resolve_image(ref, assets)
    if data is not None:
        info = image_info(data)
        fmt = info.format if info is not None else None
    else:
        suffix = urlsplit(ref).path.lower().rsplit(".", 1)[-1]
        fmt = {"webp": "WEBP", "heic": "HEIF", "heif": "HEIF", "gif": "GIF"}.get(suffix)
    if fmt is None or fmt in ("JPEG", "PNG"):
        return None
    return f"image format {fmt} is not supported; use JPG, JPEG or PNG"


def _validate(
    request: Request, body: dict[str, Any], assets: dict[str, tuple[bytes, str]]
) -> tuple[Any, dict[str, Any]] | Response:
    m = model("aimlapi", str(body.get("model")))
    if m is None:
        return _D.error(request, 400, f"Invalid model: {body.get('model')!r}")
    try:
        params = check(m, _normalise(body))
    except ParamError as exc:
        return _D.error(request, 400, str(exc))
    for name in ("image_url", "last_image_url"):
        problem = format_problem(params.get(name), assets)
        if problem is not None:
            return _D.error(request, 400, f"{name}: {problem}")
    if body.get("last_image_url") and m.param("last_image_url") is None:
        return _D.error(request, 400, f"last_image_url is not supported by {m.name}")
    if len(params["prompt"]) > 2000:
        return _D.error(request, 400, "prompt must be at most 2000 characters")
    if params["duration"] == 10 and params["resolution"] == "1080P":
        return _D.error(request, 400, "duration 10 is only available at resolution 768P")
    return m, params


def _error(job: Job, shape: str) -> Any:
    """A failed job's ``error`` in the configured shape (protocols.md: all three are seen
    or plausible)."""
    reason = job.fail_reason or "generation failed"
    moderated = job.fail_code in (1026, 1027)
    if shape == "string":
        return reason
    if shape == "detail":
        # FastAPI's validation shape, as captured for another video model on this API.
        loc = ["body", "prompt"] if job.fail_code == 1026 else ["body"]
        kind = "content_moderation" if moderated else "generation_error"
        return {"detail": [{"loc": loc, "msg": reason, "type": kind}]}
    return {"name": "ContentModerationError" if moderated else "GenerationError", "message": reason}


def _poll_body(request: Request, state: State, job: Job) -> dict[str, Any]:
    phase = job.phase(state.now())
    body: dict[str, Any] = {
        "id": job.id,
        "status": _D.words[phase],
        "video": None,
        "error": None,
        "meta": job.extra["meta"],
    }
    if job.extra.get("h3"):
        body["model"] = job.model  # H3's answers name the model (protocols-more.md §2.1)
    if phase == "failed":
        body["error"] = _error(job, state.config.aimlapi_error_shape)
    elif phase == "completed":
        if "url" not in job.extra:
            # Signed once, when first seen completed: the URL then expires on its own.
            digits = job.id.split(":", 1)[0]
            state.files[digits] = job
            job.extra["url"] = signed_url(
                state,
                str(request.base_url).rstrip("/"),
                f"/files/aimlapi/{digits}.mp4",
                state.config.aimlapi_url_ttl_s,
            )
        body["video"] = {"url": job.extra["url"]}
    return body


def routes(state: State, renderer: Renderer) -> list[Route]:
    """The AI/ML API routes of one app."""
    submit_h3 = aimlapi_h3.submitter(state, renderer, _D)

    async def submit(request: Request, call: Call) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            return _D.error(request, 400, "Invalid JSON body")
        if not isinstance(body, dict):
            return _D.error(request, 400, "Body must be a JSON object")
        if body.get("model") in aimlapi_h3.MODELS:
            return await submit_h3(request, call, body)
        checked = _validate(request, body, state.assets)
        if isinstance(checked, Response):
            return checked
        m, params = checked
        shape = Shape(
            params["prompt"],
            params["duration"],
            params["resolution"],
            params["image_url"],
            params.get("last_image_url"),
        )
        price = m.price(shape.seconds, shape.resolution)
        if not state.can_afford(call.key, price):
            return _D.error(request, 403, "Insufficient credits to perform this request")
        is_blocked = blocked(shape.prompt, state.config.block_marker)
        job = start_job(
            state,
            renderer,
            job_id=f"{state.new_digit_id()}:{m.name}",
            model=m,
            key=call.key,
            shape=shape,
            params=params,
            fail_reason=INPUT_BLOCKED if is_blocked else None,
            fail_code=1026 if is_blocked else None,
            fail_fast=is_blocked,
        )
        usage: dict[str, Any] = {"credits_used": round(price * CREDITS_PER_USD)}
        if state.config.aimlapi_usd_spent:
            usage["usd_spent"] = price  # recent captures; the seed has credits only
        job.extra["meta"] = {"usage": usage}
        return json_response(
            {"id": job.id, "generation_id": job.id, "status": "queued", "meta": job.extra["meta"]}
        )

    async def poll(request: Request, call: Call) -> Response:
        gid = request.query_params.get("generation_id")
        if not gid:
            return _D.error(request, 400, "generation_id is required")
        job = state.jobs.get(gid)
        if job is None or job.provider != "aimlapi" or job.key != call.key:
            return _D.error(request, 404, f"Generation {gid} not found")
        return json_response(_poll_body(request, state, job))

    return [
        guarded(state, _D, "POST", PATH, "aimlapi.submit", submit),
        guarded(state, _D, "GET", PATH, "aimlapi.poll", poll),
    ]
