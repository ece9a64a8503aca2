"""Shared by the benchmarks: an emulator in its own process, percentiles, markdown tables.

The emulator runs as a separate process (``python -m hailuo_nb.emulator``) so that its
work (HTTP answers, rendering videos) never counts as the client's CPU or memory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from hailuo_nb.emulator.catalog import model

ROOT = Path(__file__).resolve().parents[1]
KEY = "SG_0123456789abcdef"
_HAILUO_23 = model("segmind", "hailuo-2.3")
assert _HAILUO_23 is not None
#: The emulator's typical hailuo-2.3 duration on Segmind (before its time_scale).
HAILUO_23_S = _HAILUO_23.typical_s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def emulator_process(*args: str) -> Iterator[str]:
    """``python -m hailuo_nb.emulator ARGS`` on a free port; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hailuo_nb.emulator", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        # The emulator stands in for a remote service: its video rendering must not
        # take the client's CPU (2 cores here), so it runs at the lowest priority.
        preexec_fn=lambda: os.nice(19),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                httpx.get(f"{base}/__emulator__/stats", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("the emulator did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), nearest-rank.

    Example:
        >>> percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 99)
        (2, 4)
    """
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def python_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: ours, no provider keys, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SEGMIND_API_KEY", "AIMLAPI_KEY", "MINIMAX_API_KEY")
        and not k.startswith("HAILUO_")
    }
    env.update(extra)
    return env
