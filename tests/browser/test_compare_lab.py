"""The comparison in a real browser: a 2 × 2 grid in JupyterLab, play-all, the shared page."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, CHROMIUM, TOKEN, open_notebook, run_all, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]

FINAL = "figure.hailuo-compare-tile video"


def times(page: Any, selector: str) -> list[float]:
    return list(
        page.evaluate(f"() => [...document.querySelectorAll('{selector}')].map(v => v.currentTime)")
    )


def wait_all(page: Any, selector: str, condition: str, timeout_ms: int = 20_000) -> None:
    """Wait until every element matching ``selector`` satisfies ``condition`` (JS on v)."""
    page.wait_for_function(
        f"() => {{ const vs = [...document.querySelectorAll('{selector}')];"
        f" return vs.length === 4 && vs.every(v => {condition}); }}",
        timeout=timeout_ms,
    )


def test_two_by_two_comparison_plays_together_and_exports(
    lab_server: Callable[..., tuple[str, Path]], chromium_page: Any
) -> None:
    base, work = lab_server(["compare.ipynb"])
    page = chromium_page
    try:
        open_notebook(page, base, "compare.ipynb")
        run_all(page)
        # The live grid: four tiles with their captions, before any video exists.
        page.wait_for_function(
            "() => document.querySelectorAll('.hailuo-compare .hailuo-tile').length >= 4",
            timeout=30_000,
        )
        page.screenshot(path=str(ARTIFACTS / "compare-live.png"))

        # All done: the grid is now plain HTML with four videos that load.
        wait_all(page, FINAL, "v.readyState >= 1", timeout_ms=60_000)
        grid = page.locator(".hailuo-compare-grid").first
        grid.scroll_into_view_if_needed()
        captions = page.locator("figure.hailuo-compare-tile figcaption").all_inner_texts()
        assert len(captions) == 4 and "minimax-hailuo-2" in captions[1]
        assert all("768p" not in c for c in captions)  # only what differs

        # One click plays all four (a real user gesture), and they all advance.
        page.locator("button.hailuo-play-all").first.click()
        wait_all(page, FINAL, "!v.paused && v.currentTime > 0.5")
        page.screenshot(path=str(ARTIFACTS / "compare-playing.png"))
        page.locator("button.hailuo-pause-all").first.click()
        wait_all(page, FINAL, "v.paused")
        paused = times(page, FINAL)
        page.wait_for_timeout(400)
        assert times(page, FINAL) == paused
        page.locator("button.hailuo-restart-all").first.click()
        wait_all(page, FINAL, "!v.paused")
        assert all(t < min(paused) for t in times(page, FINAL)), "restart went back to 0"

        # Saved and reopened: the grid is plain HTML in the file, and still plays together.
        wait_idle(page)
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        saved = work / "compare.ipynb"
        deadline = time.monotonic() + 20
        while "hailuo-compare-grid" not in saved.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert saved.read_text().count("<video") >= 4, "the saved notebook lost its grid"
        page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
        open_notebook(page, base, "compare.ipynb")
        wait_all(page, FINAL, "v.readyState >= 1")
        page.locator("button.hailuo-play-all").first.click()
        wait_all(page, FINAL, "!v.paused && v.currentTime > 0.3")
        page.screenshot(path=str(ARTIFACTS / "compare-reopened.png"))

        # The exported pages. Jupyter serves /files/*.html in a CSP sandbox (an opaque
        # origin), so linked videos there do not get the login: the embedded page plays
        # through Jupyter, the linked one from the folder itself.
        for url, shot in (
            (f"{base}/files/compare-embedded.html?token={TOKEN}", "compare-page-embedded"),
            ((work / "compare.html").as_uri(), "compare-page"),
        ):
            page.goto(url)
            wait_all(page, "video", "v.readyState >= 1")
            assert page.locator("table.hailuo-compare-table tbody tr").count() == 4
            page.locator("button.hailuo-play-all").click()
            wait_all(page, "video", "v.currentTime > 0.3")
            page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "compare-failure.png"), full_page=True)
        (ARTIFACTS / "compare-failure.html").write_text(page.content())
        raise
