"""The storyboard in a real browser: five shot cards in JupyterLab, then one 30 s film
that plays, and still plays after the notebook is saved and reopened."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, CHROMIUM, open_notebook, play_first, run_all, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]

FILM = "video.hailuo-film"
# Shots of about 1 s each: the cards are seen running, and five of them stay short.
FAST = {"time_scale": 140, "preview": True, "seed": 5}


def test_five_shots_become_one_film_that_plays(
    lab_server: Callable[..., tuple[str, Path]], chromium_page: Any
) -> None:
    base, work = lab_server(["story.ipynb"], emulator=FAST)
    page = chromium_page
    try:
        open_notebook(page, base, "story.ipynb")
        run_all(page)
        # Live: five cards, the first frames appearing as the shots finish, and the ETA.
        page.wait_for_function(
            "() => document.querySelectorAll('.hailuo-compare .hailuo-tile').length === 5",
            timeout=30_000,
        )
        page.wait_for_function(
            "() => document.querySelectorAll('.hailuo-tile img[alt=\"last frame\"]').length >= 2",
            timeout=60_000,
        )
        heading = page.locator(".hailuo-compare").first.inner_text()
        assert "left for the film" in heading or "film:" in heading
        page.screenshot(path=str(ARTIFACTS / "story-live.png"))

        # Done: the film plays, and it lasts the five shots.
        page.wait_for_function(
            f"() => document.querySelector('{FILM}')?.readyState >= 1", timeout=90_000
        )
        duration = page.evaluate(f"() => document.querySelector('{FILM}').duration")
        assert abs(duration - 30.0) < 0.2, duration
        assert page.locator(".hailuo-story .hailuo-shot img").count() == 10
        play_first(page, FILM)
        page.locator(".hailuo-story").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "story-lab.png"))

        # Saved and reopened: the film is plain HTML in the file and still plays.
        wait_idle(page)
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        saved = work / "story.ipynb"
        deadline = time.monotonic() + 20
        while "hailuo-film" not in saved.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert "hailuo-film" in saved.read_text(), "the saved notebook lost its film"
        page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
        open_notebook(page, base, "story.ipynb")
        play_first(page, FILM)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "story-failure.png"), full_page=True)
        (ARTIFACTS / "story-failure.html").write_text(page.content())
        raise
