"""Saved notebook size after a 16-video comparison, videos linked, ``auto`` and embedded.

A notebook runs ``hailuo_nb.compare()`` (8 prompts x 2 models = 16 tiles)
against the in-process emulator and is executed headless (nbclient, which also saves the
widget state); the saved file is measured. Baseline: the 16 MP4 files themselves.

Modes: ``linked`` (``Hailuo.embed = False``); ``auto`` (the default) as JupyterLab and
nbconvert get it (detected: linked) and as VS Code or Colab get it
(``Hailuo.frontend = "vscode"``: light previews embedded, full files linked);
``embedded`` (``Hailuo.embed = True``: the same previews, whatever the front end).

Run::

    python benchmarks/nbsize.py            # full-size 1366x768 videos
    python benchmarks/nbsize.py --short    # 320 px previews (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

PROMPTS = [
    "a red fox running through fresh snow",
    "a snowy owl gliding over a pine forest at dawn",
    "a paper boat drifting down a rainy street",
    "a hot air balloon rising over a desert canyon",
    "a lighthouse in a storm at night",
    "koi fish circling in a garden pond",
    "a steam train crossing a stone viaduct",
    "a city street at dusk as the lights come on",
]


MODES = {
    "linked": "%config Hailuo.embed = False\n",
    "auto, JupyterLab": "",
    "auto, VS Code / Colab": '%config Hailuo.frontend = "vscode"\n',
    "embedded": "%config Hailuo.embed = True\n",
}


def notebook(mode: str) -> dict[str, object]:
    cells = [
        f'%load_ext hailuo_nb\n%config Hailuo.provider = "emulator"\n{MODES[mode]}import hailuo_nb',
        f"cmp = hailuo_nb.compare({PROMPTS!r},\n"
        '    models=["hailuo-2.3", "minimax-hailuo-2"],\n'
        "    confirm_above_usd=100)",
        "cmp.wait()\nassert len(cmp.jobs) == 16 and all(j.status == 'completed' for j in cmp.jobs)",
    ]
    return {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
             "execution_count": None}
            for c in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip


def run(mode: str, preview: bool) -> tuple[int, int, int]:
    """Execute the comparison notebook; (saved bytes, widget-state bytes, video bytes)."""
    from hailuo_nb.notebook.headless import execute

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "compare16.ipynb"
        src.write_text(json.dumps(notebook(mode)))
        os.environ["HAILUO_EMULATOR"] = json.dumps(
            {"time_scale": 400, "preview": preview, "seed": 11}
        )
        out = Path(tmp) / "saved.ipynb"
        execute(src, out, timeout=900)
        saved = json.loads(out.read_text())
        widgets = len(json.dumps(saved["metadata"].get("widgets", {})))
        # The full files only (previews live in hailuo_outputs/previews/).
        video_bytes = sum(p.stat().st_size for p in (Path(tmp) / "hailuo_outputs").glob("*.mp4"))
        return out.stat().st_size, widgets, video_bytes


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--short", action="store_true", help="320 px preview videos (CI)")
    args = p.parse_args(argv)
    rows = []
    results = {}
    for mode in MODES:
        size, widgets, videos = run(mode, preview=args.short)
        results[mode] = size
        rows.append(
            [
                mode,
                f"{size / 1000:.0f}",
                f"{widgets / 1000:.0f}",
                f"{(size - widgets) / 1000:.0f}",
                f"{videos / 1000:.0f}",
                f"{size / videos:.2f}",
            ]
        )
    kind = "320 px previews" if args.short else "1366x768 videos"
    print(
        f"saved notebook after a 16-video comparison ({kind}), executed by nbclient;"
        " baseline: the 16 MP4 files"
    )
    print()
    print(
        table(
            [
                "videos",
                "notebook (KB)",
                "of it widget state (KB)",
                "without it, as JupyterLab saves (KB)",
                "16 MP4s (KB)",
                "notebook ÷ MP4s",
            ],
            rows,
        )
    )
    print()
    ok = results["linked"] < 500_000
    print(f"target: linked under 500 KB: {'met' if ok else 'MISSED'}")
    ok = results["embedded"] < 10_000_000
    print(f"target: embedded well under 10 MB: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
