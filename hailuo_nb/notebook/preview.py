"""A light copy of a video for notebooks that carry their videos inside (``embed``).

Where the front end cannot reach files next to the notebook (VS Code, Colab, a shared
copy), the video travels in the output as a ``data:`` URL, so it has to be small: an
H.264 copy at most ``max_height`` pixels high (480 by default), ``+faststart`` so playback
starts before the end of the file, sound kept (re-encoded to AAC) when the source has it,
and no bigger than ``cap_bytes``. Each attempt that is too big is retried smaller (lower
height, then a higher CRF); if even the smallest is too big there is no preview, and the
caller links the full file and shows its frame.

PyAV (the ``video`` or ``emulator`` extra) makes the preview. Without it, the original
file is used when it fits under the cap, otherwise nothing is embedded (a link and the
first-frame image remain). The preview is written once beside the video
(``previews/NAME.480p.mp4``) and reused.

Example:
    >>> embeddable("/no/such/file.mp4", cap_bytes=2_000_000) is None
    True
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_CAP_BYTES", "DEFAULT_HEIGHT", "embeddable", "have_pyav", "make_preview"]

DEFAULT_CAP_BYTES = 2_000_000
DEFAULT_HEIGHT = 480
# (height divisor, CRF) tried in order until the file fits the cap.
_LADDER = ((1.0, 28), (0.75, 30), (0.5, 32), (0.5, 36))


def have_pyav() -> bool:
    """Whether PyAV is installed (previews can be made).

    Example:
        >>> isinstance(have_pyav(), bool)
        True
    """
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _encode(source: str, target: str, height: int, crf: int) -> None:
    import av

    with av.open(source) as src:
        vin = src.streams.video[0]
        ain = src.streams.audio[0] if src.streams.audio else None
        h = min(height, vin.height)
        w = _even(vin.width * h / vin.height)
        h = _even(h)
        rate = vin.average_rate or Fraction(24)
        with av.open(target, "w", format="mp4", options={"movflags": "+faststart"}) as out:
            vout: Any = out.add_stream("libx264", rate=rate)
            vout.width, vout.height, vout.pix_fmt = w, h, "yuv420p"
            vout.options = {"crf": str(crf), "preset": "veryfast"}
            aout: Any = None
            if ain is not None:
                aout = out.add_stream("aac", rate=ain.rate or 32000)
                aout.bit_rate = 64_000
            streams = [vin] if ain is None else [vin, ain]
            # Frames are numbered anew in the encoders' own time bases (a frame per tick,
            # a sample per tick): copied source timestamps would mean another clock.
            shown = heard = 0
            for packet in src.demux(*streams):
                for frame in packet.decode():
                    if packet.stream.type == "video":
                        small = frame.reformat(width=w, height=h, format="yuv420p")
                        small.pts, small.time_base = shown, Fraction(1) / rate
                        shown += 1
                        out.mux(vout.encode(small))
                    elif aout is not None:
                        frame.pts, frame.time_base = heard, Fraction(1, frame.sample_rate)
                        heard += frame.samples
                        out.mux(aout.encode(frame))
            out.mux(vout.encode(None))
            if aout is not None:
                out.mux(aout.encode(None))


def make_preview(
    path: str | os.PathLike[str],
    *,
    max_height: int = DEFAULT_HEIGHT,
    cap_bytes: int = DEFAULT_CAP_BYTES,
) -> Path | None:
    """Write ``previews/NAME.480p.mp4`` beside ``path`` (or reuse it); ``None`` if too big.

    Needs PyAV; returns ``None`` without it, or when even the smallest try passes
    ``cap_bytes``.

    Example:
        >>> make_preview("/no/such/file.mp4") is None
        True
    """
    source = Path(path)
    if not source.exists() or not have_pyav():
        return None
    # In a folder of its own: whoever lists the videos (``*.mp4``) sees the full files only.
    target = source.parent / "previews" / f"{source.stem}.{max_height}p.mp4"
    if target.exists() and target.stat().st_size <= cap_bytes:
        return target
    part = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(exist_ok=True)
        for scale, crf in _LADDER:
            _encode(str(source), str(part), int(max_height * scale), crf)
            if part.stat().st_size <= cap_bytes:
                os.replace(part, target)  # atomic: a reader never sees half a preview
                return target
    except Exception:  # a broken source or a full disk: no preview, the link remains
        return None
    finally:
        part.unlink(missing_ok=True)
    return None


def embeddable(
    path: str | os.PathLike[str],
    *,
    max_height: int = DEFAULT_HEIGHT,
    cap_bytes: int = DEFAULT_CAP_BYTES,
) -> Path | None:
    """The file to inline for ``path``: its preview, or the original if it fits, or ``None``.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = Path(d) / "tiny.mp4"; _ = p.write_bytes(b"not really a video")
        ...     embeddable(p, cap_bytes=100) == p or embeddable(p, cap_bytes=100) is None
        True
    """
    source = Path(path)
    if not source.exists():
        return None
    preview = make_preview(source, max_height=max_height, cap_bytes=cap_bytes)
    if preview is not None:
        return preview
    # No PyAV (or a file it cannot read): the original is fine if it is small enough.
    return source if source.stat().st_size <= cap_bytes else None
