"""notebooks/compare.ipynb executed headless (nbclient) on the emulator; saved outputs checked."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from hailuo_nb.notebook.headless import execute

from .conftest import FAST, clean_copy

SRC = re.compile(r'<video[^>]*\bsrc="([^"]+)"')


def text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def outputs(cell: dict[str, Any], mime: str) -> str:
    return "".join(
        text(o.get("data", {}).get(mime) or (o.get("text") if mime == "stream" else ""))
        for o in cell.get("outputs", [])
    )


@pytest.mark.slow
def test_compare_notebook_saves_the_grid_table_and_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb_path = clean_copy("compare.ipynb", tmp_path)
    monkeypatch.setenv("HAILUO_EMULATOR", json.dumps(FAST))

    nb = execute(nb_path, timeout=120)
    cells = {text(c["source"]).splitlines()[0]: c for c in nb["cells"] if c["cell_type"] == "code"}
    for cell in cells.values():
        assert all(o["output_type"] != "error" for o in cell["outputs"]), cell["outputs"]

    grid = cells["cmp = hailuo_nb.compare("]
    html = outputs(grid, "text/html")
    assert "application/vnd.jupyter.widget-view+json" not in json.dumps(grid["outputs"])
    assert html.count("<video") == 4 and html.count('poster="data:image/jpeg') == 4
    for src in SRC.findall(html):
        assert (tmp_path / unquote(src)).is_file(), src  # relative to the notebook
    assert "hailuo-play-all" in html and "hailuo-compare-table" in html
    plain = outputs(grid, "text/plain")
    assert plain.startswith("4 videos (2 prompts × 2 models)") and "4 completed" in plain

    assert "4 completed" in outputs(cells["cmp.wait()"], "text/plain")
    printed = outputs(cells["for row in cmp.table():"], "stream").splitlines()
    assert [line.split()[:3] for line in printed] == [
        ["1", "hailuo-2.3", "completed"], ["2", "minimax-hailuo-2", "completed"],
        ["3", "hailuo-2.3", "completed"], ["4", "minimax-hailuo-2", "completed"],
    ]  # fmt: skip

    page = (tmp_path / "compare.html").read_text()
    assert page.count("<video") == 4
    assert all((tmp_path / unquote(s)).is_file() for s in SRC.findall(page))
    links = outputs(cells["from IPython.display import FileLink, display"], "text/html")
    assert "compare.html" in links and "compare-embedded.html" in links
    embedded = (tmp_path / "compare-embedded.html").read_text()
    assert [s[:22] for s in SRC.findall(embedded)] == ["data:video/mp4;base64,"] * 4

    pending = outputs(cells["big = hailuo_nb.compare("], "text/plain")
    assert "4 videos (2 prompts × 2 durations) · estimated ~$2.10" in pending
    assert len(list((tmp_path / "hailuo_outputs").glob("*.mp4"))) == 4  # big sent nothing
