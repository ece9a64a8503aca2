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
    >>> STATUS["processing"], STATUS["preparing"]
    ('running', 'queued')
"""

from __future__ import annotations

import heapq
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import h3
from .files import signed_url
from .h3content import Generation, Invalid, Media, parse_generation
from .h3jobs import Output, in_flight, launch, summary
from .h3render import for_renderer
from .jobs import blocked
from .oai import V2Dialect, fail, read_json
from .regeneration import parse_regeneration
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
_D = V2Dialect()


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
