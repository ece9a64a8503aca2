"""The request budget: the old fixed 5/min beside the learnt one, and an oracle, per server limit.

The same seeded emulator jobs (hailuo-2.3, real-duration distribution: ~141 s ± 15 %) run
N at a time against a Segmind-speaking server (real uvicorn socket) that limits each key
at 5 requests a minute, at 50, or not at all. Each is followed by

- **fixed 5/min**: the budget before issue 14, kept here as it was (a token bucket at the
  free tier's 5 a minute, one token of burst, first come first served, nothing learnt);
- **learnt**: today's client with its defaults (starts at Segmind's published 50/min,
  learns from 429s and answers, ranks waiting requests, shares its numbers in a state file);
- **oracle**: not a client but a bound computed from the same jobs' timings and the
  server's limit: every submit as early as the limit allows, and one request (the result)
  the moment each job finishes, as early as the limit allows: the earliest each end could
  be known with perfect knowledge.

The emulator runs ``time_scale`` times faster; its rate limit window is ``60 / time_scale``
seconds and the client's budget minute is scaled alike (``RateBudget(scale=...)``), so
every figure is in real-time-equivalent seconds. The client knows the server's speed from
its job store, as in real use (three past runs are seeded into it). Each key has as many
workers as jobs (no queue at the server), so a job's run time does not depend on when it
was submitted, and the oracle is exact.

Columns: lag = from the server finishing a job to the client knowing it (median, max);
wall ÷ slowest = the whole batch (submit to the last video saved) over the slowest job's
own run (submit → finished), as in benchmarks/fanout.py; requests = every API request the
server answered (429s included); 429s = those refused.

Run::

    python benchmarks/budget.py            # N = 4 and 8, time_scale 8, 2 runs (~35 minutes)
    python benchmarks/budget.py --short    # N = 4, time_scale 20, 5 and 50/min, 1 run (CI, ~45 s)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # this checkout's hailuo_nb
from common import KEY, table

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread
from hailuo_nb.emulator.catalog import model as emulator_model
from hailuo_nb.http import Retry
from hailuo_nb.models import Job
from hailuo_nb.polling import Backoff, PollPolicy
from hailuo_nb.ratelimit import SUBMIT, RateBudget, Ticket
from hailuo_nb.ratestate import SharedBook
from hailuo_nb.store import JobStore, key_id

MODEL = "hailuo-2.3"
# The emulator's typical run of the model, in real seconds (its own catalog, not ours).
TYPICAL = emulator_model("segmind", MODEL).typical_s  # type: ignore[union-attr]
LIMITS: tuple[int | None, ...] = (5, 50, None)


class OldFixedBudget:
    """The budget as it was before issue 14: a token bucket, first come first served.

    5 a minute (Segmind's free tier, whatever the account allowed), one token of burst, a
    429 pauses it until the server's reset; nothing is learnt, nothing ranked.
    """

    def __init__(self, requests_per_minute: float, scale: float) -> None:
        self.rate_per_s = requests_per_minute / 60.0 * scale
        self.rpm = requests_per_minute
        self.tokens = 1.0
        self.stamp = time.time()
        self.paused_until = 0.0
        self.lock = asyncio.Lock()
        self.learning = False
        self.requests = 0
        self.limited = 0

    @property
    def rate(self) -> float:
        return self.rpm

    # Polls of far jobs were not spaced out for the budget then (follow.Follower.spaced).
    interval = 0.0

    def note(self) -> str:
        return f"waiting for Segmind's request budget, ~{self.rpm:g}/min"

    def paused_for(self) -> float:
        return max(0.0, self.paused_until - time.time())

    async def acquire(self, rank: Any = SUBMIT) -> Ticket:
        start = time.time()
        async with self.lock:
            while True:
                now = time.time()
                if now < self.paused_until:
                    await asyncio.sleep(self.paused_until - now)
                    continue
                if now > self.stamp:
                    self.tokens = min(1.0, self.tokens + (now - self.stamp) * self.rate_per_s)
                    self.stamp = now
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                    break
                await asyncio.sleep((1.0 - self.tokens) / self.rate_per_s)
        self.requests += 1
        return Ticket(sent_at=time.time(), waited=time.time() - start)

    async def refused(self, ticket: Ticket, until: float | None, *, named: bool = True) -> None:
        self.limited += 1
        if until is not None:
            self.paused_until = max(self.paused_until, until)
            self.tokens = 0.0
            self.stamp = max(self.stamp, until)

    async def answered(self, ticket: Ticket | None = None) -> None:
        return None

    async def refund(self, ticket: Ticket | None = None) -> None:
        self.tokens = min(1.0, self.tokens + 1.0)


@dataclass
class Row:
    """One client (or bound) against one server limit and N, over one or more runs."""

    client: str
    limit: int | None
    jobs: int
    lags: list[float]
    ratios: list[float]  # wall ÷ slowest job, one per run
    requests: list[int]  # one per run
    refused: int = 0
    minutes: float = 0.0  # real-time-equivalent minutes of all runs (429s per minute)

    def merge(self, other: Row) -> Row:
        return Row(
            self.client,
            self.limit,
            self.jobs,
            self.lags + other.lags,
            self.ratios + other.ratios,
            self.requests + other.requests,
            self.refused + other.refused,
            self.minutes + other.minutes,
        )

    @property
    def is_bound(self) -> bool:
        return self.client.startswith("oracle")

    @property
    def limit_text(self) -> str:
        return "none" if self.limit is None else f"{self.limit}/min"

    @property
    def per_minute(self) -> float:
        return self.refused / self.minutes if self.minutes else 0.0

    def cells(self) -> list[object]:
        requests = round(statistics.mean(self.requests))
        return [
            self.limit_text,
            self.jobs,
            self.client,
            f"{statistics.median(self.lags):.1f}",
            f"{max(self.lags):.1f}",
            f"{max(self.ratios):.2f}",
            f"{requests} (bound)" if self.is_bound else requests,
            "0" if self.is_bound else f"{self.refused} ({self.per_minute:.2f}/min)",
        ]


def _server(scale: float, limit: int | None, workers: int, seed: int) -> EmulatorConfig:
    return EmulatorConfig(
        time_scale=scale,
        preview=True,
        seed=seed,
        spread=0.15,
        workers_per_key=workers,
        rate_limit_rpm=limit,
        rate_limit_window_s=60.0 / scale,
    )


def _counts(base: str) -> tuple[int, int]:
    reqs = httpx.get(f"{base}/__emulator__/stats").json()["requests"]
    routes = [r for r in reqs if r.startswith(("GET /segmind", "POST /segmind"))]
    total = sum(sum(reqs[r].values()) for r in routes)
    refused = sum(reqs[r].get("429", 0) for r in routes)
    return total, refused


def _seed_store(path: Path, base_url: str, scale: float) -> None:
    """Three past runs at the server's speed: the client's expected run time."""
    store = JobStore(path)
    past = time.time() - 3600.0
    for i, share in enumerate((0.95, 1.0, 1.05)):
        store.save(
            Job(
                id=f"past-{i}",
                provider="segmind",
                model=MODEL,
                status="completed",
                params={"prompt": f"past run {i}"},
                submitted_at=past + i,
                finished_at=past + i + TYPICAL * share / scale,
            ),
            base_url=base_url,
        )


def _budget(kind: str, scale: float, tmp: Path, base_url: str) -> Any:
    if kind == "fixed 5/min":
        return OldFixedBudget(5.0, scale)
    # What Client() makes with no requests_per_minute, on a server time_scale faster.
    scope = ("segmind", base_url, key_id(KEY))
    return RateBudget(
        50.0,
        floor=5.0,
        learn=True,
        scale=scale,
        book=partial(SharedBook, tmp / "budget.sqlite3", scope),
        label="Segmind's",
    )


async def _run(
    kind: str, scale: float, limit: int | None, n: int, seed: int
) -> tuple[Row, list[float]]:
    """One client against one fresh server; the row, and each job's run time (real s)."""
    with (
        serve_in_thread(create_app(_server(scale, limit, n, seed))) as base,
        tempfile.TemporaryDirectory() as tmp_name,
    ):
        tmp = Path(tmp_name)
        base_url = f"{base}/segmind"
        _seed_store(tmp / "jobs.sqlite3", base_url, scale)
        budget = _budget(kind, scale, tmp, base_url)
        async with Client(
            "segmind",
            base_url=base_url,
            api_key=KEY,
            output_dir=tmp / "out",
            store_path=tmp / "jobs.sqlite3",
            environ={},
            budget=budget,
            poll_policy=PollPolicy(min_interval=1.0 / scale, max_interval=30.0 / scale),
            retry=Retry(backoff=Backoff(base=0.5 / scale, cap=30.0 / scale)),
        ) as client:
            lags: list[float] = []
            runs: list[float] = []
            start = time.time()

            async def one(i: int) -> None:
                job = await client.submit(f"budget scene {i}")
                known = None
                async for snap in client.updates(job):
                    if snap.status == "completed" and known is None:
                        known = time.time()
                        assert snap.finished_at is not None and snap.raw is not None
                        lags.append((known - snap.finished_at) * scale)
                        runs.append(float(snap.raw["metrics"]["total_time"]) * scale)
                await client.wait(job)

            await asyncio.gather(*(one(i) for i in range(n)))
            wall = (time.time() - start) * scale
        requests, refused = _counts(base)
    row = Row(kind, limit, n, lags, [wall / max(runs)], [requests], refused, wall / 60.0)
    return row, runs


def oracle(runs: list[float], limit: int | None, per_end: int = 1) -> Row:
    """The bound: submits as early as the limit allows, then ``per_end`` requests per job
    from its end (1: its result; 2: Segmind's documented flow, the status that says
    COMPLETED and then the result, as our client and the official SDK do).

    Requests go out in time order, each as soon as the server's sliding window of
    ``limit`` per 60 s lets it (what the emulator enforces).

    Example:
        >>> oracle([100.0, 100.0], 1).lags   # submits at 0 and 60; results at 120 and 180
        [20.0, 20.0]
        >>> oracle([100.0, 100.0], None).lags
        [0.0, 0.0]
        >>> oracle([100.0, 100.0], 2, per_end=2).lags
        [0.0, 60.0]
    """
    sent: list[float] = []

    def place(earliest: float) -> float:
        t = max(earliest, sent[-1] if sent else 0.0)
        if limit is not None:
            recent = [s for s in sent if s > t - 60.0]
            if len(recent) >= limit:
                t = recent[len(recent) - limit] + 60.0
        sent.append(t)
        return t

    submits = [place(0.0) for _ in runs]
    ends = sorted((s + r, i) for i, (s, r) in enumerate(zip(submits, runs, strict=True)))
    lags = [0.0] * len(runs)
    for end, i in ends:
        known = end
        for _ in range(per_end):
            known = place(known)
        lags[i] = known - end
    last = sent[-1]
    name = "oracle" if per_end == 1 else "oracle, status + result"
    return Row(name, limit, len(runs), lags, [last / max(runs)], [len(sent)], 0, last / 60.0)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--short", action="store_true", help="N = 4 at time_scale 20 (CI)")
    p.add_argument("--jobs", help="comma-separated N values (default 4,8; short: 4)")
    p.add_argument("--scale", type=float, help="emulator time_scale (default 8; short: 20)")
    p.add_argument(
        "--limits", help="comma-separated server limits, 0 = none (default 5,50,0; short: 5,50)"
    )
    p.add_argument("--repeat", type=int, help="runs of each, with other seeds (default 2; short 1)")
    args = p.parse_args(argv)
    sizes = [int(x) for x in args.jobs.split(",")] if args.jobs else ([4] if args.short else [4, 8])
    scale = args.scale or (20.0 if args.short else 8.0)
    repeat = args.repeat or (1 if args.short else 2)
    # Short (CI): 5/min and 50/min; "none" behaves as 50/min does (the budget starts at
    # Segmind's published 50 either way) and cost a third of the CI run.
    default_limits = LIMITS[:2] if args.short else LIMITS
    limits = (
        tuple(int(x) or None for x in args.limits.split(",")) if args.limits else default_limits
    )
    rows: list[Row] = []
    for limit in limits:
        for n in sizes:
            merged: dict[str, Row] = {}
            for r in range(repeat):
                for kind in ("fixed 5/min", "learnt"):
                    row, runs = asyncio.run(_run(kind, scale, limit, n, seed=14 + r))
                    merged[kind] = merged[kind].merge(row) if kind in merged else row
                    print(f"  {row.limit_text} N={n} {kind} #{r + 1}: done", file=sys.stderr)
                for bound in (oracle(runs, limit), oracle(runs, limit, per_end=2)):
                    name = bound.client
                    merged[name] = merged[name].merge(bound) if name in merged else bound
            rows.extend(merged.values())
    print(
        f"hailuo-2.3 jobs of ~{TYPICAL:.0f} s ± 15 % (emulator time_scale {scale:g}; figures in"
        f" real-time-equivalent seconds; {repeat} run(s) of each, lags pooled, wall ÷ slowest"
        " the worst run, requests per run); baseline = the old fixed 5/min budget"
    )
    print()
    headers = [
        "server limit",
        "N",
        "client",
        "lag median (s)",
        "lag max (s)",
        "wall ÷ slowest",
        "requests",
        "429s",
    ]
    print(table(headers, [r.cells() for r in rows]))
    print()
    print(verdict(rows))


def verdict(rows: list[Row]) -> str:
    """The issue's targets, met or missed, for the learnt budget."""
    lines = []
    for r in rows:
        if r.client != "learnt":
            continue
        lag = statistics.median(r.lags)
        if r.limit is None or r.limit >= 50:
            ratio = max(r.ratios)
            ok = ratio <= 1.1 and lag <= 2.0
            want = "wall ≤ 1.1 × slowest and median lag ≤ 2 s"
            got = f"{ratio:.2f}, {lag:.1f} s"
        else:
            bounds = {
                o.client: statistics.median(o.lags)
                for o in rows
                if o.is_bound and o.limit == r.limit and o.jobs == r.jobs
            }
            best = bounds["oracle"]
            ok = lag <= 1.5 * best and r.per_minute <= 1.0
            want = "median lag ≤ 1.5 × the oracle's and ≤ 1 429 a minute"
            protocol = bounds["oracle, status + result"]
            got = (
                f"{lag:.1f} s vs oracle {best:.1f} s ({lag / protocol:.2f} × the status + result"
                f" oracle's {protocol:.1f} s), {r.per_minute:.2f} 429s/min"
            )
        met = "met" if ok else "missed"
        lines.append(f"target at {r.limit_text}, N={r.jobs} ({want}): {met} ({got})")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
