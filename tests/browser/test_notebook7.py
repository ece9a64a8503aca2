"""The quickstart in Notebook 7 (the classic-style front end): progress, videos, escaping."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, CHROMIUM, DEFAULT_EMULATOR, ROOT, TOKEN, free_port, play_first

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]


def test_quickstart_in_notebook7(tmp_path: Path, chromium_page: Any) -> None:
    pytest.importorskip("notebook")
    work = tmp_path / "work"
    work.mkdir()
    (work / "quickstart.ipynb").write_text((ROOT / "notebooks" / "quickstart.ipynb").read_text())
    port = free_port()
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        HAILUO_EMULATOR=json.dumps(DEFAULT_EMULATOR),
        JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
    )
    log = open(tmp_path / "nb.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "notebook", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", f"--IdentityProvider.token={TOKEN}", "--ServerApp.password=",
            f"--ServerApp.root_dir={work}", "--JupyterNotebookApp.expose_app_in_browser=True",
            f"--JupyterNotebookApp.user_settings_dir={tmp_path / 'settings'}",
            f"--JupyterNotebookApp.workspaces_dir={tmp_path / 'workspaces'}",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    page = chromium_page
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((tmp_path / "nb.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        page.goto(f"{base}/notebooks/quickstart.ipynb?token={TOKEN}")
        page.wait_for_function(
            "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session"
            "?.kernel?.status === 'idle'",
            timeout=60_000,
        )
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        # The live widget renders (ipywidgets' front end is part of Notebook 7 too).
        page.locator(".hailuo-live .widget-hprogress").first.wait_for(
            state="attached", timeout=30_000
        )
        page.wait_for_function(
            "() => document.querySelectorAll('figure.hailuo-result video').length >= 3",
            timeout=90_000,
        )
        play_first(page, "figure.hailuo-result video")
        page.locator(".hailuo-reason").first.wait_for(timeout=30_000)
        assert "moderation" in page.locator(".hailuo-reason").first.inner_text()
        page.get_by_text("window.__xss=2").first.wait_for(timeout=10_000)
        assert page.evaluate("() => window.__xss") is None
        page.screenshot(path=str(ARTIFACTS / "notebook7-done.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "notebook7-failure.png"), full_page=True)
        raise
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
