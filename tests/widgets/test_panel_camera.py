"""The panel and camera commands: a menu that adds a move to the prompt, and one line
under the prompt for a bracket close to a command (the prompt is sent as written)."""

from __future__ import annotations

from typing import Any

from hailuo_nb.camera import COMMANDS
from hailuo_nb.notebook.registry import current_session
from hailuo_nb.widgets.panel import Panel

from .panel_fixtures import Emulator, emulator, shell, widget_text

__all__ = ["emulator", "shell"]  # fixtures, imported for pytest


def test_a_camera_typo_is_said_and_the_prompt_is_sent_as_written(
    shell: Any, emulator: Emulator
) -> None:
    panel = Panel()
    form = panel.form
    form.fill(prompt="a fox in snow [Pan lft], then [Zoom in] [note]")
    assert "[Pan lft]: did you mean [Pan left]?" in form.camera_note.value
    assert "[note]" not in form.camera_note.value and "[Zoom in]" not in form.camera_note.value
    assert not panel.generate.disabled and panel.reason.value == ""  # a warning, not a refusal

    job = panel.submit()
    assert job is not None and job.prompt == "a fox in snow [Pan lft], then [Zoom in] [note]"
    assert emulator.submissions() == 1
    current_session().wait()

    form.fill(prompt="a [[block]] fox [Pan left, Pedestal up]")
    assert form.camera_note.value == ""


def test_the_camera_menu_adds_moves_to_the_prompt_in_order(shell: Any) -> None:
    form = Panel().form
    assert [label for label, _ in form.camera.options[1:]] == [f"[{c}]" for c in COMMANDS]
    assert "[Tracking shot]" in widget_text(form.widget)
    form.fill(prompt="a paper boat on a rainy street")
    form.camera.value = "Truck left"
    form.add_camera.click()
    form.camera.value = "Tilt up"
    form.add_camera.click()
    assert form.prompt.value == "a paper boat on a rainy street [Truck left] [Tilt up]"
    assert form.camera.value == ""  # ready for the next one
    form.add_camera.click()  # nothing chosen: nothing added
    assert form.prompt.value.endswith("[Tilt up]") and form.camera_note.value == ""
