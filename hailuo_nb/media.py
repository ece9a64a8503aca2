"""Reference clips (videos and sound) for H3: a URL to pass on, or local bytes we measured.

H3 takes up to three reference videos and three reference audio clips, each 2-15 s long,
15 s in all (protocols-more.md §1.2). A local clip's length is read here with PyAV
(``av``, part of the ``emulator`` extra), so a clip that is too long or too short is one
clear line before anything is sent. PyAV is optional in the core: **without it a local
clip's length is not known** (``seconds`` is None) and the provider checks it at submit,
which refuses it with an HTTP 400 that costs nothing. ``http(s)`` URLs are never fetched.

Example:
    >>> clip = load_media("https://example.com/walk.mp4", kind="video", field="reference_videos")
    >>> clip.url, clip.seconds
    ('https://example.com/walk.mp4', None)
    >>> load_media("ftp://x/a.mp4", kind="video", field="reference_videos")
    Traceback (most recent call last):
    ...
    hailuo_nb.errors.ValidationError: reference_videos: URL scheme 'ftp' is not supported; \
use an http(s) URL, a data URI or a local file
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ValidationError

__all__ = ["MAX_MEDIA_BYTES", "MediaInput", "MediaKind", "clip_seconds", "load_media"]

MediaKind = Literal["video", "audio"]

MAX_MEDIA_BYTES: dict[str, int] = {"video": 50 << 20, "audio": 15 << 20}
"""MiniMax's size limits per reference file (§1.2): videos 50 MB, audio 15 MB.

Example:
    >>> MAX_MEDIA_BYTES["audio"] // (1 << 20)
    15
"""

# MOV is allowed by MiniMax as an upload or URL, but its data URIs are data:video/mp4
# only (§1.2): a local MOV is refused here rather than sent under a wrong type.
_MIME_OF_SUFFIX = {".mp4": "video/mp4", ".wav": "audio/wav", ".mp3": "audio/mpeg"}
_FORMATS = {"video": "MP4 (MOV by URL)", "audio": "WAV or MP3"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_DATA_URL = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),(.*)$", re.DOTALL)


@dataclass(frozen=True)
class MediaInput:
    """One reference clip: ``url`` to pass on as it is, or ``data`` read locally.

    ``ref`` is what a job records (the URL, the path or ``bytes:<sha256[:12]>``), never
    the data. ``seconds`` is the measured length (None for URLs, or without PyAV).

    Example:
        >>> MediaInput("a.wav", "audio", None, b"..", "audio/wav", 3.0, "0" * 64).data_url()
        'data:audio/wav;base64,Li4='
    """

    ref: str
    kind: MediaKind
    url: str | None
    data: bytes | None = field(repr=False)
    mime: str | None
    seconds: float | None
    sha256: str

    def data_url(self) -> str:
        """The clip as a ``data:<mime>;base64,...`` URI (ValueError for URL-only clips).

        Example: see the class.
        """
        if self.data is None or self.mime is None:
            raise ValueError(f"{self.ref} is a URL, not local data")
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def clip_seconds(data: bytes) -> float | None:
    """The length of a video or audio file in seconds, read with PyAV; None without PyAV.

    Raises ``ValueError`` for bytes PyAV cannot read as media.

    Example:
        >>> clip_seconds(b"not media")
        Traceback (most recent call last):
        ...
        ValueError: not a readable media file
    """
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(io.BytesIO(data)) as container:
            if container.duration is not None:
                return float(container.duration) / 1_000_000
            stream = (container.streams.video or container.streams.audio)[0]
            if stream.duration is None or stream.time_base is None:
                return None
            return float(stream.duration * stream.time_base)
    except (av.FFmpegError, IndexError, OSError, ValueError):
        raise ValueError("not a readable media file") from None


def load_media(value: Any, *, kind: MediaKind, field: str) -> MediaInput:
    """A path, ``http(s)`` URL, data URI or bytes as a checked :class:`MediaInput`.

    Local data is checked for its size limit, its format (by its name or data type) and
    read for its length; one ``ValidationError`` line otherwise.

    Example:
        >>> load_media(b"", kind="audio", field="reference_audio")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: reference_audio: empty audio file
    """
    if isinstance(value, os.PathLike):
        return _from_path(Path(os.fspath(value)), kind, field)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return _checked(data, f"bytes:{_sha(data)[:12]}", kind, None, field)
    if not isinstance(value, str):
        raise ValidationError(
            field,
            "expected a file path, an http(s) URL, a data URI or bytes,"
            f" got {type(value).__name__}",
        )
    text = value.strip()
    if not text:
        raise ValidationError(
            field, f"empty {kind}; give a file path, an http(s) URL or a data URI"
        )
    scheme = _SCHEME.match(text)
    if scheme and len(scheme.group(1)) > 1:  # one letter: a Windows drive, i.e. a path
        name = scheme.group(1).lower()
        if name in ("http", "https"):
            return MediaInput(text, kind, text, None, None, None, _sha(text.encode()))
        if name == "data":
            mime, data = _decode(text, field)
            return _checked(data, f"bytes:{_sha(data)[:12]}", kind, mime, field)
        raise ValidationError(
            field,
            f"URL scheme {name!r} is not supported; use an http(s) URL, a data URI or a local file",
        )
    return _from_path(Path(text), kind, field)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_path(path: Path, kind: MediaKind, field: str) -> MediaInput:
    path = path.expanduser()
    if not path.is_file():
        raise ValidationError(field, f"file not found: {path}")
    size, limit = path.stat().st_size, MAX_MEDIA_BYTES[kind]
    if size > limit:  # before reading a huge file into memory
        raise ValidationError(
            field, f"{path.name} is {size / 2**20:.1f} MB; the limit is {limit >> 20} MB"
        )
    mime = _MIME_OF_SUFFIX.get(path.suffix.lower())
    if mime is None or not mime.startswith(kind):
        raise ValidationError(field, f"{path.name}: {kind} files must be {_FORMATS[kind]}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(field, f"cannot read {path}: {exc.strerror or exc}") from None
    return _checked(data, str(path), kind, mime, field)


def _decode(text: str, field: str) -> tuple[str, bytes]:
    match = _DATA_URL.match(text)
    if match is None or "base64" not in match.group(2).lower().split(";"):
        raise ValidationError(field, "a data URI must look like data:video/mp4;base64,...")
    try:
        return match.group(1), base64.b64decode(match.group(3), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, "the data URI holds invalid base64") from None


def _checked(data: bytes, ref: str, kind: MediaKind, mime: str | None, field: str) -> MediaInput:
    if not data:
        raise ValidationError(field, f"empty {kind} file")
    limit = MAX_MEDIA_BYTES[kind]
    if len(data) > limit:
        raise ValidationError(
            field, f"{kind} is {len(data) / 2**20:.1f} MB; the limit is {limit >> 20} MB"
        )
    # MiniMax's data URIs are data:video/mp4 and data:audio/<fmt> (§1.2): bytes of unknown
    # type are sent as the kind's first format, and the provider reads the real one.
    mime = (mime or "").lower() or ("video/mp4" if kind == "video" else "audio/wav")
    if not mime.startswith(kind + "/"):
        raise ValidationError(field, f"{mime} is not {'a video' if kind == 'video' else 'audio'}")
    try:
        seconds = clip_seconds(data)
    except ValueError:
        raise ValidationError(field, f"not a readable {kind} file ({_FORMATS[kind]})") from None
    return MediaInput(ref, kind, None, data, mime, seconds, _sha(data))
