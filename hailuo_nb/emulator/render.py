"""Start video renders off the event loop, once per distinct video, and find input images.

Rendering runs in a ``concurrent.futures`` thread pool rather than asyncio tasks: a
``Future`` does not belong to an event loop, so the same app can serve requests from
several loops (pytest-asyncio gives each test its own) and from uvicorn's thread.

Example:
    >>> import base64
    >>> url = "data:image/png;base64," + base64.b64encode(b"PNG").decode()
    >>> resolve_image(url, {})
    b'PNG'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ASSET_PREFIX = "/files/assets/"


def preview_size(width: int, height: int) -> tuple[int, int]:
    """The small frame used in preview mode: 320 px wide, even height, same aspect.

    Example:
        >>> preview_size(1366, 768), preview_size(1920, 1080)
        ((320, 180), (320, 180))
    """
    h = round(320 * height / width)
    return 320, h + (h % 2)


def resolve_image(ref: str | None, assets: dict[str, tuple[bytes, str]]) -> bytes | None:
    """Bytes of a first/last-frame reference we can see, else None.

    Data URLs are decoded; URLs of our own uploaded assets (any host: the client may know
    us as ``testserver`` or ``127.0.0.1``) are looked up; any other URL is unreachable
    from here, so the video is rendered without the image.
    """
    if not ref:
        return None
    if ref.startswith("data:"):
        _, _, payload = ref.partition(",")
        try:
            return base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            return None
    path = urlsplit(ref).path
    if path.startswith(ASSET_PREFIX):
        found = assets.get(path[len(ASSET_PREFIX) :])
        return found[0] if found else None
    return None


class Renderer:
    """Renders MP4 files into ``directory``; identical requests share one file.

    Example:
        >>> import tempfile
        >>> r = Renderer(Path(tempfile.mkdtemp()))
        >>> fut = r.submit(320, 180, 6, "a fox")
        >>> fut.result().suffix
        '.mp4'
    """

    def __init__(self, directory: Path, max_workers: int = 2) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="emu-render")
        self._lock = threading.Lock()
        self._futures: dict[str, Future[Path]] = {}

    def submit(
        self,
        width: int,
        height: int,
        seconds: int,
        prompt: str,
        first_frame: bytes | None = None,
        last_frame: bytes | None = None,
        seed: int = 0,
    ) -> Future[Path]:
        """Start (or join) the render of one video; the future yields its path."""
        digest = hashlib.sha256(
            repr((width, height, seconds, prompt, seed)).encode()
            + hashlib.sha256(first_frame or b"").digest()
            + hashlib.sha256(last_frame or b"").digest()
        ).hexdigest()[:24]
        with self._lock:
            fut = self._futures.get(digest)
            if fut is None or (fut.done() and fut.exception() is not None):
                target = self.directory / f"{digest}.mp4"
                fut = self._pool.submit(
                    self._render,
                    target,
                    width,
                    height,
                    seconds,
                    prompt,
                    first_frame,
                    last_frame,
                    seed,
                )
                self._futures[digest] = fut
            return fut

    @staticmethod
    def _render(
        target: Path,
        width: int,
        height: int,
        seconds: int,
        prompt: str,
        first_frame: bytes | None,
        last_frame: bytes | None,
        seed: int,
    ) -> Path:
        if target.exists():
            return target
        try:
            from .video import VideoSpec, render_mp4  # type: ignore[import-not-found,unused-ignore]  # heavy (PyAV, numpy): import on first use
        except ImportError:  # video.py is written in parallel; until it lands, plain frames
            data = _plain_mp4(width, height, seconds)
        else:
            data = render_mp4(
                VideoSpec(
                    width=width,
                    height=height,
                    seconds=seconds,
                    fps=24,
                    prompt=prompt,
                    first_frame=first_frame,
                    last_frame=last_frame,
                    seed=seed,
                )
            )
        # Write then rename, so a reader never serves a half-written file.
        tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        return target

    def close(self) -> None:
        """Stop the pool without waiting for renders nobody will ask for."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _plain_mp4(width: int, height: int, seconds: int) -> bytes:
    """A stand-in H.264 MP4 of grey frames, used only while video.py is missing."""
    import tempfile

    import av
    import numpy as np

    # faststart rewrites the file at the end, so PyAV needs a real file, not a BytesIO.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plain.mp4"
        with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as out:
            stream = out.add_stream("libx264", rate=24)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for i in range(seconds * 24):
                frame = np.full((height, width, 3), (i * 2) % 256, dtype=np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        return path.read_bytes()
