"""The nearest known word to a mistyped one: "--durration: did you mean --duration?".

Example:
    >>> with_suggestion("unrecognized arguments: --durration 6", ["--duration", "--model"])
    'unrecognized arguments: --durration 6 (--durration: did you mean --duration?)'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

__all__ = ["nearest", "with_suggestion"]


def nearest(word: str, known: Iterable[str], cutoff: float = 0.7) -> str | None:
    """The closest of ``known`` to ``word``, or None when nothing is close.

    Example:
        >>> nearest("--resolutoin", ["--resolution", "--duration"]), nearest("--x", ["--model"])
        ('--resolution', None)
    """
    found = difflib.get_close_matches(word, list(known), n=1, cutoff=cutoff)
    return found[0] if found else None


def with_suggestion(message: str, options: Iterable[str]) -> str:
    """An argparse "unrecognized arguments" message, with the nearest option named.

    Example:
        >>> with_suggestion("the following arguments are required: prompt", ["--model"])
        'the following arguments are required: prompt'
    """
    if "unrecognized arguments" not in message:
        return message
    known = list(options)
    for word in re.findall(r"(?<!\S)(--?[\w-]+)", message.split(":", 1)[-1]):
        guess = nearest(word.split("=")[0], known)
        if guess is not None:
            return f"{message} ({word}: did you mean {guess}?)"
    return message
