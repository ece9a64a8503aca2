"""The request budget (issue 14): learnt from the server, shared by every process using the
key, spent where it buys the most, and said on a job that waits for it.

Pure rules run on a fake clock; the rest runs against the emulator on a real socket,
limiting at N requests per window (``rate_limit_window_s``: a few seconds stand for the
server's minute, and the client's budget is scaled alike with ``RateBudget(scale=...)``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import itertools
import multiprocessing
import random
import sqlite3
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread
from hailuo_nb.follow import Follower
from hailuo_nb.http import Retry
from hailuo_nb.models import Job
from hailuo_nb.polling import Backoff, PollPolicy
from hailuo_nb.ratelimit import (
    FAR,
    RESULT,
    SUBMIT,
    Bucket,
    Limits,
    RateBudget,
    lowered,
    need,
    poll_rank,
    raised,
)
from hailuo_nb.ratestate import SharedBook, learnt
from hailuo_nb.settings import resolve
from hailuo_nb.store import key_id

from .conftest import requests_to, stats

KEY = "SG_0123456789abcdef"
WINDOW = 3.0  # the server's "minute" in these tests, seconds
SCALE = 60.0 / WINDOW


# -- the rules, on a fake clock ---------------------------------------------------------
def test_a_429_lowers_the_rate_to_what_got_through_else_halves_it() -> None:
    # A free tier behind a paid-tier start: the server took 5 in its minute, then refused.
    assert lowered(50.0, floor=5.0, got_through=5, pause=58.0, window=60.0) == 5.0
    # Nothing to go by (no reset named, little sent): multiplicative decrease, by half.
    assert lowered(50.0, floor=5.0, got_through=2, pause=None, window=60.0) == 25.0
    assert lowered(8.0, floor=5.0, got_through=1, pause=None, window=60.0) == 5.0  # floor
    # A reset a second away is a burst limit, not the minute's budget: a tenth less.
    assert lowered(50.0, floor=5.0, got_through=3, pause=1.0, window=60.0) == 45.0
    # At the limit already: at least a tenth lower, so the next minute passes.
    assert lowered(50.0, floor=5.0, got_through=50, pause=40.0, window=60.0) == 45.0


def test_a_run_of_answers_raises_the_rate_slowly_and_only_when_it_held_requests_back() -> None:
    lim = Limits(start=10.0, floor=5.0, window=60.0)
    bucket = Bucket.fresh(lim, now=0.0)
    for _ in range(100):
        bucket.answered(lim, busy=False)  # nothing waited: no sign the server allows more
    assert bucket.rate == 10.0
    for _ in range(30):  # three minutes of answers at 10 a minute, each having waited
        bucket.answered(lim, busy=True)
    assert 12.5 < bucket.rate < 13.5  # about one more a minute per minute
    assert raised(10.0, refused_at=10.5) - 10.0 == pytest.approx(0.01)  # near a refused rate


def test_a_fixed_rate_pauses_on_a_429_but_is_never_learnt() -> None:
    lim = Limits(start=20.0, floor=5.0, fixed=True)
    bucket = Bucket.fresh(lim, now=0.0)
    for _ in range(3):
        bucket.take(0.0, lim, 1.0)
    bucket.refused(1.0, 0.0, 30.0, lim)
    assert bucket.rate == 20.0 and bucket.paused_until == 30.0
    assert bucket.take(10.0, lim) == pytest.approx(20.0)  # paused until the reset
    for _ in range(100):
        bucket.answered(lim, busy=True)
    assert bucket.rate == 20.0


def test_one_429_episode_lowers_the_rate_once() -> None:
    lim = Limits(start=50.0, floor=5.0)
    bucket = Bucket.fresh(lim, now=0.0)
    for _ in range(8):
        bucket.take(0.0, lim, 1.0)
    # Three requests in flight together are refused: one lesson, not three.
    for _ in range(3):
        bucket.refused(1.0, 0.0, None, lim, named=False)
    assert bucket.rate == 7.0  # the 7 the server took before refusing the first
    assert bucket.refused_at == 8.0
    bucket.refused(2.0, 1.5, None, lim, named=False)  # sent after: news, learnt
    assert bucket.rate < 7.0


@pytest.mark.parametrize("rate", [5.0, 12.0, 50.0])
def test_the_bucket_never_sends_more_than_the_rate_in_any_minute(rate: float) -> None:
    lim = Limits(start=rate, floor=5.0, fixed=True)
    bucket = Bucket.fresh(lim, now=0.0)
    rng = random.Random(int(rate))
    for needs in ([1.0], [1.0, 2.0, 3.5, 7.0]):  # result fetches only; every kind
        bucket = Bucket.fresh(lim, now=0.0)
        now, sent = 0.0, []
        while now < 600.0:
            wait = bucket.take(now, lim, rng.choice(needs))
            if wait == 0.0:
                sent.append(now)
                now += rng.choice([0.0, 0.0, 0.1, 1.0])
            else:
                now += wait
        for start in sent:
            assert sum(1 for t in sent if start <= t < start + 60.0) <= int(rate)
        if needs == [1.0]:
            assert len(sent) >= int(rate) * 9  # the budget is used: the rate, each minute


def test_polls_rank_by_the_chance_their_job_is_done_submits_after_likely_ones() -> None:
    expected = 100.0
    far, earliest, middle, latest = (poll_rank(t, expected) for t in (10.0, 85.0, 100.0, 115.0))
    assert RESULT < latest < middle < SUBMIT < earliest <= FAR < far
    assert poll_rank(500.0, expected) == latest  # late: still the most likely
    assert poll_rank(120.0, expected, queued=True) > SUBMIT  # queued: has not even started


def test_a_request_leaves_more_for_better_ones_the_less_it_is_worth() -> None:
    burst = 10.0
    needs = [need(r, 0.0, burst=burst) for r in (RESULT, 5.0, SUBMIT, FAR, 100.0)]
    assert needs == sorted(needs) and needs[0] == 1.0 and needs[1] >= 2.0
    assert need(100.0, 30.0, burst=burst) < need(100.0, 0.0, burst=burst)  # waiting earns


async def test_the_next_token_goes_to_the_best_ranked_waiter() -> None:
    budget = RateBudget(600, burst=1)  # one token every 0.1 s, no reserve to speak of
    await budget.acquire(RESULT)  # the bucket is empty now
    order: list[str] = []

    async def wait_for(name: str, rank: float) -> None:
        await budget.acquire(rank)
        order.append(name)

    tasks = []
    for name, rank in (("submit", SUBMIT), ("far poll", 90.0), ("result", RESULT), ("near", 10.0)):
        tasks.append(asyncio.create_task(wait_for(name, rank)))
        await asyncio.sleep(0.005)
    await asyncio.gather(*tasks)
    assert order == ["result", "near", "submit", "far poll"]


async def test_no_waiter_starves_behind_a_stream_of_better_ones() -> None:
    # A minute of 0.6 s (scale 100): aging gives 100 points of rank a second.
    budget = RateBudget(6, burst=1, scale=100.0)
    await budget.acquire(RESULT)
    far = asyncio.create_task(budget.acquire(95.0))
    start = time.monotonic()
    submits = []
    while not far.done():
        submits.append(asyncio.create_task(budget.acquire(SUBMIT)))
        await asyncio.sleep(0.05)
        assert time.monotonic() - start < 3.0, "the far poll waited too long"
    assert submits and not all(t.done() for t in submits)  # it passed newer submits
    for t in submits:
        t.cancel()
    await asyncio.gather(*submits, return_exceptions=True)


async def test_a_cancelled_wait_takes_nothing() -> None:
    budget = RateBudget(60, burst=1)
    await budget.acquire(RESULT)
    waiting = asyncio.create_task(budget.acquire(SUBMIT))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert budget.requests == 1
    await asyncio.sleep(1.05)
    assert (await budget.acquire(RESULT)).waited == 0.0  # the token it did not take is there


def test_a_job_that_waited_in_line_is_scheduled_from_when_it_left_it() -> None:
    jobs: dict[str, Job] = {}
    follower = Follower(None, None, PollPolicy(), None, jobs, lambda j: None)  # type: ignore[arg-type]
    now = time.time()
    sibling = Job(
        id="s", provider="p", model="m", status="processing", expected_seconds=20.0,
        submitted_at=now - 100.0, started_at=now - 97.0,
    )  # fmt: skip
    queued = Job(
        id="q", provider="p", model="m", status="queued", expected_seconds=20.0,
        submitted_at=now - 40.0,
    )  # fmt: skip
    jobs.update(s=sibling, q=queued)
    follower._queued(queued, queued)  # a poll saw it still queued, 40 s after its submit
    running = dataclasses.replace(queued, status="processing", started_at=now + 1.0)
    follower._queued(queued, running)
    # Not 40 s into a 20 s job (late, polled ever more sparsely): 3 s in, as its sibling
    # was when it started (the usual wait), counted from the last poll that saw it queued.
    assert follower.elapsed(running, now=now) == pytest.approx(3.0, abs=0.1)
    assert poll_rank(follower.elapsed(running, now=now), 20.0) > FAR  # far from its end


def test_siblings_of_a_job_done_much_sooner_than_expected_expect_the_same() -> None:
    jobs: dict[str, Job] = {}
    follower = Follower(None, None, PollPolicy(), None, jobs, lambda j: jobs.update({j.id: j}))  # type: ignore[arg-type]
    base = {"provider": "segmind", "model": "hailuo-2.3", "submitted_at": 0.0}
    jobs.update(
        done=Job(id="done", status="completed", finished_at=8.0, expected_seconds=157.0, **base),
        twin=Job(id="twin", expected_seconds=157.0, **base),
        longer=Job(id="longer", expected_seconds=157.0, params={"duration": 10}, **base),
        close=Job(id="close", expected_seconds=9.0, **base),
    )
    assert follower.siblings(jobs["done"]) == ["twin"]
    assert jobs["twin"].expected_seconds == 8.0 and jobs["longer"].expected_seconds == 157.0


# -- settings --------------------------------------------------------------------------
def test_settings_tell_an_explicit_rate_from_the_providers_and_where_the_budget_lives(
    tmp_path: Path,
) -> None:
    key = {"api_key": KEY}
    published = resolve("segmind", environ={"HOME": str(tmp_path)}, **key)
    assert (published.requests_per_minute, published.rpm_explicit) == (50.0, False)
    assert published.budget_state == tmp_path / ".cache" / "hailuo-nb" / "budget.sqlite3"
    assert resolve("minimax", environ={}, **key).requests_per_minute == 20.0
    for chosen in (
        resolve("segmind", requests_per_minute=5, environ={}, **key),
        resolve("segmind", notebook={"requests_per_minute": 5}, environ={}, **key),
        resolve("segmind", environ={"HAILUO_RPM": "5"}, **key),
    ):
        assert (chosen.requests_per_minute, chosen.rpm_explicit) == (5.0, True)
    off = resolve("segmind", environ={"HAILUO_BUDGET_STATE": "off", "HOME": "/h"}, **key)
    assert off.budget_state is None
    there = resolve("segmind", environ={"HAILUO_BUDGET_STATE": str(tmp_path / "b.db")}, **key)
    assert there.budget_state == tmp_path / "b.db"


def test_the_client_learns_unless_told_and_the_in_process_emulator_keeps_its_own(
    tmp_path: Path,
) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    learning = Client("segmind", api_key=KEY, environ=env, output_dir=tmp_path)
    assert learning.budget.learning and learning.budget.rate == 50.0
    assert "shared in" in learning.budget.book.describe()
    fixed = Client("segmind", api_key=KEY, requests_per_minute=12, environ=env, output_dir=tmp_path)
    assert not fixed.budget.learning and fixed.budget.rate == 12.0
    emulator = Client("emulator", environ=env, output_dir=tmp_path)
    assert emulator.budget.book.describe() == "this process only"


# -- the shared file -------------------------------------------------------------------
async def test_two_books_on_one_file_share_tokens_and_pauses(tmp_path: Path) -> None:
    path = tmp_path / "budget.sqlite3"
    scope = ("segmind", "https://api.segmind.com", key_id(KEY))
    lim = Limits(start=6.0, floor=5.0, fixed=True, burst_size=4)
    one, two = SharedBook(path, scope, lim), SharedBook(path, scope, lim)
    got = [await book.apply(lambda b: b.take(time.time(), lim, 1.0)) for book in (one, two) * 3]
    assert got[:4] == [0.0] * 4 and all(w > 0 for w in got[4:])  # four tokens between them
    await one.apply(lambda b: b.refused(time.time(), 0.0, time.time() + 30.0, lim))
    assert await two.apply(lambda b: b.take(time.time(), lim, 1.0)) > 25.0  # paused for both
    other = SharedBook(path, ("segmind", "https://api.segmind.com", "k-other"), lim)
    assert await other.apply(lambda b: b.take(time.time(), lim, 1.0)) == 0.0  # another key
    assert KEY.encode() not in path.read_bytes()
    rows = learnt(path)
    assert {r.key_id for r in rows} == {key_id(KEY), "k-other"}


def _hammer(path: str, until: float) -> list[float]:
    """Take tokens as fast as the shared file gives them (in another process)."""
    lim = Limits(start=20.0, fixed=True, window=2.0, burst_size=4)
    book = SharedBook(path, ("segmind", "http://h", "k-1"), lim)
    got: list[float] = []
    while time.time() < until:
        now = time.time()
        wait = asyncio.run(book.apply(lambda b, now=now: b.take(now, lim, 1.0)))
        if wait == 0.0:
            got.append(now)
        else:
            time.sleep(min(wait, 0.05))
    assert book.problem is None
    return got


def _ready(seconds: float) -> float:
    """Occupy a worker for a moment (so that each of the pool's two starts and imports)."""
    time.sleep(seconds)
    return time.time()


def test_processes_sharing_the_file_share_one_budget(tmp_path: Path) -> None:
    path = str(tmp_path / "budget.sqlite3")
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        # Both processes up before the clock starts: on a loaded machine a spawn can take
        # seconds, and a late one found the 4 s over before it began.
        list(pool.map(_ready, [0.5, 0.5]))
        until = time.time() + 4.0
        runs = list(pool.map(_hammer, [path, path], [until, until]))
    sent = sorted(itertools.chain.from_iterable(runs))
    assert all(runs)  # both got some
    for start in sent:  # never more than 20 in any 2 s window, between the two of them
        assert sum(1 for t in sent if start <= t < start + 2.0) <= 20
    assert len(sent) >= 20  # and the budget was used


async def test_a_broken_state_file_never_stops_a_request(tmp_path: Path) -> None:
    path = tmp_path / "budget.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    lim = Limits(start=50.0, floor=5.0)
    book = SharedBook(path, ("segmind", "u", "k"), lim)
    budget = RateBudget(50, floor=5, learn=True, book=lambda _: book)
    for _ in range(3):
        await budget.acquire(SUBMIT)  # no exception: carried on in memory
    assert book.problem is not None and "this process only" in book.describe()
    locked = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("CREATE TABLE x (a)")
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        slow = SharedBook(locked, ("segmind", "u", "k"), lim, busy_timeout=0.2)
        start = time.monotonic()
        assert await slow.apply(lambda b: b.take(time.time(), lim, 1.0)) == 0.0
        assert time.monotonic() - start < 2.0 and slow.problem is not None
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# -- against the emulator over HTTP ----------------------------------------------------
def _server(limit: int | None, scale: float = 200.0, **extra: Any) -> EmulatorConfig:
    return EmulatorConfig(
        time_scale=scale,
        preview=True,
        seed=14,
        rate_limit_rpm=limit,
        rate_limit_window_s=WINDOW,
        workers_per_key=8,
        **extra,
    )


def _client(base: str, tmp_path: Path, budget: RateBudget, **kw: Any) -> Client:
    args: dict[str, Any] = {
        "base_url": f"{base}/segmind",
        "api_key": KEY,
        "output_dir": tmp_path / "out",
        "environ": {},
        "budget": budget,
        "poll_policy": PollPolicy(min_interval=0.01, max_interval=0.05),
        "retry": Retry(backoff=Backoff(base=0.01, cap=0.05)),
    }
    return Client("segmind", **{**args, **kw})


def _refused(base: str) -> int:
    routes = stats(base)["requests"]
    return sum(codes.get("429", 0) for codes in routes.values())


async def test_a_429_lowers_the_learnt_rate_and_a_run_of_answers_raises_it(
    tmp_path: Path,
) -> None:
    with serve_in_thread(create_app(_server(10, scale=400.0))) as base:
        budget = RateBudget(50, floor=5, learn=True, scale=SCALE, label="Segmind's")
        seen: list[float] = []

        async def watch() -> None:
            while True:
                seen.append(budget.rate)
                await asyncio.sleep(0.01)

        watcher = asyncio.create_task(watch())
        async with _client(base, tmp_path, budget) as client:
            jobs = await client.run_many([{"prompt": f"scene {i}"} for i in range(4)])
        watcher.cancel()
        assert all(j.status == "completed" for j in jobs)  # a 429 never costs a job
        assert stats(base)["submissions"]["total"] == 4  # each submitted once
        refused = _refused(base)
    assert refused >= 1 and budget.limited == refused
    first = next(i for i, r in enumerate(seen) if r < 50.0)
    assert 5.0 <= seen[first] <= 10.0  # down to what the server took in its minute
    assert max(seen[first:]) > seen[first]  # and up again while answers keep coming


async def test_an_explicit_rate_is_never_exceeded(tmp_path: Path) -> None:
    # The server refuses anything past 8 in any window: a 429 would mean we sent a 9th.
    with serve_in_thread(create_app(_server(8))) as base:
        budget = RateBudget(8, learn=False, scale=SCALE, label="Segmind's")
        async with _client(base, tmp_path, budget) as client:
            start = time.monotonic()
            jobs = await client.run_many([{"prompt": f"scene {i}"} for i in range(5)])
            took = time.monotonic() - start
        assert all(j.status == "completed" for j in jobs)
        answered = sum(sum(c.values()) for c in stats(base)["requests"].values())
        assert _refused(base) == 0
    assert answered <= 8 * (took / WINDOW + 1)
    assert budget.rate == 8.0 and budget.limited == 0


async def test_two_clients_with_one_state_file_share_one_budget(tmp_path: Path) -> None:
    async def run(shared: bool) -> int:
        with serve_in_thread(create_app(_server(8))) as base:
            path = tmp_path / f"budget-{shared}.sqlite3"
            scope = ("segmind", f"{base}/segmind", key_id(KEY))
            clients = []
            for n in range(2):
                book = partial(SharedBook, path, scope) if shared else None
                budget = RateBudget(8, learn=False, scale=SCALE, book=book, label="Segmind's")
                clients.append(_client(base, tmp_path / str(n), budget))
            try:
                await asyncio.gather(
                    *(
                        c.run_many([{"prompt": f"scene {n}.{i}"} for i in range(4)])
                        for n, c in enumerate(clients)
                    )
                )
            finally:
                for c in clients:
                    await c.aclose()
            assert stats(base)["submissions"]["total"] == 8
            return _refused(base)

    assert await run(shared=False) > 0  # each thinks it has the whole budget
    assert await run(shared=True) == 0  # one budget between them


async def test_a_job_waiting_for_the_budget_says_so(tmp_path: Path) -> None:
    with serve_in_thread(create_app(_server(None, scale=2000.0))) as base:
        budget = RateBudget(120, learn=False, burst=1, label="Segmind's")  # one every 0.5 s
        async with _client(
            base,
            tmp_path,
            budget,
            retry=Retry(note_after=0.1, backoff=Backoff(base=0.01, cap=0.05)),
        ) as client:
            notes: list[str | None] = []
            last: list[str | None] = []

            async def follow(prompt: str) -> None:
                job = await client.submit(prompt)
                async for snap in client.updates(job):
                    notes.append(snap.note)
                last.append(snap.note)

            await asyncio.gather(*(follow(f"scene {i}") for i in range(3)))
        assert requests_to(base, "POST /segmind/v2/{slug}") == {"200": 3}
    said = [n for n in notes if n]
    assert said and said[0] == "waiting for Segmind's request budget, ~120/min"
    assert last == [None, None, None]  # cleared once the request went
