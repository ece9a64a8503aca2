"""``%%hailuo`` and camera commands in the prompt: a near miss is said in one line, the
prompt is sent as written (a real IPython shell, the real client and emulator)."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.notebook.registry import session_for

from .conftest import RecordingPublisher

Shell = tuple[InteractiveShell, RecordingPublisher]


def test_a_camera_typo_is_said_in_one_line_and_the_prompt_sent_as_written(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    sh, _ = shell
    prompt = "a fox in snow [Pan lft], then [Zoom in, Tilt upp] [note] [[aside]]"
    sh.run_cell_magic("hailuo", "--wait -o fox", prompt + "\n")
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "[Pan lft]: did you mean [Pan left]?",
        "[Zoom in, Tilt upp]: did you mean [Zoom in, Tilt up]?",
    ]
    assert not any("note" in line or "aside" in line for line in lines)
    fox = sh.user_ns["fox"]
    assert fox.status == "completed" and fox.prompt == prompt


def test_more_than_three_moves_in_one_bracket_are_said(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    sh, _ = shell
    sh.run_cell_magic("hailuo", "-o fox", "[Pan left, Tilt up, Zoom in, Shake] a fox")
    out = capsys.readouterr().out
    assert "[Pan left, Tilt up, Zoom in, Shake]: at most 3 moves act together" in out
    assert sh.user_ns["fox"].prompt == "[Pan left, Tilt up, Zoom in, Shake] a fox"
    session_for(sh).wait()


def test_compare_prompts_are_checked_too(shell: Shell, capsys: pytest.CaptureFixture[str]) -> None:
    sh, _ = shell
    sh.run_cell_magic("hailuo", "--compare --wait", "a fox [Static]\n---\nan owl [Push in]\n")
    out = capsys.readouterr().out
    assert "[Static]: did you mean [Static shot]?" in out and "Push in" not in out
