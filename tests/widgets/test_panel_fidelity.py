"""The panel and AI/ML's image formats (no WebP): refused with one line before sending.
Values are set and buttons clicked as a user would."""

from __future__ import annotations

import datetime
import io
from typing import Any

from PIL import Image

from hailuo_nb.widgets.panel import Panel

from .panel_fixtures import Emulator, emulator, shell

__all__ = ["emulator", "shell"]  # fixtures, imported for pytest


def upload(picker: Any, data: bytes, name: str, mime: str) -> None:
    """What the browser sends when a file is chosen in a FileUpload."""
    picker.upload.value = (
        {
            "name": name,
            "type": mime,
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.datetime.now(datetime.timezone.utc),
        },
    )


def webp(width: int = 640, height: int = 360) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buf, "WEBP")
    return buf.getvalue()


def test_a_webp_frame_is_refused_for_aimlapi_with_one_line(shell: Any, emulator: Emulator) -> None:
    panel = Panel()
    form = panel.form
    form.fill(prompt="the fox starts running", model="hailuo-2.3-fast")
    upload(form.first_frame, webp(), "fox.webp", "image/webp")
    assert not panel.generate.disabled  # the emulator speaks Segmind's protocol: WebP is fine

    form.fill(provider="aimlapi", model="hailuo-2.3-fast")
    line = "first_frame: aimlapi takes JPG or PNG images only, not WebP; convert it to PNG first"
    assert panel.generate.disabled and line in panel.reason.value
    assert panel.submit() is None and line in panel.status.value
    assert emulator.submissions() == 0
