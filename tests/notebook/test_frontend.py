"""Where the notebook is drawn decides how the video travels (issue 18).

Through a real IPython shell, the real client and the in-process emulator: VS Code and
Colab get an embedded light preview (plus a link to the full file), JupyterLab a link;
Colab cells wait in the foreground and read keys from Colab's secrets.
"""

from __future__ import annotations

import base64
import io
import itertools
import re
import sys
import types
from pathlib import Path

import av
import pytest

from hailuo_nb.notebook.preview import make_preview
from hailuo_nb.notebook.registry import session_for

from .test_magic import Shell, final_of

VIDEO_SRC = re.compile(r'<video[^>]*\bsrc="([^"]+)"')


def _video_src(html: str) -> str:
    found = VIDEO_SRC.search(html)
    assert found, html[:400]
    return found.group(1)


def _height(data: bytes, tmp: Path) -> tuple[int, int]:
    path = tmp / "embedded.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as c:
        return c.streams.video[0].height, len(c.streams.audio)


def test_jupyterlab_links_the_file(shell: Shell) -> None:
    sh, rec = shell
    assert session_for(sh).frontend() == "jupyterlab"
    sh.run_cell_magic("hailuo", "--wait -o fox", "a red fox in snow")
    html = final_of(rec, sh.user_ns["fox"])["text/html"]
    assert _video_src(html).startswith("videos/") and "full size" not in html


@pytest.mark.parametrize("how", ["setting", "detected"])
def test_vscode_embeds_a_light_preview_and_links_the_full_file(
    shell: Shell, tmp_path: Path, how: str
) -> None:
    sh, rec = shell
    if how == "setting":
        sh.run_line_magic("config", 'Hailuo.frontend = "vscode"')
    else:  # what VS Code's Jupyter extension puts in the kernel's namespace
        sh.user_ns["__vsc_ipynb_file__"] = str(tmp_path / "a.ipynb")
    try:
        assert session_for(sh).frontend() == "vscode"
        sh.run_cell_magic("hailuo", "--wait -o fox", "a red fox in snow")
    finally:
        sh.user_ns.pop("__vsc_ipynb_file__", None)
    fox = sh.user_ns["fox"]
    html = final_of(rec, fox)["text/html"]
    src = _video_src(html)
    assert src.startswith("data:video/mp4;base64,")
    data = base64.b64decode(src.split(",", 1)[1])
    assert len(data) <= 2_000_000 and _height(data, tmp_path)[0] <= 480
    link = re.search(r'full size: <a href="([^"]+)"', html)
    assert link and (tmp_path / link.group(1)).resolve() == Path(fox.video_path).resolve()
    assert Path(fox.video_path).is_file()  # the full file stays in the output folder


def test_embed_false_wins_over_auto(shell: Shell) -> None:
    sh, rec = shell
    sh.run_line_magic("config", 'Hailuo.frontend = "vscode"')
    sh.run_line_magic("config", "Hailuo.embed = False")
    sh.run_cell_magic("hailuo", "--wait -o fox", "a red fox in snow")
    assert _video_src(final_of(rec, sh.user_ns["fox"])["text/html"]).startswith("videos/")


def test_a_video_over_the_cap_is_linked_with_its_frame(shell: Shell) -> None:
    sh, rec = shell
    sh.run_line_magic("config", "Hailuo.embed = True")
    sh.run_line_magic("config", "Hailuo.preview_max_bytes = 1000")
    sh.run_cell_magic("hailuo", "--wait -o fox", "a red fox in snow")
    html = final_of(rec, sh.user_ns["fox"])["text/html"]
    assert _video_src(html).startswith("videos/")
    assert '<img class="hailuo-still" src="data:image/jpeg;base64,' in html
    assert Path(sh.user_ns["fox"].video_path).name in html  # the file is named


def test_colab_waits_in_the_foreground_and_reads_its_secrets(
    shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    sh, rec = shell
    secret = "sk-colab-SECRET-42"
    # Colab's own module, as Colab provides it (only its public ``get``).
    userdata = types.ModuleType("google.colab.userdata")
    userdata.get = {"SEGMIND_API_KEY": secret}.__getitem__  # type: ignore[attr-defined]
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)
    session = session_for(sh)
    assert session.frontend() == "colab"

    sh.run_cell_magic("hailuo", "-o fox", "a red fox in snow")  # no --wait
    fox = sh.user_ns["fox"]
    assert fox.status == "completed"  # the cell waited: the live view repaints meanwhile
    html = final_of(rec, fox)["text/html"]
    assert _video_src(html).startswith("data:video/mp4;base64,")

    import hailuo_nb

    cmp = hailuo_nb.compare(["an owl", "a boat"], confirm_above_usd=None)
    assert all(j.status == "completed" for j in cmp.jobs)  # compare() waited too

    session.client("segmind")  # asks for the key: from the secrets, no prompt
    assert session.has_key("segmind") == "from Colab secrets"
    sh.run_line_magic("hailuo", "config")
    assert secret not in repr(rec.messages)


def test_preview_keeps_the_sound(tmp_path: Path) -> None:
    from hailuo_nb.emulator.soundtrack import add_soundtrack
    from hailuo_nb.emulator.video import VideoSpec, render_mp4

    silent = tmp_path / "v.mp4"
    silent.write_bytes(render_mp4(VideoSpec(width=1366, height=768, seconds=2, prompt="fox")))
    loud = add_soundtrack(silent, tmp_path / "h3.mp4")
    light = make_preview(loud)
    assert light is not None and light.parent.name == "previews"
    assert _height(light.read_bytes(), tmp_path) == (480, 1)
    with av.open(str(light)) as c:  # timestamps kept: it lasts as long as the original
        assert c.duration is not None and abs(c.duration / 1e6 - 2.0) < 0.1
    data = light.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")  # faststart: playable before the end


def test_the_static_fallback_is_a_strip_of_four_frames_across_the_video(
    tmp_path: Path,
) -> None:
    from PIL import Image, ImageChops

    from hailuo_nb.emulator.video import VideoSpec, render_mp4
    from hailuo_nb.notebook.media import poster_for, strip_src

    video = tmp_path / "v.mp4"
    video.write_bytes(render_mp4(VideoSpec(width=320, height=180, seconds=4, prompt="fox")))
    poster, _ = poster_for(video)
    src = strip_src(video, poster)
    assert src.startswith("data:image/jpeg;base64,")
    strip = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L")
    assert strip.size == (640, 88)  # four 157 x 88 frames, 4 px apart
    frames = [strip.crop((i * 161, 0, i * 161 + 157, 88)) for i in range(4)]
    moved = [ImageChops.difference(a, b).getbbox() for a, b in itertools.pairwise(frames)]
    assert all(moved), "the four frames are the same picture: not across the video"
    # Without a readable video, the first frame (the poster) stands alone.
    assert strip_src(tmp_path / "missing.mp4", poster).startswith("data:image/jpeg;base64,")


def test_every_new_source_is_escaped() -> None:
    from hailuo_nb import display
    from hailuo_nb.comparison import render
    from hailuo_nb.models import Job

    evil = '"><script>x()</script><img src=x onerror="y()">'
    done = Job(id=evil, provider="p", model="m", status="completed", params={"prompt": evil})
    pages = [
        display.final_html(
            done, video_src=evil, poster_src=evil, full_src=evil, still_src=evil, path=evil
        ),
        render.figure_html(
            [("prompt", evil)], status="completed", video_src=evil, poster_src=evil,
            full_src=evil, file_name=evil, still_src=evil, job_id=evil,
        ),
    ]  # fmt: skip
    for page in pages:
        assert "<script" not in page and 'onerror="' not in page
        assert page.count("<img") == 1 and '<img class="hailuo-still"' in page
