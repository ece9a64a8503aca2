"""JupyterLab + Debian's Chromium + Playwright, shared by the browser tests.

Recipe and pitfalls: ../shared/docs/testing.md. Screenshots go to ``artifacts/``.

Fixtures:

* ``lab_server(notebooks, emulator=None)`` -> ``(base URL, folder)``: JupyterLab on
  127.0.0.1 serving copies of ``notebooks/<name>`` (a factory; one server per test);
* ``chromium_page`` -> a Playwright page (1280 x 1400) in headless Chromium.

Helpers: :func:`open_notebook` (waits for an idle kernel), :func:`run_all`,
:func:`wait_idle`, :func:`play_first` (a video whose ``currentTime`` advances),
:func:`play_with_sound` (a click, as a user's gesture, and decoded audio).
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
TOKEN = "hailuo-browser-test"
# Jobs of ~4 s: long enough to see a bar move, short enough for CI.
DEFAULT_EMULATOR = {"time_scale": 40, "preview": True, "seed": 3}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[Callable[..., tuple[str, Path]]]:
    """A factory: ``lab_server(["quickstart.ipynb"], emulator={...})`` -> (base URL, folder)."""
    procs: list[tuple[subprocess.Popen[bytes], Any]] = []

    def start(notebooks: list[str], emulator: dict[str, Any] | None = None) -> tuple[str, Path]:
        work = tmp_path / "work"
        work.mkdir()
        for name in notebooks:
            shutil.copy(ROOT / "notebooks" / name, work / name)
        settings = tmp_path / "settings"
        apputils = settings / "@jupyterlab" / "apputils-extension"
        apputils.mkdir(parents=True)
        # Otherwise a news popup covers the page.
        (apputils / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false"})
        )
        # Render every cell: with windowing, off-screen outputs are not in the DOM.
        tracker = settings / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True)
        (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        port = free_port()
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
            JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
            JUPYTER_DATA_DIR=str(tmp_path / "data"),
            HAILUO_EMULATOR=json.dumps(emulator or DEFAULT_EMULATOR),
        )
        env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
        log = open(tmp_path / "lab.log", "wb")  # noqa: SIM115 - closed at teardown
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
        procs.append((proc, log))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((tmp_path / "lab.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        return base, work

    try:
        yield start
    finally:
        for proc, log in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # the server and its kernels
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()


@pytest.fixture
def chromium_page() -> Iterator[Any]:
    """A page in Debian's headless Chromium (never a Playwright-downloaded browser)."""
    from playwright.sync_api import sync_playwright

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
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 1400})
        finally:
            browser.close()


def wait_idle(page: Any, timeout_ms: int = 60_000) -> None:
    """Wait until the current notebook's kernel is idle."""
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session"
        "?.kernel?.status === 'idle'",
        timeout=timeout_ms,
    )


def open_notebook(page: Any, base: str, name: str) -> None:
    """Open ``name`` in JupyterLab and wait for its kernel."""
    page.goto(f"{base}/lab/tree/{name}?token={TOKEN}")
    wait_idle(page)


def run_all(page: Any) -> None:
    """Run every cell (not awaited: the command resolves only when all cells have run)."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def play_first(page: Any, selector: str, timeout_ms: int = 20_000) -> None:
    """Play the first video matching ``selector`` (muted) and wait until it advances.

    Outputs can be re-rendered while cells still run (``%hailuo wait`` re-sends final
    outputs), so the video is looked up again if it was replaced under us.
    """
    sel = json.dumps(selector)
    page.wait_for_function(f"() => document.querySelector({sel})?.readyState >= 1", timeout=30_000)
    page.evaluate(
        f"() => {{ const v = document.querySelector({sel}); v.scrollIntoView(); v.muted = true;"
        " window.__hailuoPlayed = v; return v.play(); }"
    )
    page.wait_for_function(
        f"""() => {{
            const v = document.querySelector({sel});
            if (v.currentTime > 0.3) return true;
            if (v !== window.__hailuoPlayed) {{
                window.__hailuoPlayed = v; v.muted = true; v.play();
            }}
            return false;
        }}""",
        timeout=timeout_ms,
    )


def play_with_sound(page: Any, video: Any, gesture: str = "click") -> None:
    """Unmute ``video`` and start it as a user would (a gesture: Chromium lets it play
    with sound): a ``"click"`` on it, or ``"key"``: focus it and press Space.

    ``page`` is a page or a frame (the one holding ``video``); returns once the video has
    advanced and the browser has decoded some of its sound
    (``webkitAudioDecodedByteCount > 0``). Use ``"key"`` inside a sandboxed ``srcdoc``
    frame: there this headless Chromium never delivers the mouse to the frame's document
    (no ``click`` event arrives), while the keyboard reaches the focused video.
    """
    video.scroll_into_view_if_needed()
    video.evaluate("v => { v.muted = false; v.volume = 1; }")
    if gesture == "key":
        video.focus()
        video.press("Space")
    else:
        video.click()
    page.wait_for_function(
        "v => v.currentTime > 0.5 && v.webkitAudioDecodedByteCount > 0",
        arg=video.element_handle(),
        timeout=20_000,
    )
