"""AI/ML API: ``POST /v2/video/generations``, then ``GET ...?generation_id=``.

Quirks handled (protocols.md): Bearer auth; the submit answer names the id
``generation_id`` (the seed) or ``id`` (the spec); statuses ``queued``/``waiting``/
``generating``/``completed``/``error``; the error body's ``statusCode`` may be a string;
a failed job's ``error`` is ``{"name", "message"}``, ``{"detail": [{"loc", "msg", "type"}]}``
or a plain string (:func:`error_text` reads all three); the submit answer's
``meta.usage`` says what was billed (``usd_spent``, or ``credits_used`` at 2,000,000 a
dollar), recorded as the job's cost at once;
out of credits is **403**; the video URL is signed and expires (download it promptly).

Example:
    >>> AimlApi("https://api.aimlapi.com", "k").poll_request("1:minimax/hailuo-2.3").params
    {'generation_id': '1:minimax/hailuo-2.3'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ..errors import NotFound
from ..models import Status
from ..params import Request
from .base import (
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
    reference_values,
    try_json,
)

__all__ = ["CREDITS_PER_USD", "AimlApi", "billed_usd", "error_text", "payload"]

_WORDS: dict[str, Status] = {
    "queued": "queued",
    "waiting": "queued",
    "pending": "queued",
    "generating": "processing",
    "processing": "processing",
    "active": "processing",
    "completed": "completed",
    "succeeded": "completed",
    "success": "completed",
    "error": "failed",
    "failed": "failed",
}
_PATH = "/v2/video/generations"
#: AI/ML bills in credits: 2,000,000 credits = 1 USD (two captures agree exactly).
CREDITS_PER_USD = 2_000_000


def _check(response: httpx.Response, request_id: str | None = None) -> dict[str, Any]:
    if response.is_success:
        return json_body(response, "aimlapi")
    body = try_json(response)
    # The documented body says "message"; a validation answer may carry FastAPI's
    # "detail" list or NestJS's list of messages instead: all read by error_text.
    said = next(
        (t for k in ("message", "error", "detail") if body and (t := error_text(body.get(k)))),
        None,
    )
    raise error_for_status(
        response,
        "aimlapi",
        said or message_of(response, body, "message", "error"),
        credit_codes=(402, 403),
        request_id=request_id or (str(body.get("requestId")) if body else None),
        body=body,
    )


def payload(request: Request, image_urls: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The AI/ML API's JSON body: resolution upper case, ``enhance_prompt``, ``image_url``.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> payload(build_request("aimlapi", "a red fox", duration="10", resolution="768P"))
        {'model': 'minimax/hailuo-2.3', 'prompt': 'a red fox', 'duration': 10, \
'resolution': '768P', 'enhance_prompt': True}
    """
    first, last = image_values(request, image_urls)
    body: dict[str, Any] = {"model": request.model.wire_name, "prompt": request.prompt}
    if request.duration is not None:
        body["duration"] = request.duration
    if request.resolution is not None:
        body["resolution"] = request.resolution.upper()
    if request.model.family == "h3":
        return _h3(request, body, first, last)
    # The current spelling; prompt_optimizer / first_frame_image are older ones.
    body["enhance_prompt"] = request.prompt_optimizer
    if first is not None:
        body["image_url"] = first
    if last is not None:
        body["last_image_url"] = last
    return body


def _h3(
    request: Request, body: dict[str, Any], first: str | None, last: str | None
) -> dict[str, Any]:
    """``minimax/h3``'s flat fields (protocols-more.md §2.1); no prompt switch there.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> payload(build_request("aimlapi", "a fox", model="minimax/h3",
        ...                       reference_images=["https://x/a.png"]))
        {'model': 'minimax/h3', 'prompt': 'a fox', 'duration': 6, 'resolution': '2K', \
'reference_image_urls': ['https://x/a.png']}
    """
    if first is not None:
        body["image_url"] = first
    if last is not None:
        body["last_image_url"] = last
    body.update(reference_values(request, videos="video_urls", audio="audio_urls"))
    if request.ratio is not None:
        body["ratio"] = request.ratio
    return body


class AimlApi(KeyInHeader, NoUploads):
    """The AI/ML API adapter.

    Example:
        >>> AimlApi("https://api.aimlapi.com", "k").submit_request({"model": "m"}, "m").url
        'https://api.aimlapi.com/v2/video/generations'
    """

    name = "aimlapi"
    synchronous = False


    # The module's payload() above is the adapter's body builder, as it is.
    payload = staticmethod(payload)

    def submit_request(self, payload: dict[str, Any], wire_model: str) -> HttpRequest:
        """The submit; the body already names the model (``minimax/hailuo-2.3``).

        Example:
            >>> AimlApi("http://h", "k").submit_request({}, "minimax/hailuo-02").json
            {'model': 'minimax/hailuo-02'}
        """
        body = {"model": wire_model, **payload}
        return HttpRequest("POST", self.base_url + _PATH, "submit", dict(self._headers), body)

    def parse_submit(self, response: httpx.Response) -> Submitted:
        """The generation id, from ``generation_id`` or ``id``.

        Example:
            >>> AimlApi("http://h", "k").parse_submit(httpx.Response(
            ...     200, json={"id": "7:minimax/hailuo-2.3", "status": "queued"})).job_id
            '7:minimax/hailuo-2.3'
        """
        body = _check(response)
        gid = body.get("generation_id") or body.get("id")
        if not gid:
            raise MalformedResponse(
                "the submit answer has no generation_id", provider="aimlapi", status_code=200
            )
        status = _WORDS.get(str(body.get("status") or "queued").lower(), "queued")
        if status == "failed":
            status = "queued"  # a refusal at submit comes as an HTTP error, not here
        return Submitted(str(gid), status, body, cost_usd=billed_usd(body))

    def poll_request(self, job_id: str) -> HttpRequest:
        """``GET /v2/video/generations?generation_id=...``.

        Example:
            >>> AimlApi("http://h", "k").poll_request("1:m").url
            'http://h/v2/video/generations'
        """
        return HttpRequest(
            "GET",
            self.base_url + _PATH,
            "status",
            dict(self._headers),
            params={"generation_id": job_id},
        )

    def parse(self, step: str, job_id: str, response: httpx.Response) -> Update:
        """A poll answer as an :class:`Update`.

        Example:
            >>> AimlApi("http://h", "k").parse("status", "1", httpx.Response(200, json={
            ...     "status": "completed", "video": {"url": "http://h/v.mp4"}})).video_url
            'http://h/v.mp4'
        """
        try:
            body = _check(response, job_id)
        except NotFound as exc:
            return Update("expired", reason=exc.message, raw=try_json(response))
        word = str(body.get("status") or "").lower()
        status = _WORDS.get(word)
        if status is None:
            raise MalformedResponse(
                f"unknown status {body.get('status')!r}", provider="aimlapi", status_code=200
            )
        if status == "failed":
            return Update("failed", reason=_reason(body), cost_usd=billed_usd(body), raw=body)
        if status == "completed":
            url = _video_url(body)
            if url is None:
                raise MalformedResponse(
                    "completed without a video URL", provider="aimlapi", status_code=200
                )
            return Update("completed", video_url=url, cost_usd=billed_usd(body), raw=body)
        return Update(status, cost_usd=billed_usd(body), raw=body)


def billed_usd(body: dict[str, Any]) -> float | None:
    """What AI/ML says it billed for the job, in USD, from ``meta.usage``; None if unsaid.

    ``usd_spent`` (recent captures) wins; else ``credits_used`` (the seed) at 2,000,000
    credits a dollar. Numbers may come as strings.

    Example:
        >>> billed_usd({"meta": {"usage": {"credits_used": 399000}}})
        0.1995
        >>> billed_usd({"meta": {"usage": {"credits_used": 6289921, "usd_spent": 3.1449605}}})
        3.1449605
        >>> billed_usd({"meta": None}) is None, billed_usd({}) is None
        (True, True)
    """
    meta = body.get("meta")
    usage = meta.get("usage") if isinstance(meta, dict) else None
    if not isinstance(usage, dict):
        return None
    usd = as_float(usage.get("usd_spent"))
    if usd is not None and usd >= 0:
        return usd
    credits = as_float(usage.get("credits_used"))
    if credits is not None and credits >= 0:
        return round(credits / CREDITS_PER_USD, 9)
    return None


def _reason(body: dict[str, Any]) -> str:
    return error_text(body.get("error")) or "failed without a reason"


def error_text(error: Any) -> str | None:
    """The server's words from an AI/ML ``error`` value, whatever its shape; None if empty.

    Three shapes are read (protocols.md): ``{"name", "message"}`` (the docs),
    ``{"detail": [{"loc", "msg", "type"}, ...]}`` (a captured failure, FastAPI's
    validation shape: several messages are joined with "; ", each after where it points,
    ``loc`` without its leading ``body``) and a plain string.

    Example:
        >>> error_text({"name": "GenerationError", "message": "GPU lost"})
        'GPU lost (GenerationError)'
        >>> error_text({"detail": [{"loc": ["body", "image_url"], "msg": "Could not detect face",
        ...                         "type": "value_error"}, {"msg": "too dark"}]})
        'image_url: Could not detect face; too dark'
        >>> error_text("content policy"), error_text(None), error_text({})
        ('content policy', None, None)
    """
    if error is None:
        return None
    if isinstance(error, str):
        return error.strip() or None
    if isinstance(error, list):
        parts = [text for item in error if (text := _detail_item(item))]
        return "; ".join(parts) or None
    if isinstance(error, dict):
        if "detail" in error and not error.get("message"):
            return error_text(error["detail"])
        name, message = error.get("name"), error.get("message") or error.get("msg")
        if message is not None and not isinstance(message, str):
            message = error_text(message)  # a list of messages, as some validators send
        if name and message:
            return f"{message} ({name})"
        return str(message or name) if message or name else None
    return str(error)


def _detail_item(item: Any) -> str | None:
    if not isinstance(item, dict):
        return error_text(item)
    msg = item.get("msg") or item.get("message")
    if not msg:
        return None
    loc = item.get("loc")
    if isinstance(loc, list):
        where = ".".join(str(x) for x in loc if x != "body")
        return f"{where}: {msg}" if where else str(msg)
    return str(msg)


def _video_url(body: dict[str, Any]) -> str | None:
    video = body.get("video")
    if isinstance(video, dict) and isinstance(video.get("url"), str):
        return str(video["url"])
    if isinstance(video, str) and video:
        return video
    if isinstance(video, list) and video and isinstance(video[0], dict):
        first = video[0].get("url")
        return str(first) if first else None
    return None
