"""Joining shots: stream copy when they agree, re-encoding when not, sound, crossfade.

The clips are the emulator's own renders (real H.264 MP4s; with its AAC track where a
test needs sound), and every length is read back from the written file.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from hailuo_nb.emulator.audio import add_soundtrack
from hailuo_nb.emulator.video import VideoSpec, render_mp4
from hailuo_nb.errors import HailuoError
from hailuo_nb.story.join import join, probe

FRAME = 1 / 24


def clip(
    folder: Path,
    name: str,
    *,
    size: tuple[int, int] = (320, 180),
    seconds: float = 1.0,
    sound: bool = False,
) -> Path:
    data = render_mp4(VideoSpec(size[0], size[1], seconds, prompt=name))
    path = folder / f"{name}.mp4"
    if sound:
        add_soundtrack(data, path, name, seconds)
    else:
        path.write_bytes(data)
    return path


def audio_seconds(path: Path) -> float:
    with av.open(str(path)) as c:
        samples = sum(f.samples for f in c.decode(audio=0))
        return samples / c.streams.audio[0].sample_rate


def test_agreeing_shots_are_copied_and_last_their_sum(tmp_path: Path) -> None:
    shots = [clip(tmp_path, n, sound=True) for n in ("a", "b", "c")]
    joined = join(shots, tmp_path / "film.mp4")
    assert joined.method == "copy" and joined.starts == (0.0, 1.0, 2.0)
    film = probe(joined.path)
    assert abs(film.seconds - 3.0) <= 2 * FRAME
    assert film.audio == ("aac", 32000, "stereo")
    assert abs(audio_seconds(joined.path) - 3.0) < 0.1  # at most a 32 ms AAC frame per seam
    with av.open(str(joined.path)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 72  # every frame of every shot


def test_shots_of_different_sizes_are_reencoded_at_the_first_size(tmp_path: Path) -> None:
    shots = [clip(tmp_path, "small"), clip(tmp_path, "big", size=(640, 360), sound=True)]
    joined = join(shots, tmp_path / "film.mp4")
    film = probe(joined.path)
    assert joined.method == "encode" and (film.width, film.height) == (320, 180)
    assert abs(film.seconds - 2.0) <= FRAME
    # The silent shot gets silence, so the sound of the second stays under its picture.
    assert film.audio is not None and abs(audio_seconds(joined.path) - 2.0) < 0.1


def test_a_crossfade_blends_each_seam_and_shortens_the_film(tmp_path: Path) -> None:
    shots = [clip(tmp_path, n) for n in ("a", "b", "c")]
    joined = join(shots, tmp_path / "film.mp4", crossfade=0.25)
    assert joined.method == "encode" and joined.starts == (0.0, 0.75, 1.5)
    assert abs(probe(joined.path).seconds - 2.5) <= FRAME
    with av.open(str(joined.path)) as c:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]
    with av.open(str(shots[0])) as c:
        a_last = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)][-1]
    with av.open(str(shots[1])) as c:
        b_first = next(f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0))
    middle = frames[18 + 3 - 1]  # halfway through the first seam's six frames
    blend = (a_last + b_first) / 2
    assert np.abs(middle - blend).mean() < np.abs(middle - a_last).mean()


def test_bad_joins_say_so(tmp_path: Path) -> None:
    with pytest.raises(HailuoError, match="no shots"):
        join([], tmp_path / "film.mp4")
    shots = [clip(tmp_path, "a"), clip(tmp_path, "b")]
    with pytest.raises(HailuoError, match="crossfade must be between 0 and half"):
        join(shots, tmp_path / "film.mp4", crossfade=0.6)
    assert not (tmp_path / "film.mp4").exists()
