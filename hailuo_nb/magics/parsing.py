"""Turning a ``%%hailuo`` cell into a prompt and parameters; every mistake is a UsageError.

Example:
    >>> args = parse_cell_args("-m hailuo-2.3 --duration 6 -o fox")
    >>> args.model, args.duration, args.o
    ('hailuo-2.3', '6', 'fox')
    >>> fill_prompt("a {animal} in snow", {"animal": "fox"})
    'a fox in snow'
"""

from __future__ import annotations

import argparse
import os
import shlex
import string
from collections.abc import Mapping
from typing import Any, NoReturn

from IPython.core.error import UsageError

from ..suggest import with_suggestion

__all__ = ["cell_params", "fill_prompt", "parse_cell_args"]


class _Parser(argparse.ArgumentParser):
    # argparse prints usage and calls sys.exit(); a magic must raise one clear line instead.
    def error(self, message: str) -> NoReturn:
        options = [o for a in self._actions for o in a.option_strings]
        said = with_suggestion(message, options)
        raise UsageError(f"%%hailuo: {said} (see %%hailuo? for the options)")


def _parser() -> _Parser:
    p = _Parser(prog="%%hailuo", add_help=False)
    p.add_argument("-m", "--model")
    p.add_argument("--provider")
    p.add_argument("--duration")
    p.add_argument("--resolution")
    p.add_argument("--first-frame", dest="first_frame")
    p.add_argument("--last-frame", dest="last_frame")
    p.add_argument("--no-optimizer", dest="no_optimizer", action="store_true")
    p.add_argument("--go-fast", dest="go_fast", action="store_true")
    p.add_argument("--fast-pretreatment", dest="fast_pretreatment", action="store_true")
    p.add_argument("--mode")
    # H3: the shape, references (each option repeatable) and H3-Max's prompt expansion.
    p.add_argument("--ratio")
    p.add_argument("--ref-image", dest="ref_image", action="append", metavar="PATH_URL_OR_VAR")
    p.add_argument("--ref-video", dest="ref_video", action="append", metavar="PATH_OR_URL")
    p.add_argument("--ref-audio", dest="ref_audio", action="append", metavar="PATH_OR_URL")
    p.add_argument("--expansion", metavar="MODE")
    # A model the catalog does not know (-m raw:<id>): its own parameters as JSON.
    p.add_argument("--extra", metavar="JSON")
    p.add_argument("-o", "--out", dest="o", metavar="NAME")
    p.add_argument("--wait", action="store_true")
    p.add_argument("--embed", action="store_true")
    p.add_argument("--new", action="store_true")
    p.add_argument("--compare", action="store_true")
    p.add_argument("--story", action="store_true")
    p.add_argument("--crossfade", type=float, metavar="SECONDS")
    return p


CELL_USAGE = _parser().format_usage().strip()


def parse_cell_args(line: str) -> argparse.Namespace:
    """Parse the options on the ``%%hailuo`` line.

    Example:
        >>> parse_cell_args("--wait --embed").wait, parse_cell_args("--new --compare").new
        (True, True)
        >>> try:
        ...     parse_cell_args("--bogus")
        ... except UsageError as exc:
        ...     print(str(exc)[:41])
        %%hailuo: unrecognized arguments: --bogus
    """
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%%hailuo: {exc}") from None
    args = _parser().parse_args(words)
    if args.o is not None and not args.o.isidentifier():
        raise UsageError(f"%%hailuo: -o needs a variable name, got {args.o!r}")
    return args


class _Names(Mapping[str, Any]):
    def __init__(self, ns: Mapping[str, Any]) -> None:
        self._ns = ns

    def __getitem__(self, key: str) -> Any:
        if key not in self._ns:
            raise UsageError(
                f"%%hailuo: the prompt uses {{{key}}} but no variable {key!r} is defined"
                " (write {{ and }} for literal braces)"
            )
        return self._ns[key]

    def __iter__(self) -> Any:
        return iter(self._ns)

    def __len__(self) -> int:
        return len(self._ns)


def fill_prompt(body: str, user_ns: Mapping[str, Any]) -> str:
    """The cell body with ``{name}`` filled from the user's variables, trimmed.

    Names only: attribute access, item access, conversions and format specs
    (``{x.y}``, ``{x[k]}``, ``{x!r}``, ``{x:>9}``) are refused in one line, since they
    would reach any object the kernel holds (an API key in ``os.environ`` among them)
    and put it into a prompt that is sent, stored and saved in the notebook.

    Example:
        >>> fill_prompt("{{literal}} and {n}", {"n": 1})
        '{literal} and 1'
        >>> try:
        ...     fill_prompt("{missing}", {})
        ... except UsageError as exc:
        ...     print(str(exc)[:64])
        %%hailuo: the prompt uses {missing} but no variable 'missing' is
        >>> try:
        ...     fill_prompt("{os.environ}", {"os": object()})
        ... except UsageError as exc:
        ...     print(str(exc)[:58])
        %%hailuo: {os.environ} in the prompt: only plain {name} is
    """
    pieces: list[str] = []
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise UsageError(
            f"%%hailuo: cannot fill the prompt's {{...}} ({exc}); write {{{{ and }}}} for"
            " literal braces"
        ) from None
    for literal, name, spec, conversion in parsed:
        pieces.append(literal)
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise UsageError(
                f"%%hailuo: {shown[:60]} in the prompt: only plain {{name}} is filled in"
                " (no ., [], ! or :); write {{ and }} for literal braces"
            )
        pieces.append(str(_Names(user_ns)[name]))
    text = "".join(pieces).strip()
    if not text:
        raise UsageError("%%hailuo: the cell is the prompt; write it below the %%hailuo line")
    return text


def _image(value: str | None, user_ns: Mapping[str, Any]) -> Any:
    # A variable name (a PIL image, bytes, a path) unless a file of that name exists.
    if value is None:
        return None
    if value.isidentifier() and value in user_ns and not os.path.exists(value):
        return user_ns[value]
    return value


def cell_params(args: argparse.Namespace, user_ns: Mapping[str, Any]) -> dict[str, Any]:
    """The client's keyword arguments for the parsed options (unset ones left out).

    Example:
        >>> cell_params(parse_cell_args("--duration 6 --no-optimizer"), {})
        {'duration': '6', 'prompt_optimizer': False}
        >>> cell_params(parse_cell_args("--ratio 9:16 --ref-image a.png --ref-image b.png"), {})
        {'ratio': '9:16', 'reference_images': ['a.png', 'b.png']}
    """
    params: dict[str, Any] = {
        "model": args.model,
        "duration": args.duration,
        "resolution": args.resolution,
        "first_frame": _image(args.first_frame, user_ns),
        "last_frame": _image(args.last_frame, user_ns),
        "mode": args.mode,
        "ratio": args.ratio,
        "prompt_expansion_mode": args.expansion,
        "extra": args.extra,
    }
    refs = {
        "reference_images": args.ref_image,
        "reference_videos": args.ref_video,
        "reference_audio": args.ref_audio,
    }
    for key, values in refs.items():
        if values:
            params[key] = [_image(v, user_ns) for v in values]
    if args.no_optimizer:
        params["prompt_optimizer"] = False
    if args.go_fast:
        params["go_fast"] = True
    if args.fast_pretreatment:
        params["fast_pretreatment"] = True
    return {k: v for k, v in params.items() if v is not None}
