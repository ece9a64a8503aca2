"""Replicate's predictions API under ``/replicate`` (stands for ``https://api.replicate.com``).

Protocol (protocols-more.md §4, replicate-python 1.0.7):

- ``POST /replicate/v1/models/{owner}/{name}/predictions`` ``{"input": {...}}`` (or
  ``POST /replicate/v1/predictions`` with ``"version": "owner/name[:id]"``), Bearer auth,
  answers 201 with the Prediction and a ``Location`` header. ``Prefer: wait[=n]`` (n 1–60,
  real seconds) holds the answer until the prediction ends; if it has not, the answer says
  ``starting`` (what replicate-python expects: it then polls). ``Cancel-After: 30s|5m|1h30m``
  (≥ 5 s) is a deadline from creation, on the emulator's scaled clock like job durations.
- ``GET /v1/predictions/{id}``, ``POST /v1/predictions/{id}/cancel`` (200, the Prediction),
  ``GET /v1/predictions`` (newest first, 100 a page, ``next``/``previous`` cursor URLs).
- statuses ``starting`` → ``processing`` → ``succeeded`` | ``failed`` | ``canceled``;
  ``aborted`` (deadline before start) only with ``replicate_aborted``, else ``canceled``.
- errors are RFC 7807 problems (``application/problem+json``); 429 says "resets in ~Ns";
  input errors are 422 with ``invalid_fields``; out of credit is 402.
- ``output`` is one URL (``/replicate/delivery/{id}/output.mp4``). An hour after a
  prediction ends its input, output and logs are removed (``data_removed``), the file 404s.
- cancelling before the start is free; after it (a cancel race, a deadline) the
  prediction is charged: the upstream MiniMax job was already paid for (guess).

Example:
    >>> parse_duration("1h30m45s"), parse_duration("30"), parse_duration("5m")
    (5445.0, 30.0, 300.0)
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from . import replicate_models
from .hosted import charge_ended, end_early, iso_ms, race_start, start_hosted
from .render import Renderer
from .replicate_errors import ReplicateDialect, invalid, problem
from .schema import Issue, validate
from .state import Job, State
from .web import Call, guarded

PAGE_SIZE = 100
TERMINAL = ("succeeded", "failed", "canceled", "aborted")
#: Crockford's base32 in lower case: what Replicate's 26-character ids look like.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def new_id() -> str:
    """A 26-character lower-case base32 id (never from the seeded generator)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(26))


def parse_duration(text: str) -> float | None:
    """Seconds in a ``Cancel-After`` value (no unit = seconds), None if unreadable."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if not text or _DURATION.sub("", text):
        return None
    return sum(float(n) * _UNIT[u] for n, u in _DURATION.findall(text))


class Predictions:
    """How one app's predictions read: status, body, urls (Replicate's words)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def status(self, job: Job, now: float) -> str:
        phase = job.phase(now)
        if phase in ("preparing", "queued"):
            return "starting"
        if phase in ("processing", "completed"):
            return "processing" if phase == "processing" else "succeeded"
        ended = job.extra.get("ended")
        if ended == "aborted" and self.state.config.replicate_aborted:
            return "aborted"
        return "canceled" if ended else "failed"

    def removed(self, job: Job, now: float) -> bool:
        """Whether the hour of retention after the end has passed."""
        ended = self.status(job, now) in TERMINAL
        return ended and now > job.finished + self.state.config.replicate_retention_s

    def body(self, job: Job, base: str) -> dict[str, Any]:
        now = self.state.now()
        status = self.status(job, now)
        removed = self.removed(job, now)
        never_ran = job.extra.get("ended") and not job.extra.get("ran")
        started = now >= job.started and not never_ran
        metrics: dict[str, Any] = {}
        if status in TERMINAL:
            metrics["total_time"] = round(job.finished - job.created, 3)
            if started:
                metrics["predict_time"] = round(job.finished - job.started, 3)
        deadline = job.extra.get("deadline")
        return {
            "id": job.id,
            "model": job.model,
            "version": "hidden",
            "input": None if removed else job.extra["input"],
            "logs": None if removed else _logs(job, now, status),
            "output": f"{base}/replicate/delivery/{job.id}/output.mp4"
            if status == "succeeded" and not removed
            else None,
            "data_removed": removed,
            "error": job.fail_reason if status == "failed" else None,
            "status": status,
            "created_at": iso_ms(job.created),
            "started_at": iso_ms(job.started) if started else None,
            "completed_at": iso_ms(job.finished) if status in TERMINAL else None,
            "deadline": iso_ms(deadline) if deadline is not None else None,
            "source": "api",
            "metrics": metrics,
            "urls": {
                "get": f"{base}/replicate/v1/predictions/{job.id}",
                "cancel": f"{base}/replicate/v1/predictions/{job.id}/cancel",
                "stream": f"{base}/replicate/stream/v1/files/{job.id}",
                "web": f"{base}/replicate/p/{job.id}",
            },
        }


def _logs(job: Job, now: float, status: str) -> str:
    if job.extra.get("ended") and not job.extra.get("ran"):
        return ""
    span = job.finished - job.started
    lines = [(job.started, f"Generating with {job.model}")]
    lines += [(job.started + span * k / 4, f"Generating video... {25 * k}%") for k in (1, 2, 3)]
    if status == "succeeded":
        lines.append((job.finished, "Video generated"))
    return "".join(f"{text}\n" for at, text in lines if at <= now)


def _prefer_wait(request: Request) -> float | Response | None:
    """Seconds asked for by ``Prefer: wait[=n]``, None without it, or the 400 answer."""
    for part in request.headers.get("prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() != "wait":
            continue
        if not value:
            return 60.0
        if not value.strip().isdigit() or not 1 <= int(value) <= 60:
            return problem(400, f"Invalid Prefer header: wait must be 1 to 60 seconds, got {value}")
        return float(value)
    return None


def _cancel_after(request: Request) -> float | Response | None:
    """Seconds of ``Cancel-After``, None without it, or the 400 answer."""
    raw = request.headers.get("cancel-after")
    if raw is None:
        return None
    seconds = parse_duration(raw)
    if seconds is None:
        return problem(400, f"Invalid Cancel-After header: {raw[:40]!r}")
    if seconds < 5:
        return problem(400, "Cancel-After must be at least 5s")
    return seconds


def _cursor(direction: str, job: Job) -> str:
    raw = json.dumps([direction, job.created, job.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(text: str) -> tuple[str, tuple[float, str]] | None:
    try:
        direction, created, jid = json.loads(
            base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        )
        return str(direction), (float(created), str(jid))
    except (ValueError, TypeError):
        return None


def routes(state: State, renderer: Renderer) -> list[Route]:
    """The Replicate routes of one app."""
    dialect = ReplicateDialect(state)
    preds = Predictions(state)

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def find(request: Request, call: Call | None) -> Job | None:
        job = state.jobs.get(request.path_params["id"])
        if job is None or job.provider != "replicate":
            return None
        return job if call is None or job.key == call.key else None

    def not_found() -> Response:
        return problem(404, "The requested resource could not be found.")

    def answer(job: Job, request: Request, code: int = 200, **override: Any) -> Response:
        body = {**preds.body(job, base(request)), **override}
        headers = {"Location": body["urls"]["get"]} if code == 201 else None
        return Response(json.dumps(body), code, headers, media_type="application/json")

    async def create_model(request: Request, call: Call) -> Response:
        name = f"{request.path_params['owner']}/{request.path_params['name']}"
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        return await create(request, call, name, body)

    async def create_version(request: Request, call: Call) -> Response:
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        version = str(body.get("version") or "")
        if "/" not in version:  # a bare version id: official models hide theirs
            return problem(422, "Invalid version or not permitted")
        return await create(request, call, version.split(":", 1)[0], body)

    async def create(request: Request, call: Call, name: str, body: dict[str, Any]) -> Response:
        wait = _prefer_wait(request)
        if isinstance(wait, Response):
            return wait
        cancel_after = _cancel_after(request)
        if isinstance(cancel_after, Response):
            return cancel_after
        model = replicate_models.MODELS.get(name)
        if model is None:
            return not_found()
        given = body.get("input")
        if not isinstance(given, dict):
            return invalid([Issue("input", "missing", None)])
        params, issues = validate(model.fields, given, lax=False)
        if issues:
            return invalid(issues)
        plan = replicate_models.plan(model, params, state.assets)
        charge_ended(state, call.key)
        if plan.fail_reason is None and not state.can_afford(call.key, plan.price):
            return problem(
                402,
                "You have insufficient credit to run this model. Go to "
                "https://replicate.com/account/billing#billing to set up billing.",
            )
        job = start_hosted(
            state,
            renderer,
            job_id=new_id(),
            provider="replicate",
            model=name,
            key=call.key,
            plan=plan,
            params=params,
        )
        job.extra["input"] = given
        if cancel_after is not None:
            deadline = job.created + cancel_after / state.config.time_scale
            job.extra["deadline"] = deadline
            if deadline < job.finished and job.fail_reason is None:
                ended = "aborted" if deadline <= job.started else "canceled"
                end_early(state, job, deadline, ended, billable=True)
        if wait is None:
            return answer(job, request, 201)
        loop = asyncio.get_running_loop()
        until = loop.time() + wait
        while preds.status(job, state.now()) not in TERMINAL and loop.time() < until:
            nap = max(job.finished - state.now(), 0.02)
            await asyncio.sleep(min(nap, 0.25, max(until - loop.time(), 0.0)))
        if preds.status(job, state.now()) in TERMINAL:
            charge_ended(state, call.key)
            return answer(job, request, 201)
        # Replicate answers an unfinished wait with "starting"; replicate-python relies on it.
        return answer(job, request, 201, status="starting")

    async def get(request: Request, call: Call) -> Response:
        job = find(request, call)
        if job is None:
            return not_found()
        charge_ended(state, call.key)
        return answer(job, request)

    async def cancel(request: Request, call: Call) -> Response:
        job = find(request, call)
        if job is None:
            return not_found()
        now = state.now()
        if preds.status(job, now) not in TERMINAL:
            if call.fault is not None and call.fault.kind == "cancel_race":
                race_start(job, now)
            end_early(state, job, now, "canceled", billable=True)
            charge_ended(state, call.key)
        return answer(job, request)

    async def listing(request: Request, call: Call) -> Response:
        mine = sorted(
            (j for j in state.jobs.values() if j.provider == "replicate" and j.key == call.key),
            key=lambda j: (j.created, j.id),
            reverse=True,
        )
        cursor = request.query_params.get("cursor")
        page = mine[:PAGE_SIZE]
        if cursor:
            read = _read_cursor(cursor)
            if read is None:
                return problem(400, "Invalid cursor")
            direction, mark = read
            if direction == "next":
                page = [j for j in mine if (j.created, j.id) < mark][:PAGE_SIZE]
            else:
                page = [j for j in mine if (j.created, j.id) > mark][-PAGE_SIZE:]
        charge_ended(state, call.key)
        url = f"{base(request)}/replicate/v1/predictions?cursor="
        older = bool(page) and mine[-1] is not page[-1]
        newer = bool(page) and mine[0] is not page[0]
        body = {
            "next": url + _cursor("next", page[-1]) if older else None,
            "previous": url + _cursor("previous", page[0]) if newer else None,
            "results": [preds.body(j, base(request)) for j in page],
        }
        return Response(json.dumps(body), media_type="application/json")

    async def download(request: Request, call: Call) -> Response:
        job = find(request, None)
        now = state.now()
        if job is None or job.path is None or preds.status(job, now) != "succeeded":
            return Response("Not Found", 404, media_type="text/plain")
        if preds.removed(job, now):
            return Response("Not Found", 404, media_type="text/plain")
        return FileResponse(job.path, media_type="video/mp4", content_disposition_type="inline")

    async def stream(request: Request, call: Call) -> Response:
        job = find(request, None)
        if job is None:
            return not_found()
        return StreamingResponse(_events(job, base(request)), media_type="text/event-stream")

    async def _events(job: Job, root: str) -> AsyncIterator[str]:
        """Server-sent events as replicate-python reads them: output, error, done."""
        while (status := preds.status(job, state.now())) not in TERMINAL:
            await asyncio.sleep(min(max(job.finished - state.now(), 0.02), 0.25))
        if status == "succeeded":
            yield f"event: output\nid: 1\ndata: {root}/replicate/delivery/{job.id}/output.mp4\n\n"
        elif status == "failed":
            yield f"event: error\nid: 1\ndata: {json.dumps({'detail': job.fail_reason})}\n\n"
        done = {"reason": "canceled"} if status in ("canceled", "aborted") else {}
        yield f"event: done\nid: 2\ndata: {json.dumps(done)}\n\n"

    async def web(request: Request, call: Call) -> Response:
        job = find(request, None)
        if job is None:
            return HTMLResponse("<h1>Not found</h1>", 404)
        body = preds.body(job, base(request))
        link = (
            f'<p><a href="{html.escape(body["output"])}">output.mp4</a></p>'
            if body["output"]
            else ""
        )
        return HTMLResponse(
            f"<h1>{html.escape(job.model)}</h1><p>Prediction {html.escape(job.id)}: "
            f"{html.escape(body['status'])}</p>{link}"
        )

    d = dialect
    v1 = "/replicate/v1"
    return [
        guarded(
            state,
            d,
            "POST",
            f"{v1}/models/{{owner}}/{{name}}/predictions",
            "replicate.create",
            create_model,
        ),
        guarded(state, d, "POST", f"{v1}/predictions", "replicate.create", create_version),
        guarded(state, d, "GET", f"{v1}/predictions", "replicate.list", listing),
        guarded(state, d, "GET", f"{v1}/predictions/{{id}}", "replicate.get", get),
        guarded(state, d, "POST", f"{v1}/predictions/{{id}}/cancel", "replicate.cancel", cancel),
        guarded(state, None, "GET", "/replicate/delivery/{id}/output.mp4", "files", download),
        guarded(state, None, "GET", "/replicate/stream/v1/files/{id}", "replicate.get", stream),
        guarded(state, None, "GET", "/replicate/p/{id}", "replicate.get", web),
    ]


async def _json_object(request: Request) -> dict[str, Any] | Response:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return problem(400, "The request body is not valid JSON")
    if not isinstance(body, dict):
        return problem(400, "The request body must be a JSON object")
    return body
