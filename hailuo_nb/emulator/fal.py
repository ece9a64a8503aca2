"""fal.ai's queue under ``/fal`` (stands for ``https://queue.fal.run``), files under ``/fal/files``.

Protocol (protocols-more.md §3, fal-client 1.0.3):

- ``POST /fal/{endpoint id}`` (``Authorization: Key …``) queues the input and answers 200
  with ``request_id`` (a UUID), ``status_url``, ``response_url`` and ``cancel_url``. Those
  live under the **app** only (``/fal/fal-ai/minimax/requests/{id}``), never under the
  endpoint's full path; asking under another app is a 404.
- ``GET …/status[?logs=1|true]``: 202 ``IN_QUEUE`` + ``queue_position`` (0-based),
  202 ``IN_PROGRESS`` + ``logs``, 200 ``COMPLETED`` + ``metrics.inference_time``.
- ``GET …/requests/{id}``: 400 ``{"detail": "Request is still in progress"}`` until done,
  then 200 ``{"video": {...}}``. A failed job is COMPLETED too (with ``error``): its result
  answers 422 with a pydantic ``detail`` list (bad input, content policy).
- ``PUT …/cancel``: 202 ``CANCELLATION_REQUESTED``; only a queued job is removed, a
  running one gets the signal and runs on (the MiniMax apps cannot stop MiniMax);
  400 ``ALREADY_COMPLETED``; 404 ``NOT_FOUND``.

Input is checked when the job runs, as fal's runners do: a bad input is accepted, then
ends COMPLETED at once with its 422. Out of balance is 403 ("User is locked").

Example:
    >>> FalDialect().key_of_header("Key abc:def")
    'abc:def'
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import fal_models
from .hosted import Plan, end_early, iso_ms, race_start, start_hosted
from .render import Renderer
from .schema import Issue, validate
from .state import Job, State
from .web import Call, guarded, json_response

STILL_RUNNING = "Request is still in progress"
CANCELLED = "Request was cancelled before it started"
EXHAUSTED = (
    "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."
)
_DONE = ("completed", "failed")


class FalDialect:
    """fal's auth (``Key``) and error shape (``{"detail": ...}``)."""

    name = "fal"

    def key_of_header(self, value: str) -> str | None:
        """The key in an ``Authorization`` value; ``Bearer`` is not a fal API key."""
        scheme, _, key = value.partition(" ")
        return key.strip() or None if scheme.lower() == "key" else None

    def key_of(self, request: Request) -> str | None:
        return self.key_of_header(request.headers.get("authorization", ""))

    def error(self, request: Request, status: int, message: str) -> Response:
        return json_response({"detail": message}, status)

    def unauthorized(self, request: Request) -> Response:
        if not request.headers.get("authorization"):
            return self.error(
                request, 401, "Authentication is required to access this application."
            )
        return self.error(request, 401, "No user found for Key ID and Secret")

    def rate_limited(self, request: Request, reset_at: float) -> Response:
        return self.error(request, 429, "Rate limit exceeded")


_D = FalDialect()


def detail_item(issue: Issue) -> dict[str, Any]:
    """One entry of a 422 ``detail`` list, worded as pydantic v2 (fal's apps) words it.

    Example:
        >>> detail_item(Issue("duration", "choice", 6, ("6", "10")))["msg"]
        "Input should be '6' or '10'"
    """
    msg, kind, ctx = _wording(issue)
    item: dict[str, Any] = {"loc": ["body", issue.field], "msg": msg, "type": kind}
    if issue.rule != "missing":
        value = issue.value
        item["input"] = value[:100] + "…" if isinstance(value, str) and len(value) > 100 else value
    if ctx:
        item["ctx"] = ctx
    return item


def _wording(issue: Issue) -> tuple[str, str, dict[str, Any] | None]:
    limit = issue.limit
    if issue.rule == "missing":
        return "Field required", "missing", None
    if issue.rule == "type":
        names = {"integer": "int", "string": "string", "boolean": "bool", "array": "list"}
        noun = {"array": "list"}.get(limit, limit)
        return f"Input should be a valid {noun}", f"{names[limit]}_type", None
    if issue.rule == "choice":
        quoted = [repr(c) for c in limit]
        expected = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
        return f"Input should be {expected}", "literal_error", {"expected": expected}
    if issue.rule == "minimum":
        return (
            f"Input should be greater than or equal to {limit}",
            "greater_than_equal",
            {"ge": limit},
        )
    if issue.rule == "maximum":
        return f"Input should be less than or equal to {limit}", "less_than_equal", {"le": limit}
    if issue.rule == "too_long" and isinstance(issue.value, str):
        msg = f"String should have at most {limit} characters"
        return msg, "string_too_long", {"max_length": limit}
    if issue.rule == "too_long":
        n = len(issue.value)
        msg = f"List should have at most {limit} items after validation, not {n}"
        return msg, "too_long", {"field_type": "List", "max_length": limit, "actual_length": n}
    if issue.rule == "uri":
        return "Input should be a valid URL, relative URL without a base", "url_parsing", None
    return f"Value error, {limit}", "value_error", {"error": str(limit)}


def _urls(base: str, job: Job) -> dict[str, str]:
    root = f"{base}/fal/{job.extra['app']}/requests/{job.id}"
    return {"response_url": root, "status_url": f"{root}/status", "cancel_url": f"{root}/cancel"}


def _position(state: State, job: Job, now: float) -> int:
    """How many of this key's fal jobs will start before this one (0-based)."""
    mine = (job.started, job.created)
    return sum(
        1
        for j in state.jobs.values()
        if j is not job
        and j.provider == "fal"
        and j.key == job.key
        and now < j.started
        and (j.started, j.created) < mine
    )


def _logs(job: Job, now: float) -> list[dict[str, Any]]:
    """Runner log lines up to ``now`` (none for a job that never reached a runner)."""
    if job.extra.get("ended") or job.extra.get("issues"):
        return []
    span = job.finished - job.started
    lines = [(job.started, f"Generating with {job.model}")]
    lines += [(job.started + span * k / 4, f"Generation {25 * k}% done") for k in (1, 2, 3)]
    lines.append((job.finished, "Video ready" if job.fail_reason is None else "Generation failed"))
    return [
        {"message": text, "level": "INFO", "source": "user", "timestamp": iso_ms(at)}
        for at, text in lines
        if at <= now
    ]


def _failure(job: Job) -> tuple[int, dict[str, Any], str]:
    """(HTTP status, body) of a failed job's result, and the ``error_type`` of its status."""
    if job.extra.get("ended"):
        return 400, {"detail": CANCELLED}, "request_cancelled"
    issues: list[Issue] = job.extra.get("issues") or []
    if issues:
        return 422, {"detail": [detail_item(i) for i in issues]}, "validation_error"
    if job.fail_code in (1026, 1027):
        item = {
            "loc": ["body", "prompt"],
            "msg": job.fail_reason,
            "type": "content_policy_violation",
            "url": "https://docs.fal.ai/errors#content_policy_violation",
        }
        if job.fail_code == 1026:
            item["input"] = job.params.get("prompt")
        return 422, {"detail": [item]}, "content_policy_violation"
    return 500, {"detail": job.fail_reason or "Internal server error"}, "internal_error"


def _status_body(state: State, job: Job, base: str, with_logs: bool) -> tuple[int, dict[str, Any]]:
    now = state.now()
    phase = job.phase(now)
    body: dict[str, Any] = {"request_id": job.id, **_urls(base, job)}
    body["logs"] = _logs(job, now) if with_logs else None
    if phase in ("preparing", "queued"):
        body.update(status="IN_QUEUE", queue_position=_position(state, job, now), metrics={})
        return 202, body
    if phase == "processing":
        body.update(status="IN_PROGRESS", metrics={})
        return 202, body
    body.update(
        status="COMPLETED", metrics={"inference_time": round(job.finished - job.started, 3)}
    )
    if phase == "failed":
        _, failure, error_type = _failure(job)
        detail = failure["detail"]
        body.update(error=detail[0]["msg"] if isinstance(detail, list) else detail)
        body.update(error_type=error_type)
    return 200, body


def _lifecycle_ttl(request: Request, default: float) -> float | None:
    """Seconds the output file lives: ``X-Fal-Object-Lifecycle-Preference`` or the default.

    ``null`` or 0 mean "never expires" (fal-client's own reading of the header).
    """
    raw = request.headers.get("x-fal-object-lifecycle-preference")
    if not raw:
        return default
    try:
        pref = json.loads(raw)
        seconds = pref["expiration_duration_seconds"]
        return None if not seconds else float(seconds)
    except (ValueError, TypeError, KeyError):
        return default


def routes(state: State, renderer: Renderer) -> list[Route]:
    """The fal routes of one app."""

    def find(request: Request, call: Call) -> Job | None:
        rid = request.path_params["request_id"]
        app = f"{request.path_params['owner']}/{request.path_params['app']}"
        job = state.jobs.get(rid)
        if job is None or job.provider != "fal" or job.key != call.key:
            return None
        return job if job.extra.get("app") == app else None

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def submit(request: Request, call: Call) -> Response:
        endpoint = fal_models.ENDPOINTS.get(request.path_params["endpoint"].strip("/"))
        if endpoint is None:
            return _D.error(request, 404, f"Endpoint {request.path_params['endpoint']} not found")
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            item = {
                "loc": ["body"],
                "msg": "Input should be a valid dictionary",
                "type": "dict_type",
            }
            return json_response({"detail": [item]}, 422)
        params, issues = validate(endpoint.fields, body, lax=True)
        planned = issues or fal_models.plan(endpoint, params, state.assets)
        if isinstance(planned, list):
            issues, plan = planned, Plan.refused("invalid input")
        else:
            plan = planned
            if not state.can_afford(call.key, plan.price):
                return _D.error(request, 403, EXHAUSTED)
        job = start_hosted(
            state,
            renderer,
            job_id=str(uuid.uuid4()),
            provider="fal",
            model=endpoint.id,
            key=call.key,
            plan=plan,
            params=params,
        )
        job.extra.update(
            app=endpoint.app,
            issues=issues,
            file_ttl=_lifecycle_ttl(request, state.config.fal_file_ttl_s),
            family=endpoint.family,
            seed=params.get("seed")
            if params.get("seed") is not None
            else state.rng.randrange(2**32),
        )
        _, status = _status_body(state, job, base(request), with_logs=False)
        answer = {"status": status["status"], "request_id": job.id, **_urls(base(request), job)}
        if "queue_position" in status:
            answer["queue_position"] = status["queue_position"]
        return json_response(answer, headers={"x-fal-request-id": job.id})

    async def status(request: Request, call: Call) -> Response:
        job = find(request, call)
        if job is None:
            return _D.error(request, 404, "Request not found")
        with_logs = request.query_params.get("logs", "").lower() in ("1", "true")
        code, body = _status_body(state, job, base(request), with_logs)
        return json_response(body, code, headers={"x-fal-request-id": job.id})

    async def result(request: Request, call: Call) -> Response:
        job = find(request, call)
        if job is None:
            return _D.error(request, 404, "Request not found")
        headers = {"x-fal-request-id": job.id}
        phase = job.phase(state.now())
        if phase not in _DONE:
            return json_response({"detail": STILL_RUNNING}, 400, headers=headers)
        if phase == "failed" or job.path is None:
            code, failure, _ = _failure(job)
            return json_response(failure, code, headers={**headers, "x-fal-retryable": "false"})
        video = {
            "url": f"{base(request)}/fal/files/{job.id}/output.mp4",
            "content_type": "video/mp4",
            "file_name": "output.mp4",
            "file_size": job.path.stat().st_size,
        }
        answer: dict[str, Any] = {"video": video}
        if job.extra["family"] == "h3-max":
            answer.update(seed=job.extra["seed"], timings={"inference": job.finished - job.started})
        return json_response(answer, headers=headers)

    async def cancel(request: Request, call: Call) -> Response:
        job = find(request, call)
        if job is None:
            return json_response({"status": "NOT_FOUND"}, 404)
        now = state.now()
        if job.phase(now) in _DONE:
            return json_response({"status": "ALREADY_COMPLETED"}, 400)
        if call.fault is not None and call.fault.kind == "cancel_race":
            race_start(job, now)
        if now < job.started:
            end_early(state, job, now, "cancelled", billable=False)
        else:
            job.extra["cancel_requested"] = now  # sent to the runner, which runs on
        return json_response({"status": "CANCELLATION_REQUESTED"}, 202)

    async def download(request: Request, call: Call) -> Response:
        job = state.jobs.get(request.path_params["request_id"])
        now = state.now()
        if job is None or job.provider != "fal" or job.phase(now) != "completed":
            return PlainTextResponse("Not Found", status_code=404)
        ttl = job.extra.get("file_ttl")
        if job.path is None or (ttl is not None and now > job.finished + ttl):
            return PlainTextResponse("Not Found", status_code=404)
        return FileResponse(job.path, media_type="video/mp4", content_disposition_type="inline")

    owner_app = "/fal/{owner}/{app}/requests/{request_id}"
    return [
        guarded(state, None, "GET", "/fal/files/{request_id}/{name}", "files", download),
        guarded(state, _D, "GET", f"{owner_app}/status", "fal.status", status),
        guarded(state, _D, "PUT", f"{owner_app}/cancel", "fal.cancel", cancel),
        guarded(state, _D, "GET", owner_app, "fal.result", result),
        guarded(state, _D, "POST", "/fal/{endpoint:path}", "fal.submit", submit),
    ]
