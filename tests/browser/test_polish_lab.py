"""Issue 15's polish in a real browser (items 4, 7 and 12), with screenshots in artifacts/.

* queueing (4): with one worker at the emulator, a queued tile's bar is empty and says
  "position unknown", never a time left; the estimate appears once it runs;
* small visual things (12): the bar beside the status word does not move when the word
  changes; no "?" or "estimating…" in tiles; the grid's tiles keep their place and size
  when the live grid becomes the lasting output;
* the panel (7): an earlier job's row keeps its whole Show button and its id on the line;
  a finished tile shows its prompt once, with its buttons under it; an uploaded frame is
  named by its file name.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .conftest import ARTIFACTS, CHROMIUM, open_notebook, run_all, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]

# One worker: the second job and the grid's tiles queue behind the first (~3.5 s each).
QUEUEING = {"time_scale": 40, "preview": True, "seed": 5, "workers_per_key": 1}


def notebook(folder: Path, name: str, cells: list[str]) -> None:
    nb = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
             "outputs": [], "source": src}
            for i, src in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    (folder / name).write_text(json.dumps(nb))


# Samples, every 40 ms and on each change of the page: the live tiles' words, the single
# job's bar position per status, and where each grid figure, the heading, the buttons and
# the grid sit (relative to their cell), live and in the lasting grid.
WATCH = """() => {
  window.__seen = {words: [], tables: [], bar: {}, live: {}, final: {}};
  const sample = () => {
    const s = window.__seen;
    for (const t of document.querySelectorAll('.hailuo-compare .hailuo-tile')) {
      if (t.offsetParent) s.words.push(t.innerText.replace(/\\s+/g, ' ').trim());
    }
    const table = document.querySelector('.hailuo-compare .widget-html .hailuo-compare-table');
    if (table) s.tables.push(table.innerText);
    for (const box of document.querySelectorAll('.hailuo-live')) {
      const word = box.querySelector('span')?.innerText.trim();
      const bar = box.querySelector('.widget-hprogress');
      if (word && bar) (s.bar[word] = s.bar[word] || []).push(bar.getBoundingClientRect().x);
    }
    for (const f of document.querySelectorAll('figure.hailuo-compare-tile')) {
      const cell = f.closest('.jp-Cell'), v = f.querySelector('video');
      if (!cell || !v) continue;
      const c = cell.getBoundingClientRect(), r = v.getBoundingClientRect();
      const where = f.closest('.jupyter-widgets, .widget-gridbox') ? 'live' : 'final';
      s[where][f.dataset.jobId] = [r.x - c.x, r.y - c.y, r.width, r.height];
      const parts = {};
      for (const [k, sel] of [['head', '.hailuo-compare-heading'],
          ['buttons', '.hailuo-play-all'], ['grid', '.hailuo-compare-grid, .widget-gridbox'],
          ['table', '.hailuo-compare-table']]) {
        const el = cell.querySelector(sel);
        if (el) parts[k] = [el.getBoundingClientRect().y - c.y, el.getBoundingClientRect().height];
      }
      s['parts_' + where] = parts;
    }
  };
  setInterval(sample, 40);
  // The last tile's live figure lives only until the grid is replaced: sample on change.
  new MutationObserver(sample).observe(document.body, {childList: true, subtree: true});
}"""


def test_queueing_and_small_visual_things(
    lab_server: Callable[..., tuple[str, Path]], chromium_page: Any
) -> None:
    base, work = lab_server([], emulator=QUEUEING)
    notebook(work, "polish.ipynb", [
        '%load_ext hailuo_nb\n%config Hailuo.provider = "emulator"',
        "%%hailuo\na badger digging at dusk",  # takes the one worker first
        "%%hailuo -o fox\na fox cub asleep in a den",  # so this one waits in line
        "%%hailuo --compare -m hailuo-2.3\na red fox in snow\n---\nan owl at dusk\n---\n"
        "a heron in reeds",
    ])  # fmt: skip
    page = chromium_page
    try:
        open_notebook(page, base, "polish.ipynb")
        page.evaluate(WATCH)
        run_all(page)
        # Queued tiles say so, with an empty bar.
        page.wait_for_function(
            "() => [...document.querySelectorAll('.hailuo-compare .hailuo-tile')]"
            ".some(t => t.innerText.includes('position unknown'))",
            timeout=30_000,
        )
        page.screenshot(path=str(ARTIFACTS / "polish-queued.png"))
        page.wait_for_function(
            "() => [...document.querySelectorAll('.hailuo-compare .hailuo-tile')]"
            ".some(t => / left/.test(t.innerText))",
            timeout=30_000,
        )
        page.screenshot(path=str(ARTIFACTS / "polish-running.png"))
        page.wait_for_function(
            "() => document.querySelectorAll('.hailuo-compare-grid figure video').length === 3"
            " && document.querySelectorAll('.hailuo-result video').length === 2",
            timeout=90_000,
        )
        wait_idle(page)
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "polish-final.png"))
        seen = page.evaluate("() => window.__seen")
        (ARTIFACTS / "polish-positions.json").write_text(json.dumps(seen, indent=1))

        words = seen["words"]
        queued = [w for w in words if "queued" in w and "position unknown" in w]
        assert queued, words[-10:]
        assert not any(" left" in w for w in queued), queued[:3]
        assert not any("estimating" in w or " ? " in w or w.endswith("?") for w in words)
        # The live table follows the tiles (it is not left saying "queued").
        assert any("processing" in t for t in seen["tables"]), seen["tables"][-3:]
        # The single jobs, queued then running: their bars never moved sideways.
        xs = {word: sorted(set(round(x) for x in v)) for word, v in seen["bar"].items()}
        assert "queued" in xs and "processing" in xs, xs
        assert len({x for v in xs.values() for x in v}) == 1, xs
        # Each tile's video, the heading, the buttons and the grid: same place and size,
        # to the pixel, live and in the lasting grid.
        assert len(seen["live"]) == 3 and set(seen["live"]) == set(seen["final"]), seen
        for job_id, live in seen["live"].items():
            final = seen["final"][job_id]
            assert all(abs(f - v) <= 1 for f, v in zip(final, live, strict=True)), (job_id, seen)
        for part, live in seen["parts_live"].items():
            final = seen["parts_final"][part]
            assert all(abs(f - v) <= 1 for f, v in zip(final, live, strict=True)), (part, seen)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "polish-failure.png"), full_page=True)
        raise


def png(name: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (640, 360), "teal").save(buf, "PNG")
    name.write_bytes(buf.getvalue())
    return name


def test_panel_rows_and_tiles_fit(
    lab_server: Callable[..., tuple[str, Path]], chromium_page: Any
) -> None:
    base, work = lab_server([])
    notebook(work, "panel-polish.ipynb", [
        '%load_ext hailuo_nb\n%config Hailuo.provider = "emulator"',
        "%%hailuo --wait\nan earlier job: a lighthouse on a cliff, long exposure at night",
        "import hailuo_nb\nhailuo_nb.Panel()",
    ])  # fmt: skip
    frame = png(work.parent / "otter.png")
    page = chromium_page
    panel = ".hailuo-panel"
    try:
        open_notebook(page, base, "panel-polish.ipynb")
        run_all(page)
        page.locator(f"{panel} .hailuo-panel-history button").first.wait_for(timeout=60_000)
        wait_idle(page)
        row = page.locator(f"{panel} .hailuo-panel-history .widget-hbox").nth(1)
        show = row.locator("button").first
        assert show.inner_text().strip() == "Show"
        assert show.evaluate("b => b.scrollWidth <= b.clientWidth + 1"), "the button is cut"
        code = row.locator("code").first
        assert len(code.inner_text()) <= 13 and code.get_attribute("title")
        assert code.evaluate(
            "c => c.getBoundingClientRect().height < 1.8 * parseFloat(getComputedStyle(c)"
            ".lineHeight || 20)"
        ), "the id wraps"

        page.locator(f"{panel} textarea").first.fill("an otter floating on its back")
        # ipywidgets' FileUpload makes its file input on click: answer the file chooser.
        with page.expect_file_chooser() as chooser:
            page.locator(f"{panel} .hailuo-first-frame .widget-upload").first.click()
        chooser.value.set_files(str(frame))
        page.wait_for_function(
            "() => document.querySelector('.hailuo-panel .hailuo-frame-info')"
            "?.innerText.includes('otter.png')",
            timeout=20_000,
        )
        page.locator(f"{panel} button.hailuo-generate").first.click()
        entry = page.locator(f"{panel} .hailuo-panel-job").first
        entry.locator("video").wait_for(state="attached", timeout=60_000)
        entry.get_by_text("Hide").wait_for(timeout=10_000)
        wait_idle(page)
        entry.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "polish-panel.png"))
        text = entry.inner_text()
        assert text.count("an otter floating on its back") == 1, text
        assert "first frame otter.png" in text and "bytes:" not in text
        video = entry.locator("video").bounding_box()
        hide = entry.locator("button", has_text="Hide").bounding_box()
        assert video and hide and hide["y"] >= video["y"] + video["height"], (video, hide)
        history = page.locator(f"{panel} .hailuo-panel-history").first
        history.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "polish-panel-history.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "polish-panel-failure.png"), full_page=True)
        raise
