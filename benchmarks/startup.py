"""Start-up: what ``%load_ext hailuo_nb`` costs beyond importing IPython, ipywidgets and httpx.

Each repeat is a fresh interpreter that first imports the dependencies (timed: the
baseline), creates an IPython shell, then times ``%load_ext hailuo_nb``. Median of the
repeats.

Run::

    python benchmarks/startup.py            # 9 repeats
    python benchmarks/startup.py --short    # 3 repeats (CI)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import python_env, table

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import IPython, ipywidgets, httpx
if "--kernel-like" in sys.argv:
    import asyncio  # ipykernel runs on asyncio: a real kernel has it imported already
from IPython.core.interactiveshell import InteractiveShell
t1 = time.perf_counter()
shell = InteractiveShell.instance()
t2 = time.perf_counter()
shell.run_line_magic("load_ext", "hailuo_nb")
t3 = time.perf_counter()
assert "hailuo" in shell.magics_manager.magics["cell"]
print(json.dumps({"deps": t1 - t0, "shell": t2 - t1, "load_ext": t3 - t2}))
"""


def measure(repeats: int, *flags: str) -> list[dict[str, float]]:
    out = []
    for _ in range(repeats):
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, *flags],
            capture_output=True,
            text=True,
            env=python_env(),
            check=True,
        )
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--short", action="store_true", help="3 repeats (CI)")
    p.add_argument("--repeats", type=int)
    args = p.parse_args(argv)
    repeats = args.repeats or (3 if args.short else 9)
    runs = measure(repeats)
    deps = statistics.median(r["deps"] for r in runs) * 1000
    load = statistics.median(r["load_ext"] for r in runs) * 1000
    kernel_like = measure(repeats, "--kernel-like")
    deps_k = statistics.median(r["deps"] for r in kernel_like) * 1000
    load_k = statistics.median(r["load_ext"] for r in kernel_like) * 1000
    print(f"fresh interpreters, median of {len(runs)}; baseline = importing the dependencies")
    print()
    print(
        table(
            ["step", "median (ms)", "vs baseline", "target"],
            [
                ["import IPython, ipywidgets, httpx (baseline)", f"{deps:.1f}", "1.00", ""],
                [
                    "%load_ext hailuo_nb (beyond that)",
                    f"{load:.1f}",
                    f"{load / deps:.2f}",
                    f"≤ 50 ms: {'met' if load <= 50 else 'MISSED'}",
                ],
                ["import the same + asyncio (as in a kernel)", f"{deps_k:.1f}", "1.00", ""],
                [
                    "%load_ext hailuo_nb (beyond that)",
                    f"{load_k:.1f}",
                    f"{load_k / deps_k:.2f}",
                    f"≤ 50 ms: {'met' if load_k <= 50 else 'MISSED'}",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
