"""Settings, the request budget, the poll schedule, the store and downloads: no server."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hailuo_nb.client import Client
from hailuo_nb.download import DownloadError, safe_path, stream_to_file, video_filename
from hailuo_nb.errors import ValidationError
from hailuo_nb.models import Cost, Job
from hailuo_nb.polling import PollPolicy, expected_seconds
from hailuo_nb.ratelimit import RateBudget
from hailuo_nb.settings import resolve
from hailuo_nb.store import JobStore


def test_settings_order_explicit_then_notebook_then_environment() -> None:
    env = {
        "HAILUO_PROVIDER": "aimlapi",
        "AIMLAPI_KEY": "k" * 20,
        "SEGMIND_API_KEY": "s" * 20,
        "HAILUO_RPM": "30",
    }
    assert resolve(environ=env).provider == "aimlapi"
    assert resolve(notebook={"provider": "segmind"}, environ=env).provider == "segmind"
    assert resolve("minimax", api_key="m" * 20, environ=env).provider == "minimax"
    assert resolve(environ=env).requests_per_minute == 30.0
    nb = {"requests_per_minute": 12, "poll_min_interval": 2.0}
    s = resolve(notebook=nb, requests_per_minute=40, environ=env)
    assert s.requests_per_minute == 40.0 and s.poll_min_interval == 2.0


def test_a_key_in_the_environment_picks_its_provider() -> None:
    assert resolve(environ={"MINIMAX_API_KEY": "x" * 20}).provider == "minimax"


async def test_no_provider_and_no_key_means_the_emulator_said_once_where_a_job_is_sent(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    import hailuo_nb.settings as settings_mod

    settings_mod._told_emulator = False
    with caplog.at_level(logging.WARNING, logger="hailuo_nb"):
        assert resolve(environ={}).auto_chosen
        assert resolve(environ={}).provider == "emulator"
        assert not any("local emulator" in r.message for r in caplog.records)  # not yet
        async with Client(environ={}, output_dir=tmp_path) as client:
            await client.submit("a fox")
            await client.submit("an owl")
    assert sum("local emulator" in r.message for r in caplog.records) == 1


def test_missing_key_for_a_remote_provider_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="SEGMIND_API_KEY"):
        resolve("segmind", environ={})
    local = resolve("segmind", base_url="http://127.0.0.1:8000/segmind", environ={})
    assert local.api_key and local.upload_url == "http://127.0.0.1:8000/segmind/upload-asset"
    official = resolve("segmind", api_key="SG_" + "a" * 16, environ={})
    assert official.upload_url == "https://workflows-api.segmind.com/upload-asset"


def test_the_key_never_shows() -> None:
    key = "SG_0123456789abcdef"
    s = resolve("segmind", api_key=key, environ={})
    assert key not in repr(s) and key not in str(s)


async def test_budget_paces_requests_and_honours_a_pause() -> None:
    budget = RateBudget(requests_per_minute=1200, burst=1)  # one per 50 ms
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(5):
        await budget.acquire()
    assert 0.18 < loop.time() - start < 0.5
    import time

    budget.pause_until(time.time() + 0.2)
    start = loop.time()
    await budget.acquire()
    assert loop.time() - start >= 0.19


def test_schedule_is_sparse_far_and_dense_near_the_end() -> None:
    p = PollPolicy(min_interval=1.0, max_interval=30.0, jitter=0.0)
    t, polls = 0.0, []
    while t < 170.0:
        t += p.delay(t, 157.0, len(polls))
        polls.append(t)
    assert len(polls) <= 0.4 * 170  # against 170 at a fixed second
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    far = [g for a, g in zip(polls, gaps, strict=False) if a < 100]
    near = [g for a, g in zip(polls, gaps, strict=False) if 134 < a < 180]
    assert max(far) >= 15  # sparse while far from the end
    assert near and max(near) <= 1.1  # ~0.65 % of the expected time: the end known within ~1 s
    # Most polls are in the last 15 %. (The first probes grow by half, not doubling, so a
    # job far faster than expected is seen sooner: 8.1 s, not 15 s; two polls more.)
    assert len([a for a in polls if a < 130]) <= 15


def test_expected_time_learns_from_history() -> None:
    assert expected_seconds(157.0, [20.0, 22.0, 21.0]) == 21.0
    assert expected_seconds(None, []) is None


def test_store_is_readable_from_another_process(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path)
    store.save(
        Job(
            id="abc",
            provider="segmind",
            model="hailuo-2.3",
            params={"prompt": "fox"},
            status="processing",
            submitted_at=1.0,
            cost=Cost(0.35),
        ),
        base_url="http://h",
        estimate=Cost(0.35),
    )
    code = (
        "import json,sys; from hailuo_nb.store import JobStore; "
        "j = JobStore(sys.argv[1]).history()[0]; print(json.dumps([j.id, j.status, j.prompt]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == ["abc", "processing", "fox"]
    assert "journal_mode" not in out.stderr
    assert path.read_bytes().find(b"SG_") == -1


def test_opening_a_new_store_waits_for_another_writer(tmp_path: Path) -> None:
    # Two processes opening a new store at once: switching it to WAL finds the other one
    # mid-write, and SQLite says "database is locked" at once, whatever the busy timeout.
    path = tmp_path / "jobs.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE other (x)")
    other.execute("BEGIN IMMEDIATE")
    done = threading.Timer(0.3, other.execute, ["COMMIT"])
    done.start()
    try:
        assert JobStore(path).history() == []
    finally:
        done.join()
        other.close()


def test_spending_counts_billed_and_estimated(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "s.sqlite3")
    store.save(
        Job(
            id="a",
            provider="p",
            model="m",
            status="completed",
            submitted_at=10.0,
            cost=Cost(0.4, estimated=False),
        )
    )
    store.save(
        Job(
            id="b", provider="p", model="m", status="processing", submitted_at=20.0, cost=Cost(0.35)
        )
    )
    store.save(
        Job(id="c", provider="p", model="m", status="failed", submitted_at=30.0, cost=Cost(0.35))
    )
    assert store.spending() == {
        "estimated_usd": 0.35,
        "actual_usd": 0.4,
        "jobs": 3,
        "completed": 1,
        "failed": 1,
        "running": 1,
        "uncertain": 0,
    }
    assert store.spending(since=15.0)["jobs"] == 2


def test_a_failed_job_counts_only_what_was_billed(tmp_path: Path) -> None:
    # AI/ML bills at submit and does not say whether a failure is refunded: a billed cost
    # on a failed job counts; an estimate on one (nothing billed) does not.
    store = JobStore(tmp_path / "s.sqlite3")
    billed = Job(id="a", provider="aimlapi", model="m", status="failed", submitted_at=1.0,
                 cost=Cost(0.3, estimated=False))  # fmt: skip
    store.save(billed)
    store.save(Job(id="b", provider="segmind", model="m", status="expired", cost=Cost(0.35)))
    spending = store.spending()
    assert (spending["actual_usd"], spending["estimated_usd"], spending["failed"]) == (0.3, 0, 2)
    assert store.get("a") == billed  # the billed amount stays on the failed job


def test_file_names_stay_inside_the_folder(tmp_path: Path) -> None:
    name = video_filename("../../x/..", "../../etc/passwd")
    assert safe_path(tmp_path, name).parent == tmp_path.resolve()
    with pytest.raises(DownloadError):
        safe_path(tmp_path, "../evil.mp4")


def test_distinct_ids_never_share_a_file_name() -> None:
    # AI/ML ids hold ":" and "/": made safe, "x/y" and "x:y" both read "x-y".
    ids = ["123:minimax/hailuo-2.3", "123/minimax:hailuo-2.3", "123-minimax-hailuo-2.3"]
    ids += ["a" * 80 + "b", "a" * 80 + "c"]  # the same first 80 characters
    names = {video_filename(i, "a fox") for i in ids}
    assert len(names) == len(ids)
    assert all(len(n) < 255 for n in names)


def test_ids_already_safe_keep_their_file_name() -> None:
    # Files saved before the hash rule are found again under the same name.
    for job_id in ("d0c5a1e2f3b4a5c6d7e8f90112233445", "347659872645317", "v1-0a1b2c"):
        assert video_filename(job_id, "A red fox!") == f"{job_id}_a-red-fox.mp4"


@given(st.text(max_size=100), st.text(max_size=100))
def test_file_names_are_distinct_for_any_two_ids(a: str, b: str) -> None:
    if a != b:
        assert video_filename(a, "p") != video_filename(b, "p")


async def test_truncated_or_oversized_downloads_leave_nothing(tmp_path: Path) -> None:
    def answer(body: bytes, length: int) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-length": str(length)}, stream=httpx.ByteStream(body)
        )

    target = tmp_path / "v.mp4"
    with pytest.raises(DownloadError, match="truncated"):
        await stream_to_file(answer(b"abc", 10), target, max_bytes=100)
    with pytest.raises(DownloadError, match="cap"):
        await stream_to_file(answer(b"a" * 50, 50), target, max_bytes=10)
    assert list(tmp_path.iterdir()) == []
    assert await stream_to_file(answer(b"abc", 3), target, max_bytes=10) == 3
    assert target.read_bytes() == b"abc"
