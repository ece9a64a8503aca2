"""Security: the key never shows, HTML is escaped, only http(s) videos, TLS verified.

Covered elsewhere, not repeated here: downloads stay inside the output folder and are
capped in size (tests/client/test_core.py: contained names, truncated/oversized downloads
leave nothing; hailuo_nb/download.py doctests of ``safe_path`` and ``video_filename``).
"""

from __future__ import annotations

import json
import logging
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb import display
from hailuo_nb.cli import main as cli_main
from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread
from hailuo_nb.errors import AuthError, NetworkError
from hailuo_nb.magics import reports
from hailuo_nb.models import Job

from ..notebook.conftest import RecordingPublisher

ROOT = Path(__file__).resolve().parents[2]
SECRET = "SG_leakcheck_0123456789"
XSS = ["<script>window.__xss=1</script>", '"><img src=x onerror="window.__xss=2">']


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_in_thread(create_app(EmulatorConfig(time_scale=400.0, preview=True))) as base:
        yield base


class Everything(logging.Handler):
    """Keeps every formatted record (message, args, traceback) of every logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter("%(name)s %(message)s").format(record))


@pytest.fixture
def logs() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("httpx", "httpcore", "hailuo_nb"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


def raw_files(folder: Path) -> bytes:
    """Every file's bytes under ``folder`` (SQLite store, its -wal/-shm, notebooks, logs)."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


# -- the key -------------------------------------------------------------------------------
@pytest.mark.slow
def test_key_never_shows_after_magic_cli_and_client_flows(
    server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    logs: Everything,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEGMIND_API_KEY", SECRET)
    for name in ("HAILUO_PROVIDER", "HAILUO_EMULATOR", "AIMLAPI_KEY", "MINIMAX_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    # The magic in a real IPython shell, against the segmind protocol (the key is sent).
    sh = InteractiveShell.instance()
    sh.config.pop("Hailuo", None)
    recorder = RecordingPublisher()
    monkeypatch.setattr(sh, "display_pub", recorder)
    sh.run_line_magic("load_ext", "hailuo_nb")
    try:
        for line in (
            'Hailuo.provider = "segmind"',
            f'Hailuo.base_url = "{server}/segmind"',
            f'Hailuo.output_dir = "{tmp_path / "nb"}"',
            'Hailuo.progress = "text"',
            "Hailuo.requests_per_minute = 60000.0",  # not the free tier's 5 a minute
        ):
            sh.run_line_magic("config", line)
        sh.run_cell_magic("hailuo", "--wait -o fox", "a fox in the snow")
        sh.run_cell_magic("hailuo", "--wait", "a refused scene [[block]]")
        for line in ("history", "config", "cost"):
            sh.run_line_magic("hailuo", line)
        shown = json.dumps(recorder.bundles())
    finally:
        sh.run_line_magic("unload_ext", "hailuo_nb")
        sh.config.pop("Hailuo", None)
    # The CLI, in-process (stdout, stderr captured).
    out = str(tmp_path / "cli")
    base = ["--provider", "segmind", "--base-url", f"{server}/segmind", "--out", out]
    base += ["--rpm", "60000"]
    assert cli_main(["generate", "a fox", *base]) == 0
    assert cli_main(["generate", "a refused fox [[block]]", *base]) == 1
    assert cli_main(["history", *base]) == 0
    cli = capsys.readouterr()
    # The client: reprs, and an auth error from a server that knows another key.
    texts = [shown, cli.out, cli.err]
    client = Client("segmind", base_url=f"{server}/segmind", output_dir=tmp_path / "c")
    texts += [repr(client), repr(client.settings), repr(client.adapter), str(client.settings)]
    texts.append(repr(client.adapter.poll_request("x")))
    strict = create_app(EmulatorConfig(keys={"SG_other_0123456789": 1.0}, time_scale=400.0))
    with serve_in_thread(strict) as other:

        async def refused() -> None:
            async with Client(
                "segmind", base_url=f"{other}/segmind", output_dir=tmp_path / "c"
            ) as c:
                await c.submit("a fox")

        import asyncio

        with pytest.raises(AuthError) as info:
            asyncio.run(refused())
    texts += [str(info.value), repr(info.value), repr(info.value.__dict__)]
    texts += logs.lines
    assert any("httpx" in line for line in logs.lines), "httpx's DEBUG/INFO lines were not seen"
    for text in texts:
        assert SECRET not in text
        assert SECRET[-8:] not in text  # not even a long tail of it
    stored = raw_files(tmp_path)
    assert list(tmp_path.rglob("*.sqlite3*")), "no job store was written"
    assert SECRET.encode() not in stored


@pytest.mark.slow
def test_quickstart_with_a_keyed_provider_saves_no_key(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hailuo_nb.notebook.headless import execute

    nb_path = tmp_path / "quickstart.ipynb"
    shutil.copy(ROOT / "notebooks" / "quickstart.ipynb", nb_path)
    nb = json.loads(nb_path.read_text())
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    source = "".join(first["source"])
    assert 'Hailuo.provider = "emulator"' in source
    first["source"] = source.replace(
        'Hailuo.provider = "emulator"',
        f'Hailuo.provider = "segmind"\n%config Hailuo.base_url = "{server}/segmind"'
        "\n%config Hailuo.requests_per_minute = 60000.0",
    )
    nb_path.write_text(json.dumps(nb))
    monkeypatch.setenv("SEGMIND_API_KEY", SECRET)  # the provider needs it: it is sent
    monkeypatch.delenv("HAILUO_EMULATOR", raising=False)
    before = httpx.get(f"{server}/__emulator__/stats").json()["submissions"]["by_key"]
    executed = execute(nb_path, timeout=120)
    after = httpx.get(f"{server}/__emulator__/stats").json()["submissions"]["by_key"]
    assert sum(after.values()) > sum(before.values())  # the notebook really used the key
    assert SECRET not in json.dumps(executed)
    assert SECRET.encode() not in raw_files(tmp_path)


# -- HTML ----------------------------------------------------------------------------------
@pytest.mark.parametrize("evil", XSS)
def test_prompts_reasons_and_file_names_are_escaped_in_every_html(evil: str) -> None:
    done = Job(
        id=f"id{evil}",
        provider="segmind",
        model=f"hailuo-2.3{evil}",
        status="completed",
        params={"prompt": f"a fox {evil}"},
        video_path=f"/out/{evil}.mp4",
        submitted_at=1.0,
        finished_at=20.0,
    )
    failed = Job(
        id="f1",
        provider="segmind",
        model="hailuo-2.3",
        status="failed",
        params={"prompt": evil},
        error=f"refused: {evil}",
    )
    running = Job(
        id="r1",
        provider="segmind",
        model="hailuo-2.3",
        status="processing",
        params={"prompt": evil},
        submitted_at=1.0,
        expected_seconds=10.0,
    )
    figures = display.figures(running, now=5.0)
    html = [
        display.final_html(done, video_src=f"out/{evil}.mp4", path=f"out/{evil}.mp4"),
        display.final_html(failed),
        display.final_bundle(done, video_src=f"{evil}.mp4")["text/html"],
        display.live_label_html(figures),
        display.live_info_html(figures),
        display.live_details_html(figures),
        reports.history_bundle([done, failed, running])["text/html"],
        reports.config_bundle({"output_dir": evil, "model": evil}, {"segmind": evil})["text/html"],
    ]
    for page in html:
        assert "<script" not in page and "<img" not in page and 'onerror="' not in page, page
    assert any("&lt;script&gt;" in p or "&lt;img" in p for p in html)


# -- video URLs ----------------------------------------------------------------------------
@pytest.mark.parametrize("bad_url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://h/v.mp4"])
async def test_only_http_video_urls_are_fetched_or_embedded(bad_url: str, tmp_path: Path) -> None:
    # The emulator cannot be told to answer a hostile output URL, so a tiny Segmind
    # stand-in does (a fake *server*, through the client's transport seam).
    def segmind(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"request_id": "ab" * 16, "status": "QUEUED"})
        if request.url.path.endswith("/status"):
            return httpx.Response(200, json={"status": "COMPLETED", "metrics": {}})
        if request.url.path.startswith("/v2/requests/"):
            body = {"status": "COMPLETED", "output": bad_url, "metrics": {}}
            return httpx.Response(200, json=body)
        raise AssertionError(f"fetched {request.url}")  # never the video

    async with Client(
        "segmind",
        api_key="SG_x_0123456789abcd",
        base_url="https://api.segmind.test",
        output_dir=tmp_path / "out",
        transport=httpx.MockTransport(segmind),
        settings={"poll_min_interval": 0.01, "poll_max_interval": 0.05},
        requests_per_minute=60_000,
        environ={},
    ) as client:
        job = await client.submit("a fox")
        with pytest.raises(NetworkError, match="not an http"):
            await client.wait(job, timeout=10)
        stored = client.get(job.id)
    assert stored is not None and stored.video_path is None
    assert "not an http(s) URL" in (stored.error or "")
    assert not list(tmp_path.rglob("*.mp4"))
    page = display.final_html(stored)
    assert bad_url not in page and "<video" not in page


# -- TLS -----------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", ["segmind", "aimlapi", "minimax"])
def test_tls_verification_is_on_for_real_providers(provider: str, tmp_path: Path) -> None:
    client = Client(provider, api_key="k" * 20, output_dir=tmp_path, environ={})
    assert client.settings.base_url.startswith("https://")
    transport = client._httpx._transport
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    context: Any = transport._pool._ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
