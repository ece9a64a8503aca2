"""MiniMax official API: errors travel **inside HTTP 200** as ``base_resp`` codes.

Flow: ``POST /v1/video_generation`` → ``task_id``; ``GET /v1/query/video_generation``
until ``Success`` (with ``file_id``) or ``Fail``; then ``GET /v1/files/retrieve`` for the
``download_url`` (valid 1 hour, MiniMax's download page says: fetch it at once, and ask
``files/retrieve`` again later). Codes: 1002 rate limit, 1004 / 2049 auth, 1008 balance,
1026 sensitive prompt, 1027 sensitive output, 2013 invalid parameters; 1000, 1001, 1013
(and 1024, 1033) are MiniMax's own "try again later", a 5xx in all but name. A ``Fail``
may come with code 0 ("success") and no reason at all: the official query schema has no
error field.

Example:
    >>> MiniMax("https://api.minimax.io", "k").poll_request("42").params
    {'task_id': '42'}
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from ..errors import AuthError, InsufficientCredits, ProviderError, RateLimited, ServiceError
from ..models import Status
from ..params import Request
from .base import (
    HttpRequest,
    KeyInHeader,
    MalformedResponse,
    NoUploads,
    Submitted,
    Update,
    error_for_status,
    image_values,
    json_body,
    message_of,
    try_json,
)

__all__ = ["MiniMax", "fail_reason", "payload", "raise_for_base_resp"]

_WORDS: dict[str, Status] = {
    "preparing": "queued",
    "queueing": "queued",
    "queued": "queued",
    "processing": "processing",
    "success": "completed",
    "fail": "failed",
    "failed": "failed",
}
_AUTH = (1004, 2049)
# MiniMax's error-code table answers "please retry your requests later" for these: 1000
# unknown error, 1001 request timeout, 1013 internal service error (protocols.md), and on
# its current page also 1024 internal error and 1033 system / downstream error. They are
# the service failing, not a refusal: a poll asks again (a submit is never re-sent blindly:
# http.py turns a transient error on a submit into SubmitUncertain).
_RETRY_LATER = (1000, 1001, 1013, 1024, 1033)
# MiniMax documents an RPM limit but no reset time: wait out a small fixed slice of it.
RATE_LIMIT_PAUSE_S = 12.0
# The official query schema has no error field; should a failed task carry one anyway, it
# is read under any of these names (a string, or an object with a message).
_REASON_KEYS = (
    "error",
    "error_message",
    "error_msg",
    "err_msg",
    "fail_reason",
    "reason",
    "message",
)
NO_REASON = "MiniMax reports the task failed (no reason given)"


def fail_reason(body: dict[str, Any]) -> str:
    """Why a ``Fail`` task failed, in the server's own words where it gives any.

    A non-zero ``base_resp`` code is the reason (``msg (code N)``). With code 0 (the official
    query schema has no error field, and a failed task can carry "success") the words are
    whatever else the body holds: a ``status_msg`` other than "success", or an error-ish
    field. "success" itself is never shown as a failure's reason.

    Example:
        >>> fail_reason({"status": "Fail", "base_resp": {"status_code": 1027,
        ...              "status_msg": "output new_sensitive"}})
        'output new_sensitive (code 1027)'
        >>> fail_reason({"status": "Fail", "file_id": "",
        ...              "base_resp": {"status_code": 0, "status_msg": "success"}})
        'MiniMax reports the task failed (no reason given)'
        >>> fail_reason({"status": "Fail", "error_message": "GPU fault",
        ...              "base_resp": {"status_code": 0, "status_msg": "success"}})
        'MiniMax reports the task failed: GPU fault'
    """
    base = body.get("base_resp") if isinstance(body.get("base_resp"), dict) else {}
    assert isinstance(base, dict)
    msg = str(base.get("status_msg") or "").strip()
    try:
        code = int(base.get("status_code") or 0)
    except (TypeError, ValueError):
        code = 0
    if code:
        return f"{msg or 'generation failed'} (code {code})"
    words = [msg] if msg and msg.lower() != "success" else []
    for key in _REASON_KEYS:
        value = body.get(key)
        if isinstance(value, dict):
            value = value.get("message") or value.get("msg") or value.get("name")
        text = str(value).strip() if isinstance(value, (str, int, float)) else ""
        if text and text.lower() != "success" and text not in words:
            words.append(text)
    return f"MiniMax reports the task failed: {'; '.join(words)}" if words else NO_REASON


def raise_for_base_resp(body: dict[str, Any], *, request_id: str | None = None) -> None:
    """Raise the error a non-zero ``base_resp`` code stands for (2xx answers only).

    Example:
        >>> raise_for_base_resp({"base_resp": {"status_code": 0, "status_msg": "success"}})
        >>> try:
        ...     raise_for_base_resp({"base_resp": {"status_code": 1008, "status_msg": "no"}})
        ... except InsufficientCredits as e:
        ...     print(e)
        minimax: error (code 1008): no
        >>> try:
        ...     raise_for_base_resp({"base_resp": {"status_code": 1013, "status_msg": "busy"}})
        ... except ServiceError as e:
        ...     print(e.code)
        1013
    """
    base = body.get("base_resp")
    if not isinstance(base, dict):
        raise MalformedResponse("the answer has no base_resp", provider="minimax", status_code=200)
    try:
        code = int(base.get("status_code", 0))
    except (TypeError, ValueError):
        code = -1
    if code == 0:
        return
    message = str(base.get("status_msg") or f"error code {code}")
    kw: dict[str, Any] = {
        "provider": "minimax",
        "code": code,
        "request_id": request_id,
        "body": body,
    }
    if code == 1002:
        raise RateLimited(message, retry_at=time.time() + RATE_LIMIT_PAUSE_S, **kw)
    if code in _AUTH:
        raise AuthError(message, **kw)
    if code == 1008:
        raise InsufficientCredits(message, **kw)
    if code in _RETRY_LATER:
        raise ServiceError(message, **kw)
    raise ProviderError(message, **kw)


def _check(response: httpx.Response, request_id: str | None = None) -> dict[str, Any]:
    if not response.is_success:
        body = try_json(response)
        base = body.get("base_resp") if body else None
        keys = ("status_msg",) if isinstance(base, dict) else ("message", "error")
        raise error_for_status(
            response,
            "minimax",
            message_of(response, base if isinstance(base, dict) else body, *keys),
            credit_codes=(402,),
            request_id=request_id,
            body=body,
        )
    return json_body(response, "minimax")


def payload(request: Request, image_urls: Mapping[str, str] | None = None) -> dict[str, Any]:
    """MiniMax's JSON body: resolution upper case, ``first_frame_image`` as URL or data URL.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> payload(build_request("minimax", "a fox", model="MiniMax-Hailuo-02",
        ...                       first_frame="https://x/a.png", resolution="512p"))
        {'model': 'MiniMax-Hailuo-02', 'prompt': 'a fox', 'duration': 6, \
'resolution': '512P', 'prompt_optimizer': True, 'fast_pretreatment': False, \
'first_frame_image': 'https://x/a.png'}
    """
    first, last = image_values(request, image_urls)
    body: dict[str, Any] = {"model": request.model.wire_name, "prompt": request.prompt}
    if request.duration is not None:
        body["duration"] = request.duration
    if request.resolution is not None:
        body["resolution"] = request.resolution.upper()
    body["prompt_optimizer"] = request.prompt_optimizer
    if request.fast_pretreatment is not None:
        body["fast_pretreatment"] = request.fast_pretreatment
    if first is not None:
        body["first_frame_image"] = first
    if last is not None:
        body["last_frame_image"] = last
    return body


class MiniMax(KeyInHeader, NoUploads):
    """The MiniMax adapter.

    Example:
        >>> MiniMax("http://h", "k").submit_request({"prompt": "a"}, "MiniMax-Hailuo-2.3").json
        {'model': 'MiniMax-Hailuo-2.3', 'prompt': 'a'}
    """

    name = "minimax"
    synchronous = False


    # The module's payload() above is the adapter's body builder, as it is.
    payload = staticmethod(payload)

    def submit_request(self, payload: dict[str, Any], wire_model: str) -> HttpRequest:
        """``POST /v1/video_generation``.

        Example:
            >>> MiniMax("http://h", "k").submit_request({}, "m").url
            'http://h/v1/video_generation'
        """
        body = {"model": wire_model, **payload}
        return HttpRequest(
            "POST", f"{self.base_url}/v1/video_generation", "submit", dict(self._headers), body
        )

    def parse_submit(self, response: httpx.Response) -> Submitted:
        """The task id, or the in-band error (1026 refused prompt, 2013 bad parameters...).

        Example:
            >>> MiniMax("http://h", "k").parse_submit(httpx.Response(200, json={
            ...     "task_id": "9", "base_resp": {"status_code": 0}})).job_id
            '9'
        """
        body = _check(response)
        raise_for_base_resp(body)
        tid = body.get("task_id")
        if not tid:
            raise MalformedResponse(
                "the submit answer has no task_id", provider="minimax", status_code=200
            )
        return Submitted(str(tid), "queued", body)

    def poll_request(self, job_id: str) -> HttpRequest:
        """``GET /v1/query/video_generation?task_id=...``.

        Example:
            >>> MiniMax("http://h", "k").poll_request("9").url
            'http://h/v1/query/video_generation'
        """
        return HttpRequest(
            "GET",
            f"{self.base_url}/v1/query/video_generation",
            "status",
            dict(self._headers),
            params={"task_id": job_id},
        )

    def retrieve_request(self, file_id: str) -> HttpRequest:
        """``GET /v1/files/retrieve?file_id=...``, for the download URL.

        Example:
            >>> MiniMax("http://h", "k").retrieve_request("5").params
            {'file_id': '5'}
        """
        return HttpRequest(
            "GET",
            f"{self.base_url}/v1/files/retrieve",
            "retrieve",
            dict(self._headers),
            params={"file_id": file_id},
        )

    def parse(self, step: str, job_id: str, response: httpx.Response) -> Update:
        """A query or retrieve answer as an :class:`Update`.

        A ``Fail`` status carries its reason in ``base_resp`` (e.g. 1027 sensitive output),
        or none at all (code 0): see :func:`fail_reason`.

        Example:
            >>> MiniMax("http://h", "k").parse("status", "9", httpx.Response(200, json={
            ...     "status": "Fail", "base_resp": {"status_code": 1027,
            ...     "status_msg": "output new_sensitive"}})).reason
            'output new_sensitive (code 1027)'
        """
        body = _check(response, job_id)
        if step == "retrieve":
            raise_for_base_resp(body, request_id=job_id)
            file = body.get("file") if isinstance(body.get("file"), dict) else {}
            assert isinstance(file, dict)
            url = file.get("download_url")
            if not url:
                raise MalformedResponse(
                    "files/retrieve has no download_url", provider="minimax", status_code=200
                )
            return Update("completed", video_url=str(url), raw=body)
        word = str(body.get("status") or "").lower()
        status = _WORDS.get(word)
        if status == "failed":
            return Update("failed", reason=fail_reason(body), raw=body)
        try:
            raise_for_base_resp(body, request_id=job_id)
        except ProviderError as exc:
            if exc.code == 2013 and status is None:
                # The only parameter of a query is the task id: MiniMax does not know it.
                return Update("expired", reason=exc.message, raw=body)
            raise
        if status is None:
            raise MalformedResponse(
                f"unknown status {body.get('status')!r}", provider="minimax", status_code=200
            )
        if status == "completed":
            file_id = body.get("file_id")
            if not file_id:
                raise MalformedResponse(
                    "Success without a file_id", provider="minimax", status_code=200
                )
            return Update("processing", follow_up=self.retrieve_request(str(file_id)), raw=body)
        return Update(status, raw=body)
