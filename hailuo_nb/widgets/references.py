"""The panel's H3 reference pickers: images (with their size), videos and audio (with their
length), each file checked as soon as it is chosen.

The count and length rules across files (at most 9 / 3 / 3, 15 s in all, audio never
alone) are the request's: the form's check shows them before anything is sent.

Example:
    >>> import io, wave
    >>> buf = io.BytesIO()
    >>> with wave.open(buf, "wb") as f:
    ...     f.setnchannels(1); f.setsampwidth(2); f.setframerate(8000)
    ...     f.writeframes(b"\\0\\0" * 8000 * 3)
    >>> picker = ReferencePicker("reference_audio", "audio")
    >>> picker.add(buf.getvalue(), name="steps.wav", mime="audio/wav")
    >>> len(picker.values), "steps.wav · 3.0 s" in picker.listing.value, picker.problem
    (1, True, None)
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from typing import Any

from ..errors import ValidationError
from ..h3params import check_clip
from ..images import load_image
from ..media import load_media
from .style import html_line

__all__ = ["ReferencePicker"]

_ACCEPT = {
    "image": "image/png,image/jpeg,image/webp",
    "video": "video/mp4",
    "audio": "audio/wav,audio/x-wav,audio/mpeg",
}
_TITLES = {"image": "Reference images", "video": "Reference videos", "audio": "Reference audio"}


class ReferencePicker:
    """Upload several files of one kind; ``values`` go into the request as they are.

    Example: see the module.
    """

    def __init__(self, field: str, kind: str) -> None:
        import ipywidgets as w

        self.field, self.kind = field, kind
        self.title = w.HTML(html_line(_TITLES[kind], "hailuo-reference-title"))
        self.upload = w.FileUpload(accept=_ACCEPT[kind], multiple=True)
        self.upload.description = "Add"
        self.clear = w.Button(description="Clear", tooltip=f"remove every reference {kind}")
        self.clear.layout.width = "70px"
        self.listing = w.HTML("")
        self.widget = w.VBox([self.title, w.HBox([self.upload, self.clear]), self.listing])
        self.widget.add_class(f"hailuo-{field.replace('_', '-')}")
        self.values: list[Any] = []
        self._lines: list[str] = []
        self.problem: str | None = None
        self._callbacks: list[Callable[[], None]] = []
        self.upload.observe(self._uploaded, names="value")
        self.clear.on_click(lambda _: self.reset())

    def observe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever the files change.

        Example: ``picker.observe(form_changed)``
        """
        self._callbacks.append(callback)

    def add(self, data: bytes, *, name: str, mime: str = "") -> None:
        """Check one file and add it (or say in one line why it is refused).

        Example: see the module.
        """
        where = f"{self.field}[{len(self.values)}]"
        try:
            if self.kind == "image":
                image = load_image(data, field=where)
                value: Any = data
                line = f"{name} · {image.width}×{image.height}"
            else:
                uri = f"data:{mime or _ACCEPT[self.kind].split(',')[0]};base64,"
                uri += base64.b64encode(data).decode("ascii")
                clip = load_media(
                    uri, kind="video" if self.kind == "video" else "audio", field=where
                )
                check_clip(dataclasses.replace(clip, ref=name or clip.ref), where)
                value = uri
                length = f"{clip.seconds:.1f} s" if clip.seconds is not None else "length unknown"
                line = f"{name} · {length}"
        except ValidationError as exc:
            self.problem = str(exc)
        else:
            self.problem = None
            self.values.append(value)
            self._lines.append(line)
        self._draw()

    def reset(self) -> None:
        """Remove every file.

        Example: ``picker.reset()``
        """
        self.values, self._lines, self.problem = [], [], None
        self._draw()

    def _draw(self) -> None:
        lines = [html_line(text, "hailuo-reference-item", color="#6b7280") for text in self._lines]
        if self.problem:
            lines.append(html_line(self.problem, "hailuo-reference-problem", color="#dc2626"))
        self.listing.value = "".join(lines)
        for callback in self._callbacks:
            callback()

    def _uploaded(self, change: dict[str, Any]) -> None:
        for entry in change["new"] or ():
            self.add(
                bytes(entry["content"]),
                name=str(entry.get("name", "")),
                mime=str(entry.get("type", "")),
            )
