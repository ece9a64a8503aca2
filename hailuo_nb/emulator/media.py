"""What an input file is: image size and format, or a clip's codecs, length and rate.

Only reads: Pillow for images, PyAV (FFmpeg) for video and audio. The H3 rules that use
these facts live in ``h3content``.

Example:
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (640, 360)).save(buf, "PNG")
    >>> image_info(buf.getvalue())
    ImageInfo(format='PNG', width=640, height=360)
    >>> av_info(b"not a video") is None
    True
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import av
from PIL import Image

#: ISO-BMFF brands of HEIC/HEIF stills, which Pillow cannot open without a plugin.
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


@dataclass(frozen=True)
class ImageInfo:
    """An image's format (Pillow's name; ``HEIF`` for HEIC/HEIF) and size (0 when unknown)."""

    format: str
    width: int
    height: int


@dataclass(frozen=True)
class AVInfo:
    """A media file as FFmpeg sees it. ``seconds`` is the container's duration.

    ``container`` is FFmpeg's demuxer name (``mov,mp4,…`` for MP4 and MOV, ``wav``, ``mp3``).
    """

    container: str
    seconds: float
    video_codec: str | None = None
    audio_codec: str | None = None
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frames: int = 0
    sample_rate: int = 0
    channels: int = 0


def image_info(data: bytes) -> ImageInfo | None:
    """Format and size of an encoded image, or None when it is not one."""
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return ImageInfo("HEIF", 0, 0)
    try:
        with Image.open(io.BytesIO(data)) as img:
            # MPO is how Pillow names a JPEG with extra frames (phones write them).
            fmt = "JPEG" if img.format == "MPO" else str(img.format)
            return ImageInfo(fmt, img.size[0], img.size[1])
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def av_info(data: bytes) -> AVInfo | None:
    """Codecs, size, rate and length of a video or audio file, or None if FFmpeg cannot
    read it.

    Example:
        >>> from hailuo_nb.emulator.video import VideoSpec, render_mp4
        >>> info = av_info(render_mp4(VideoSpec(64, 36, 2.0)))
        >>> info.video_codec, info.fps, info.frames, info.seconds
        ('h264', 24.0, 48, 2.0)
    """
    try:
        with av.open(io.BytesIO(data)) as container:
            info = AVInfo(str(container.format.name), (container.duration or 0) / av.time_base)
            if container.streams.video:
                v = container.streams.video[0]
                info = replace(
                    info,
                    video_codec=v.codec_context.name,
                    width=v.width,
                    height=v.height,
                    fps=float(v.average_rate or 0),
                    frames=v.frames or sum(1 for p in container.demux(v) if p.size),
                )
            if container.streams.audio:
                a = container.streams.audio[0]
                info = replace(
                    info,
                    audio_codec=a.codec_context.name,
                    sample_rate=a.sample_rate,
                    channels=a.channels,
                )
    except (av.FFmpegError, OSError, ValueError):
        return None
    return info if info.video_codec or info.audio_codec else None
