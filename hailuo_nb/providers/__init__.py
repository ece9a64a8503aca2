"""One adapter per provider protocol: build requests, parse answers; no I/O.

Example:
    >>> make_adapter("segmind", "https://api.segmind.com", "SG_x")
    SegmindV2(base_url='https://api.segmind.com')
    >>> make_adapter("segmind", "https://api.segmind.com", "SG_x", segmind_api="v1")
    SegmindV1(base_url='https://api.segmind.com')
"""

from __future__ import annotations

from .aimlapi import AimlApi
from .base import Adapter, HttpRequest, MalformedResponse, Submitted, Update, parse_retry_at
from .minimax import MiniMax
from .segmind import SegmindV1, SegmindV2

__all__ = [
    "Adapter",
    "AimlApi",
    "HttpRequest",
    "MalformedResponse",
    "MiniMax",
    "SegmindV1",
    "SegmindV2",
    "Submitted",
    "Update",
    "make_adapter",
    "parse_retry_at",
]


def make_adapter(provider: str, base_url: str, api_key: str, *, segmind_api: str = "v2") -> Adapter:
    """The adapter for ``provider`` (``emulator`` speaks Segmind's protocol).

    Example:
        >>> make_adapter("aimlapi", "http://h", "k").name
        'aimlapi'
    """
    if provider in ("segmind", "emulator"):
        return SegmindV1(base_url, api_key) if segmind_api == "v1" else SegmindV2(base_url, api_key)
    if provider == "aimlapi":
        return AimlApi(base_url, api_key)
    if provider == "minimax":
        return MiniMax(base_url, api_key)
    raise ValueError(f"unknown provider {provider!r}")
