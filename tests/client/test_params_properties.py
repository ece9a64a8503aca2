"""Property tests of the parameter layer (Hypothesis).

Valid combinations are drawn from this test suite's own reading of protocols.md
(``PROTOCOL`` in test_params.py), not from the catalog, and every payload is judged by
the same independent oracle.
"""

from __future__ import annotations

import base64
import io
import unicodedata
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from hailuo_nb.errors import ValidationError
from hailuo_nb.images import load_image
from hailuo_nb.params import build_request, normalize_resolution
from hailuo_nb.providers import needs_upload, wire_payload

from .test_params import PROTOCOL, protocol_problems

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
PROVIDERS = ("segmind", "aimlapi", "minimax", "emulator")


def _png(size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "purple").save(buf, format="PNG")
    return buf.getvalue()


FRAME = _png((640, 360))


@dataclass(frozen=True)
class Shape:
    """What the protocol table says one provider's model takes, in our vocabulary."""

    provider: str
    wire: str
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    first_required: bool
    last_frame: bool
    options: frozenset[str]
    modes: tuple[str, ...]


def _shapes() -> list[Shape]:
    out = []
    for provider in PROVIDERS:
        wire_provider = "segmind" if provider == "emulator" else provider
        for (p, wire), rules in PROTOCOL.items():
            if p != wire_provider:
                continue
            fields = rules["fields"]
            opts = {o for o in ("go_fast", "mode", "fast_pretreatment") if o in fields}
            out.append(Shape(
                provider=provider, wire=wire,
                durations=tuple(sorted(rules["durations"])),
                resolutions=tuple(sorted(r.lower() for r in rules["resolutions"])),
                first_required=bool({"first_frame_image", "image_url"} & rules["required"]),
                last_frame=bool({"last_frame_image", "last_image_url"} & fields),
                options=frozenset(opts),
                modes=tuple(sorted(rules.get("modes", ()))),
            ))
    return out


SHAPES = _shapes()


def _cased(text: str) -> st.SearchStrategy[str]:
    """``text`` with each letter in either case and optional surrounding spaces."""
    return st.tuples(
        st.lists(st.booleans(), min_size=len(text), max_size=len(text)),
        st.sampled_from(["", " "]), st.sampled_from(["", " "]),
    ).map(lambda t: t[1] + "".join(c.upper() if up else c for c, up in zip(text, t[0], strict=True))
          + t[2])


@st.composite
def valid_call(draw: st.DrawFn) -> tuple[Shape, dict[str, Any]]:
    shape = draw(st.sampled_from(SHAPES))
    kw: dict[str, Any] = {"model": shape.wire}
    image = st.sampled_from([
        "https://example.com/a.jpg", FRAME, "data:image/png;base64," +
        base64.b64encode(FRAME).decode(),
    ])
    with_first: bool = shape.first_required or draw(st.booleans())
    if with_first:
        kw["first_frame"] = draw(image)
        with_last: bool = shape.last_frame and draw(st.booleans())
        if with_last:
            kw["last_frame"] = draw(image)
    with_duration: bool = bool(shape.durations) and draw(st.booleans())
    if with_duration:
        d = draw(st.sampled_from(shape.durations))
        kw["duration"] = draw(st.sampled_from([d, str(d), f"{d}s"]))
    with_resolution: bool = bool(shape.resolutions) and draw(st.booleans())
    if with_resolution:
        # 512P needs a first frame and cannot go with a last one (MiniMax's rule).
        choices = [
            r for r in shape.resolutions
            if r != "512p" or ("first_frame" in kw and "last_frame" not in kw)
        ]
        if str(kw.get("duration", "6")).rstrip("s") == "10":
            choices = [r for r in choices if r != "1080p"]
        kw["resolution"] = draw(st.sampled_from(choices).flatmap(_cased))
    kw["prompt_optimizer"] = draw(st.sampled_from([None, True, False]))
    for option in ("go_fast", "fast_pretreatment"):
        allowed = [None, True, False] if option in shape.options else [None, False]
        kw[option] = draw(st.sampled_from(allowed))
    if shape.modes:
        kw["mode"] = draw(st.sampled_from([None, *shape.modes]))
    return shape, kw


def _describes(text: str) -> bool:
    # A valid prompt has something besides white space and control characters.
    return any(not c.isspace() and not unicodedata.category(c).startswith("C") for c in text)


PROMPTS = st.text(min_size=1, max_size=2000).filter(_describes)


@FAST
@given(valid_call(), PROMPTS)
def test_any_valid_combination_maps_to_an_accepted_payload(
    call: tuple[Shape, dict[str, Any]], prompt: str
) -> None:
    shape, kw = call
    request = build_request(shape.provider, prompt, **kw)
    uploads = {f: f"https://cdn.example/{f}.png" for f in needs_upload(request)}
    body = wire_payload(request, uploads)
    assert protocol_problems(shape.provider, shape.wire, body) == []
    assert body["prompt"] == prompt
    if "duration" in kw:
        assert body["duration"] == int(str(kw["duration"]).rstrip("s"))
    if "resolution" in kw:
        assert str(body["resolution"]).lower() == kw["resolution"].strip().lower()
    # Local images only travel as data URLs where the provider takes them.
    for value in body.values():
        if isinstance(value, str) and value.startswith("data:"):
            assert shape.provider in ("aimlapi", "minimax")
    params = request.public_params()
    assert params["model"] == request.model.name and params["prompt"] == prompt
    assert request.estimate().estimated


@st.composite
def invalid_call(draw: st.DrawFn) -> tuple[Shape, str, dict[str, Any], str]:
    """A valid call with exactly one thing made wrong, and the field that must be named."""
    shape = draw(st.sampled_from(SHAPES))
    kw: dict[str, Any] = {"model": shape.wire}
    if shape.first_required:
        kw["first_frame"] = "https://example.com/a.jpg"
    prompt = "a red fox"
    kinds = ["prompt", "model", "duration", "resolution", "prompt_optimizer"]
    kinds += [o for o in ("go_fast", "fast_pretreatment", "mode") if o not in shape.options]
    if shape.modes:
        kinds.append("bad_mode")
    if shape.first_required:
        kinds.append("no_first_frame")
    if "1080p" in shape.resolutions:
        kinds.append("ten_at_1080p")
    if "512p" in shape.resolutions:
        kinds.append("512p_text_only")
    if not shape.last_frame:
        kinds.append("last_frame")
    kind = draw(st.sampled_from(kinds))
    field = kind
    if kind == "prompt":
        prompt = draw(st.one_of(st.text(alphabet=" \t\n", max_size=5),
                                st.text(min_size=2001, max_size=2100)))
    elif kind == "model":
        names = {s.wire.lower() for s in SHAPES} | {"hailuo-2.3", "hailuo-2.3-fast",
                                                     "hailuo-02", "hailuo-02-fast",
                                                     "minimax-hailuo-2"}
        kw["model"] = draw(st.text(min_size=1, max_size=20).filter(
            lambda s: s.strip().lower() not in names))
    elif kind == "duration":
        kw["duration"] = draw(st.one_of(
            st.integers(-100, 100).filter(lambda d: d not in shape.durations),
            st.sampled_from(["", "six", "6.5", "-6", "6 min", "10x"]),
            st.booleans(), st.floats(allow_nan=True).filter(lambda f: f not in (6.0, 10.0)),
        ))
    elif kind == "resolution":
        kw["resolution"] = draw(st.one_of(
            st.text(max_size=8), st.sampled_from(["720p", "4k", "2160P", "480p", "1080i"]),
            st.integers(0, 4000), st.booleans(),
        ).filter(lambda r: isinstance(r, bool) or not shape.resolutions
                 or normalize_resolution(r) not in shape.resolutions))
    elif kind == "prompt_optimizer":
        kw["prompt_optimizer"] = draw(st.sampled_from(["yes", 1, 0, "true", 1.0]))
    elif kind in ("go_fast", "fast_pretreatment"):
        kw[kind] = True
    elif kind == "mode":
        kw["mode"] = draw(st.sampled_from(["standard", "pro"]))
    elif kind == "bad_mode":
        field = "mode"
        kw["mode"] = draw(st.text(max_size=10).filter(
            lambda m: m.strip().lower() not in shape.modes))
    elif kind == "no_first_frame":
        field = "first_frame"
        del kw["first_frame"]
    elif kind == "ten_at_1080p":
        field = "resolution"
        kw.update(duration=10, resolution=draw(_cased("1080p")))
    elif kind == "512p_text_only":
        field = "resolution"
        kw["resolution"] = "512P"
    elif kind == "last_frame":
        kw["last_frame"] = "https://example.com/z.jpg"
    return shape, prompt, kw, field


@FAST
@given(invalid_call())
def test_any_invalid_value_raises_one_line_naming_its_field(
    call: tuple[Shape, str, dict[str, Any], str],
) -> None:
    shape, prompt, kw, field = call
    try:
        build_request(shape.provider, prompt, **kw)
    except ValidationError as e:
        assert type(e) is ValidationError
        assert e.field == field, str(e)
        text = str(e)
        assert text.startswith(f"{field}: ") and "\n" not in text and len(text) < 300
    else:
        raise AssertionError(f"accepted {kw!r}")


@given(st.sampled_from(["512p", "768p", "1080p"]).flatmap(
    lambda r: st.tuples(st.just(r), _cased(r))))
def test_resolution_spelling_round_trips(pair: tuple[str, str]) -> None:
    ours, spelled = pair
    assert normalize_resolution(spelled) == ours
    assert normalize_resolution(ours.upper()) == ours  # the AI/ML and MiniMax spelling


def _side_pairs() -> st.SearchStrategy[tuple[int, int]]:
    random_sizes = st.tuples(st.integers(16, 1400), st.integers(16, 1400))
    short_edge = st.tuples(st.sampled_from([299, 300, 301, 302]), st.integers(301, 800))
    # Around 2:5 exactly: (2k, 5k + d), short side over 300 so only the ratio decides.
    ratio_edge = st.tuples(st.integers(151, 280), st.sampled_from([-2, -1, 0, 1, 2])).map(
        lambda t: (2 * t[0], 5 * t[0] + t[1]))
    pairs = st.one_of(random_sizes, short_edge, ratio_edge)
    return st.tuples(pairs, st.booleans()).map(lambda t: t[0][::-1] if t[1] else t[0])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_side_pairs(), st.sampled_from(["PNG", "JPEG", "WEBP", "GIF", "BMP"]),
       st.sampled_from(["bytes", "pil", "data_url"]))
def test_images_pass_or_fail_minimax_rules_at_the_boundaries(
    size: tuple[int, int], fmt: str, kind: str
) -> None:
    width, height = size
    img = Image.new("RGB", size, "olive")
    if kind == "pil":
        value: Any = img
        fmt = "PNG"  # PIL images are sent as PNG
    else:
        buf = io.BytesIO()
        img.save(buf, format=fmt)
        value = buf.getvalue()
        if kind == "data_url":
            mime = {"JPEG": "image/jpeg"}.get(fmt, f"image/{fmt.lower()}")
            value = f"data:{mime};base64,{base64.b64encode(value).decode()}"
    ok = (fmt in ("PNG", "JPEG", "WEBP") and min(width, height) > 300
          and 2 * height <= 5 * width and 2 * width <= 5 * height)
    try:
        loaded = load_image(value, field="first_frame")
    except ValidationError as e:
        assert not ok, str(e)
        assert e.field == "first_frame" and "\n" not in str(e)
    else:
        assert ok, f"{fmt} {width}×{height} accepted"
        assert (loaded.width, loaded.height) == (width, height)
