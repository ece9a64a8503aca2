"""Running a notebook again never pays twice (issue 7), proven by the emulator's own stats.

The emulator runs as a server here, as a real provider would: it outlives the kernels, so
its ``/__emulator__/stats`` count every billable job creation across all the runs. Each run
is a fresh kernel executing the notebook headless (nbclient), sharing the job store and the
output folder with the runs before it, as "Restart Kernel and Run All Cells" does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from PIL import Image

from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread
from hailuo_nb.notebook.headless import execute, videos

KEY = "SG_rerun_0123456789abcdef"

SETUP = (
    '%load_ext hailuo_nb\n%config Hailuo.poll_min_interval = 0.05\n%config Hailuo.progress = "text"'
)
FOX = "%%hailuo -o fox\na red fox running through fresh snow"
OWL = "%%hailuo -o owl --duration 10\na snowy owl gliding over a pine forest"
CAT = "%%hailuo -o cat --first-frame frame.png\na cat waking up in the sun"


def notebook(*cells: str) -> Any:
    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]  # type: ignore[no-untyped-call]
    return nb


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    app = create_app(EmulatorConfig(time_scale=400.0, preview=True, seed=5))
    with serve_in_thread(app) as base:
        for name in ("AIMLAPI_KEY", "MINIMAX_API_KEY", "HAILUO_EMULATOR", "HAILUO_REUSE"):
            monkeypatch.delenv(name, raising=False)
        # The kernels nbclient starts inherit this environment.
        monkeypatch.setenv("HAILUO_PROVIDER", "segmind")
        monkeypatch.setenv("HAILUO_BASE_URL", f"{base}/segmind")
        monkeypatch.setenv("SEGMIND_API_KEY", KEY)
        monkeypatch.setenv("HAILUO_RPM", "6000")
        yield base


def submissions(base: str) -> int:
    return int(httpx.get(f"{base}/__emulator__/stats").json()["submissions"]["total"])


def text_of(cell: Any) -> str:
    return "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        for o in cell.get("outputs", [])
    )


def run(folder: Path, *cells: str) -> tuple[Any, str]:
    """Execute a notebook of ``cells`` in ``folder`` in a new kernel; (notebook, all text)."""
    path = folder / "rerun.ipynb"
    nbformat.write(notebook(*cells), path)  # type: ignore[no-untyped-call]
    nb = execute(path, timeout=120)
    text = "".join(text_of(c) for c in nb.cells)
    assert "Traceback" not in text and "Error" not in text, text
    return nb, text


def mp4s(folder: Path) -> set[str]:
    return {p.name for p in (folder / "hailuo_outputs").glob("*.mp4")}


@pytest.mark.slow
def test_running_a_notebook_again_submits_nothing(server: str, tmp_path: Path) -> None:
    Image.new("RGB", (400, 400), (180, 60, 20)).save(tmp_path / "frame.png")
    cells = (SETUP, FOX, OWL, CAT, "%hailuo wait")

    first, text = run(tmp_path, *cells)
    assert submissions(server) == 3 and "reused job" not in text
    shown = videos(first)
    files = mp4s(tmp_path)
    assert len(shown) == 3 and len(files) == 3

    # Restart Kernel and Run All Cells: nothing is sent, the same videos are shown.
    second, text = run(tmp_path, *cells, "%hailuo cost")
    assert submissions(server) == 3
    assert text.count("reused job") == 3 and "--new for a fresh sample" in text
    assert videos(second) == shown and mp4s(tmp_path) == files
    assert "saved by reuse this session: $" in text and "(3 jobs shown again)" in text
    assert "this session: $0.00 billed + ~$0.00 estimated" in text

    # --new asks for a fresh sample of that one cell only.
    _, text = run(tmp_path, SETUP, FOX.replace("-o fox", "-o fox --new"), OWL, CAT, "%hailuo wait")
    assert submissions(server) == 4 and text.count("reused job") == 2

    # A changed parameter is a new request; the others are still reused.
    _, text = run(
        tmp_path, SETUP, FOX, OWL.replace("--duration 10", "--duration 6"), CAT, "%hailuo wait"
    )
    assert submissions(server) == 5 and text.count("reused job") == 2

    # So is an edited image under the same file name.
    Image.new("RGB", (400, 400), (20, 60, 180)).save(tmp_path / "frame.png")
    _, text = run(tmp_path, *cells)
    assert submissions(server) == 6 and text.count("reused job") == 2
    assert KEY not in text


COMPARE = "%%hailuo --compare --wait -o grid\na fox on a frozen lake\n---\nan owl at dusk"


@pytest.mark.slow
def test_rerunning_a_two_prompt_comparison_submits_nothing(server: str, tmp_path: Path) -> None:
    first, text = run(tmp_path, SETUP, FOX, COMPARE, "%hailuo wait")
    assert submissions(server) == 3 and "reused job" not in text
    grid = set(re.findall(r"\b[0-9a-f]{32}\b", text_of(first.cells[2])))
    files = mp4s(tmp_path)
    assert len(grid) == 2 and len(files) == 3, (grid, files)

    second, text = run(tmp_path, SETUP, FOX, COMPARE, "%hailuo wait")
    assert submissions(server) == 3  # the cell and both tiles of the grid: all reused
    assert text.count("reused job") == 1  # the %%hailuo cell's line; the grid has its own view
    assert set(re.findall(r"\b[0-9a-f]{32}\b", text_of(second.cells[2]))) == grid
    assert mp4s(tmp_path) == files
    assert videos(second) == videos(first)


@pytest.mark.slow
def test_a_kernel_without_stdin_reuses_when_asked_to_ask(server: str, tmp_path: Path) -> None:
    # Hailuo.reuse = "ask" in a headless run: nobody can answer, so it reuses (never pays twice).
    ask = SETUP + '\n%config Hailuo.reuse = "ask"'
    run(tmp_path, ask, FOX, "%hailuo wait")
    _, text = run(tmp_path, ask, FOX, "%hailuo wait")
    assert submissions(server) == 1 and "reused job" in text
    never = SETUP + '\n%config Hailuo.reuse = "never"'
    _, text = run(tmp_path, never, FOX, "%hailuo wait")
    assert submissions(server) == 2 and "reused job" not in text
    assert os.path.isdir(tmp_path / "hailuo_outputs")
