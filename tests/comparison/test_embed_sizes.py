"""An embedded comparison stays light whatever its videos (issue 18).

Real videos compress far worse than the emulator's drawn scenes, so these are noise:
the worst case for an encoder. Each tile of a 16-tile grid gets at most its share of the
grid's budget (6 MB), so 16 of them stay well under 10 MB, or the tile is linked.
"""

from __future__ import annotations

import base64
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from hailuo_nb.comparison.export import GRID_BUDGET_BYTES, Sources


def _noise(path: Path, seconds: float, smooth: int) -> Path:
    rng = np.random.default_rng(7)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(24))
        stream.width, stream.height, stream.pix_fmt = 854, 480, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        for i in range(int(seconds * 24)):
            small = rng.integers(0, 256, (480 // smooth, 854 // smooth + 1, 3), dtype=np.uint8)
            rgb = np.ascontiguousarray(small.repeat(smooth, 0).repeat(smooth, 1)[:480, :854])
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 24)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _bytes(src: str) -> int:
    return len(base64.b64decode(src.split(",", 1)[1])) if src.startswith("data:") else 0


def test_sixteen_noisy_tiles_stay_under_their_share(tmp_path: Path) -> None:
    sources = Sources(True, folder=str(tmp_path), tiles=16)
    assert sources.cap_bytes == GRID_BUDGET_BYTES // 16
    for smooth in (1, 8):  # pure noise (nothing fits: linked), then coarse noise
        video = _noise(tmp_path / f"noise{smooth}.mp4", 3, smooth)
        src, full = sources.video(str(video))
        size = _bytes(src)
        assert size <= sources.cap_bytes
        if size:  # embedded: a preview, with its full file linked beside it
            assert full == video.name
        else:  # too big even at the smallest step: linked, never a heavy notebook
            assert src == video.name and full is None
        assert 16 * size < 10_000_000
    assert (tmp_path / "previews").is_dir()
