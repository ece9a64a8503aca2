"""The client's model catalog: which models each provider offers and what each one accepts.

Written from ``shared/docs/protocols.md`` and the vendor seeds, **not** imported from the
emulator: the emulator is the oracle that catches this table's mistakes, so the two must
not share code.

Resolutions use our spelling (lower case, ``"768p"``); the provider adapters and
:func:`hailuo_nb.params.wire_payload` turn them into the provider's own.

Example:
    >>> [m.name for m in models("segmind")]
    ['hailuo-2.3', 'hailuo-2.3-fast', 'hailuo-02-fast', 'minimax-hailuo-2']
    >>> spec = get_model("minimax", "MiniMax-Hailuo-2.3")
    >>> spec.name, spec.durations, spec.resolutions
    ('hailuo-2.3', (6, 10), ('768p', '1080p'))
    >>> spec.combination_error(10, "1080p", False)
    '1080p allows only 6 s on hailuo-2.3 (minimax); choose 768p for 10 s'
    >>> str(estimate_cost(spec, 6, "768p"))
    '~$0.28 (estimate)'
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Literal

from .errors import ValidationError
from .hosts import PROVIDERS, host
from .models import Cost

__all__ = [
    "H3_RATIOS",
    "OPTIONS",
    "PROVIDERS",
    "RAW_PREFIX",
    "REGENERATION_USD_PER_S",
    "ModelSpec",
    "default_model",
    "estimate_cost",
    "get_model",
    "models",
    "raw_model",
    "regeneration_cost",
]

OPTIONS: frozenset[str] = frozenset({"prompt_optimizer", "go_fast", "mode", "fast_pretreatment"})
"""The optional switches of the vocabulary; each model takes a subset of them.

Example:
    >>> sorted(OPTIONS)[:2]
    ['fast_pretreatment', 'go_fast']
"""

FirstFrame = Literal["required", "optional", "none"]

H3_RATIOS: tuple[str, ...] = ("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
"""H3's aspect ratios (protocols-more.md §1.2); ``adaptive`` follows the inputs' shape.

Example:
    >>> H3_RATIOS[:3]
    ('adaptive', '21:9', '16:9')
"""

REGENERATION_USD_PER_S = 0.05
"""MiniMax's price of regenerating a 768P H3 video at 2K, per second of the video (§1.10).

Example:
    >>> REGENERATION_USD_PER_S
    0.05
"""


@dataclass(frozen=True)
class ModelSpec:
    """One model as one provider exposes it, in our vocabulary.

    ``durations`` and ``resolutions`` are empty when the model takes no such parameter
    (Segmind's ``minimax-hailuo-2`` decides both itself). ``price_usd`` is the reference
    range per video: low for the shortest duration at the lower resolution, high otherwise.

    Example:
        >>> spec = get_model("segmind", "hailuo-2.3-fast")
        >>> spec.first_frame, spec.default_resolution, spec.wire_name
        ('required', '1080p', 'hailuo-2.3-fast')
    """

    name: str
    provider: str
    wire_name: str
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    default_duration: int | None
    default_resolution: str | None
    first_frame: FirstFrame
    last_frame: bool
    options: frozenset[str]
    modes: tuple[str, ...]
    typical_seconds: float
    price_usd: tuple[float, float]
    # The resolutions at which durations beyond the shortest are allowed, where the host
    # says more than MiniMax's "not at 1080p" (Replicate's hailuo-02: 10 s only at 768p).
    long_resolutions: tuple[str, ...] | None = None
    # Which adapter family speaks for this model, when not the host's own protocol
    # (MiniMax's H3 lives on its V2 API, beside the V1 Hailuo models).
    protocol: str | None = None
    # "hailuo", or "h3": 4-15 s with sound, ratios, references (protocols-more.md §1).
    family: str = "hailuo"
    ratios: tuple[str, ...] = ()
    expansion_modes: tuple[str, ...] = ()
    max_prompt: int = 2000
    # Per-second prices by resolution (H3); empty: ``price_usd`` is per video.
    usd_per_second: tuple[tuple[str, float], ...] = ()
    free_images: int = 0
    usd_per_image: float = 0.0
    # A finished 768P video of this model can be made again at 2K (MiniMax-H3 on V2).
    regenerates: bool = False
    # Local media larger than this many bytes go by upload (MiniMax's mm_file://), the
    # rest inline as data URIs; None: everything inline.
    upload_over: int | None = None

    @property
    def sound(self) -> bool:
        """True when the model's videos carry a sound track (H3).

        Example:
            >>> get_model("minimax", "MiniMax-H3").sound, get_model("minimax", None).sound
            (True, False)
        """
        return self.family == "h3"

    @property
    def label(self) -> str:
        """``"<name> (<provider>)"``, how messages name a model.

        Example:
            >>> get_model("aimlapi", None).label
            'hailuo-2.3 (aimlapi)'
        """
        return f"{self.name} ({self.provider})"

    def combination_issue(
        self,
        duration: int | None,
        resolution: str | None,
        has_first_frame: bool,
        *,
        has_last_frame: bool = False,
    ) -> tuple[str, str] | None:
        """``(field, reason)`` when this mix of values is not allowed, else None.

        Values are assumed individually allowed (each one in ``durations`` /
        ``resolutions``); this checks only how they combine.

        Example:
            >>> get_model("minimax", "hailuo-02").combination_issue(6, "512p", False)[0]
            'resolution'
            >>> get_model("minimax", "hailuo-02").combination_issue(
            ...     6, "512p", True, has_last_frame=True)[1]
            '512p cannot go with a last frame on hailuo-02 (minimax): first + last frame \
videos are 768p or 1080p only'
        """
        if self.first_frame == "required" and not has_first_frame:
            return (
                "first_frame",
                f"{self.name} on {self.provider} needs a first frame image (image-to-video only)",
            )
        if self.first_frame == "none" and has_first_frame:
            return ("first_frame", f"{self.name} on {self.provider} takes no first frame image")
        # MiniMax upstream refuses 1080p + 10 s. We apply that to every provider's Hailuo
        # models: Segmind does not refuse it up front but fails the job later, so refusing
        # here saves the user a failed paid job.
        if duration is not None and duration > 6 and resolution == "1080p":
            return (
                "resolution",
                f"1080p allows only 6 s on {self.label}; choose 768p for {duration} s",
            )
        longer = duration is not None and bool(self.durations) and duration > min(self.durations)
        if longer and self.long_resolutions is not None and resolution not in (
            *self.long_resolutions,
            None,
        ):
            return (
                "resolution",
                f"{duration} s is only available at {' or '.join(self.long_resolutions)}"
                f" on {self.label}; choose it, or {min(self.durations)} s",
            )
        # 512P exists only for Hailuo-02 image-to-video (MiniMax's matrix).
        if resolution == "512p" and not has_first_frame:
            others = " or ".join(r for r in self.resolutions if r != "512p")
            return (
                "resolution",
                f"512p needs a first frame image on {self.label} (image-to-video only);"
                f" choose {others} for text-to-video",
            )
        # MiniMax's first + last frame generation lists 768P and 1080P only: its API refuses
        # 512P there (2013), so it is refused here, before anything is sent or paid.
        if resolution == "512p" and has_last_frame:
            others = " or ".join(r for r in self.resolutions if r != "512p")
            return (
                "resolution",
                f"512p cannot go with a last frame on {self.label}: first + last frame"
                f" videos are {others} only",
            )
        return None

    def combination_error(
        self,
        duration: int | None,
        resolution: str | None,
        has_first_frame: bool,
        *,
        has_last_frame: bool = False,
    ) -> str | None:
        """The reason this mix of duration, resolution and first frame is refused, or None.

        Example:
            >>> spec = get_model("segmind", "hailuo-2.3")
            >>> spec.combination_error(6, "1080p", False) is None
            True
            >>> spec.combination_error(10, "1080p", False)
            '1080p allows only 6 s on hailuo-2.3 (segmind); choose 768p for 10 s'
        """
        issue = self.combination_issue(
            duration, resolution, has_first_frame, has_last_frame=has_last_frame
        )
        return None if issue is None else issue[1]


def _spec(
    name: str,
    provider: str,
    wire_name: str,
    *,
    first_frame: FirstFrame,
    typical_seconds: float,
    price_usd: tuple[float, float],
    durations: tuple[int, ...] = (6, 10),
    resolutions: tuple[str, ...] = ("768p", "1080p"),
    default_resolution: str | None = "768p",
    last_frame: bool = False,
    options: tuple[str, ...] = ("prompt_optimizer",),
    modes: tuple[str, ...] = (),
    long_resolutions: tuple[str, ...] | None = None,
) -> ModelSpec:
    return ModelSpec(
        name=name,
        provider=provider,
        wire_name=wire_name,
        durations=durations,
        resolutions=resolutions,
        default_duration=durations[0] if durations else None,
        default_resolution=default_resolution if resolutions else None,
        first_frame=first_frame,
        last_frame=last_frame,
        options=frozenset(options),
        modes=modes,
        typical_seconds=typical_seconds,
        price_usd=price_usd,
        long_resolutions=long_resolutions,
    )


# Segmind: prices are the figures printed on the seed model pages; typical times are those
# of Segmind's current pages (hailuo-2.3 ~140.7 s, 2.3-fast ~114.2 s, minimax-hailuo-2
# ~174.2 s; the seeds had 156.71, "~115–126" and 173.29 s). 02-fast: the seed's ~80 s.
_SEGMIND = (
    _spec(
        "hailuo-2.3",
        "segmind",
        "hailuo-2.3",
        first_frame="optional",
        typical_seconds=140.7,
        price_usd=(0.35, 0.70),
    ),
    # The page's default resolution is 1080p (unlike hailuo-2.3).
    _spec(
        "hailuo-2.3-fast",
        "segmind",
        "hailuo-2.3-fast",
        first_frame="required",
        default_resolution="1080p",
        typical_seconds=114.2,
        price_usd=(0.24, 0.41),
    ),
    # No resolution parameter on this page; go_fast trades quality for speed (default off).
    _spec(
        "hailuo-02-fast",
        "segmind",
        "hailuo-02-fast",
        first_frame="required",
        resolutions=(),
        last_frame=True,
        options=("prompt_optimizer", "go_fast"),
        typical_seconds=80.0,
        price_usd=(0.13, 0.19),
    ),
    # Neither duration nor resolution: the model decides (mode picks quality); one price.
    _spec(
        "minimax-hailuo-2",
        "segmind",
        "minimax-hailuo-2",
        first_frame="optional",
        durations=(),
        resolutions=(),
        last_frame=True,
        options=("prompt_optimizer", "mode"),
        modes=("standard", "pro"),
        typical_seconds=174.2,
        price_usd=(0.39, 0.39),
    ),
)

# MiniMax publishes no typical times. The AI/ML API resells these same models and its
# docs time them (2.3-fast ~69 s, 2.3 ~98 s, 02 4–9 min); we take those, rounded up a
# little, and the short end of 02's range since a direct call skips the reseller's queue.
# Prices: MiniMax's public list prices per video (2.3: $0.28 at 768P 6 s, $0.56 at 10 s,
# $0.49 at 1080P; 2.3-Fast: $0.19 / $0.32 / $0.33; 02: $0.28 / $0.56 / $0.49, 512P less).
# 02's low figure is the 768P one, so a 512P job is over-estimated: safer for budgets.
_MINIMAX_OPTIONS = ("prompt_optimizer", "fast_pretreatment")
_MINIMAX = (
    _spec(
        "hailuo-2.3",
        "minimax",
        "MiniMax-Hailuo-2.3",
        first_frame="optional",
        options=_MINIMAX_OPTIONS,
        typical_seconds=100.0,
        price_usd=(0.28, 0.56),
    ),
    _spec(
        "hailuo-2.3-fast",
        "minimax",
        "MiniMax-Hailuo-2.3-Fast",
        first_frame="required",
        options=_MINIMAX_OPTIONS,
        typical_seconds=70.0,
        price_usd=(0.19, 0.33),
    ),
    _spec(
        "hailuo-02",
        "minimax",
        "MiniMax-Hailuo-02",
        first_frame="optional",
        resolutions=("512p", "768p", "1080p"),
        last_frame=True,
        options=_MINIMAX_OPTIONS,
        typical_seconds=240.0,
        price_usd=(0.28, 0.56),
    ),
)

# AI/ML API: times from its docs. Prices are MiniMax's plus ~5 %: the seed's 2.3-fast
# submit reported 399000 credits used, i.e. $0.1995 at 2,000,000 credits per dollar
# against MiniMax's $0.19.
_AIMLAPI = (
    _spec(
        "hailuo-2.3",
        "aimlapi",
        "minimax/hailuo-2.3",
        first_frame="optional",
        typical_seconds=98.0,
        price_usd=(0.29, 0.59),
    ),
    _spec(
        "hailuo-2.3-fast",
        "aimlapi",
        "minimax/hailuo-2.3-fast",
        first_frame="required",
        typical_seconds=69.0,
        price_usd=(0.20, 0.35),
    ),
    # "4–9 min" in the docs: 6.5 min as the typical figure.
    _spec(
        "hailuo-02",
        "aimlapi",
        "minimax/hailuo-02",
        first_frame="optional",
        last_frame=True,
        typical_seconds=390.0,
        price_usd=(0.29, 0.59),
    ),
)

# fal.ai: one model per Hailuo family; the endpoint is picked per request, so the wire
# name is a template the fal adapter fills: {tier} is "pro" at 1080p, else "standard";
# {kind} is "image-to-video" with a first frame, else "text-to-video"; {i2v} is
# "/image-to-video" with a first frame (the video-01 family). Prices are fal's where the
# notes give them (2.3 standard $0.28 / $0.56), else MiniMax's list prices; the low figure
# is the cheapest standard clip, the high one the dearer of 10 s and 1080p. Typical times:
# MiniMax's (fal resells the same jobs; its own queue adds little).
_FAL = (
    _spec(
        "hailuo-2.3",
        "fal",
        "fal-ai/minimax/hailuo-2.3/{tier}/{kind}",
        first_frame="optional",
        typical_seconds=100.0,
        price_usd=(0.28, 0.56),
    ),
    _spec(
        "hailuo-2.3-fast",
        "fal",
        "fal-ai/minimax/hailuo-2.3-fast/{tier}/image-to-video",
        first_frame="required",
        typical_seconds=70.0,
        price_usd=(0.19, 0.33),
    ),
    # 512p and a last frame: the standard image-to-video endpoint (and pro's, at 1080p).
    _spec(
        "hailuo-02",
        "fal",
        "fal-ai/minimax/hailuo-02/{tier}/{kind}",
        first_frame="optional",
        resolutions=("512p", "768p", "1080p"),
        last_frame=True,
        typical_seconds=240.0,
        price_usd=(0.28, 0.49),
    ),
    # 512p, image-to-video only; no resolution field.
    _spec(
        "hailuo-02-fast",
        "fal",
        "fal-ai/minimax/hailuo-02-fast/image-to-video",
        first_frame="required",
        resolutions=(),
        typical_seconds=80.0,
        price_usd=(0.10, 0.17),
    ),
    *(
        _spec(
            name,
            "fal",
            f"fal-ai/minimax/{name}{{i2v}}",
            first_frame="optional",
            durations=(),
            resolutions=(),
            typical_seconds=180.0,
            price_usd=(0.50, 0.50),
        )
        for name in ("video-01", "video-01-live", "video-01-director")
    ),
)

# Replicate: its official MiniMax models by name (protocols-more.md 4.5); durations are
# integers and resolutions lower case there. hailuo-02 defaults to 1080p on Replicate; we
# always send a resolution, so our default (768p) holds. Its 10 s clips are 768p only, and
# 02-fast makes 512p clips of 6 s. Prices: MiniMax's list prices (Replicate's pages were
# not captured with prices); times as MiniMax's.
_REPLICATE = (
    _spec(
        "hailuo-2.3",
        "replicate",
        "minimax/hailuo-2.3",
        first_frame="optional",
        typical_seconds=100.0,
        price_usd=(0.28, 0.56),
    ),
    _spec(
        "hailuo-2.3-fast",
        "replicate",
        "minimax/hailuo-2.3-fast",
        first_frame="required",
        typical_seconds=70.0,
        price_usd=(0.19, 0.33),
    ),
    _spec(
        "hailuo-02",
        "replicate",
        "minimax/hailuo-02",
        first_frame="optional",
        resolutions=("512p", "768p", "1080p"),
        last_frame=True,
        typical_seconds=240.0,
        price_usd=(0.28, 0.49),
        long_resolutions=("768p",),
    ),
    _spec(
        "hailuo-02-fast",
        "replicate",
        "minimax/hailuo-02-fast",
        first_frame="required",
        durations=(6,),
        resolutions=(),
        options=("prompt_optimizer", "go_fast"),
        typical_seconds=80.0,
        price_usd=(0.10, 0.10),
    ),
    *(
        _spec(
            name,
            "replicate",
            f"minimax/{name}",
            first_frame="optional",
            durations=(),
            resolutions=(),
            typical_seconds=180.0,
            price_usd=(0.50, 0.50),
        )
        for name in ("video-01", "video-01-live", "video-01-director")
    ),
)


def _h3(
    name: str,
    provider: str,
    wire_name: str,
    *,
    resolutions: tuple[str, ...],
    rates: tuple[float, ...],
    durations: tuple[int, ...] = tuple(range(4, 16)),
    protocol: str | None = None,
    free_images: int = 5,
    usd_per_image: float = 0.04,
    expansion_modes: tuple[str, ...] = (),
    default_duration: int = 6,
    regenerates: bool = False,
    upload_over: int | None = None,
) -> ModelSpec:
    # Defaults: 6 s (AI/ML's default) at the cheaper resolution: the notebook's workflow
    # is cheap drafts first, then 2K of the best one (regeneration).
    spec = _spec(
        name,
        provider,
        wire_name,
        first_frame="optional",
        durations=durations,
        resolutions=resolutions,
        default_resolution=resolutions[-1] if len(resolutions) == 1 else "768p",
        last_frame=True,
        options=(),
        # protocols-more.md §1.10: 768P 60-160 s, 2K 160-330 s; a middle figure.
        typical_seconds=110.0,
        price_usd=(min(rates) * durations[0], max(rates) * durations[-1]),
    )
    return dataclasses.replace(
        spec,
        default_duration=default_duration,
        protocol=protocol,
        family="h3",
        ratios=H3_RATIOS,
        expansion_modes=expansion_modes,
        max_prompt=7000,
        usd_per_second=tuple(zip(resolutions, rates, strict=True)),
        free_images=free_images,
        usd_per_image=usd_per_image,
        regenerates=regenerates,
        upload_over=upload_over,
    )


# A local file over 8 MB goes by upload (a data URI is 4/3 of it): twelve references
# could not fit MiniMax's 64 MB body inline, and one upload is cheaper to retry than a
# whole create.
_V2_UPLOAD_OVER = 8 << 20

# MiniMax's H3 on its V2 API (protocols-more.md §1): pay-as-you-go prices, reference
# images past the free ones paid, reference video at the output rate, audio free.
_MINIMAX_H3 = (
    _h3(
        "h3",
        "minimax",
        "MiniMax-H3",
        resolutions=("768p", "2k"),
        rates=(0.08, 0.13),
        protocol="minimax_v2",
        regenerates=True,
        upload_over=_V2_UPLOAD_OVER,
    ),
    _h3(
        "h3-max",
        "minimax",
        "MiniMax-H3-Max",
        resolutions=("480p", "768p"),
        rates=(0.05, 0.08),
        durations=tuple(range(5, 16)),
        protocol="minimax_v2",
        upload_over=_V2_UPLOAD_OVER,
        free_images=2,
        usd_per_image=0.074,
        expansion_modes=("disabled", "balanced", "quality"),
    ),
)
# AI/ML's minimax/h3: 2K only; no AI/ML price is published for it, MiniMax's 2K rate is
# taken (as the emulator does).
_AIMLAPI_H3 = (
    _h3("h3", "aimlapi", "minimax/h3", resolutions=("2k",), rates=(0.13,)),
)

# fal's H3 app (protocols-more.md §3): its endpoint is picked per request like Hailuo's
# ({kind}: text-, image- or reference-to-video); integer durations 5-15; fal's later
# per-second prices (768P $0.06, 2K $0.13). Status and result live under the app
# ``minimax/h3``, not ``fal-ai/minimax``: the fal adapter keeps the app in the job id.
_FAL_H3 = (
    _h3(
        "h3",
        "fal",
        "minimax/h3/{kind}",
        resolutions=("768p", "2k"),
        rates=(0.06, 0.13),
        durations=tuple(range(5, 16)),
        free_images=12,  # fal prices H3 per second only (as far as published)
    ),
    # H3 Max on fal: 480P/768P at $0.05/$0.08 per s (the doc's figures), prompt expansion,
    # reference images only (no clips or sound as references there).
    _h3(
        "h3-max",
        "fal",
        "minimax/h3-max/{kind}",
        resolutions=("480p", "768p"),
        rates=(0.05, 0.08),
        durations=tuple(range(5, 16)),
        free_images=12,
        expansion_modes=("disabled", "balanced", "quality"),
    ),
)
# Replicate's H3 models (§4.5): durations 4-15, ``ratio`` (adaptive with a frame),
# references as URL lists; h3-lite is 768P only. ``minimax/h3-max`` is not there (404).
_REPLICATE_H3 = (
    # Priced per second only (as far as published): no reference image is paid apart.
    _h3(
        "h3",
        "replicate",
        "minimax/h3",
        resolutions=("768p", "2k"),
        rates=(0.08, 0.13),
        free_images=12,
    ),
    _h3(
        "h3-lite",
        "replicate",
        "minimax/h3-lite",
        resolutions=("768p",),
        rates=(0.05,),
        free_images=12,
    ),
)

_CATALOG: dict[str, tuple[ModelSpec, ...]] = {
    "segmind": _SEGMIND,
    "aimlapi": _AIMLAPI + _AIMLAPI_H3,
    "minimax": _MINIMAX + _MINIMAX_H3,
    "fal": _FAL + _FAL_H3,
    "replicate": _REPLICATE + _REPLICATE_H3,
    # Same models and wire format as Segmind; only the provider name differs, so the
    # job records and messages say "emulator". H3 is served there on the emulator's
    # MiniMax V2 mount (hosts.Host.url_for).
    "emulator": tuple(dataclasses.replace(s, provider="emulator") for s in _SEGMIND + _MINIMAX_H3),
}

_DEFAULTS = {
    "segmind": "hailuo-2.3",
    "aimlapi": "hailuo-2.3",
    "minimax": "hailuo-2.3",
    "emulator": "hailuo-2.3",
    "fal": "hailuo-2.3",
    "replicate": "hailuo-2.3",
}


def _check_provider(provider: str) -> None:
    host(provider)  # one line naming the providers, for an unknown one


def models(provider: str) -> list[ModelSpec]:
    """The models ``provider`` offers, default first.

    Example:
        >>> [m.wire_name for m in models("aimlapi")]
        ['minimax/hailuo-2.3', 'minimax/hailuo-2.3-fast', 'minimax/hailuo-02', 'minimax/h3']
    """
    _check_provider(provider)
    return list(_CATALOG[provider])


def default_model(provider: str) -> str:
    """The model used when none is named: the full (not fast) Hailuo 2.3 everywhere.

    Example:
        >>> default_model("minimax")
        'hailuo-2.3'
    """
    _check_provider(provider)
    return _DEFAULTS[provider]


def get_model(provider: str, name: str | None) -> ModelSpec:
    """Look a model up by our name or the provider's wire name (case-insensitive).

    ``None`` gives the provider's default model.

    Example:
        >>> get_model("aimlapi", "minimax/hailuo-02").name
        'hailuo-02'
        >>> get_model("segmind", "hailuo-02")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: model: unknown model 'hailuo-02' for segmind; \
choose one of: hailuo-2.3, hailuo-2.3-fast, hailuo-02-fast, minimax-hailuo-2
    """
    _check_provider(provider)
    if name is None:
        name = _DEFAULTS[provider]
    if not isinstance(name, str):
        raise ValidationError("model", f"must be a model name, got {type(name).__name__}")
    if name.strip().lower().startswith(RAW_PREFIX):
        return raw_model(provider, name.strip()[len(RAW_PREFIX) :])
    key = name.strip().lower()
    for spec in _CATALOG[provider]:
        if key in (spec.name, spec.wire_name.lower()):
            return spec
    names = ", ".join(s.name for s in _CATALOG[provider])
    raise ValidationError("model", f"unknown model {name!r} for {provider}; choose one of: {names}")


def estimate_cost(
    spec: ModelSpec,
    duration: int | None,
    resolution: str | None,
    *,
    images: int = 0,
    reference_seconds: float = 0.0,
) -> Cost:
    """Estimated price of one video: low for the shortest clip at the lower resolution,
    high for a longer clip or 1080p. Missing values mean the model's defaults.

    Models priced per second (H3) cost the rate times the duration, plus the images
    past the free ones (``images`` counts frames and reference images) and the started
    seconds of reference video at the same rate (protocols-more.md §1.10).

    Example:
        >>> spec = get_model("segmind", "hailuo-2.3")
        >>> estimate_cost(spec, 6, "768p").usd, estimate_cost(spec, 10, "768p").usd
        (0.35, 0.7)
        >>> estimate_cost(spec, 6, "1080p")
        Cost(usd=0.7, estimated=True)
        >>> estimate_cost(get_model("minimax", "MiniMax-H3"), 10, "2k", images=6)
        Cost(usd=1.34, estimated=True)
    """
    low, high = spec.price_usd
    duration = spec.default_duration if duration is None else duration
    resolution = spec.default_resolution if resolution is None else resolution
    rates = dict(spec.usd_per_second)
    if rates:
        rate = rates.get(resolution or "", max(rates.values()))
        paid = max(0, images - spec.free_images) * spec.usd_per_image
        seconds = (duration or 0) + math.ceil(round(reference_seconds, 2))
        return Cost(round(rate * seconds + paid, 4), estimated=True)
    longer = bool(spec.durations) and duration is not None and duration > min(spec.durations)
    return Cost(high if longer or resolution == "1080p" else low, estimated=True)


RAW_PREFIX = "raw:"
"""A model the catalog does not know yet: ``raw:<the provider's id>``, sent as given.

Example:
    >>> get_model("segmind", "raw:minimax-h3-text-to-video").wire_name
    'minimax-h3-text-to-video'
"""

_RAW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,199}$")


def raw_model(provider: str, model_id: str) -> ModelSpec:
    """A model the catalog does not know: its id as given, no parameters of ours, and
    priced as the provider's dearest known video (an unknown price is never taken as
    cheap: budgets stay safe).

    Example:
        >>> spec = raw_model("segmind", "minimax-h3-text-to-video")
        >>> spec.name, spec.family, spec.price_usd
        ('raw:minimax-h3-text-to-video', 'raw', (0.7, 0.7))
        >>> raw_model("segmind", "two words")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: model: 'raw:two words' is not a model id \
(letters, digits and . _ / : @ -)
    """
    _check_provider(provider)
    if not _RAW_ID.match(model_id):
        raise ValidationError(
            "model",
            f"{RAW_PREFIX + model_id!r} is not a model id (letters, digits and . _ / : @ -)",
        )
    known = _CATALOG[provider]
    dearest = max(s.price_usd[1] for s in known)
    return ModelSpec(
        name=RAW_PREFIX + model_id,
        provider=provider,
        wire_name=model_id,
        durations=(),
        resolutions=(),
        default_duration=None,
        default_resolution=None,
        first_frame="none",
        last_frame=False,
        options=frozenset(),
        modes=(),
        typical_seconds=max(s.typical_seconds for s in known),
        price_usd=(dearest, dearest),
        family="raw",
    )


def regeneration_cost(duration: int | None) -> Cost:
    """Estimated price of regenerating a finished 768P H3 video at 2K (per second).

    Example:
        >>> regeneration_cost(8)
        Cost(usd=0.4, estimated=True)
    """
    return Cost(round(REGENERATION_USD_PER_S * (duration or 6), 4), estimated=True)
