"""A sound track for videos that have one (H3): AAC, stereo, 32 kHz, muxed after the render.

H3 outputs always carry audio (protocols-more.md §1.9: 32 kHz stereo). The renderer makes
silent H.264 files, so this adds the emulator's AAC track (:mod:`.audio`) to a finished
render: the video packets are copied (no second encode). Identical videos share one file,
as renders do.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from hailuo_nb.emulator.video import VideoSpec, render_mp4
    >>> src = Path(tempfile.mkdtemp()) / "v.mp4"
    >>> _ = src.write_bytes(render_mp4(VideoSpec(width=64, height=36, seconds=1)))
    >>> add_soundtrack(src, src.with_name("a.mp4")).name
    'a.mp4'
"""

from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import av

from . import audio

RATE = audio.SAMPLE_RATE
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emu-sound")
_lock = threading.Lock()
_jobs: dict[Path, Future[Path]] = {}


def with_soundtrack(video: Future[Path]) -> Future[Path]:
    """A future of the same video with a sound track, once ``video`` is rendered.

    Example:
        >>> f: Future[Path] = Future()
        >>> with_soundtrack(f).done()
        False
    """
    result: Future[Path] = Future()

    def chain(done: Future[Path]) -> None:
        try:
            src = done.result()
        except Exception as exc:  # a failed (or cancelled) render fails the job the same way
            result.set_exception(exc)
            return
        inner = _mux_once(src)
        inner.add_done_callback(lambda f: _copy(f, result))

    video.add_done_callback(chain)
    return result


def _copy(source: Future[Path], target: Future[Path]) -> None:
    exc = source.exception()
    if exc is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())


def _mux_once(src: Path) -> Future[Path]:
    target = src.with_name(f"{src.stem}.aac.mp4")
    with _lock:
        fut = _jobs.get(target)
        if fut is None or (fut.done() and fut.exception() is not None):
            fut = _pool.submit(_mux_file, src, target)
            _jobs[target] = fut
        return fut


def _mux_file(src: Path, target: Path) -> Path:
    if target.exists():
        return target
    # Same directory and .mp4 suffix: FFmpeg picks the muxer by name, the rename is atomic.
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp.mp4")
    try:
        add_soundtrack(src, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def add_soundtrack(src: Path, dst: Path) -> Path:
    """Write ``src``'s video with a stereo AAC track as long as the video to ``dst``.

    The muxing is :func:`hailuo_nb.emulator.audio.add_soundtrack`'s, the emulator's one
    sound track (MiniMax's H3 uses it too); the file's name stands in for the prompt.
    """
    with av.open(str(src)) as inp:
        vin = inp.streams.video[0]
        seconds = float(vin.duration * vin.time_base) if vin.duration else 1.0
    audio.add_soundtrack(src.read_bytes(), dst, src.stem, seconds)
    return dst
