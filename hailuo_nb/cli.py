"""The ``hailuo`` command: generate a video, resume a job, list the history, run the emulator.

Live progress goes to stderr; stdout gets only the result (the saved file's path, or one
JSON object with ``--json``), so the command composes in shell pipelines.

Exit codes: 0 completed; 1 the job failed remotely or the provider refused it (reason
printed); 2 bad input, nothing was sent (also ``resume`` of an id the store does not
hold); 3 network error or timeout (the job id is printed so ``hailuo resume ID`` can
finish it).

Example:
    >>> build_parser().parse_args(["generate", "a fox", "--model", "hailuo-2.3"]).model
    'hailuo-2.3'

In a shell::

    hailuo generate "a red fox running through snow" --model hailuo-2.3
    hailuo generate "a fox" --provider segmind --base-url http://127.0.0.1:8000/segmind --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from . import display
from .client import Client
from .errors import (
    HailuoError,
    JobFailed,
    NetworkError,
    PossiblyPaid,
    ProviderError,
    StoreError,
    SubmitInterrupted,
    SubmitUncertain,
    ValidationError,
)
from .models import Job
from .providers import TakesDeadline
from .settings import environment
from .suggest import with_suggestion

__all__ = ["build_parser", "main", "progress_line", "reused_line"]

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_NETWORK = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (and exit code 2), not a usage block."""

    def error(self, message: str) -> NoReturn:
        options = [o for a in self._all_actions() for o in a.option_strings]
        said = with_suggestion(message, options)
        self.exit(EXIT_INPUT, f"{self.prog}: {said} (see {self.prog} --help)\n")

    def _all_actions(self) -> list[argparse.Action]:
        # The subcommands' options too: "hailuo generate --durration" is the top parser's.
        actions = list(self._actions)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    actions += sub._actions
        return actions


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``hailuo``.

    Example:
        >>> build_parser().parse_args(["history", "--limit", "5"]).limit
        5
    """
    p = _Parser(prog="hailuo", description="Generate MiniMax Hailuo videos.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--provider", help="segmind, aimlapi, minimax, fal, replicate or emulator")
        q.add_argument("--base-url", help="provider root, e.g. http://127.0.0.1:8000/segmind")
        q.add_argument("--out", help="output folder (default hailuo_outputs/)")
        q.add_argument("--store", help="job store file (default <out>/hailuo_jobs.sqlite3)")
        q.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        q.add_argument(
            "--timeout",
            type=float,
            help="give up waiting after this many seconds (sent as the job's deadline where"
            " the provider takes one: Replicate cancels it then, Cancel-After)",
        )
        q.add_argument(
            "--rpm",
            type=float,
            help="a hard cap on requests per minute to this provider (default: learnt from the"
            " server, starting at its paid tier, shared by every process using the key)",
        )

    g = sub.add_parser(
        "generate",
        help="submit a prompt and save the video",
        epilog=_models_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("prompt")
    g.add_argument("--model", "-m")
    g.add_argument("--duration", "-d")
    g.add_argument("--resolution", "-r")
    g.add_argument("--first-frame", help="image path or http(s) URL")
    g.add_argument("--last-frame", help="image path or http(s) URL")
    g.add_argument("--ratio", help="H3: adaptive, 21:9, 16:9, 4:3, 1:1, 3:4 or 9:16")
    for kind in ("image", "video", "audio"):
        g.add_argument(
            f"--ref-{kind}", action="append", help=f"H3: a reference {kind} (repeatable)"
        )
    g.add_argument("--expansion", help="H3-Max: prompt expansion (disabled, balanced, quality)")
    g.add_argument("--extra", help="raw:<id> models: their own parameters as a JSON object")
    g.add_argument(
        "--reuse",
        action="store_true",
        help="if this exact request already made a video (still on disk) or is running,"
        " use that job instead of paying for a new one",
    )
    common(g)
    r = sub.add_parser("resume", help="finish (or show) a job by id")
    r.add_argument("job_id")
    common(r)
    rc = sub.add_parser(
        "reconcile",
        help="look for submits whose outcome is unknown at the provider (Segmind's history,"
        " Replicate's predictions)",
    )
    rc.add_argument(
        "--dismiss", metavar="SUBMIT_ID", help="mark one as not accepted (checked on the dashboard)"
    )
    common(rc)
    h = sub.add_parser("history", help="list stored jobs, newest first")
    h.add_argument("--limit", type=int, default=20)
    common(h)
    sub.add_parser("emulator", help="run the local emulator (see: hailuo emulator --help)")
    from .story.cli import add_story_parser

    add_story_parser(sub, common)
    return p


def _models_text() -> str:
    """Each provider's models with their durations and resolutions (for ``--help``).

    Example:
        >>> "hailuo-2.3" in _models_text()
        True
    """
    from . import catalog
    from .hosts import PROVIDERS

    lines = ["models (durations in s; resolutions), by --provider:"]
    for provider in PROVIDERS:
        lines.append(f"  {provider}:")
        for spec in catalog.models(provider):
            durations = "/".join(str(d) for d in spec.durations) or "fixed"
            resolutions = "/".join(spec.resolutions) or "fixed"
            lines.append(f"    {spec.name:<22} {durations:<8} {resolutions}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (also used as the process's).

    Example:
        >>> main(["generate", "a fox", "--duration", "7", "--provider", "emulator",
        ...       "--out", __import__("tempfile").mkdtemp()])
        2
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["emulator"]:
        from .emulator.__main__ import main as emulator_main

        emulator_main(args_list[1:])
        return EXIT_OK
    args = build_parser().parse_args(args_list)
    if args.command == "story":
        from .story.cli import run_story

        return run_story(args)
    state = _State()
    try:
        return asyncio.run(_run(args, state))
    except KeyboardInterrupt:
        print(f"hailuo: {state.interrupted()}", file=sys.stderr)
        return EXIT_NETWORK


class _State:
    """What the command was doing, so that an interrupt's message is true in every case."""

    def __init__(self) -> None:
        self.submitting = False
        self.job: Job | None = None

    def interrupted(self) -> str:
        job = self.job
        if job is None:
            if self.submitting:
                return (
                    "interrupted during the submit: if the request had left, the job store"
                    " has it (hailuo history; hailuo reconcile looks for an unknown outcome)"
                )
            return "interrupted; nothing was sent"
        if job.id.startswith("v1-"):
            return (
                f"interrupted during Segmind v1 job {job.id}, which cannot be resumed (its"
                " answer is the video itself): it may have been billed; hailuo reconcile"
                " looks for it in Segmind's history"
            )
        if job.done:
            return f"interrupted; job {job.id} is {job.status} and saved: hailuo history"
        return (
            f"interrupted; job {job.id} goes on at {job.provider} and is saved:"
            f" hailuo resume {job.id}"
        )


async def _run(args: argparse.Namespace, state: _State | None = None) -> int:
    err = sys.stderr
    state = state or _State()
    job: Job | None = None
    deadline = False  # the provider was sent --timeout as the job's own deadline
    try:
        provider, base_url = args.provider, args.base_url
        if args.command == "resume":
            stored = _stored(args)
            if isinstance(stored, str):
                print(f"hailuo: {stored}", file=err)
                return EXIT_INPUT
            if provider in (None, stored[0]):
                # Resume where the job was made: its provider and server come from the store.
                provider, base_url = stored[0], base_url or stored[1]
        async with _client(args, provider, base_url) as client:
            if args.command == "history":
                return _history(client, args)
            if args.command == "reconcile":
                return await _reconcile(client, args, err)
            if args.command == "resume":
                state.job = client.get(args.job_id)
                job = await asyncio.wait_for(client.resume(args.job_id), args.timeout)
                return _finish(job, args)
            params = {
                "model": args.model,
                "duration": args.duration,
                "resolution": args.resolution,
                "first_frame": args.first_frame,
                "last_frame": args.last_frame,
                "ratio": args.ratio,
                "reference_images": args.ref_image,
                "reference_videos": args.ref_video,
                "reference_audio": args.ref_audio,
                "prompt_expansion_mode": args.expansion,
                "extra": args.extra,
            }
            state.submitting = True
            job = state.job = await client.submit(
                # --timeout is also the provider's deadline where it takes one (Replicate).
                args.prompt,
                timeout=args.timeout,
                **{k: v for k, v in params.items() if v},
            )
            deadline = bool(args.timeout) and isinstance(client.adapter_for(job), TakesDeadline)
            if job.reused:
                print(f"{reused_line(job)}; nothing was sent", file=err)
            else:
                print(f"submitted {job.id} to {job.provider} ({job.model})", file=err)
            try:
                job = await asyncio.wait_for(_follow(client, job, err), args.timeout)
            except JobFailed:
                job = client.get(job.id) or job  # the failed job, with the server's reason
            return _finish(job, args)
    except ValidationError as exc:
        print(f"hailuo: {exc}", file=err)
        return EXIT_INPUT
    except JobFailed as exc:
        print(f"hailuo: job {exc.job_id} failed: {exc.reason}", file=err)
        if args.json and job is not None:
            _print_json(job, error=exc.reason)
        return EXIT_FAILED
    except asyncio.TimeoutError:
        # Only our wait ended: say which job runs on, and the command that picks it up.
        job_id = job.id if job else getattr(args, "job_id", None)
        if deadline and job_id is not None:
            print(f"hailuo: {_cancelled_there(job_id, args.timeout)}", file=err)
        else:
            print(f"hailuo: {_still_running(job_id, args.timeout)}", file=err)
        return EXIT_NETWORK
    except SubmitInterrupted as exc:
        print(f"hailuo: {_cli_words(str(exc))}", file=err)
        return EXIT_NETWORK
    except PossiblyPaid as exc:
        print(f"hailuo: {_cli_words(str(exc))}", file=err)
        return EXIT_FAILED
    except (NetworkError, SubmitUncertain, StoreError) as exc:
        job_id = getattr(exc, "job_id", None) or (job.id if job else None)
        print(f"hailuo: {_cli_words(str(exc))}", file=err)
        if job_id:
            print(f"job id: {job_id} (finish it with: hailuo resume {job_id})", file=err)
        return EXIT_NETWORK
    except (ProviderError, HailuoError) as exc:
        print(f"hailuo: {exc}", file=err)
        return EXIT_FAILED


def _client(args: argparse.Namespace, provider: str | None, base_url: str | None) -> Client:
    emulator = None
    raw = environment().get("HAILUO_EMULATOR")
    if raw and provider in (None, "emulator"):
        # Lets tests and demos speed up the in-process emulator (JSON EmulatorConfig fields).
        from .emulator import EmulatorConfig

        emulator = EmulatorConfig(**json.loads(raw))
    client = Client(
        provider,
        base_url=base_url,
        output_dir=args.out,
        store_path=args.store,
        requests_per_minute=args.rpm,
        emulator_config=emulator,
        # Scripts pay unless asked: --reuse (or HAILUO_REUSE=always) turns the ledger on.
        reuse="always" if getattr(args, "reuse", False) else None,
    )
    client.submitter.notify = _say_wait
    return client


def _say_wait(note: str | None) -> None:
    # A submit waiting minutes for a rate-limit reset: said at once, not a silent hang.
    if note:
        print(f"hailuo: {note} (Ctrl-C stops waiting; nothing is sent)", file=sys.stderr)


def _cli_words(text: str) -> str:
    """The core's generic way out, in this command's words.

    Example:
        >>> _cli_words("recorded as submit-1: reconcile looks for it; new=True (--new) pays")
        'recorded as submit-1: hailuo reconcile looks for it; without --reuse it pays'
    """
    text = text.replace(": reconcile looks for it", ": hailuo reconcile looks for it")
    text = text.replace(". Reconcile looks for it", ". hailuo reconcile looks for it")
    text = text.replace(": resume ", ": hailuo resume ").replace("%hailuo ", "hailuo ")
    return text.replace("new=True (--new) pays", "without --reuse it pays")


async def _reconcile(client: Client, args: argparse.Namespace, err: TextIO) -> int:
    """Look for every uncertain submit at the provider; wait for what is found."""
    found = await client.reconcile(args.dismiss)
    if not found:
        print("no uncertain submits: nothing to look for", file=err)
    for item in found:
        print(item.line.replace("(reconcile --dismiss", "(hailuo reconcile --dismiss"), file=err)
        if item.job is not None:
            try:
                done = await asyncio.wait_for(client.wait(item.job.id), args.timeout)
            except JobFailed:
                continue
            if done.video_path:
                print(done.video_path)
    return EXIT_OK


def _stored(args: argparse.Namespace) -> tuple[str, str | None] | str:
    """(provider, base URL) of the job to resume, or why it cannot be resumed.

    The store is found as ``generate`` finds it (``--store``/``--out``, then
    ``$HAILUO_STORE``/``$HAILUO_OUTPUT_DIR``). An id it does not hold is refused: the
    client would record a guessed job for it (e.g. "expired" for a typo), and a store
    should hold only jobs this kit made.
    """
    from .settings import resolve
    from .store import JobStore

    path = resolve(
        "emulator", output_dir=args.out, store_path=args.store, environ=environment()
    ).job_store
    store = JobStore(path)
    # Looking must not create a store: JobStore makes the file on first use.
    job = store.get(args.job_id) if path.is_file() else None
    if job is None:
        return (
            f"no job {args.job_id} in {path}; resume takes an id from 'hailuo history'"
            " (or point --store / $HAILUO_STORE at the store that holds it)"
        )
    return job.provider, store.base_url(args.job_id)


def _still_running(job_id: str | None, timeout: float) -> str:
    """The timeout message: the job goes on remotely, and how to pick it up again.

    Example:
        >>> _still_running("ab12", 30.0)
        'job ab12 still running after 30 s; it goes on at the provider: hailuo resume ab12'
    """
    if job_id is None:
        return f"timed out after {timeout:g} s"
    return (
        f"job {job_id} still running after {timeout:g} s; it goes on at the provider:"
        f" hailuo resume {job_id}"
    )


def _cancelled_there(job_id: str, timeout: float) -> str:
    """The timeout message where the provider took the deadline too (Replicate).

    Example:
        >>> _cancelled_there("p1", 30.0)[:62]
        'job p1 still running after 30 s; the provider cancels it at th'
    """
    return (
        f"job {job_id} still running after {timeout:g} s; the provider cancels it at that"
        f" deadline (sent with the job), so it stops billing: hailuo resume {job_id} shows"
        " how it ended"
    )


async def _follow(client: Client, job: Job, err: TextIO) -> Job:
    await _show_progress(client, job, err)
    return await client.wait(job)


def progress_line(job: Job, now: float | None = None) -> str:
    """The CLI's progress line: short id, status (fixed width), bar figure, times, note.

    Example:
        >>> progress_line(Job(id="4f0c1e2d3c4b5a69", provider="p", model="m",
        ...     status="processing", submitted_at=0.0, started_at=2.0,
        ...     expected_seconds=20.0), now=7.0)
        '4f0c1e2d3c4b processing  28% 5.0 s · ~13 s left · queued 2.0 s'
    """
    f = display.figures(job, now)
    parts = [p for p in (f["elapsed"], f["left"], f["waited"], job.note) if p]
    return f"{job.id[:12]} {job.status:<{display.STATUS_WIDTH}} {f['value']:>4.0%} " + " · ".join(
        parts
    )


# A terminal's line is redrawn this often between polls: with real jobs of minutes, polls
# can be tens of seconds apart, and a line that does not move looks hung.
TICK_SECONDS = 1.0


async def _show_progress(client: Client, job: Job, err: TextIO) -> None:
    tty = err.isatty()
    latest = [job]
    width = [0]

    def draw() -> None:
        line = progress_line(latest[0])
        # Pad over the previous, longer line (the note can come and go).
        print(line.ljust(width[0]), file=err, end="\r", flush=True)
        width[0] = max(width[0], len(line))

    async def tick() -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            draw()

    # A log (not a terminal) gets one line per change, not a line a second.
    ticker = asyncio.create_task(tick()) if tty else None
    last: tuple[str, str | None] = ("", None)
    try:
        async for snap in client.updates(job):
            latest[0] = snap
            if tty:
                draw()
            elif (snap.status, snap.note) != last:
                print(progress_line(snap), file=err, flush=True)
                last = (snap.status, snap.note)
    finally:
        if ticker is not None:
            ticker.cancel()
    if tty:
        print(file=err)


def reused_line(job: Job) -> str:
    """The one line saying a job was reused rather than paid for again.

    Example:
        >>> reused_line(Job(id="5f3a9c0e1d", provider="emulator", model="hailuo-2.3",
        ...                 status="completed", submitted_at=0.0))[:22]
        'reused job 5f3a9c0e1d '
    """
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.submitted_at or 0))
    state = "" if job.status == "completed" else f", still {job.status}"
    return f"reused job {job.id} from {when} (same request{state})"


def _finish(job: Job, args: argparse.Namespace) -> int:
    if job.status == "completed" and not job.video_path:
        # Made (and billed) but not saved (a full disk): the provider still has it.
        said = _cli_words(job.error or "was not saved")
        print(f"hailuo: job {job.id} completed but {said}", file=sys.stderr)
        if args.json:
            _print_json(job)
        return EXIT_NETWORK
    if job.status != "completed":
        print(f"hailuo: job {job.id} {job.status}: {job.error or ''}".rstrip(), file=sys.stderr)
        if args.json:
            _print_json(job)
        return EXIT_FAILED
    if args.json:
        _print_json(job)
    else:
        print(job.video_path)
    return EXIT_OK


def _history(client: Client, args: argparse.Namespace) -> int:
    jobs = client.history(args.limit)
    if args.json:
        print(json.dumps([_public(j) for j in jobs]))
        return EXIT_OK
    if not jobs:
        # From another folder the default store is another file: say which one was read.
        print(f"no jobs in {client.store.path.resolve()}", file=sys.stderr)
        return EXIT_OK
    print("id\tprovider\tmodel\tstatus\twhen\tprompt\tfile or reason")
    for j in jobs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(j.submitted_at or 0))
        tail = j.video_path or j.error or ""
        print(f"{j.id}\t{j.provider}\t{j.model}\t{j.status}\t{when}\t{j.prompt[:40]}\t{tail}")
    return EXIT_OK


def _public(job: Job, error: str | None = None) -> dict[str, Any]:
    d = job.to_dict()
    d["cost"] = None if job.cost is None else {"usd": job.cost.usd, "estimated": job.cost.estimated}
    if error and not d.get("error"):
        d["error"] = error
    return d


def _print_json(job: Job, error: str | None = None) -> None:
    print(json.dumps(_public(job, error)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
