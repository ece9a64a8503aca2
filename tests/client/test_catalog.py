"""The client's catalog against protocols.md and the vendor seeds (figures written out here)."""

from __future__ import annotations

import pytest

from hailuo_nb.catalog import (
    OPTIONS,
    PROVIDERS,
    ModelSpec,
    default_model,
    estimate_cost,
    get_model,
    models,
)
from hailuo_nb.errors import ValidationError

# (provider, our name) -> wire name, as protocols.md spells it.
WIRE_NAMES = {
    ("segmind", "hailuo-2.3"): "hailuo-2.3",
    ("segmind", "hailuo-2.3-fast"): "hailuo-2.3-fast",
    ("segmind", "hailuo-02-fast"): "hailuo-02-fast",
    ("segmind", "minimax-hailuo-2"): "minimax-hailuo-2",
    ("aimlapi", "hailuo-2.3"): "minimax/hailuo-2.3",
    ("aimlapi", "hailuo-2.3-fast"): "minimax/hailuo-2.3-fast",
    ("aimlapi", "hailuo-02"): "minimax/hailuo-02",
    ("minimax", "hailuo-2.3"): "MiniMax-Hailuo-2.3",
    ("minimax", "hailuo-2.3-fast"): "MiniMax-Hailuo-2.3-Fast",
    ("minimax", "hailuo-02"): "MiniMax-Hailuo-02",
}


def test_providers_and_models() -> None:
    assert PROVIDERS == ("segmind", "aimlapi", "minimax", "fal", "replicate", "emulator")
    real = ("segmind", "aimlapi", "minimax")
    listed = {(p, m.name): m.wire_name for p in real for m in models(p) if m.family == "hailuo"}
    assert listed == WIRE_NAMES
    # The emulator speaks Segmind's protocol: same models, its own provider name; and
    # MiniMax's H3 models, on its MiniMax V2 mount.
    assert [(m.name, m.wire_name) for m in models("emulator")] == [
        (m.name, m.wire_name) for m in models("segmind")
    ] + [("h3", "MiniMax-H3"), ("h3-max", "MiniMax-H3-Max")]
    assert {m.provider for m in models("emulator")} == {"emulator"}
    h3 = {(p, m.name): m.wire_name for p in real for m in models(p) if m.family == "h3"}
    assert h3 == {
        ("minimax", "h3"): "MiniMax-H3",
        ("minimax", "h3-max"): "MiniMax-H3-Max",
        ("aimlapi", "h3"): "minimax/h3",
    }


@pytest.mark.parametrize("provider", PROVIDERS)
def test_default_model_is_hailuo_2_3(provider: str) -> None:
    assert default_model(provider) == "hailuo-2.3"
    assert get_model(provider, None).name == "hailuo-2.3"


@pytest.mark.parametrize(("provider", "name"), sorted(WIRE_NAMES))
def test_wire_names_are_aliases(provider: str, name: str) -> None:
    wire = WIRE_NAMES[(provider, name)]
    assert get_model(provider, wire).name == name
    assert get_model(provider, wire.upper()).name == name
    assert get_model(provider, f" {name} ").name == name


def test_unknown_model_names_choices() -> None:
    with pytest.raises(ValidationError) as info:
        get_model("aimlapi", "hailuo-02-fast")
    assert info.value.field == "model"
    assert str(info.value) == (
        "model: unknown model 'hailuo-02-fast' for aimlapi;"
        " choose one of: hailuo-2.3, hailuo-2.3-fast, hailuo-02, h3"
    )


def test_unknown_provider() -> None:
    with pytest.raises(ValidationError) as info:
        models("runway")
    assert info.value.field == "provider"
    assert "segmind, aimlapi, minimax, fal, replicate, emulator" in str(info.value)


def test_segmind_models_follow_the_seeds_and_the_current_pages() -> None:
    # Parameters and prices from the seeds; typical times from Segmind's current pages
    # (the seeds said 156.71 s, ~115-126 s and 173.29 s).
    h23 = get_model("segmind", "hailuo-2.3")
    assert (h23.durations, h23.resolutions) == ((6, 10), ("768p", "1080p"))
    assert (h23.default_duration, h23.default_resolution) == (6, "768p")
    assert (h23.first_frame, h23.last_frame, h23.options) == (
        "optional", False, frozenset({"prompt_optimizer"}))
    assert (h23.typical_seconds, h23.price_usd) == (140.7, (0.35, 0.70))

    fast = get_model("segmind", "hailuo-2.3-fast")
    assert fast.first_frame == "required"
    assert fast.default_resolution == "1080p"  # the seed page's own default
    assert (fast.typical_seconds, fast.price_usd) == (114.2, (0.24, 0.41))

    f02 = get_model("segmind", "hailuo-02-fast")
    assert (f02.first_frame, f02.last_frame, f02.resolutions) == ("required", True, ())
    assert f02.options == {"prompt_optimizer", "go_fast"}
    assert (f02.typical_seconds, f02.price_usd) == (80.0, (0.13, 0.19))

    h2 = get_model("segmind", "minimax-hailuo-2")
    assert (h2.durations, h2.resolutions, h2.default_duration, h2.default_resolution) == (
        (), (), None, None)
    assert h2.modes == ("standard", "pro") and h2.options == {"prompt_optimizer", "mode"}
    assert (h2.first_frame, h2.last_frame) == ("optional", True)
    assert (h2.typical_seconds, h2.price_usd) == (174.2, (0.39, 0.39))


def test_aimlapi_and_minimax_models() -> None:
    times = {m.name: m.typical_seconds for m in models("aimlapi")}
    assert times["hailuo-2.3-fast"] == 69.0 and times["hailuo-2.3"] == 98.0
    assert 240 <= times["hailuo-02"] <= 540  # "4–9 min"
    def hailuo(provider: str) -> list[ModelSpec]:
        return [m for m in models(provider) if m.family == "hailuo"]

    for provider in ("aimlapi", "minimax"):
        by_name = {m.name: m for m in hailuo(provider)}
        assert by_name["hailuo-2.3-fast"].first_frame == "required"
        assert by_name["hailuo-2.3"].first_frame == "optional"
        assert [m.name for m in hailuo(provider) if m.last_frame] == ["hailuo-02"]
    assert get_model("minimax", "hailuo-02").resolutions == ("512p", "768p", "1080p")
    assert get_model("aimlapi", "hailuo-02").resolutions == ("768p", "1080p")
    assert all(m.options == {"prompt_optimizer", "fast_pretreatment"} for m in hailuo("minimax"))
    assert all(m.options == {"prompt_optimizer"} for m in hailuo("aimlapi"))


def test_h3_models_follow_protocols_more() -> None:
    h3, h3max = get_model("minimax", "MiniMax-H3"), get_model("minimax", "MiniMax-H3-Max")
    assert h3.durations == tuple(range(4, 16)) and h3max.durations == tuple(range(5, 16))
    assert (h3.resolutions, h3max.resolutions) == (("768p", "2k"), ("480p", "768p"))
    assert get_model("aimlapi", "minimax/h3").resolutions == ("2k",)
    assert h3.ratios == ("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
    assert (h3.expansion_modes, h3max.expansion_modes) == ((), ("disabled", "balanced", "quality"))
    assert h3.max_prompt == 7000 and h3.sound and not get_model("minimax", None).sound
    # $0.08/s at 768P, $0.13/s at 2K; H3-Max $0.05/s at 480P, $0.08/s at 768P.
    assert estimate_cost(h3, 10, "768p").usd == 0.8
    assert estimate_cost(h3, 10, "2k").usd == 1.3
    assert estimate_cost(h3max, 5, "480p").usd == 0.25
    assert estimate_cost(h3max, 5, "768p").usd == 0.4
    # Images: H3 first 5 free then $0.04; H3-Max first 2 then $0.074; reference video
    # per started second at the output rate.
    assert estimate_cost(h3, 5, "768p", images=7).usd == 0.48
    assert estimate_cost(h3max, 5, "768p", images=3).usd == 0.474
    assert estimate_cost(h3, 5, "768p", reference_seconds=2.5).usd == 0.64


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_spec_is_consistent(provider: str) -> None:
    for m in models(provider):
        assert m.provider == provider
        if m.family == "h3":
            assert m.options == frozenset() and m.usd_per_second and m.ratios
            assert m.default_duration in m.durations and m.default_resolution in m.resolutions
            continue
        assert m.options <= OPTIONS and "prompt_optimizer" in m.options
        assert ("mode" in m.options) == bool(m.modes)
        assert all(r == r.lower() and r.endswith("p") for r in m.resolutions)
        assert (m.default_duration in m.durations) if m.durations else m.default_duration is None
        if m.resolutions:
            assert m.default_resolution in m.resolutions
        else:
            assert m.default_resolution is None
        assert m.typical_seconds > 0
        low, high = m.price_usd
        assert 0 < low <= high < 1.0


@pytest.mark.parametrize("provider", ["segmind", "aimlapi", "minimax", "emulator"])
def test_ten_seconds_only_at_768p_everywhere(provider: str) -> None:
    for m in models(provider):
        if "1080p" not in m.resolutions:
            continue
        frame = m.first_frame == "required"
        assert m.combination_error(6, "1080p", frame) is None
        assert m.combination_error(10, "768p", frame) is None
        assert m.combination_issue(10, "1080p", frame) == (
            "resolution",
            f"1080p allows only 6 s on {m.name} ({provider}); choose 768p for 10 s",
        )


def test_first_frame_required_and_512p() -> None:
    fast = get_model("segmind", "hailuo-2.3-fast")
    assert fast.combination_issue(6, "768p", False) == (
        "first_frame",
        "hailuo-2.3-fast on segmind needs a first frame image (image-to-video only)",
    )
    assert fast.combination_error(6, "768p", True) is None
    h02 = get_model("minimax", "hailuo-02")
    assert h02.combination_error(6, "512p", True) is None
    assert h02.combination_error(10, "512p", True) is None
    assert h02.combination_issue(6, "512p", False) == (
        "resolution",
        "512p needs a first frame image on hailuo-02 (minimax) (image-to-video only);"
        " choose 768p or 1080p for text-to-video",
    )


def test_estimates() -> None:
    h23 = get_model("segmind", "hailuo-2.3")
    assert estimate_cost(h23, 6, "768p").usd == 0.35
    assert estimate_cost(h23, 10, "768p").usd == 0.70
    assert estimate_cost(h23, 6, "1080p").usd == 0.70
    assert estimate_cost(h23, None, None).usd == 0.35  # defaults: 6 s at 768p
    assert estimate_cost(get_model("segmind", "hailuo-2.3-fast"), None, None).usd == 0.41
    assert estimate_cost(get_model("segmind", "hailuo-02-fast"), 10, None).usd == 0.19
    h2 = get_model("segmind", "minimax-hailuo-2")
    assert estimate_cost(h2, None, None).usd == 0.39
    for provider in PROVIDERS:
        for m in models(provider):
            cost = estimate_cost(m, None, None)
            assert cost.estimated and str(cost).endswith("(estimate)")
