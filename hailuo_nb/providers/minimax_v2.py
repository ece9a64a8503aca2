"""MiniMax Video Generation V2 (H3): a ``content`` array, real HTTP error codes, cancel.

Flow (protocols-more.md §1): ``POST /v2/video_generation`` → ``{"task_id"}`` (no
``base_resp``); ``GET /v2/query/video_generation/{id}`` → ``{"task": Task}`` with status
``queued``/``running``/``succeeded``/``failed``/``cancelled`` and, once succeeded, a
time-limited ``content.url`` signed anew on every query (so a download that finds it
expired asks again). Errors are HTTP codes with ``{"error": {"type", "message": "… (code)"}}``.
``DELETE /v2/video_generation/{id}`` cancels a **queued** task (not charged); a running
one cannot be cancelled (400), and a finished one would be *deleted*, so the client never
sends it for a finished job. ``POST /v2/video_regeneration`` remakes a 768P output at 2K.
The billed cost is computed from the task's ``usage`` at the published prices.

Example:
    >>> MiniMaxV2("https://api.minimax.io", "k").poll_request("424010985738629").url
    'https://api.minimax.io/v2/query/video_generation/424010985738629'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import httpx

from ..catalog import REGENERATION_USD_PER_S, get_model
from ..errors import ProviderError, ValidationError
from ..images import ImageInput
from ..media import MediaInput
from ..models import Status
from ..params import Request
from .base import (
    CancelAnswer,
    HttpRequest,
    KeyInHeader,
    MalformedResponse,
    NoUploads,
    Submitted,
    Update,
    as_float,
    error_for_status,
    image_values,
    json_body,
    message_of,
    try_json,
)
from .minimax import raise_for_base_resp
from .segmind_history import HistoryRow

__all__ = ["RUNNING_REFUSAL", "MiniMaxV2", "billed_usd", "payload"]

_WORDS: dict[str, Status] = {
    "queued": "queued",
    "running": "processing",
    "succeeded": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
    # Other clients of the same API treat "expired" as a failure (§1.3).
    "expired": "failed",
}
RUNNING_REFUSAL = "MiniMax cannot cancel a running task; it goes on and will be billed"
"""What a refused cancel says: MiniMax cancels queued tasks only.

Example:
    >>> RUNNING_REFUSAL.startswith("MiniMax cannot cancel")
    True
"""
_NAME = "minimax"
# An upload's kind is read from its file name's extension (§1.7).
_SUFFIX = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "audio/wav": ".wav",
    "audio/mpeg": ".mp3",
}


def _message(body: dict[str, Any] | None) -> str | None:
    error = body.get("error") if body else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return None


def _check(response: httpx.Response, request_id: str | None = None) -> dict[str, Any]:
    if response.is_success:
        return json_body(response, _NAME)
    body = try_json(response)
    said = _message(body) or message_of(response, body, "message", "error")
    raise error_for_status(
        response,
        _NAME,
        said,
        credit_codes=(402,),
        request_id=request_id
        or (str(body.get("request_id")) if body and body.get("request_id") else None),
        body=body,
    )


def _item(kind: str, url: str, role: str) -> dict[str, Any]:
    return {"type": f"{kind}_url", f"{kind}_url": {"url": url}, "role": role}


def payload(request: Request, image_urls: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The V2 body: one text item, then frames or references, each with its role.

    ``image_urls`` replaces a local file's data URI by an uploaded ``mm_file://`` name,
    keyed by field (``first_frame``, ``reference_videos[0]``, ...); ``base_video`` is the
    finished video a regeneration (``request.regenerate_from``) makes again at 2K.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> payload(build_request("minimax", "a fox", model="MiniMax-H3", duration=8,
        ...                       ratio="9:16"))
        {'content': [{'type': 'text', 'text': 'a fox'}], 'resolution': '768P', \
'duration': 8, 'ratio': '9:16'}
    """
    urls = dict(image_urls or {})
    content: list[dict[str, Any]] = [{"type": "text", "text": request.prompt}]
    if request.regenerate_from is not None:
        # §1.8: the original text and its finished 768P video (a fresh content.url that
        # the client puts under "base_video"), at 2K; nothing else applies.
        base = urls.get("base_video")
        if base is None:
            raise ValueError("a regeneration needs the base video's URL (image_urls['base_video'])")
        content.append(_item("video", base, "base_video"))
        return {"content": content, "resolution": "2K"}
    first, last = image_values(request, urls)
    if first is not None:
        content.append(_item("image", first, "first_frame"))
    if last is not None:
        content.append(_item("image", last, "last_frame"))
    groups: tuple[tuple[str, str, str, tuple[ImageInput | MediaInput, ...]], ...] = (
        ("reference_images", "image", "reference_image", request.reference_images),
        ("reference_videos", "video", "reference_video", request.reference_videos),
        ("reference_audio", "audio", "reference_audio", request.reference_audio),
    )
    for field, kind, role, items in groups:
        for n, item in enumerate(items):
            url = urls.get(f"{field}[{n}]") or item.url or item.data_url()
            content.append(_item(kind, url, role))
    body: dict[str, Any] = {"content": content}
    if request.resolution is not None:
        body["resolution"] = request.resolution.upper()
    if request.duration is not None:
        body["duration"] = request.duration
    if request.ratio is not None:
        body["ratio"] = request.ratio
    if request.prompt_expansion_mode is not None:
        body["extra"] = {"prompt_expansion_mode": request.prompt_expansion_mode}
    return body


def billed_usd(task: dict[str, Any]) -> float | None:
    """What a succeeded task costs at the published prices, from its ``usage``.

    Output and reference-video seconds at the output rate, images past the free ones;
    a regeneration at $0.05 a second. None when the usage or the model is not known.

    Example:
        >>> billed_usd({"model": "MiniMax-H3", "resolution": "2K", "task_type": "generation",
        ...             "usage": {"output_seconds": 5, "input_seconds": 0,
        ...                       "input_image_count": 1}})
        0.65
    """
    usage = task.get("usage")
    if not isinstance(usage, dict) or not usage:
        return None
    output = as_float(usage.get("output_seconds"))
    if output is None:
        return None
    if task.get("task_type") == "regeneration":
        return round(output * REGENERATION_USD_PER_S, 4)
    try:
        spec = get_model(_NAME, str(task.get("model") or ""))
    except ValidationError:
        return None
    rates = dict(spec.usd_per_second)
    rate = rates.get(str(task.get("resolution") or "").lower())
    if rate is None:
        return None
    inputs = as_float(usage.get("input_seconds")) or 0.0
    images = int(as_float(usage.get("input_image_count")) or 0)
    paid = max(0, images - spec.free_images) * spec.usd_per_image
    return round(rate * (output + math.ceil(inputs)) + paid, 4)


class MiniMaxV2(KeyInHeader, NoUploads):
    """The MiniMax V2 (H3) adapter: also cancels queued tasks and regenerates at 2K.

    Example:
        >>> from hailuo_nb.providers import Cancellable
        >>> isinstance(MiniMaxV2("http://h", "k"), Cancellable)
        True
    """

    name = _NAME
    synchronous = False
    list_page_size = 100


    payload = staticmethod(payload)

    def submit_request(self, payload: dict[str, Any], wire_model: str) -> HttpRequest:
        """``POST /v2/video_generation``.

        Example:
            >>> MiniMaxV2("http://h", "k").submit_request({}, "MiniMax-H3").json
            {'model': 'MiniMax-H3'}
        """
        body = {"model": wire_model, **payload}
        roles = {item.get("role") for item in payload.get("content", ())}
        # A body with a base video is a regeneration, which has its own endpoint.
        path = "video_regeneration" if "base_video" in roles else "video_generation"
        return HttpRequest(
            "POST", f"{self.base_url}/v2/{path}", "submit", dict(self._headers), body
        )

    def upload_each(self, request: Request) -> list[tuple[str, HttpRequest]]:
        """``POST /v1/files/upload`` for each local file over the model's upload size.

        Smaller files go inline as data URIs; the uploaded ones as ``mm_file://`` (§1.7).

        Example:
            >>> from hailuo_nb.params import build_request
            >>> MiniMaxV2("http://h", "k").upload_each(build_request(
            ...     "minimax", "a fox", model="MiniMax-H3", ratio="1:1"))
            []
        """
        limit = request.model.upload_over
        if limit is None:
            return []
        items: list[tuple[str, ImageInput | MediaInput | None]] = [
            ("first_frame", request.first_frame),
            ("last_frame", request.last_frame),
        ]
        for field in ("reference_images", "reference_videos", "reference_audio"):
            items += [(f"{field}[{n}]", x) for n, x in enumerate(getattr(request, field))]
        out = []
        for field, item in items:
            if item is None or item.data is None or item.mime is None or len(item.data) <= limit:
                continue
            name = field.replace("[", "-").rstrip("]") + _SUFFIX.get(item.mime, "")
            out.append(
                (
                    field,
                    HttpRequest(
                        "POST",
                        f"{self.base_url}/v1/files/upload",
                        "upload",
                        dict(self._headers),
                        data={"purpose": "video_generation_input"},
                        files={"file": (name, item.data, item.mime)},
                    ),
                )
            )
        return out

    def parse_upload_one(self, response: httpx.Response) -> str:
        """The uploaded file as ``mm_file://{file_id}`` (the answer has V1's envelope).

        Example:
            >>> MiniMaxV2("http://h", "k").parse_upload_one(httpx.Response(200, json={
            ...     "file": {"file_id": 12}, "base_resp": {"status_code": 0}}))
            'mm_file://12'
        """
        body = try_json(response)
        base = body.get("base_resp") if body else None
        if not response.is_success:
            said = base.get("status_msg") if isinstance(base, dict) else None
            raise error_for_status(
                response,
                _NAME,
                str(said or message_of(response, body, "message", "error")),
                credit_codes=(402,),
                body=body,
            )
        body = json_body(response, _NAME)
        raise_for_base_resp(body)
        file = body.get("file")
        fid = file.get("file_id") if isinstance(file, dict) else None
        if fid in (None, ""):
            raise MalformedResponse("the upload answer has no file_id", provider=_NAME)
        return f"mm_file://{fid}"

    def parse_submit(self, response: httpx.Response) -> Submitted:
        """The task id (a 15-digit string), or the HTTP error (400 bad request, 402, 422...).

        Example:
            >>> MiniMaxV2("http://h", "k").parse_submit(httpx.Response(
            ...     200, json={"task_id": "424010985738629"})).job_id
            '424010985738629'
        """
        body = _check(response)
        tid = body.get("task_id")
        if not tid:
            raise MalformedResponse(
                "the submit answer has no task_id", provider=_NAME, status_code=response.status_code
            )
        return Submitted(str(tid), "queued", body)

    def poll_request(self, job_id: str) -> HttpRequest:
        """``GET /v2/query/video_generation/{task_id}``.

        Example: see the module.
        """
        url = f"{self.base_url}/v2/query/video_generation/{job_id}"
        return HttpRequest("GET", url, "status", dict(self._headers))

    def parse(self, step: str, job_id: str, response: httpx.Response) -> Update:
        """A query answer as an :class:`Update`; an ``invalid task_id`` is ``expired``.

        Example:
            >>> MiniMaxV2("http://h", "k").parse("status", "9", httpx.Response(200, json={
            ...     "task": {"status": "failed", "error": {"code": "1026",
            ...     "message": "video description contains sensitive content"}}})).reason
            'video description contains sensitive content (code 1026)'
        """
        try:
            body = _check(response, job_id)
        except ProviderError as exc:
            # Older than 7 days, deleted, or another key's: MiniMax no longer knows it.
            if exc.status_code in (400, 404) and "invalid task_id" in exc.message:
                return Update("expired", reason=exc.message, raw=try_json(response))
            raise
        task = body.get("task")
        if not isinstance(task, dict):
            raise MalformedResponse("the answer has no task", provider=_NAME, status_code=200)
        word = str(task.get("status") or "").lower()
        status = _WORDS.get(word)
        if status is None:
            raise MalformedResponse(f"unknown status {word!r}", provider=_NAME, status_code=200)
        if status == "failed":
            return Update("failed", reason=_reason(task), raw=body)
        if status == "completed":
            content = task.get("content")
            url = content.get("url") if isinstance(content, dict) else None
            if not url:
                raise MalformedResponse(
                    "succeeded without content.url", provider=_NAME, status_code=200
                )
            return Update("completed", video_url=str(url), cost_usd=billed_usd(task), raw=body)
        if status == "cancelled":
            return Update("cancelled", reason="cancelled before it started; not charged", raw=body)
        return Update(status, raw=body)

    def task_list_request(self, page: int) -> HttpRequest:
        """``GET /v2/query/video_generation?page_num=..&page_size=100`` (7 days, newest first).

        Example:
            >>> MiniMaxV2("http://h", "k").task_list_request(2).params
            {'page_num': '2', 'page_size': '100', 'filter.task_type': 'generation'}
        """
        params = {
            "page_num": str(page),
            "page_size": str(self.list_page_size),
            "filter.task_type": "generation",
        }
        url = f"{self.base_url}/v2/query/video_generation"
        return HttpRequest("GET", url, "list", dict(self._headers), params=params)

    def parse_task_list(self, response: httpx.Response) -> list[HistoryRow]:
        """The listed tasks as rows: id, status, time, video, cost, and the echoed shape.

        Example:
            >>> rows = MiniMaxV2("http://h", "k").parse_task_list(httpx.Response(200, json={
            ...     "items": [{"id": "7", "model": "MiniMax-H3", "status": "queued",
            ...                "created_at": 100, "resolution": "768P", "duration": 6}],
            ...     "total": 1}))
            >>> rows[0].request_id, rows[0].status, rows[0].request_body["duration"]
            ('7', 'queued', 6)
        """
        body = _check(response)
        items = body.get("items")
        if not isinstance(items, list):
            raise MalformedResponse("the list has no items", provider=_NAME, status_code=200)
        rows = []
        for task in items:
            if not isinstance(task, dict) or not task.get("id"):
                continue
            update = self.parse("status", str(task["id"]), httpx.Response(200, json={"task": task}))
            shape = {k: task[k] for k in ("model", "resolution", "duration") if k in task}
            rows.append(
                HistoryRow(
                    str(task["id"]),
                    update.status,
                    model=str(task.get("model") or ""),
                    cost_usd=update.cost_usd,
                    video_url=update.video_url,
                    error=update.reason if update.status == "failed" else None,
                    created_at=as_float(task.get("created_at")),
                    request_body=shape,
                )
            )
        return rows

    def cancel_request(self, job_id: str) -> HttpRequest:
        """``DELETE /v2/video_generation/{task_id}`` (only ever sent for an unfinished job).

        Example:
            >>> MiniMaxV2("http://h", "k").cancel_request("9").method
            'DELETE'
        """
        url = f"{self.base_url}/v2/video_generation/{job_id}"
        return HttpRequest("DELETE", url, "cancel", dict(self._headers))

    def parse_cancel(self, job_id: str, response: httpx.Response) -> CancelAnswer:
        """Cancelled (a queued task, not charged), or refused: running, already finished.

        Example:
            >>> MiniMaxV2("http://h", "k").parse_cancel("9", httpx.Response(400, json={
            ...     "error": {"message": "invalid params, task 9 is running and cannot be"
            ...     " cancelled (2013)"}})).message
            'MiniMax cannot cancel a running task; it goes on and will be billed'
        """
        if response.status_code == 400:
            said = _message(try_json(response)) or ""
            if "running" in said:
                return CancelAnswer(False, RUNNING_REFUSAL, "processing")
            if "already cancelled" in said:
                return CancelAnswer(True, "already cancelled; not charged", "cancelled")
        body = _check(response, job_id)
        action = str(body.get("action") or "")
        if action == "cancelled" or body.get("status") == "cancelled":
            return CancelAnswer(True, "cancelled before it started; not charged", "cancelled")
        # "deleted": the task had already finished (we do not send this on purpose).
        status = _WORDS.get(str(body.get("status") or "").lower())
        return CancelAnswer(False, f"the task had already ended ({action or 'no action'})", status)


def _reason(task: dict[str, Any]) -> str:
    error = task.get("error")
    if isinstance(error, dict):
        message, code = error.get("message"), error.get("code")
        if message and code not in (None, ""):
            return f"{message} (code {code})"
        if message:
            return str(message)
    return "MiniMax reports the task failed (no reason given)"
