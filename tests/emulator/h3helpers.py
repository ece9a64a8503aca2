"""Inputs and probes for the H3 tests: small images, clips and sounds made here.

Every input is made in memory (Pillow, PyAV, ``wave``) and cached, so the rule tests stay
fast; ``probe`` reads an MP4 back with PyAV, as a client's player would.
"""

from __future__ import annotations

import base64
import functools
import io
import tempfile
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from hailuo_nb.emulator.audio import add_soundtrack
from hailuo_nb.emulator.video import VideoSpec, render_mp4


def data_uri(kind: str, data: bytes) -> str:
    """``data:<kind>;base64,...``."""
    return f"data:{kind};base64," + base64.b64encode(data).decode()


@functools.cache
def image(width: int = 640, height: int = 360, fmt: str = "PNG") -> bytes:
    """An encoded image of a flat colour."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 140, 200)).save(buf, fmt)
    return buf.getvalue()


def image_uri(width: int = 640, height: int = 360, fmt: str = "PNG") -> str:
    return data_uri(f"image/{fmt.lower()}", image(width, height, fmt))


@functools.cache
def clip(seconds: float = 3.0, fps: int = 24, width: int = 64, height: int = 36) -> bytes:
    """An H.264 MP4 without sound."""
    return render_mp4(VideoSpec(width, height, seconds, fps=fps, prompt="ref"))


@functools.cache
def clip_with_sound(frames: int, width: int, height: int) -> bytes:
    """An H.264 + AAC MP4 made the way the emulator makes H3 outputs."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "v.mp4"
        add_soundtrack(render_mp4(VideoSpec(width, height, frames / 24)), target, "x", frames / 24)
        return target.read_bytes()


@functools.cache
def mpeg4_clip(seconds: float = 3.0) -> bytes:
    """An MP4 whose video is MPEG-4 Part 2, not H.264/H.265."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.mp4"
        with av.open(str(path), "w", format="mp4") as out:
            stream = out.add_stream("mpeg4", rate=24)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            for i in range(round(seconds * 24)):
                frame = av.VideoFrame.from_ndarray(
                    np.full((48, 64, 3), i % 255, np.uint8), format="rgb24"
                )
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        return path.read_bytes()


@functools.cache
def wav(seconds: float = 3.0, rate: int = 16_000) -> bytes:
    """A mono 16-bit WAV of a quiet tone."""
    buf = io.BytesIO()
    t = np.arange(round(seconds * rate)) / rate
    pcm = (np.sin(2 * np.pi * 440 * t) * 3000).astype(np.int16)
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


@functools.cache
def flac(seconds: float = 3.0) -> bytes:
    """A FLAC file: audio, but neither WAV nor MP3."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.flac"
        with av.open(str(path), "w", format="flac") as out:
            stream = out.add_stream("flac", rate=16_000, layout="mono")
            n = round(seconds * 16_000)
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, n), np.int16), format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = 16_000, 0, Fraction(1, 16_000)
            out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        return path.read_bytes()


@dataclass
class Probe:
    """What a player sees in an MP4."""

    width: int
    height: int
    fps: float
    frames: int
    video_codec: str
    video_seconds: float
    audio_codec: str | None
    sample_rate: int
    channels: int
    audio_seconds: float


def probe(data: bytes) -> Probe:
    """Read an MP4's video and audio tracks (frames counted by decoding)."""
    with av.open(io.BytesIO(data)) as container:
        v = container.streams.video[0]
        frames = sum(1 for _ in container.decode(v))
        video_seconds = float(v.duration * v.time_base) if v.duration else 0.0
        fields: dict[str, Any] = {"audio_codec": None, "sample_rate": 0, "channels": 0}
        fields["audio_seconds"] = 0.0
        if container.streams.audio:
            a = container.streams.audio[0]
            fields.update(
                audio_codec=a.codec_context.name,
                sample_rate=a.sample_rate,
                channels=a.channels,
                audio_seconds=float(a.duration * a.time_base) if a.duration else 0.0,
            )
        return Probe(
            width=v.width,
            height=v.height,
            fps=float(v.average_rate or 0),
            frames=frames,
            video_codec=v.codec_context.name,
            video_seconds=video_seconds,
            **fields,
        )
