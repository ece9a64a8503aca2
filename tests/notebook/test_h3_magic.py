"""H3 from a notebook: ``%%hailuo -m MiniMax-H3 ...``, ``%hailuo upscale``, ``%hailuo cancel``.

A real IPython shell, the real client and the in-process emulator (the default provider).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from ..emulator.h3helpers import probe
from .conftest import RecordingPublisher
from .test_magic import final_of

Shell = tuple[InteractiveShell, RecordingPublisher]


def test_a_vertical_8_second_video_with_sound_then_2k(shell: Shell) -> None:
    sh, rec = shell
    sh.run_cell_magic("hailuo", "-m MiniMax-H3 --duration 8 --ratio 9:16 --wait -o v",
                      "a lighthouse at dusk, waves below\n")
    v = sh.user_ns["v"]
    assert v.status == "completed" and v.model == "h3"
    seen = probe(Path(v.video_path).read_bytes())
    assert seen.height > seen.width and 7.5 <= seen.video_seconds <= 8.5
    assert seen.audio_codec == "aac" and seen.channels == 2
    bundle = final_of(rec, v)
    assert "with sound" in bundle["text/plain"] and "9:16" in bundle["text/plain"]
    assert "with sound" in bundle["text/html"]

    sh.run_line_magic("hailuo", "upscale v -o v2k")
    sh.run_line_magic("hailuo", "wait v2k")
    big = sh.user_ns["v2k"]
    assert big.status == "completed" and big.params["resolution"] == "2k"
    assert f"2K of {v.id}" in final_of(rec, big)["text/plain"]
    with pytest.raises(UsageError, match="not a 768P generation"):
        sh.run_line_magic("hailuo", "upscale v2k")
    for name in ("v", "v2k"):
        sh.user_ns.pop(name, None)


def test_a_refused_rule_is_one_line_and_sends_nothing(shell: Shell) -> None:
    sh, rec = shell
    with pytest.raises(UsageError) as info:
        sh.run_cell_magic("hailuo", "-m MiniMax-H3 --ratio adaptive", "a fox\n")
    assert "ratio: a text-only video needs a shape" in str(info.value)
    assert "\n" not in str(info.value) and rec.messages == []
    with pytest.raises(UsageError, match="audio cannot be the only reference"):
        sh.run_cell_magic("hailuo", "-m MiniMax-H3 --ref-audio https://x/a.wav", "a fox\n")


def test_cancel_a_queued_job(shell: Shell, capsys: pytest.CaptureFixture[str]) -> None:
    sh, _ = shell
    # A slow emulator: the job stays queued for seconds.
    sh.run_line_magic("config", 'Hailuo.emulator = {"time_scale": 1.0, "preview": True}')
    sh.run_cell_magic("hailuo", "-m MiniMax-H3 -o slow", "a slow fox\n")
    sh.run_line_magic("hailuo", "cancel slow")
    said = capsys.readouterr().out
    assert "cancelled: cancelled before it started; not charged" in said
    sh.run_line_magic("hailuo", "wait slow")
    assert sh.user_ns["slow"].status == "cancelled"
    sh.run_line_magic("hailuo", "cancel slow")  # already final: said, nothing sent
    assert "not cancelled: the job is already cancelled" in capsys.readouterr().out
    with pytest.raises(UsageError, match="no job 'nobody'"):
        sh.run_line_magic("hailuo", "cancel nobody")
    sh.user_ns.pop("slow", None)
