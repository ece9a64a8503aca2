"""``hailuo`` end to end in a subprocess: stdout, stderr and exit codes."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hailuo_nb
from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread

from .conftest import set_faults, stats

FAST = json.dumps({"time_scale": 2000, "preview": True})
# The copy of hailuo_nb under test (a git worktree, say), not whichever one is installed:
# the subprocess runs in a temporary folder, where the editable install would win.
ROOT = str(Path(hailuo_nb.__file__).resolve().parent.parent)


def hailuo(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    keys = ("API_KEY", "AIMLAPI_KEY", "FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET", "API_TOKEN")
    environ = {k: v for k, v in os.environ.items() if not k.endswith(keys)}
    environ.pop("HAILUO_PROVIDER", None)
    path = [ROOT, *filter(None, environ.get("PYTHONPATH", "").split(os.pathsep))]
    environ.update(HAILUO_EMULATOR=FAST, PYTHONPATH=os.pathsep.join(path), **env)
    return subprocess.run(
        [sys.executable, "-m", "hailuo_nb.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_generate_with_the_in_process_emulator(tmp_path: Path) -> None:
    done = hailuo(
        "generate", "a red fox running through snow", "--model", "hailuo-2.3", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.is_file() and path.parent == tmp_path / "hailuo_outputs"
    assert "using the local emulator" in done.stderr and "completed" in done.stderr
    listed = hailuo("history", "--json", cwd=tmp_path)
    assert json.loads(listed.stdout)[0]["video_path"] == str(path)
    table = hailuo("history", cwd=tmp_path)
    assert table.stdout.startswith("id\tprovider\tmodel\tstatus")  # a header row
    assert "using the local emulator" not in table.stderr  # said where a job is sent only
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    empty = hailuo("history", cwd=elsewhere)
    assert f"no jobs in {elsewhere / 'hailuo_outputs' / 'hailuo_jobs.sqlite3'}" in empty.stderr


def test_generate_against_a_server_as_json(tmp_path: Path, emulator_url: str) -> None:
    done = hailuo(
        "generate",
        "a fox",
        "--provider",
        "segmind",
        "--base-url",
        f"{emulator_url}/segmind",
        "--json",
        "--rpm",
        "6000",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["status"] == "completed" and Path(job["video_path"]).is_file()
    assert job["cost"]["estimated"] is False
    assert stats(emulator_url)["submissions"]["total"] == 1


def test_bad_input_exits_2_and_sends_nothing(tmp_path: Path, emulator_url: str) -> None:
    done = hailuo(
        "generate",
        "a fox",
        "--duration",
        "7",
        "--provider",
        "segmind",
        "--base-url",
        f"{emulator_url}/segmind",
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "duration" in done.stderr and done.stdout == ""
    assert stats(emulator_url)["requests"] == {}


def test_remote_failure_exits_1_with_the_reason(tmp_path: Path) -> None:
    done = hailuo("generate", "a [[block]] fox", "--json", cwd=tmp_path)
    assert done.returncode == 1 and "sensitive" in done.stderr
    assert json.loads(done.stdout)["status"] == "failed"


def test_network_trouble_exits_3_with_the_job_id_then_resume(
    tmp_path: Path, emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "segmind.status", "kind": "drop"})
    base = ("--provider", "segmind", "--base-url", f"{emulator_url}/segmind", "--rpm", "6000")
    done = hailuo("generate", "a fox", *base, "--timeout", "3", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    job_id = next(w for w in done.stderr.split() if len(w) == 32)
    assert f"hailuo resume {job_id}" in done.stderr
    set_faults(emulator_url)
    resumed = hailuo("resume", job_id, "--rpm", "6000", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert Path(resumed.stdout.strip()).is_file()
    assert stats(emulator_url)["submissions"]["total"] == 1


def test_unreachable_server_exits_3(tmp_path: Path) -> None:
    done = hailuo(
        "generate",
        "a fox",
        "--provider",
        "segmind",
        "--base-url",
        "http://127.0.0.1:9/segmind",
        cwd=tmp_path,
    )
    assert done.returncode == 3 and "cannot connect" in done.stderr


def rows(store: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(store) as conn:
        return conn.execute("SELECT id, status, updated_at FROM jobs ORDER BY seq").fetchall()


def test_timeout_names_the_job_and_the_resume_command(tmp_path: Path) -> None:
    # Real time on the server: a Segmind job takes minutes, every wait below ends first.
    slow = create_app(EmulatorConfig(time_scale=1.0, preview=True))
    with serve_in_thread(slow) as base:
        where = ("--provider", "segmind", "--base-url", f"{base}/segmind", "--rpm", "6000")
        done = hailuo("generate", "a fox", *where, "--timeout", "1", cwd=tmp_path)
        assert done.returncode == 3, done.stderr
        said = re.search(r"^hailuo: job (\w+) still running after 1 s; (.*)$", done.stderr, re.M)
        assert said, done.stderr
        job_id = said[1]
        assert said[2] == f"it goes on at the provider: hailuo resume {job_id}"
        again = hailuo("resume", job_id, "--timeout", "1.5", cwd=tmp_path)
    assert again.returncode == 3, again.stderr
    assert again.stderr.strip().splitlines()[-1] == (
        f"hailuo: job {job_id} still running after 1.5 s; it goes on at the provider:"
        f" hailuo resume {job_id}"
    )


def test_resume_finds_the_store_through_the_environment(
    tmp_path: Path, emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Neither --store nor --out: $HAILUO_STORE and $HAILUO_OUTPUT_DIR, as for generate.
    store, out = tmp_path / "state" / "jobs.sqlite3", tmp_path / "videos"
    monkeypatch.setenv("HAILUO_STORE", str(store))
    monkeypatch.setenv("HAILUO_OUTPUT_DIR", str(out))
    work = tmp_path / "cwd"
    work.mkdir()
    set_faults(emulator_url, {"endpoint": "segmind.status", "kind": "drop"})
    base = ("--provider", "segmind", "--base-url", f"{emulator_url}/segmind", "--rpm", "6000")
    done = hailuo("generate", "a fox", *base, "--timeout", "1", cwd=work)
    assert done.returncode == 3, done.stderr
    (job_id,) = [row[0] for row in rows(store)]
    set_faults(emulator_url)
    # The provider and server come from that store, found through the environment.
    resumed = hailuo("resume", job_id, "--rpm", "6000", cwd=work)
    assert resumed.returncode == 0, resumed.stderr
    video = Path(resumed.stdout.strip())
    assert video.is_file() and video.parent == out
    assert not (work / "hailuo_outputs").exists()
    assert stats(emulator_url)["submissions"]["total"] == 1


def test_resume_of_an_unknown_id_writes_nothing(tmp_path: Path, emulator_url: str) -> None:
    store = tmp_path / "jobs.sqlite3"
    made = hailuo("generate", "a fox", "--store", str(store), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    before = rows(store)
    unknown = "123456789"
    for where in ((), ("--provider", "minimax", "--base-url", f"{emulator_url}/minimax")):
        done = hailuo("resume", unknown, "--store", str(store), *where, cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith(f"hailuo: no job {unknown} in {store}; ")
        assert len(done.stderr.splitlines()) == 1
    assert rows(store) == before
    assert stats(emulator_url)["requests"] == {}  # not even a look at the provider
    # No store at all: none is created just to look.
    missing = tmp_path / "none" / "jobs.sqlite3"
    done = hailuo("resume", unknown, "--store", str(missing), cwd=tmp_path)
    assert done.returncode == 2 and f"no job {unknown} in {missing}" in done.stderr
    assert not missing.parent.exists()


@pytest.mark.parametrize("provider", ["fal", "replicate"])
def test_generate_on_fal_and_replicate(tmp_path: Path, emulator_url: str, provider: str) -> None:
    done = hailuo(
        "generate",
        "a fox",
        "--provider",
        provider,
        "--base-url",
        f"{emulator_url}/{provider}",
        "--resolution",
        "1080p",
        "--json",
        "--rpm",
        "6000",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["status"] == "completed" and Path(job["video_path"]).is_file()
    assert job["provider"] == provider and job["params"]["resolution"] == "1080p"
    assert stats(emulator_url)["submissions"]["by_provider"] == {provider: 1}
    base = f"{emulator_url}/{provider}"
    args = ("generate", "a fox", "--provider", provider, "--base-url", base, "--duration", "7")
    bad = hailuo(*args, cwd=tmp_path)
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1
    assert "duration" in bad.stderr and stats(emulator_url)["submissions"]["total"] == 1
    keyless = hailuo("generate", "a fox", "--provider", provider, cwd=tmp_path)
    assert keyless.returncode != 0 and "no API key" in keyless.stderr
    assert ("FAL_KEY_ID and FAL_KEY_SECRET" in keyless.stderr) == (provider == "fal")


def test_generate_h3_with_sound(tmp_path: Path) -> None:
    done = hailuo("generate", "a lighthouse at dusk", "-m", "MiniMax-H3", "-d", "8",
                  "--ratio", "9:16", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "to emulator (h3)" in done.stderr
    import av

    with av.open(done.stdout.strip()) as video:
        assert video.streams.audio and video.streams.video[0].height > video.streams.video[0].width
    refused = hailuo("generate", "a fox", "-m", "MiniMax-H3", "--ratio", "adaptive", cwd=tmp_path)
    assert refused.returncode == 2 and "ratio: a text-only video needs a shape" in refused.stderr
