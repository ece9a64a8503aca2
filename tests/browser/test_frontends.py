"""The same saved notebook where people open it (issue 18), in headless Chromium.

A notebook with a ``%%hailuo`` cell, an H3 cell with sound (``-m MiniMax-H3 --duration 8
--ratio 9:16``) and a 2 × 2 comparison is executed headless against the emulator, once
per module (a module-scoped fixture shared by every test here), in two flavours: as
JupyterLab does it (``Hailuo.frontend = "auto"``, detected: videos linked) and as VS Code
or Colab do (``frontend = "vscode"``: light previews embedded). Their outputs are then
drawn the way each front end draws them:

(a) JupyterLab itself: every video plays, and the first-frame ``<img>`` is not drawn too
    (also in an untrusted copy, whose HTML JupyterLab sanitizes);
(b) Colab: each output alone in ``<iframe sandbox="allow-scripts" srcdoc>`` on a page
    from another folder: no file is reachable, the embedded videos play from their data;
(c) VS Code: the outputs on a page whose base URL is not the notebook's folder;
(d) GitHub / nbviewer: nbconvert's HTML served with ``Content-Security-Policy:
    media-src 'none'; script-src 'none'``, and GitHub's sanitizer (which removes
    ``<video>`` but keeps what is inside it): the picture (a cell's strip of four frames,
    a comparison tile's first frame) and the caption with the file name are visible.

Each checks what a user sees (``currentTime`` advances; the H3 video, unmuted and
clicked, decodes sound; the comparison's four tiles stand two by two; an image has a
natural size and a box on screen) and leaves screenshots in ``artifacts/front-*.png``
(``front-*-h3.png`` and ``front-*-compare.png``: those two outputs alone). Each stand-in
is also checked to block what it should (a linked video does not load there).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, CHROMIUM, TOKEN, open_notebook, play_with_sound

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's /usr/bin/chromium"),
]

CSP = "media-src 'none'; script-src 'none'"
VIDEOS = 6  # the %%hailuo cell's, the H3 cell's and the comparison's four
H3_PROMPT = "a lighthouse at dusk, waves crashing below"


def _notebook(frontend: str) -> dict[str, Any]:
    cells = [
        '%load_ext hailuo_nb\n%config Hailuo.provider = "emulator"\n'
        f'%config Hailuo.frontend = "{frontend}"\nimport hailuo_nb',
        "%%hailuo --wait -o fox\na red fox running through fresh snow",
        f"%%hailuo -m MiniMax-H3 --duration 8 --ratio 9:16 --wait -o h3\n{H3_PROMPT}",
        'cmp = hailuo_nb.compare(["a snowy owl at dawn", "a paper boat in the rain"],\n'
        '    models=["hailuo-2.3", "minimax-hailuo-2"], confirm_above_usd=100)',
        "cmp.wait()",
    ]
    return {
        "cells": [
            {"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": c, "outputs": [],
             "execution_count": None}
            for i, c in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip


def _execute(folder: Path, frontend: str) -> Path:
    from hailuo_nb.notebook.headless import execute

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "front.ipynb"
    path.write_text(json.dumps(_notebook(frontend)))
    env = os.environ.get("HAILUO_EMULATOR")
    os.environ["HAILUO_EMULATOR"] = json.dumps({"time_scale": 400, "preview": True, "seed": 5})
    try:
        execute(path, path, timeout=300)
    finally:
        if env is None:
            os.environ.pop("HAILUO_EMULATOR", None)
        else:
            os.environ["HAILUO_EMULATOR"] = env
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{"linked": path, "embedded": path}``: the two executed, saved notebooks."""
    root = tmp_path_factory.mktemp("front")
    return {
        "linked": _execute(root / "linked", "auto"),  # nbclient: detected as JupyterLab
        "embedded": _execute(root / "embedded", "vscode"),
    }


def _outputs(path: Path) -> list[str]:
    """The ``text/html`` of every output that shows a video."""
    nb = json.loads(path.read_text())
    out = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            body = output.get("data", {}).get("text/html", "")
            body = "".join(body) if isinstance(body, list) else body
            if "<video" in body:
                out.append(body)
    return out


def test_the_embedded_h3_preview_keeps_its_sound_and_stays_light(
    saved: dict[str, Path], tmp_path: Path
) -> None:
    import av

    from hailuo_nb.settings import LOCAL_KEY

    for path in saved.values():  # the key the kernel sent the emulator is in no output
        assert LOCAL_KEY not in path.read_text()
    h3 = next(o for o in _outputs(saved["embedded"]) if H3_PROMPT in o)
    found = re.search(r'<video\b[^>]* src="data:video/mp4;base64,([^"]+)"', h3)
    assert found, "the H3 video is not embedded"
    data = base64.b64decode(found.group(1))
    assert len(data) <= 2_000_000  # preview_max_bytes
    (tmp_path / "h3.mp4").write_bytes(data)
    with av.open(str(tmp_path / "h3.mp4")) as movie:
        video, audio = movie.streams.video[0], movie.streams.audio
        assert video.codec_context.name == "h264" and video.height <= 480
        assert [a.codec_context.name for a in audio] == ["aac"]  # the sound is kept
        assert movie.duration is not None and 7.5 <= movie.duration / 1e6 <= 8.5
    assert re.search(r'full size: <a href="hailuo_outputs/[^"]+\.mp4"', h3)  # full file linked
    assert saved["embedded"].stat().st_size < 10_000_000


class _Handler(SimpleHTTPRequestHandler):
    csp: str | None = None

    def end_headers(self) -> None:
        if self.csp:
            self.send_header("Content-Security-Policy", self.csp)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serve(folder: Path, csp: str | None = None) -> Iterator[str]:
    handler = functools.partial(type("H", (_Handler,), {"csp": csp}), directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# -- what a user sees ----------------------------------------------------------------
_PLAY_ALL = """async () => {
    const vs = [...document.querySelectorAll('video')];
    for (const v of vs) { v.muted = true; v.play().catch(() => {}); }
    return vs.length;
}"""
_ALL_ADVANCE = """() => {
    const vs = [...document.querySelectorAll('video')];
    return vs.length > 0 && vs.every(v => v.currentTime > 0.3);
}"""
_BROKEN = """() => [...document.querySelectorAll('video')].map(
    v => v.error !== null || v.networkState === 3)"""
_IMAGES = """(sel) => [...document.querySelectorAll(sel)].map(i => {
    const r = i.getBoundingClientRect();
    return {w: i.naturalWidth, box: r.width * r.height, drawn: i.getClientRects().length > 0};
})"""


_GRID = """() => {
    const boxes = [...document.querySelectorAll('.hailuo-compare-tile')]
        .map(t => t.getBoundingClientRect());
    const at = xs => new Set(xs.map(Math.round)).size;
    return [boxes.length, at(boxes.map(b => b.left)), at(boxes.map(b => b.top)),
            boxes.every(b => b.width > 100 && b.height > 50)];
}"""


def _h3(frame: Any) -> Any:
    """The H3 cell's figure in ``frame`` (a page or a frame)."""
    return frame.locator("figure.hailuo-result", has_text=H3_PROMPT)


def _grid(frame: Any) -> Any:
    """The comparison's grid (``cmp.wait()``'s own summary is a ``.hailuo-compare`` too)."""
    return frame.locator(".hailuo-compare", has=frame.locator(".hailuo-compare-tile"))


def _heard(frame: Any, gesture: str = "click") -> None:
    """The H3 video, unmuted and started by a user's gesture, plays and decodes its sound."""
    video = _h3(frame).locator("video")
    assert video.count() == 1
    play_with_sound(frame, video, gesture)
    width, height, duration = video.evaluate("v => [v.videoWidth, v.videoHeight, v.duration]")
    assert height > width and 7.5 <= duration <= 8.5, (width, height, duration)  # 9:16, 8 s
    assert video.evaluate("v => v.webkitAudioDecodedByteCount") > 0


def _two_by_two(frame: Any) -> None:
    """The comparison shows its four tiles in two columns and two rows."""
    assert frame.evaluate(_GRID) == [4, 2, 2, True]


def _shoot(target: Any, name: str) -> None:
    target.scroll_into_view_if_needed()
    target.screenshot(path=str(ARTIFACTS / f"front-{name}.png"))


def _plays(frame: Any) -> int:
    """Every video in ``frame`` plays (muted); the number of videos."""
    frame.wait_for_function(
        "() => [...document.querySelectorAll('video')].every(v => v.readyState >= 1)",
        timeout=20_000,
    )
    count = int(frame.evaluate(_PLAY_ALL))
    frame.wait_for_function(_ALL_ADVANCE, timeout=20_000)
    return count


def _broken(frame: Any) -> list[bool]:
    """For each video, whether it failed to load (the stand-in blocked its file)."""
    with contextlib.suppress(Exception):
        frame.wait_for_function(f"() => ({_BROKEN})().every(x => x)", timeout=10_000)
    return list(frame.evaluate(_BROKEN))


# -- (a) JupyterLab -------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["linked", "embedded", "untrusted"])
def test_jupyterlab_shows_one_playing_video_per_output(
    kind: str,
    saved: dict[str, Path],
    lab_server: Callable[..., tuple[str, Path]],
    chromium_page: Any,
) -> None:
    base, work = lab_server([])
    shutil.copytree(saved["linked" if kind == "untrusted" else kind].parent, work,
                    dirs_exist_ok=True)  # fmt: skip
    if kind != "untrusted":  # as its author sees it: trusted (they ran it)
        env = dict(os.environ, JUPYTER_DATA_DIR=str(work.parent / "data"))
        subprocess.run(
            [sys.executable, "-m", "jupyter", "trust", str(work / "front.ipynb")],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
    page = chromium_page
    open_notebook(page, base, "front.ipynb")
    page.wait_for_function(
        f"() => document.querySelectorAll('.jp-OutputArea-output video').length === {VIDEOS}",
        timeout=30_000,
    )
    _heard(page)
    _shoot(_h3(page), f"jupyterlab-{kind}-h3")  # playing, with its sound on
    assert _plays(page) == VIDEOS
    _two_by_two(page)
    stills = page.evaluate(_IMAGES, "img.hailuo-still")
    assert len(stills) == VIDEOS and not any(s["drawn"] for s in stills), "a duplicate picture"
    assert page.locator(".jp-OutputArea-output img").count() == VIDEOS  # only those, undrawn
    page.screenshot(path=str(ARTIFACTS / f"front-jupyterlab-{kind}.png"), full_page=True)
    _shoot(_grid(page), f"jupyterlab-{kind}-compare")
    assert TOKEN  # the lab page was opened with the token: no secret in outputs to check


# -- (b) Colab ------------------------------------------------------------------------
def test_colab_like_each_output_in_a_sandboxed_frame(
    saved: dict[str, Path], tmp_path: Path, chromium_page: Any
) -> None:
    page = chromium_page
    site = tmp_path / "colab"  # nothing of the notebook's folder is reachable from here
    site.mkdir()
    heights = (420, 1000, 1000)  # the %%hailuo cell, the H3 cell (9:16), the comparison
    for kind in ("embedded", "linked"):
        bodies = _outputs(saved[kind])
        assert len(bodies) == len(heights)
        frames = "".join(
            f'<iframe sandbox="allow-scripts" style="width:1200px;height:{h}px;'
            f'border:1px solid #ccc" srcdoc="{html.escape(body, quote=True)}"></iframe>'
            for h, body in zip(heights, bodies, strict=True)
        )
        (site / f"{kind}.html").write_text(
            f"<!DOCTYPE html><meta charset=utf-8><body>{frames}</body>"
        )
    with _serve(site) as base:
        page.goto(f"{base}/linked.html")
        inner = _frames(page)
        assert len(inner) == len(heights)
        assert all(all(_broken(f)) for f in inner), "the stand-in let a linked file through"
        page.goto(f"{base}/embedded.html")
        fox, h3, grid = _frames(page)
        _heard(h3, gesture="key")  # the mouse does not reach a sandboxed srcdoc frame here
        _shoot(page.locator("iframe").nth(1), "colab-h3")
        played = 0
        for i, frame in enumerate((fox, h3, grid)):
            # Chromium pauses a muted video scrolled out of sight: one frame at a time.
            page.locator("iframe").nth(i).scroll_into_view_if_needed()
            played += _plays(frame)
        assert played == VIDEOS
        _two_by_two(grid)
        page.screenshot(path=str(ARTIFACTS / "front-colab.png"), full_page=True)
        _shoot(page.locator("iframe").nth(2), "colab-compare")


def _frames(page: Any) -> list[Any]:
    """The page's iframes' documents, in the page's order."""
    frames = page.locator("iframe")
    return [frames.nth(i).element_handle().content_frame() for i in range(frames.count())]


# -- (c) VS Code ----------------------------------------------------------------------
def test_vscode_like_page_elsewhere_plays_the_embedded_previews(
    saved: dict[str, Path], tmp_path: Path, chromium_page: Any
) -> None:
    page = chromium_page
    site = tmp_path / "webview"
    (site / "nb").mkdir(parents=True)
    for kind in ("embedded", "linked"):
        body = "".join(f"<div class='cell-output'>{o}</div>" for o in _outputs(saved[kind]))
        (site / "nb" / f"{kind}.html").write_text(
            f"<!DOCTYPE html><meta charset=utf-8><body>{body}</body>"
        )
    with _serve(site) as base:
        page.goto(f"{base}/nb/linked.html")
        assert all(_broken(page)), "relative paths must fail where the base URL is elsewhere"
        page.goto(f"{base}/nb/embedded.html")
        _heard(page)
        _shoot(_h3(page), "vscode-h3")
        assert _plays(page) == VIDEOS
        _two_by_two(page)
        links = page.locator("a", has_text=".mp4")
        assert links.count() == VIDEOS  # each preview names and links its full file
        page.screenshot(path=str(ARTIFACTS / "front-vscode.png"), full_page=True)
        _shoot(_grid(page), "vscode-compare")


# -- (d) GitHub / nbviewer -------------------------------------------------------------
_VIDEO_TAG = re.compile(r"</?video\b[^>]*>")


def _nbconvert(path: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "html", str(path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return path.with_suffix(".html")


@pytest.mark.parametrize("kind", ["linked", "embedded"])
def test_github_like_static_copy_shows_the_frame_and_caption(
    kind: str, saved: dict[str, Path], chromium_page: Any
) -> None:
    page = chromium_page
    converted = _nbconvert(saved[kind])
    # GitHub's sanitizer removes <video> (jupyter/notebook issue 2380) and keeps its content.
    stripped = converted.with_name("github.html")
    stripped.write_text(_VIDEO_TAG.sub("", converted.read_text()))
    with _serve(converted.parent, csp=CSP) as base:
        # Media blocked, <video> kept (an untrusted copy, a strict viewer): nothing plays.
        page.goto(f"{base}/{converted.name}")
        assert page.locator("video").count() == VIDEOS
        assert all(_broken(page)), "the CSP stand-in let a video load"
        page.screenshot(path=str(ARTIFACTS / f"front-csp-{kind}.png"), full_page=True)

        page.goto(f"{base}/{stripped.name}")
        assert page.locator("video").count() == 0
        page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=10_000)
        stills = page.evaluate(_IMAGES, "img.hailuo-still")
        assert len(stills) == VIDEOS
        assert all(s["w"] > 0 and s["box"] > 0 and s["drawn"] for s in stills), stills
        text = page.inner_text("body")
        assert "a red fox running through fresh snow" in text and "a snowy owl at dawn" in text
        assert text.count(".mp4") >= VIDEOS  # each video's file is named
        h3 = _h3(page)
        assert "with sound" in h3.inner_text() and "lighthouse" in h3.inner_text()
        still = h3.locator("img.hailuo-still")
        w, h = still.evaluate("i => [i.naturalWidth, i.naturalHeight]")
        assert 2 < w / h < 3, (w, h)  # a strip of four of the H3 cell's own 9:16 frames
        _two_by_two(page)
        page.screenshot(path=str(ARTIFACTS / f"front-github-{kind}.png"), full_page=True)
        _shoot(h3, f"github-{kind}-h3")
        _shoot(_grid(page), f"github-{kind}-compare")
