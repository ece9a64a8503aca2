"""Fixtures for the comparison: the notebook layer's recording shell, a served emulator.

``served`` points the shell's session at the emulator on a real 127.0.0.1 socket (as
the Segmind provider), so that its ``/__emulator__/stats`` says exactly what was sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.emulator import EmulatorConfig
from tests.notebook.conftest import RecordingPublisher, shell  # noqa: F401 - fixture

Shell = tuple[InteractiveShell, RecordingPublisher]


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Jobs of a fraction of a second, small videos (as the brief's fast setting)."""
    return EmulatorConfig(time_scale=400.0, preview=True, seed=11)


@pytest.fixture
def served(
    shell: Shell,  # noqa: F811 - the fixture imported above
    emulator_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[InteractiveShell, RecordingPublisher, Callable[[], dict[str, Any]]]]:
    """The shell on the served emulator (provider segmind) and a reader of its stats."""
    sh, rec = shell
    monkeypatch.setenv("SEGMIND_API_KEY", "sk-compare-test-SECRET")
    sh.run_line_magic("config", 'Hailuo.provider = "segmind"')
    sh.run_line_magic("config", f'Hailuo.base_url = "{emulator_url}/segmind"')
    # A real provider polls on a human schedule; this emulator runs 400 times faster.
    sh.run_line_magic("config", "Hailuo.poll_min_interval = 0.02")
    sh.run_line_magic("config", "Hailuo.poll_max_interval = 0.1")
    sh.run_line_magic("config", "Hailuo.requests_per_minute = 6000.0")  # Segmind's is 5

    def stats() -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{emulator_url}/__emulator__/stats").json()
        return body

    yield sh, rec, stats
    for name in ("cmp", "place"):
        sh.user_ns.pop(name, None)
