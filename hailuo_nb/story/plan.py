"""A storyboard's shots and its plan: every shot validated and priced before anything is sent.

A later shot starts from the last frame of the one before, which exists only once that
shot's video does. So the plan walks the chain: while the shots before are shown again
from earlier jobs (their videos are on disk), their last frames are extracted now and
the next shot is prepared exactly as it will be sent, which tells whether it too is free.
From the first shot that must be paid for, the shots after it are checked with a
stand-in first frame (the model must take one: checked here, naming the shot) and priced
as paid, since their first frames will be new pictures.

Example:
    >>> shots = build_shots(["a fox wakes up", {"prompt": "it runs", "duration": 10}],
    ...                     {"model": "hailuo-2.3"})
    >>> [(s.index, s.prompt, s.params) for s in shots]
    [(1, 'a fox wakes up', {'model': 'hailuo-2.3'}), (2, 'it runs', {'model': 'hailuo-2.3', \
'duration': 10})]
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import HailuoError, ValidationError
from ..models import Cost, Job
from ..prepared import Prepared
from .frames import save_last_frame

__all__ = [
    "Shot",
    "ShotError",
    "StoryPlan",
    "build_shots",
    "make_story_plan",
    "pick_key",
    "split_variants",
]

_VARIANT_LINE = re.compile(r"^[ \t]*~{3,}[ \t]*$", re.MULTILINE)


def split_variants(text: str) -> list[str]:
    """A shot's text in a cell or file: candidate prompts separated by lines of ``~~~``.

    Example:
        >>> split_variants("the fox steps out\\n~~~\\nthe fox jumps out\\n")
        ['the fox steps out', 'the fox jumps out']
        >>> split_variants("one prompt")
        ['one prompt']
    """
    return [part.strip() for part in _VARIANT_LINE.split(text) if part.strip()] or [text]


#: Keys of a shot's dict that are not request parameters.
_OWN = ("prompt", "prompts", "new")


class ShotError(ValidationError):
    """A shot of a storyboard is invalid; nothing was sent. One line naming shot and field.

    Example:
        >>> str(ShotError(2, "it runs", ValidationError("duration", "must be 6 or 10 s")))
        'shot 2 (it runs): duration: must be 6 or 10 s'
    """

    def __init__(self, shot: int, label: str, error: ValidationError) -> None:
        super().__init__(error.field, error.message)
        self.shot = shot
        line = f"shot {shot} ({label}): {error}"
        if shot > 1 and error.field == "first_frame":
            line += f" (shot {shot} starts from the last frame of shot {shot - 1})"
        self.args = (line,)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class Shot:
    """One shot: its number (from 1), prompt, parameters, and whether to ask for a fresh
    sample (``new``) where an identical earlier job would be shown again.

    Example:
        >>> Shot(1, "a red fox running through the snow at dawn", {}).label()
        'a red fox running through the snow at d…'
    """

    index: int
    prompt: str
    params: dict[str, Any] = field(default_factory=dict)
    new: bool = False
    variants: list[str] = field(default_factory=list)  # candidate prompts, when several

    def candidates(self) -> list[str]:
        """The prompts this shot tries: its variants, or its one prompt.

        Example:
            >>> Shot(1, "a", variants=["a", "b"]).candidates(), Shot(2, "c").candidates()
            (['a', 'b'], ['c'])
        """
        return list(self.variants) or [self.prompt]

    def label(self, limit: int = 40) -> str:
        """The prompt, shortened to ``limit`` characters.

        Example: see the class.
        """
        text = " ".join(self.prompt.split())
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_shots(
    shots: Sequence[str | Mapping[str, Any]],
    common: Mapping[str, Any] | None = None,
    first_frame: Any = None,
) -> list[Shot]:
    """Shots from prompts or dicts (``{"prompt": ..., "duration": 10, "new": True}``).

    ``common`` applies to every shot (a shot's own keys win); ``first_frame`` belongs to
    shot 1 only: every later shot starts from the last frame of the one before.

    Example:
        >>> build_shots(["a", {"prompt": "b", "first_frame": "x.png"}])
        Traceback (most recent call last):
        ...
        hailuo_nb.story.plan.ShotError: shot 2 (b): first_frame: give a first frame only \
to shot 1 (shot 2 starts from the last frame of shot 1)
    """
    if isinstance(shots, str) or not shots:
        raise HailuoError("a storyboard needs a list of shots (prompts, or dicts with a prompt)")
    out = []
    for n, raw in enumerate(shots, start=1):
        own: dict[str, Any] = {"prompt": raw} if isinstance(raw, str) else dict(raw)
        variants = _variants(n, own)
        prompt = variants[0] if variants else own.get("prompt")
        label = prompt if isinstance(prompt, str) else "?"
        if not isinstance(prompt, str) or not prompt.strip():
            raise ShotError(n, label, ValidationError("prompt", "each shot needs a prompt"))
        if "provider" in own:
            raise ShotError(
                n, label, ValidationError("provider", "one provider for the whole storyboard")
            )
        params = {k: v for k, v in (common or {}).items() if v is not None}
        params.update({k: v for k, v in own.items() if k not in _OWN})
        if n == 1 and first_frame is not None and "first_frame" not in own:
            params["first_frame"] = first_frame
        if n > 1 and params.get("first_frame") is not None:
            raise ShotError(
                n, label, ValidationError("first_frame", "give a first frame only to shot 1")
            )
        if n > 1:
            params.pop("first_frame", None)  # a None left by common options
        new = bool(own.get("new", False))
        out.append(Shot(n, prompt.strip(), params, new=new, variants=variants))
    return out


def _variants(n: int, own: Mapping[str, Any]) -> list[str]:
    """A shot's candidate prompts (``"prompts": [...]``), checked; [] for a single prompt."""
    listed = own.get("prompts")
    if listed is None:
        return []
    label = str(listed[0]) if isinstance(listed, list) and listed else "?"
    if "prompt" in own:
        raise ShotError(n, label, ValidationError("prompts", "give prompt or prompts, not both"))
    if (
        not isinstance(listed, list)
        or len(listed) < 2
        or not all(isinstance(p, str) and p.strip() for p in listed)
    ):
        raise ShotError(
            n, label, ValidationError("prompts", "a list of two or more candidate prompts")
        )
    return [p.strip() for p in listed]


class _Preparer(Protocol):
    def prepare(self, prompt: str, *, new: bool = False, **params: Any) -> Prepared: ...


@dataclass
class StoryPlan:
    """The validated shots, each one's estimate and prepared request, and what is free.

    ``prepared[i]`` holds one prepared request per candidate of shot ``i``, or None for a
    shot whose first frame is not known yet (it is prepared when the shot before is
    done); ``reused[i]`` is ``"job <id>"`` (``"jobs <id>, <id>"`` for variants) for a shot
    shown again from earlier jobs, None for one that will be paid for; ``estimates[i]``
    is what shot ``i`` will cost (every candidate of it that is paid for).

    Example:
        >>> p = StoryPlan([Shot(1, "a"), Shot(2, "b")], [None, None],
        ...               [Cost(0.35), Cost(0.35)], ["job 5f3a", None])
        >>> p.total_usd, p.to_send, p.describe()
        (0.35, 1, '2 shots · estimated ~$0.35 · shot 1 shown again from an earlier job')
        >>> p.lines()
        ['  1. a  $0 (shows job 5f3a again)', '  2. b  ~$0.35']
    """

    shots: list[Shot]
    prepared: list[list[Prepared] | None]
    estimates: list[Cost]
    reused: list[str | None]
    resolved: list[dict[str, Any]] = field(default_factory=list)  # each shot's parameters
    picks: dict[int, int] = field(default_factory=dict)  # remembered: shot -> variant (1-)

    @property
    def total_usd(self) -> float:
        """The estimated total in USD of the shots that will be paid for.

        Example: see the class.
        """
        paid = (c.usd for c, r in zip(self.estimates, self.reused, strict=True) if r is None)
        return round(sum(paid), 4)

    @property
    def full_usd(self) -> float:
        """The estimated total with every shot paid for.

        Example: see the class.
        """
        return round(sum(c.usd for c in self.estimates), 4)

    @property
    def to_send(self) -> int:
        """How many shots will be paid for.

        Example: see the class.
        """
        return sum(1 for r in self.reused if r is None)

    def describe(self) -> str:
        """One line: how many shots, the estimate of what will be paid, what is free.

        Example: see the class.
        """
        n = len(self.shots)
        line = f"{n} shot{'s' if n != 1 else ''} · estimated ~${self.total_usd:.2f}"
        again = [s.index for s, r in zip(self.shots, self.reused, strict=True) if r]
        if again:
            which = _ranges(again)
            line += f" · shot{'s' if len(again) > 1 else ''} {which} shown again from " + (
                "an earlier job" if len(again) == 1 else "earlier jobs"
            )
        return line

    def lines(self) -> list[str]:
        """One line per shot: number, prompt, estimate (or the job it shows again).

        Example: see the class.
        """
        return [
            f"{s.index:3d}. {s.label()}{_choice(s, self.picks.get(s.index))}  "
            + (f"~${e.usd:.2f}" if r is None else f"$0 (shows {r} again)")
            for s, e, r in zip(self.shots, self.estimates, self.reused, strict=True)
        ]


def make_story_plan(
    shots: list[Shot],
    client: _Preparer,
    *,
    reuse: bool = True,
    new: bool = False,
    picks: Mapping[str, int] | None = None,
) -> StoryPlan:
    """Validate and price every shot; extract the last frames of shots shown again.

    ``reuse`` is the client's ``reuse == "always"``; ``new`` asks for fresh samples of
    every shot; ``picks`` are the remembered picks (:func:`pick_key` → variant), which
    let the chain go on past a shot of variants. Raises :class:`ShotError` for the first
    invalid shot. Nothing is sent.

    Example:
        >>> import tempfile
        >>> from hailuo_nb import Client
        >>> client = Client("emulator", environ={}, output_dir=tempfile.mkdtemp())
        >>> plan = make_story_plan(build_shots(["a fox", "it runs"]), client)
        >>> plan.total_usd, plan.prepared[1] is None
        (0.7, True)
        >>> make_story_plan(build_shots(["a fox", {"prompt": "x", "duration": 7}]), client)
        Traceback (most recent call last):
        ...
        hailuo_nb.story.plan.ShotError: shot 2 (x): duration: must be 6 or 10 s on \
hailuo-2.3 (emulator), got 7
    """
    prepared: list[list[Prepared] | None] = []
    reused: list[str | None] = []
    estimates: list[Cost] = []
    resolved: list[dict[str, Any]] = []
    chosen: dict[int, int] = {}
    before: str | None = None  # the video of the shot before, when it is known now
    for shot in shots:
        # A fresh sample of every shot: marked on the shot, which is prepared again (with
        # its real first frame) when the shot before is done.
        shot.new = shot.new or new
        params = dict(shot.params)
        known = shot.index == 1 or before is not None
        if shot.index > 1:
            params["first_frame"] = str(save_last_frame(before)) if before else _stand_in()
        ps: list[Prepared] = []
        for prompt in shot.candidates():
            try:
                ps.append(client.prepare(prompt, new=shot.new, **params))
            except ValidationError as exc:
                raise ShotError(shot.index, _short(prompt), exc) from None
        found = [p.reusable if known and reuse and not p.new else None for p in ps]
        paid = [p.estimate.usd for p, f in zip(ps, found, strict=True) if f is None]
        prepared.append(ps if known else None)
        estimates.append(Cost(round(sum(paid) if paid else sum(p.estimate.usd for p in ps), 4)))
        resolved.append({k: v for k, v in ps[0].params.items() if k != "first_frame" or known})
        ids = [f.id for f in found if f is not None]
        reused.append(None if paid else ("job " if len(ids) == 1 else "jobs ") + ", ".join(ids))
        pick: int | None = 1
        if len(ps) > 1:
            pick = picks.get(pick_key(ps)) if picks is not None and known else None
            if pick is not None:
                chosen[shot.index] = pick
        before = _video_of(found[pick - 1]) if pick is not None else None
    return StoryPlan(shots, prepared, estimates, reused, resolved, chosen)


def pick_key(candidates: Sequence[Prepared]) -> str:
    """What a remembered pick is filed under: the candidates' fingerprints (prompts,
    settings and the first frame's content), so an edit upstream asks again.

    Example:
        >>> from hailuo_nb import Client
        >>> c = Client("emulator", environ={})
        >>> len(pick_key([c.prepare("a"), c.prepare("b")]))
        24
    """
    digest = hashlib.sha256("|".join(p.fingerprint for p in candidates).encode())
    return digest.hexdigest()[:24]


def _choice(shot: Shot, pick: int | None) -> str:
    if not shot.variants:
        return ""
    n = len(shot.variants)
    return f" ({n} variants, picked {pick})" if pick else f" ({n} variants, to pick)"


def _short(text: str, limit: int = 40) -> str:
    return Shot(0, text).label(limit)


def _video_of(job: Job | None) -> str | None:
    if job is None or job.status != "completed" or not job.video_path:
        return None
    return job.video_path if os.path.exists(job.video_path) else None


def _stand_in() -> Any:
    """A neutral picture standing in for a first frame not made yet: checks the model."""
    from PIL import Image

    return Image.new("RGB", (1280, 720), (128, 128, 128))


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` → ``'1–3, 5'``."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)
