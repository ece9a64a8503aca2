"""fal.ai's queue: ``POST {queue}/{endpoint}``, then status and result under the app.

Flow (protocols-more.md §3, fal-client 1.0.3): the submit answers ``request_id`` (and the
URLs, which we do not need: fal builds them the one way below); ``GET
{queue}/fal-ai/minimax/requests/{id}/status`` answers **202** ``IN_QUEUE`` (with
``queue_position``, 0-based: the jobs ahead) or ``IN_PROGRESS``, then **200**
``COMPLETED``; the video is then ``GET .../requests/{id}`` → ``{"video": {"url"}}``.
Quirks handled: status and result live under the **app** (owner/alias), never under the
endpoint's path; a failed job is COMPLETED too, its result answering **422** with a
pydantic ``detail`` list (bad input, content policy) or another error with ``detail``;
a request cancelled before it started is COMPLETED with ``error_type:
"request_cancelled"``; auth is ``Authorization: Key <FAL_KEY>``. Hailuo durations are the
**strings** "6"/"10"; Hailuo-02's standard image-to-video takes ``resolution`` "512P" /
"768P". The endpoint is picked per request from the catalog's template (standard or pro
by resolution, text- or image-to-video by the first frame). fal reports no billed cost.

Every Hailuo endpoint lives under the app ``fal-ai/minimax``, so a Hailuo job id is fal's
request id alone; H3's app ``minimax/h3`` is kept in the id (``minimax/h3:<request id>``),
read from the status URL of fal's submit answer.

Example:
    >>> Fal("https://queue.fal.run", "k").poll_request("ab-12").url
    'https://queue.fal.run/fal-ai/minimax/requests/ab-12/status'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import MalformedResponse, ServiceError, ValidationError
from ..params import Request
from .aimlapi import error_text
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

__all__ = ["APP", "Fal", "endpoint", "job_id_for", "payload", "split_job_id"]

#: The app every Hailuo endpoint belongs to: where status, result and cancel live.
APP = "fal-ai/minimax"
_STILL_RUNNING = "still in progress"


def endpoint(request: Request) -> str:
    """The fal endpoint for ``request``: the catalog's template, filled.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> endpoint(build_request("fal", "a fox", resolution="1080p"))
        'fal-ai/minimax/hailuo-2.3/pro/text-to-video'
        >>> endpoint(build_request("fal", "a fox", model="video-01-live",
        ...                        first_frame="https://x/a.png"))
        'fal-ai/minimax/video-01-live/image-to-video'
    """
    if request.model.family == "h3":
        refs = request.reference_images or request.reference_videos or request.reference_audio
        frames = request.first_frame is not None or request.last_frame is not None
        kind = "reference" if refs else "image" if frames else "text"
        return request.model.wire_name.format(kind=f"{kind}-to-video")
    image = request.first_frame is not None
    return request.model.wire_name.format(
        tier="pro" if request.resolution == "1080p" else "standard",
        kind="image-to-video" if image else "text-to-video",
        i2v="/image-to-video" if image else "",
    )


def payload(request: Request, image_urls: Mapping[str, str] | None = None) -> dict[str, Any]:
    """fal's JSON body: duration as a string (standard endpoints only), ``image_url``,
    ``end_image_url``, and ``resolution`` upper case where the endpoint offers a choice.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> payload(build_request("fal", "a fox", duration=10))
        {'prompt': 'a fox', 'prompt_optimizer': True, 'duration': '10'}
        >>> payload(build_request("fal", "a fox", model="hailuo-02", resolution="512p",
        ...                       first_frame="https://x/a.png"))["resolution"]
        '512P'
    """
    first, last = image_values(request, image_urls)
    if request.model.family == "h3":
        return _h3(request, first, last)
    spec = request.model
    body: dict[str, Any] = {"prompt": request.prompt, "prompt_optimizer": request.prompt_optimizer}
    pro = request.resolution == "1080p"
    # Pro endpoints make 6 s clips and take no duration; the video-01 family none at all.
    if request.duration is not None and not pro:
        body["duration"] = str(request.duration)
    standard = [r for r in spec.resolutions if r != "1080p"]
    # Only Hailuo-02's standard image-to-video offers a choice (512P or 768P).
    if first is not None and not pro and len(standard) > 1 and request.resolution:
        body["resolution"] = request.resolution.upper()
    if first is not None:
        body["image_url"] = first
    if last is not None:
        body["end_image_url"] = last
    return body


def _h3(request: Request, first: str | None, last: str | None) -> dict[str, Any]:
    """``minimax/h3``'s body: integer duration, upper-case resolution, ``aspect_ratio``
    (text and reference endpoints), ``image_url`` / ``end_image_url``, reference URL lists.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> payload(build_request("fal", "a fox", model="h3", ratio="9:16"))
        {'prompt': 'a fox', 'duration': 6, 'resolution': '768P', 'aspect_ratio': '9:16'}
    """
    if last is not None and first is None:
        # fal's image-to-video needs its image_url; H3 elsewhere takes a last frame alone.
        raise ValidationError("last_frame", "fal's H3 needs a first frame with a last frame")
    references = bool(request.reference_images or request.reference_videos)
    h3_max = request.model.wire_name.startswith("minimax/h3-max/")
    if h3_max and (request.reference_videos or request.reference_audio):
        # fal's H3 Max reference-to-video takes reference_image_urls only.
        raise ValidationError(
            "reference_videos", "fal's H3 Max takes reference images only (no clips or sound)"
        )
    body: dict[str, Any] = {"prompt": request.prompt}
    if request.duration is not None:
        body["duration"] = request.duration
    if request.resolution is not None:
        body["resolution"] = request.resolution.upper()
    # No aspect_ratio on image-to-video (the frame decides), nor on H3 Max's references.
    if request.ratio is not None and first is None and not (h3_max and references):
        body["aspect_ratio"] = request.ratio
    if request.prompt_expansion_mode is not None:
        body["prompt_expansion_mode"] = request.prompt_expansion_mode
    if first is not None:
        body["image_url"] = first
    if last is not None:
        body["end_image_url"] = last
    body.update(reference_values(request))
    return body


def job_id_for(app: str, request_id: str) -> str:
    """The job id of fal request ``request_id`` under ``app``: the request id alone under
    ``fal-ai/minimax`` (every Hailuo endpoint; ids stored before H3 stay valid), else
    ``app:request_id`` (fal's status, result and cancel URLs need the app).

    Example:
        >>> job_id_for("minimax/h3", "ab-12"), job_id_for(APP, "ab-12")
        ('minimax/h3:ab-12', 'ab-12')
    """
    return request_id if app == APP else f"{app}:{request_id}"


def split_job_id(job_id: str) -> tuple[str, str]:
    """The app and fal's request id in a job id (see :func:`job_id_for`).

    Example:
        >>> split_job_id("minimax/h3:ab-12"), split_job_id("ab-12")
        (('minimax/h3', 'ab-12'), ('fal-ai/minimax', 'ab-12'))
    """
    app, sep, rid = job_id.rpartition(":")
    return (app, rid) if sep and app else (APP, job_id)


def _check(response: httpx.Response, request_id: str | None = None) -> dict[str, Any]:
    if response.is_success:
        return json_body(response, "fal")
    body = try_json(response)
    said = error_text(body.get("detail")) if body else None
    raise error_for_status(
        response,
        "fal",
        said or message_of(response, body, "detail", "error"),
        credit_codes=(402, 403),  # 403 "User is locked. Reason: Exhausted balance"
        request_id=request_id or response.headers.get("x-fal-request-id"),
        body=body,
    )


class Fal(KeyInHeader, NoUploads):
    """The fal.ai queue adapter (images go inline, as URLs or data URLs).

    Example:
        >>> Fal("https://queue.fal.run", "k").submit_request({}, "fal-ai/minimax/x").url
        'https://queue.fal.run/fal-ai/minimax/x'
    """

    name = "fal"
    synchronous = False

    auth_scheme = "Key"  # fal's own scheme, not Bearer

    def payload(
        self, request: Request, image_urls: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The body (see :func:`payload`); the endpoint rides along for the submit.

        Example:
            >>> from hailuo_nb.params import build_request
            >>> Fal("http://h", "k").payload(build_request("fal", "a fox"))["duration"]
            '6'
        """
        return {**payload(request, image_urls), _ENDPOINT: endpoint(request)}

    def submit_request(self, payload: dict[str, Any], wire_model: str) -> HttpRequest:
        """``POST {queue}/{endpoint}``, the endpoint from :meth:`payload` (else ``wire_model``).

        Example:
            >>> Fal("http://h", "k").submit_request({"prompt": "a"}, "fal-ai/minimax/v").json
            {'prompt': 'a'}
        """
        body = dict(payload)
        path = str(body.pop(_ENDPOINT, wire_model))
        return HttpRequest("POST", f"{self.base_url}/{path}", "submit", dict(self._headers), body)

    def parse_submit(self, response: httpx.Response) -> Submitted:
        """The request id (fal's answer also carries the status and result URLs).

        Example:
            >>> Fal("http://h", "k").parse_submit(httpx.Response(200, json={
            ...     "request_id": "r1", "status": "IN_QUEUE", "queue_position": 2})).queue_position
            2
        """
        body = _check(response)
        rid = body.get("request_id")
        if not rid:
            raise MalformedResponse(
                "the submit answer has no request_id", provider="fal", status_code=200
            )
        position = body.get("queue_position")
        ahead = position if isinstance(position, int) and position >= 0 else None
        job_id = job_id_for(self._app_of(body.get("status_url"), str(rid)), str(rid))
        return Submitted(job_id, "queued", body, queue_position=ahead)

    def _app_of(self, status_url: Any, request_id: str) -> str:
        # The app the request lives under, from fal's own status URL (as fal says: do not
        # build these URLs yourself); Hailuo's app when the answer has none.
        if not isinstance(status_url, str):
            return APP
        path = urlsplit(status_url).path
        root = urlsplit(self.base_url).path.rstrip("/")
        marker = f"/requests/{request_id}"
        if marker not in path or not path.startswith(root + "/"):
            return APP
        return path[len(root) + 1 : path.index(marker)] or APP

    def _url(self, job_id: str, tail: str = "") -> str:
        app, rid = split_job_id(job_id)
        return f"{self.base_url}/{app}/requests/{rid}{tail}"

    def poll_request(self, job_id: str) -> HttpRequest:
        """``GET .../requests/{id}/status`` (no logs: we show none).

        Example:
            >>> Fal("http://h", "k").poll_request("r1").params
            {'logs': '0'}
        """
        return HttpRequest(
            "GET", self._url(job_id, "/status"), "status", dict(self._headers), params={"logs": "0"}
        )

    def result_request(self, job_id: str, *, failed: bool = False) -> HttpRequest:
        """``GET .../requests/{id}``: the video, or why there is none (``failed``: the
        status already said the job failed, so the answer is read as its reason).

        Example:
            >>> Fal("http://h", "k").result_request("r1").step
            'result'
        """
        step = "failure" if failed else "result"
        return HttpRequest("GET", self._url(job_id), step, dict(self._headers))

    def parse(self, step: str, job_id: str, response: httpx.Response) -> Update:
        """A status or result answer as an :class:`Update`.

        Example:
            >>> fal = Fal("http://h", "k")
            >>> fal.parse("status", "r1", httpx.Response(202, json={
            ...     "status": "IN_QUEUE", "queue_position": 3})).queue_position
            3
            >>> fal.parse("result", "r1", httpx.Response(422, json={"detail": [
            ...     {"loc": ["body", "prompt"], "msg": "flagged by a content checker",
            ...      "type": "content_policy_violation"}]})).reason
            'prompt: flagged by a content checker'
            >>> fal.parse("failure", "r1", httpx.Response(500, json={"detail": "GPU lost"})).reason
            'GPU lost'
        """
        if step in ("result", "failure"):
            return self._result(job_id, response, failed=step == "failure")
        if response.status_code == 404:
            body = try_json(response)
            return Update("expired", reason=message_of(response, body, "detail"), raw=body)
        body = _check(response, job_id)
        word = str(body.get("status") or "").upper()
        if word == "IN_QUEUE":
            position = body.get("queue_position")
            ahead = position if isinstance(position, int) and position >= 0 else None
            return Update("queued", queue_position=ahead, raw=body)
        if word == "IN_PROGRESS":
            return Update("processing", raw=body)
        if word != "COMPLETED":
            raise MalformedResponse(
                f"unknown status {body.get('status')!r}", provider="fal", status_code=200
            )
        if str(body.get("error_type") or "") == "request_cancelled":
            reason = str(body.get("error") or "cancelled before it started")
            return Update("cancelled", reason=reason, raw=body)
        # Done, or failed (``error`` on the status): the result says why, in fuller words.
        failed = bool(body.get("error") or body.get("error_type"))
        return Update("processing", follow_up=self.result_request(job_id, failed=failed), raw=body)

    def _result(self, job_id: str, response: httpx.Response, *, failed: bool) -> Update:
        if response.is_success:
            body = json_body(response, "fal")
            video = body.get("video")
            url = video.get("url") if isinstance(video, dict) else None
            if not isinstance(url, str) or not url:
                raise MalformedResponse(
                    "the result has no video URL", provider="fal", status_code=200
                )
            return Update("completed", video_url=url, raw=body)
        error = try_json(response)
        detail = error_text(error.get("detail")) if error else None
        if response.status_code == 400 and detail and _STILL_RUNNING in detail.lower():
            # The status said COMPLETED: the result is a moment behind; ask again.
            raise ServiceError(detail, provider="fal", status_code=400, request_id=job_id)
        # The job's own failure: a 422 (input, content policy), an answer fal marks as
        # final, or any answer with fal's ``detail`` once the status said the job failed.
        # Anything else (a gateway page, a 429, a 5xx of a job not known to have failed)
        # is ours to retry, never the job's failure.
        final = response.headers.get("x-fal-retryable", "").lower() == "false"
        if detail and (response.status_code == 422 or final or failed):
            return Update("failed", reason=detail, raw=error)
        _check(response, job_id)
        raise AssertionError("unreachable: _check raises for an error answer")

    def cancel_request(self, job_id: str) -> HttpRequest:
        """``PUT .../requests/{id}/cancel``.

        Example:
            >>> Fal("http://h", "k").cancel_request("r1").method
            'PUT'
        """
        return HttpRequest("PUT", self._url(job_id, "/cancel"), "cancel", dict(self._headers))

    def parse_cancel(self, job_id: str, response: httpx.Response) -> CancelAnswer:
        """fal's answer to a cancel. ``CANCELLATION_REQUESTED`` removes a queued job; a
        running one only gets the signal, and MiniMax's apps run on (and are billed): the
        status then tells which happened.

        Example:
            >>> Fal("http://h", "k").parse_cancel("r1", httpx.Response(
            ...     400, json={"status": "ALREADY_COMPLETED"})).accepted
            False
        """
        body = try_json(response) or {}
        word = str(body.get("status") or "").upper()
        if response.is_success and word in ("CANCELLATION_REQUESTED", "OK", ""):
            return CancelAnswer(
                True,
                "fal: cancellation requested; a queued request is removed (not billed), one"
                " already running finishes and is billed",
            )
        if word == "ALREADY_COMPLETED":
            return CancelAnswer(False, "fal: the request had already completed")
        if word == "NOT_FOUND":
            return CancelAnswer(False, "fal: no such request (another key, or another server)")
        _check(response, job_id)
        raise MalformedResponse(
            f"unexpected cancel answer {word or response.text[:60]!r}",
            provider="fal",
            status_code=response.status_code,
        )


# The endpoint travels inside the payload from payload() to submit_request() (the client
# hands one to the other) and is popped before sending: fal picks its endpoint per
# request, where other hosts name one model.
_ENDPOINT = "__fal_endpoint__"
