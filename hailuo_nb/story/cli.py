"""``hailuo story FILE``: a storyboard from a text file, in a terminal.

The file is written like a ``%%hailuo --story`` cell: shots separated by lines of
``---``, each optionally starting with its own options line (``--duration 10``,
``--new``, ``--last-frame end.png``, ``--no-optimizer``, ``-m MODEL``); candidate
prompts of one shot separated by lines of ``~~~`` (pick one with ``--pick SHOT=VARIANT``;
without it the command stops there and lists the candidates' videos). Progress goes to
stderr; stdout gets the film's path (or the manifest as JSON with ``--json``).
Unchanged shots are shown again from the job store (the point of a storyboard is to
edit and run it again), so only the first changed shot and those after it are paid
for; ``--new`` pays for every shot afresh. Above ``--confirm-above`` dollars (default 5)
nothing is sent without ``--yes``.

Exit codes as ``hailuo generate``: 0 the film is made; 1 a shot failed (or joining
did); 2 bad input or not confirmed, nothing was sent.

Example:
    >>> read_shots("a fox wakes up\\n---\\n--duration 10 --new\\nit runs\\n")
    [{'prompt': 'a fox wakes up', 'new': False}, {'prompt': 'it runs', 'new': True, \
'duration': '10'}]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any, NoReturn, TextIO

from ..comparison.comparison import DEFAULT_CONFIRM_ABOVE_USD
from ..errors import HailuoError, StoppedWaiting, ValidationError
from ..notebook.config import Hailuo
from ..notebook.session import Session
from .plan import split_variants
from .start import start_storyboard

__all__ = ["add_story_parser", "read_shots", "run_story"]

_SEPARATOR = re.compile(r"^[ \t]*-{3,}[ \t]*$", re.MULTILINE)


class _ShotParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValidationError("shot options", message)


def _shot_parser() -> _ShotParser:
    p = _ShotParser(prog="shot", add_help=False)
    p.add_argument("-m", "--model")
    p.add_argument("-d", "--duration")
    p.add_argument("-r", "--resolution")
    p.add_argument("--last-frame", dest="last_frame")
    p.add_argument("--mode")
    p.add_argument("--no-optimizer", dest="no_optimizer", action="store_true")
    p.add_argument("--new", action="store_true")
    return p


def read_shots(text: str) -> list[dict[str, Any]]:
    """The shots of a storyboard file, as :func:`~hailuo_nb.storyboard` takes them.

    Example: see the module.
    """
    shots: list[dict[str, Any]] = []
    for section in (s.strip() for s in _SEPARATOR.split(text)):
        if not section:
            continue
        first, _, rest = section.partition("\n")
        options = ""
        if first.lstrip().startswith("-"):
            options, section = first, rest.strip()
        try:
            args = _shot_parser().parse_args(shlex.split(options))
        except (ValidationError, ValueError) as exc:
            raise ValidationError(f"shot {len(shots) + 1}", str(exc)) from None
        prompts = split_variants(section)
        own = {"prompts": prompts} if len(prompts) > 1 else {"prompt": prompts[0]}
        shot: dict[str, Any] = {**own, "new": args.new}
        for key in ("model", "duration", "resolution", "last_frame", "mode"):
            if getattr(args, key) is not None:
                shot[key] = getattr(args, key)
        if args.no_optimizer:
            shot["prompt_optimizer"] = False
        shots.append(shot)
    return shots


def add_story_parser(sub: Any, common: Any) -> None:
    """Add ``hailuo story`` to the command's subparsers (``common``: the shared options).

    Example:
        >>> p = argparse.ArgumentParser(); sub = p.add_subparsers(dest="command")
        >>> add_story_parser(sub, lambda q: None)
        >>> p.parse_args(["story", "shots.txt", "--crossfade", "0.5"]).crossfade
        0.5
    """
    s = sub.add_parser(
        "story",
        help="chain the shots of a text file (separated by --- lines) into one film",
        description=(__doc__ or "").split("\n\n")[1],
    )
    s.add_argument("file", help="a text file: shots separated by lines of ---")
    s.add_argument("--model", "-m")
    s.add_argument("--duration", "-d")
    s.add_argument("--resolution", "-r")
    s.add_argument("--first-frame", help="image path or http(s) URL for shot 1")
    s.add_argument("--crossfade", type=float, default=0.0, help="seconds blended at each seam")
    s.add_argument("--new", action="store_true", help="pay for every shot afresh")
    s.add_argument("--yes", action="store_true", help="send without asking, whatever the cost")
    s.add_argument(
        "--pick",
        action="append",
        default=[],
        metavar="SHOT=VARIANT",
        help="go on from this variant of a shot of ~~~ candidates (remembered for re-runs)",
    )
    s.add_argument(
        "--confirm-above",
        type=float,
        default=DEFAULT_CONFIRM_ABOVE_USD,
        help="above this estimate (USD) nothing is sent without --yes (default 5)",
    )
    common(s)


def run_story(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``hailuo story``; the exit code.

    Example (in a shell)::

        hailuo story shots.txt -m hailuo-2.3 --provider emulator
    """
    out = out or sys.stdout
    err = sys.stderr
    try:
        text = Path(args.file).read_text(encoding="utf-8")
        shots = read_shots(text)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"hailuo: cannot read {args.file}: {exc}", file=err)
        return 2
    except ValidationError as exc:
        print(f"hailuo: {exc}", file=err)
        return 2
    try:
        picks = [_pick(text) for text in args.pick]
    except ValueError:
        print(f"hailuo: --pick takes SHOT=VARIANT, e.g. --pick 2=1, not {args.pick}", file=err)
        return 2
    settings = {
        "provider": args.provider,
        "base_url": args.base_url,
        "output_dir": args.out,
        "store_path": args.store,
        "requests_per_minute": args.rpm,
    }
    config = Hailuo(progress="print", reuse="always", **{k: v for k, v in settings.items() if v})
    session = Session(config)
    common = {"duration": args.duration, "resolution": args.resolution}
    try:
        # Progress is printed by the board and the shots' views: keep stdout for the result.
        with contextlib.redirect_stdout(err):
            story = start_storyboard(
                session,
                shots,
                model=args.model,
                first_frame=args.first_frame,
                crossfade=args.crossfade,
                confirm_above_usd=None if args.yes else args.confirm_above,
                new=args.new,
                name=Path(args.file).stem,
                common={k: v for k, v in common.items() if v is not None},
            )
            for shot, variant in picks:
                story.pick(shot, variant)
            if story.state == "pending":
                print(
                    f"hailuo: nothing sent: ~${story.plan.total_usd:.2f} is above"
                    f" ${args.confirm_above:.2f}; run again with --yes to send it",
                    file=err,
                )
                return 2
            story.wait(args.timeout)
    except ValidationError as exc:
        print(f"hailuo: {exc}", file=err)
        return 2
    except (TimeoutError, StoppedWaiting):
        print("hailuo: stopped waiting; the shots are in the job store (hailuo history)", file=err)
        return 3
    except HailuoError as exc:
        print(f"hailuo: {exc}", file=err)
        return 1
    finally:
        session.close()
    if story.awaiting is not None:
        n = story.awaiting
        print(f"hailuo: shot {n} has variants; look at them and run again with --pick", file=err)
        for v, job in enumerate(story.variants(n), 1):
            print(f"  --pick {n}={v}: {job.video_path or job.status}  {job.prompt}", file=err)
        return 1
    if story.film is None:
        print(f"hailuo: no film: {story.error or 'a shot failed'}", file=err)
        return 1
    if args.json:
        print(json.dumps(story.manifest, default=str), file=out)
    else:
        print(story.film, file=out)
    return 0


def _pick(text: str) -> tuple[int, int]:
    """``"2=1"`` → ``(2, 1)``."""
    shot, _, variant = text.partition("=")
    return int(shot), int(variant)
