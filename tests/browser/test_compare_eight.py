"""Four prompts on two models from a ``%%hailuo --compare`` cell: eight videos side by side."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, CHROMIUM, open_notebook, run_all

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]

FINAL = "figure.hailuo-compare-tile video"
CELL = """%%hailuo --compare -m hailuo-2.3,minimax-hailuo-2 -o cmp
a red fox running through fresh snow, golden hour
---
a snowy owl gliding over a pine forest at dawn
---
a paper boat drifting down a rainy street at dusk
---
a lighthouse in a storm, waves crashing"""


def notebook(*sources: str) -> str:
    cells = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": src}
        for src in sources
    ]
    kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    meta = {"kernelspec": kernel, "language_info": {"name": "python"}}
    return json.dumps({"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 4})


def test_four_prompts_on_two_models_give_eight_videos_side_by_side(
    lab_server: Callable[..., tuple[str, Path]], chromium_page: Any
) -> None:
    base, work = lab_server([])
    (work / "eight.ipynb").write_text(
        notebook('%load_ext hailuo_nb\n%config Hailuo.provider = "emulator"', CELL)
    )
    page = chromium_page
    try:
        open_notebook(page, base, "eight.ipynb")
        run_all(page)
        page.wait_for_function(
            f"() => {{ const vs = [...document.querySelectorAll('{FINAL}')];"
            " return vs.length === 8 && vs.every(v => v.readyState >= 1); }",
            timeout=90_000,
        )
        boxes = [v.bounding_box() for v in page.locator(FINAL).all()]
        rows: dict[int, list[float]] = {}
        for box in boxes:
            assert box is not None
            rows.setdefault(round(box["y"]), []).append(box["x"])
        # One row per prompt, the two models side by side in it.
        assert sorted(len(xs) for xs in rows.values()) == [2, 2, 2, 2], rows
        captions = page.locator("figure.hailuo-compare-tile figcaption").all_inner_texts()
        assert "minimax-hailuo-2" in captions[1] and "lighthouse" in captions[7]

        page.locator("button.hailuo-play-all").first.click()
        page.wait_for_function(
            f"() => [...document.querySelectorAll('{FINAL}')]"
            ".every(v => !v.paused && v.currentTime > 0.3)",
            timeout=20_000,
        )
        page.locator(".hailuo-compare").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "compare-eight.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "compare-eight-failure.png"), full_page=True)
        raise
