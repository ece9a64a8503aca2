"""fal and Replicate in the notebook: ``%%hailuo --provider fal|replicate`` and a comparison
that mixes them with Segmind, against one emulator on a real socket.

Each provider finds its own root through its own variable (``FAL_BASE_URL``,
``REPLICATE_BASE_URL``; Segmind through the shared ``HAILUO_BASE_URL``) and its key in the
environment, as a user's notebook would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from IPython.core.interactiveshell import InteractiveShell

import hailuo_nb
from hailuo_nb.models import Job
from tests.notebook.conftest import RecordingPublisher, shell  # noqa: F401 - fixture

Shell = tuple[InteractiveShell, RecordingPublisher]
Mixed = tuple[InteractiveShell, RecordingPublisher, Callable[[], dict[str, Any]]]
SECRETS = {"FAL_KEY": "fal-SECRET-0123456789", "REPLICATE_API_TOKEN": "r8_SECRET_0123456789"}


@pytest.fixture
def mixed(
    shell: Shell,  # noqa: F811 - the fixture imported above
    emulator_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Mixed]:
    """The shell with three providers on the served emulator, keys in the environment."""
    sh, rec = shell
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SEGMIND_API_KEY", "sk-mixed-SECRET-0123456789")
    monkeypatch.setenv("HAILUO_BASE_URL", f"{emulator_url}/segmind")
    monkeypatch.setenv("FAL_BASE_URL", f"{emulator_url}/fal")
    monkeypatch.setenv("REPLICATE_BASE_URL", f"{emulator_url}/replicate")
    sh.run_line_magic("config", 'Hailuo.provider = "segmind"')
    sh.run_line_magic("config", "Hailuo.poll_min_interval = 0.02")
    sh.run_line_magic("config", "Hailuo.poll_max_interval = 0.1")
    sh.run_line_magic("config", "Hailuo.requests_per_minute = 6000.0")

    def stats() -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{emulator_url}/__emulator__/stats").json()
        return body

    yield sh, rec, stats
    for name in ("cmp", "fox", "owl"):
        sh.user_ns.pop(name, None)


def no_secret_in(rec: RecordingPublisher) -> None:
    shown = repr(rec.bundles())
    assert not any(secret in shown for secret in SECRETS.values())


@pytest.mark.parametrize("provider", ["fal", "replicate"])
def test_the_magic_generates_on_fal_and_replicate(mixed: Mixed, provider: str) -> None:
    sh, rec, stats = mixed
    sh.run_cell_magic("hailuo", f"--provider {provider} --wait -o fox", "a red fox in snow\n")
    fox = sh.user_ns["fox"]
    assert isinstance(fox, Job) and fox.status == "completed" and fox.provider == provider
    html = next(
        d["text/html"]
        for d in rec.latest().values()
        if f'data-job-id="{fox.id}"' in d.get("text/html", "")
    )
    assert "<video controls" in html and Path(fox.video_path or "").is_file()
    assert stats()["submissions"]["by_provider"] == {provider: 1}
    no_secret_in(rec)


def test_a_bad_value_for_fal_is_one_line_and_sends_nothing(mixed: Mixed) -> None:
    from IPython.core.error import UsageError

    sh, _, stats = mixed
    with pytest.raises(UsageError, match="needs a first frame"):
        sh.run_cell_magic("hailuo", "--provider fal -m hailuo-2.3-fast", "a fox\n")
    assert stats()["submissions"]["total"] == 0


def test_one_comparison_mixes_fal_replicate_and_segmind(mixed: Mixed) -> None:
    _, rec, stats = mixed
    cmp = hailuo_nb.compare(
        ["a red fox running through snow"], providers=["fal", "replicate", "segmind"]
    )
    cmp.wait(timeout=60)
    assert cmp.state == "done"
    assert [(j.provider, j.status) for j in cmp.jobs] == [
        ("fal", "completed"),
        ("replicate", "completed"),
        ("segmind", "completed"),
    ]
    assert stats()["submissions"]["by_provider"] == {"fal": 1, "replicate": 1, "segmind": 1}
    html = next(
        d["text/html"]
        for d in rec.latest().values()
        if 'class="hailuo-compare ' in d.get("text/html", "")
    )
    assert html.count("<video") == 3
    for src in re.findall(r'<video[^>]*\bsrc="([^"]+)"', html):
        assert Path(unquote(src)).is_file()
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert [p for c in captions for p in ("fal", "replicate", "segmind") if p in c] == [
        "fal",
        "replicate",
        "segmind",
    ]
    no_secret_in(rec)


def test_config_says_where_each_key_comes_from_never_the_key(
    mixed: Mixed, monkeypatch: pytest.MonkeyPatch
) -> None:
    sh, rec, _ = mixed
    monkeypatch.delenv("FAL_KEY")
    monkeypatch.setenv("FAL_KEY_ID", "fal-id-0123")
    monkeypatch.setenv("FAL_KEY_SECRET", "fal-SECRET-part-0123456789")
    sh.run_line_magic("hailuo", "config")
    text = rec.bundles()[-1]["text/plain"]
    assert "$FAL_KEY_ID+FAL_KEY_SECRET" in text and "$REPLICATE_API_TOKEN" in text
    assert "fal-SECRET-part" not in repr(rec.bundles())
    no_secret_in(rec)


def test_the_panel_generates_on_replicate(mixed: Mixed) -> None:
    from hailuo_nb.notebook.registry import current_session
    from hailuo_nb.widgets.panel import Panel

    _, rec, stats = mixed
    panel = Panel()
    panel.form.provider.value = "replicate"
    panel.form.fill(prompt="a paper boat on a rainy street", duration=10)
    assert not panel.generate.disabled, panel.reason.value
    panel.generate.click()
    session = current_session()
    (tracked,) = session.tracked()
    session.wait()
    tile = panel.jobs.tiles[tracked.job.id]
    html = "".join(o["data"].get("text/html", "") for o in tile.out.outputs)
    assert "<video controls" in html
    assert stats()["submissions"]["by_provider"] == {"replicate": 1}
    assert session.tracked()[0].job.provider == "replicate"
    no_secret_in(rec)
