"""notebooks/story.ipynb executed headless (nbclient) on the emulator, twice: the saved
output is the film as plain HTML, and the second Run All pays for nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from hailuo_nb.notebook.headless import execute
from tests.notebook.conftest import FAST, clean_copy

FILM = re.compile(r'<video class="hailuo-film" src="([^"]+)"')


def text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def outputs(cell: dict[str, Any], mime: str) -> str:
    return "".join(
        text(o.get("data", {}).get(mime) or (o.get("text") if mime == "stream" else ""))
        for o in cell.get("outputs", [])
    )


def shot_videos(folder: Path) -> set[str]:
    return {p.name for p in (folder / "hailuo_outputs").glob("*.mp4") if "story-" not in p.name}


@pytest.mark.slow
def test_story_notebook_saves_the_film_and_a_rerun_pays_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb_path = clean_copy("story.ipynb", tmp_path)
    monkeypatch.setenv("HAILUO_EMULATOR", json.dumps(FAST))
    nb = execute(nb_path, timeout=180)
    cells = {text(c["source"]).splitlines()[0]: c for c in nb["cells"] if c["cell_type"] == "code"}
    for cell in cells.values():
        assert all(o["output_type"] != "error" for o in cell["outputs"]), cell["outputs"]
    story = cells["%%hailuo --story -m hailuo-2.3 -o story"]
    assert "application/vnd.jupyter.widget-view+json" not in json.dumps(story["outputs"])
    html = outputs(story, "text/html")
    films = FILM.findall(html)
    assert len(films) == 1 and (tmp_path / unquote(films[0])).is_file()  # relative src
    assert html.count('class="hailuo-shot"') == 5
    assert outputs(story, "text/plain").startswith("film: 5 shots · 30.0 s")
    printed = outputs(cells["story.wait()"], "stream").splitlines()
    assert printed[0].endswith(".mp4") and len(printed) == 6
    assert [line.split()[:2] for line in printed[1:]] == [
        ["1", "0.0"], ["2", "6.0"], ["3", "12.0"], ["4", "18.0"], ["5", "24.0"],
    ]  # fmt: skip
    made = shot_videos(tmp_path)
    assert len(made) == 5

    again = execute(nb_path, timeout=180)
    cells = {
        text(c["source"]).splitlines()[0]: c for c in again["cells"] if c["cell_type"] == "code"
    }
    plain = outputs(cells["%%hailuo --story -m hailuo-2.3 -o story"], "text/plain")
    assert "5 shown again (paid before)" in plain and "paid for this storyboard: $0.00" in plain
    assert shot_videos(tmp_path) == made  # no new video was made, so none was paid for

    # As a user would: change the third shot's prompt and run the notebook again.
    edited = json.loads(nb_path.read_text())
    for cell in edited["cells"]:
        source = text(cell["source"])
        if source.startswith("%%hailuo --story"):
            cell["source"] = source.replace("runs across {place}", "leaps over {place}")
    nb_path.write_text(json.dumps(edited))
    third = execute(nb_path, timeout=180)
    story = next(c for c in third["cells"] if text(c["source"]).startswith("%%hailuo --story"))
    plain = outputs(story, "text/plain")
    assert "2 shown again (paid before)" in plain and "leaps over a frozen lake" in plain
    assert len(shot_videos(tmp_path) - made) == 3  # shots 3, 4 and 5, not five
