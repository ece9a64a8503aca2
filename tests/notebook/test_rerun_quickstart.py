"""The quickstart, "Restart Kernel and Run All Cells" a second time: it costs nothing and
shows the same videos (issue 7).

The quickstart uses the in-process emulator, which lives and dies with each kernel (so its
stats are per kernel): the proof is what the user sees and what the job store holds. The
second run shows the same video files with a "reused job" line for each, and adds no job
to the store except the one the moderation refuses (failed jobs are free and never reused).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hailuo_nb.notebook.headless import execute, videos

from .conftest import FAST

ROOT = Path(__file__).resolve().parents[2]


def rows(store: Path) -> dict[str, str]:
    with sqlite3.connect(store) as conn:
        found = dict(conn.execute("SELECT id, status FROM jobs").fetchall())
    conn.close()
    return found


def text_of(nb: Any) -> str:
    return "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )


@pytest.mark.slow
def test_the_quickstart_twice_costs_nothing_the_second_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb_path = tmp_path / "quickstart.ipynb"
    shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", nb_path)
    # No seed: a seeded in-process emulator makes the same job ids in every kernel, which
    # a real provider never does (and which would make the second run's ids collide).
    unseeded = {k: v for k, v in FAST.items() if k != "seed"}
    monkeypatch.setenv("HAILUO_EMULATOR", json.dumps(unseeded))
    for name in ("SEGMIND_API_KEY", "AIMLAPI_KEY", "MINIMAX_API_KEY", "HAILUO_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("HAILUO_REUSE", raising=False)
    store = tmp_path / "hailuo_outputs" / "hailuo_jobs.sqlite3"

    first = execute(nb_path, timeout=120)
    before = rows(store)
    files = sorted(p.name for p in (tmp_path / "hailuo_outputs").glob("*.mp4"))
    assert "reused job" not in text_of(first) and len(files) >= 3

    second = execute(nb_path, timeout=120)
    text = text_of(second)
    after = rows(store)
    assert videos(second) == videos(first)
    assert sorted(p.name for p in (tmp_path / "hailuo_outputs").glob("*.mp4")) == files
    # fox, the owl (--wait) and the markup cell: each says it was shown again.
    assert text.count("reused job") == 3, text
    new = {k: v for k, v in after.items() if k not in before}
    assert list(new.values()) == ["failed"], new  # only the refused prompt, which is free
    assert "this session: $0.00 billed + ~$0.00 estimated" in text
    assert "saved by reuse this session: $" in text and "(3 jobs shown again)" in text
    for src in videos(second):
        assert (tmp_path / src).is_file(), src
