"""A 768P H3 comparison of four prompts, then 2K of the best tile from the grid itself.

The real shell, session and in-process emulator (the default provider); the grid's tiles
are ipywidgets, clicked as a user would.
"""

from __future__ import annotations

from typing import Any

import hailuo_nb
from hailuo_nb.notebook.registry import session_for
from tests.notebook.conftest import shell  # noqa: F401 - fixture

PROMPTS = ["a red fox", "an owl at dusk", "a paper boat", "a lighthouse"]


def test_drafts_side_by_side_muted_then_2k_of_one(shell: Any) -> None:  # noqa: F811
    sh, rec = shell
    sh.run_line_magic("config", 'Hailuo.progress = "widget"')
    cmp = hailuo_nb.compare(PROMPTS, models=["h3"], resolutions=["768p"])
    cmp.wait(timeout=60)
    assert [j.status for j in cmp.jobs] == ["completed"] * 4
    assert all(j.params["ratio"] == "16:9" and j.model == "h3" for j in cmp.jobs)
    tiles = cmp.board.tiles  # type: ignore[attr-defined]
    assert all(t.muted for t in tiles)  # the live tiles' videos start muted too
    final = next(d for d in rec.latest().values() if "hailuo-compare" in d.get("text/html", ""))
    # Four videos with sound, none speaking over the others; each one's controls unmute it.
    assert final["text/html"].count("<video controls muted ") == 4
    assert f"2K: %hailuo upscale {cmp.jobs[2].id}" in final["text/html"]  # said per tile
    cmp.upscale(3)
    session = session_for(sh)
    session.wait()
    big = [t.job for t in session.tracked() if t.job.params.get("regenerate_from")]
    assert len(big) == 1 and big[0].status == "completed"
    assert big[0].params["regenerate_from"] == cmp.jobs[2].id
