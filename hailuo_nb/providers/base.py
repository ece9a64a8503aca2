"""What every provider adapter speaks: plain request descriptions in, ``Update`` out.

Adapters do no I/O. The client sends each :class:`HttpRequest`, hands the
``httpx.Response`` back to the adapter, and gets either an :class:`Update` (a closed
:data:`~hailuo_nb.models.Status` plus the server's reason, cost and video URL) or an
exception from the error tree. Provider words never leave this package.

Example:
    >>> req = HttpRequest("GET", "https://api.example/v2/requests/abc/status", step="status")
    >>> req.method, req.step
    ('GET', 'status')
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx

from ..errors import (
    AuthError,
    InsufficientCredits,
    MalformedResponse,
    NotFound,
    ProviderError,
    RateLimited,
)
from ..models import Status
from ..params import Request

if TYPE_CHECKING:
    from .segmind_history import HistoryRow

__all__ = [
    "Adapter",
    "CancelAnswer",
    "Cancellable",
    "HttpRequest",
    "KeyInHeader",
    "MalformedResponse",
    "NoUploads",
    "Submitted",
    "Synchronous",
    "TakesDeadline",
    "Update",
    "UploadsEach",
    "WithHistory",
    "WithListing",
    "WithTaskList",
    "error_for_status",
    "image_values",
    "json_body",
    "parse_retry_at",
    "reference_values",
]


@dataclass(frozen=True)
class HttpRequest:
    """One request to send: the client adds the transport, budget and retries.

    ``step`` names what the answer is parsed as (``submit``, ``status``, ``result``,
    ``retrieve``, ``upload``). Headers hold the API key, so the repr leaves them out.

    Example:
        >>> HttpRequest("POST", "http://x/v2/hailuo-2.3", step="submit", json={"prompt": "a"})
        HttpRequest(method='POST', url='http://x/v2/hailuo-2.3', step='submit')
    """

    method: str
    url: str
    step: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    json: dict[str, Any] | None = field(default=None, repr=False)
    params: dict[str, str] | None = field(default=None, repr=False)
    # A multipart upload: form fields, and files as (name, bytes, content type).
    data: dict[str, str] | None = field(default=None, repr=False)
    files: dict[str, tuple[str, bytes, str]] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Submitted:
    """What a submit answer tells us: the provider's job id, its first status and, where
    the provider says it at submit (AI/ML's ``meta.usage``), what it billed in USD.

    Example:
        >>> Submitted("abc", "queued").job_id
        'abc'
    """

    job_id: str
    status: Status
    raw: dict[str, Any] | None = None
    cost_usd: float | None = None
    # Jobs ahead in the provider's queue, where the submit answer says (fal).
    queue_position: int | None = None


@dataclass(frozen=True)
class Update:
    """A job's state as parsed from one answer.

    ``follow_up`` is a further request needed before the state is complete (Segmind's
    result after COMPLETED, MiniMax's ``files/retrieve`` after Success).

    Example:
        >>> Update("failed", reason="content blocked").final
        True
    """

    status: Status
    reason: str | None = None
    video_url: str | None = None
    cost_usd: float | None = None
    run_seconds: float | None = None  # server-side submit → finish, when reported
    # Jobs ahead of this one in the provider's queue, where the provider says (fal).
    queue_position: int | None = None
    # "expired" from a provider that still knows the job but deleted its output
    # (Replicate, an hour after the end): not a job it does not know (another key).
    output_gone: bool = False
    follow_up: HttpRequest | None = None
    raw: dict[str, Any] | None = None

    @property
    def final(self) -> bool:
        """True when nothing more is to be asked about this job.

        Example:
            >>> Update("processing").final
            False
        """
        return self.follow_up is None and self.status in (
            "completed",
            "failed",
            "expired",
            "cancelled",
        )


class Adapter(Protocol):
    """The interface the client drives; one implementation per provider protocol.

    Example:
        >>> from hailuo_nb.providers import make_adapter
        >>> make_adapter("minimax", "https://api.minimax.io", "k").name
        'minimax'
    """

    name: str
    base_url: str
    synchronous: bool  # True: the submit answer IS the video (Segmind v1)

    def payload(
        self, request: Request, image_urls: Mapping[str, str] | None = None
    ) -> dict[str, Any]: ...
    def submit_request(self, payload: dict[str, Any], wire_model: str) -> HttpRequest: ...
    def parse_submit(self, response: httpx.Response) -> Submitted: ...
    def poll_request(self, job_id: str) -> HttpRequest: ...
    def parse(self, step: str, job_id: str, response: httpx.Response) -> Update: ...
    def upload_fields(self, request: Request) -> list[str]: ...
    def upload_request(self, data_urls: list[str]) -> HttpRequest: ...
    def parse_upload(self, response: httpx.Response, count: int) -> list[str]: ...


@runtime_checkable
class Synchronous(Protocol):
    """An adapter whose submit answer is the video itself (``synchronous = True``), or
    says where it is, or why there is none.

    Example:
        >>> from hailuo_nb.providers import SegmindV1, SegmindV2
        >>> isinstance(SegmindV1("http://h", "k"), Synchronous)
        True
    """

    def answers_video(self, response: httpx.Response) -> bool: ...
    def check_video(self, response: httpx.Response) -> Update: ...


@runtime_checkable
class WithHistory(Protocol):
    """An adapter whose provider keeps a request history we can read (Segmind's).

    Example:
        >>> from hailuo_nb.providers import MiniMax, SegmindV2
        >>> isinstance(SegmindV2("http://h", "k"), WithHistory)
        True
        >>> isinstance(MiniMax("http://h", "k"), WithHistory)
        False
    """

    history_url: str

    def history_request(self, job_id: str) -> HttpRequest: ...
    def history_page(
        self, since: float, until: float, wire_model: str | None, page: int = 1
    ) -> HttpRequest: ...


@runtime_checkable
class WithListing(Protocol):
    """An adapter whose provider lists the account's jobs, newest first, a page at a time
    (Replicate's ``GET /v1/predictions``): where an uncertain submit is looked for.

    ``parse_list`` gives the page's jobs as history rows (``request_body`` = the body as
    sent, when the provider still keeps it) and the next page's cursor (None: the last).

    Example:
        >>> from hailuo_nb.providers import Fal, Replicate
        >>> isinstance(Replicate("http://h", "t"), WithListing)
        True
        >>> isinstance(Fal("http://h", "k"), WithListing)
        False
    """

    def list_request(self, cursor: str | None = None) -> HttpRequest: ...
    def parse_list(self, response: httpx.Response) -> tuple[list[HistoryRow], str | None]: ...


@runtime_checkable
class WithTaskList(Protocol):
    """An adapter whose provider lists recent tasks (MiniMax V2), newest first.

    The list does not repeat the request, only its shape: a row's ``request_body`` holds
    the fields it echoes (model, resolution, duration), compared with what was sent.

    Example:
        >>> from hailuo_nb.providers import MiniMaxV2, SegmindV2
        >>> isinstance(MiniMaxV2("http://h", "k"), WithTaskList)
        True
        >>> isinstance(SegmindV2("http://h", "k"), WithTaskList)
        False
    """

    list_page_size: int

    # Named apart from WithListing's list_request/parse_list (a cursor, not a page):
    # runtime_checkable protocols match by name alone.
    def task_list_request(self, page: int) -> HttpRequest: ...
    def parse_task_list(self, response: httpx.Response) -> list[Any]: ...


@dataclass(frozen=True)
class CancelAnswer:
    """What the provider answered to a cancel: did it take, and its own words.

    ``accepted`` False means the job goes on (and is billed): MiniMax v2 and fal refuse
    once a job runs. ``status`` is the job's status after the answer, where known.

    Example:
        >>> CancelAnswer(False, "the task is already running").accepted
        False
    """

    accepted: bool
    message: str
    status: Status | None = None


@runtime_checkable
class Cancellable(Protocol):
    """An adapter whose provider can cancel a job (MiniMax v2, fal, Replicate).

    The client sends :meth:`cancel_request` and hands the answer to :meth:`parse_cancel`;
    a refusal is an answer (``accepted=False``), not an exception.

    Example:
        >>> from hailuo_nb.providers import MiniMax
        >>> isinstance(MiniMax("http://h", "k"), Cancellable)
        False
    """

    def cancel_request(self, job_id: str) -> HttpRequest: ...
    def parse_cancel(self, job_id: str, response: httpx.Response) -> CancelAnswer: ...


@runtime_checkable
class TakesDeadline(Protocol):
    """An adapter whose provider ends a job itself once a deadline passes (Replicate's
    ``Cancel-After``): a client's ``timeout`` then also stops the bill.

    :meth:`with_deadline` returns the submit request carrying ``seconds`` (from creation).

    Example:
        >>> from hailuo_nb.providers import Fal, Replicate
        >>> isinstance(Replicate("http://h", "t"), TakesDeadline)
        True
        >>> isinstance(Fal("http://h", "k"), TakesDeadline)
        False
    """

    def with_deadline(self, wire: HttpRequest, seconds: float) -> HttpRequest: ...


@runtime_checkable
class UploadsEach(Protocol):
    """An adapter that uploads local media one file at a time (MiniMax's ``mm_file://``).

    :meth:`upload_each` names the fields whose local data goes by upload (the rest go
    inline), each with its request; :meth:`parse_upload_one` reads the name to send.

    Example:
        >>> from hailuo_nb.providers import MiniMaxV2, SegmindV2
        >>> isinstance(MiniMaxV2("http://h", "k"), UploadsEach)
        True
        >>> isinstance(SegmindV2("http://h", "k"), UploadsEach)
        False
    """

    def upload_each(self, request: Request) -> list[tuple[str, HttpRequest]]: ...
    def parse_upload_one(self, response: httpx.Response) -> str: ...


class KeyInHeader:
    """An adapter's root and its key in the ``Authorization`` header (``auth_scheme``
    then the key); the repr names the root only, never the key.

    Example:
        >>> class Host(KeyInHeader):
        ...     auth_scheme = "Key"
        >>> Host("http://h/", "secret"), Host("http://h", "k")._headers
        (Host(base_url='http://h'), {'Authorization': 'Key k'})
    """

    auth_scheme = "Bearer"

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"{self.auth_scheme} {api_key}"}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class NoUploads:
    """For protocols that take local images inline (data URLs): nothing to upload.

    Example:
        >>> NoUploads().upload_fields(None)  # type: ignore[arg-type]
        []
    """

    name = "provider"

    def upload_fields(self, request: Request) -> list[str]:
        """No image field ever needs an upload here.

        Example: see the class.
        """
        return []

    def upload_request(self, data_urls: list[str]) -> HttpRequest:
        """Never called (:meth:`upload_fields` is empty).

        Example: see the class.
        """
        raise NotImplementedError(f"{self.name} takes images inline; nothing is uploaded")

    def parse_upload(self, response: httpx.Response, count: int) -> list[str]:
        """Never called (:meth:`upload_fields` is empty).

        Example: see the class.
        """
        raise NotImplementedError(f"{self.name} takes images inline; nothing is uploaded")


def image_values(
    request: Request, image_urls: Mapping[str, str] | None
) -> tuple[str | None, str | None]:
    """The first and last frame as they are sent: an uploaded URL, the image's URL, or a
    data URL.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> image_values(build_request("minimax", "a fox", first_frame="https://x/a.png"), None)
        ('https://x/a.png', None)
    """
    out: list[str | None] = []
    for name in ("first_frame", "last_frame"):
        image = getattr(request, name)
        if image is None:
            out.append(None)
        elif image_urls and name in image_urls:
            out.append(image_urls[name])
        else:
            out.append(image.url if image.url is not None else image.data_url())
    return out[0], out[1]


def reference_values(
    request: Request,
    images: str = "reference_image_urls",
    videos: str = "reference_video_urls",
    audio: str = "reference_audio_urls",
) -> dict[str, list[str]]:
    """H3's references as flat fields (fal, Replicate, AI/ML): each a list of the media's
    URL or data URL, under the host's own field name; empty lists are left out.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> reference_values(build_request("aimlapi", "a fox", model="minimax/h3",
        ...                                reference_images=["https://x/a.png"]))
        {'reference_image_urls': ['https://x/a.png']}
    """
    lists = (
        (images, request.reference_images),
        (videos, request.reference_videos),
        (audio, request.reference_audio),
    )
    return {key: [i.url or i.data_url() for i in items] for key, items in lists if items}


def json_body(response: httpx.Response, provider: str) -> dict[str, Any]:
    """The answer's JSON object, or :class:`MalformedResponse`.

    Example:
        >>> json_body(httpx.Response(200, json={"a": 1}), "segmind")
        {'a': 1}
    """
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        raise MalformedResponse(
            f"unreadable answer: {_snippet(response)}",
            provider=provider,
            status_code=response.status_code,
        ) from None
    if not isinstance(body, dict):
        raise MalformedResponse(
            f"expected a JSON object, got {_snippet(response)}",
            provider=provider,
            status_code=response.status_code,
        )
    return body


def parse_retry_at(headers: httpx.Headers, now: float | None = None) -> float | None:
    """When a rate limit lifts (UNIX time), from ``x-rate-limit-reset-at-utc`` or Retry-After.

    Segmind sends an ISO 8601 instant and no Retry-After; others send Retry-After in
    seconds or as an HTTP date. Unreadable values count as unknown.

    Example:
        >>> parse_retry_at(httpx.Headers({"x-rate-limit-reset-at-utc": "1970-01-01T00:01:00Z"}))
        60.0
        >>> parse_retry_at(httpx.Headers({"retry-after": "3"}), now=100.0)
        103.0
        >>> parse_retry_at(httpx.Headers({"retry-after": "soon, maybe"})) is None
        True
    """
    now = time.time() if now is None else now
    reset = headers.get("x-rate-limit-reset-at-utc")
    if reset:
        value = reset.strip()
        try:
            return float(value)  # an epoch number, in case
        except ValueError:
            pass
        from datetime import datetime, timezone

        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.timestamp()
    after = headers.get("retry-after")
    if after:
        try:
            return now + max(0.0, float(after))
        except ValueError:
            try:
                date = email.utils.parsedate_to_datetime(after) if "," in after else None
            except (TypeError, ValueError, IndexError):
                date = None  # an unreadable date is an unknown reset time, not a crash
            if date is not None:
                return date.timestamp()
    return None


def error_for_status(
    response: httpx.Response,
    provider: str,
    message: str,
    *,
    credit_codes: tuple[int, ...],
    request_id: str | None = None,
    body: Any = None,
) -> ProviderError:
    """The error for a non-2xx answer: the one place HTTP codes become our error tree.

    Example:
        >>> r = httpx.Response(401, json={"error": "bad key"})
        >>> type(error_for_status(r, "segmind", "bad key", credit_codes=(402,))).__name__
        'AuthError'
    """
    code = response.status_code
    kw: dict[str, Any] = {
        "provider": provider,
        "status_code": code,
        "request_id": request_id,
        "body": body,
    }
    if code == 429:
        return RateLimited(message, retry_at=parse_retry_at(response.headers), **kw)
    if code == 401:
        return AuthError(message, **kw)
    if code in credit_codes:
        return InsufficientCredits(message, **kw)
    if code == 404:
        return NotFound(message, **kw)
    return ProviderError(message, **kw)


def _snippet(response: httpx.Response) -> str:
    # Gateways answer 502/504 with whole HTML pages: keep the message to one short line.
    text = response.text.strip().replace("\n", " ")
    return repr(text[:120] + ("…" if len(text) > 120 else ""))


def message_of(response: httpx.Response, body: dict[str, Any] | None, *keys: str) -> str:
    """The server's own words for an error, from the first of ``keys`` found.

    Example:
        >>> message_of(httpx.Response(500, text="<html>oops</html>"), None, "error")
        "HTTP 500 with a non-JSON body: '<html>oops</html>'"
    """
    if body:
        for key in keys:
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("name")
            if value:
                return str(value)
    return f"HTTP {response.status_code} with a non-JSON body: {_snippet(response)}"


def try_json(response: httpx.Response) -> dict[str, Any] | None:
    """The JSON object of an error answer, or None (gateway HTML, empty body).

    Example:
        >>> try_json(httpx.Response(502, text="<html>Bad gateway</html>")) is None
        True
    """
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def as_float(value: Any) -> float | None:
    """A number from a JSON value that may be a string; None when it is not one.

    Example:
        >>> as_float("0.35"), as_float(None), as_float("n/a")
        (0.35, None, None)
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
