"""The write-ahead journal, shielded submits, reconciliation and resume at the job's own home.

Every test counts from the emulator's own statistics how many jobs it accepted, and reads
from the store what the user can find. The submit answer is held (``slow``), dropped
after acceptance (``drop_after``) or refused before it (``502``) by the emulator itself.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread
from hailuo_nb.errors import (
    NotFound,
    PossiblyPaid,
    StoreError,
    SubmitInterrupted,
    SubmitUncertain,
    ValidationError,
)
from hailuo_nb.http import Retry
from hailuo_nb.polling import Backoff

from .conftest import advance_clock, set_faults, stats

SLOW = 1.0  # seconds the emulator holds a "slow" submit answer after accepting the job


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(time_scale=2000.0, preview=True, seed=7, slow_seconds=SLOW)


def rows(client: Client) -> list[tuple[str, str, int]]:
    """(id, status, sent) of every row, read straight from the file."""
    if not client.store.path.is_file():
        return []
    with sqlite3.connect(client.store.path) as conn:
        return [tuple(r) for r in conn.execute("SELECT id, status, sent FROM jobs ORDER BY seq")]


async def until_sent(client: Client) -> None:
    for _ in range(200):
        if any(status == "submitting" and sent for _, status, sent in rows(client)):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no submit in flight: {rows(client)}")


def accepted(base: str) -> int:
    return int(stats(base)["submissions"]["total"])


def mp4(path: str | None) -> bool:
    return bool(path) and Path(str(path)).read_bytes()[4:8] == b"ftyp"


async def test_the_row_exists_before_the_answer(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "slow", "times": 1})
    async with make_client() as client:
        task = asyncio.create_task(client.submit("a fox"))
        await until_sent(client)  # the provider has not answered yet: the store knows
        job = await task
        assert [(i, s) for i, s, _ in rows(client)] == [(job.id, job.status)]
        assert (await client.wait(job)).status == "completed"
    assert accepted(emulator_url) == 1


async def test_a_lost_answer_is_uncertain_never_resent_and_reconciled(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "drop_after", "times": 1})
    async with make_client(reuse="always") as client:
        with pytest.raises(SubmitUncertain) as info:
            await client.submit("a fox")
        [row] = client.history()
        assert row.status == "uncertain" and row.id == info.value.ref
        assert "reconcile" in str(info.value)
        with pytest.raises(PossiblyPaid, match=row.id):  # Run All again: nothing is sent
            await client.submit("a fox")
        [found] = await client.reconcile()
        assert found.job is not None and "found, it is job" in found.line
        done = await client.wait(found.job.id)
        assert done.status == "completed" and mp4(done.video_path)
        again = await client.submit("a fox")  # now simply the job already made
        assert again.reused and again.id == done.id
        assert [j.id for j in client.history()] == [done.id]
    assert accepted(emulator_url) == 1


async def test_a_submit_the_provider_never_took_is_dismissed(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "502", "times": 1})
    async with make_client(reuse="always") as client:
        with pytest.raises(SubmitUncertain):
            await client.submit("a fox")
        with client.store.connect() as conn:  # as if reconciled minutes later
            conn.execute("UPDATE jobs SET submitted_at = submitted_at - 600")
        [outcome] = await client.reconcile()
        assert outcome.job is None and "not accepted" in outcome.line
        job = await client.generate("a fox")  # now it may be sent: once
        assert job.status == "completed" and not job.reused
    assert accepted(emulator_url) == 1


async def test_cancelled_in_flight_waits_for_the_answer_and_keeps_the_job(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "slow", "times": 1})
    async with make_client(reuse="always") as client:
        task = asyncio.create_task(client.submit("a fox"))
        await until_sent(client)
        task.cancel()
        with pytest.raises(SubmitInterrupted) as info:
            await task
        job_id = info.value.job_id
        assert job_id and "accepted job" in str(info.value)
        assert client.store.get(job_id) is not None
        again = await client.submit("a fox")
        assert again.reused and again.id == job_id
        assert (await client.wait(again)).status == "completed"
    assert accepted(emulator_url) == 1


async def test_cancelled_before_sending_sends_nothing(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    # A 429 proves the submit was not taken; the client waits for the reset (3 s here).
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "429", "times": 5})
    retry = Retry(max_pause=3.0, backoff=Backoff(base=0.01, cap=0.05))
    async with make_client(retry=retry) as client:
        task = asyncio.create_task(client.submit("a fox"))
        for _ in range(300):
            if stats(emulator_url)["faults_injected"]:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(SubmitInterrupted, match="nothing was paid"):
            await task
        assert client.history() == [] and rows(client) == []
    assert accepted(emulator_url) == 0


async def test_a_locked_store_after_the_answer_names_the_job_and_keeps_it(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "slow", "times": 1})
    async with make_client() as client:
        client.store.busy_timeout = 0.2
        task = asyncio.create_task(client.submit("a fox"))
        await until_sent(client)
        lock = sqlite3.connect(client.store.path, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")  # another program holds the store
        try:
            with pytest.raises(StoreError) as info:
                await task
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        job_id = info.value.job_id
        assert job_id and f"resume {job_id}" in str(info.value)
        done = await client.wait(job_id)  # followed in memory all along
        assert done.status == "completed" and mp4(done.video_path)
    # The journal row became the job: no unnamed submit is left behind.
    assert [(i, s) for i, s, _ in rows(client)] == [(job_id, "completed")]
    assert accepted(emulator_url) == 1


async def test_a_store_that_cannot_be_written_sends_nothing(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    store = tmp_path / "jobs.sqlite3"
    store.mkdir()  # a folder where the database file should be: it cannot be opened
    async with make_client(store_path=store) as client:
        with pytest.raises(StoreError, match="nothing was sent"):
            await client.submit("a fox")
    assert accepted(emulator_url) == 0


async def test_two_clients_with_one_store_pay_once(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "slow", "times": 1})
    async with make_client(reuse="always") as one, make_client(reuse="always") as two:
        first, second = await asyncio.gather(one.submit("a fox"), two.submit("a fox"))
        assert first.id == second.id and first.reused != second.reused
    assert accepted(emulator_url) == 1


@pytest.fixture
def other_server(emulator_config: EmulatorConfig) -> Iterator[str]:
    with serve_in_thread(create_app(emulator_config)) as base:
        yield base


async def test_resume_asks_the_server_that_made_the_job(
    make_client: Callable[..., Client], emulator_url: str, other_server: str
) -> None:
    async with make_client() as first:
        job = await first.submit("a fox")
    async with make_client(base_url=f"{other_server}/segmind") as moved:
        done = await moved.resume(job.id)
    assert done.status == "completed" and mp4(done.video_path)
    assert stats(other_server)["requests"] == {}  # the new server was never asked
    assert accepted(emulator_url) == 1


async def test_resume_with_another_key_leaves_the_job_alone(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client() as first:
        job = await first.submit("a fox")
    async with make_client(api_key="another-key-0123456789") as other:
        with pytest.raises(ValidationError, match="another segmind key"):
            await other.resume(job.id)
        assert other.get(job.id).status == job.status  # not "expired"


async def test_an_unknown_job_within_the_window_is_an_error_not_expired(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client() as first:
        job = await first.submit("a fox")
    httpx.post(f"{emulator_url}/__emulator__/reset").raise_for_status()  # it forgot the job
    async with make_client() as second:
        with pytest.raises(NotFound, match="within its 1-hour status window"):
            await second.resume(job.id)
        assert second.get(job.id).status == job.status


async def test_a_segmind_job_past_an_hour_resolves_through_its_history(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client() as first:
        job = await first.submit("a fox")
    advance_clock(emulator_url, 3700)
    with first.store.connect() as conn:  # the same hour on our side
        conn.execute("UPDATE jobs SET submitted_at = submitted_at - 3700")
    async with make_client() as second:
        done = await second.resume(job.id)
    assert done.status == "completed" and mp4(done.video_path)
    assert done.cost is not None and not done.cost.estimated  # what Segmind billed
    assert accepted(emulator_url) == 1


async def test_a_long_rate_limit_wait_is_said_on_the_job(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.status", "kind": "429", "times": 1})
    retry = Retry(max_pause=0.5, notice_after=0.1, backoff=Backoff(base=0.01, cap=0.05))
    async with make_client(retry=retry) as client:
        job = await client.submit("a fox")
        notes = [s.note async for s in client.updates(job)]
    assert any(n and n.startswith("rate limited until") and "UTC; waiting" in n for n in notes)
    assert notes[-1] is None


async def test_an_unwritable_output_folder_is_an_error_on_the_job(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    out, store = tmp_path / "out", tmp_path / "jobs.sqlite3"
    async with make_client(output_dir=out, store_path=store) as client:
        out.write_text("")  # then a file where the folder should be: nothing can be saved
        job = await client.wait(await client.submit("a fox"))
        assert job.status == "completed" and job.video_path is None
        assert job.error and job.error.startswith("not saved:") and f"resume {job.id}" in job.error
        assert not list(tmp_path.glob("**/*.part"))
    out.unlink()
    async with make_client(output_dir=out, store_path=store) as again:
        done = await again.resume(job.id)
    assert mp4(done.video_path) and done.error is None
    assert accepted(emulator_url) == 1


async def test_an_interrupted_segmind_v1_call_is_uncertain_and_found_in_history(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.v1", "kind": "slow", "times": 1})
    async with make_client(segmind_api="v1") as client:
        job = await client.submit("a fox")
        await asyncio.sleep(0.3)  # the blocking call is in flight
    [row] = client.history()
    assert row.id == job.id and row.status == "uncertain" and "cannot be resumed" in row.error
    await asyncio.sleep(SLOW)
    async with make_client(segmind_api="v1") as later:
        [found] = await later.reconcile()
        assert found.job is not None and found.job.id != job.id
        done = await later.wait(found.job.id)
    assert done.status == "completed" and mp4(done.video_path)
    assert accepted(emulator_url) == 1


async def test_a_submit_facing_a_far_rate_limit_says_so_and_stops_cleanly(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    # The server's clock runs ahead: its 429 names a reset ~10 minutes from our now.
    advance_clock(emulator_url, 600)
    set_faults(emulator_url, {"endpoint": "segmind.submit", "kind": "429", "times": 1})
    notes: list[str | None] = []
    async with make_client(retry=Retry(backoff=Backoff(base=0.01, cap=0.05))) as client:
        client.submitter.notify = notes.append
        task = asyncio.create_task(client.submit("a fox"))
        for _ in range(300):
            if notes:
                break
            await asyncio.sleep(0.01)
        assert notes and str(notes[0]).startswith("rate limited until"), notes
        assert "UTC; waiting (segmind:" in str(notes[0])
        task.cancel()  # Interrupt: the wait stops at once, nothing was sent
        with pytest.raises(SubmitInterrupted, match="nothing was paid"):
            await task
        assert client.history() == []
    assert accepted(emulator_url) == 0
