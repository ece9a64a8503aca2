"""The parameter layer: validation messages, defaults, and every provider × model payload.

``PROTOCOL`` below is this test's own reading of protocols.md and the seeds (not the
catalog's), and :func:`protocol_problems` is the oracle the property tests reuse.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from hailuo_nb.errors import ValidationError
from hailuo_nb.params import (
    VOCABULARY,
    build_request,
    normalize_resolution,
)
from hailuo_nb.providers import needs_upload, wire_payload

URL = "https://example.com/first.jpg"
URL2 = "https://example.com/last.jpg"

# (provider, wire model) -> what the provider accepts, from protocols.md:
#   fields: allowed keys; required: keys that must be there; enum-like value sets.
PROTOCOL: dict[tuple[str, str], dict[str, Any]] = {
    ("segmind", "hailuo-2.3"): {
        "fields": {"prompt", "duration", "resolution", "first_frame_image", "prompt_optimizer"},
        "required": {"prompt"},
        "durations": {6, 10}, "resolutions": {"768p", "1080p"},
    },
    ("segmind", "hailuo-2.3-fast"): {
        "fields": {"prompt", "duration", "resolution", "first_frame_image", "prompt_optimizer"},
        "required": {"prompt", "first_frame_image"},
        "durations": {6, 10}, "resolutions": {"768p", "1080p"},
    },
    ("segmind", "hailuo-02-fast"): {
        "fields": {"prompt", "duration", "first_frame_image", "last_frame_image", "go_fast",
                   "prompt_optimizer"},
        "required": {"prompt", "first_frame_image"},
        "durations": {6, 10}, "resolutions": set(),
    },
    ("segmind", "minimax-hailuo-2"): {
        "fields": {"prompt", "image_url", "last_frame_image", "mode", "prompt_optimizer"},
        "required": {"prompt"},
        "durations": set(), "resolutions": set(), "modes": {"standard", "pro"},
    },
    ("aimlapi", "minimax/hailuo-2.3"): {
        "fields": {"model", "prompt", "image_url", "resolution", "duration", "enhance_prompt"},
        "required": {"model", "prompt"},
        "durations": {6, 10}, "resolutions": {"768P", "1080P"},
    },
    ("aimlapi", "minimax/hailuo-2.3-fast"): {
        "fields": {"model", "prompt", "image_url", "resolution", "duration", "enhance_prompt"},
        "required": {"model", "prompt", "image_url"},
        "durations": {6, 10}, "resolutions": {"768P", "1080P"},
    },
    ("aimlapi", "minimax/hailuo-02"): {
        "fields": {"model", "prompt", "image_url", "last_image_url", "resolution", "duration",
                   "enhance_prompt"},
        "required": {"model", "prompt"},
        "durations": {6, 10}, "resolutions": {"768P", "1080P"},
    },
    ("minimax", "MiniMax-Hailuo-2.3"): {
        "fields": {"model", "prompt", "first_frame_image", "duration", "resolution",
                   "prompt_optimizer", "fast_pretreatment"},
        "required": {"model", "prompt"},
        "durations": {6, 10}, "resolutions": {"768P", "1080P"},
    },
    ("minimax", "MiniMax-Hailuo-2.3-Fast"): {
        "fields": {"model", "prompt", "first_frame_image", "duration", "resolution",
                   "prompt_optimizer", "fast_pretreatment"},
        "required": {"model", "prompt", "first_frame_image"},
        "durations": {6, 10}, "resolutions": {"768P", "1080P"},
    },
    ("minimax", "MiniMax-Hailuo-02"): {
        "fields": {"model", "prompt", "first_frame_image", "last_frame_image", "duration",
                   "resolution", "prompt_optimizer", "fast_pretreatment"},
        "required": {"model", "prompt"},
        "durations": {6, 10}, "resolutions": {"512P", "768P", "1080P"},
    },
}
BOOLS = {"prompt_optimizer", "enhance_prompt", "go_fast", "fast_pretreatment"}
IMAGES = {"first_frame_image", "last_frame_image", "image_url", "last_image_url"}


def protocol_problems(provider: str, wire_model: str, body: dict[str, Any]) -> list[str]:
    """Everything in ``body`` the provider would refuse (or fail the job for), per protocols.md."""
    wire = "segmind" if provider == "emulator" else provider
    rules = PROTOCOL[(wire, wire_model)]
    out = [f"unknown key {k}" for k in body if k not in rules["fields"]]
    out += [f"missing {k}" for k in rules["required"] if body.get(k) is None]
    if "model" in body and body["model"] != wire_model:
        out.append("model differs")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > 2000:
        out.append("bad prompt")
    for key in BOOLS & body.keys():
        if not isinstance(body[key], bool):
            out.append(f"{key} not a bool")
    for key in IMAGES & body.keys():
        value = body[key]
        if value is not None and not (isinstance(value, str) and value.startswith(
                ("http://", "https://", "data:image/"))):
            out.append(f"{key} not a URL")
    if "duration" in body:
        d = body["duration"]
        if isinstance(d, bool) or not isinstance(d, int) or d not in rules["durations"]:
            out.append("bad duration")
    if "resolution" in body and body["resolution"] not in rules["resolutions"]:
        out.append("bad resolution")
    if "mode" in body and body["mode"] not in rules.get("modes", set()):
        out.append("bad mode")
    res = str(body.get("resolution", "")).lower()
    if body.get("duration") == 10 and res == "1080p":
        out.append("10 s at 1080p")
    first = body.get("first_frame_image") or body.get("image_url")
    if res == "512p" and not first:
        out.append("512p without a first frame")
    last = body.get("last_frame_image") or body.get("last_image_url")
    if last and not first:
        out.append("last frame without first")
    if res == "512p" and last:
        # MiniMax: first + last frame generation lists 768P and 1080P only.
        out.append("512p with a last frame")
    return out


def png(size: tuple[int, int] = (640, 360)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "orange").save(buf, format="PNG")
    return buf.getvalue()


def error_of(provider: str, prompt: Any = "a fox", **kw: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        build_request(provider, prompt, **kw)
    text = str(info.value)
    assert "\n" not in text and text == f"{info.value.field}: {info.value.message}"
    return info.value


# --- every provider × model payload, spelled as protocols.md spells it ---------------------

PAYLOADS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("segmind", {"model": "hailuo-2.3", "duration": 10, "first_frame": URL,
                 "prompt_optimizer": False},
     {"prompt": "a fox", "duration": 10, "resolution": "768p", "prompt_optimizer": False,
      "first_frame_image": URL}),
    ("segmind", {"model": "hailuo-2.3-fast", "first_frame": URL},
     {"prompt": "a fox", "duration": 6, "resolution": "1080p", "prompt_optimizer": True,
      "first_frame_image": URL}),
    ("segmind", {"model": "hailuo-02-fast", "first_frame": URL, "duration": "6",
                 "go_fast": True},
     {"prompt": "a fox", "duration": 6, "prompt_optimizer": True, "go_fast": True,
      "first_frame_image": URL, "last_frame_image": None}),
    ("segmind", {"model": "hailuo-02-fast", "first_frame": URL, "last_frame": URL2},
     {"prompt": "a fox", "duration": 6, "prompt_optimizer": True, "go_fast": False,
      "first_frame_image": URL, "last_frame_image": URL2}),
    ("segmind", {"model": "minimax-hailuo-2", "first_frame": URL, "mode": "Pro"},
     {"prompt": "a fox", "prompt_optimizer": True, "mode": "pro", "image_url": URL,
      "last_frame_image": None}),
    ("emulator", {"model": "minimax-hailuo-2"},
     {"prompt": "a fox", "prompt_optimizer": True, "mode": "standard",
      "last_frame_image": None}),
    ("aimlapi", {"model": "hailuo-2.3", "resolution": "1080p"},
     {"model": "minimax/hailuo-2.3", "prompt": "a fox", "duration": 6, "resolution": "1080P",
      "enhance_prompt": True}),
    ("aimlapi", {"model": "minimax/hailuo-2.3-fast", "first_frame": URL, "duration": 10},
     {"model": "minimax/hailuo-2.3-fast", "prompt": "a fox", "duration": 10,
      "resolution": "768P", "enhance_prompt": True, "image_url": URL}),
    ("aimlapi", {"model": "hailuo-02", "first_frame": URL, "last_frame": URL2,
                 "prompt_optimizer": False},
     {"model": "minimax/hailuo-02", "prompt": "a fox", "duration": 6, "resolution": "768P",
      "enhance_prompt": False, "image_url": URL, "last_image_url": URL2}),
    ("minimax", {"model": "hailuo-2.3", "duration": 10, "fast_pretreatment": True},
     {"model": "MiniMax-Hailuo-2.3", "prompt": "a fox", "duration": 10, "resolution": "768P",
      "prompt_optimizer": True, "fast_pretreatment": True}),
    ("minimax", {"model": "hailuo-2.3-fast", "first_frame": URL, "resolution": "1080P"},
     {"model": "MiniMax-Hailuo-2.3-Fast", "prompt": "a fox", "duration": 6,
      "resolution": "1080P", "prompt_optimizer": True, "fast_pretreatment": False,
      "first_frame_image": URL}),
    ("minimax", {"model": "hailuo-02", "first_frame": URL, "resolution": "512p", "duration": 10},
     {"model": "MiniMax-Hailuo-02", "prompt": "a fox", "duration": 10, "resolution": "512P",
      "prompt_optimizer": True, "fast_pretreatment": False, "first_frame_image": URL}),
    ("minimax", {"model": "hailuo-02", "first_frame": URL, "last_frame": URL2},
     {"model": "MiniMax-Hailuo-02", "prompt": "a fox", "duration": 6, "resolution": "768P",
      "prompt_optimizer": True, "fast_pretreatment": False, "first_frame_image": URL,
      "last_frame_image": URL2}),
]


@pytest.mark.parametrize(("provider", "kw", "expected"), PAYLOADS)
def test_wire_payload(provider: str, kw: dict[str, Any], expected: dict[str, Any]) -> None:
    request = build_request(provider, "a fox", **kw)
    body = wire_payload(request)
    assert body == expected
    assert protocol_problems(provider, request.model.wire_name, body) == []


def test_payloads_cover_every_provider_and_model() -> None:
    covered = set()
    for provider, kw, _ in PAYLOADS:
        req = build_request(provider, "a fox", **kw)
        covered.add(("segmind" if provider == "emulator" else provider, req.model.wire_name))
    assert covered == set(PROTOCOL)


# --- the messages the issue asks for ------------------------------------------------------

def test_issue_examples() -> None:
    e = error_of("minimax", duration=10, resolution="1080p")
    assert str(e) == (
        "resolution: 1080p allows only 6 s on hailuo-2.3 (minimax); choose 768p for 10 s")
    e = error_of("segmind", model="hailuo-2.3-fast")
    assert str(e) == (
        "first_frame: hailuo-2.3-fast on segmind needs a first frame image (image-to-video only)")
    e = error_of("segmind", go_fast=True)
    assert str(e) == (
        "go_fast: not an option of hailuo-2.3 (segmind); its options are: prompt_optimizer")


@pytest.mark.parametrize("provider", ["segmind", "aimlapi", "minimax", "emulator"])
def test_ten_seconds_at_1080p_refused_everywhere(provider: str) -> None:
    for model in ("hailuo-2.3", "hailuo-2.3-fast"):
        e = error_of(provider, model=model, duration=10, resolution="1080P", first_frame=URL)
        assert e.field == "resolution" and "choose 768p for 10 s" in e.message


ERRORS: list[tuple[str, dict[str, Any], str, str]] = [
    ("segmind", {"prompt": ""}, "prompt", "is empty"),
    ("segmind", {"prompt": "   "}, "prompt", "is empty"),
    ("aimlapi", {"prompt": "x" * 2001}, "prompt", "is 2001 characters; the limit is 2000"),
    ("minimax", {"prompt": 42}, "prompt", "must be text"),
    ("nowhere", {}, "provider", "one of: segmind, aimlapi, minimax, fal, replicate, emulator"),
    ("segmind", {"model": "hailuo-9"}, "model", "choose one of: hailuo-2.3, "),
    ("segmind", {"duration": 7}, "duration", "must be 6 or 10 s on hailuo-2.3 (segmind), got 7"),
    ("segmind", {"duration": "long"}, "duration", "must be 6 or 10 (seconds), got 'long'"),
    ("segmind", {"duration": True}, "duration", "must be 6 or 10 (seconds)"),
    ("segmind", {"duration": 6.5}, "duration", "must be 6 or 10 (seconds)"),
    ("segmind", {"model": "minimax-hailuo-2", "duration": 6}, "duration", "takes no duration"),
    ("segmind", {"resolution": "720p"}, "resolution",
     "must be 768p or 1080p on hailuo-2.3 (segmind), got '720p'"),
    ("aimlapi", {"resolution": "512P", "first_frame": URL}, "resolution",
     "must be 768p or 1080p on hailuo-2.3 (aimlapi)"),
    ("segmind", {"model": "hailuo-02-fast", "first_frame": URL, "resolution": "768p"},
     "resolution", "takes no resolution"),
    ("segmind", {"resolution": 1.5}, "resolution", "must be 768p or 1080p"),
    ("minimax", {"model": "hailuo-02", "resolution": "512p"}, "resolution",
     "512p needs a first frame image on hailuo-02 (minimax)"),
    ("minimax", {"model": "hailuo-02", "resolution": "512p", "first_frame": URL,
                 "last_frame": URL2}, "resolution",
     "512p cannot go with a last frame on hailuo-02 (minimax): first + last frame videos are"
     " 768p or 1080p only"),
    ("minimax", {"model": "hailuo-2.3", "resolution": "512p", "first_frame": URL}, "resolution",
     "must be 768p or 1080p on hailuo-2.3 (minimax)"),
    ("minimax", {"go_fast": True}, "go_fast",
     "its options are: fast_pretreatment, prompt_optimizer"),
    ("segmind", {"fast_pretreatment": True}, "fast_pretreatment", "not an option of hailuo-2.3"),
    ("segmind", {"mode": "pro"}, "mode", "not an option of hailuo-2.3 (segmind)"),
    ("segmind", {"model": "minimax-hailuo-2", "mode": "ultra"}, "mode",
     "must be standard or pro on minimax-hailuo-2 (segmind), got 'ultra'"),
    ("segmind", {"prompt_optimizer": "yes"}, "prompt_optimizer", "must be true or false"),
    ("segmind", {"model": "hailuo-02-fast", "first_frame": URL, "go_fast": 1}, "go_fast",
     "must be true or false"),
    ("aimlapi", {"model": "hailuo-2.3-fast"}, "first_frame",
     "hailuo-2.3-fast on aimlapi needs a first frame image"),
    ("segmind", {"model": "hailuo-02-fast"}, "first_frame", "needs a first frame image"),
    ("segmind", {"last_frame": URL2}, "last_frame",
     "hailuo-2.3 (segmind) takes no last frame; models with one: hailuo-02-fast, minimax-hailuo-2"),
    ("minimax", {"model": "hailuo-02", "last_frame": URL2}, "last_frame", "needs a first_frame"),
    ("aimlapi", {"first_frame": "ftp://x/a.png"}, "first_frame", "scheme 'ftp'"),
    ("aimlapi", {"first_frame": b"nope"}, "first_frame", "not a readable image"),
    ("minimax", {"model": "hailuo-02", "first_frame": URL, "last_frame": png((200, 400))},
     "last_frame", "short side is 200 px"),
    # H3's part (every H3 rule, nothing sent: test_h3_rules.py).
    ("minimax", {"model": "MiniMax-H3", "ratio": "5:4"}, "ratio", "must be one of adaptive"),
    ("minimax", {"model": "MiniMax-H3", "reference_images": [URL] * 10}, "reference_images",
     "at most 9 allowed"),
    ("minimax", {"model": "MiniMax-H3", "reference_videos": ["https://x/v.mp4"] * 4},
     "reference_videos", "at most 3 allowed"),
    ("minimax", {"model": "MiniMax-H3", "reference_audio": ["https://x/a.wav"]},
     "reference_audio", "audio cannot be the only reference"),
    ("minimax", {"model": "MiniMax-H3", "prompt_expansion_mode": "quality"},
     "prompt_expansion_mode", "only H3-Max takes it"),
    ("minimax", {"model": "MiniMax-H3-Max", "regenerate_from": "1"}, "regenerate_from",
     "cannot be regenerated at 2K; only h3 can"),
    ("segmind", {"model": "raw:new-model", "extra": "[1]"}, "extra", "must be a JSON object"),
]


@pytest.mark.parametrize(("provider", "kw", "field", "text"), ERRORS)
def test_every_error_names_its_field(provider: str, kw: dict[str, Any], field: str,
                                     text: str) -> None:
    kw = dict(kw)
    e = error_of(provider, kw.pop("prompt", "a fox"), **kw)
    assert e.field == field
    assert text in e.message


def test_error_fields_cover_the_vocabulary() -> None:
    assert {field for _, _, field, _ in ERRORS} >= set(VOCABULARY)


# --- spellings, defaults, images ------------------------------------------------------------

def test_accepted_spellings() -> None:
    durations: tuple[Any, ...] = (10, "10", " 10 ", "10s", "10 seconds", 10.0)
    for duration in durations:
        assert build_request("segmind", "a fox", duration=duration).duration == 10
    for res in ("1080p", "1080P", " 1080 ", "1080"):
        assert build_request("aimlapi", "a fox", resolution=res).resolution == "1080p"
    assert build_request("minimax", "a fox", model="MiniMax-Hailuo-2.3-Fast",
                         first_frame=URL).model.name == "hailuo-2.3-fast"
    assert normalize_resolution("768P") == "768p" and normalize_resolution("4k") == "4k"


def test_defaults() -> None:
    req = build_request("segmind", "a fox")
    assert (req.model.name, req.duration, req.resolution, req.prompt_optimizer) == (
        "hailuo-2.3", 6, "768p", True)
    assert (req.go_fast, req.mode, req.fast_pretreatment) == (None, None, None)
    # Segmind's 2.3-fast defaults to 1080p; asked for 10 s it takes the only resolution
    # that allows it instead of refusing a value the user never chose.
    fast = build_request("segmind", "a fox", model="hailuo-2.3-fast", first_frame=URL,
                         duration=10)
    assert fast.resolution == "768p"
    assert build_request("minimax", "a fox").fast_pretreatment is False
    assert build_request("emulator", "a fox", model="minimax-hailuo-2").mode == "standard"


def test_false_switches_pass_on_any_model() -> None:
    req = build_request("segmind", "a fox", go_fast=False, fast_pretreatment=False)
    assert (req.go_fast, req.fast_pretreatment) == (None, None)
    assert "go_fast" not in wire_payload(req)


def test_local_images_data_urls_and_uploads() -> None:
    data = png()
    data_url = "data:image/png;base64," + base64.b64encode(data).decode()
    for provider in ("aimlapi", "minimax"):
        req = build_request(provider, "a fox", model="hailuo-02", first_frame=data,
                            last_frame=URL2)
        assert needs_upload(req) == []
        body = wire_payload(req)
        assert data_url in body.values() and URL2 in body.values()
    seg = build_request("segmind", "a fox", model="hailuo-02-fast", first_frame=data,
                        last_frame=Image.new("RGB", (500, 500)))
    assert needs_upload(seg) == ["first_frame", "last_frame"]
    uploaded = {"first_frame": "https://cdn/1.png", "last_frame": "https://cdn/2.png"}
    body = wire_payload(seg, uploaded)
    assert (body["first_frame_image"], body["last_frame_image"]) == (
        "https://cdn/1.png", "https://cdn/2.png")
    assert needs_upload(build_request("emulator", "a fox", first_frame=URL)) == []
    assert needs_upload(build_request("emulator", "a fox", first_frame=data)) == ["first_frame"]


def test_public_params_and_estimate() -> None:
    data = png()
    req = build_request("minimax", "a fox", model="hailuo-02", first_frame=data, duration=10)
    params = req.public_params()
    assert params == {
        "prompt": "a fox", "model": "hailuo-02", "duration": 10, "resolution": "768p",
        "first_frame": req.first_frame.ref if req.first_frame else None,
        "prompt_optimizer": True, "fast_pretreatment": False,
    }
    assert str(params["first_frame"]).startswith("bytes:")
    assert set(params) <= set(VOCABULARY)
    assert req.estimate().usd == 0.56 and req.estimate().estimated
    assert build_request("segmind", "a fox", resolution="1080p").estimate().usd == 0.70
    assert build_request("segmind", "a fox").estimate().usd == 0.35
