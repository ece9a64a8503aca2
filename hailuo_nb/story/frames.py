"""Frames out of a saved video: the exact last frame, and a small thumbnail of any end.

Uses PyAV (the ``video`` extra), imported lazily: the core installs without it, and a
storyboard without it says in one line what to install, before anything is paid.

The last frame is decoded at the video's full resolution and saved as a lossless PNG
next to the video, so that the next shot starts from exactly the picture this one ended
on. Only a frame too small for MiniMax's image rules (short side over 300 px: the
emulator's 320 px preview videos, never a real Hailuo video) is enlarged, by a whole
factor with nearest-neighbour sampling, which copies pixels and invents none.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hailuo_nb.emulator.video import VideoSpec, render_mp4
    >>> video = Path(tempfile.mkdtemp()) / "shot.mp4"
    >>> _ = video.write_bytes(render_mp4(VideoSpec(width=320, height=180, seconds=0.5)))
    >>> png = save_last_frame(video)
    >>> png.name, last_frame(video).size, _png_size(png)
    ('shot.last.png', (320, 180), (640, 360))
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import HailuoError
from ..images import MIN_SHORT_SIDE

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = ["NEED_VIDEO", "last_frame", "require_av", "save_last_frame", "thumbnail"]

NEED_VIDEO = "storyboards need PyAV and numpy: pip install hailuo-nb[video]"
"""The one line said when PyAV is missing.

Example:
    >>> NEED_VIDEO.endswith("pip install hailuo-nb[video]")
    True
"""


def require_av() -> Any:
    """The ``av`` module, or :class:`~hailuo_nb.errors.HailuoError` naming the extra.

    Example:
        >>> require_av().__name__
        'av'
    """
    try:
        import av
    except ImportError:
        raise HailuoError(NEED_VIDEO) from None
    return av


def last_frame(video: str | Path) -> PILImage.Image:
    """The video's last decoded frame as an RGB image at full resolution.

    Example: see the module.
    """
    av = require_av()
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        # Seek to a keyframe shortly before the end, so a long clip is not decoded whole;
        # a clip shorter than that is simply decoded from its start.
        end = float(container.duration or 0) / 1_000_000
        if end > 2.0:
            container.seek(int((end - 1.5) * 1_000_000), backward=True, any_frame=False)
        frame = None
        for frame in container.decode(stream):  # noqa: B007 - the loop keeps the last one
            pass
        if frame is None:
            raise HailuoError(f"{Path(video).name}: no video frame to continue from")
        image: PILImage.Image = frame.to_image()
        return image


def save_last_frame(video: str | Path) -> Path:
    """Save the last frame as ``<video>.last.png`` beside the video; its path.

    Deterministic (the same video gives the same bytes), so a re-run's next shot has the
    same fingerprint and reuses its earlier job.

    Example: see the module.
    """
    from PIL import Image

    image = last_frame(video)
    short = min(image.size)
    if short <= MIN_SHORT_SIDE:
        factor = MIN_SHORT_SIDE // short + 1
        image = image.resize(
            (image.width * factor, image.height * factor), Image.Resampling.NEAREST
        )
    target = Path(video).with_suffix(".last.png")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    data = buffer.getvalue()
    if not target.exists() or target.read_bytes() != data:
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


def thumbnail(video: str | Path, *, last: bool, width: int = 160) -> bytes:
    """A small JPEG of the video's first or last frame (a shot card's picture).

    Example:
        >>> import tempfile
        >>> from hailuo_nb.emulator.video import VideoSpec, render_mp4
        >>> video = Path(tempfile.mkdtemp()) / "v.mp4"
        >>> _ = video.write_bytes(render_mp4(VideoSpec(width=64, height=36, seconds=0.25)))
        >>> thumbnail(video, last=False)[:2]
        b'\\xff\\xd8'
    """
    if last:
        image = last_frame(video)
    else:
        av = require_av()
        with av.open(str(video)) as container:
            image = next(container.decode(video=0)).to_image()
    height = max(2, round(width * image.height / image.width))
    small = image.convert("RGB").resize((width, height))
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _png_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        size: tuple[int, int] = image.size
        return size
