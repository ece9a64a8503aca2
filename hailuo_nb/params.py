"""One parameter vocabulary for every provider: validated up front, mapped per provider.

:func:`build_request` checks everything before any request is sent and raises one
:class:`~hailuo_nb.errors.ValidationError` whose single line names the field and what is
allowed. Each provider's adapter (:mod:`hailuo_nb.providers`) then spells the request the
way its provider wants it (``768p`` or ``768P``, ``first_frame_image`` or ``image_url``).

Example:
    >>> req = build_request("aimlapi", "a red fox", duration="10", resolution="768P")
    >>> req.duration, req.resolution
    (10, '768p')
    >>> build_request("minimax", "a red fox", duration=10, resolution="1080p")
    Traceback (most recent call last):
    ...
    hailuo_nb.errors.ValidationError: resolution: 1080p allows only 6 s on hailuo-2.3 \
(minimax); choose 768p for 10 s
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .catalog import (
    PROVIDERS,
    ModelSpec,
    estimate_cost,
    get_model,
    models,
    regeneration_cost,
)
from .errors import ValidationError
from .h3params import check_h3, check_references_allowed
from .hosts import host
from .images import ImageInput, load_image
from .media import MediaInput
from .models import Cost

__all__ = [
    "MAX_PROMPT_CHARS",
    "VOCABULARY",
    "Request",
    "build_request",
    "normalize_resolution",
]

VOCABULARY = (
    "prompt",
    "model",
    "duration",
    "resolution",
    "first_frame",
    "last_frame",
    "prompt_optimizer",
    "go_fast",
    "mode",
    "fast_pretreatment",
    "ratio",
    "reference_images",
    "reference_videos",
    "reference_audio",
    "prompt_expansion_mode",
    "regenerate_from",
    "extra",
)
"""Every parameter name the kit understands, the same for all providers.

Example:
    >>> VOCABULARY[:4]
    ('prompt', 'model', 'duration', 'resolution')
"""

MAX_PROMPT_CHARS = 2000
"""The longest prompt accepted (the AI/ML API documents 2000 characters; MiniMax too).
H3 models take 7000 (``ModelSpec.max_prompt``).

Example:
    >>> MAX_PROMPT_CHARS
    2000
"""

_DURATION = re.compile(r"^\s*(\d+)\s*(?:s|sec|secs|seconds?)?\s*$", re.IGNORECASE)
_RESOLUTION = re.compile(r"^\s*(\d+)\s*p?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Request:
    """A validated request in our vocabulary, defaults filled in.

    Options the model does not take are ``None``; ``prompt_optimizer`` is always set
    (every model has it, default on).

    Example:
        >>> req = build_request("segmind", "a fox", model="hailuo-02-fast",
        ...                     first_frame="https://example.com/fox.jpg")
        >>> req.duration, req.resolution, req.go_fast, req.mode
        (6, None, False, None)
    """

    provider: str
    model: ModelSpec
    prompt: str
    duration: int | None
    resolution: str | None
    first_frame: ImageInput | None
    last_frame: ImageInput | None
    prompt_optimizer: bool
    go_fast: bool | None
    mode: str | None
    fast_pretreatment: bool | None
    # H3 only (h3params): None / empty on the Hailuo models.
    ratio: str | None = None
    reference_images: tuple[ImageInput, ...] = ()
    reference_videos: tuple[MediaInput, ...] = ()
    reference_audio: tuple[MediaInput, ...] = ()
    prompt_expansion_mode: str | None = None
    # The id of a finished 768P H3 job this request makes again at 2K (regeneration).
    regenerate_from: str | None = None
    # A model the catalog does not know (raw:<id>): the body's fields beside the prompt,
    # sent as given.
    extra: dict[str, Any] | None = None

    def raw_body(self) -> dict[str, Any]:
        """The body of a ``raw:`` model's request: the prompt, then ``extra`` as given.

        Example:
            >>> build_request("segmind", "a fox", model="raw:new-model",
            ...               extra={"duration": 8}).raw_body()
            {'prompt': 'a fox', 'duration': 8}
        """
        return {"prompt": self.prompt, **(self.extra or {})}

    def public_params(self) -> dict[str, Any]:
        """Our vocabulary with images as their short ``ref``; what a ``Job`` records.

        Unset values are left out, so the record shows only what applies to the model.

        Example:
            >>> build_request("emulator", "a fox").public_params()
            {'prompt': 'a fox', 'model': 'hailuo-2.3', 'duration': 6, 'resolution': '768p', \
'prompt_optimizer': True}
        """
        values: dict[str, Any] = {
            "prompt": self.prompt,
            "model": self.model.name,
            "duration": self.duration,
            "resolution": self.resolution,
            "first_frame": self.first_frame.ref if self.first_frame else None,
            "last_frame": self.last_frame.ref if self.last_frame else None,
            # H3 has no such switch: never shown as if it were sent.
            "prompt_optimizer": (
                self.prompt_optimizer if "prompt_optimizer" in self.model.options else None
            ),
            "go_fast": self.go_fast,
            "mode": self.mode,
            "fast_pretreatment": self.fast_pretreatment,
            "ratio": self.ratio,
            "reference_images": [i.ref for i in self.reference_images] or None,
            "reference_videos": [v.ref for v in self.reference_videos] or None,
            "reference_audio": [a.ref for a in self.reference_audio] or None,
            "prompt_expansion_mode": self.prompt_expansion_mode,
            "regenerate_from": self.regenerate_from,
            "extra": self.extra,
        }
        return {k: v for k, v in values.items() if v is not None}

    def estimate(self) -> Cost:
        """The catalog's estimated price of this request.

        Example:
            >>> str(build_request("segmind", "a fox", duration=10).estimate())
            '~$0.70 (estimate)'
        """
        if self.regenerate_from is not None:
            return regeneration_cost(self.duration)
        frames = sum(1 for f in (self.first_frame, self.last_frame) if f is not None)
        return estimate_cost(
            self.model,
            self.duration,
            self.resolution,
            images=frames + len(self.reference_images),
            reference_seconds=sum(v.seconds or 0.0 for v in self.reference_videos),
        )


def normalize_resolution(value: str | int) -> str:
    """Our spelling of a resolution: ``"768P"``, ``"768p"``, ``"768"`` or 768 → ``"768p"``.

    Anything else comes back lower-cased and stripped (and is then refused by the model's
    allowed values).

    Example:
        >>> normalize_resolution("1080P"), normalize_resolution(" 768 "), normalize_resolution(512)
        ('1080p', '768p', '512p')
    """
    text = str(value)
    match = _RESOLUTION.match(text)
    return f"{int(match.group(1))}p" if match else text.strip().lower()


def build_request(
    provider: str,
    prompt: str,
    *,
    model: str | None = None,
    duration: int | str | None = None,
    resolution: str | None = None,
    first_frame: Any = None,
    last_frame: Any = None,
    prompt_optimizer: bool | None = None,
    go_fast: bool | None = None,
    mode: str | None = None,
    fast_pretreatment: bool | None = None,
    ratio: str | None = None,
    reference_images: Any = None,
    reference_videos: Any = None,
    reference_audio: Any = None,
    prompt_expansion_mode: str | None = None,
    regenerate_from: str | None = None,
    extra: Any = None,
) -> Request:
    """Validate one request for ``provider`` and fill in the model's defaults.

    Raises a single ``ValidationError`` naming the field and what is allowed. Accepts
    ``6`` or ``"6"``, ``"768p"`` or ``"768P"``; local images are loaded and checked.

    Example:
        >>> build_request("segmind", "a fox", go_fast=True)
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: go_fast: not an option of hailuo-2.3 (segmind); \
its options are: prompt_optimizer
        >>> build_request("segmind", "a fox", model="hailuo-2.3-fast")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: first_frame: hailuo-2.3-fast on segmind needs a \
first frame image (image-to-video only)
    """
    if provider not in PROVIDERS:
        raise ValidationError(
            "provider", f"unknown provider {provider!r}; choose one of: {', '.join(PROVIDERS)}"
        )
    _check_prompt(prompt)
    spec = get_model(provider, model)
    if len(prompt) > spec.max_prompt:
        raise ValidationError(
            "prompt",
            f"is {len(prompt)} characters; the limit is {spec.max_prompt} on {spec.label}",
        )
    h3_given = {
        "ratio": ratio,
        "reference_images": reference_images,
        "reference_videos": reference_videos,
        "reference_audio": reference_audio,
        "prompt_expansion_mode": prompt_expansion_mode,
    }
    check_references_allowed(spec, h3_given)
    raw = _raw_extra(spec, extra)
    optimizer = _flag("prompt_optimizer", prompt_optimizer, spec)
    fast = _flag("go_fast", go_fast, spec)
    pretreat = _flag("fast_pretreatment", fast_pretreatment, spec)
    chosen_mode = _mode(mode, spec)
    seconds = _duration(duration, spec)
    res = _resolution(resolution, spec)

    first = None if first_frame is None else load_image(first_frame, field="first_frame")
    last = None if last_frame is None else load_image(last_frame, field="last_frame")
    for name, image in (("first_frame", first), ("last_frame", last)):
        _check_format(provider, name, image)
    if last is not None and not spec.last_frame:
        with_last = [m.name for m in models(provider) if m.last_frame]
        raise ValidationError(
            "last_frame",
            f"{spec.label} takes no last frame; models with one: {', '.join(with_last)}",
        )

    if res is None and spec.resolutions:
        # Default resolution, unless it cannot go with the duration asked for (Segmind's
        # hailuo-2.3-fast defaults to 1080p, which allows only 6 s): then the first one
        # that can. An explicit resolution is never swapped; it is refused below.
        candidates = [r for r in spec.resolutions if r != spec.default_resolution]
        frames = {"has_first_frame": first is not None, "has_last_frame": last is not None}
        res = next(
            (
                r
                for r in [spec.default_resolution, *candidates]
                if r and spec.combination_issue(seconds, r, **frames) is None
            ),
            spec.default_resolution,
        )
    issue = spec.combination_issue(seconds, res, first is not None, has_last_frame=last is not None)
    if issue is not None:
        raise ValidationError(*issue)
    h3 = None
    if spec.family == "h3":
        keyframes = [f for f in (first, last) if f is not None]
        h3 = check_h3(
            spec,
            frames=len(keyframes),
            frame_bytes=sum(
                len(f.data or b"") * 4 // 3
                for f in keyframes
                if spec.upload_over is None or len(f.data or b"") <= spec.upload_over
            ),
            **h3_given,
        )
        for n, image in enumerate(h3.reference_images):
            _check_format(provider, f"reference_images[{n}]", image)
    elif last is not None and first is None:
        # MiniMax makes a video *between* two frames; a last frame alone is refused there,
        # and the Segmind / AI/ML models that take one are the same upstream models.
        raise ValidationError(
            "last_frame", "needs a first_frame too; a last frame alone is not supported"
        )

    request = Request(
        provider=provider,
        model=spec,
        prompt=prompt,
        duration=seconds,
        resolution=res,
        first_frame=first,
        last_frame=last,
        prompt_optimizer=("prompt_optimizer" in spec.options) if optimizer is None else optimizer,
        go_fast=(fast or False) if "go_fast" in spec.options else None,
        mode=chosen_mode,
        fast_pretreatment=(pretreat or False) if "fast_pretreatment" in spec.options else None,
    )
    if regenerate_from is not None:
        _check_regeneration(request, str(regenerate_from))
    if raw is not None:
        return dataclasses.replace(request, extra=raw)
    if h3 is None:
        return request
    return dataclasses.replace(
        request,
        ratio=h3.ratio,
        reference_images=h3.reference_images,
        reference_videos=h3.reference_videos,
        reference_audio=h3.reference_audio,
        prompt_expansion_mode=h3.prompt_expansion_mode,
        regenerate_from=None if regenerate_from is None else str(regenerate_from),
    )


def _raw_extra(spec: ModelSpec, extra: Any) -> dict[str, Any] | None:
    """``extra`` of a ``raw:`` model: a JSON object (or its text), checked only as JSON.

    Example:
        >>> build_request("segmind", "a fox", model="raw:new-model", extra="[1]")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: extra: must be a JSON object of the provider's \
own parameters, got a list
    """
    if spec.family != "raw":
        if extra is not None:
            raise ValidationError(
                "extra", f"only for models the catalog does not know (raw:<id>), not {spec.label}"
            )
        return None
    value = {} if extra is None else extra
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValidationError("extra", f"is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        kind = {list: "a list"}.get(type(value), type(value).__name__)
        raise ValidationError(
            "extra", f"must be a JSON object of the provider's own parameters, got {kind}"
        )
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError("extra", f"cannot be sent as JSON ({exc})") from None
    if "model" in value:
        raise ValidationError("extra", "names the model itself; give it as raw:<id>")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _check_regeneration(request: Request, base_id: str) -> None:
    """A 2K regeneration: a model that has one, 2K, and nothing but the original's text.

    Example:
        >>> build_request("minimax", "a fox", model="MiniMax-H3-Max", regenerate_from="1")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: regenerate_from: h3-max (minimax) cannot be \
regenerated at 2K; only h3 can
    """
    spec = request.model
    if not spec.regenerates:
        able = [m.name for m in models(request.provider) if m.regenerates]
        where = f"only {', '.join(able)} can" if able else f"{request.provider} cannot do it"
        raise ValidationError(
            "regenerate_from", f"{spec.label} cannot be regenerated at 2K; {where}"
        )
    if request.resolution != "2k":
        raise ValidationError("resolution", "a regeneration is made at 2K; leave resolution out")
    if not base_id.strip():
        raise ValidationError("regenerate_from", "needs the id of a finished 768P job")


_FORMAT_OF_MIME = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_FORMAT_OF_SUFFIX = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
_FORMAT_NAMES = {"JPEG": "JPG", "PNG": "PNG", "WEBP": "WebP"}


def _check_format(provider: str, field: str, image: ImageInput | None) -> None:
    """Refuse an image format the provider does not take (AI/ML: no WebP), before sending.

    Local images are known by their content; a URL only by its name (``.webp``), since
    URLs are never fetched here. We refuse rather than convert: a silent re-encode would
    send other bytes than the user chose (and a big PNG can pass 20 MB).

    Example:
        >>> import io
        >>> from PIL import Image
        >>> buf = io.BytesIO(); Image.new("RGB", (640, 360)).save(buf, "WEBP")
        >>> build_request("aimlapi", "a fox", first_frame=buf.getvalue())
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: first_frame: aimlapi takes JPG or PNG images \
only, not WebP; convert it to PNG first
        >>> build_request("minimax", "a fox", first_frame=buf.getvalue()).first_frame.mime
        'image/webp'
    """
    if image is None:
        return
    if image.mime is not None:
        fmt = _FORMAT_OF_MIME.get(image.mime)
    else:
        path = urlsplit(image.url or "").path.lower()
        fmt = next((f for s, f in _FORMAT_OF_SUFFIX.items() if path.endswith(s)), None)
    allowed = host(provider).image_formats
    if fmt is None or fmt in allowed:
        return
    names = _either(tuple(_FORMAT_NAMES.get(f, f) for f in allowed))
    got = _FORMAT_NAMES.get(fmt, fmt)
    raise ValidationError(
        field, f"{provider} takes {names} images only, not {got}; convert it to PNG first"
    )


def _check_prompt(prompt: Any) -> None:
    if not isinstance(prompt, str):
        raise ValidationError("prompt", f"must be text, got {type(prompt).__name__}")
    if not prompt.strip():
        raise ValidationError("prompt", "is empty; describe the video to generate")
    if len(prompt) > max(MAX_PROMPT_CHARS, 7000):
        # The longest any model takes (H3); the model's own limit is checked once known.
        raise ValidationError("prompt", f"is {len(prompt)} characters; the limit is 7000")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in prompt):
        # Cannot be encoded as UTF-8 for the request (a broken paste or decode).
        raise ValidationError("prompt", "holds a lone surrogate character; it cannot be sent")
    if all(c.isspace() or unicodedata.category(c).startswith("C") for c in prompt):
        raise ValidationError("prompt", "holds only control characters; describe the video")


def _options_text(spec: ModelSpec) -> str:
    return ", ".join(sorted(spec.options))


def _flag(name: str, value: Any, spec: ModelSpec) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ValidationError(name, f"must be true or false, got {_shown(value)}")
    # False is every switch's "off", true of every model, so forms may send all switches.
    if value and name not in spec.options:
        raise ValidationError(
            name, f"not an option of {spec.label}; its options are: {_options_text(spec)}"
        )
    return value


def _mode(value: Any, spec: ModelSpec) -> str | None:
    if value is None:
        return spec.modes[0] if spec.modes else None
    if not spec.modes:
        raise ValidationError(
            "mode", f"not an option of {spec.label}; its options are: {_options_text(spec)}"
        )
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in spec.modes:
        raise ValidationError(
            "mode", f"must be {_either(spec.modes)} on {spec.label}, got {_shown(value)}"
        )
    return str(text)


def _duration(value: Any, spec: ModelSpec) -> int | None:
    if value is None:
        return spec.default_duration
    if not spec.durations:
        raise ValidationError(
            "duration", f"{spec.label} takes no duration (the model decides); leave it out"
        )
    seconds: int | None = None
    if isinstance(value, bool):
        seconds = None
    elif isinstance(value, int):
        seconds = value
    elif isinstance(value, float) and value.is_integer():
        seconds = int(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = int(match.group(1))
    allowed = _either(tuple(str(d) for d in spec.durations))
    if seconds is None:
        raise ValidationError("duration", f"must be {allowed} (seconds), got {_shown(value)}")
    if seconds not in spec.durations:
        raise ValidationError(
            "duration", f"must be {allowed} s on {spec.label}, got {_shown(seconds)}"
        )
    return seconds


def _resolution(value: Any, spec: ModelSpec) -> str | None:
    if value is None:
        return None
    if not spec.resolutions:
        raise ValidationError(
            "resolution", f"{spec.label} takes no resolution (the model decides); leave it out"
        )
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        allowed = _either(spec.resolutions)
        raise ValidationError("resolution", f"must be {allowed}, got {_shown(value)}")
    res = normalize_resolution(value)
    if res not in spec.resolutions:
        allowed = _either(spec.resolutions)
        got = _shown(value)
        raise ValidationError("resolution", f"must be {allowed} on {spec.label}, got {got}")
    return res


def _shown(value: Any, limit: int = 40) -> str:
    """The user's value as shown in an error: its repr, cut short (errors are one line).

    Example:
        >>> _shown(6), _shown("six"), _shown(1e242), _shown("x" * 100)[-5:]
        ('6', "'six'", '1e+242', "xxx…'")
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[-1]


def _either(values: tuple[str, ...]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"
