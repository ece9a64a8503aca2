"""H3 in a real browser: the cell's video plays its sound, a 2 x 2 grid starts muted and
one tile, unmuted, plays its sound (JupyterLab + Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, CHROMIUM, open_notebook, play_with_sound, run_all

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]

# Audio bytes the browser decoded for a video: more than zero once its sound has played.
HEARD = "v => v.webkitAudioDecodedByteCount"


def test_h3_video_with_sound_and_a_muted_grid(
    lab_server: Callable[..., tuple[str, Path]], chromium_page: Any
) -> None:
    base, _ = lab_server(["h3.ipynb"])
    page = chromium_page
    try:
        open_notebook(page, base, "h3.ipynb")
        run_all(page)
        cell_video = page.locator("figure.hailuo-result video").first
        cell_video.wait_for(timeout=60_000)
        page.wait_for_function(
            "() => document.querySelector('figure.hailuo-result video')?.readyState >= 1",
            timeout=30_000,
        )
        size = cell_video.evaluate("v => [v.videoWidth, v.videoHeight, v.duration]")
        assert size[1] > size[0] and 7.5 <= size[2] <= 8.5, size  # vertical, 8 s
        play_with_sound(page, cell_video)
        assert cell_video.evaluate(HEARD) > 0

        grid = "figure.hailuo-compare-tile video"
        page.wait_for_function(
            f"() => [...document.querySelectorAll('{grid}')].filter(v => v.readyState >= 1)"
            ".length === 4",
            timeout=90_000,
        )
        tiles = page.locator(grid)
        assert tiles.evaluate_all("vs => vs.map(v => v.muted)") == [True] * 4
        play_with_sound(page, tiles.nth(1))
        assert tiles.evaluate_all("vs => vs.map(v => v.muted)") == [True, False, True, True]
        assert tiles.nth(1).evaluate(HEARD) > 0
        page.screenshot(path=str(ARTIFACTS / "h3-lab.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "h3-lab-failure.png"), full_page=True)
        raise
