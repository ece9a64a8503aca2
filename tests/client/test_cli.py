"""``hailuo`` end to end in a subprocess: stdout, stderr and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import set_faults, stats

FAST = json.dumps({"time_scale": 2000, "preview": True})


def hailuo(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.endswith(("API_KEY", "AIMLAPI_KEY"))}
    environ.pop("HAILUO_PROVIDER", None)
    environ.update(HAILUO_EMULATOR=FAST, **env)
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
