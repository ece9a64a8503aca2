"""``storyboard()`` and ``start_storyboard()``: shots checked, priced and started.

Example (in a notebook)::

    story = hailuo_nb.storyboard(["a fox wakes up", "it runs"], model="hailuo-2.3")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..comparison.comparison import DEFAULT_CONFIRM_ABOVE_USD
from ..errors import ValidationError
from ..notebook.registry import current_session
from ..notebook.session import ask_reuse
from . import media
from .flow import Storyboard
from .frames import require_av
from .plan import StoryPlan, build_shots, make_story_plan

if TYPE_CHECKING:
    from ..notebook.session import Session

__all__ = ["MAX_CROSSFADE", "start_storyboard", "storyboard"]

MAX_CROSSFADE = 3.0
"""Crossfades must be shorter than this (seconds): half of the shortest Hailuo shot (6 s).

Example:
    >>> MAX_CROSSFADE
    3.0
"""


def storyboard(
    shots: Sequence[str | Mapping[str, Any]],
    model: str | None = None,
    first_frame: Any = None,
    *,
    provider: str | None = None,
    crossfade: float = 0.0,
    confirm_above_usd: float | None = DEFAULT_CONFIRM_ABOVE_USD,
    new: bool = False,
    embed: bool = False,
    name: str = "storyboard",
    **common: Any,
) -> Storyboard:
    """Chain ``shots`` into one film: each later shot starts from the last frame before.

    A shot is a prompt or a dict (``{"prompt": ..., "duration": 10, "last_frame": ...,
    "new": True}``); ``common`` (``duration=``, ``resolution=``, ...) applies to every
    shot; ``first_frame`` starts shot 1 from an image (path, bytes, PIL image, URL).
    ``crossfade`` (seconds) blends each seam. Runs on the ``%%hailuo`` session: its
    settings, client, ledger (unchanged shots are free), budget and confirmation rules.

    Example (in a notebook)::

        story = hailuo_nb.storyboard(["a fox wakes up", "it runs into the snow"],
                                     model="hailuo-2.3", duration=6)
    """
    return start_storyboard(
        current_session(),
        shots,
        model=model,
        first_frame=first_frame,
        provider=provider,
        crossfade=crossfade,
        confirm_above_usd=confirm_above_usd,
        new=new,
        embed=embed,
        name=name,
        common=common,
    )


def start_storyboard(
    session: Session,
    shots: Sequence[str | Mapping[str, Any]],
    *,
    model: str | None = None,
    first_frame: Any = None,
    provider: str | None = None,
    crossfade: float = 0.0,
    confirm_above_usd: float | None = DEFAULT_CONFIRM_ABOVE_USD,
    new: bool = False,
    embed: bool = False,
    name: str = "storyboard",
    common: Mapping[str, Any] | None = None,
) -> Storyboard:
    """:func:`storyboard` on a given session (``%%hailuo --story`` passes the magic's).

    Example (in a notebook)::

        story = start_storyboard(current_session(), ["a fox", "it runs"])
    """
    require_av()
    if not 0.0 <= float(crossfade) < MAX_CROSSFADE:
        raise ValidationError("crossfade", f"must be 0 or more and under {MAX_CROSSFADE:g} s")
    built = build_shots(shots, {**(common or {}), "model": model}, first_frame)
    client = session.client(provider)
    reuse = client.settings.reuse == "always"
    picks = media.load_picks(client.settings.output_dir)
    plan = make_story_plan(built, client, reuse=reuse, new=new, picks=picks)
    if plan.to_send < len(built) and not _may_reuse(session, plan):
        plan = make_story_plan(built, client, reuse=False, new=True, picks=picks)
    session.check_budget(plan.total_usd)
    story = Storyboard(
        session,
        plan,
        client,
        name=name,
        crossfade=float(crossfade),
        embed=session.embeds(embed),  # Hailuo.embed is "auto" by default: the front end decides
        view_kind=session.config.progress,
    )
    session.add_group(story)  # `%hailuo wait` waits for it
    if confirm_above_usd is not None and plan.total_usd > confirm_above_usd + 1e-9:
        story.ask()
    else:
        story.confirm()
    return story


def _may_reuse(session: Session, plan: StoryPlan) -> bool:
    # Hailuo.reuse = "ask": one y/N question per storyboard, only when shots would be free.
    if session.config.reuse != "ask":
        return True
    again = len(plan.shots) - plan.to_send
    return ask_reuse(
        f"{again} of {len(plan.shots)} shots repeat earlier requests: show those videos again"
        f" instead of paying ~${plan.full_usd - plan.total_usd:.2f} for new ones? [y/N] "
    )
