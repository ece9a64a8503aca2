"""Joining shots into one MP4: stream copy where the shots agree, re-encoding otherwise.

Hailuo's clips of one model and resolution share codec, size, pixel format and frame
rate, so their packets can be copied one after another with shifted timestamps: no
quality lost, and a 30 s film joins in a fraction of a second. Clips that differ (two
resolutions, a model with its own frame rate), or a crossfade between shots, are decoded
and encoded again as H.264 (yuv420p, the first shot's size and rate). Sound (H3's AAC
track) is joined the same way when every shot has it; when only some have it, the film
gets silence where a shot had none, so the sound stays in step with the picture.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hailuo_nb.emulator.video import VideoSpec, render_mp4
    >>> tmp = Path(tempfile.mkdtemp())
    >>> shots = [tmp / "a.mp4", tmp / "b.mp4"]
    >>> for p, prompt in zip(shots, ["a fox", "an owl"]):
    ...     _ = p.write_bytes(render_mp4(VideoSpec(64, 36, 0.5, prompt=prompt)))
    >>> result = join(shots, tmp / "film.mp4")
    >>> result.method, round(result.seconds, 2), round(probe(tmp / "film.mp4").seconds, 2)
    ('copy', 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import HailuoError
from .frames import require_av

__all__ = ["Joined", "Probe", "join", "probe"]


@dataclass(frozen=True)
class Probe:
    """What decides whether clips can be stream-copied together, and their length.

    Example:
        >>> Probe("h264", 320, 180, "yuv420p", Fraction(24), 6.0, None).copy_key()
        ('h264', 320, 180, 'yuv420p', Fraction(24, 1), None)
    """

    codec: str
    width: int
    height: int
    pix_fmt: str
    fps: Fraction
    seconds: float
    audio: tuple[str, int, str] | None  # codec, sample rate, layout

    def copy_key(self) -> tuple[Any, ...]:
        """Clips with equal keys can be joined by copying their packets.

        Example: see the class.
        """
        return (self.codec, self.width, self.height, self.pix_fmt, self.fps, self.audio)


@dataclass(frozen=True)
class Joined:
    """The joined film: its path, how it was made (``copy``/``encode``), its length, and
    where each shot starts in it (seconds).

    Example:
        >>> Joined(Path("f.mp4"), "copy", 12.0, (0.0, 6.0)).starts
        (0.0, 6.0)
    """

    path: Path
    method: str
    seconds: float
    starts: tuple[float, ...]


def probe(path: str | Path) -> Probe:
    """Codec, size, pixel format, frame rate, length and sound of an MP4.

    The length is the video stream's (its last frame's end), which is what a seam
    follows.

    Example: see the module.
    """
    av = require_av()
    with av.open(str(path)) as container:
        v = container.streams.video[0]
        end = 0
        for packet in container.demux(v):
            if packet.pts is not None:
                end = max(end, packet.pts + (packet.duration or 0))
        seconds = float(end * v.time_base) if end else float(container.duration or 0) / 1e6
        a = container.streams.audio[0] if container.streams.audio else None
        audio = None
        if a is not None:
            audio = (a.codec_context.name, a.codec_context.sample_rate, a.layout.name)
        fps = v.average_rate or v.guessed_rate or Fraction(24)
        return Probe(
            v.codec_context.name,
            v.codec_context.width,
            v.codec_context.height,
            v.codec_context.format.name if v.codec_context.format else "",
            Fraction(fps),
            seconds,
            audio,
        )


def join(clips: Sequence[str | Path], target: str | Path, *, crossfade: float = 0.0) -> Joined:
    """Join ``clips`` in order into ``target`` (MP4, ``+faststart``); blocking.

    ``crossfade`` (seconds, 0 = a cut) blends the end of each shot into the start of the
    next; each seam then shortens the film by that much.

    Example: see the module.
    """
    if not clips:
        raise HailuoError("nothing to join: no shots")
    probes = [probe(c) for c in clips]
    shortest = min(p.seconds for p in probes)
    if crossfade < 0 or (len(clips) > 1 and crossfade >= shortest / 2):
        raise HailuoError(
            f"crossfade must be between 0 and half the shortest shot ({shortest / 2:.2f} s),"
            f" got {crossfade}"
        )
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.tmp.mp4")  # .mp4: FFmpeg picks the muxer by it
    same = len({p.copy_key() for p in probes}) == 1
    try:
        if same and not crossfade:
            _copy(clips, probes, tmp)
            method = "copy"
        else:
            _encode(clips, probes, tmp, crossfade)
            method = "encode"
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    starts, t = [], 0.0
    for p in probes:
        starts.append(round(t, 6))
        t += p.seconds - crossfade
    return Joined(target, method, probe(target).seconds, tuple(starts))


def _copy(clips: Sequence[str | Path], probes: Sequence[Probe], tmp: Path) -> None:
    av = require_av()
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        outs: dict[str, Any] = {}
        offset = 0.0  # seconds: where this clip starts in the film
        last: dict[str, Fraction] = {}  # each output stream's last timestamp (seconds)
        for clip, info in zip(clips, probes, strict=True):
            with av.open(str(clip)) as src:
                streams = [src.streams.video[0], *src.streams.audio[:1]]
                for s in streams:
                    if s.type not in outs:
                        outs[s.type] = out.add_stream_from_template(s)
                for packet in src.demux(*streams):
                    if packet.dts is None and packet.pts is None:
                        continue  # the demuxer's end-of-stream marker
                    tb = packet.stream.time_base
                    shift = round(Fraction(offset).limit_denominator(10**6) / tb)
                    if packet.pts is not None:
                        packet.pts += shift
                    if packet.dts is not None:
                        packet.dts += shift
                    kind = packet.stream.type
                    # AAC's priming packet starts before zero: a later clip's would overlap
                    # the sound before it, which MP4 refuses. It is dropped at a seam (one
                    # 32 ms frame of sound); the picture's packets never overlap.
                    when = packet.dts if packet.dts is not None else packet.pts
                    if kind in last and when * tb <= last[kind]:
                        continue
                    last[kind] = when * tb
                    packet.time_base = tb
                    packet.stream = outs[kind]
                    out.mux(packet)
            # Both streams move by the picture's length: the sound stays in step with it.
            offset += info.seconds


def _encode(
    clips: Sequence[str | Path], probes: Sequence[Probe], tmp: Path, crossfade: float
) -> None:
    av = require_av()
    first = probes[0]
    fps = first.fps
    width, height = first.width - first.width % 2, first.height - first.height % 2
    fade_frames = round(crossfade * fps)
    audio = next((p.audio for p in probes if p.audio), None)
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        vs = out.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "20"})
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        # Kept aside: once the header is written the muxer gives the stream its own.
        tick = Fraction(1) / fps
        vs.time_base = tick
        # Every stream exists before the first packet: the header is written then.
        sound = None if audio is None else out.add_stream("aac", rate=audio[1], layout=audio[2])
        index = 0
        tail: list[Any] = []  # the previous shot's last frames, to blend into this one
        for n, clip in enumerate(clips):
            frames = list(_video_frames(clip, width, height))
            head, keep = frames[:fade_frames], frames
            if n and fade_frames:
                keep = [
                    _mix(a, b, (i + 1) / (fade_frames + 1))
                    for i, (a, b) in enumerate(zip(tail, head, strict=False))
                ]
                keep += frames[len(keep) :]
            last = n == len(clips) - 1
            body, tail = (
                (keep, [])
                if last or not fade_frames
                else (keep[:-fade_frames], keep[-fade_frames:])
            )
            for frame in body:
                frame.pts, frame.time_base = index, tick
                out.mux(vs.encode(frame))
                index += 1
        out.mux(vs.encode(None))
        if sound is not None and audio is not None:
            _encode_audio(out, sound, clips, probes, audio, crossfade)


def _video_frames(clip: str | Path, width: int, height: int) -> Iterator[Any]:
    av = require_av()
    with av.open(str(clip)) as src:
        for frame in src.decode(video=0):
            yield frame.reformat(width=width, height=height, format="yuv420p")


def _mix(a: Any, b: Any, k: float) -> Any:
    """``(1 - k)·a + k·b`` on yuv420p planes (YUV is affine in RGB: the same mix)."""
    av = require_av()
    import numpy as np

    x, y = a.to_ndarray().astype(np.float32), b.to_ndarray().astype(np.float32)
    mixed = ((1.0 - k) * x + k * y + 0.5).astype(np.uint8)
    return av.VideoFrame.from_ndarray(mixed, format="yuv420p")


def _encode_audio(
    out: Any,
    stream: Any,
    clips: Sequence[str | Path],
    probes: Sequence[Probe],
    audio: tuple[str, int, str],
    crossfade: float,
) -> None:
    av = require_av()
    import numpy as np

    _, rate, layout = audio
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
    channels = len(av.AudioLayout(layout).channels)
    pieces = []
    for n, (clip, info) in enumerate(zip(clips, probes, strict=True)):
        length = round((info.seconds - (crossfade if n < len(clips) - 1 else 0)) * rate)
        samples = np.zeros((channels, 0), dtype=np.float32)
        if info.audio is not None:
            with av.open(str(clip)) as src:
                for frame in src.decode(audio=0):
                    for r in resampler.resample(frame):
                        samples = np.concatenate([samples, r.to_ndarray()], axis=1)
        # Each shot's sound takes exactly its picture's time: cut or padded with silence.
        samples = samples[:, :length]
        pad = np.zeros((channels, length - samples.shape[1]), dtype=np.float32)
        pieces.append(np.concatenate([samples, pad], axis=1))
    whole = np.ascontiguousarray(np.concatenate(pieces, axis=1))
    step = 1024  # AAC's frame size
    for start in range(0, whole.shape[1], step):
        chunk = np.ascontiguousarray(whole[:, start : start + step])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate, frame.pts = rate, start
        frame.time_base = Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
