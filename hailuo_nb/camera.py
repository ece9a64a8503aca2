"""Camera commands in a prompt (Hailuo 02 / 2.3): the list, and a check for near misses.

MiniMax reads moves written in square brackets in the prompt: ``[Pan left]``, up to three
in one bracket acting together (``[Pan left, Pedestal up]``), brackets in sequence acting
in order. For the API they are plain text, so a misspelt one is not refused: it is
silently not a camera move. :func:`camera_warnings` finds brackets that are *close* to a
command without being one and says, in one line each, which command was probably meant.
Brackets far from every command (``[[block]]``, ``[note]``) are left alone, and the prompt
is always sent as written.

Example:
    >>> camera_warnings("a fox in snow [Pan lft], then [Zoom in] [note]")
    ['[Pan lft]: did you mean [Pan left]?']
    >>> with_command("a fox in snow", "Push in")
    'a fox in snow [Push in]'
"""

from __future__ import annotations

import difflib
import re

__all__ = ["COMMANDS", "MAX_TOGETHER", "camera_warnings", "nearest", "with_command"]

COMMANDS: tuple[str, ...] = (
    "Truck left",
    "Truck right",
    "Pan left",
    "Pan right",
    "Push in",
    "Pull out",
    "Pedestal up",
    "Pedestal down",
    "Tilt up",
    "Tilt down",
    "Zoom in",
    "Zoom out",
    "Shake",
    "Tracking shot",
    "Static shot",
)
"""The camera commands MiniMax lists (its official MCP server), spelt as it spells them.

Example:
    >>> len(COMMANDS), COMMANDS[2]
    (15, 'Pan left')
"""

MAX_TOGETHER = 3
"""At most this many commands in one bracket act together.

Example:
    >>> MAX_TOGETHER
    3
"""

# Innermost brackets only: "[[block]]" is read as "[block]", which is no camera word.
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
_SEPARATORS = re.compile(r"[\s_-]+")
# How close (difflib's ratio, 0..1) a word must be to a command to count as a typo of it.
# 0.75 takes "Pan lft", "Tilt upp", "Shaky", "Track shot", and leaves "note", "block",
# "close up", "wide shot" or "left" alone.
_CUTOFF = 0.75
_BY_KEY = {c.lower(): c for c in COMMANDS}
# A bare first word ("Zoom", "Tilt") names its family: "Zoom in" or "Zoom out".
_HEADS = {c.split()[0].lower() for c in COMMANDS}
_FAMILIES = {h: tuple(c for c in COMMANDS if c.split()[0].lower() == h) for h in _HEADS}


def _key(text: str) -> str:
    return _SEPARATORS.sub(" ", text.strip().lower())


def nearest(text: str) -> tuple[str, ...]:
    """The commands ``text`` is probably a typo of (best first); empty when it is one
    exactly, or near none.

    A difference of case, hyphens or spacing counts as near; a bare family word
    (``Zoom``) names each command of the family.

    Example:
        >>> nearest("Pan lft"), nearest("pan-left"), nearest("Zoom")
        (('Pan left',), ('Pan left',), ('Zoom in', 'Zoom out'))
        >>> nearest("Pan left"), nearest("note")
        ((), ())
    """
    if text.strip() in COMMANDS:
        return ()
    key = _key(text)
    if key in _BY_KEY:
        return (_BY_KEY[key],)
    if key in _FAMILIES:
        return _FAMILIES[key]
    scored = sorted(
        ((difflib.SequenceMatcher(None, key, k).ratio(), c) for k, c in _BY_KEY.items()),
        reverse=True,
    )
    best = scored[0][0]
    if best < _CUTOFF:
        return ()
    # Two commands equally close (rare): name both rather than pick one at random.
    return tuple(c for score, c in scored[:2] if score >= best - 1e-9)


def camera_warnings(prompt: str) -> list[str]:
    """One line per bracket that looks like camera commands but is not quite right.

    A bracket counts as camera commands when one of its comma-separated parts is a
    command or near one. Its line suggests the bracket with each typo fixed, names parts
    that are no command at all, and says when more than :data:`MAX_TOGETHER` moves would
    act together. Nothing is changed: the prompt is sent as written.

    Example:
        >>> camera_warnings("[Pan left, Pedestl up] a fox [Shake]")
        ['[Pan left, Pedestl up]: did you mean [Pan left, Pedestal up]?']
        >>> camera_warnings("[Zoom] a fox")
        ['[Zoom]: did you mean [Zoom in] or [Zoom out]?']
        >>> camera_warnings("[Pan left, Tilt up, Zoom in, Shake] a fox")  # doctest: +ELLIPSIS
        ['[Pan left, Tilt up, Zoom in, Shake]: at most 3 moves act together in one bracket...']
        >>> camera_warnings("[[block]] a fox [note] [Pan left, dusk]")
        ['[Pan left, dusk]: dusk is not a camera command; did you mean [Pan left]?']
    """
    out: list[str] = []
    for match in _BRACKET.finditer(prompt):
        line = _bracket_warning(match.group(0), match.group(1))
        if line is not None:
            out.append(line)
    return out


def _bracket_warning(written: str, inside: str) -> str | None:
    parts = [p.strip() for p in inside.split(",") if p.strip()]
    fixed: list[tuple[str, ...]] = []  # per part: () = no command, else what it should be
    typos = unknown = 0
    for part in parts:
        if part in COMMANDS:
            fixed.append((part,))
        elif near := nearest(part):
            fixed.append(near)
            typos += 1
        else:
            fixed.append(())
            unknown += 1
    moves = sum(1 for f in fixed if f)
    if moves == 0 or (typos == 0 and unknown == 0 and moves <= MAX_TOGETHER):
        return None  # no camera words at all, or every one right
    clauses = []
    strangers = [p for p, f in zip(parts, fixed, strict=True) if not f]
    if strangers:
        names = ", ".join(strangers)
        what = "is not a camera command" if len(strangers) == 1 else "are not camera commands"
        clauses.append(f"{names} {what}")
    if moves > MAX_TOGETHER:
        clauses.append(
            f"at most {MAX_TOGETHER} moves act together in one bracket (this one has {moves}),"
            " put the others in a bracket after it"
        )
    if typos or unknown:
        clauses.append(f"did you mean {_suggestion(fixed)}?")
    return f"{written}: " + "; ".join(clauses)


def _suggestion(fixed: list[tuple[str, ...]]) -> str:
    moves = [f for f in fixed if f]
    if len(moves) == 1:
        return " or ".join(f"[{c}]" for c in moves[0])
    return "[" + ", ".join(f[0] for f in moves) + "]"


def with_command(prompt: str, command: str) -> str:
    """``prompt`` with ``[command]`` added at its end (a move after the ones before it).

    Example:
        >>> with_command("", "Pan left"), with_command("a fox [Pan left]\\n", "Tilt up")
        ('[Pan left]', 'a fox [Pan left]\\n[Tilt up]')
    """
    if not prompt.strip():
        return f"[{command}]"
    sep = "" if prompt[-1].isspace() else " "
    return f"{prompt}{sep}[{command}]"
