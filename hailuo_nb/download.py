"""Fetch a finished video into the output folder: streamed, atomic, size-checked, contained.

Provider URLs expire (AI/ML signs them for about an hour, MiniMax for 1 hour), so the
client downloads as soon as a job completes. The file is written under a temporary name and
renamed only when complete and of the announced size, so a half-written MP4 never sits
under the final name. The name comes from the job id and a short slug of the prompt, and
is checked to stay inside the output folder whatever the id or prompt contain.

Example:
    >>> video_filename("d0c5a1e2f3b4", "A red fox, running through snow!")
    'd0c5a1e2f3b4_a-red-fox-running-through-snow.mp4'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .errors import DownloadError

__all__ = [
    "DownloadError",
    "check_url",
    "refuse_non_video",
    "safe_path",
    "slug",
    "stream_to_file",
    "video_filename",
]

_CHUNK = 1 << 16


def slug(text: str, max_len: int = 40) -> str:
    """A short, file-name-safe slug of ``text`` (ASCII letters, digits, dashes).

    Example:
        >>> slug("Ünïcode & <tags>/../ok"), slug("")
        ('unicode-tags-ok', 'video')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:max_len].rstrip("-") or "video"


def video_filename(job_id: str, prompt: str) -> str:
    """``<id>_<slug>.mp4``, with the id made safe (AI/ML ids hold ``:`` and ``/``).

    An id that had to change (punctuation replaced, or cut at 80 characters) also gets 8 hex
    digits of its SHA-256, so two ids that differ only there never share a file.

    Example:
        >>> video_filename("123:minimax/hailuo-2.3", "A red fox")
        '123-minimax-hailuo-2.3-405996ff_a-red-fox.mp4'
        >>> video_filename("123/minimax:hailuo-2.3", "A red fox")
        '123-minimax-hailuo-2.3-d021cb92_a-red-fox.mp4'
        >>> video_filename("../../etc/passwd", "x")
        'etc-passwd-3754d6cb_x.mp4'
    """
    safe_id = (re.sub(r"[^A-Za-z0-9._-]+", "-", job_id).strip("-.") or "job")[:80]
    if safe_id != job_id:
        # Ids that were already safe keep their name: files saved before this rule stay found.
        # surrogatepass: an id read from JSON may hold a lone surrogate; hash it, don't fail.
        raw = job_id.encode("utf-8", "surrogatepass")
        safe_id += "-" + hashlib.sha256(raw).hexdigest()[:8]
    return f"{safe_id}_{slug(prompt)}.mp4"


def safe_path(folder: str | os.PathLike[str], name: str) -> Path:
    """``folder/name``, refusing anything that would land outside ``folder``.

    Example:
        >>> safe_path("out", "a.mp4").name
        'a.mp4'
        >>> safe_path("out", "../a.mp4")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.DownloadError: refusing to write outside out: '../a.mp4'
    """
    root = Path(folder).resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise DownloadError(f"refusing to write outside {folder}: {name!r}")
    return target


async def stream_to_file(response: httpx.Response, target: Path, *, max_bytes: int) -> int:
    """Write an open streamed ``response`` to ``target`` atomically; return the size.

    Checks the size against ``Content-Length`` (a dropped connection can end a body
    early without an error) and against ``max_bytes``.

    Example (needs a server)::

        async with http.stream("GET", url) as response:
            size = await stream_to_file(response, Path("out/a.mp4"), max_bytes=10**9)
    """
    refuse_non_video(response)
    declared = response.headers.get("content-length")
    expected = int(declared) if declared and declared.isdigit() else None
    if expected is not None and expected > max_bytes:
        raise DownloadError(f"video is {expected} bytes, over the {max_bytes}-byte cap")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".part", dir=target.parent)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in response.aiter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"video passed the {max_bytes}-byte cap")
                out.write(chunk)
        if expected is not None and size != expected:
            raise DownloadError(f"video truncated: got {size} of {expected} bytes", transient=True)
        if size == 0:
            raise DownloadError("the video is empty")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return size


def refuse_non_video(response: httpx.Response) -> None:
    """Raise a transient :class:`DownloadError` when the answer is a page, not a video.

    Gateways and object stores sometimes answer an error as a 200 with a JSON, XML or
    HTML body; saved under ``.mp4`` it would look like a finished video that never plays.
    A missing type, ``video/*`` and the binary types pass.

    Example:
        >>> refuse_non_video(httpx.Response(200, headers={"content-type": "video/mp4"}))
        >>> refuse_non_video(httpx.Response(200, json={"status": "PROCESSING"}))
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.DownloadError: the video URL answered application/json, not a video
    """
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    textual = kind.startswith("text/") or kind.endswith(("/json", "+json", "/xml", "+xml"))
    if textual:
        raise DownloadError(f"the video URL answered {kind}, not a video", transient=True)


def check_url(url: str) -> str:
    """``url`` if it is an http(s) URL, else :class:`DownloadError`.

    Example:
        >>> check_url("file:///etc/passwd")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.DownloadError: not an http(s) URL: 'file:///etc/passwd'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DownloadError(f"not an http(s) URL: {url!r}")
    return url
