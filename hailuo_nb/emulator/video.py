"""Placeholder videos for the emulator: real H.264 MP4s drawn from a prompt or an image.

A video is either a *scene* derived from the prompt (colours and shapes seeded from a hash
of the prompt, a slow camera pan, the prompt written on it) or, with a first-frame image,
a slow zoom over that image that cross-fades into the last-frame image when one is given.
Files are H.264, yuv420p, ``movflags=+faststart`` (browsers start playing before the end of
the file), exactly ``width``×``height`` at ``fps`` frames per second.

Speed matters because every emulated job renders one: static layers (background, text)
are drawn once with Pillow, frames are cut from them with numpy slicing, and x264 runs
with preset ``veryfast``.

Example:
    >>> spec = VideoSpec(width=64, height=36, seconds=0.5, prompt="a red fox")
    >>> data = render_mp4(spec)
    >>> data[4:8]
    b'ftyp'
"""

from __future__ import annotations

import asyncio
import colorsys
import hashlib
import io
import math
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

__all__ = ["VideoCache", "VideoSpec", "render_mp4"]

Frame = npt.NDArray[np.uint8]
#: A moving picture: time in [0, 1] → one frame.
Clip = Callable[[float], av.VideoFrame]

#: x264 settings: ``veryfast`` at crf 26 keeps a 6 s 768p placeholder well under 1.5 MB and
#: its encode near 2 s on two cores; slower presets buy quality nobody looks at here.
_X264 = {"preset": "veryfast", "crf": "26"}
#: How much larger than the frame the image canvas is, i.e. how far the slow zoom goes in.
_ZOOM = 1.12
#: How much larger than the frame the scene canvas is, i.e. how far the camera pans.
_PAN = 0.12


@dataclass(frozen=True)
class VideoSpec:
    """What to render: size, length, and what the video shows.

    ``first_frame``/``last_frame`` are encoded images (PNG, JPEG, WebP…); bytes Pillow
    cannot read are ignored (the video then shows the prompt scene), because the emulator
    must answer with *a* video whatever a client uploaded.

    Example:
        >>> VideoSpec(width=1366, height=768, seconds=6).frame_count
        144
    """

    width: int
    height: int
    seconds: float
    fps: int = 24
    prompt: str = ""
    first_frame: bytes | None = None
    last_frame: bytes | None = None
    seed: int = 0

    @property
    def frame_count(self) -> int:
        """Number of frames: ``seconds × fps``, at least one.

        Example:
            >>> VideoSpec(width=320, height=180, seconds=10).frame_count
            240
        """
        return max(1, round(self.seconds * self.fps))

    def digest(self) -> str:
        """A stable hex name for this spec (images enter by their SHA-256).

        Example:
            >>> a = VideoSpec(width=320, height=180, seconds=6, prompt="fox")
            >>> a.digest() == VideoSpec(320, 180, 6.0, prompt="fox").digest()
            True
        """
        h = hashlib.sha256()
        h.update(repr((self.width, self.height, float(self.seconds), self.fps)).encode())
        h.update(repr((self.prompt, self.seed)).encode())
        for image in (self.first_frame, self.last_frame):
            h.update(b"-" if image is None else hashlib.sha256(image).digest())
        return h.hexdigest()[:32]


def render_mp4(spec: VideoSpec) -> bytes:
    """Render ``spec`` to MP4 bytes (blocking; about 3 s for 6 s at 1366×768 on 2 cores).

    Example:
        >>> data = render_mp4(VideoSpec(width=64, height=36, seconds=0.25))
        >>> b"moov" in data and b"mdat" in data
        True
    """
    # faststart moves the index to the front after encoding by re-reading the output, which
    # FFmpeg does on a real file, not on a Python stream.
    with tempfile.TemporaryDirectory(prefix="hailuo-video-") as tmp:
        path = Path(tmp) / "video.mp4"
        _encode(spec, path)
        return path.read_bytes()


class VideoCache:
    """Renders videos into ``directory`` in a thread pool, once per distinct spec.

    Concurrent ``get`` calls for the same spec share one render; a file already in the
    directory (from an earlier run) is reused. A failed render is retried by the next
    ``get``. Files appear atomically (written to a temporary name, then renamed), so a
    server never sends half a video.

    Example:
        >>> import asyncio, tempfile
        >>> cache = VideoCache(Path(tempfile.mkdtemp()))
        >>> spec = VideoSpec(width=64, height=36, seconds=0.25, prompt="fox")
        >>> path = asyncio.run(cache.get(spec))
        >>> path.suffix, path == asyncio.run(cache.get(spec))
        ('.mp4', True)
        >>> cache.close()
    """

    def __init__(self, directory: Path, max_workers: int = 2) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="emu-video")
        # A concurrent Future (not an asyncio one) so gets from different event loops
        # (pytest gives each test its own, uvicorn runs in its thread) can share a render.
        self._lock = threading.Lock()
        self._renders: dict[str, Future[Path]] = {}
        #: How many renders were started (a test or a stats page can check sharing).
        self.renders = 0

    def path_for(self, spec: VideoSpec) -> Path:
        """Where ``spec``'s video is (or will be) stored.

        Example:
            >>> VideoCache(Path("/tmp/v")).path_for(VideoSpec(64, 36, 1)).suffix
            '.mp4'
        """
        return self.directory / f"{spec.digest()}.mp4"

    async def get(self, spec: VideoSpec) -> Path:
        """The path of ``spec``'s video, rendering it first if needed.

        Example:
            >>> import asyncio, tempfile
            >>> cache = VideoCache(Path(tempfile.mkdtemp()))
            >>> asyncio.run(cache.get(VideoSpec(64, 36, 0.25))).exists()
            True
        """
        target = self.path_for(spec)
        with self._lock:
            future = self._renders.get(target.name)
            # A finished render is trusted only through its file: that covers a failed
            # render (retried), a file from an earlier run (reused) and a deleted one.
            if future is None or future.done():
                if target.exists():
                    return target
                future = self._pool.submit(self._render, spec, target)
                self._renders[target.name] = future
                self.renders += 1
        # shield: one caller giving up (a cancelled request) must not cancel the render
        # that other callers are waiting for.
        return await asyncio.shield(asyncio.wrap_future(future))

    def close(self) -> None:
        """Stop the pool; renders nobody has started yet are dropped.

        Example:
            >>> VideoCache(Path(tempfile.mkdtemp())).close()
        """
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _render(spec: VideoSpec, target: Path) -> Path:
        # The temporary name keeps the .mp4 suffix so FFmpeg picks the MP4 muxer, and lives
        # in the same directory so the rename is atomic.
        tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp.mp4")
        try:
            _encode(spec, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target


# --- encoding -------------------------------------------------------------------------


def _encode(spec: VideoSpec, path: Path) -> None:
    """Write ``spec`` as an H.264 MP4 to ``path``."""
    if spec.width <= 0 or spec.height <= 0 or spec.width % 2 or spec.height % 2:
        # yuv420p halves the chroma planes: x264 refuses odd sizes.
        raise ValueError(
            f"width and height must be positive and even, not {spec.width}x{spec.height}"
        )
    if spec.fps <= 0 or spec.seconds <= 0:
        raise ValueError(f"seconds and fps must be positive, not {spec.seconds} s at {spec.fps}")
    time_base = Fraction(1, spec.fps)
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=spec.fps, options=dict(_X264))
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.time_base = time_base
        for index, frame in enumerate(_frames(spec)):
            frame.pts, frame.time_base = index, time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _frames(spec: VideoSpec) -> Iterator[av.VideoFrame]:
    """The video's frames (rgb24 or yuv420p; the encoder converts what it must)."""
    size = (spec.width, spec.height)
    first = _decode(spec.first_frame)
    last = _decode(spec.last_frame)
    rng = np.random.default_rng(_seed(spec))
    n = spec.frame_count
    ts = [i / (n - 1) if n > 1 else 0.0 for i in range(n)]
    if first is not None:
        start = _zoom(_cover(first, size), size, _anchor(rng), zoom_in=True)
    else:
        start = _scene(spec, rng)
    if last is None:
        yield from (start(t) for t in ts)
        return
    # Toward the last frame: it zooms out to rest exactly on the image while the start
    # fades away, so the final frame is the last-frame image itself. The fade takes the
    # middle 60 %: each picture is seen clearly for a while, and the ends cost one
    # scaling per frame instead of two plus a blend.
    end = _zoom(_cover(last, size), size, _anchor(rng), zoom_in=False)
    for t in ts:
        k = _ease((t - 0.2) / 0.6)
        if k <= 0.0:
            yield start(t)
        elif k >= 1.0:
            yield end(t)
        else:
            yield _blend(start(t), end(t), k)


def _blend(a: av.VideoFrame, b: av.VideoFrame, k: float) -> av.VideoFrame:
    """``(1 - k)·a + k·b``, computed on yuv420p planes.

    YUV is an affine function of RGB, so mixing in YUV equals mixing in RGB; it saves a
    colour conversion, and Pillow's blend on the planes as one grey image is ~2 ms.
    """
    planes = [
        Image.fromarray(f.to_ndarray() if f.format.name == "yuv420p" else _to_yuv(f).to_ndarray())
        for f in (a, b)
    ]
    mixed = np.asarray(Image.blend(planes[0], planes[1], k))
    return av.VideoFrame.from_ndarray(mixed, format="yuv420p")


def _to_yuv(frame: av.VideoFrame) -> av.VideoFrame:
    return frame.reformat(format="yuv420p")


def _ease(t: float) -> float:
    """Cosine ease in/out: motion starts and stops gently."""
    return 0.5 - 0.5 * math.cos(math.pi * min(max(t, 0.0), 1.0))


def _seed(spec: VideoSpec) -> int:
    """Everything random about a video follows from its prompt, seed and images.

    Not from its size or length: a preview shows the same scene as the full video.
    """
    h = hashlib.sha256(repr((spec.prompt, spec.seed)).encode())
    for image in (spec.first_frame, spec.last_frame):
        h.update(b"-" if image is None else hashlib.sha256(image).digest())
    return int.from_bytes(h.digest()[:8], "big")


def _even(x: float) -> int:
    return 2 * round(x / 2)


# --- image mode -----------------------------------------------------------------------


def _decode(data: bytes | None) -> Image.Image | None:
    """An RGB image from encoded bytes, upright per EXIF; None if Pillow cannot read it."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` scaled to cover ``size`` × ``_ZOOM`` (even sides), centre-cropped.

    The extra ``_ZOOM`` lets the zoom reach its closest framing without upscaling.
    """
    w, h = size
    cw, ch = 2 * math.ceil(w * _ZOOM / 2), 2 * math.ceil(h * _ZOOM / 2)
    iw, ih = image.size
    scale = max(cw / iw, ch / ih)
    bw, bh = cw / scale, ch / scale
    # Clamped: cw / (cw / iw) may come back a hair above iw, and Pillow refuses a box that
    # starts at -1e-14 ("box offset can't be negative": hosted H3 renders from a frame).
    box = (
        max(0.0, (iw - bw) / 2),
        max(0.0, (ih - bh) / 2),
        min(float(iw), (iw + bw) / 2),
        min(float(ih), (ih + bh) / 2),
    )
    # reducing_gap: a 4000 px photo is first shrunk by whole factors, which is much faster.
    return image.resize((cw, ch), Image.Resampling.BICUBIC, box=box, reducing_gap=3.0)


def _anchor(rng: np.random.Generator) -> tuple[float, float]:
    """Where the zoom closes in (fractions of the canvas): near the centre, seeded."""
    x, y = rng.uniform(0.3, 0.7, size=2)
    return float(x), float(y)


def _zoom(
    canvas: Image.Image, size: tuple[int, int], anchor: tuple[float, float], *, zoom_in: bool
) -> Clip:
    """A slow zoom over ``canvas``: in, from the whole canvas toward ``anchor``; or out, the
    reverse, ending on the whole canvas (so the first or last frame is the full image).

    Each frame is an integer crop of the canvas's yuv420p planes scaled by swscale: about
    5 ms at 768p, where Pillow's sub-pixel ``resize(box=...)`` plus the RGB→YUV conversion
    took 24 ms. Crops move in 2 px steps (chroma is subsampled), too small to see.
    """
    cw, ch = canvas.size
    y, u, v = _planes(np.asarray(canvas))
    w, h = size

    def frame(t: float) -> av.VideoFrame:
        p = _ease(t if zoom_in else 1.0 - t)
        scale = 1.0 + (1.0 / _ZOOM - 1.0) * p
        bw, bh = min(_even(cw * scale), cw), min(_even(ch * scale), ch)
        x0 = min(max(_even(cw / 2 + (anchor[0] - 0.5) * cw * p - bw / 2), 0), cw - bw)
        y0 = min(max(_even(ch / 2 + (anchor[1] - 0.5) * ch * p - bh / 2), 0), ch - bh)
        cx, cy = x0 // 2, y0 // 2
        crop = np.concatenate(
            (
                y[y0 : y0 + bh, x0 : x0 + bw].ravel(),
                u[cy : cy + bh // 2, cx : cx + bw // 2].ravel(),
                v[cy : cy + bh // 2, cx : cx + bw // 2].ravel(),
            )
        ).reshape(bh * 3 // 2, bw)
        cut = av.VideoFrame.from_ndarray(crop, format="yuv420p")
        return cut.reformat(width=w, height=h, interpolation="BILINEAR")

    return frame


# --- scene mode -----------------------------------------------------------------------


def _scene(spec: VideoSpec, rng: np.random.Generator) -> Clip:
    """A camera panning slowly over a seeded scene, with the prompt written on top.

    Frames are cut straight from the scene's yuv420p planes, so the encoder has no colour
    conversion left to do (that was a third of the time at 1080p).
    """
    w, h = spec.width, spec.height
    mx, my = max(2, _even(w * _PAN)), max(2, _even(h * _PAN))
    y, u, v = _planes(_backdrop(w + mx, h + my, rng))
    text = _text_layer(spec.prompt, (w, h))
    # Pan from one corner region toward the opposite one, seeded, so prompts differ in
    # motion as well as in colour.
    x0, y0 = rng.uniform(0.0, 0.35, size=2)
    if rng.random() < 0.5:
        x0 = 1.0 - x0
    x1, y1 = 1.0 - x0, 1.0 - y0

    def frame(t: float) -> av.VideoFrame:
        p = _ease(t)
        ox = round(mx * (x0 + (x1 - x0) * p))
        oy = round(my * (y0 + (y1 - y0) * p))
        buf = np.empty(w * h * 3 // 2, np.uint8)
        out = (
            buf[: w * h].reshape(h, w),
            buf[w * h : w * h * 5 // 4].reshape(h // 2, w // 2),
            buf[w * h * 5 // 4 :].reshape(h // 2, w // 2),
        )
        out[0][:] = y[oy : oy + h, ox : ox + w]
        # Luma moves in 1 px steps; chroma, at half resolution, can only follow in 2 px
        # steps. Half a chroma pixel of lag on a blurred backdrop is invisible, and a
        # 1 px luma step keeps a slow pan smooth.
        out[1][:] = u[oy // 2 : oy // 2 + h // 2, ox // 2 : ox // 2 + w // 2]
        out[2][:] = v[oy // 2 : oy // 2 + h // 2, ox // 2 : ox // 2 + w // 2]
        for plane, (top, left, premult, inverse) in zip(out, text, strict=False):
            # zip stops at once when there is no text (an empty prompt).
            region = plane[top : top + premult.shape[0], left : left + premult.shape[1]]
            region[:] = (region.astype(np.uint16) * inverse + premult) >> 8
        return av.VideoFrame.from_ndarray(buf.reshape(h * 3 // 2, w), format="yuv420p")

    return frame


def _planes(rgb: Frame) -> tuple[Frame, Frame, Frame]:
    """The Y, U, V planes (yuv420p, as the encoder wants them) of an even-sized RGB image."""
    h, w = rgb.shape[:2]
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    flat = np.asarray(frame.reformat(format="yuv420p").to_ndarray(), dtype=np.uint8).ravel()
    return (
        flat[: w * h].reshape(h, w),
        flat[w * h : w * h * 5 // 4].reshape(h // 2, w // 2),
        flat[w * h * 5 // 4 :].reshape(h // 2, w // 2),
    )


def _backdrop(width: int, height: int, rng: np.random.Generator) -> Frame:
    """A diagonal gradient in two seeded hues with soft seeded shapes on it."""
    hue = float(rng.random())
    top = _rgb(hue, 0.55, 0.35)
    bottom = _rgb(hue + float(rng.uniform(0.12, 0.4)), 0.6, 0.75)
    angle = float(rng.uniform(0.0, math.pi))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = xs / width * math.cos(angle) + ys / height * math.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    base = np.asarray(top, np.float32) + (np.asarray(bottom, np.float32) - top) * ramp[..., None]
    image = Image.fromarray(base.astype(np.uint8), "RGB")

    shapes = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    unit = min(width, height)
    for _ in range(int(rng.integers(5, 10))):
        r = float(rng.uniform(0.08, 0.3)) * unit
        cx, cy = float(rng.uniform(0, width)), float(rng.uniform(0, height))
        colour = (*_rgb(hue + float(rng.uniform(-0.25, 0.5)), 0.6, 0.9), int(rng.integers(70, 170)))
        box = (cx - r, cy - r * float(rng.uniform(0.6, 1.0)), cx + r, cy + r)
        if rng.random() < 0.6:
            draw.ellipse(box, fill=colour)
        else:
            draw.rounded_rectangle(box, radius=r / 3, fill=colour)
    # Soft edges: hard shapes shimmer once x264 has had its way with them.
    shapes = shapes.filter(ImageFilter.GaussianBlur(max(1.0, unit / 90)))
    image.paste(shapes, (0, 0), shapes)
    return np.asarray(image)


def _rgb(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


# --- the prompt, drawn once -----------------------------------------------------------

#: Per plane (Y, U, V): top, left, colour × alpha and 256 − alpha (alpha on 0..256, so
#: blending is a shift, not a division). Empty for an empty prompt.
TextLayer = list[tuple[int, int, npt.NDArray[np.uint16], npt.NDArray[np.uint16]]]


def _text_layer(prompt: str, size: tuple[int, int]) -> TextLayer:
    """The prompt, wrapped and centred on a translucent panel, as yuv420p planes."""
    words = prompt.split()
    if not words:
        return []
    w, h = size
    max_width = w * 0.84
    # Relative to the short side, so portrait frames do not get giant letters.
    font_size = max(12, min(w, h) // 14)
    floor = max(10, min(w, h) // 30)
    advance = _Advance()
    # Shrink the font for long prompts, down to a floor that stays legible, then cut.
    while True:
        line_height = font_size * 1.25
        rows = max(1, int(h * 0.8 // line_height))

        def fits(text: str, size: int = font_size) -> bool:
            return advance(text, size) <= max_width

        lines = _wrap(words, fits, limit=rows + 1)
        if len(lines) <= rows or font_size <= floor:
            break
        font_size = max(floor, int(font_size * 0.85))
    if len(lines) > rows:
        lines = lines[:rows]
        lines[-1] = _ellipsize(lines[-1], fits)
    font = ImageFont.load_default(size=font_size)

    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    block_w = max(draw.textlength(line, font=font) for line in lines)
    block_h = line_height * len(lines)
    pad = font_size * 0.6
    left, top = (w - block_w) / 2, (h - block_h) / 2
    draw.rounded_rectangle(
        (left - pad, top - pad, left + block_w + pad, top + block_h + pad),
        radius=pad,
        fill=(0, 0, 0, 130),
    )
    stroke = max(1, font_size // 16)
    for i, line in enumerate(lines):
        x = (w - draw.textlength(line, font=font)) / 2
        y = top + i * line_height + line_height / 2
        draw.text(
            (x, y),
            line,
            font=font,
            fill=(255, 255, 255, 255),
            anchor="lm",
            stroke_width=stroke,
            stroke_fill=(0, 0, 0, 255),
        )

    bbox = layer.getbbox()
    if bbox is None:
        return []
    # Even bounds, so the block maps onto whole chroma pixels.
    x0, y0 = bbox[0] - bbox[0] % 2, bbox[1] - bbox[1] % 2
    x1, y1 = bbox[2] + bbox[2] % 2, bbox[3] + bbox[3] % 2
    rgba = np.asarray(layer.crop((x0, y0, x1, y1)))
    alpha = rgba[..., 3].astype(np.uint16)
    alpha += alpha > 127
    half = alpha.reshape(alpha.shape[0] // 2, 2, alpha.shape[1] // 2, 2).mean(axis=(1, 3))
    chroma_alpha = np.rint(half).astype(np.uint16)
    planes = _planes(rgba[..., :3])
    layer_planes: TextLayer = [(y0, x0, planes[0].astype(np.uint16) * alpha, 256 - alpha)]
    for plane in planes[1:]:
        premult = plane.astype(np.uint16) * chroma_alpha
        layer_planes.append((y0 // 2, x0 // 2, premult, 256 - chroma_alpha))
    return layer_planes


class _Advance:
    """Text widths at any size from per-character advances measured once.

    Pillow's ``getlength`` costs ~100 µs a call; wrapping a 2,000-character prompt at a
    few candidate sizes took half a second. Advances scale linearly with the size and
    ignore kerning, a few pixels that the margins absorb.

    Example:
        >>> advance = _Advance()
        >>> advance("mm", 40) == 2 * advance("m", 40), advance("m", 40) > advance("i", 40)
        (True, True)
    """

    _REFERENCE = 100

    def __init__(self) -> None:
        self._font = ImageFont.load_default(size=self._REFERENCE)
        self._widths: dict[str, float] = {}

    def __call__(self, text: str, size: float) -> float:
        widths = self._widths
        total = 0.0
        for char in text:
            width = widths.get(char)
            if width is None:
                width = widths[char] = float(self._font.getlength(char))
            total += width
        return total * size / self._REFERENCE


def _wrap(words: list[str], fits: Callable[[str], bool], limit: int) -> list[str]:
    """Greedy word wrap; a word wider than a line is broken between characters.

    Stops after ``limit`` lines: the rest would be cut anyway.
    """
    lines: list[str] = []
    current = ""
    for word in words:
        if len(lines) >= limit:
            break
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if current and not fits(current + char):
                lines.append(current)
                current = ""
                if len(lines) >= limit:
                    break
            current += char
    if current:
        lines.append(current)
    return lines[:limit]


def _ellipsize(line: str, fits: Callable[[str], bool]) -> str:
    """``line`` cut so that it ends with an ellipsis and still fits."""
    while line and not fits(line + "…"):
        line = line[:-1]
    return line.rstrip() + "…"
