"""A new user's four-prompt comparison against a server allowing 50 requests a minute.

Issue 14's "done when": tried as a new user would (a Segmind key, the server's URL,
nothing else set: no request rate, no polling settings, an empty job store), a
four-prompt ``%%hailuo --compare`` whose jobs take 8 s each finishes well under 20 s, and
each job is submitted once. Before the learnt budget, the client assumed Segmind's free
tier (5 requests a minute) and such a comparison took minutes.
"""

from __future__ import annotations

import time

import httpx
import pytest
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.comparison import Comparison
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.emulator.catalog import model as emulator_model
from tests.notebook.conftest import RecordingPublisher, shell  # noqa: F401 - fixture

# The time scale at which the emulator's hailuo-2.3 takes 8 s.
EIGHT_SECONDS = emulator_model("segmind", "hailuo-2.3").typical_s / 8.0  # type: ignore[union-attr]


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Jobs of exactly 8 s; 50 requests a minute per key (a Segmind Pro account)."""
    return EmulatorConfig(
        time_scale=EIGHT_SECONDS, spread=0.0, preview=True, seed=14, rate_limit_rpm=50
    )


@pytest.mark.slow
def test_a_new_users_comparison_of_four_8_s_jobs_at_50_a_minute(
    shell: tuple[InteractiveShell, RecordingPublisher],  # noqa: F811 - the fixture above
    emulator_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sh, _rec = shell
    monkeypatch.setenv("SEGMIND_API_KEY", "SG_0123456789abcdef")
    sh.run_line_magic("config", 'Hailuo.provider = "segmind"')
    sh.run_line_magic("config", f'Hailuo.base_url = "{emulator_url}/segmind"')
    prompts = "a fox\n---\nan owl\n---\na cat\n---\na hen\n"
    start = time.monotonic()
    sh.run_cell_magic("hailuo", "--compare -m hailuo-2.3 -o cmp --wait", prompts)
    took = time.monotonic() - start
    cmp = sh.user_ns.pop("cmp")
    stats = httpx.get(f"{emulator_url}/__emulator__/stats").json()
    requests = sum(sum(codes.values()) for codes in stats["requests"].values())
    print(f"\nfour 8 s jobs at 50/min: {took:.1f} s, {requests} requests")
    assert isinstance(cmp, Comparison) and cmp.state == "done"
    assert all(j.status == "completed" and j.video_path for j in cmp.jobs)
    assert stats["submissions"]["total"] == 4  # each job submitted once
    assert took < 15.0, f"took {took:.1f} s"  # well under 20 s (measured: about 11 s)
