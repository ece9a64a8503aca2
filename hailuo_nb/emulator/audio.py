"""The sound of an H3 video: a chord picked from the prompt, muxed as AAC stereo 32 kHz.

H3 outputs always carry audio (protocols-more.md §1.9: 32 kHz stereo, AAC). The picture
comes from ``video.render_mp4`` untouched; ``add_soundtrack`` copies its H.264 packets
into a new MP4 beside an AAC track of exactly the picture's length, so adding sound costs
an AAC encode (tens of milliseconds), not a second video encode.

Example:
    >>> pcm = soundtrack("a red fox", 0.5)
    >>> pcm.shape, pcm.dtype.name
    ((2, 16000), 'float32')
"""

from __future__ import annotations

import hashlib
import io
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.packet import Packet

SAMPLE_RATE = 32_000
#: AAC-LC at this rate is plenty for a sine chord and keeps files small.
_BIT_RATE = 64_000
#: Samples per AAC frame.
_FRAME = 1024


def soundtrack(prompt: str, seconds: float, rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    """A soft chord, planar stereo (2 × samples): same prompt, same chord.

    The root (110–220 Hz) and major or minor third come from a hash of the prompt; the
    left channel plays root and third, the right root and fifth, with a slow swell, and
    the ends fade over 50 ms so nothing clicks.

    Example:
        >>> bool((soundtrack("fox", 1.0) == soundtrack("fox", 1.0)).all())
        True
        >>> bool((soundtrack("fox", 1.0)[0] == soundtrack("fox", 1.0)[1]).all())
        False
    """
    digest = hashlib.sha256(prompt.encode()).digest()
    root = 110.0 * 2 ** (digest[0] / 256)
    third = root * 2 ** ((4 if digest[1] % 2 else 3) / 12)
    fifth = root * 2 ** (7 / 12)
    n = round(seconds * rate)
    t = np.arange(n, dtype=np.float64) / rate
    swell = 0.75 + 0.25 * np.sin(2 * np.pi * (0.2 + digest[2] / 1024) * t)

    def tone(freq: float) -> npt.NDArray[np.float64]:
        return np.sin(2 * np.pi * freq * t)

    left = (tone(root) + 0.6 * tone(third)) * swell
    right = (tone(root) + 0.6 * tone(fifth)) * swell
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.05).clip(0.0, 1.0)
    pcm = 0.12 * np.stack((left, right)) * fade
    result: npt.NDArray[np.float32] = pcm.astype(np.float32)
    return result


def add_soundtrack(video: bytes, target: Path, prompt: str, seconds: float) -> None:
    """Write ``video`` (an MP4 with one H.264 stream) to ``target`` with an AAC stereo
    32 kHz track of ``seconds`` added (``movflags=+faststart``).

    Example:
        >>> import tempfile
        >>> from hailuo_nb.emulator.video import VideoSpec, render_mp4
        >>> target = Path(tempfile.mkdtemp()) / "v.mp4"
        >>> add_soundtrack(render_mp4(VideoSpec(64, 36, 1.0)), target, "fox", 1.0)
        >>> with av.open(str(target)) as c:
        ...     a = c.streams.audio[0]
        ...     a.codec_context.name, a.sample_rate, a.channels
        ('aac', 32000, 2)
    """
    with (
        av.open(io.BytesIO(video)) as source,
        av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        v_in = source.streams.video[0]
        v_out = out.add_stream_from_template(v_in)
        a_out = out.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        a_out.bit_rate = _BIT_RATE
        packets: list[tuple[float, Packet[Any]]] = []
        for packet in source.demux(v_in):
            if packet.dts is None:  # the demuxer's empty flush packet
                continue
            packet.stream = v_out
            packets.append((float(packet.dts * v_in.time_base), packet))
        pcm = soundtrack(prompt, seconds)
        base = Fraction(1, SAMPLE_RATE)
        for start in range(0, pcm.shape[1], _FRAME):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(pcm[:, start : start + _FRAME]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, start, base
            packets.extend(_timed(a_out.encode(frame)))
        packets.extend(_timed(a_out.encode(None)))
        # Interleave by time: a player reads both tracks from one place in the file.
        packets.sort(key=lambda item: item[0])
        for _, packet in packets:
            out.mux(packet)


def _timed(packets: list[Packet[Any]]) -> list[tuple[float, Packet[Any]]]:
    return [(float((p.dts or 0) * p.time_base), p) for p in packets]
