"""The job ledger over a real socket: an identical request never pays twice.

Every count comes from the emulator's own ``/__emulator__/stats`` (billable job
creations), never from the client's idea of what it did.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.fingerprint import fingerprint
from hailuo_nb.models import Job
from hailuo_nb.params import build_request
from hailuo_nb.store import JobStore

from .conftest import stats

PROMPT = "a red fox running through fresh snow"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    # hailuo-2.3 takes ~0.3 s here: long enough to find a job still running.
    return EmulatorConfig(time_scale=500.0, preview=True, seed=99)


def submissions(base: str) -> int:
    return int(stats(base)["submissions"]["total"])


def frame(path: Path, color: tuple[int, int, int]) -> Path:
    Image.new("RGB", (400, 400), color).save(path)
    return path


async def test_same_request_twice_submits_once(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client(reuse="always") as client:
        first = await client.generate(PROMPT, duration="6")
        second = await client.submit(PROMPT, duration=6, resolution="768P")  # same, spelled so
        assert second.reused and not first.reused
        assert second.id == first.id and second.video_path == first.video_path
        assert (await client.wait(second)).status == "completed"
    assert submissions(emulator_url) == 1


async def test_a_new_client_on_the_same_store_reuses_the_finished_job(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client(reuse="always") as client:
        first = await client.generate(PROMPT)
    requests_before = sum(sum(codes.values()) for codes in stats(emulator_url)["requests"].values())
    async with make_client(reuse="always") as client:
        found = client.reusable(PROMPT)
        again = await client.generate(PROMPT)
    assert found is not None and found.id == first.id and found.reused
    assert again.reused and again.id == first.id and again.video_path == first.video_path
    requests_after = sum(sum(codes.values()) for codes in stats(emulator_url)["requests"].values())
    assert requests_after == requests_before  # nothing at all was asked of the provider
    assert submissions(emulator_url) == 1


async def test_new_asks_for_a_fresh_sample(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client(reuse="always") as client:
        first = await client.generate(PROMPT)
        assert client.reusable(PROMPT, new=True) is None
        fresh = await client.wait(await client.submit(PROMPT, new=True))
    assert not fresh.reused and fresh.id != first.id
    assert submissions(emulator_url) == 2


async def test_reuse_is_off_by_default_for_scripts(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client() as client:
        assert client.settings.reuse == "never"
        await client.generate(PROMPT)
        assert client.reusable(PROMPT) is None
        assert not (await client.generate(PROMPT)).reused
    assert submissions(emulator_url) == 2
    async with make_client(environ={"HAILUO_REUSE": "always"}) as client:
        assert (await client.submit(PROMPT)).reused


async def test_a_changed_parameter_is_a_new_request(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client(reuse="always") as client:
        await client.generate(PROMPT, duration=6)
        other = await client.generate(PROMPT, duration=10)
        prompt = await client.generate(PROMPT + ".")
    assert not other.reused and not prompt.reused
    assert submissions(emulator_url) == 3


async def test_images_count_by_content_not_by_path(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    a = frame(tmp_path / "a.png", (200, 30, 30))
    b = tmp_path / "copy-of-a.png"
    shutil.copy(a, b)
    async with make_client(reuse="always") as client:
        first = await client.generate(PROMPT, first_frame=str(a))
        same = await client.generate(PROMPT, first_frame=b)
        assert same.reused and same.id == first.id
        frame(a, (30, 200, 30))  # the file is edited: a new picture, the same name
        edited = await client.generate(PROMPT, first_frame=str(a))
        assert not edited.reused
    assert submissions(emulator_url) == 2


async def test_a_completed_job_whose_video_is_gone_is_made_again(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client(reuse="always") as client:
        first = await client.generate(PROMPT)
        assert first.video_path is not None
        Path(first.video_path).unlink()
        again = await client.generate(PROMPT)
    assert not again.reused and again.id != first.id
    assert again.video_path and Path(again.video_path).is_file()
    assert submissions(emulator_url) == 2


async def test_a_failed_job_is_not_reused(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    refused = "a scene the moderation refuses [[block]]"
    async with make_client(reuse="always") as client:
        first = await client.run_many([{"prompt": refused}])
        second = await client.run_many([{"prompt": refused}])
    assert first[0].status == second[0].status == "failed"
    assert first[0].id != second[0].id and not second[0].reused
    assert submissions(emulator_url) == 2


async def test_a_running_job_is_attached_to(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client(reuse="always") as one, make_client(reuse="always") as other:
        running = await one.submit(PROMPT)
        same_client = await one.submit(PROMPT)
        # Another client (another kernel) on the same store finds it in the store.
        other_client = await other.submit(PROMPT)
        assert not running.done
        assert same_client.reused and other_client.reused
        assert running.id == same_client.id == other_client.id
        done = await asyncio.gather(
            one.wait(running), one.wait(same_client), other.wait(other_client)
        )
    assert [j.status for j in done] == ["completed"] * 3
    assert all(j.video_path and Path(j.video_path).is_file() for j in done)
    assert submissions(emulator_url) == 1


async def test_a_running_in_process_emulator_job_of_another_kernel_is_not_waited_on(
    tmp_path: Path,
) -> None:
    # The in-process emulator dies with its kernel: a job it was running cannot be followed.
    store = tmp_path / "jobs.sqlite3"
    fast = EmulatorConfig(time_scale=2000.0, preview=True)
    args = {"environ": {}, "output_dir": tmp_path, "store_path": store, "reuse": "always"}
    request = build_request("emulator", PROMPT)
    fp = fingerprint(request, base_url="http://emulator.invalid/segmind")
    orphan = Job(
        id="gone",
        provider="emulator",
        model="hailuo-2.3",
        params=request.public_params(),
        status="processing",
        submitted_at=time.time(),
    )
    JobStore(store).save(orphan, fingerprint=fp)
    async with Client(
        "emulator", emulator_config=fast, settings={"poll_min_interval": 0.01}, **args
    ) as client:
        assert client.reusable(PROMPT) is None
        made = await client.generate(PROMPT)
    assert not made.reused and made.status == "completed"
    # The finished one is reused by the next kernel, which has a fresh emulator of its own.
    async with Client("emulator", emulator_config=fast, **args) as client:
        again = await client.generate(PROMPT)
    assert again.reused and again.id == made.id


async def test_an_old_running_job_is_not_reused(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    async with make_client(reuse="always") as client:
        request = build_request("segmind", PROMPT)
        fp = fingerprint(request, base_url=client.settings.base_url)
        stale = Job(
            id="stale",
            provider="segmind",
            model="hailuo-2.3",
            params=request.public_params(),
            status="queued",
            submitted_at=time.time() - 7200,
        )
        client.store.save(stale, fingerprint=fp)
        assert client.reusable(PROMPT) is None


async def test_another_server_is_another_request(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    async with make_client(reuse="always") as client:
        await client.generate(PROMPT)
    # The same store, the same request, but sent to the in-process emulator instead.
    async with Client(
        "emulator",
        environ={},
        output_dir=tmp_path / "out",
        reuse="always",
        emulator_config=EmulatorConfig(time_scale=2000.0, preview=True),
    ) as client:
        assert client.reusable(PROMPT) is None


def test_fingerprint_ignores_the_key_and_spelling_but_not_the_server() -> None:
    a = build_request("segmind", PROMPT, duration="6", resolution="768P")
    b = build_request("segmind", PROMPT)
    assert fingerprint(a, base_url="http://h/segmind") == fingerprint(
        b, base_url="http://h/segmind/"
    )
    assert fingerprint(a, base_url="http://h/segmind") != fingerprint(
        a, base_url="http://g/segmind"
    )
    assert fingerprint(a) != fingerprint(build_request("aimlapi", PROMPT))


async def test_the_key_is_not_in_the_store(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    async with make_client(reuse="always") as client:
        await client.generate(PROMPT)
        key = client.settings.api_key
        path = client.settings.job_store
    for file in path.parent.glob(path.name + "*"):
        assert key.encode() not in file.read_bytes()


OLD_SCHEMA = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, provider TEXT NOT NULL, model TEXT NOT NULL, base_url TEXT,
    params TEXT NOT NULL, status TEXT NOT NULL, error TEXT, video_url TEXT, video_path TEXT,
    cost_usd REAL, cost_estimated INTEGER, estimate_usd REAL, submitted_at REAL,
    started_at REAL, finished_at REAL, expected_seconds REAL, updated_at REAL NOT NULL
);
INSERT INTO jobs VALUES ('old', 'segmind', 'hailuo-2.3', 'http://h', '{"prompt": "a fox"}',
    'completed', NULL, NULL, NULL, 0.35, 1, 0.35, 1.0, 2.0, 3.0, 100.0, 3.0);
"""


def test_a_store_from_before_fingerprints_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    conn.close()
    store = JobStore(path)
    old = store.get("old")
    assert old is not None and old.prompt == "a fox" and old.status == "completed"
    assert store.fingerprint("old") is None
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    store.save(
        Job(
            id="new",
            provider="segmind",
            model="hailuo-2.3",
            status="completed",
            video_path=str(video),
            submitted_at=5.0,
        ),
        fingerprint="f" * 64,
    )
    found = store.find_reusable("f" * 64)
    assert found is not None and found.id == "new"
    assert [j.id for j in store.history()] == ["new", "old"]
    # A second opening (another process) finds the column there and leaves it.
    assert JobStore(path).fingerprint("new") == "f" * 64
    with sqlite3.connect(path) as conn:
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(jobs)")}
    conn.close()
    assert "jobs_by_fingerprint" in indexes


def test_the_cli_pays_unless_told_to_reuse(tmp_path: Path, emulator_url: str) -> None:
    from .test_cli import hailuo

    server = ["--provider", "segmind", "--base-url", f"{emulator_url}/segmind", "--rpm", "6000"]
    first = hailuo("generate", PROMPT, *server, cwd=tmp_path)
    second = hailuo("generate", PROMPT, *server, cwd=tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout != second.stdout and submissions(emulator_url) == 2
    reused = hailuo("generate", PROMPT, *server, "--reuse", cwd=tmp_path)
    assert reused.returncode == 0, reused.stderr
    assert reused.stdout == second.stdout  # the newest of the two, already on disk
    assert "reused job" in reused.stderr and "nothing was sent" in reused.stderr
    assert submissions(emulator_url) == 2


async def test_identical_requests_sent_at_once_pay_once(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client(reuse="always") as client:
        jobs = await client.run_many([{"prompt": PROMPT}] * 3 + [{"prompt": PROMPT + "!"}])
        fresh = await asyncio.gather(*(client.submit(PROMPT, new=True) for _ in range(2)))
    assert [j.status for j in jobs] == ["completed"] * 4
    assert len({j.id for j in jobs[:3]}) == 1 and sum(j.reused for j in jobs) == 2
    assert fresh[0].id != fresh[1].id  # new=True: two samples on purpose
    assert submissions(emulator_url) == 4
