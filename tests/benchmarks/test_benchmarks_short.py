"""Each benchmark runs in its short mode (as in CI) and prints its table with a baseline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "header"),
    [
        ("fanout.py", "| N | completed | wall (s) | slowest job (s) | wall ÷ slowest |"),
        ("responsiveness.py", "| kernel | cells | p50 (ms) | p99 (ms) | p99 vs baseline |"),
        ("startup.py", "| step | median (ms) | vs baseline | target |"),
        ("nbsize.py", "| videos | notebook (KB) | of it widget state (KB) |"),
        ("polling.py", "| client | jobs | status requests per job | vs baseline |"),
        ("budget.py", "| server limit | N | client | lag median (s) | lag max (s) |"),
    ],
)
def test_benchmark_short_mode_prints_its_table(script: str, header: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--short"],
        capture_output=True,
        text=True,
        # The budget's runs wait for real rate limits (3 servers x 2 clients, ~75 s).
        timeout=240 if script == "budget.py" else 120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert header in proc.stdout, proc.stdout
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) >= 3  # header + at least the baseline and one measured row
    assert "baseline" in proc.stdout
    if script == "fanout.py":
        assert "| 16 | 16/16 |" in proc.stdout  # every job completed
    if script == "budget.py":
        assert "| 50/min | 4 | learnt |" in proc.stdout and "target at 5/min" in proc.stdout
