"""The CLI's progress line ticks in a terminal (issue 15, item 5).

``hailuo generate`` runs in a real pseudo-terminal, against the in-process emulator at a
speed where a job takes a few seconds: between two answers of the server the line is still
redrawn every second with the time moving, so a job of minutes never looks hung.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from .test_cli import ROOT


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_the_progress_line_ticks_between_polls_in_a_terminal(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if not k.endswith(("API_KEY", "AIMLAPI_KEY"))}
    environ.pop("HAILUO_PROVIDER", None)
    path = [ROOT, *filter(None, environ.get("PYTHONPATH", "").split(os.pathsep))]
    # hailuo-2.3's 141 s over 30: a job of about 5 s.
    environ.update(
        HAILUO_EMULATOR=json.dumps({"time_scale": 30, "preview": True, "spread": 0.0}),
        PYTHONPATH=os.pathsep.join(path),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "hailuo_nb.cli", "generate", "a fox", "--model", "hailuo-2.3"],
        cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=slave, text=True,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    out, _ = proc.communicate(timeout=90)
    reader.join(5)
    os.close(master)
    screen = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, screen
    assert Path(out.strip()).is_file()
    frames = [f.strip() for f in re.split(r"[\r\n]+", screen) if " processing " in f]
    times = [float(m.group(1)) for f in frames if (m := re.search(r"(\d+\.\d) s", f))]
    # A frame a second while it runs (about 5 s): the time moves between polls.
    assert len(set(times)) >= 3, frames
    assert times == sorted(times)
    assert any("left" in f for f in frames), frames
