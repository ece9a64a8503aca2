"""One adapter per provider protocol: build requests and bodies, parse answers; no I/O.

An adapter owns its provider's wire format: the JSON body (:meth:`Adapter.payload`),
which images must be uploaded first and how, and whether the submit answer is the video
itself (``synchronous``, Segmind v1). Nothing above this package branches on a
provider's name.

Example:
    >>> make_adapter("segmind", "https://api.segmind.com", "SG_x")
    SegmindV2(base_url='https://api.segmind.com')
    >>> make_adapter("segmind", "https://api.segmind.com", "SG_x", segmind_api="v1")
    SegmindV1(base_url='https://api.segmind.com')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..hosts import host
from ..params import Request
from .aimlapi import AimlApi
from .base import (
    Adapter,
    CancelAnswer,
    Cancellable,
    HttpRequest,
    MalformedResponse,
    Submitted,
    Synchronous,
    TakesDeadline,
    Update,
    UploadsEach,
    WithHistory,
    WithListing,
    WithTaskList,
    parse_retry_at,
)
from .fal import Fal
from .minimax import MiniMax
from .minimax_v2 import MiniMaxV2
from .replicate import Replicate
from .segmind import SegmindV1, SegmindV2

__all__ = [
    "Adapter",
    "AimlApi",
    "CancelAnswer",
    "Cancellable",
    "Fal",
    "HttpRequest",
    "MalformedResponse",
    "MiniMax",
    "MiniMaxV2",
    "Replicate",
    "SegmindV1",
    "SegmindV2",
    "Submitted",
    "Synchronous",
    "TakesDeadline",
    "Update",
    "UploadsEach",
    "WithHistory",
    "WithListing",
    "WithTaskList",
    "make_adapter",
    "needs_upload",
    "parse_retry_at",
    "wire_payload",
]


def make_adapter(
    provider: str,
    base_url: str,
    api_key: str,
    *,
    segmind_api: str = "v2",
    upload_url: str | None = None,
    history_url: str | None = None,
    protocol: str | None = None,
) -> Adapter:
    """The adapter for ``provider``, by the protocol it speaks (the emulator: Segmind's).

    ``protocol`` is a model's own (``ModelSpec.protocol``: MiniMax's H3 speaks V2), asked
    at the root the host serves it under.

    Example:
        >>> make_adapter("aimlapi", "http://h", "k").name
        'aimlapi'
        >>> make_adapter("emulator", "http://e/segmind", "k", protocol="minimax_v2")
        MiniMaxV2(base_url='http://e/minimax')
    """
    where = host(provider)
    protocol = protocol or where.protocol
    if protocol == "minimax_v2":
        return MiniMaxV2(where.url_for(protocol, base_url), api_key)
    if protocol == "segmind":
        kind = SegmindV1 if segmind_api == "v1" else SegmindV2
        return kind(base_url, api_key, upload_url=upload_url, history_url=history_url)
    if protocol == "aimlapi":
        return AimlApi(base_url, api_key)
    if protocol == "fal":
        return Fal(base_url, api_key)
    if protocol == "replicate":
        return Replicate(base_url, api_key)
    return MiniMax(base_url, api_key)


def wire_payload(request: Request, image_urls: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The provider's JSON body for ``request`` (its adapter's :meth:`~Adapter.payload`).

    ``image_urls`` (``{"first_frame": url, ...}``) replaces an image's value, e.g. with
    the URL Segmind's upload-asset returned; otherwise an image is sent as its URL or as a
    data URL.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> wire_payload(build_request("emulator", "a fox"))["resolution"]
        '768p'
    """
    return _offline(request).payload(request, image_urls)


def needs_upload(request: Request) -> list[str]:
    """The image fields holding local data that must be uploaded to become a URL first.

    Segmind's parameters are URIs, so local images go through its upload-asset; the AI/ML
    API and MiniMax take data URLs directly.

    Example:
        >>> from PIL import Image
        >>> from hailuo_nb.params import build_request
        >>> frame = Image.new("RGB", (640, 360))
        >>> needs_upload(build_request("segmind", "a fox", first_frame=frame))
        ['first_frame']
        >>> needs_upload(build_request("minimax", "a fox", first_frame=frame))
        []
    """
    return _offline(request).upload_fields(request)


def _offline(request: Request) -> Adapter:
    # Bodies and upload fields depend on the protocol only: no server, no key needed.
    return make_adapter(
        request.provider, "http://adapter.invalid", "", protocol=request.model.protocol
    )
