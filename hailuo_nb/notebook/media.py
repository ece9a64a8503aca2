"""Media for the final output: the video's source URL, a poster frame, data URLs.

This is the I/O half of the final bundle (``display.py`` stays pure): files are read,
the first frame is decoded with PyAV when it is installed, otherwise a plain poster is
drawn with Pillow.

Example:
    >>> relative_src("/tmp/nb/hailuo_outputs/a b.mp4", cwd="/tmp/nb")
    'hailuo_outputs/a%20b.mp4'
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["data_url", "poster_for", "relative_src", "still_src", "strip_src"]

POSTER_WIDTH = 480  # small enough to keep a notebook light, big enough to recognise


def relative_src(path: str | os.PathLike[str], cwd: str | None = None) -> str:
    """A URL for ``path`` relative to ``cwd`` (the kernel's, i.e. the notebook's folder).

    Jupyter resolves relative URLs in outputs against the notebook's folder and serves
    the file, so the notebook keeps working when the project folder moves.

    Example:
        >>> relative_src("/a/b/c.mp4", cwd="/a")
        'b/c.mp4'
    """
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(cwd or os.getcwd()))
    return quote(Path(rel).as_posix())


def data_url(path: str | os.PathLike[str], mime: str = "video/mp4") -> str:
    """The file inlined as a ``data:`` URL (``--embed``: a self-contained notebook).

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        ...     _ = f.write(b"abc"); f.flush()
        ...     data_url(f.name)
        'data:video/mp4;base64,YWJj'
    """
    payload = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:{mime};base64,{payload}"


def _first_frame(path: str) -> bytes | None:
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(path) as container:
            for frame in container.decode(video=0):
                image = frame.to_image()
                break
            else:
                return None
    except Exception:  # a broken or partial file: fall back to the drawn poster
        return None
    image.thumbnail((POSTER_WIDTH, POSTER_WIDTH))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


def _drawn_poster(label: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (POSTER_WIDTH, POSTER_WIDTH * 9 // 16), (17, 24, 39))
    draw = ImageDraw.Draw(image)
    draw.text((16, 16), "▶ " + label[:60], fill=(229, 231, 235))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def poster_for(video_path: str | os.PathLike[str], label: str = "") -> tuple[bytes, str]:
    """A JPEG poster for the video: its first frame, or a drawn card when PyAV is missing.

    Example:
        >>> data, mime = poster_for("/no/such/file.mp4", "a fox")
        >>> mime, data[:2]
        ('image/jpeg', b'\\xff\\xd8')
    """
    frame = _first_frame(os.fspath(video_path)) if os.path.exists(video_path) else None
    return (frame or _drawn_poster(label)), "image/jpeg"


def save_poster(video_path: str | os.PathLike[str], label: str = "") -> tuple[Path, bytes]:
    """Write the poster next to the video (``name.jpg``) and return its path and bytes.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p, data = save_poster(Path(d) / "v.mp4", "x")
        ...     p.name, p.exists()
        ('v.jpg', True)
    """
    data, _ = poster_for(video_path, label)
    target = Path(video_path).with_suffix(".jpg")
    tmp = target.with_suffix(".jpg.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)  # atomic: a reader never sees half a poster
    except OSError:
        tmp.unlink(missing_ok=True)  # no half-written .part left behind (a full disk)
        raise
    return target, data


STILL_WIDTH = 320  # the fallback picture: shown only where <video> is stripped


def still_src(poster: bytes, width: int = STILL_WIDTH, quality: int = 60) -> str:
    """A smaller copy of the poster as a ``data:`` URL, for the ``<img>`` inside ``<video>``.

    It is drawn only where ``<video>`` is removed (GitHub), and every output carries it
    beside the poster, so it is kept small (about a third of the poster's bytes).

    Example:
        >>> still_src(_drawn_poster("a fox"))[:23]
        'data:image/jpeg;base64,'
    """
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(poster))
        image.thumbnail((width, width))
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=quality)
        data = out.getvalue()
    except Exception:  # not an image Pillow reads: the poster itself
        data = poster
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


STRIP_FRAMES = 4
STRIP_WIDTH = 640  # the whole strip: four frames of about 160 px, drawn 480 px wide
_STRIP_GAP = 4  # white between frames, so a strip of vertical frames reads as four


def _frames_at(path: str, count: int) -> list[Any]:
    """``count`` frames of the video at 0, 1/count, 2/count... of its length (PIL images).

    Each is reached by a seek to the keyframe before it and a decode forward, so a long
    video costs a few GOPs, not a full decode. Empty when PyAV is missing or the file
    cannot be read.
    """
    try:
        import av
    except ImportError:
        return []
    images: list[Any] = []
    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            base = stream.time_base
            if stream.duration is not None and base is not None:
                length = float(stream.duration * base)
            elif container.duration is not None:
                length = container.duration / 1_000_000
            else:
                return []
            for i in range(count):
                at = length * i / count
                if base is not None:
                    container.seek(int(at / base), stream=stream)
                for frame in container.decode(stream):
                    if frame.time is None or frame.time + 1e-3 >= at:
                        images.append(frame.to_image())
                        break
    except Exception:  # a broken or partial file: the first frame alone will do
        return []
    return images if len(images) == count else []


def strip_src(
    video_path: str | os.PathLike[str],
    poster: bytes,
    *,
    frames: int = STRIP_FRAMES,
    width: int = STRIP_WIDTH,
    quality: int = 60,
) -> str:
    """A strip of ``frames`` frames across the video as a ``data:`` URL (the static fallback).

    Where ``<video>`` is stripped (GitHub), the picture inside it is all there is: four
    frames side by side show that it moves and where it goes, which a first frame does
    not. Without PyAV, or for a file it cannot read, it is :func:`still_src` of the poster.

    Example:
        >>> strip_src("/no/such/file.mp4", _drawn_poster("a fox"))[:23]
        'data:image/jpeg;base64,'
    """
    from PIL import Image

    images = _frames_at(os.fspath(video_path), frames) if os.path.exists(video_path) else []
    if not images:
        return still_src(poster, quality=quality)
    cell = max(2, (width - _STRIP_GAP * (frames - 1)) // frames)
    tiles = [image.convert("RGB") for image in images]
    for tile in tiles:
        tile.thumbnail((cell, cell * 4))
    height = max(tile.height for tile in tiles)
    step = cell + _STRIP_GAP
    sheet = Image.new("RGB", (step * frames - _STRIP_GAP, height), (255, 255, 255))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, (i * step + (cell - tile.width) // 2, 0))
    out = io.BytesIO()
    sheet.save(out, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
