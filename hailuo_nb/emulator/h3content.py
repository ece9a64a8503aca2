"""The rules of an H3 request (protocols-more.md §1.2, §1.8), provider-neutral.

``parse_generation`` reads a V2 create body into a ``Generation`` or raises ``Invalid``
with the detail of the 400; the AI/ML API builds the same ``content`` from its flat fields
and reuses ``parse_content``, ``check_modes`` and ``pick_ratio``. Media is checked only
when the emulator can see its bytes: data URIs, ``mm_file://`` uploads and its own
``/files/...`` URLs. A public URL elsewhere passes every media rule (and bills no input
seconds): the emulator has no network.

Example:
    >>> g = parse_generation(
    ...     {"model": "MiniMax-H3", "resolution": "768P", "duration": 5, "ratio": "16:9",
    ...      "content": [{"type": "text", "text": "a fox"}]},
    ...     lambda url, kind: None,
    ... )
    >>> g.mode, g.output_ratio
    ('t2va', '16:9')
    >>> parse_generation({"model": "MiniMax-H3", "content": []}, lambda url, kind: None)
    Traceback (most recent call last):
    ...
    hailuo_nb.emulator.h3content.Invalid: content must include a non-empty text item (prompt ...
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import h3
from .state import Job

Kind = Literal["image", "video", "audio"]
#: What a resolver makes of a URL: bytes it can see, one of our own outputs, or nothing.
Resolved = bytes | Job | None
Resolver = Callable[[str, Kind], Resolved]

MAX_TEXT = 7000
MAX_BODY = 64 * 1024 * 1024
LIMIT_BYTES: dict[Kind, int] = {"image": 30 << 20, "video": 50 << 20, "audio": 15 << 20}
KEYFRAMES = ("first_frame", "last_frame")
REFERENCES = ("reference_image", "reference_video", "reference_audio")
EXPANSION_MODES = ("disabled", "balanced", "quality")

_TYPES: dict[str, Kind] = {"image_url": "image", "video_url": "video", "audio_url": "audio"}
_ROLES: dict[Kind, tuple[str, ...]] = {
    "image": ("first_frame", "last_frame", "reference_image"),
    "video": ("reference_video",),
    "audio": ("reference_audio",),
}
_DATA_TYPES: dict[Kind, tuple[str, ...]] = {
    "image": ("jpeg", "jpg", "png", "webp", "heic", "heif"),
    "video": ("mp4",),
    "audio": ("wav", "x-wav", "wave", "mp3", "mpeg"),
}
#: Clip lengths are read from containers, which round and pad: allow this much.
_SLACK_S = 0.1


class Invalid(ValueError):
    """A request breaks a rule; the message is the detail of MiniMax's 2013 error."""


@dataclass
class Media:
    """One image, video or audio item of ``content``, with what could be learnt of it."""

    kind: Kind
    role: str
    url: str
    data: bytes | None = None
    job: Job | None = None
    width: int = 0
    height: int = 0
    seconds: float | None = None
    fps: float = 0.0
    frames: int = 0
    has_audio: bool = False


@dataclass
class Generation:
    """A checked create request. ``ratio`` is as asked; ``output_ratio`` is what is made."""

    model: str
    prompt: str
    duration: int
    resolution: str
    ratio: str
    output_ratio: str
    mode: str
    media: list[Media] = field(default_factory=list)

    def count(self, role: str) -> int:
        """How many items have ``role``."""
        return sum(1 for m in self.media if m.role == role)

    def seconds(self, role: str) -> float:
        """Total known length of the items with ``role``."""
        return sum(m.seconds or 0.0 for m in self.media if m.role == role)


def a_or_an(kind: str) -> str:
    """``an image``, ``a video``, ``audio``: for messages."""
    return {"image": "an image", "video": "a video"}.get(kind, kind)


# -- single items ----------------------------------------------------------------------


def decode_data_uri(url: str, kind: Kind, where: str) -> bytes:
    """The bytes of ``data:<kind>/<fmt>;base64,...``; the format must be lower case."""
    header, sep, payload = url.partition(",")
    if not sep or not header.endswith(";base64"):
        raise Invalid(f"{where}: a data URI must look like data:{kind}/<format>;base64,...")
    mime = header[5:-7]
    major, _, fmt = mime.partition("/")
    if mime != mime.lower():
        raise Invalid(f"{where}: the media type of a data URI must be lower case, got {mime!r}")
    if major != kind or fmt not in _DATA_TYPES[kind]:
        wanted = ", ".join(f"{kind}/{f}" for f in _DATA_TYPES[kind])
        raise Invalid(f"{where}: data URI type {mime!r} is not one of {wanted}")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(f"{where}: the data URI is not valid base64") from None


def load(url: str, kind: Kind, resolver: Resolver, where: str) -> Resolved:
    """Bytes, an output or nothing for a URL of one of the three allowed forms."""
    if url.startswith("data:"):
        return decode_data_uri(url, kind, where)
    if url.startswith(("http://", "https://", "mm_file://")):
        return resolver(url, kind)
    raise Invalid(f"{where}: url must be a public URL, mm_file://<file_id> or a data URI")


def inspect(media: Media, where: str) -> None:
    """Fill in ``media``'s size and length and apply the per-file rules (§1.2)."""
    if media.job is not None:
        _from_job(media, where)
    elif media.data is not None:
        check_bytes(media, media.data, where)


def _from_job(media: Media, where: str) -> None:
    """One of our own outputs: a video whose facts the job knows (preview or not)."""
    job = media.job
    assert job is not None
    if media.kind != "video":
        raise Invalid(f"{where}: {media.url} is a video, not {a_or_an(media.kind)}")
    frames = int(job.extra.get("frames", job.seconds * h3.FPS))
    media.width, media.height, media.frames, media.fps = job.width, job.height, frames, 24.0
    media.seconds, media.has_audio = frames / h3.FPS, bool(job.extra.get("h3"))
    _check_length(media, where)


def check_bytes(media: Media, data: bytes, where: str) -> None:
    """The format, size and length rules for a file of ``media.kind``."""
    from .media import av_info, image_info  # heavy (PyAV): imported on first use

    limit = LIMIT_BYTES[media.kind]
    if len(data) > limit:
        raise Invalid(f"{where}: {media.kind} files must be at most {limit >> 20} MB")
    if media.kind == "image":
        img = image_info(data)
        if img is None:
            raise Invalid(f"{where}: the image cannot be decoded")
        if img.format not in ("JPEG", "PNG", "WEBP", "HEIF"):
            raise Invalid(f"{where}: image format {img.format} is not JPG, PNG, WEBP, HEIC or HEIF")
        media.width, media.height = img.width, img.height
        if img.width and not (256 <= img.width <= 5760 and 256 <= img.height <= 5760):
            raise Invalid(
                f"{where}: each side of an image must be 256-5760 px, got {img.width}x{img.height}"
            )
        if img.width and not 0.4 <= img.width / img.height <= 2.5:
            raise Invalid(f"{where}: image width/height must be between 0.4 and 2.5")
        return
    info = av_info(data)
    if media.kind == "video":
        if info is None or info.video_codec is None:
            raise Invalid(f"{where}: the video cannot be decoded")
        if not info.container.startswith("mov,mp4"):
            raise Invalid(f"{where}: videos must be MP4 or MOV")
        if info.video_codec not in ("h264", "hevc"):
            raise Invalid(f"{where}: video codec {info.video_codec} is not H.264 or H.265")
        if info.audio_codec is not None and info.audio_codec not in ("aac", "mp3", "mp3float"):
            raise Invalid(f"{where}: audio codec {info.audio_codec} is not AAC or MP3")
        media.width, media.height, media.fps, media.frames = (
            info.width,
            info.height,
            info.fps,
            info.frames,
        )
        media.has_audio = info.audio_codec is not None
        if not 23.976 - 0.01 <= info.fps <= 60 + 0.01:
            raise Invalid(f"{where}: video frame rate must be 23.976-60 fps, got {info.fps:g}")
    else:
        if info is None or info.audio_codec is None or info.video_codec is not None:
            raise Invalid(f"{where}: the audio cannot be decoded")
        if info.container not in ("wav", "mp3"):
            raise Invalid(f"{where}: audio must be WAV or MP3")
    media.seconds = info.seconds
    _check_length(media, where)


def _check_length(media: Media, where: str) -> None:
    if media.role == "base_video" or media.seconds is None:
        return  # a regeneration base has its own rules (check_base)
    if not 2 - _SLACK_S <= media.seconds <= 15 + _SLACK_S:
        raise Invalid(f"{where}: each {media.kind} must be 2-15 s long, got {media.seconds:.2f} s")


# -- the content array -----------------------------------------------------------------


def parse_content(
    content: Any,
    resolver: Resolver,
    *,
    base_video: bool = False,
    labels: list[str] | None = None,
) -> tuple[str, list[Media]]:
    """The one prompt and the media items of ``content``, each checked on its own.

    ``labels`` names the items in messages (AI/ML's field names) instead of ``content[i]``.
    """
    if content is None:
        raise Invalid("content is required")
    if not isinstance(content, list):
        raise Invalid("content must be an array of items")
    texts: list[str] = []
    media: list[Media] = []
    for i, item in enumerate(content):
        where = labels[i] if labels else f"content[{i}]"
        if not isinstance(item, dict):
            raise Invalid(f"{where} must be an object")
        kind_name = item.get("type")
        if kind_name == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise Invalid(f"{where}.text must be a string")
            texts.append(text)
            continue
        if kind_name not in _TYPES:
            raise Invalid(f"{where}.type must be one of text, image_url, video_url, audio_url")
        kind = _TYPES[kind_name]
        inner = item.get(kind_name)
        url = inner.get("url") if isinstance(inner, dict) else None
        if not isinstance(url, str) or not url:
            raise Invalid(f"{where}.{kind_name}.url is required")
        role = item.get("role")
        if role is None and kind == "image":
            role = "first_frame"  # "a single image with no role = first_frame"
        allowed = _ROLES[kind] + (("base_video",) if base_video and kind == "video" else ())
        if role is None:
            raise Invalid(f"{where}.role is required for {kind_name} (one of {', '.join(allowed)})")
        if role not in allowed:
            raise Invalid(
                f"{where}.role {role!r} is not valid for {kind_name}; one of {', '.join(allowed)}"
            )
        item_media = Media(kind=kind, role=str(role), url=url)
        found = load(url, kind, resolver, where)
        if isinstance(found, Job):
            item_media.job = found
        else:
            item_media.data = found
        inspect(item_media, where)
        media.append(item_media)
    if not any(t.strip() for t in texts):
        raise Invalid("content must include a non-empty text item (prompt is required)")
    if len(texts) > 1:
        raise Invalid("content must include exactly one text item")
    if len(texts[0]) > MAX_TEXT:
        raise Invalid(f"text must be at most {MAX_TEXT} characters, got {len(texts[0])}")
    return texts[0], media


def check_modes(media: list[Media]) -> str:
    """Which mode the media makes (t2va, i2va, r2va), after the count and mix rules."""

    def count(role: str) -> int:
        return sum(1 for m in media if m.role == role)

    for role in KEYFRAMES:
        if count(role) > 1:
            raise Invalid(f"at most one {role} image is allowed")
    keyframes = count("first_frame") + count("last_frame")
    references = sum(count(r) for r in REFERENCES)
    if keyframes and references:
        raise Invalid(
            "first_frame/last_frame cannot be combined with reference_image, "
            "reference_video or reference_audio"
        )
    for role, most in (("reference_image", 9), ("reference_video", 3), ("reference_audio", 3)):
        if count(role) > most:
            raise Invalid(f"at most {most} {role} items are allowed, got {count(role)}")
    if references > 12:
        raise Invalid(f"at most 12 reference files are allowed in total, got {references}")
    if count("reference_audio") and not (count("reference_image") or count("reference_video")):
        raise Invalid(
            "reference_audio cannot be the only reference: add a reference_image or reference_video"
        )
    for role in ("reference_video", "reference_audio"):
        total = sum(m.seconds or 0.0 for m in media if m.role == role)
        if total > 15 + _SLACK_S:
            raise Invalid(f"{role} items must total at most 15 s, got {total:.2f} s")
    if keyframes:
        return "i2va"
    return "r2va" if references else "t2va"


def pick_ratio(mode: str, ratio: str | None, media: list[Media], *, t2va_default: str = "") -> str:
    """The ratio actually made: t2va as asked (never adaptive, unless ``t2va_default``
    stands in); i2va the frame image's (other values ignored); r2va as asked or the first
    visible reference image's or video's. 16:9 when nothing can be seen."""
    if mode == "t2va":
        if ratio in (None, "adaptive"):
            if t2va_default:
                return t2va_default
            raise Invalid("ratio is required for text-only generation and must not be adaptive")
        assert ratio is not None
        return ratio
    if mode == "r2va" and ratio not in (None, "adaptive"):
        assert ratio is not None
        return ratio
    order = KEYFRAMES if mode == "i2va" else ("reference_image", "reference_video")
    for role in order:
        for m in media:
            if m.role == role and m.width and m.height:
                return h3.nearest_ratio(m.width, m.height)
    return "16:9"


# -- whole requests --------------------------------------------------------------------


def parse_generation(
    body: dict[str, Any], resolver: Resolver, *, context_ir: bool = False
) -> Generation:
    """A V2 create (or, with ``context_ir``, a Context-IR) body, checked (§1.2)."""
    model = body.get("model")
    models = ("MiniMax-H3",) if context_ir else h3.MODELS
    if model not in models:
        raise Invalid(f"model must be one of {', '.join(models)}, got {_short(model)}")
    assert isinstance(model, str)
    prompt, media = parse_content(body.get("content"), resolver)
    resolution = body.get("resolution")
    if context_ir:
        resolution = "768P"  # no video is made; the field is not part of the request
    elif resolution is None and model == "MiniMax-H3-Max":
        resolution = "768P"  # "described as default 768P"
    if resolution is None:
        raise Invalid("resolution is required")
    if resolution not in h3.RESOLUTIONS[model]:
        raise Invalid(
            f"resolution must be one of {', '.join(h3.RESOLUTIONS[model])} for "
            f"{model}, got {_short(resolution)}"
        )
    duration = body.get("duration")
    if duration is None:
        raise Invalid("duration is required")
    span = h3.DURATIONS[model]
    if isinstance(duration, bool) or not isinstance(duration, int) or duration not in span:
        raise Invalid(
            f"duration must be an integer from {span[0]} to {span[-1]} for {model}, "
            f"got {_short(duration)}"
        )
    ratio = body.get("ratio")
    if ratio is not None and ratio not in h3.RATIOS:
        raise Invalid(f"ratio must be one of {', '.join(h3.RATIOS)}, got {_short(ratio)}")
    check_extra(body.get("extra"), model)
    check_common(body)
    mode = check_modes(media)
    output_ratio = pick_ratio(mode, ratio, media)
    return Generation(
        model=model,
        prompt=prompt,
        duration=duration,
        resolution=str(resolution),
        ratio=str(ratio or "adaptive"),
        output_ratio=output_ratio,
        mode=mode,
        media=media,
    )


def check_extra(extra: Any, model: str) -> None:
    """``extra`` is H3-Max's ``{"prompt_expansion_mode": ...}`` and nothing else."""
    if extra is None or extra == {}:
        return
    if not isinstance(extra, dict):
        raise Invalid("extra must be an object")
    if model != "MiniMax-H3-Max":
        raise Invalid(f"extra is only supported by MiniMax-H3-Max, not {model}")
    unknown = sorted(set(extra) - {"prompt_expansion_mode"})
    if unknown:
        raise Invalid(f"extra does not allow {', '.join(unknown)}")
    mode = extra.get("prompt_expansion_mode")
    if mode not in EXPANSION_MODES:
        raise Invalid(
            f"extra.prompt_expansion_mode must be one of {', '.join(EXPANSION_MODES)},"
            f" got {_short(mode)}"
        )


def check_common(body: dict[str, Any]) -> None:
    """``callback_url`` and ``aigc_watermark``, accepted on every V2 request."""
    callback = body.get("callback_url")
    if callback is not None and (
        not isinstance(callback, str) or not callback.startswith(("http://", "https://"))
    ):
        raise Invalid("callback_url must be an http(s) URL")
    watermark = body.get("aigc_watermark")
    if watermark is not None and not isinstance(watermark, bool):
        raise Invalid("aigc_watermark must be a boolean")


def _short(value: Any) -> str:
    """A value as shown in a message, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
