"""A comparison's plan: every tile to send, what differs between them, the estimated cost.

Pure except for asking each provider's client to prepare a request (validate, price,
look for an identical earlier job; no I/O): the whole plan is checked before anything is
sent, a mistake names its tile, and each tile's prepared request is what is later sent.

Example:
    >>> cells = build_cells(["a fox", "an owl"], models=["hailuo-2.3", "minimax-hailuo-2"])
    >>> [c.label() for c in cells]
    ['a fox · hailuo-2.3', 'a fox · minimax-hailuo-2', 'an owl · hailuo-2.3', \
'an owl · minimax-hailuo-2']
    >>> axes_text(cells)
    '2 prompts × 2 models'
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import TileError, ValidationError
from ..models import Cost
from ..prepared import Prepared

__all__ = [
    "Cell",
    "Plan",
    "TileError",
    "axes_text",
    "build_cells",
    "differing",
    "make_plan",
]

# Caption order: the axes people compare most, then the rest alphabetically.
_ORDER = ("prompt", "provider", "model", "duration", "resolution", "mode")
_AXES = (("prompt", "prompts"), ("provider", "providers"), ("model", "models"),
         ("duration", "durations"), ("resolution", "resolutions"))  # fmt: skip


@dataclass
class Cell:
    """One tile: its number (from 1), prompt, provider (None: the session's) and settings.

    ``differs`` names what sets this tile apart from the others (filled by
    :func:`build_cells`); the caption shows only those.

    Example:
        >>> c = Cell(1, "a fox", None, {"model": "hailuo-2.3", "duration": 6},
        ...          differs=("model", "duration"))
        >>> c.caption(), c.value("prompt")
        ([('model', 'hailuo-2.3'), ('duration', '6 s')], 'a fox')
    """

    index: int
    prompt: str
    provider: str | None
    params: dict[str, Any]
    differs: tuple[str, ...] = ()

    def value(self, key: str) -> Any:
        """The requested value of ``key`` (``prompt``, ``provider`` or a parameter).

        Example:
            >>> Cell(1, "x", "emulator", {}).value("provider")
            'emulator'
        """
        if key == "prompt":
            return self.prompt
        if key == "provider":
            return self.provider
        return self.params.get(key)

    def caption(self) -> list[tuple[str, str]]:
        """``(name, shown value)`` of what differs; ``[('tile', '#n')]`` when nothing does.

        Example:
            >>> Cell(2, "x", None, {}).caption()
            [('tile', '#2')]
        """
        if not self.differs:
            return [("tile", f"#{self.index}")]
        return [(key, show_value(key, self.value(key))) for key in self.differs]

    def label(self) -> str:
        """The caption as one line of text.

        Example:
            >>> Cell(1, "x", None, {"duration": 10}, differs=("duration",)).label()
            '10 s'
        """
        return " · ".join(value for _, value in self.caption())


def show_value(key: str, value: Any, limit: int = 60) -> str:
    """How a setting reads in a caption: ``6 s``, ``optimizer off``, a shortened prompt.

    Example:
        >>> show_value("duration", 6), show_value("prompt_optimizer", False)
        ('6 s', 'optimizer off')
        >>> show_value("model", None), show_value("go_fast", True)
        ('default model', 'go_fast on')
    """
    if value is None:
        return "(not set)" if key != "model" else "default model"
    if key == "duration":
        return f"{value} s"
    if key == "prompt_optimizer":
        return "optimizer " + ("on" if value else "off")
    if isinstance(value, bool):
        return f"{key} {'on' if value else 'off'}"
    if key in ("prompt", "model", "resolution", "provider", "mode"):
        text = " ".join(str(value).split())
    else:
        text = f"{key} {value}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_list(name: str, values: Any) -> list[Any]:
    if values is None:
        return [None]
    if isinstance(values, (str, int, float)):
        return [values]
    out = list(values)
    if not out:
        raise ValidationError(name, "is an empty list; leave it out to use the default")
    return out


def build_cells(
    prompts: str | Sequence[str],
    *,
    models: Any = None,
    durations: Any = None,
    resolutions: Any = None,
    providers: Any = None,
    settings: Sequence[Mapping[str, Any]] | None = None,
    common: Mapping[str, Any] | None = None,
) -> list[Cell]:
    """Every tile: each prompt × provider × model × duration × resolution, prompt-major.

    With ``settings`` (a list of dicts), each prompt is crossed with each dict instead; a
    dict that has its own ``prompt`` is one tile as it is. ``common`` applies to every
    tile (a tile's own value wins). Unset (``None``) values are left to the defaults.

    Example:
        >>> cells = build_cells("a fox", durations=[6, 10], common={"resolution": "768p"})
        >>> [(c.index, c.params) for c in cells]
        [(1, {'resolution': '768p', 'duration': 6}), (2, {'resolution': '768p', 'duration': 10})]
        >>> [c.label() for c in build_cells(["x"], settings=[{"mode": "pro"}, {}])]
        ['pro', '(not set)']
    """
    prompt_list = [prompts] if isinstance(prompts, str) else list(prompts or [])
    if not prompt_list:
        raise ValidationError("prompts", "give at least one prompt")
    shared = {k: v for k, v in (common or {}).items() if v is not None}
    rows: list[tuple[str, str | None, dict[str, Any]]] = []
    if settings is not None:
        if isinstance(settings, Mapping) or not list(settings):
            raise ValidationError("settings", "must be a non-empty list of dicts")
        for prompt in prompt_list:
            for s in settings:
                if "prompt" not in s:
                    rows.append(_row(prompt, s, shared))
        rows.extend(_row(str(s["prompt"]), s, shared) for s in settings if "prompt" in s)
    else:
        product = itertools.product(
            prompt_list,
            _as_list("providers", providers),
            _as_list("models", models),
            _as_list("durations", durations),
            _as_list("resolutions", resolutions),
        )
        for prompt, provider, model, duration, resolution in product:
            own = {"provider": provider, "model": model, "duration": duration,
                   "resolution": resolution}  # fmt: skip
            rows.append(_row(prompt, own, shared))
    cells = [Cell(n, p, prov, params) for n, (p, prov, params) in enumerate(rows, start=1)]
    keys = differing(cells)
    for cell in cells:
        cell.differs = keys
    return cells


def _row(
    prompt: Any, own: Mapping[str, Any], shared: Mapping[str, Any]
) -> tuple[str, str | None, dict[str, Any]]:
    if not isinstance(prompt, str):
        raise ValidationError("prompts", f"each prompt must be text, got {type(prompt).__name__}")
    params = {**shared, **{k: v for k, v in own.items() if v is not None and k != "prompt"}}
    provider = params.pop("provider", None)
    return prompt, provider, params


def differing(cells: Iterable[Cell]) -> tuple[str, ...]:
    """The keys whose requested values are not the same on every tile, in caption order.

    Example:
        >>> differing([Cell(1, "a", None, {"duration": 6}), Cell(2, "a", None, {})])
        ('duration',)
    """
    cells = list(cells)
    keys = {"prompt", "provider"} | {k for c in cells for k in c.params}
    found = [k for k in keys if len({repr(c.value(k)) for c in cells}) > 1]
    rank = {k: n for n, k in enumerate(_ORDER)}
    return tuple(sorted(found, key=lambda k: (rank.get(k, len(_ORDER)), k)))


def axes_text(cells: Sequence[Cell]) -> str:
    """What the comparison varies, e.g. ``2 prompts × 2 models`` (or ``3 tiles``).

    Example:
        >>> axes_text(build_cells("a", durations=[6, 10], resolutions=["768p", "1080p"]))
        '2 durations × 2 resolutions'
    """
    parts = []
    for key, plural in _AXES:
        n = len({repr(c.value(key)) for c in cells})
        if n > 1:
            parts.append(f"{n} {plural}")
    known = 1
    for part in parts:
        known *= int(part.split()[0])
    if not parts or known != len(cells):
        return f"{len(cells)} tiles" if len(cells) != 1 else "1 tile"
    return " × ".join(parts)


class _Settings(Protocol):
    @property
    def reuse(self) -> str: ...


class _Preparer(Protocol):
    @property
    def settings(self) -> _Settings: ...

    def prepare(self, prompt: str, *, new: bool = False, **params: Any) -> Prepared: ...


@dataclass
class Plan:
    """The validated tiles, their estimated costs and the total.

    ``reused[i]`` says why tile ``i`` will cost nothing: ``"job <id>"`` (an identical
    earlier job will be shown again) or ``"tile <n>"`` (the same request as an earlier
    tile of this plan, which shares its job); ``None``: it will be paid for.

    Example:
        >>> p = Plan([Cell(1, "x", None, {})], [Cost(0.35)], [{"prompt": "x"}])
        >>> p.total_usd, p.describe()
        (0.35, '1 video (1 tile) · estimated ~$0.35')
        >>> Plan([Cell(1, "x", None, {})], [Cost(0.35)], reused=["job 5f3a"]).describe()
        '1 video (1 tile) · estimated ~$0.00 · 1 shown again from an earlier job'
    """

    cells: list[Cell]
    estimates: list[Cost]
    resolved: list[dict[str, Any]] = field(default_factory=list)
    reused: list[str | None] = field(default_factory=list)
    prepared: list[Prepared] = field(default_factory=list)  # what each tile sends

    def __post_init__(self) -> None:
        if not self.reused:
            self.reused = [None] * len(self.cells)

    @property
    def total_usd(self) -> float:
        """The estimated total in USD of the tiles that will be paid for."""
        return round(
            sum(c.usd for c, r in zip(self.estimates, self.reused, strict=True) if r is None), 4
        )

    @property
    def full_usd(self) -> float:
        """The estimated total with every tile paid for (no reuse).

        Example:
            >>> Plan([Cell(1, "x", None, {})], [Cost(0.35)], reused=["job 5f3a"]).full_usd
            0.35
        """
        return round(sum(c.usd for c in self.estimates), 4)

    @property
    def to_send(self) -> int:
        """How many tiles will be paid for (the others are shown again).

        Example:
            >>> Plan([Cell(1, "x", None, {})], [Cost(0.35)], reused=["tile 1"]).to_send
            0
        """
        return sum(1 for r in self.reused if r is None)

    def as_new(self) -> Plan:
        """The same tiles, every one paid for as a fresh sample (nothing reused).

        The requests are already prepared: they are not validated or read again.

        Example:
            >>> Plan([Cell(1, "x", None, {})], [Cost(0.35)], reused=["job 5f3a"]).as_new().reused
            [None]
        """
        fresh = [p.as_new() for p in self.prepared]
        return Plan(self.cells, self.estimates, self.resolved, [None] * len(self.cells), fresh)

    def describe(self, *, again_too: bool = True) -> str:
        """One line: how many videos, along which axes, the estimated total (of what will
        be paid for), and how many are shown again (unless ``again_too`` is False).

        Example: see the class.
        """
        n = len(self.cells)
        videos = "1 video" if n == 1 else f"{n} videos"
        line = f"{videos} ({axes_text(self.cells)}) · estimated ~${self.total_usd:.2f}"
        again = n - self.to_send
        if again and again_too:
            line += f" · {again} shown again from " + (
                "an earlier job" if again == 1 else "earlier jobs"
            )
        return line

    def lines(self) -> list[str]:
        """One line per tile: number, caption, estimate (or what it will show again).

        Example:
            >>> Plan([Cell(1, "x", None, {})], [Cost(0.35)]).lines()
            ['  1. #1  ~$0.35']
        """
        return [
            f"{c.index:3d}. {c.label()}  "
            + (f"~${e.usd:.2f}" if r is None else f"$0 (shows {r} again)")
            for c, e, r in zip(self.cells, self.estimates, self.reused, strict=True)
        ]


def make_plan(
    cells: list[Cell], client_for: Callable[[str | None], _Preparer], *, new: bool = False
) -> Plan:
    """Validate every tile with its provider's client and price it; nothing is sent.

    Each tile is prepared once (``client.prepare``): that request is what the
    comparison later sends. Unless ``new``, a tile that the client would answer with an
    identical earlier job (reuse on) or that repeats an earlier tile of this plan costs
    nothing. Raises :class:`~hailuo_nb.errors.TileError` for the first invalid tile.

    Example:
        >>> from hailuo_nb import Client
        >>> client = Client("emulator", environ={})
        >>> plan = make_plan(build_cells("a fox", durations=[6, 10]), lambda p: client)
        >>> plan.total_usd
        1.05
        >>> make_plan(build_cells("a fox", durations=[6, 7]), lambda p: client)
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.TileError: tile 2 (7 s): duration: must be 6 or 10 s on hailuo-2.3 \
(emulator), got 7
    """
    prepared: list[Prepared] = []
    reused: list[str | None] = []
    seen: dict[tuple[int, str], int] = {}
    for cell in cells:
        try:
            client = client_for(cell.provider)
            prepared.append(client.prepare(cell.prompt, new=new, **cell.params))
        except TileError:
            raise
        except ValidationError as exc:
            raise TileError(cell.index, cell.label(), exc) from None
        reused.append(None if new else _reused(client, cell, prepared[-1], seen))
    return Plan(
        cells,
        [p.estimate for p in prepared],
        [p.params for p in prepared],
        reused,
        prepared,
    )


def _reused(
    client: _Preparer, cell: Cell, prepared: Prepared, seen: dict[tuple[int, str], int]
) -> str | None:
    # Only a client that reuses (reuse="always") shares jobs between identical requests.
    if client.settings.reuse != "always":
        return None
    key = (id(client), prepared.fingerprint)
    if key in seen:
        return f"tile {seen[key]}"
    seen[key] = cell.index
    found = prepared.reusable
    return None if found is None else f"job {found.id}"
