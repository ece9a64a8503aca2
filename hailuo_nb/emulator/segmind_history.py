"""Segmind's request history, as the official ``segmind`` 1.3.0 SDK calls it.

Real Segmind serves it on another host (``https://api.spotprod.segmind.com``); here it
sits under the Segmind mount:

- ``GET /segmind/inference-request/request-history`` (SDK ``generations.history``): one
  page of the caller's requests, ``{"data": [row, ...], "page", "per_page", "total",
  "total_pages"}``.
- ``GET /segmind/inference-request/request-history/{request_id}`` (SDK
  ``generations.get``): one row, no envelope.

A row exists for every v1 and v2 request Segmind accepted (a refusal at the door leaves
none), failed and in-flight ones included. Unlike ``/v2/requests/{id}/status``, which
forgets a request after ``segmind_retention_s`` (1 h), the single GET resolves a request
of any age: that is how a client learns the real outcome and cost of an old job. Only the
caller's own requests are visible; another key's id answers 404 like the other endpoints.

The SDK passes the JSON through untouched, so it pins the paths, parameter names and row
field names but not the envelope or the timestamp format: both are the emulator's choice
(``docs/emulator-segmind-history.md``).

Example:
    >>> q = parse_query({"per_page": "5", "sort_order": "asc"}, now=86400.0 * 30)
    >>> (q.page, q.per_page, q.sort_by, q.descending)
    (1, 5, 'model_created', False)
    >>> parse_query({"per_page": "101"}, now=0.0)
    Traceback (most recent call last):
    ...
    hailuo_nb.emulator.segmind_history.QueryError: per_page must be an integer from 1 to 100
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal, TypedDict

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .hosted import iso_ms
from .state import Job, State
from .web import Call, Dialect, guarded, json_response

PATH = "/segmind/inference-request/request-history"
PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 100
WINDOW_DEFAULT_DAYS = 7
WINDOW_MAX_DAYS = 31
Status = Literal["COMPLETED", "FAILED", "PENDING"]
STATUSES: tuple[Status, ...] = ("COMPLETED", "FAILED", "PENDING")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class HistoryRow(TypedDict):
    """One row of the history (and the single GET's whole answer).

    The field names are the SDK docstring's; ``created_at``/``updated_at`` stand for its
    unnamed "timestamps", and ``model_created`` mirrors ``created_at`` because the SDK's
    default ``sort_by`` is called that.

    Example:
        >>> sorted(HistoryRow.__annotations__)[:3]
        ['created_at', 'credits_deduction', 'error']
    """

    request_id: str
    model_name: str
    model_status: Status
    credits_deduction: float
    request_body: dict[str, Any]
    generation_url: str | None
    latency_ms: int | None
    error: str | None
    created_at: str
    updated_at: str
    model_created: str


class QueryError(ValueError):
    """A history query Segmind would refuse with 400.

    Example:
        >>> str(QueryError("status must be one of COMPLETED, FAILED, PENDING"))[:6]
        'status'
    """


@dataclass(frozen=True)
class Query:
    """A checked list query. ``start``/``end`` bound ``Job.created`` (epoch s, end excluded).

    Example:
        >>> q = parse_query({"from_date": "2024-01-01", "to_date": "2024-01-01"}, now=0.0)
        >>> q.end - q.start
        86400.0
    """

    page: int
    per_page: int
    start: float
    end: float
    model_name: str | None
    status: Status | None
    sort_by: str
    descending: bool


def video_url(base: str, job_id: str) -> str:
    """Where a Segmind job's video is served: the result endpoint's ``output`` too.

    Example:
        >>> video_url("http://127.0.0.1:8000", "ab12")
        'http://127.0.0.1:8000/files/segmind/ab12.mp4'
    """
    return f"{base}/files/segmind/{job_id}.mp4"


def model_status(job: Job, now: float) -> Status:
    """The history's word for a job: anything not yet finished is ``PENDING``.

    Example:
        >>> job = Job("ab", "segmind", "hailuo-2.3", "k", {}, 1366, 768, 6, 0.35, 0.0, 1.0, 2.0)
        >>> model_status(job, 0.5), model_status(job, 3.0)
        ('PENDING', 'COMPLETED')
    """
    phase = job.phase(now)
    if phase == "completed":
        return "COMPLETED"
    if phase in ("failed", "cancelled"):
        return "FAILED"
    return "PENDING"


def history_row(job: Job, now: float, base: str) -> HistoryRow:
    """The row of one job at ``now``; URLs start with ``base`` (the server root).

    Segmind bills COMPLETED jobs only, so ``credits_deduction`` is the price then and 0
    before or on failure. The URL is kept after the file's 7 days are over: the record
    outlives the file, which then answers 404.

    Example:
        >>> job = Job("ab", "segmind", "hailuo-2.3", "k", {}, 1366, 768, 6, 0.35, 0.0, 1.0, 2.0)
        >>> job.extra["request_body"] = {"prompt": "fox", "duration": "6"}
        >>> row = history_row(job, 3.0, "http://emu")
        >>> row["model_status"], row["credits_deduction"], row["latency_ms"], row["created_at"]
        ('COMPLETED', 0.35, 2000, '1970-01-01T00:00:00.000Z')
        >>> row["request_body"], row["generation_url"]
        ({'prompt': 'fox', 'duration': '6'}, 'http://emu/files/segmind/ab.mp4')
    """
    status = model_status(job, now)
    done = status != "PENDING"
    # Last change: the end, else the start of processing, else the submission.
    updated = job.finished if done else (job.started if now >= job.started else job.created)
    created = iso_ms(job.created)
    return {
        "request_id": job.id,
        "model_name": job.model,
        "model_status": status,
        "credits_deduction": job.price if status == "COMPLETED" else 0.0,
        # The body as the client sent it (not our checked copy with defaults filled in):
        # matching a lost submit by its inputs must compare like with like.
        "request_body": copy.deepcopy(job.extra.get("request_body", job.params)),
        "generation_url": video_url(base, job.id) if status == "COMPLETED" else None,
        "latency_ms": round((job.finished - job.created) * 1000) if done else None,
        "error": job.fail_reason if status == "FAILED" else None,
        "created_at": created,
        "updated_at": iso_ms(updated),
        "model_created": created,
    }


def _int(params: Mapping[str, str], name: str, default: int, high: int | None = None) -> int:
    raw = params.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (high is not None and value > high):
        upper = "" if high is None else f" to {high}"
        raise QueryError(f"{name} must be an integer from 1{upper}")
    return value


def _day(params: Mapping[str, str], name: str) -> date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise QueryError(f"{name} must be a date as YYYY-MM-DD, got {raw!r}") from None


def _epoch(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


#: ``sort_by`` values: the SDK's three, plus ``created_at`` (our row's name for the time).
_SORT_KEYS: dict[str, Callable[[Job, float], Any]] = {
    "model_created": lambda job, now: job.created,
    "created_at": lambda job, now: job.created,
    "model_name": lambda job, now: job.model,
    "credits_deduction": lambda job, now: job.price if model_status(job, now) == "COMPLETED" else 0,
}


def parse_query(params: Mapping[str, str], now: float) -> Query:
    """Check a list query; raise ``QueryError`` with the message for a 400.

    The window is whole UTC days, ``to_date`` included; ``to_date`` defaults to today and
    ``from_date`` to 7 days before ``to_date``. ``user_id``/``user_email`` (team
    accounts) are accepted and ignored: every emulator key is its own account.
    """
    page = _int(params, "page", 1)
    per_page = _int(params, "per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX)
    to_day = _day(params, "to_date") or datetime.fromtimestamp(now, timezone.utc).date()
    from_day = _day(params, "from_date") or to_day - timedelta(days=WINDOW_DEFAULT_DAYS)
    if from_day > to_day:
        raise QueryError("from_date must not be after to_date")
    if (to_day - from_day).days > WINDOW_MAX_DAYS:
        raise QueryError(f"the date window may span at most {WINDOW_MAX_DAYS} days")
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        raise QueryError(f"status must be one of {', '.join(STATUSES)}")
    sort_by = params.get("sort_by") or "model_created"
    if sort_by not in _SORT_KEYS:
        raise QueryError(f"sort_by must be one of {', '.join(_SORT_KEYS)}")
    order = params.get("sort_order") or "desc"
    if order not in ("asc", "desc"):
        raise QueryError("sort_order must be asc or desc")
    return Query(
        page=page,
        per_page=per_page,
        start=_epoch(from_day),
        end=_epoch(to_day + timedelta(days=1)),
        model_name=params.get("model_name") or None,
        status=status,
        sort_by=sort_by,
        descending=order == "desc",
    )


def select(jobs: Iterable[Job], key: str, query: Query, now: float) -> list[Job]:
    """``key``'s Segmind jobs that match ``query``, in its order (all pages).

    Example:
        >>> job = Job("ab", "segmind", "hailuo-2.3", "k", {}, 1366, 768, 6, 0.35, 0.0, 1.0, 2.0)
        >>> q = parse_query({"from_date": "1970-01-01", "model_name": "2.3"}, now=3.0)
        >>> [j.id for j in select([job], "k", q, 3.0)], select([job], "other", q, 3.0)
        (['ab'], [])
    """
    needle = (query.model_name or "").lower()
    found = [
        job
        for job in jobs
        if job.provider == "segmind"
        and job.key == key
        and query.start <= job.created < query.end
        # The SDK documents model_name as a substring match.
        and needle in job.model.lower()
        and (query.status is None or model_status(job, now) == query.status)
    ]
    sort_key = _SORT_KEYS[query.sort_by]
    # Ties (same model, same cost) keep a stable order: by time, then id.
    found.sort(key=lambda job: (job.created, job.id), reverse=query.descending)
    found.sort(key=lambda job: sort_key(job, now), reverse=query.descending)
    return found


def routes(state: State, dialect: Dialect) -> list[Route]:
    """The two history routes (fault endpoint ``segmind.history``), in Segmind's dialect.

    Example:
        >>> from hailuo_nb.emulator.config import EmulatorConfig
        >>> from hailuo_nb.emulator.segmind import SegmindDialect
        >>> [r.path for r in routes(State(EmulatorConfig()), SegmindDialect())][1]
        '/segmind/inference-request/request-history/{request_id:path}'
    """

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def listing(request: Request, call: Call) -> Response:
        now = call.state.now()
        try:
            query = parse_query(request.query_params, now)
        except QueryError as exc:
            return dialect.error(request, 400, str(exc))
        found = select(call.state.jobs.values(), call.key, query, now)
        first = (query.page - 1) * query.per_page
        rows = [history_row(j, now, base(request)) for j in found[first : first + query.per_page]]
        return json_response(
            {
                "data": rows,
                "page": query.page,
                "per_page": query.per_page,
                "total": len(found),
                "total_pages": math.ceil(len(found) / query.per_page),
            }
        )

    async def one(request: Request, call: Call) -> Response:
        rid = request.path_params["request_id"]
        job = call.state.jobs.get(rid)
        # No age limit here, unlike the status endpoint: that is this endpoint's point.
        if job is None or job.provider != "segmind" or job.key != call.key:
            return dialect.error(request, 404, f"Request {rid} not found")
        return json_response(history_row(job, call.state.now(), base(request)))

    return [
        guarded(state, dialect, "GET", PATH, "segmind.history", listing),
        # :path so an id with a slash (quoted by the SDK) still gets a JSON 404, not a routing one.
        guarded(state, dialect, "GET", PATH + "/{request_id:path}", "segmind.history", one),
    ]
