"""Each request is prepared once: one image read per image per submit.

The magic, the panel and a comparison's plan used to rebuild the same request four
times (four reads and decodes of every image per ``%%hailuo`` cell). The count is taken
on the real image loader, wrapped so that it still does its work.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from PIL import Image

import hailuo_nb.params as params

from .conftest import RecordingPublisher

Shell = tuple[InteractiveShell, RecordingPublisher]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every image the request builder loads, by field."""
    seen: list[str] = []
    real: Callable[..., Any] = params.load_image

    def counting(value: Any, *, field: str) -> Any:
        seen.append(field)
        return real(value, field=field)

    monkeypatch.setattr(params, "load_image", counting)
    return seen


def test_one_image_read_per_magic_submit(shell: Shell, tmp_path: Path, reads: list[str]) -> None:
    sh, _ = shell
    Image.new("RGB", (640, 360), "teal").save(tmp_path / "first.png")
    sh.run_cell_magic("hailuo", f"--first-frame {tmp_path / 'first.png'} -o fox", "a red fox\n")
    assert reads == ["first_frame"]
    sh.run_line_magic("hailuo", "wait fox")
    assert sh.user_ns["fox"].status == "completed"


def test_one_image_read_per_tile_of_a_comparison(
    shell: Shell, tmp_path: Path, reads: list[str]
) -> None:
    sh, _ = shell
    Image.new("RGB", (640, 360), "teal").save(tmp_path / "first.png")
    sh.run_cell_magic(
        "hailuo",
        f"--compare -m hailuo-2.3,hailuo-02-fast --first-frame {tmp_path / 'first.png'} --wait",
        "a red fox\n---\nan owl at dusk\n",
    )
    assert reads == ["first_frame"] * 4  # 2 prompts x 2 models, each prepared once
