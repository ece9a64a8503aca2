"""The control panel in a real browser: JupyterLab + Debian's Chromium, driven by Playwright.

A user types a prompt and picks options by clicking; a forbidden choice is greyed out with
its reason, an incomplete one keeps Generate disabled with the reason; Generate makes a
tile that becomes a playing video.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, CHROMIUM, open_notebook, play_first, run_all, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]

PANEL = ".hailuo-panel"
JOBS = f"{PANEL} .hailuo-panel-jobs .hailuo-panel-job"


def option(page: Any, text: str) -> Any:
    """One of the panel's toggle buttons (duration, resolution, mode) by its label."""
    return page.locator(f"{PANEL} button.hailuo-choice-option", has_text=text).first


def test_panel_in_jupyterlab(
    lab_server: Callable[..., tuple[str, Path]], chromium_page: Any
) -> None:
    base, _ = lab_server(["panel.ipynb"])
    page = chromium_page
    try:
        open_notebook(page, base, "panel.ipynb")
        run_all(page)
        # The notebook itself sends one job from code; its tile becomes a video.
        page.locator(f"{JOBS} video").first.wait_for(state="attached", timeout=60_000)
        wait_idle(page)

        panel = page.locator(PANEL).first
        panel.scroll_into_view_if_needed()
        prompt = panel.locator("textarea").first
        prompt.fill("")
        generate = page.locator(f"{PANEL} button.hailuo-generate").first
        reason = page.locator(f"{PANEL} .hailuo-panel-reason").first
        page.wait_for_function(
            "() => document.querySelector('.hailuo-panel button.hailuo-generate').disabled"
            " && document.querySelector('.hailuo-panel .hailuo-panel-reason')"
            ".innerText.includes('prompt: is empty')"
        )
        assert "prompt: is empty" in reason.inner_text()
        prompt.press_sequentially("a lighthouse in a storm, waves crashing", delay=5)

        # A model that needs a first frame: Generate stays disabled and says why.
        model = panel.locator(".hailuo-model select").first
        model.select_option("hailuo-2.3-fast")
        page.wait_for_function(
            "() => document.querySelector('.hailuo-panel .hailuo-panel-reason')"
            ".innerText.includes('needs a first frame image')"
        )
        assert generate.is_disabled()
        page.screenshot(path=str(ARTIFACTS / "panel-invalid.png"))

        # Back to text-to-video; 10 s greys out 1080p with the reason as its tooltip.
        model.select_option("hailuo-2.3")
        option(page, "10 s").click()
        hd = option(page, "1080p")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.hailuo-panel button.hailuo-choice-option')]"
            ".some(b => b.innerText.trim() === '1080p' && b.disabled)"
        )
        assert "1080p allows only 6 s" in (hd.get_attribute("title") or "")
        assert "1080p allows only 6 s" in panel.locator(".hailuo-choice").nth(1).inner_text()
        page.wait_for_function(
            "() => !document.querySelector('.hailuo-panel button.hailuo-generate').disabled"
        )
        assert "~$0.70 (estimate)" in panel.locator(".hailuo-cost").inner_text()
        page.screenshot(path=str(ARTIFACTS / "panel-form.png"))

        generate.click()
        page.wait_for_function(
            f"() => document.querySelectorAll({JOBS!r}).length === 2", timeout=20_000
        )
        first = page.locator(JOBS).first
        assert "a lighthouse in a storm" in first.inner_text()
        first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "panel-running.png"))
        newest = f"{JOBS}:first-child video"
        page.locator(newest).wait_for(state="attached", timeout=30_000)
        play_first(page, newest)
        page.locator(newest).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "panel-done.png"))
        assert "sent: job" in panel.locator(".hailuo-panel-status").inner_text()
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "panel-failure.png"), full_page=True)
        raise
