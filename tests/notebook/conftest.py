"""Fixtures for the notebook layer: an IPython shell with a recording front end.

The shell is a real ``InteractiveShell``; only its display publisher is replaced, by one
that records every bundle it is asked to show (the part a front end would draw). Jobs go
to the real client and the in-process emulator, made fast through ``HAILUO_EMULATOR``.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

FAST = {"time_scale": 400.0, "preview": True, "seed": 7}


class RecordingPublisher(DisplayPublisher):  # type: ignore[misc]
    """Keeps what a front end would render: each output by display id, updates applied."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []

    def publish(  # type: ignore[override]
        self,
        data: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        source: str | None = None,
        *,
        transient: dict[str, Any] | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        with self.lock:
            self.messages.append(
                {
                    "data": dict(data),
                    "display_id": (transient or {}).get("display_id"),
                    "update": update,
                }
            )

    def clear_output(self, wait: bool = False) -> None:
        pass

    def latest(self) -> dict[str, dict[str, Any]]:
        """The current bundle of every display id (what the notebook would save)."""
        with self.lock:
            out: dict[str, dict[str, Any]] = {}
            for m in self.messages:
                if m["display_id"]:
                    out[m["display_id"]] = m["data"]
            return out

    def bundles(self) -> list[dict[str, Any]]:
        with self.lock:
            return [m["data"] for m in self.messages]


NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def clean_copy(name: str, folder: Path) -> Path:
    """Copy ``notebooks/<name>`` into ``folder``, checking it is saved without outputs."""
    path = folder / name
    shutil.copy(NOTEBOOKS / name, path)
    original = json.loads(path.read_text())
    assert all(not c.get("outputs") for c in original["cells"]), "saved WITHOUT outputs in git"
    return path


@pytest.fixture
def shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[InteractiveShell, RecordingPublisher]]:
    """A shell with ``hailuo_nb`` loaded, working in ``tmp_path`` against a fast emulator."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HAILUO_EMULATOR", json.dumps(FAST))
    for name in (
        "SEGMIND_API_KEY",
        "AIMLAPI_KEY",
        "MINIMAX_API_KEY",
        "FAL_KEY",
        "FAL_KEY_ID",
        "FAL_KEY_SECRET",
        "REPLICATE_API_TOKEN",
        "HAILUO_PROVIDER",
    ):
        monkeypatch.delenv(name, raising=False)
    sh = InteractiveShell.instance()
    # %config writes to the (singleton) shell's config: start each test from the defaults.
    sh.config.pop("Hailuo", None)
    recorder = RecordingPublisher()
    monkeypatch.setattr(sh, "display_pub", recorder)
    sh.run_line_magic("load_ext", "hailuo_nb")
    sh.run_line_magic("config", 'Hailuo.provider = "emulator"')
    sh.run_line_magic("config", f'Hailuo.output_dir = "{tmp_path / "videos"}"')
    sh.run_line_magic("config", f'Hailuo.store_path = "{tmp_path / "jobs.sqlite"}"')
    sh.run_line_magic("config", 'Hailuo.progress = "text"')
    try:
        yield sh, recorder
    finally:
        sh.run_line_magic("unload_ext", "hailuo_nb")
        sh.config.pop("Hailuo", None)
        for name in ("fox", "owl", "bad"):
            sh.user_ns.pop(name, None)
