"""``%%hailuo --story``: the cell's shots (separated by ``---`` lines) chained into one film.

Each shot may start with its own options line (``--duration 10``, ``--new``,
``--last-frame end.png``, ``--no-optimizer``); the ``%%hailuo`` line's options apply to
every shot. Candidate prompts of one shot (variants, run side by side; the storyboard
waits for a pick) are separated by lines of ``~~~``. ``{name}`` is filled from your
variables as in ``%%hailuo``; ``-o NAME`` keeps the :class:`~hailuo_nb.story.Storyboard`,
``--wait`` blocks until the film is made (or a pick is needed), ``--crossfade S`` blends
each seam, ``--first-frame`` starts shot 1 from an image.
A mistake in any shot is one ``UsageError`` line and nothing is sent.

Example:
    >>> shot_sections("a fox wakes up\\n---\\n--duration 10 --new\\nit runs\\n")
    [('', 'a fox wakes up'), ('--duration 10 --new', 'it runs')]

In a notebook::

    %%hailuo --story -m hailuo-2.3 -o story
    a fox wakes up in its den
    ---
    --duration 10
    the fox steps out into fresh snow
"""

from __future__ import annotations

import argparse
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from ..errors import HailuoError, StoppedWaiting
from ..story import Storyboard, split_variants, start_storyboard
from .compare_cell import split_prompts
from .parsing import cell_params, fill_prompt, parse_cell_args

if TYPE_CHECKING:
    from ..notebook.session import Session

__all__ = ["run_story_cell", "shot_sections"]

#: Options that belong on the %%hailuo line, not on one shot's line.
_CELL_ONLY = ("o", "wait", "embed", "compare", "story", "provider", "crossfade")


def shot_sections(body: str) -> list[tuple[str, str]]:
    """``(options line, prompt)`` per shot; a shot's first line is its options when it
    starts with ``-``.

    Example:
        >>> shot_sections("--new\\na fox")
        [('--new', 'a fox')]
    """
    out = []
    for section in split_prompts(body):
        first, _, rest = section.partition("\n")
        if first.lstrip().startswith("-"):
            out.append((first.strip(), rest.strip()))
        else:
            out.append(("", section))
    return out


def _shot(n: int, options: str, text: str, user_ns: MutableMapping[str, Any]) -> dict[str, Any]:
    args = parse_cell_args(options)
    given = [k for k in _CELL_ONLY if getattr(args, k, None) not in (None, False)]
    if given:
        flag = "-o" if given[0] == "o" else f"--{given[0]}"
        raise UsageError(f"%%hailuo --story: shot {n}: {flag} belongs on the %%hailuo line")
    if not text:
        raise UsageError(f"%%hailuo --story: shot {n} has options but no prompt")
    prompts = [fill_prompt(t, user_ns) for t in split_variants(text)]
    own = {"prompts": prompts} if len(prompts) > 1 else {"prompt": prompts[0]}
    return {**own, **cell_params(args, user_ns), "new": args.new}


def run_story_cell(
    session: Session,
    args: argparse.Namespace,
    cell: str,
    user_ns: MutableMapping[str, Any],
) -> Storyboard:
    """Start the storyboard a ``%%hailuo --story`` cell asks for; store it under ``-o``.

    Example (called by the magic)::

        story = run_story_cell(self.session, args, cell, self.shell.user_ns)
    """
    if args.compare:
        raise UsageError("%%hailuo: --story or --compare, not both")
    sections = shot_sections(cell)
    if not sections:
        raise UsageError(
            "%%hailuo --story: write the shots below the %%hailuo line, separated by lines of ---"
        )
    shots = [_shot(n, o, t, user_ns) for n, (o, t) in enumerate(sections, 1)]
    common = cell_params(args, user_ns)
    try:
        story = start_storyboard(
            session,
            shots,
            model=common.pop("model", None),
            first_frame=common.pop("first_frame", None),
            provider=args.provider,
            crossfade=float(args.crossfade or 0.0),
            new=bool(args.new),
            embed=bool(args.embed),
            name=args.o or "storyboard",
            common=common,
        )
    except (HailuoError, ValueError) as exc:
        raise UsageError(f"%%hailuo --story: {exc}") from None
    if args.o:
        user_ns[args.o] = story
        session.add_group(story, args.o)  # `%hailuo wait NAME` waits for the film
    if args.wait and story.state != "pending":
        try:
            story.wait()
        except StoppedWaiting:
            print("Stopped waiting. The shots go on in the background; the film comes after.")
    return story
