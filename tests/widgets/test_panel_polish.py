"""The panel's job lists fit and read right (issue 15, item 7).

A finished tile does not repeat its prompt (the video's caption has it), its buttons sit
under it inside one frame, an earlier job's row keeps its whole "Show" button and a short
id (the full one on hover), and an uploaded frame is named by its file name.
"""

from __future__ import annotations

from typing import Any

from hailuo_nb.notebook.registry import current_session
from hailuo_nb.widgets.panel import Panel

from .panel_fixtures import Emulator, emulator, png, shell
from .test_panel import upload

__all__ = ["emulator", "shell"]  # fixtures, imported for pytest


def test_a_finished_tile_has_one_caption_and_its_own_buttons(
    shell: Any, emulator: Emulator
) -> None:
    panel = Panel()
    panel.form.fill(prompt="an otter floating on its back", model="hailuo-2.3-fast")
    upload(panel.form.first_frame, png(640, 360), "otter.png")
    job = panel.submit()
    assert job is not None
    current_session().wait()
    tile = panel.jobs.tiles[job.id]
    assert tile.finished and tile.header.layout.display == "none"
    html = tile.out.outputs[0]["data"]["text/html"]
    assert html.count("an otter floating on its back") == 1  # the caption only
    assert "first frame otter.png" in html and "bytes:" not in html
    # The tile first, its buttons under it, one frame around both.
    assert tile.entry.children[0] is tile.widget
    assert tile.stop in tile.entry.children[1].children
    assert tile.entry.layout.border and tile.widget.layout.border == "0"

    panel.history.refresh()
    row = panel.history.rows.children[0]
    show, line = row.children
    assert show.description == "Show" and show.layout.flex == "0 0 auto"
    assert f'title="{job.id}"' in line.value and f">{job.id[:12]}…</code>" in line.value
    assert "otter.png" in line.value
