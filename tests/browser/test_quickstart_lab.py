"""The quickstart in a real browser: JupyterLab + Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, CHROMIUM, TOKEN, open_notebook, play_first, run_all, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]


def test_quickstart_in_jupyterlab(
    lab_server: Callable[..., tuple[str, Path]], chromium_page: Any
) -> None:
    base, work = lab_server(["quickstart.ipynb"])
    page = chromium_page
    try:
        open_notebook(page, base, "quickstart.ipynb")
        run_all(page)
        # The background cell shows a live progress bar that moves.
        bar = page.locator(".hailuo-live .widget-hprogress .progress-bar").first
        bar.wait_for(state="attached", timeout=30_000)
        widths = set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(widths) < 3:
            widths.add(bar.evaluate("el => el.style.width"))
            time.sleep(0.3)
        page.screenshot(path=str(ARTIFACTS / "quickstart-progress.png"))
        assert len(widths) >= 2, f"the progress bar did not move: {widths}"

        # Every job ends; the cells now hold videos that load and play.
        page.wait_for_function(
            "() => document.querySelectorAll('figure.hailuo-result video').length >= 3",
            timeout=60_000,
        )
        page.wait_for_function(
            "() => [...document.querySelectorAll('figure.hailuo-result video')]"
            ".every(v => v.readyState >= 1)",
            timeout=30_000,
        )
        play_first(page, "figure.hailuo-result video")

        # The refused prompt shows the server's reason.
        reason = page.locator(".hailuo-reason").first
        reason.wait_for(timeout=30_000)
        assert "moderation" in reason.inner_text()

        # Markup in a prompt is text, never run.
        page.get_by_text("window.__xss=2").first.wait_for(timeout=10_000)
        assert page.evaluate("() => window.__xss") is None
        page.locator("figure.hailuo-result").nth(2).scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "quickstart-done.png"), full_page=True)

        # Saved, closed and reopened: the videos come back from the file, and play.
        wait_idle(page)
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        saved = work / "quickstart.ipynb"
        deadline = time.monotonic() + 20
        while "<video" not in saved.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert saved.read_text().count("<video") >= 3, "the saved notebook lost its videos"
        page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
        page.goto(f"{base}/lab/tree/quickstart.ipynb?token={TOKEN}")
        page.wait_for_function(
            "() => document.querySelectorAll('figure.hailuo-result video').length >= 3",
            timeout=60_000,
        )
        play_first(page, "figure.hailuo-result video")
        assert page.evaluate("() => window.__xss") is None
        page.screenshot(path=str(ARTIFACTS / "quickstart-reopened.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "quickstart-failure.png"), full_page=True)
        (ARTIFACTS / "quickstart-failure.html").write_text(page.content())
        raise
    assert any((work / "hailuo_outputs").glob("*.mp4")) or any(work.rglob("*.mp4"))
