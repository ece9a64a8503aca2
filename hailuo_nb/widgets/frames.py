"""The first/last frame pickers of the panel: a file upload or a URL, checked, with a thumbnail.

An image is checked as soon as it is chosen (:func:`hailuo_nb.images.load_image`: format,
size, short side, aspect ratio), so a bad image is refused with one line before anything
is sent. ``http(s)`` URLs are not fetched by the kernel; the browser shows them as the
thumbnail.

Example:
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (640, 360), "teal").save(buf, "PNG")
    >>> picker = FramePicker("first_frame", "First frame")
    >>> picker.set_image(buf.getvalue(), name="fox.png")
    >>> picker.problem, picker.thumbnail.format, picker.value.ref, picker.value.data[:4]
    (None, 'png', 'fox.png', b'\\x89PNG')
    >>> picker.set_image(b"not an image", name="notes.txt")
    >>> picker.value is None, picker.problem
    (True, 'first_frame: not a readable image (corrupt, or not an image); use JPG, PNG or WebP')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..errors import ValidationError
from ..images import ImageInput, load_image
from .style import html_line

__all__ = ["FramePicker"]


class FramePicker:
    """Upload a file or paste a URL for one image field; ``widget`` is the box to place.

    ``value`` is what goes into the request (the image bytes, or the URL), ``problem`` the
    one-line reason a chosen image is refused (then ``value`` is None).

    Example:
        >>> p = FramePicker("last_frame", "Last frame")
        >>> p.url.value = "https://example.com/end.jpg"
        >>> p.value, p.thumbnail.format
        ('https://example.com/end.jpg', 'url')
    """

    def __init__(self, field: str, title: str) -> None:
        import ipywidgets as w

        self.field = field
        self.title = w.HTML(html_line(title, "hailuo-frame-title"))
        self.upload = w.FileUpload(accept="image/png,image/jpeg,image/webp", multiple=False)
        self.upload.description = "Upload"
        self.url = w.Text(placeholder="or an https:// URL of an image", continuous_update=False)
        self.url.layout.width = "260px"
        self.clear = w.Button(description="Clear", tooltip="remove this image")
        self.clear.layout.width = "70px"
        self.thumbnail = w.Image(format="png")
        self.thumbnail.layout.max_width = "160px"
        self.thumbnail.layout.max_height = "120px"
        self.thumbnail.layout.display = "none"
        self.info = w.HTML("")
        self.widget = w.VBox(
            [self.title, w.HBox([self.upload, self.url, self.clear]), self.thumbnail, self.info]
        )
        self.widget.add_class(f"hailuo-{field.replace('_', '-')}")
        self.image: ImageInput | None = None
        self.problem: str | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._busy = False
        self.upload.observe(self._uploaded, names="value")
        self.url.observe(self._url_changed, names="value")
        self.clear.on_click(lambda _: self.reset())

    @property
    def value(self) -> ImageInput | str | None:
        """The image for the request: the checked image for an upload (recorded and shown
        by its file name), the URL for a URL, else None.

        Example:
            >>> FramePicker("first_frame", "First").value is None
            True
        """
        if self.image is None:
            return None
        return self.image.url if self.image.url is not None else self.image

    def observe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` whenever the image (or its problem) changes.

        Example:
            >>> p = FramePicker("first_frame", "First"); n = []
            >>> p.observe(lambda: n.append(1)); p.reset(); n
            [1]
        """
        self._callbacks.append(callback)

    def set_image(self, value: Any, *, name: str = "") -> None:
        """Check ``value`` (bytes, path, URL, data URL or PIL image) and show it.

        Example: see the module.
        """
        label = name or (value if isinstance(value, str) and len(value) < 200 else "")
        try:
            image = load_image(value, field=self.field)
        except ValidationError as exc:
            self._show(None, str(exc), label)
        else:
            if name and image.ref.startswith("bytes:"):
                # Recorded and shown (history, captions) by the name the user knows, not by
                # its hash; the request's fingerprint is of the bytes all the same.
                image = dataclasses.replace(image, ref=name)
            self._show(image, None, label)

    def reset(self) -> None:
        """Remove the image (and any problem).

        Example: see :meth:`observe`.
        """
        self._busy = True
        try:
            self.url.value = ""
            self.upload.value = ()
        finally:
            self._busy = False
        self._show(None, None, "")

    # -- internals ---------------------------------------------------------------------
    def _show(self, image: ImageInput | None, problem: str | None, label: str) -> None:
        self.image, self.problem = image, problem
        if image is None:
            self.thumbnail.layout.display = "none"
            self.thumbnail.value = b""
        elif image.url is not None:
            self.thumbnail.format = "url"  # the browser fetches it, the kernel does not
            self.thumbnail.value = image.url.encode()
            self.thumbnail.layout.display = ""
        else:
            assert image.mime is not None and image.data is not None
            self.thumbnail.format = image.mime.split("/")[1]
            self.thumbnail.value = image.data
            self.thumbnail.layout.display = ""
        if problem is not None:
            self.info.value = html_line(problem, "hailuo-frame-problem", color="#dc2626")
        elif image is not None:
            size = f"{image.width}×{image.height} " if image.width else ""
            self.info.value = html_line(f"{size}{label}", "hailuo-frame-info", color="#6b7280")
        else:
            self.info.value = ""
        for callback in self._callbacks:
            callback()

    def _uploaded(self, change: dict[str, Any]) -> None:
        if self._busy or not change["new"]:
            return
        entry = change["new"][0]
        self._busy = True
        try:
            self.url.value = ""
        finally:
            self._busy = False
        self.set_image(bytes(entry["content"]), name=str(entry.get("name", "")))

    def _url_changed(self, change: dict[str, Any]) -> None:
        if self._busy:
            return
        text = str(change["new"]).strip()
        if not text:
            self._show(None, None, "")
            return
        self._busy = True
        try:
            self.upload.value = ()
        finally:
            self._busy = False
        if not text.lower().startswith(("http://", "https://", "data:")):
            # A path typed here would be read from the kernel's disk: say what is taken.
            self._show(None, f"{self.field}: give an http(s) URL, or upload a file", "")
            return
        self.set_image(text, name=text if not text.startswith("data:") else "data URL")
