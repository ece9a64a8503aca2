"""MiniMax Video Generation V2 (H3) under ``/minimax``: create, query, list, cancel,
regeneration and Context-IR.

Quirks kept (protocols-more.md §1): unlike V1, errors use **real HTTP status codes** with
an OpenAI-style body ``{"type": "error", "error": {"type", "message": "… (<code>)",
"http_code": "400"}, "request_id"}`` and no ``base_resp``; a create answers only
``{"task_id"}``; statuses are ``queued``/``running``/``succeeded``/``failed``/
``cancelled``; queued and running tasks carry ``usage: {}`` and no ``content``; a
succeeded task's ``content.url`` is signed anew on every query; tasks older than 7 days
are an ``invalid task_id``; plan keys (``sk-cp-…``) cannot use H3 (402). The rules of a
request are in ``h3content``; choices where the doc is silent are in docs/emulator-h3.md.

Example:
    >>> oai_error(402, "insufficient balance (1008)").status_code
    402
"""

from __future__ import annotations

import heapq
import json
import math
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import h3
from .files import signed_url
from .h3content import (
    MAX_BODY,
    Generation,
    Invalid,
    Media,
    Resolver,
    check_base,
    check_common,
    parse_content,
    parse_generation,
)
from .h3jobs import Output, in_flight, launch, summary
from .h3render import for_renderer
from .jobs import blocked
from .render import Renderer
from .state import Job, State
from .uploads import minimax_resolver
from .web import Call, guarded, json_response

PREFIX = "/minimax/v2"
#: Tasks (and their query answers) are kept this long.
QUERY_WINDOW_S = 7 * 86400.0
STATUS = {
    "preparing": "queued",
    "queued": "queued",
    "processing": "running",
    "completed": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
}
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


_D = V2Dialect()


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


def generation_usage(gen: Generation) -> tuple[dict[str, Any], float]:
    """The succeeded task's ``usage`` and the USD it costs (§1.3, §1.10).

    Reference video is billed per started input second at the output rate; images past
    the free ones are paid; reference audio is free.
    """
    images = gen.count("first_frame") + gen.count("last_frame") + gen.count("reference_image")
    video_s = math.ceil(round(gen.seconds("reference_video"), 2))
    audio_s = math.ceil(round(gen.seconds("reference_audio"), 2))
    prompt = h3.prompt_tokens(gen.prompt, images, video_s, audio_s)
    completion = h3.output_tokens(gen.resolution, gen.duration)
    usage = {
        "total_seconds": gen.duration + video_s,
        "input_seconds": video_s,
        "output_seconds": gen.duration,
        "input_image_count": images,
        "input_audio_seconds": audio_s,
        "total_tokens": prompt + completion,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
    }
    price = h3.generation_price(gen.model, gen.resolution, gen.duration, images, video_s)
    return usage, price


def frame_bytes(media: list[Media], role: str) -> bytes | None:
    """The bytes of the (visible) image with ``role``, for the picture."""
    return next((m.data for m in media if m.role == role and m.data), None)


def expand_prompt(prompt: str, duration: int) -> str:
    """What Context-IR writes: a structured shot description (§1.3), made up from the prompt."""
    shots = " ".join(
        f"[Shot {n}] {prompt.strip()} — camera holds, light shifts softly."
        for n in range(1, max(1, min(4, duration // 4)) + 1)
    )
    return (
        f"integrated_multimodal_description: {shots}\n"
        f"overall_soundscape: ambience matching “{prompt.strip()[:80]}”.\n"
        "non_diegetic_music: a soft sustained chord."
    )


def routes(state: State, renderer: Renderer) -> list[Route]:
    """The V2 routes of one app."""
    h3r = for_renderer(renderer)

    def visible(task_id: str, key: str) -> Job | None:
        job = state.jobs.get(task_id)
        if (
            job is None
            or job.key != key
            or job.extra.get("api") != "v2"
            or "deleted" in job.extra
            or state.now() - job.created > QUERY_WINDOW_S
        ):
            return None
        return job

    def url_of(request: Request, job: Job) -> str:
        if "file_id" not in job.extra:
            job.extra["file_id"] = state.new_digit_id()
            state.files[job.extra["file_id"]] = job
        return signed_url(
            state,
            str(request.base_url).rstrip("/"),
            f"/files/minimax/{job.extra['file_id']}.mp4",
            state.config.minimax_v2_url_ttl_s,
        )

    def task_object(request: Request, job: Job) -> dict[str, Any]:
        now = state.now()
        phase = job.phase(now)
        x = job.extra
        updated = {
            "processing": job.started,
            "completed": job.finished,
            "failed": job.finished,
            "cancelled": job.cancelled,
        }.get(phase, job.created)
        task: dict[str, Any] = {
            "id": job.id,
            "model": job.model,
            "status": STATUS[phase],
            "created_at": int(job.created),
            "updated_at": int(updated or job.created),
        }
        if phase == "completed":
            if x["task_type"] == "h3_context_ir":
                task["content"] = {"prompt": x["expanded"]}
            else:
                task["content"] = {"url": url_of(request, job)}
        if x["task_type"] != "h3_context_ir":
            task["resolution"] = x["resolution"]
        task["duration"] = job.seconds
        task["usage"] = x["usage"] if phase == "completed" else {}
        if phase == "failed":
            task["error"] = {"code": str(job.fail_code or 1000), "message": job.fail_reason}
        task["ratio"] = x["output_ratio"] if phase == "completed" else x["ratio"]
        task["task_type"] = x["task_type"]
        task["modality"] = x["modality"]
        return task

    async def admit(request: Request, call: Call) -> dict[str, Any] | Response:
        """Body and account checks every creating endpoint shares."""
        body = await read_json(request)
        if isinstance(body, Response):
            return body
        if call.key.startswith("sk-cp-"):
            return fail(402)  # plan keys cannot use H3, whatever their balance
        return body

    def refuse_or_none(key: str, prompt: str, price: float) -> Response | None:
        if blocked(prompt, state.config.block_marker):
            return fail(422)  # moderation at submit: nothing created, nothing billed
        if in_flight(state, key, "minimax") >= state.config.minimax_v2_max_in_flight:
            return fail(429, "rate limit, too many tasks in flight, please retry later")
        if not state.can_afford(key, price):
            return fail(402)
        return None

    async def create(request: Request, call: Call) -> Response:
        body = await admit(request, call)
        if isinstance(body, Response):
            return body
        try:
            gen = parse_generation(body, minimax_resolver(state, call.key))
        except Invalid as exc:
            return fail(400, str(exc))
        usage, price = generation_usage(gen)
        refused = refuse_or_none(call.key, gen.prompt, price)
        if refused is not None:
            return refused
        width, height = h3.frame_size(gen.resolution, gen.output_ratio)
        job = launch(
            state,
            h3r,
            job_id=state.new_digit_id(),
            provider="minimax",
            model=gen.model,
            key=call.key,
            params=summary(body),
            duration=gen.duration,
            price=price,
            typical_s=h3.typical_seconds(gen.resolution, gen.duration),
            prompt=gen.prompt,
            output=Output(width, height, h3.frame_count(gen.resolution, gen.duration)),
            first_frame=frame_bytes(gen.media, "first_frame"),
            last_frame=frame_bytes(gen.media, "last_frame"),
            extra={
                "api": "v2",
                "task_type": "generation",
                "modality": "video",
                "resolution": gen.resolution,
                "ratio": "adaptive" if gen.mode == "i2va" else gen.ratio,
                "output_ratio": gen.output_ratio,
                "usage": usage,
            },
        )
        return json_response({"task_id": job.id})

    async def context_ir(request: Request, call: Call) -> Response:
        body = await admit(request, call)
        if isinstance(body, Response):
            return body
        try:
            gen = parse_generation(body, minimax_resolver(state, call.key), context_ir=True)
        except Invalid as exc:
            return fail(400, str(exc))
        expanded = expand_prompt(gen.prompt, gen.duration)
        images = gen.count("first_frame") + gen.count("last_frame") + gen.count("reference_image")
        prompt_tokens = h3.prompt_tokens(
            gen.prompt, images, gen.seconds("reference_video"), gen.seconds("reference_audio")
        )
        completion = math.ceil(len(expanded) / 4)
        price = round(
            prompt_tokens * h3.CONTEXT_IR_IN_PER_TOKEN + completion * h3.CONTEXT_IR_OUT_PER_TOKEN,
            6,
        )
        refused = refuse_or_none(call.key, gen.prompt, price)
        if refused is not None:
            return refused
        job = launch(
            state,
            h3r,
            job_id=state.new_digit_id(),
            provider="minimax",
            model=gen.model,
            key=call.key,
            params=summary(body),
            duration=gen.duration,
            price=price,
            typical_s=h3.CONTEXT_IR_SECONDS,
            prompt=gen.prompt,
            output=None,
            extra={
                "api": "v2",
                "task_type": "h3_context_ir",
                "modality": "text",
                "ratio": gen.ratio,
                "output_ratio": gen.output_ratio,
                "expanded": expanded,
                "usage": {
                    "total_tokens": prompt_tokens + completion,
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion,
                },
            },
        )
        return json_response({"task_id": job.id})

    async def regenerate(request: Request, call: Call) -> Response:
        body = await admit(request, call)
        if isinstance(body, Response):
            return body
        try:
            prompt, duration, output = parse_regeneration(body, minimax_resolver(state, call.key))
        except Invalid as exc:
            return fail(400, str(exc))
        price = round(h3.REGENERATION_RATE * duration, 6)
        refused = refuse_or_none(call.key, prompt, price)
        if refused is not None:
            return refused
        prompt_tokens = h3.prompt_tokens(prompt, 0, 0, 0)
        completion = h3.output_tokens("2K", duration)
        job = launch(
            state,
            h3r,
            job_id=state.new_digit_id(),
            provider="minimax",
            model="MiniMax-H3",
            key=call.key,
            params=summary(body),
            duration=duration,
            price=price,
            typical_s=h3.regeneration_seconds(duration),
            prompt=prompt,
            output=output,
            extra={
                "api": "v2",
                "task_type": "regeneration",
                "modality": "video",
                "resolution": "2K",
                "ratio": "",
                "output_ratio": "",
                "usage": {
                    "total_seconds": duration,
                    "input_seconds": 0,
                    "output_seconds": duration,
                    "input_image_count": 0,
                    "input_audio_seconds": 0,
                    "total_tokens": prompt_tokens + completion,
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion,
                },
            },
        )
        return json_response({"task_id": job.id})

    async def query(request: Request, call: Call) -> Response:
        tid = request.path_params["task_id"]
        job = visible(tid, call.key)
        if job is None:
            return fail(400, f"invalid task_id {tid!r}")
        return json_response({"task": task_object(request, job)})

    async def listing(request: Request, call: Call) -> Response:
        q = request.query_params
        try:
            page_num = int(q.get("page_num") or 1)
            page_size = int(q.get("page_size") or 20)
        except ValueError:
            return fail(400, "page_num and page_size must be integers")
        if page_num < 1 or not 1 <= page_size <= 100:
            return fail(400, "page_num must be >= 1 and page_size 1-100")
        status = q.get("filter.status") or None
        if status is not None and status not in set(STATUS.values()):
            return fail(
                400, f"filter.status must be one of {', '.join(sorted(set(STATUS.values())))}"
            )
        ids = {t.strip() for v in q.getlist("filter.task_ids") for t in v.split(",") if t.strip()}
        model = q.get("filter.model") or None
        task_type = q.get("filter.task_type") or None
        now = state.now()
        found = [
            job
            for job in state.jobs.values()
            if visible(job.id, call.key) is job
            and (status is None or STATUS[job.phase(now)] == status)
            and (not ids or job.id in ids)
            and (model is None or job.model == model)
            and (task_type is None or job.extra["task_type"] == task_type)
        ]
        found.sort(key=lambda j: (j.created, j.id), reverse=True)  # newest first
        page = found[(page_num - 1) * page_size : page_num * page_size]
        return json_response(
            {"items": [task_object(request, j) for j in page], "total": len(found)}
        )

    async def cancel(request: Request, call: Call) -> Response:
        tid = request.path_params["task_id"]
        job = visible(tid, call.key)
        if job is None:
            return fail(400, f"invalid task_id {tid!r}")
        now = state.now()
        phase = job.phase(now)
        if phase in ("preparing", "queued"):
            job.cancelled = now
            release_slot(state, job)
            return json_response({"task_id": tid, "action": "cancelled", "status": "cancelled"})
        if phase == "processing":
            return fail(400, f"task {tid} is running and cannot be cancelled")
        if phase == "cancelled":
            return fail(400, f"task {tid} is already cancelled")
        job.extra["deleted"] = now
        state.files.pop(str(job.extra.get("file_id")), None)  # its URLs stop working
        return json_response({"task_id": tid, "action": "deleted", "status": STATUS[phase]})

    task_path = f"{PREFIX}/query/video_generation"
    return [
        guarded(state, _D, "POST", f"{PREFIX}/video_generation", "minimax.v2.submit", create),
        guarded(state, _D, "POST", f"{PREFIX}/h3_context_ir", "minimax.v2.submit", context_ir),
        guarded(
            state, _D, "POST", f"{PREFIX}/video_regeneration", "minimax.v2.regenerate", regenerate
        ),
        guarded(state, _D, "GET", task_path + "/{task_id}", "minimax.v2.query", query),
        guarded(state, _D, "GET", task_path, "minimax.v2.list", listing),
        guarded(
            state,
            _D,
            "DELETE",
            f"{PREFIX}/video_generation/{{task_id}}",
            "minimax.v2.cancel",
            cancel,
        ),
    ]


def parse_regeneration(body: dict[str, Any], resolver: Resolver) -> tuple[str, int, Output]:
    """Prompt, duration and 2K output of a regeneration request (§1.8).

    The output keeps the base's frames and ratio: from our own task when the base is one
    of our outputs, from the file when we can see it, else 5 s at 16:9.
    """
    if body.get("model") != "MiniMax-H3":
        raise Invalid(
            f"video_regeneration supports model MiniMax-H3 only, got {body.get('model')!r}"
        )
    prompt, media = parse_content(body.get("content"), resolver, base_video=True)
    resolution = body.get("resolution")
    if resolution is None:
        raise Invalid("resolution is required")
    if resolution != "2K":
        raise Invalid(f"resolution must be 2K for video_regeneration, got {resolution!r}")
    check_common(body)
    bases = [m for m in media if m.role == "base_video"]
    if len(bases) != 1:
        raise Invalid("content must include exactly one video_url with role base_video")
    base = bases[0]
    check_base(base)
    if base.job is not None:
        frames = int(base.job.extra["frames"])
        ratio = str(base.job.extra["output_ratio"])
        duration = base.job.seconds
    elif base.data is not None:
        frames, ratio = base.frames, h3.nearest_ratio(base.width, base.height)
        duration = min(15, max(4, round(frames / h3.FPS)))
    else:
        frames, ratio, duration = h3.frame_count("768P", 5), "16:9", 5
    width, height = h3.frame_size("2K", ratio)
    return prompt, duration, Output(width, height, frames)


def release_slot(state: State, job: Job) -> None:
    """Give back the worker slot a cancelled queued job held.

    The slot heap keeps only each slot's last finish time: if this job is still the last
    in its slot, the slot is free again from when the job would have started (never
    earlier, since the job before it may still be running until then).
    """
    slots = state.account(job.key).slots
    if job.finished in slots:
        slots[slots.index(job.finished)] = job.started
        heapq.heapify(slots)
