"""Segmind under ``/segmind``: v1 (blocking), v2 (submit + poll), upload-asset, and the
request history (``/segmind/inference-request/request-history[/{id}]``, in
``segmind_history.py``; real Segmind serves it from ``api.spotprod.segmind.com``).

Quirks kept on purpose (protocols.md): auth only by ``x-api-key`` (Bearer gets 401);
errors as ``{"error": ...}``; a v2 submit answers 200, not 202; FAILED is served as 422
on both GETs; unknown or expired ids are 404; insufficient credit is 402 on v2 and 406 on
v1; a 429 carries ``x-rate-limit-reset-at-utc`` and no Retry-After. 406 has other meanings
too, each with its own words: a body sent as another Content-Type than JSON is refused
"Invalid content type" here; the ``406_*`` faults give the others (a parameter refused before
the model runs, a team spend limit).

What v1 answers is ``EmulatorConfig.segmind_v1_answer`` (Segmind does not pin it for
Hailuo): the MP4 bytes (``video``, the default; ``octet`` sends them as
``application/octet-stream``), JSON with an output URL or an error (``json``), or an HTML
page (``html``).

Rough edge chosen where Segmind says nothing: 1080p + 10 s is accepted (200) and the job
then FAILS with a reason, as Segmind does for other bad parameters (seen).

Every accepted request (v1 and v2) keeps the JSON body exactly as sent, for the history's
``request_body``; the history outlives the 1-hour status window (no age limit).

Example:
    >>> iso_utc(0)
    '1970-01-01T00:00:00Z'
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import segmind_history
from .catalog import ParamError, check, model
from .jobs import INPUT_BLOCKED, Shape, blocked, start_job, wait_done
from .render import ASSET_PREFIX, Renderer
from .state import Job, State
from .web import Call, guarded, json_response

#: How long output files stay downloadable (seen: 7 days), longer than status (1 h).
FILE_RETENTION_S = 7 * 24 * 3600.0
TOO_LONG_AT_1080P = "Invalid parameters: a 10 s video is only available at 768p, not 1080p"
_WORDS = {
    "preparing": "QUEUED",
    "queued": "QUEUED",
    "processing": "PROCESSING",
    "completed": "COMPLETED",
    "failed": "FAILED",
}


def iso_utc(epoch: float) -> str:
    """The form of ``x-rate-limit-reset-at-utc`` (the real format is not documented)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class SegmindDialect:
    """Segmind's auth and error shapes."""

    name = "segmind"

    def key_of(self, request: Request) -> str | None:
        return request.headers.get("x-api-key") or None

    def error(self, request: Request, status: int, message: str) -> Response:
        return json_response({"error": message}, status)

    def unauthorized(self, request: Request) -> Response:
        if request.headers.get("authorization", "").lower().startswith("bearer"):
            return self.error(
                request,
                401,
                "Unauthorized: send the API key in the x-api-key "
                "header (Bearer tokens are not accepted)",
            )
        return self.error(request, 401, "Unauthorized: missing or invalid API key")

    def rate_limited(self, request: Request, reset_at: float) -> Response:
        return json_response(
            {"error": "Too many requests, please slow down"},
            429,
            headers={"x-rate-limit-reset-at-utc": iso_utc(reset_at)},
        )


_D = SegmindDialect()


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _body(request: Request) -> dict[str, Any] | Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind != "application/json":
        # One of Segmind's several 406s: the body must be sent as JSON.
        return _D.error(request, 406, "Invalid content type")
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return _D.error(request, 400, "Invalid JSON in request body")
    if not isinstance(body, dict):
        return _D.error(request, 400, "Request body must be a JSON object")
    return body


def _accept(
    request: Request, call: Call, renderer: Renderer, slug: str, body: dict[str, Any], *, v1: bool
) -> Job | Response:
    """Validate and create a job, or answer the refusal."""
    m = model("segmind", slug)
    if m is None:
        return _D.error(request, 404, f"Model {slug} not found")
    try:
        params = check(m, body)
    except ParamError as exc:
        return _D.error(request, 400, f"Invalid parameters: {exc}")
    state = call.state
    if slug == "minimax-hailuo-2":
        shape = Shape(
            params["prompt"],
            6,
            "1080p" if params["mode"] == "pro" else "768p",
            params["image_url"],
            params["last_frame_image"],
        )
    else:
        shape = Shape(
            params["prompt"],
            params["duration"],
            params.get("resolution") or "768p",
            params["first_frame_image"],
            params.get("last_frame_image"),
            speed=0.7 if params.get("go_fast") else 1.0,
        )
    if not state.can_afford(call.key, m.price(shape.seconds, shape.resolution)):
        return _D.error(request, 406 if v1 else 402, "Insufficient credits")
    reason = None
    if shape.seconds == 10 and shape.resolution == "1080p":
        reason = TOO_LONG_AT_1080P
    is_blocked = blocked(shape.prompt, state.config.block_marker)
    job = start_job(
        state,
        renderer,
        job_id=state.new_hex_id(),
        model=m,
        key=call.key,
        shape=shape,
        params=params,
        fail_reason=INPUT_BLOCKED if is_blocked else reason,
        fail_fast=is_blocked,
    )
    # ``params`` has defaults filled in and "6" read as 6; the history shows what was sent.
    job.extra["request_body"] = copy.deepcopy(body)
    return job


def _metrics(state: State, job: Job, phase: str) -> dict[str, Any]:
    now = state.now()
    out: dict[str, Any] = {"queue_time": round(max(0.0, min(now, job.started) - job.created), 3)}
    if phase in ("completed", "failed"):
        out["inference_time"] = round(job.finished - job.started, 3)
        out["total_time"] = round(job.finished - job.created, 3)
    if phase == "completed":
        out["cost"] = job.price
        out["remaining_credits"] = state.settle(job.key)
    return out


def _find(request: Request, call: Call) -> Job | Response:
    rid = request.path_params["request_id"]
    job = call.state.jobs.get(rid)
    expired = (
        job is not None and call.state.now() > job.created + call.state.config.segmind_retention_s
    )
    if job is None or job.provider != "segmind" or job.key != call.key or expired:
        return _D.error(request, 404, f"Request {rid} not found")
    return job


def routes(state: State, renderer: Renderer) -> list[Route]:
    """The Segmind routes of one app."""

    async def v2_submit(request: Request, call: Call) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        job = _accept(request, call, renderer, request.path_params["slug"], body, v1=False)
        if isinstance(job, Response):
            return job
        base = _base(request)
        return json_response(
            {
                "request_id": job.id,
                "status": "QUEUED",
                "poll_url": f"{base}/segmind/v1/requests/{job.id}",
                "status_url": f"{base}/segmind/v2/requests/{job.id}/status",
                "response_url": f"{base}/segmind/v2/requests/{job.id}",
            }
        )

    async def status(request: Request, call: Call) -> Response:
        job = _find(request, call)
        if isinstance(job, Response):
            return job
        phase = job.phase(call.state.now())
        body: dict[str, Any] = {
            "status": _WORDS[phase],
            "request_id": job.id,
            "metrics": _metrics(call.state, job, phase),
        }
        if phase == "failed":
            body["error"] = job.fail_reason
            return json_response(body, 422)
        return json_response(body)

    async def result(request: Request, call: Call) -> Response:
        job = _find(request, call)
        if isinstance(job, Response):
            return job
        phase = job.phase(call.state.now())
        body: dict[str, Any] = {
            "status": _WORDS[phase],
            "error": None,
            "metrics": _metrics(call.state, job, phase),
            "output": None,
        }
        if phase == "failed":
            body["error"] = job.fail_reason
            return json_response(body, 422)
        if phase == "completed":
            body["output"] = segmind_history.video_url(_base(request), job.id)
        return json_response(body)

    async def v1_run(request: Request, call: Call) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        job = _accept(request, call, renderer, request.path_params["slug"], body, v1=True)
        if isinstance(job, Response):
            return job
        phase = await wait_done(call.state, job)
        answer = call.state.config.segmind_v1_answer
        path = job.path
        reason = job.fail_reason or "Inference failed"
        if answer == "json" and (phase == "failed" or path is None):
            return json_response({"status": "FAILED", "error": reason, "request_id": job.id})
        if phase == "failed" or path is None:
            # v1 has no FAILED state to report; an error answer is all it can give.
            return _D.error(request, 400, reason)
        headers = {
            "x-remaining-credits": f"{call.state.settle(call.key):.4f}",
            "x-cost": f"{job.price:.4f}",
            "x-request-id": job.id,
            "x-generation-time": f"{job.finished - job.created:.2f}",
        }
        if answer == "json":
            body = {
                "status": "COMPLETED",
                "output": segmind_history.video_url(_base(request), job.id),
                "request_id": job.id,
            }
            return json_response(body, headers=headers)
        if answer == "html":
            # Done and billed, yet what comes back is a page: a client must not save it.
            page = "<!doctype html><html><body><h1>Segmind</h1><p>Welcome</p></body></html>"
            return Response(page, media_type="text/html", headers=headers)
        data = await asyncio.to_thread(path.read_bytes)
        kind = "application/octet-stream" if answer == "octet" else "video/mp4"
        return Response(data, media_type=kind, headers=headers)

    async def upload(request: Request, call: Call) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        urls = body.get("data_urls")
        if not isinstance(urls, list) or not urls:
            return _D.error(request, 400, "data_urls must be a non-empty list of data URLs")
        out = []
        for item in urls:
            head, _, payload = str(item).partition(",")
            if not (head.startswith("data:image/") and head.endswith(";base64")):
                return _D.error(request, 400, "each entry must be a data:image/...;base64 URL")
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                return _D.error(request, 400, "invalid base64 in data URL")
            mime = head[5:-7]
            name = f"{call.state.new_hex_id()}.{mime.split('/')[1].split('+')[0]}"
            call.state.assets[name] = (data, mime)
            out.append(f"{_base(request)}{ASSET_PREFIX}{name}")
        return json_response({"file_urls": out, "urls": out})

    return [
        guarded(state, _D, "POST", "/segmind/upload-asset", "segmind.upload", upload),
        guarded(
            state, _D, "GET", "/segmind/v2/requests/{request_id}/status", "segmind.status", status
        ),
        guarded(state, _D, "GET", "/segmind/v2/requests/{request_id}", "segmind.result", result),
        # poll_url of the submit answer points here (an older alias of the result).
        guarded(state, _D, "GET", "/segmind/v1/requests/{request_id}", "segmind.result", result),
        guarded(state, _D, "POST", "/segmind/v2/{slug}", "segmind.submit", v2_submit),
        guarded(state, _D, "POST", "/segmind/v1/{slug}", "segmind.v1", v1_run),
        *segmind_history.routes(state, _D),
    ]
