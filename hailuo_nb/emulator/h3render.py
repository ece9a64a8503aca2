"""Render H3 videos (picture + sound) off the event loop, once per distinct video.

Like ``render.Renderer`` but for H3's outputs: a frame count rather than whole seconds
(768P runs on a 17n+5 frame grid) and an AAC stereo 32 kHz soundtrack that preview mode
never shortens. Each app's ``Renderer`` gets one ``H3Renderer`` beside it (``for_renderer``),
writing into a ``h3`` folder of the same directory.

Example:
    >>> import tempfile
    >>> r = H3Renderer(Path(tempfile.mkdtemp()))
    >>> path = r.submit(H3Video(64, 32, 24, "a fox")).result()
    >>> path.suffix
    '.mp4'
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .render import Renderer

FPS = 24

_attached: weakref.WeakKeyDictionary[Renderer, H3Renderer] = weakref.WeakKeyDictionary()
_attach_lock = threading.Lock()


@dataclass(frozen=True)
class H3Video:
    """One output: picture size, frames at 24 fps, what it shows and sounds like."""

    width: int
    height: int
    frames: int
    prompt: str
    first_frame: bytes | None = None
    last_frame: bytes | None = None
    seed: int = 0

    @property
    def seconds(self) -> float:
        """Length of picture and sound."""
        return self.frames / FPS

    def digest(self) -> str:
        h = hashlib.sha256(repr((self.width, self.height, self.frames, self.prompt)).encode())
        h.update(repr(self.seed).encode())
        for image in (self.first_frame, self.last_frame):
            h.update(b"-" if image is None else hashlib.sha256(image).digest())
        return h.hexdigest()[:24]


class H3Renderer:
    """Renders ``H3Video``s into ``directory``; identical requests share one file."""

    def __init__(self, directory: Path, max_workers: int = 2) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="emu-h3")
        self._lock = threading.Lock()
        self._futures: dict[str, Future[Path]] = {}

    def submit(self, video: H3Video) -> Future[Path]:
        """Start (or join) the render of ``video``; the future yields its path."""
        digest = video.digest()
        with self._lock:
            fut = self._futures.get(digest)
            if fut is None or (fut.done() and fut.exception() is not None):
                fut = self._pool.submit(self._render, video, self.directory / f"{digest}.mp4")
                self._futures[digest] = fut
            return fut

    @staticmethod
    def _render(video: H3Video, target: Path) -> Path:
        if target.exists():
            return target
        # Heavy (PyAV, numpy): imported on first use, as render.Renderer does.
        from .audio import add_soundtrack
        from .video import VideoSpec, render_mp4

        picture = render_mp4(
            VideoSpec(
                width=video.width,
                height=video.height,
                seconds=video.seconds,
                fps=FPS,
                prompt=video.prompt,
                first_frame=video.first_frame,
                last_frame=video.last_frame,
                seed=video.seed,
            )
        )
        # The .mp4 suffix picks FFmpeg's muxer; the rename makes the file appear whole.
        tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp.mp4")
        try:
            add_soundtrack(picture, tmp, video.prompt, video.seconds)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def close(self) -> None:
        """Stop the pool without waiting for renders nobody will ask for."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def for_renderer(renderer: Renderer) -> H3Renderer:
    """The ``H3Renderer`` that belongs with ``renderer`` (made on first use).

    Example:
        >>> import tempfile
        >>> base = Renderer(Path(tempfile.mkdtemp()))
        >>> for_renderer(base) is for_renderer(base)
        True
    """
    with _attach_lock:
        found = _attached.get(renderer)
        if found is None:
            found = _attached[renderer] = H3Renderer(renderer.directory / "h3")
        return found
