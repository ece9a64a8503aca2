"""Small things of the comparison seen by a user (issue 15, item 12).

The terminal's lines name their tile (a tile waiting for a slot has no id yet), and the
live grid's tiles end as the very figures of the lasting grid, so nothing jumps when one
replaces the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import hailuo_nb
from tests.notebook.conftest import RecordingPublisher

from .test_compare import MODELS, PROMPTS, final_grid

Served = tuple[InteractiveShell, RecordingPublisher, Callable[[], dict[str, Any]]]


def same_but_sources(a: str, b: str) -> bool:
    def bare(html: str) -> str:
        return re.sub(r'\b(src|href|poster)="[^"]*"', "", html)

    return bare(a) == bare(b)


def test_terminal_lines_name_their_tile_never_an_empty_id(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    sh, _rec, _stats = served
    sh.run_line_magic("config", 'Hailuo.progress = "print"')
    sh.run_line_magic("config", "Hailuo.max_concurrency = 1")  # tiles wait for a slot
    # The second prompt is refused by moderation: its tiles fail.
    hailuo_nb.compare([PROMPTS[0], "an owl [[block]]"], models=MODELS).wait(timeout=60)
    lines = capsys.readouterr().out.splitlines()
    progress = [line for line in lines if re.match(r"^(tile \d|hailuo job)", line)]
    assert progress, lines
    assert all(line.startswith(("tile 1", "tile 2", "tile 3", "tile 4")) for line in progress)
    assert not any("job :" in line or "job  " in line for line in lines), lines
    for n in range(1, 5):
        mine = [line for line in progress if line.startswith(f"tile {n}")]
        assert mine, progress
        end = "completed in" if n <= 2 else " failed: "
        assert end in mine[-1], mine  # its final line, named too


def test_live_tiles_end_as_the_lasting_grids_figures(served: Served) -> None:
    sh, rec, _stats = served
    sh.run_line_magic("config", 'Hailuo.progress = "widget"')
    cmp = hailuo_nb.compare(PROMPTS, models=MODELS)
    board: Any = cmp.board
    tiles = list(board.grid.children)
    shown: dict[int, list[Any]] = {n: [] for n in range(4)}
    headers: dict[int, list[Any]] = {n: [] for n in range(4)}
    for n, tile in enumerate(tiles):  # what each tile showed, before the board empties it
        header, _live, out = tile.children[:3]  # then its buttons (H3)
        out.observe(lambda ch, n=n: shown[n].append(ch.new), names="outputs")
        header.layout.observe(lambda ch, n=n: headers[n].append(ch.new), names="display")
    cmp.wait(timeout=60)
    finals = re.findall(
        r'<figure class="hailuo-compare-tile".*?</figure>', final_grid(rec)["text/html"]
    )
    assert len(finals) == 4
    for n, figure in enumerate(finals):
        live = shown[n][0][0]["data"]["text/html"]
        # The same markup (no jump), but for where the video comes from: an embedded grid
        # inlines a preview, a live tile links the file.
        assert same_but_sources(live.split("</style>")[-1], figure), (live, figure)
        assert headers[n] == ["none"]  # no second caption above it
