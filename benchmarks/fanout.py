"""Fan-out: N jobs at once on the emulator; wall time ÷ the slowest job, CPU and memory.

The emulator runs in its own process (its rendering is not the client's CPU); each N runs
in a fresh client process, so its CPU time (getrusage) and peak RSS are its own. "Slowest
job" is the longest server-side run (submit → finished, Segmind's ``metrics.total_time``),
i.e. the least wall time any client could take; the ratio shows what polling, downloads
and the client's own overhead add on top. Two warm-up jobs first let the client learn the
server's speed from its job store, as in real use (see benchmarks/polling.py).

Run::

    python benchmarks/fanout.py            # N = 1, 16, 64, 256; jobs of ~40 s (3-4 min)
    python benchmarks/fanout.py --short    # N = 1, 16; jobs of ~4 s (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HAILUO_23_S, KEY, emulator_process, python_env, table


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


async def _child(n: int, base: str, store: str, out: str) -> dict[str, Any]:
    from hailuo_nb.client import Client

    async with Client(
        "segmind",
        base_url=f"{base}/segmind",
        api_key=KEY,
        output_dir=out,
        store_path=store,
        requests_per_minute=100_000,
        max_concurrency=max(n, 1),
        environ={},
    ) as client:
        rss_before = _rss_mb()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        jobs = await client.run_many([{"prompt": f"fan-out scene {i}"} for i in range(n)], n)
        wall = time.perf_counter() - start
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    runs = [float((j.raw or {}).get("metrics", {}).get("total_time") or 0) for j in jobs]
    peak = cpu1.ru_maxrss / 1024  # KB on Linux
    return {
        "n": n,
        "completed": sum(j.status == "completed" and bool(j.video_path) for j in jobs),
        "wall": wall,
        "slowest": max(runs),
        "cpu_per_job_ms": cpu / n * 1000,
        "peak_rss_growth_mb": max(0.0, peak - rss_before),
    }


def run_child(n: int, base: str, store: str, out: str) -> dict[str, Any]:
    out_arg = ["--out", out]
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(n), "--base", base, "--store", store, *out_arg],
        capture_output=True,
        text=True,
        env=python_env(),
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--short", action="store_true", help="N = 1, 16 with ~4 s jobs (CI)")
    p.add_argument("--sizes", help="comma-separated N values")
    p.add_argument("--scale", type=float, help="emulator time_scale")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    p.add_argument("--base", help=argparse.SUPPRESS)
    p.add_argument("--store", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        print(json.dumps(asyncio.run(_child(args.child, args.base, args.store, args.out))))
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    sizes = sizes or ([1, 16] if args.short else [1, 16, 64, 256])
    scale = args.scale or (40.0 if args.short else 4.0)
    server_args = ["--time-scale", str(scale), "--preview", "--workers", str(max(sizes))]
    rows: list[dict[str, Any]] = []
    with emulator_process(*server_args) as base, tempfile.TemporaryDirectory() as tmp:
        store, out = str(Path(tmp) / "jobs.sqlite3"), str(Path(tmp) / "out")
        run_child(2, base, store, out)  # warm-up: the store learns the server's speed
        for n in sizes:
            httpx.post(f"{base}/__emulator__/reset").raise_for_status()
            rows.append(run_child(n, base, store, out))
    base_row = rows[0]
    base_ratio = base_row["wall"] / base_row["slowest"]
    print(
        f"hailuo-2.3 jobs of ~{HAILUO_23_S / scale:.0f} s (emulator time_scale {scale:g}, its own"
        f" process); baseline = N {base_row['n']} in the same run"
    )
    print()
    print(
        table(
            [
                "N",
                "completed",
                "wall (s)",
                "slowest job (s)",
                "wall ÷ slowest",
                "vs baseline",
                "client CPU per job (ms)",
                "vs baseline",
                "peak RSS growth (MB)",
            ],
            [
                [
                    r["n"],
                    f"{r['completed']}/{r['n']}",
                    f"{r['wall']:.2f}",
                    f"{r['slowest']:.2f}",
                    f"{r['wall'] / r['slowest']:.3f}",
                    f"{r['wall'] / r['slowest'] / base_ratio:.3f}",
                    f"{r['cpu_per_job_ms']:.1f}",
                    f"{r['cpu_per_job_ms'] / base_row['cpu_per_job_ms']:.2f}",
                    f"{r['peak_rss_growth_mb']:.1f}",
                ]
                for r in rows
            ],
        )
    )


if __name__ == "__main__":
    main()
