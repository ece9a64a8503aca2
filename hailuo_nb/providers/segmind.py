"""Segmind: v2 submit + poll (the default) and v1 (one blocking call that answers the video).

Quirks handled here (protocols.md): a v2 submit answers 200 (not 202); FAILED comes as
HTTP **422** on both GETs with the reason in ``error``; an unknown or expired id is 404
(status and results are kept one hour); insufficient credit is 402 on v2; 406 has several
meanings (insufficient credits, "Invalid content type", a parameter refused before the model
runs, a team spend limit), so its error is the server's own words and it is
``InsufficientCredits`` only when those words speak of credits; a 429 carries
``x-rate-limit-reset-at-utc`` and no Retry-After. The status endpoint has no output, so a
COMPLETED status is followed by one GET of the result. What v1 answers is read by its
Content-Type (see :meth:`SegmindV1.check_video`).

Example:
    >>> a = SegmindV2("https://api.segmind.com", "SG_x")
    >>> a.poll_request("abc").url
    'https://api.segmind.com/v2/requests/abc/status'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ..errors import NotFound
from ..models import Status
from ..params import Request
from . import segmind_history as history
from .base import (
    HttpRequest,
    MalformedResponse,
    Submitted,
    Update,
    as_float,
    error_for_status,
    image_values,
    json_body,
    message_of,
    try_json,
)

__all__ = ["SegmindV1", "SegmindV2", "parse_upload", "payload", "upload_request"]

_WORDS: dict[str, Status] = {
    "QUEUED": "queued",
    "PENDING": "queued",
    "STARTING": "queued",
    "PROCESSING": "processing",
    "IN_PROGRESS": "processing",
    "RUNNING": "processing",
    "COMPLETED": "completed",
    "SUCCEEDED": "completed",
    "FAILED": "failed",
    "ERROR": "failed",
    "CANCELLED": "failed",
    "CANCELED": "failed",
}
# Bytes that are the video besides video/*: the generic binary types and MP4's own MIME type.
_VIDEO_TYPES = ("application/octet-stream", "binary/octet-stream", "application/mp4")


def _credit_codes(message: str) -> tuple[int, ...]:
    """HTTP codes that mean "no credits" for this message.

    402 always does (a v2 submit). 406 does only when the server's words say credits: it
    also means "Invalid content type", a parameter refused before the model runs, or a team
    spend limit (protocols.md), and calling those "insufficient credits" would send the user
    to top up an account that is fine.

    Example:
        >>> _credit_codes("Insufficient credits"), _credit_codes("Invalid content type")
        ((402, 406), (402,))
    """
    return (402, 406) if "credit" in message.lower() else (402,)


def _check(response: httpx.Response, request_id: str | None = None) -> dict[str, Any]:
    """The JSON body of a 2xx or 422 answer; every other code raises from the error tree."""
    if response.is_success:
        return json_body(response, "segmind")
    body = try_json(response)
    if response.status_code == 422 and body is not None and "status" in body:
        return body  # a FAILED job, not an error of the request
    message = message_of(response, body, "error", "message", "detail")
    raise error_for_status(
        response,
        "segmind",
        message,
        credit_codes=_credit_codes(message),
        request_id=request_id,
        body=body,
    )


def _content_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _status(body: dict[str, Any], response: httpx.Response) -> Status:
    # Segmind answers a FAILED job with 422 on both GETs: the code wins over the word.
    if response.status_code == 422:
        return "failed"
    word = str(body.get("status") or "").strip().upper()
    if word in _WORDS:
        return _WORDS[word]
    raise MalformedResponse(
        f"unknown status {body.get('status')!r}", provider="segmind", status_code=200
    )


def _metrics_update(status: Status, body: dict[str, Any], video_url: str | None) -> Update:
    metrics = body.get("metrics") if isinstance(body.get("metrics"), dict) else {}
    assert isinstance(metrics, dict)
    reason = body.get("error") if status == "failed" else None
    if status == "failed" and not reason:
        reason = "failed without a reason"
    return Update(
        status=status,
        reason=str(reason) if reason else None,
        video_url=video_url,
        cost_usd=as_float(metrics.get("cost")) if status == "completed" else None,
        run_seconds=as_float(metrics.get("total_time")),
        raw=body,
    )


def _video_url(output: Any) -> str | None:
    # "output" is a URL string for video models; tolerate a list or {"url": ...} as well.
    if isinstance(output, str) and output:
        return output
    if isinstance(output, list) and output:
        return _video_url(output[0])
    if isinstance(output, dict):
        return _video_url(output.get("url") or output.get("video"))
    return None


def payload(request: Request, image_urls: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Segmind's JSON body (the model's slug goes in the URL, not here).

    Example:
        >>> from hailuo_nb.params import build_request
        >>> payload(build_request("segmind", "a fox"))
        {'prompt': 'a fox', 'duration': 6, 'resolution': '768p', 'prompt_optimizer': True}
    """
    first, last = image_values(request, image_urls)
    body: dict[str, Any] = {"prompt": request.prompt}
    if request.duration is not None:
        # The 02-fast page's example sends "6" as a string, but its schema says integer
        # (as every other page does): we send the documented integer.
        body["duration"] = request.duration
    if request.resolution is not None:
        body["resolution"] = request.resolution  # Segmind spells it lower case
    body["prompt_optimizer"] = request.prompt_optimizer
    if request.go_fast is not None:
        body["go_fast"] = request.go_fast
    if request.mode is not None:
        body["mode"] = request.mode
    # minimax-hailuo-2 names its first frame image_url; the others first_frame_image.
    first_key = "image_url" if request.model.name == "minimax-hailuo-2" else "first_frame_image"
    if first is not None:
        body[first_key] = first
    if request.model.last_frame:
        # Both pages mark last_frame_image "required" with a null default, and their own
        # examples send an explicit null: so do we when there is no last frame.
        body["last_frame_image"] = last
    return body


class SegmindV2:
    """Segmind's v2 protocol: ``POST /v2/{slug}``, then ``/v2/requests/{id}/status``.

    Example:
        >>> r = SegmindV2("http://127.0.0.1:8000/segmind", "SG_x").submit_request(
        ...     {"prompt": "a fox"}, "hailuo-2.3")
        >>> r.url, "SG_x" in repr(r)
        ('http://127.0.0.1:8000/segmind/v2/hailuo-2.3', False)
    """

    name = "segmind"
    synchronous = False

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        upload_url: str | None = None,
        history_url: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"x-api-key": api_key}
        # Real Segmind keeps its storage and its request history on other hosts; an
        # emulator serves them under its root.
        self.upload_url = upload_url or f"{self.base_url}/upload-asset"
        self.history_url = history_url or f"{self.base_url}/inference-request/request-history"

    def history_request(self, job_id: str) -> HttpRequest:
        """One request from Segmind's history (any age; see :mod:`.segmind_history`).

        Example:
            >>> SegmindV2("http://h", "k").history_request("r1").url
            'http://h/inference-request/request-history/r1'
        """
        return history.get_request(self.history_url, self._headers["x-api-key"], job_id)

    def history_page(
        self, since: float, until: float, wire_model: str | None, page: int = 1
    ) -> HttpRequest:
        """A page of Segmind's history between two times (for reconciliation).

        Example:
            >>> SegmindV2("http://h", "k").history_page(0.0, 1.0, None).params["page"]
            '1'
        """
        return history.page_request(
            self.history_url,
            self._headers["x-api-key"],
            since=since,
            until=until,
            model=wire_model,
            page=page,
        )

    def __repr__(self) -> str:
        return f"SegmindV2(base_url={self.base_url!r})"

    # The module's payload() above is the adapter's body builder, as it is.
    payload = staticmethod(payload)

    def upload_fields(self, request: Request) -> list[str]:
        """The image fields holding local data, which must be uploaded to become URLs.

        Segmind's image parameters are URIs, so local images go through its upload-asset.

        Example:
            >>> from PIL import Image
            >>> from hailuo_nb.params import build_request
            >>> frame = Image.new("RGB", (640, 360))
            >>> SegmindV2("http://h", "k").upload_fields(
            ...     build_request("segmind", "a fox", first_frame=frame))
            ['first_frame']
        """
        fields = ("first_frame", "last_frame")
        return [f for f in fields if (img := getattr(request, f)) is not None and img.url is None]

    def upload_request(self, data_urls: list[str]) -> HttpRequest:
        """The upload of local images (as data URLs) to Segmind's storage.

        Example:
            >>> SegmindV2("http://h", "k").upload_request(["data:image/png;base64,AA"]).url
            'http://h/upload-asset'
        """
        return upload_request(self.upload_url, self._headers["x-api-key"], data_urls)

    def parse_upload(self, response: httpx.Response, count: int) -> list[str]:
        """The uploaded files' URLs (see :func:`parse_upload`).

        Example:
            >>> SegmindV2("http://h", "k").parse_upload(
            ...     httpx.Response(200, json={"urls": ["http://h/a.png"]}), 1)
            ['http://h/a.png']
        """
        return parse_upload(response, count)

    def submit_request(self, payload: dict[str, Any], wire_model: str) -> HttpRequest:
        """``POST /v2/{slug}``: the slug goes in the path, never in the body.

        Example:
            >>> SegmindV2("http://h", "k").submit_request({}, "hailuo-02-fast").url
            'http://h/v2/hailuo-02-fast'
        """
        return HttpRequest(
            "POST", f"{self.base_url}/v2/{wire_model}", "submit", dict(self._headers), payload
        )

    def parse_submit(self, response: httpx.Response) -> Submitted:
        """The request id of an accepted job.

        Example:
            >>> SegmindV2("http://h", "k").parse_submit(httpx.Response(
            ...     200, json={"request_id": "ab12", "status": "QUEUED"})).job_id
            'ab12'
        """
        body = _check(response)
        rid = body.get("request_id") or body.get("id")
        if not rid:
            # The job may exist; the caller must not resubmit (it says so to the user).
            raise MalformedResponse(
                "the submit answer has no request_id", provider="segmind", status_code=200
            )
        status = _WORDS.get(str(body.get("status") or "QUEUED").upper(), "queued")
        return Submitted(str(rid), status, body)

    def poll_request(self, job_id: str) -> HttpRequest:
        """The status poll (built from our base URL, so it also works after a restart).

        Example:
            >>> SegmindV2("http://h", "k").poll_request("r1").step
            'status'
        """
        return HttpRequest(
            "GET", f"{self.base_url}/v2/requests/{job_id}/status", "status", dict(self._headers)
        )

    def result_request(self, job_id: str) -> HttpRequest:
        """The result (with ``output``), asked once the status says COMPLETED.

        Example:
            >>> SegmindV2("http://h", "k").result_request("r1").url
            'http://h/v2/requests/r1'
        """
        return HttpRequest(
            "GET", f"{self.base_url}/v2/requests/{job_id}", "result", dict(self._headers)
        )

    def parse(self, step: str, job_id: str, response: httpx.Response) -> Update:
        """A status or result answer as an :class:`Update`.

        Example:
            >>> a = SegmindV2("http://h", "k")
            >>> a.parse("status", "r1", httpx.Response(
            ...     422, json={"status": "FAILED", "error": "blocked"})).reason
            'blocked'
        """
        try:
            body = _check(response, job_id)
        except NotFound as exc:
            # Segmind forgets requests an hour after submission: the job is gone for us.
            return Update("expired", reason=exc.message, raw=try_json(response))
        status = _status(body, response)
        if step == "status" and status == "completed":
            output = _video_url(body.get("output"))
            if output is None:
                return Update("processing", follow_up=self.result_request(job_id), raw=body)
            return _metrics_update(status, body, output)
        if step == "result" and status == "completed":
            output = _video_url(body.get("output"))
            if output is None:
                raise MalformedResponse(
                    "COMPLETED without an output URL", provider="segmind", status_code=200
                )
            return _metrics_update(status, body, output)
        return _metrics_update(status, body, None)


class SegmindV1(SegmindV2):
    """Segmind's v1 protocol: ``POST /v1/{slug}`` blocks and answers the video.

    There is no id before the answer and nothing to poll. The answer is the video bytes
    (streamed into the output file, the cost in the ``x-cost`` header) or, as Segmind does
    not pin it for Hailuo, JSON with an output URL (downloaded as any other) or an error.

    Example:
        >>> SegmindV1("http://h", "k").submit_request({}, "hailuo-2.3").url
        'http://h/v1/hailuo-2.3'
    """

    synchronous = True

    def __repr__(self) -> str:
        return f"SegmindV1(base_url={self.base_url!r})"

    def submit_request(self, payload: dict[str, Any], wire_model: str) -> HttpRequest:
        """``POST /v1/{slug}`` with the same JSON body as v2.

        Example:
            >>> SegmindV1("http://h", "k").submit_request({}, "m").step
            'submit'
        """
        return HttpRequest(
            "POST", f"{self.base_url}/v1/{wire_model}", "submit", dict(self._headers), payload
        )

    def answers_video(self, response: httpx.Response) -> bool:
        """True when a 2xx answer's body is the video itself, to stream into the file.

        ``video/*``, ``application/mp4`` and the octet-stream types are; so is an answer
        with no Content-Type,
        as the SDK keeps ``response.content`` whatever it is. Anything else (JSON, HTML,
        text) must be read, never written into an ``.mp4``.

        Example:
            >>> a = SegmindV1("http://h", "k")
            >>> a.answers_video(httpx.Response(200, headers={"content-type": "video/mp4"}))
            True
            >>> a.answers_video(httpx.Response(200, json={"output": "http://h/v.mp4"}))
            False
        """
        kind = _content_type(response)
        return response.is_success and (
            not kind or kind.startswith("video/") or kind in _VIDEO_TYPES
        )

    def check_video(self, response: httpx.Response) -> Update:
        """What a v1 answer says, by its Content-Type (a body that is not the video must be
        read before this is called).

        - the video (see :meth:`answers_video`): ``completed``, with the cost and server
          time from the headers; the caller streams the body into the file;
        - JSON: an output URL makes it ``completed`` with that ``video_url`` (to download);
          an ``error`` or a FAILED status makes it ``failed`` with the server's reason;
          neither is :class:`MalformedResponse`;
        - anything else (an HTML page, text): :class:`MalformedResponse`, never saved.

        A v1 failure has no FAILED state: Segmind answers 400 with the reason.

        Example:
            >>> a = SegmindV1("http://h", "k")
            >>> a.check_video(httpx.Response(
            ...     200, headers={"x-cost": "0.35", "content-type": "video/mp4"})).cost_usd
            0.35
            >>> a.check_video(httpx.Response(200, json={"output": "http://h/v.mp4"})).video_url
            'http://h/v.mp4'
            >>> a.check_video(httpx.Response(200, json={"error": "NSFW content"})).reason
            'NSFW content'
        """
        if response.status_code == 400:
            body = try_json(response)
            return Update("failed", reason=message_of(response, body, "error"), raw=body)
        if not response.is_success:
            _check(response)
        cost = as_float(response.headers.get("x-cost"))
        run_seconds = as_float(response.headers.get("x-generation-time"))
        if self.answers_video(response):
            return Update("completed", cost_usd=cost, run_seconds=run_seconds)
        kind = _content_type(response)
        if not (kind.endswith(("/json", "+json"))):
            raise MalformedResponse(
                f"the v1 answer is {kind}, not a video: {response.text.strip()[:80]!r}",
                provider="segmind",
                status_code=response.status_code,
            )
        body = json_body(response, "segmind")
        word = str(body.get("status") or "").strip().upper()
        error = body.get("error")
        if _WORDS.get(word) == "failed" or error:
            said = any(body.get(k) for k in ("error", "message", "detail"))
            reason = message_of(response, body, "error", "message", "detail")
            reason = reason if said else "failed without a reason"
            return Update("failed", reason=reason, raw=body)
        output = _video_url(
            body.get("output") or body.get("video_url") or body.get("video") or body.get("url")
        )
        if output is None:
            raise MalformedResponse(
                f"the v1 answer is JSON with neither a video URL nor an error: {str(body)[:120]}",
                provider="segmind",
                status_code=response.status_code,
            )
        metrics = body.get("metrics") if isinstance(body.get("metrics"), dict) else {}
        assert isinstance(metrics, dict)
        return Update(
            "completed",
            video_url=output,
            cost_usd=cost if cost is not None else as_float(metrics.get("cost")),
            run_seconds=run_seconds
            if run_seconds is not None
            else as_float(metrics.get("total_time")),
            raw=body,
        )


def upload_request(url: str, api_key: str, data_urls: list[str]) -> HttpRequest:
    """Segmind's storage upload, which turns local images into URLs a model accepts.

    Example:
        >>> upload_request("http://h/upload-asset", "k", ["data:image/png;base64,AA"]).step
        'upload'
    """
    return HttpRequest("POST", url, "upload", {"x-api-key": api_key}, {"data_urls": data_urls})


def parse_upload(response: httpx.Response, count: int) -> list[str]:
    """The uploaded files' URLs (under ``file_urls`` or ``urls``).

    Example:
        >>> parse_upload(httpx.Response(200, json={"urls": ["http://h/a.png"]}), 1)
        ['http://h/a.png']
    """
    body = _check(response)
    urls = body.get("file_urls") or body.get("urls") or body.get("file_url") or body.get("url")
    if isinstance(urls, str):
        urls = [urls]
    if (
        not isinstance(urls, list)
        or len(urls) != count
        or not all(isinstance(u, str) for u in urls)
    ):
        raise MalformedResponse(
            f"upload-asset answered no usable URL list: {str(body)[:120]}",
            provider="segmind",
            status_code=response.status_code,
        )
    return [str(u) for u in urls]
