"""AI/ML API's ``minimax/h3`` (protocols-more.md §2.1): flat fields on the AI/ML protocol.

Same path, auth, errors and poll as the Hailuo models (``aimlapi.py`` hands requests for
this model to ``submitter``). What differs: ``prompt`` up to 7000 characters;
``image_url``/``last_image_url`` (URL or base64), ``reference_image_urls`` (≤ 9),
``video_urls``/``audio_urls`` (≤ 3 each; audio needs an image or video reference);
``duration`` 4-15, default 6; ``resolution`` only ``2K``; ``ratio`` default ``adaptive``,
which a text-only request turns into 16:9 instead of refusing; a UUID ``id`` (no
``generation_id``); ``meta.usage`` has ``usd_spent`` beside ``credits_used``. Underneath,
the H3 rules of ``h3content`` apply as they do upstream.

Example:
    >>> MODELS
    ('minimax/h3',)
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import h3
from .h3content import (
    MAX_TEXT,
    Invalid,
    Kind,
    Resolved,
    check_modes,
    parse_content,
    pick_ratio,
)
from .h3jobs import Output, launch, summary
from .h3render import for_renderer
from .jobs import INPUT_BLOCKED, blocked
from .render import Renderer
from .state import State
from .uploads import own_file
from .web import Call, Dialect, json_response

MODELS = ("minimax/h3",)
#: AI/ML bills in credits: 2,000,000 credits = 1 USD (protocols.md).
CREDITS_PER_USD = 2_000_000
_LISTS: tuple[tuple[str, Kind, int], ...] = (
    ("reference_image_urls", "image", 9),
    ("video_urls", "video", 3),
    ("audio_urls", "audio", 3),
)
_ROLE = {"image": "reference_image", "video": "reference_video", "audio": "reference_audio"}

Submit = Callable[[Request, Call, dict[str, Any]], Awaitable[Response]]


def to_content(body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The MiniMax ``content`` array (and each item's field name) for AI/ML's flat fields."""
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise Invalid("prompt is required")
    if len(prompt) > MAX_TEXT:
        raise Invalid(f"prompt must be at most {MAX_TEXT} characters, got {len(prompt)}")
    content: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    labels = ["prompt"]

    def add(kind: Kind, url: Any, role: str, label: str) -> None:
        if not isinstance(url, str) or not url:
            raise Invalid(f"{label} must be a URL string")
        if kind == "image" and "://" not in url and not url.startswith("data:"):
            url = f"data:image/png;base64,{url}"  # "uri or base64": raw base64 is an image
        name = f"{kind}_url"
        content.append({"type": name, name: {"url": url}, "role": role})
        labels.append(label)

    for field, role in (("image_url", "first_frame"), ("last_image_url", "last_frame")):
        if body.get(field) is not None:
            add("image", body[field], role, field)
    for field, kind, most in _LISTS:
        urls = body.get(field)
        if urls is None:
            continue
        if not isinstance(urls, list):
            raise Invalid(f"{field} must be an array of URLs")
        if len(urls) > most:
            raise Invalid(f"{field} must have at most {most} items, got {len(urls)}")
        for i, url in enumerate(urls):
            add(kind, url, _ROLE[kind], f"{field}[{i}]")
    return content, labels


def _resolver(state: State) -> Callable[[str, Kind], Resolved]:
    def resolve(url: str, kind: Kind) -> Resolved:
        if url.startswith("mm_file://"):
            raise Invalid("mm_file:// is MiniMax's own reference: give a URL or base64 data")
        return own_file(state, url)

    return resolve


def _duration(value: Any) -> int:
    if value is None:
        return 6
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # as for the Hailuo models on AI/ML
    if isinstance(value, bool) or not isinstance(value, int) or not 4 <= value <= 15:
        raise Invalid(f"duration must be an integer from 4 to 15, got {value!r}"[:90])
    return value


def submitter(state: State, renderer: Renderer, dialect: Dialect) -> Submit:
    """The handler ``aimlapi.py`` calls for a ``minimax/h3`` body."""
    h3r = for_renderer(renderer)

    async def submit(request: Request, call: Call, body: dict[str, Any]) -> Response:
        try:
            content, labels = to_content(body)
            duration = _duration(body.get("duration"))
            # null is the default, as an SDK filling every field sends it.
            resolution = body.get("resolution") or "2K"
            if resolution != "2K":
                raise Invalid(f"resolution must be one of ['2K'], got {resolution!r}"[:90])
            ratio = body.get("ratio") or "adaptive"
            if ratio not in h3.RATIOS:
                raise Invalid(f"ratio must be one of {', '.join(h3.RATIOS)}, got {ratio!r}"[:120])
            prompt, media = parse_content(content, _resolver(state), labels=labels)
            mode = check_modes(media)
            output_ratio = pick_ratio(mode, ratio, media, t2va_default="16:9")
        except Invalid as exc:
            return dialect.error(request, 400, str(exc))
        images = sum(1 for m in media if m.kind == "image")
        video_s = math.ceil(round(sum(m.seconds or 0.0 for m in media if m.kind == "video"), 2))
        price = h3.generation_price("MiniMax-H3", "2K", duration, images, video_s)
        if not state.can_afford(call.key, price):
            return dialect.error(request, 403, "Insufficient credits to perform this request")
        is_blocked = blocked(prompt, state.config.block_marker)
        width, height = h3.frame_size("2K", output_ratio)
        job = launch(
            state,
            h3r,
            job_id=str(uuid.uuid4()),
            provider="aimlapi",
            model=MODELS[0],
            key=call.key,
            params=summary(body),
            duration=duration,
            price=price,
            typical_s=h3.typical_seconds("2K", duration),
            prompt=prompt,
            output=Output(width, height, h3.frame_count("2K", duration)),
            first_frame=next((m.data for m in media if m.role == "first_frame"), None),
            last_frame=next((m.data for m in media if m.role == "last_frame"), None),
            extra={"ratio": output_ratio},
            fail_reason=INPUT_BLOCKED if is_blocked else None,
            fail_code=1026 if is_blocked else None,
        )
        job.extra["meta"] = {
            "usage": {"credits_used": round(price * CREDITS_PER_USD), "usd_spent": price}
        }
        return json_response(
            {
                "id": job.id,
                "status": "queued",
                "video": None,
                "error": None,
                "meta": job.extra["meta"],
                "model": job.model,
            }
        )

    return submit
