"""MiniMax official API under ``/minimax``: generation, query, file retrieval.

Quirks kept (protocols.md): Bearer auth; errors come back **inside HTTP 200** as
``base_resp: {"status_code", "status_msg"}`` (1002 rate limit, 1004 auth, 1008 balance,
1026 sensitive prompt, 1027 sensitive output, 2013 invalid params; faults add 1000, 1001,
1013, "retry later"); statuses
``Preparing``/``Queueing``/``Processing``/``Success``/``Fail``; the duration × resolution
matrix (10 s only at 768P; 512P only for Hailuo-02 image-to-video, and not with a last
frame: first + last frame generation lists 768P and 1080P only); download URLs valid 1 h
(MiniMax's download page). Only gateway-level failures (injected 5xx) use HTTP status codes.

How a ``Fail`` says why is ``EmulatorConfig.minimax_fail_style``: ``code`` (the reason's own
code and message), or code 0 "success", as the official query schema allows (it has no error
field): ``zero`` with no reason anywhere, ``zero_msg`` with the reason as ``status_msg``,
``zero_field`` with the reason in an ``error_message`` field.

Example:
    >>> base_resp(1004, "login fail")
    {'status_code': 1004, 'status_msg': 'login fail'}
"""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .catalog import ParamError, check, model
from .files import signed_url
from .jobs import Shape, blocked, start_job
from .render import Renderer, resolve_image
from .state import Job, State
from .web import Call, guarded, json_response

# MiniMax's own wording for its "please retry your requests later" codes.
_RETRY_LATER = {1000: "unknown error", 1001: "request timeout", 1013: "internal service error"}

_WORDS = {
    "preparing": "Preparing",
    "queued": "Queueing",
    "processing": "Processing",
    "completed": "Success",
    "failed": "Fail",
}


def base_resp(code: int = 0, msg: str = "success") -> dict[str, Any]:
    """MiniMax's status block, present in every body."""
    return {"status_code": code, "status_msg": msg}


def _fail(code: int, msg: str, **extra: Any) -> Response:
    return json_response({**extra, "base_resp": base_resp(code, msg)})


class MinimaxDialect:
    """MiniMax's auth and (in-band) error shapes."""

    name = "minimax"

    def key_of(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[7:].strip() or None if auth.lower().startswith("bearer ") else None

    def error(self, request: Request, status: int, message: str) -> Response:
        if status >= 500:
            return json_response({"base_resp": base_resp(1000, message)}, status)
        return _fail(2013 if status == 400 else 1000, message)

    def unauthorized(self, request: Request) -> Response:
        return _fail(1004, "login fail: Please carefully check the API secret key")

    def rate_limited(self, request: Request, reset_at: float) -> Response:
        return _fail(1002, "rate limit exceeded(RPM)")

    def retry_later(self, request: Request, code: int) -> Response:
        return _fail(code, _RETRY_LATER[code])


_D = MinimaxDialect()


def image_problem(data: bytes) -> str | None:
    """Why MiniMax would refuse this image, or None (JPG/PNG/WebP, < 20 MB, short side
    > 300 px, aspect ratio between 2:5 and 5:2).

    Example:
        >>> import io
        >>> from PIL import Image
        >>> buf = io.BytesIO(); Image.new("RGB", (200, 200)).save(buf, "PNG")
        >>> image_problem(buf.getvalue())
        'short side must be more than 300 px'
    """
    if len(data) >= 20 * 1024 * 1024:
        return "image must be smaller than 20 MB"
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, (w, h) = img.format, img.size
    except (OSError, ValueError):
        return "image cannot be decoded"
    if fmt not in ("JPEG", "PNG", "WEBP"):
        return f"image format {fmt} is not JPG, PNG or WebP"
    if min(w, h) <= 300:
        return "short side must be more than 300 px"
    if not 2 / 5 <= w / h <= 5 / 2:
        return "aspect ratio must be between 2:5 and 5:2"
    return None


def _validate(
    body: dict[str, Any], assets: dict[str, tuple[bytes, str]]
) -> tuple[Any, dict[str, Any]] | str:
    """(model, params) or the 2013 message."""
    m = model("minimax", str(body.get("model")))
    if m is None:
        return f"invalid params, unknown model {body.get('model')!r}"
    try:
        params = check(m, body, digit_strings=False)
    except ParamError as exc:
        return f"invalid params, {exc}"
    if body.get("last_frame_image") and m.param("last_frame_image") is None:
        return f"invalid params, last_frame_image is not supported by {m.name}"
    if not params["prompt"] and not params.get("first_frame_image"):
        return "invalid params, prompt is required for text-to-video"
    if params["duration"] == 10 and params["resolution"] == "1080P":
        return "invalid params, 10 s videos are only available at 768P"
    if params["resolution"] == "512P" and not params.get("first_frame_image"):
        return "invalid params, 512P is only available for image-to-video"
    if params["resolution"] == "512P" and params.get("last_frame_image"):
        return "invalid params, first and last frame generation supports 768P and 1080P only"
    for name in ("first_frame_image", "last_frame_image"):
        # Only images we can see (data URLs, our uploads) are checked; others pass.
        data = resolve_image(params.get(name), assets)
        problem = image_problem(data) if data is not None else None
        if problem:
            return f"invalid params, {name}: {problem}"
    return m, params


def routes(state: State, renderer: Renderer) -> list[Route]:
    """The MiniMax routes of one app."""

    async def submit(request: Request, call: Call) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            return _fail(2013, "invalid params, body is not valid JSON")
        if not isinstance(body, dict):
            return _fail(2013, "invalid params, body must be a JSON object")
        checked = _validate(body, state.assets)
        if isinstance(checked, str):
            return _fail(2013, checked, task_id="")
        m, params = checked
        prompt = params["prompt"] or ""
        # Moderation of the input happens at submit: nothing is created, nothing billed.
        if blocked(prompt, state.config.block_marker):
            return _fail(1026, "input new_sensitive", task_id="")
        shape = Shape(
            prompt,
            params["duration"],
            params["resolution"],
            params.get("first_frame_image"),
            params.get("last_frame_image"),
        )
        if not state.can_afford(call.key, m.price(shape.seconds, shape.resolution)):
            return _fail(1008, "insufficient balance", task_id="")
        job = start_job(
            state,
            renderer,
            job_id=state.new_digit_id(),
            model=m,
            key=call.key,
            shape=shape,
            params=params,
        )
        return _fail(0, "success", task_id=job.id)

    def _file_id(job: Job) -> str:
        if "file_id" not in job.extra:
            job.extra["file_id"] = state.new_digit_id()
            state.files[job.extra["file_id"]] = job
        return str(job.extra["file_id"])

    async def query(request: Request, call: Call) -> Response:
        tid = request.query_params.get("task_id", "")
        job = state.jobs.get(tid)
        # A V2 (H3) task is not a V1 task: V1's query does not know it.
        if job is None or job.provider != "minimax" or job.key != call.key or "api" in job.extra:
            return _fail(2013, f"invalid params, task {tid!r} not found", task_id=tid, status="")
        phase = job.phase(state.now())
        body: dict[str, Any] = {
            "task_id": job.id,
            "status": _WORDS[phase],
            "file_id": "",
            "video_width": 0,
            "video_height": 0,
        }
        if phase == "completed":
            body.update(file_id=_file_id(job), video_width=job.width, video_height=job.height)
        if phase == "failed":
            code = job.fail_code or 1000
            reason = "output new_sensitive" if code == 1027 else str(job.fail_reason)
            style = state.config.minimax_fail_style
            if style == "zero":
                return _fail(0, "success", **body)
            if style == "zero_msg":
                return _fail(0, reason, **body)
            if style == "zero_field":
                return _fail(0, "success", error_message=reason, **body)
            return _fail(code, reason, **body)
        return _fail(0, "success", **body)

    async def retrieve(request: Request, call: Call) -> Response:
        fid = request.query_params.get("file_id", "")
        job = state.files.get(fid)
        if job is None or job.provider != "minimax" or job.key != call.key or job.path is None:
            return _fail(2013, f"invalid params, file {fid!r} not found")
        url = signed_url(
            state,
            str(request.base_url).rstrip("/"),
            f"/files/minimax/{fid}.mp4",
            state.config.minimax_url_ttl_s,
        )
        return _fail(
            0,
            "success",
            file={
                # file_id is an integer here but a string in the query answer (as seen).
                "file_id": int(fid),
                "bytes": job.path.stat().st_size,
                "created_at": int(job.finished),
                "filename": "output.mp4",
                "purpose": "video_generation",
                "download_url": url,
            },
        )

    return [
        guarded(state, _D, "POST", "/minimax/v1/video_generation", "minimax.submit", submit),
        guarded(state, _D, "GET", "/minimax/v1/query/video_generation", "minimax.query", query),
        guarded(state, _D, "GET", "/minimax/v1/files/retrieve", "minimax.retrieve", retrieve),
    ]
