"""The quickstart in a real browser: JupyterLab + Debian's Chromium, driven by Playwright.

Recipe and pitfalls: ../shared/docs/testing.md. Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
TOKEN = "hailuo-browser-test"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab on 127.0.0.1 serving a copy of the quickstart; yields (base URL, folder)."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", work / "quickstart.ipynb")
    settings = tmp_path / "settings"
    apputils = settings / "@jupyterlab" / "apputils-extension"
    apputils.mkdir(parents=True)
    # Otherwise a news popup covers the page.
    (apputils / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    # Render every cell: with windowing, off-screen outputs are not in the DOM (or not visible).
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = free_port()
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        # Jobs of ~4 s: long enough to see the bar move, short enough for CI.
        HAILUO_EMULATOR=json.dumps({"time_scale": 40, "preview": True, "seed": 3}),
    )
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    log = open(tmp_path / "lab.log", "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", f"--IdentityProvider.token={TOKEN}", "--ServerApp.password=",
            f"--ServerApp.root_dir={work}", f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
        ],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((tmp_path / "lab.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        yield base, work
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its kernels
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_quickstart_in_jupyterlab(lab: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    base, work = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        try:
            page.goto(f"{base}/lab/tree/quickstart.ipynb?token={TOKEN}")
            page.wait_for_function(
                "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session"
                "?.kernel?.status === 'idle'",
                timeout=60_000,
            )
            # Not awaited: the command's promise resolves only when every cell has run.
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

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
            video = page.locator("figure.hailuo-result video").first
            video.scroll_into_view_if_needed()
            video.evaluate("v => { v.muted = true; return v.play(); }")
            page.wait_for_function(
                "() => document.querySelector('figure.hailuo-result video').currentTime > 0.3",
                timeout=20_000,
            )

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
            page.wait_for_function(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.session"
                ".kernel.status === 'idle'",
                timeout=60_000,
            )
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
            reopened = page.locator("figure.hailuo-result video").first
            reopened.scroll_into_view_if_needed()
            page.wait_for_function(
                "() => document.querySelector('figure.hailuo-result video').readyState >= 1",
                timeout=30_000,
            )
            reopened.evaluate("v => { v.muted = true; return v.play(); }")
            page.wait_for_function(
                "() => document.querySelector('figure.hailuo-result video').currentTime > 0.3",
                timeout=20_000,
            )
            assert page.evaluate("() => window.__xss") is None
            page.screenshot(path=str(ARTIFACTS / "quickstart-reopened.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "quickstart-failure.png"), full_page=True)
            (ARTIFACTS / "quickstart-failure.html").write_text(page.content())
            raise
        finally:
            browser.close()
    assert any((work / "hailuo_outputs").glob("*.mp4")) or any(work.rglob("*.mp4"))
