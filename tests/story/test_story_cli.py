"""``hailuo story FILE`` in a subprocess, on the in-process emulator: stdout, stderr, exit
codes, and the job store's count of jobs (what was paid for)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.client.test_cli import hailuo

SHOTS = """a fox wakes up in its den
---
--duration 10
the fox steps out into fresh snow
"""


def jobs(cwd: Path) -> list[dict[str, object]]:
    listed = hailuo("history", "--json", cwd=cwd)
    assert listed.returncode == 0, listed.stderr
    rows: list[dict[str, object]] = json.loads(listed.stdout)
    return rows


@pytest.mark.slow
def test_a_story_file_becomes_a_film_and_a_rerun_pays_only_for_what_changed(
    tmp_path: Path,
) -> None:
    (tmp_path / "fox.txt").write_text(SHOTS)
    done = hailuo("story", "fox.txt", "-m", "hailuo-2.3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    film = tmp_path / done.stdout.strip()
    assert film.is_file() and film.name.startswith("fox-") and film.suffix == ".mp4"
    manifest = json.loads(film.with_suffix(".json").read_text())
    assert [s["params"]["duration"] for s in manifest["shots"]] == [6, 10]
    assert manifest["seconds"] == 16.0 and len(jobs(tmp_path)) == 2
    assert "storyboard: 2 shots · estimated ~$1.05" in done.stderr  # progress: stderr

    again = hailuo("story", "fox.txt", "-m", "hailuo-2.3", "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert Path(json.loads(again.stdout)["film"]).resolve() == film.resolve()
    assert "shots 1–2 shown again from earlier jobs" in again.stderr
    assert len(jobs(tmp_path)) == 2  # nothing new was paid for

    (tmp_path / "fox.txt").write_text(SHOTS.replace("fresh snow", "deep snow"))
    edited = hailuo("story", "fox.txt", "-m", "hailuo-2.3", cwd=tmp_path)
    assert edited.returncode == 0, edited.stderr
    assert len(jobs(tmp_path)) == 3  # shot 2 only


def test_story_file_mistakes_send_nothing(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("a fox\n---\n--duration 7\nit runs\n")
    bad = hailuo("story", "bad.txt", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().splitlines()[-1].startswith("hailuo: shot 2 (it runs): duration")
    missing = hailuo("story", "nope.txt", cwd=tmp_path)
    assert missing.returncode == 2 and "cannot read nope.txt" in missing.stderr
    (tmp_path / "dear.txt").write_text("\n---\n".join(f"shot {n}" for n in range(20)))
    dear = hailuo("story", "dear.txt", "-m", "hailuo-2.3", cwd=tmp_path)
    assert dear.returncode == 2 and "run again with --yes" in dear.stderr
    assert not (tmp_path / "hailuo_outputs" / "hailuo_jobs.sqlite3").exists() or not jobs(tmp_path)


@pytest.mark.slow
def test_variants_in_a_file_stop_for_a_pick_then_go_on(tmp_path: Path) -> None:
    (tmp_path / "fox.txt").write_text("a fox wakes up\n---\nit steps out\n~~~\nit jumps out\n")
    first = hailuo("story", "fox.txt", "-m", "hailuo-2.3", cwd=tmp_path)
    assert first.returncode == 1 and first.stdout == ""
    assert "shot 2 has variants; look at them and run again with --pick" in first.stderr
    assert "--pick 2=2: " in first.stderr and "it jumps out" in first.stderr
    assert len(jobs(tmp_path)) == 3
    picked = hailuo("story", "fox.txt", "-m", "hailuo-2.3", "--pick", "2=2", cwd=tmp_path)
    assert picked.returncode == 0, picked.stderr
    manifest = json.loads(Path(picked.stdout.strip()).with_suffix(".json").read_text())
    assert manifest["shots"][1]["picked_variant"] == 2
    assert len(jobs(tmp_path)) == 3  # the candidates were shown again, not paid twice
    again = hailuo("story", "fox.txt", "-m", "hailuo-2.3", cwd=tmp_path)  # remembered
    assert again.returncode == 0 and again.stdout == picked.stdout
