"""``%%hailuo --compare``: the cell's prompts (separated by ``---`` lines) side by side.

Options take comma-separated lists (``-m hailuo-2.3,minimax-hailuo-2``, ``--duration
6,10``, ``--resolution``, ``--provider``); every combination becomes a tile of
:func:`hailuo_nb.compare`. ``{name}`` is filled from your variables as in ``%%hailuo``,
``-o NAME`` keeps the :class:`~hailuo_nb.comparison.Comparison`, ``--wait`` blocks until
every tile is done, ``--embed`` inlines the videos, ``--new`` asks for fresh samples where
identical earlier jobs would be reused. A mistake in any tile raises one
``UsageError`` line and nothing is sent.

Example:
    >>> split_prompts("a red fox\\n---\\nan owl at {time}\\n")
    ['a red fox', 'an owl at {time}']
    >>> split_list("hailuo-2.3, minimax-hailuo-2")
    ['hailuo-2.3', 'minimax-hailuo-2']

In a notebook::

    %%hailuo --compare -m hailuo-2.3,minimax-hailuo-2 -o cmp
    a red fox running through snow
    ---
    an owl landing on a branch at dusk
"""

from __future__ import annotations

import argparse
import re
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from ..camera import camera_warnings
from ..comparison.comparison import Comparison, start_comparison
from ..errors import HailuoError, StoppedWaiting
from .parsing import cell_params, fill_prompt

if TYPE_CHECKING:
    from ..notebook.session import Session

__all__ = ["run_compare_cell", "split_list", "split_prompts"]

_SEPARATOR = re.compile(r"^[ \t]*-{3,}[ \t]*$", re.MULTILINE)


def split_prompts(body: str) -> list[str]:
    """The cell's prompts: the text between lines of three or more dashes, blanks dropped.

    Example:
        >>> split_prompts("one\\n----\\n\\n---\\ntwo")
        ['one', 'two']
    """
    return [part.strip() for part in _SEPARATOR.split(body) if part.strip()]


def split_list(value: str | None) -> list[str] | None:
    """A comma-separated option as a list (``None`` stays ``None``: the default).

    Example:
        >>> split_list("6,10"), split_list(None)
        (['6', '10'], None)
    """
    if value is None:
        return None
    items = [v.strip() for v in str(value).split(",") if v.strip()]
    if not items:
        raise UsageError(f"%%hailuo --compare: empty list {value!r}")
    return items


def run_compare_cell(
    session: Session,
    args: argparse.Namespace,
    cell: str,
    user_ns: MutableMapping[str, Any],
) -> Comparison:
    """Start the comparison a ``%%hailuo --compare`` cell asks for; store it under ``-o``.

    ``args`` is the parsed ``%%hailuo`` line. Validation and budget errors become one
    ``UsageError`` line, before anything is sent.

    Example (called by the magic)::

        comparison = run_compare_cell(self.session, args, cell, self.shell.user_ns)
    """
    sections = split_prompts(cell)
    if not sections:
        raise UsageError(
            "%%hailuo --compare: write the prompts below the %%hailuo line, separated by"
            " lines of ---"
        )
    prompts = [fill_prompt(section, user_ns) for section in sections]
    common = cell_params(args, user_ns)
    for prompt in prompts:
        for warning in camera_warnings(prompt):
            print(warning)  # a probable typo; the prompts still go as written
    try:
        comparison = start_comparison(
            session,
            prompts,
            models=split_list(common.pop("model", None)),
            durations=split_list(common.pop("duration", None)),
            resolutions=split_list(common.pop("resolution", None)),
            providers=split_list(args.provider),
            embed=bool(args.embed),
            new=bool(getattr(args, "new", False)),
            common=common,
        )
    except HailuoError as exc:
        raise UsageError(f"%%hailuo --compare: {exc}") from None
    if args.o:
        user_ns[args.o] = comparison
        session.add_group(comparison, args.o)  # `%hailuo wait NAME` waits for all its tiles
    if session.waits(args.wait) and comparison.state != "pending":
        try:
            comparison.wait()
        except StoppedWaiting:
            print(
                "Stopped waiting. The jobs go on in the background; the grid becomes the"
                " videos when they are done."
            )
    return comparison
