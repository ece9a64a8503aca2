"""Replicate's predictions API: create on the official model, then read the prediction.

Flow (protocols-more.md §4, replicate-python 1.0.7): ``POST
/v1/models/{owner}/{name}/predictions`` ``{"input": {...}}`` answers the Prediction (201);
``GET /v1/predictions/{id}`` until ``succeeded`` (``output``: one URL), ``failed``
(``error``) or ``canceled`` (``aborted`` when a deadline passed before the start);
``POST /v1/predictions/{id}/cancel`` cancels at any time; ``GET /v1/predictions`` lists
the account's predictions (newest first, cursor pages), where an uncertain create is
found again. Quirks handled: Bearer auth; RFC 7807 errors (``detail``), a 422 adds
``invalid_fields``; a 429 says when it lifts only in words ("resets in ~30s"); inputs and
outputs are deleted an hour after a prediction ends (``data_removed``), so the video is
saved at once and a removed one is ``expired``. Integer durations, lower-case
resolutions. Replicate reports no billed amount (only ``metrics.predict_time``).

Example:
    >>> Replicate("https://api.replicate.com", "t").poll_request("p1").url
    'https://api.replicate.com/v1/predictions/p1'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import time
from collections.abc import Mapping
from typing import Any

import httpx

from ..errors import MalformedResponse, RateLimited
from ..models import Status
from ..params import Request
from .base import (
    CancelAnswer,
    HttpRequest,
    KeyInHeader,
    NoUploads,
    Submitted,
    Update,
    error_for_status,
    image_values,
    json_body,
    message_of,
    reference_values,
    try_json,
)
from .segmind_history import HistoryRow

__all__ = ["CANCEL_AFTER_MIN", "Replicate", "payload", "retry_at_from_text"]

_WORDS: dict[str, Status] = {
    "starting": "queued",
    "processing": "processing",
    "succeeded": "completed",
    "failed": "failed",
    "canceled": "cancelled",
    "cancelled": "cancelled",
    "aborted": "cancelled",
}
#: Replicate refuses a ``Cancel-After`` under 5 s (a 400).
CANCEL_AFTER_MIN = 5
_RESETS = re.compile(r"resets in ~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)


def retry_at_from_text(text: str, now: float | None = None) -> float | None:
    """When a limit lifts, from Replicate's words ("Your rate limit resets in ~30s.").

    Example:
        >>> retry_at_from_text("Request was throttled. Your rate limit resets in ~30s.", 100.0)
        130.0
        >>> retry_at_from_text("slow down") is None
        True
    """
    match = _RESETS.search(text or "")
    if match is None:
        return None
    return (time.time() if now is None else now) + float(match.group(1))


def payload(request: Request, image_urls: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Replicate's body: ``{"input": {...}}`` with integer duration, lower-case resolution,
    ``first_frame_image`` / ``last_frame_image``.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> payload(build_request("replicate", "a fox", duration="10"))
        {'input': {'prompt': 'a fox', 'prompt_optimizer': True, 'duration': 10, \
'resolution': '768p'}}
    """
    first, last = image_values(request, image_urls)
    if request.model.family == "h3":
        return {"input": _h3(request, first, last)}
    body: dict[str, Any] = {"prompt": request.prompt, "prompt_optimizer": request.prompt_optimizer}
    if request.duration is not None:
        body["duration"] = request.duration
    if request.resolution is not None:
        body["resolution"] = request.resolution.lower()
    if request.go_fast is not None:
        body["go_fast"] = request.go_fast
    if first is not None:
        body["first_frame_image"] = first
    if last is not None:
        body["last_frame_image"] = last
    return {"input": body}


def _h3(request: Request, first: str | None, last: str | None) -> dict[str, Any]:
    """``minimax/h3``'s input: upper-case resolution, ``ratio``, reference URL lists.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> payload(build_request("replicate", "a fox", model="h3", ratio="9:16"))
        {'input': {'prompt': 'a fox', 'duration': 6, 'resolution': '768P', 'ratio': '9:16'}}
    """
    body: dict[str, Any] = {"prompt": request.prompt}
    if request.duration is not None:
        body["duration"] = request.duration
    if request.resolution is not None:
        body["resolution"] = request.resolution.upper()
    if request.ratio is not None:
        body["ratio"] = request.ratio
    if first is not None:
        body["first_frame_image"] = first
    if last is not None:
        body["last_frame_image"] = last
    body.update(reference_values(request))
    return body


def _check(response: httpx.Response, request_id: str | None = None) -> dict[str, Any]:
    if response.is_success:
        return json_body(response, "replicate")
    body = try_json(response)
    message = message_of(response, body, "detail", "title", "error").strip()
    error = error_for_status(
        response,
        "replicate",
        message,
        credit_codes=(402,),
        request_id=request_id,
        body=body,
    )
    if isinstance(error, RateLimited) and error.retry_at is None:
        error.retry_at = retry_at_from_text(message)  # no Retry-After: only the words say
    raise error


class Replicate(KeyInHeader, NoUploads):
    """The Replicate adapter (images go inline, as URLs or data URLs).

    Example:
        >>> Replicate("http://h", "t").submit_request({"input": {}}, "minimax/hailuo-2.3").url
        'http://h/v1/models/minimax/hailuo-2.3/predictions'
    """

    name = "replicate"
    synchronous = False

    def __init__(self, base_url: str, api_key: str) -> None:
        super().__init__(base_url, api_key)
        self.history_url = f"{self.base_url}/v1/predictions"

    # The module's payload() above is the adapter's body builder, as it is.
    payload = staticmethod(payload)

    def submit_request(self, payload: dict[str, Any], wire_model: str) -> HttpRequest:
        """``POST /v1/models/{owner}/{name}/predictions`` (no ``Prefer: wait``: we poll).

        Example:
            >>> Replicate("http://h", "t").submit_request({"input": {"prompt": "a"}}, "m/n").json
            {'input': {'prompt': 'a'}}
        """
        url = f"{self.base_url}/v1/models/{wire_model}/predictions"
        return HttpRequest("POST", url, "submit", dict(self._headers), dict(payload))

    def with_deadline(self, wire: HttpRequest, seconds: float) -> HttpRequest:
        """The create request with ``Cancel-After``: Replicate cancels the prediction once
        ``seconds`` have passed since its creation (whole seconds, at least its minimum 5).

        Example:
            >>> r = Replicate("http://h", "t")
            >>> r.with_deadline(r.submit_request({"input": {}}, "m/n"), 2.5).headers["Cancel-After"]
            '5s'
        """
        headers = {**wire.headers, "Cancel-After": f"{max(CANCEL_AFTER_MIN, math.ceil(seconds))}s"}
        return dataclasses.replace(wire, headers=headers)

    def parse_submit(self, response: httpx.Response) -> Submitted:
        """The prediction's id and first status.

        Example:
            >>> Replicate("http://h", "t").parse_submit(httpx.Response(201, json={
            ...     "id": "p1", "status": "starting"})).job_id
            'p1'
        """
        body = _check(response)
        pid = body.get("id")
        if not pid:
            raise MalformedResponse(
                "the create answer has no id", provider="replicate", status_code=200
            )
        status = _WORDS.get(str(body.get("status") or "starting").lower(), "queued")
        return Submitted(str(pid), status if status in ("queued", "processing") else "queued", body)

    def poll_request(self, job_id: str) -> HttpRequest:
        """``GET /v1/predictions/{id}``.

        Example:
            >>> Replicate("http://h", "t").poll_request("p1").method
            'GET'
        """
        return HttpRequest("GET", f"{self.history_url}/{job_id}", "status", dict(self._headers))

    def parse(self, step: str, job_id: str, response: httpx.Response) -> Update:
        """A prediction as an :class:`Update`.

        Example:
            >>> Replicate("http://h", "t").parse("status", "p1", httpx.Response(200, json={
            ...     "id": "p1", "status": "failed", "error": "GPU lost"})).reason
            'GPU lost'
        """
        if response.status_code == 404:
            body = try_json(response)
            return Update("expired", reason=message_of(response, body, "detail"), raw=body)
        return prediction_update(_check(response, job_id))

    def cancel_request(self, job_id: str) -> HttpRequest:
        """``POST /v1/predictions/{id}/cancel``.

        Example:
            >>> Replicate("http://h", "t").cancel_request("p1").url
            'http://h/v1/predictions/p1/cancel'
        """
        return HttpRequest(
            "POST", f"{self.history_url}/{job_id}/cancel", "cancel", dict(self._headers)
        )

    def parse_cancel(self, job_id: str, response: httpx.Response) -> CancelAnswer:
        """The prediction after the cancel: ``canceled`` took; an ended one stays as it was.

        Example:
            >>> Replicate("http://h", "t").parse_cancel("p1", httpx.Response(200, json={
            ...     "id": "p1", "status": "canceled", "started_at": None})).message
            'replicate: cancelled before it started (not billed)'
        """
        if response.status_code == 404:
            return CancelAnswer(False, "replicate: no such prediction (another token or server)")
        body = _check(response, job_id)
        status = _WORDS.get(str(body.get("status") or "").lower())
        if status is None:
            raise MalformedResponse(
                f"unknown status {body.get('status')!r}", provider="replicate", status_code=200
            )
        if status == "cancelled":
            if body.get("started_at"):
                return CancelAnswer(
                    True,
                    "replicate: cancelled while running (Replicate may bill the time it ran)",
                    "cancelled",
                )
            return CancelAnswer(True, "replicate: cancelled before it started (not billed)", status)
        if status in ("completed", "failed"):
            return CancelAnswer(False, f"replicate: the prediction had already {status}", status)
        # Still starting or processing: accepted, not applied yet.
        return CancelAnswer(True, "replicate: cancel requested", status)

    # -- the prediction list (reconciliation) -----------------------------------------
    def list_request(self, cursor: str | None = None) -> HttpRequest:
        """One page of ``GET /v1/predictions`` (newest first); ``cursor`` is a ``next`` URL.

        Example:
            >>> Replicate("http://h", "t").list_request().url
            'http://h/v1/predictions'
        """
        url = cursor if cursor and cursor.startswith(self.base_url) else self.history_url
        return HttpRequest("GET", url, "history", dict(self._headers))

    def parse_list(self, response: httpx.Response) -> tuple[list[HistoryRow], str | None]:
        """A page's predictions as history rows, and the next page's URL (None: the last).

        Example:
            >>> rows, nxt = Replicate("http://h", "t").parse_list(httpx.Response(200, json={
            ...     "next": None, "results": [{"id": "p1", "status": "succeeded",
            ...     "model": "minimax/hailuo-2.3", "input": {"prompt": "a"},
            ...     "output": "http://h/v.mp4", "created_at": "2026-01-01T00:00:00.000Z"}]}))
            >>> rows[0].request_id, rows[0].request_body, nxt
            ('p1', {'input': {'prompt': 'a'}}, None)
        """
        body = _check(response)
        rows: list[HistoryRow] = []
        for item in body.get("results") or []:
            if not isinstance(item, dict) or not item.get("id"):
                continue
            update = prediction_update(item)
            given = item.get("input")
            rows.append(
                HistoryRow(
                    request_id=str(item["id"]),
                    status=update.status,
                    model=str(item.get("model") or ""),
                    video_url=update.video_url,
                    error=update.reason,
                    created_at=_time(item.get("created_at")),
                    # As we sent it (the journal keeps the whole body, ``{"input": ...}``);
                    # empty once Replicate removed the inputs (an hour after the end).
                    request_body={"input": given} if isinstance(given, dict) else {},
                )
            )
        nxt = body.get("next")
        return rows, str(nxt) if isinstance(nxt, str) and nxt else None


def prediction_update(body: dict[str, Any]) -> Update:
    """A Prediction object as an :class:`Update` (poll answers and list rows alike).

    Example:
        >>> prediction_update({"status": "succeeded", "output": ["http://h/v.mp4"]}).video_url
        'http://h/v.mp4'
        >>> prediction_update({"status": "succeeded", "output": None,
        ...                    "data_removed": True}).status
        'expired'
    """
    word = str(body.get("status") or "").lower()
    status = _WORDS.get(word)
    if status is None:
        raise MalformedResponse(
            f"unknown status {body.get('status')!r}", provider="replicate", status_code=200
        )
    if status == "failed":
        error = body.get("error")
        return Update("failed", reason=str(error or "failed without a reason"), raw=body)
    if status == "cancelled":
        why = "its Cancel-After deadline passed" if _past_deadline(body) else "cancelled"
        return Update("cancelled", reason=why, raw=body)
    if status == "completed":
        output = body.get("output")
        url = output[0] if isinstance(output, list) and output else output
        if isinstance(url, str) and url:
            return Update("completed", video_url=url, raw=body)
        if body.get("data_removed"):
            return Update(
                "expired",
                reason="the output was deleted (Replicate keeps it one hour)",
                output_gone=True,
                raw=body,
            )
        raise MalformedResponse(
            "succeeded without an output URL", provider="replicate", status_code=200
        )
    return Update(status, raw=body)


def _past_deadline(body: dict[str, Any]) -> bool:
    # ``aborted`` says so; a plain ``canceled`` ended by the deadline ends at or after it.
    if str(body.get("status") or "").lower() == "aborted":
        return True
    deadline, ended = _time(body.get("deadline")), _time(body.get("completed_at"))
    return deadline is not None and ended is not None and ended >= deadline - 0.001


def _time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
