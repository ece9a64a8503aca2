"""Segmind's request history: where a request is found after its 1-hour status window.

As the official ``segmind`` 1.3.0 SDK calls it (``generations.get`` and
``generations.history``): ``GET {history_url}/{request_id}`` for one of the account's own
requests, of any age, and ``GET {history_url}?page=&per_page=&from_date=&to_date=&model_name=``
for a window of at most 31 days, failed and in-flight requests included. Rows carry
``request_id``, ``model_name``, ``model_status`` (COMPLETED, FAILED, PENDING),
``credits_deduction`` (USD), ``request_body`` (the inputs as sent), ``generation_url``,
timestamps and, for failures, ``error``. Older servers omit fields, and the SDK does not
pin the page's envelope, so everything is read with defaults.

Example:
    >>> row = parse_row({"request_id": "ab", "model_status": "COMPLETED",
    ...                  "credits_deduction": 0.35, "generation_url": "https://x/v.mp4"})
    >>> row.status, row.cost_usd, row.update().video_url
    ('completed', 0.35, 'https://x/v.mp4')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from ..errors import MalformedResponse
from ..models import Status
from .base import HttpRequest, Update, as_float, error_for_status, message_of, try_json

__all__ = ["HistoryRow", "get_request", "page_request", "parse_page", "parse_row"]

PER_PAGE = 100  # the most a page may hold: fewer round trips through the request budget
_STATUS: dict[str, Status] = {
    "COMPLETED": "completed",
    "SUCCEEDED": "completed",
    "FAILED": "failed",
    "ERROR": "failed",
    "PENDING": "processing",
    "QUEUED": "queued",
    "PROCESSING": "processing",
}


@dataclass(frozen=True)
class HistoryRow:
    """One request as Segmind's history tells it.

    Example:
        >>> HistoryRow("ab", "processing").update().status
        'processing'
    """

    request_id: str
    status: Status
    model: str = ""
    cost_usd: float | None = None
    video_url: str | None = None
    error: str | None = None
    created_at: float | None = None
    request_body: dict[str, Any] = field(default_factory=dict)

    def update(self) -> Update:
        """The row as a job update (a completed row's cost is what Segmind billed).

        Example:
            >>> HistoryRow("ab", "failed", error="blocked").update().reason
            'blocked'
        """
        if self.status == "completed" and not self.video_url:
            # Billed, but its output is gone (or not listed): nothing left to download.
            return Update(
                "expired",
                reason="completed, but its output is no longer listed",
                cost_usd=self.cost_usd,
            )
        return Update(
            self.status,
            reason=self.error if self.status == "failed" else None,
            video_url=self.video_url if self.status == "completed" else None,
            cost_usd=self.cost_usd if self.status == "completed" else None,
        )


def get_request(history_url: str, api_key: str, request_id: str) -> HttpRequest:
    """``GET {history_url}/{request_id}`` (the id quoted as the SDK quotes it).

    Example:
        >>> get_request("http://h/request-history", "k", "a/b").url
        'http://h/request-history/a%2Fb'
    """
    url = f"{history_url.rstrip('/')}/{quote(request_id, safe='')}"
    return HttpRequest("GET", url, "history", {"x-api-key": api_key})


def page_request(
    history_url: str,
    api_key: str,
    *,
    since: float,
    until: float,
    model: str | None = None,
    page: int = 1,
) -> HttpRequest:
    """One page of the history between two UNIX times (whole UTC days, at most 31).

    Example:
        >>> r = page_request("http://h/rh", "k", since=0.0, until=86400.0, model="hailuo-2.3")
        >>> r.params["from_date"], r.params["to_date"], r.params["model_name"]
        ('1970-01-01', '1970-01-02', 'hailuo-2.3')
    """
    first, last = _day(since), _day(until)
    if (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days > 30:
        first = (dt.date.fromisoformat(last) - dt.timedelta(days=30)).isoformat()
    params = {"page": str(page), "per_page": str(PER_PAGE), "from_date": first, "to_date": last}
    if model:
        params["model_name"] = model
    return HttpRequest(
        "GET", history_url.rstrip("/"), "history", {"x-api-key": api_key}, params=params
    )


def parse_row(body: dict[str, Any]) -> HistoryRow:
    """One history row, read with defaults (older servers omit fields).

    Example:
        >>> parse_row({"request_id": "x", "model_status": "FAILED", "error": "nsfw"}).error
        'nsfw'
    """
    rid = body.get("request_id") or body.get("id")
    if not rid:
        raise MalformedResponse("a history row has no request_id", provider="segmind")
    word = str(body.get("model_status") or body.get("status") or "PENDING").upper()
    request_body = body.get("request_body") or body.get("parameters") or {}
    error = body.get("error")
    return HistoryRow(
        request_id=str(rid),
        status=_STATUS.get(word, "processing"),
        model=str(body.get("model_name") or ""),
        cost_usd=as_float(body.get("credits_deduction")),
        video_url=_url(body.get("generation_url") or body.get("output")),
        error=str(error) if error else None,
        created_at=_time(
            body.get("created_at") or body.get("model_created") or body.get("createdAt")
        ),
        request_body=request_body if isinstance(request_body, dict) else {},
    )


def parse_one(response: httpx.Response) -> HistoryRow:
    """The answer of :func:`get_request` (a 404 raises ``NotFound``).

    Example:
        >>> parse_one(httpx.Response(200, json={"request_id": "x"})).status
        'processing'
    """
    body = _body(response)
    inner = body.get("data")
    return parse_row(inner if isinstance(inner, dict) else body)


def parse_page(response: httpx.Response) -> list[HistoryRow]:
    """The rows of one page, one per request (a request with several outputs is listed
    once per output).

    Example:
        >>> rows = parse_page(httpx.Response(200, json={"data": [
        ...     {"request_id": "a"}, {"request_id": "a"}, {"request_id": "b"}]}))
        >>> [r.request_id for r in rows]
        ['a', 'b']
    """
    body = _body(response)
    rows: Any = body
    if isinstance(body, dict):
        rows = next(
            (body[k] for k in ("data", "rows", "items", "results", "requests") if k in body), []
        )
        if isinstance(rows, dict):  # {"data": {"rows": [...], "total": n}}
            rows = next((rows[k] for k in ("rows", "items", "data") if k in rows), [])
    seen: dict[str, HistoryRow] = {}
    for item in rows if isinstance(rows, list) else []:
        if isinstance(item, dict) and (item.get("request_id") or item.get("id")):
            row = parse_row(item)
            seen.setdefault(row.request_id, row)
    return list(seen.values())


def _body(response: httpx.Response) -> Any:
    if not response.is_success:
        body = try_json(response)
        raise error_for_status(
            response,
            "segmind",
            message_of(response, body, "error", "message", "detail"),
            credit_codes=(402,),
            body=body,
        )
    try:
        return response.json()
    except ValueError:
        raise MalformedResponse(
            "the request history answered with something that is not JSON", provider="segmind"
        ) from None


def _url(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if isinstance(value, str) and value.startswith("http") else None


def _time(value: Any) -> float | None:
    number = as_float(value)
    if number is not None:
        return number / 1000.0 if number > 1e11 else number  # milliseconds, as JS servers do
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


def _day(when: float) -> str:
    return dt.datetime.fromtimestamp(when, dt.timezone.utc).date().isoformat()
