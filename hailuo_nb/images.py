"""Loading first/last frame images and checking them against MiniMax's image rules.

Every provider here runs MiniMax's Hailuo models, so MiniMax's rules apply to all of them:
JPG, PNG or WebP, under 20 MB, short side over 300 px, aspect ratio between 2:5 and 5:2.
Checking locally turns a refused (or, on Segmind, failed) job into one clear line before
anything is sent.

Local images (a path, bytes, a PIL image, a ``data:`` URL) are read and checked.
``http(s)`` URLs are kept as URLs and never fetched: this module does no network I/O.

Example:
    >>> from PIL import Image
    >>> img = load_image(Image.new("RGB", (640, 360)), field="first_frame")
    >>> img.mime, img.width, img.height, img.ref.startswith("bytes:")
    ('image/png', 640, 360, True)
    >>> load_image("https://example.com/cat.jpg", field="first_frame").url
    'https://example.com/cat.jpg'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ValidationError

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = [
    "MAX_BYTES",
    "MIN_SHORT_SIDE",
    "ImageInput",
    "image_problem",
    "load_image",
]

# "Under 20 MB": we read MB as MiB, the usual meaning of upload limits (and the one the
# emulator enforces); an image at or over the limit is refused.
MAX_BYTES = 20 * 1024 * 1024
"""Images must be smaller than this many bytes.

Example:
    >>> MAX_BYTES
    20971520
"""

MIN_SHORT_SIDE = 300
"""The short side must be *more* than this many pixels.

Example:
    >>> MIN_SHORT_SIDE
    300
"""

_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_DATA_URL = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),(.*)$", re.DOTALL)


@dataclass(frozen=True)
class ImageInput:
    """An image for a first or last frame: a URL to pass on, or checked local bytes.

    ``ref`` is what we record and show (the URL, the file path or ``bytes:<sha256[:12]>``),
    never the data itself; ``data`` is left out of the repr for the same reason.

    Example:
        >>> img = ImageInput(ref="https://x/a.png", url="https://x/a.png", data=None,
        ...                  mime=None, width=None, height=None, sha256="0" * 64)
        >>> img.url is not None, img.data is None
        (True, True)
    """

    ref: str
    url: str | None
    data: bytes | None = field(repr=False)
    mime: str | None
    width: int | None
    height: int | None
    sha256: str

    def data_url(self) -> str:
        """The image as a ``data:<mime>;base64,...`` URL (ValueError for URL-only images).

        Example:
            >>> from PIL import Image
            >>> load_image(Image.new("RGB", (400, 400)), field="x").data_url()[:22]
            'data:image/png;base64,'
        """
        if self.data is None or self.mime is None:
            raise ValueError(f"{self.ref} is a URL, not local image data")
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def image_problem(width: int, height: int, size: int, fmt: str | None) -> str | None:
    """Why MiniMax would refuse this image, or None when it passes every rule.

    ``fmt`` is Pillow's format name (``"PNG"``, ``"JPEG"``, ``"WEBP"``, ...).

    Example:
        >>> image_problem(1280, 720, 100_000, "PNG") is None
        True
        >>> image_problem(300, 600, 100_000, "PNG")
        'short side is 300 px; it must be more than 300 px'
        >>> image_problem(1000, 2600, 100_000, "JPEG")
        'aspect ratio 1000×2600 is outside 2:5 .. 5:2'
    """
    if fmt not in _FORMATS:
        return f"format {fmt or 'unknown'} is not allowed; use JPG, PNG or WebP"
    if size >= MAX_BYTES:
        return f"image is {size / 1024 / 1024:.1f} MB; it must be under 20 MB"
    short = min(width, height)
    if short <= MIN_SHORT_SIDE:
        return f"short side is {short} px; it must be more than {MIN_SHORT_SIDE} px"
    # Integer arithmetic so the 2:5 and 5:2 boundaries themselves are exact (and allowed).
    if 2 * height > 5 * width or 2 * width > 5 * height:
        return f"aspect ratio {width}×{height} is outside 2:5 .. 5:2"
    return None


def load_image(value: Any, *, field: str) -> ImageInput:
    """Turn a path, URL, data URL, bytes or PIL image into a checked :class:`ImageInput`
    (an :class:`ImageInput` is returned as it is).

    Raises ``ValidationError(field, ...)`` with one line saying what is wrong and what is
    allowed. http(s) URLs are not fetched, so they are not checked here.

    Example:
        >>> load_image("ftp://host/a.png", field="last_frame")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: last_frame: URL scheme 'ftp' is not supported; \
use an http(s) URL, a data URL or a local file
    """
    if isinstance(value, ImageInput):  # checked already (an upload named by its file)
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return _checked(data, ref=f"bytes:{_sha(data)[:12]}", field=field)
    if _is_pil(value):
        data = _encode_pil(value, field)
        return _checked(data, ref=f"bytes:{_sha(data)[:12]}", field=field)
    if isinstance(value, os.PathLike):
        return _from_path(Path(os.fspath(value)), field)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValidationError(
                field,
                "empty image; give a file path, an http(s) URL, a data URL, bytes or a PIL image",
            )
        scheme = _SCHEME.match(text)
        # One-letter "schemes" are Windows drive letters (C:\frames\a.png), i.e. paths.
        if scheme and len(scheme.group(1)) > 1:
            name = scheme.group(1).lower()
            if name in ("http", "https"):
                return ImageInput(
                    ref=text,
                    url=text,
                    data=None,
                    mime=None,
                    width=None,
                    height=None,
                    sha256=_sha(text.encode()),
                )
            if name == "data":
                data = _decode_data_url(text, field)
                return _checked(data, ref=f"bytes:{_sha(data)[:12]}", field=field)
            raise ValidationError(
                field,
                f"URL scheme {name!r} is not supported; use an http(s) URL,"
                " a data URL or a local file",
            )
        return _from_path(Path(text), field)
    raise ValidationError(
        field,
        f"expected a file path, an http(s) URL, a data URL, bytes or a PIL image,"
        f" got {type(value).__name__}",
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_pil(value: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        return False
    return isinstance(value, Image.Image)


def _from_path(path: Path, field: str) -> ImageInput:
    path = path.expanduser()
    if not path.is_file():
        raise ValidationError(field, f"file not found: {path}")
    # Refuse before reading a huge file into memory.
    size = path.stat().st_size
    if size >= MAX_BYTES:
        raise ValidationError(
            field, f"{path.name} is {size / 1024 / 1024:.1f} MB; it must be under 20 MB"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(field, f"cannot read {path}: {exc.strerror or exc}") from None
    return _checked(data, ref=str(path), field=field)


def _decode_data_url(text: str, field: str) -> bytes:
    match = _DATA_URL.match(text)
    if match is None or "base64" not in match.group(2).lower().split(";"):
        raise ValidationError(field, "data URL must look like data:image/png;base64,...")
    try:
        return base64.b64decode(match.group(3), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, "data URL holds invalid base64") from None


def _encode_pil(image: PILImage.Image, field: str) -> bytes:
    # PNG keeps the pixels exact. Modes PNG cannot store (CMYK, YCbCr, ...) go to RGB.
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGB")
    buf = io.BytesIO()
    try:
        image.save(buf, format="PNG")
    except (OSError, ValueError) as exc:
        raise ValidationError(field, f"cannot encode the PIL image: {exc}") from None
    if buf.tell() >= MAX_BYTES:
        # A big photo can exceed 20 MB as PNG; a good JPEG keeps it usable.
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _checked(data: bytes, *, ref: str, field: str) -> ImageInput:
    from PIL import Image, UnidentifiedImageError

    if len(data) >= MAX_BYTES:
        mb = len(data) / 1024 / 1024
        raise ValidationError(field, f"image is {mb:.1f} MB; it must be under 20 MB")
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning is an image we refuse anyway, not a crash.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt, (width, height) = img.format, img.size
                # Reads the chunks without decoding: a truncated or corrupt file is caught
                # here rather than failing the paid job.
                img.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        OSError,
        ValueError,
    ):
        raise ValidationError(
            field, "not a readable image (corrupt, or not an image); use JPG, PNG or WebP"
        ) from None
    problem = image_problem(width, height, len(data), fmt)
    if problem is not None:
        raise ValidationError(field, problem)
    return ImageInput(
        ref=ref,
        url=None,
        data=data,
        mime=_FORMATS[str(fmt)],
        width=width,
        height=height,
        sha256=_sha(data),
    )
