"""Camera commands in prompts: near misses are said with the command meant, everything
else in brackets is left alone, and nothing is ever rewritten."""

from __future__ import annotations

import pytest

from hailuo_nb.camera import COMMANDS, MAX_TOGETHER, camera_warnings, nearest, with_command


def test_the_list_is_minimaxs() -> None:
    assert len(COMMANDS) == 15 and MAX_TOGETHER == 3
    assert {"Pan left", "Pedestal down", "Tracking shot", "Static shot", "Shake"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_as_written_passes(command: str) -> None:
    assert camera_warnings(f"a fox [{command}] in snow") == []
    assert nearest(command) == ()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_in_other_case_or_with_hyphens_is_said(command: str) -> None:
    for variant in (command.lower(), command.upper(), command.replace(" ", "-")):
        if variant == command:
            continue
        assert camera_warnings(f"[{variant}]") == [f"[{variant}]: did you mean [{command}]?"]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("Pan lft", "[Pan left]"),
        ("Tilt upp", "[Tilt up]"),
        ("Pedestl down", "[Pedestal down]"),
        ("Shaky", "[Shake]"),
        ("Track shot", "[Tracking shot]"),
        ("Zoomin", "[Zoom in]"),
        ("Static", "[Static shot]"),
        ("Tilt", "[Tilt up] or [Tilt down]"),
        ("Pan lft, Tilt up", "[Pan left, Tilt up]"),
    ],
)
def test_typos_name_the_nearest_command(written: str, meant: str) -> None:
    assert camera_warnings(f"a fox [{written}]") == [f"[{written}]: did you mean {meant}?"]


@pytest.mark.parametrize(
    "prompt",
    [
        "a fox [[block]]",
        "a fox [[block-output]]",
        "[note] a fox",
        "[Scene 1] a fox, [wide shot], [close up] at [dusk]",
        "a fox [] [,] [left]",
        "[ Pan left ] a fox [Pan left,Pedestal up] [Pan left, Pedestal up, Zoom in]",
        "no brackets at all",
    ],
)
def test_other_brackets_are_left_alone(prompt: str) -> None:
    assert camera_warnings(prompt) == []


def test_more_than_three_together_is_said() -> None:
    prompt = "[Push in, Pull out, Shake, Tilt upp] a fox"
    assert camera_warnings(prompt) == [
        "[Push in, Pull out, Shake, Tilt upp]: at most 3 moves act together in one bracket"
        " (this one has 4), put the others in a bracket after it;"
        " did you mean [Push in, Pull out, Shake, Tilt up]?"
    ]


def test_a_stranger_in_a_camera_bracket_is_named() -> None:
    assert camera_warnings("[Pan left, slowly, at dusk]") == [
        "[Pan left, slowly, at dusk]: slowly, at dusk are not camera commands;"
        " did you mean [Pan left]?"
    ]


def test_each_bracket_gets_its_own_line_in_order() -> None:
    assert camera_warnings("[Pan lft] a fox [Zoom] then [Shake]") == [
        "[Pan lft]: did you mean [Pan left]?",
        "[Zoom]: did you mean [Zoom in] or [Zoom out]?",
    ]


def test_with_command_appends_a_bracket() -> None:
    assert with_command("a fox", "Pan left") == "a fox [Pan left]"
    assert with_command("a fox ", "Pan left") == "a fox [Pan left]"
    assert with_command("  ", "Shake") == "[Shake]"
