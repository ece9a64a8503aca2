"""notebooks/panel.ipynb executed headless (nbclient), its saved outputs and widgets checked."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hailuo_nb.notebook.headless import execute

from .conftest import FAST, clean_copy

SECRET = "sk-panel-notebook-SECRET-4242"


def text_of(cell: dict[str, Any]) -> str:
    return json.dumps(cell.get("outputs", []))


@pytest.mark.slow
def test_panel_notebook_runs_headless_and_its_tile_becomes_the_video(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb_path = clean_copy("panel.ipynb", tmp_path)

    monkeypatch.setenv("HAILUO_EMULATOR", json.dumps(FAST))
    monkeypatch.setenv("SEGMIND_API_KEY", SECRET)  # present, must never show up
    nb = execute(nb_path, timeout=120)
    saved = (tmp_path / "panel.executed.ipynb").read_text()
    assert SECRET not in saved

    cells = {c["source"].splitlines()[0]: c for c in nb["cells"] if c["cell_type"] == "code"}
    shown = cells["panel = hailuo_nb.Panel()"]["outputs"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in shown)
    refused = text_of(cells['panel.form.fill(prompt="a paper boat drifting down a rainy street'
                            ' at dusk", duration=10, resolution="1080p")'])  # fmt: skip
    assert "resolution: 1080p allows only 6 s on hailuo-2.3 (emulator)" in refused
    sent = text_of(cells['panel.form.fill(resolution="768p", duration=6)'])
    (job_id,) = re.findall(r"jobs of this session: \['([0-9a-f]+)'\]", sent)
    waited = text_of(cells["%hailuo wait"])
    assert f"hailuo job {job_id} completed" in waited
    history = text_of(cells["%hailuo history 5"])
    assert job_id in history and "completed" in history

    # The panel's widgets as saved: the tile's output is the video, its file is on disk.
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [
        json.dumps(m["state"].get("outputs", []))
        for m in state.values()
        if m["model_name"] == "OutputModel"
    ]
    videos = [o for o in outputs if "<video controls" in o]
    assert len(videos) == 1 and job_id in videos[0]
    src = re.search(r'<video[^>]*\bsrc=\\"([^"\\]+)\\"', videos[0])
    assert src is not None and (tmp_path / src.group(1)).is_file()
    labels = json.dumps(state)
    assert "Jobs of this session</b> (1)" in labels and "Earlier jobs" in labels
