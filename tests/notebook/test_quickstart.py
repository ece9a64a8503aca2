"""The quickstart notebook executed headless (nbclient), its saved outputs checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hailuo_nb.notebook.headless import execute, videos

from .conftest import FAST, clean_copy

SECRET = "sk-quickstart-SECRET-42424242"


def outputs_of(cell: dict[str, object]) -> str:
    return json.dumps(cell.get("outputs", []))


def html_of(cell: dict[str, Any]) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.get("outputs", []))


@pytest.mark.slow
def test_quickstart_runs_headless_and_saves_the_videos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb_path = clean_copy("quickstart.ipynb", tmp_path)

    monkeypatch.setenv("HAILUO_EMULATOR", json.dumps(FAST))
    monkeypatch.setenv("SEGMIND_API_KEY", SECRET)  # present, must never show up
    nb = execute(nb_path, timeout=120)
    saved = (tmp_path / "quickstart.executed.ipynb").read_text()
    assert SECRET not in saved

    cells = {c["source"].splitlines()[0]: c for c in nb["cells"] if c["cell_type"] == "code"}
    background = outputs_of(cells["%%hailuo -o fox"])
    assert "<video controls" in background and "poster=" in background
    assert "image/jpeg" in background  # the poster, also as an image for static renderers
    waited = outputs_of(cells["%%hailuo --wait --duration 6 --resolution 768p"])
    assert "<video controls" in waited and "snowy owl" in waited
    refused = outputs_of(cells["%%hailuo -o refused"])
    assert "failed" in refused and "hailuo-reason" in refused and "<video" not in refused
    markup = html_of(cells["%%hailuo -o markup"])
    assert "<script" not in markup and 'onerror="' not in markup
    # The one <img> is ours: the first frame, for renderers that strip <video>.
    assert markup.count("<img") == 1 and '<img class="hailuo-still"' in markup
    assert "&lt;script&gt;window.__xss=2&lt;/script&gt;" in markup
    resumed = outputs_of(cells["%hailuo resume {fox.id}"])
    assert "<video controls" in resumed

    found = videos(nb)
    assert len(found) >= 3
    for src in found:
        assert (tmp_path / src).is_file(), src  # relative to the notebook's folder
