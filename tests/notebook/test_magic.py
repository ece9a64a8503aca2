"""``%%hailuo`` and ``%hailuo`` through a real IPython shell, the real client and emulator."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.models import Job
from hailuo_nb.notebook.registry import session_for

from .conftest import RecordingPublisher

Shell = tuple[InteractiveShell, RecordingPublisher]


def final_of(recorder: RecordingPublisher, job: Job) -> dict[str, Any]:
    """The bundle the job's output shows now (found through its data-job-id)."""
    for data in recorder.latest().values():
        if f'data-job-id="{job.id}"' in data.get("text/html", ""):
            return data
    raise AssertionError(f"no final output for {job.id}: {recorder.latest()}")


def test_cell_returns_at_once_and_its_output_becomes_the_video(shell: Shell) -> None:
    sh, rec = shell
    sh.user_ns["place"] = "fresh snow"
    started = time.monotonic()
    sh.run_cell_magic("hailuo", "-o fox --duration 6", "a red fox running through {place}\n")
    assert time.monotonic() - started < 5
    fox = sh.user_ns["fox"]
    assert isinstance(fox, Job) and fox.prompt == "a red fox running through fresh snow"
    first = rec.messages[0]
    assert first["display_id"] and "hailuo job" in first["data"]["text/plain"]

    sh.run_line_magic("hailuo", "wait fox")
    fox = sh.user_ns["fox"]
    assert fox.status == "completed" and fox.video_path and os.path.exists(fox.video_path)
    bundle = rec.latest()[first["display_id"]]
    html = bundle["text/html"]
    assert "<video controls" in html and "poster=" in html
    src = html.split(' src="', 1)[1].split('"', 1)[0]
    assert not os.path.isabs(src) and Path(src).exists()  # relative to the kernel's cwd
    assert bundle["image/jpeg"]  # the poster, for renderers without HTML
    assert fox.id in bundle["text/plain"] and "fresh snow" in bundle["text/plain"]


def test_wait_blocks_until_done_and_the_widget_turns_green(shell: Shell) -> None:
    sh, rec = shell
    sh.run_line_magic("config", 'Hailuo.progress = "widget"')
    sh.run_cell_magic("hailuo", "--wait -o owl", "an owl over a pine forest")
    owl = sh.user_ns["owl"]
    assert owl.status == "completed"
    tracked = session_for(sh).find("owl")
    assert tracked.view.bar.value == 1.0 and tracked.view.bar.bar_style == "success"
    widget_msg = rec.messages[0]
    assert "application/vnd.jupyter.widget-view+json" in widget_msg["data"]
    assert "text/plain" in widget_msg["data"]
    assert "<video" in rec.latest()[widget_msg["display_id"]]["text/html"]


def test_embed_inlines_the_video(shell: Shell) -> None:
    sh, rec = shell
    sh.run_cell_magic("hailuo", "--wait --embed -o fox", "a fox")
    html = final_of(rec, sh.user_ns["fox"])["text/html"]
    assert 'src="data:video/mp4;base64,' in html and 'poster="data:image/jpeg;base64,' in html


def test_a_refused_prompt_shows_the_servers_reason(shell: Shell) -> None:
    sh, rec = shell
    sh.run_cell_magic("hailuo", "-o bad", "a scene [[block]]")
    sh.run_line_magic("hailuo", "wait")
    bad = sh.user_ns["bad"]
    assert bad.status == "failed" and bad.error
    bundle = final_of(rec, bad)
    assert "failed" in bundle["text/html"] and "<video" not in bundle["text/html"]
    assert bad.error.split()[0] in bundle["text/html"]
    assert bundle["text/plain"].startswith(f"hailuo job {bad.id} failed: ")


def test_markup_in_a_prompt_is_shown_as_text(shell: Shell) -> None:
    sh, rec = shell
    prompt = '<b>x</b> <img src=x onerror="alert(1)"> <script>window.__xss=1</script>'
    sh.run_cell_magic("hailuo", "--wait -o fox", prompt)
    html = final_of(rec, sh.user_ns["fox"])["text/html"]
    assert "<script" not in html and "<b>" not in html
    # The one <img> is ours: the first frame, for renderers that strip <video>.
    assert html.count("<img") == 1 and '<img class="hailuo-still" src="data:image/jpeg' in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        ("--bogus", "a fox", "unrecognized arguments: --bogus"),
        ("--duration 7", "a fox", "duration"),
        ("-m no-such-model", "a fox", "model"),
        ("", "a {missing} fox", "no variable 'missing'"),
        ("", "   \n", "the cell is the prompt"),
        ("-o 1abc", "a fox", "-o needs a variable name"),
        ('--duration "6', "a fox", "%%hailuo"),
    ],
)
def test_user_mistakes_are_one_line_and_send_nothing(
    shell: Shell, line: str, cell: str, message: str
) -> None:
    sh, rec = shell
    with pytest.raises(UsageError, match="%%hailuo") as caught:
        sh.run_cell_magic("hailuo", line, cell)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert session_for(sh).tracked() == []
    assert rec.messages == []


def test_the_budget_refuses_a_submission_that_would_pass_it(shell: Shell) -> None:
    sh, _ = shell
    sh.run_line_magic("config", "Hailuo.budget_usd = 0.01")
    with pytest.raises(UsageError, match=r"would pass the budget of \$0\.01"):
        sh.run_cell_magic("hailuo", "", "a fox")
    assert session_for(sh).tracked() == []


def test_history_cost_config_and_resume(shell: Shell) -> None:
    sh, rec = shell
    sh.run_cell_magic("hailuo", "--wait -o fox", "a <i>fox</i>")
    fox = sh.user_ns["fox"]
    sh.run_line_magic("hailuo", "history 5")
    history = rec.bundles()[-1]
    assert fox.id in history["text/plain"] and "&lt;i&gt;" in history["text/html"]
    sh.run_line_magic("hailuo", "cost")
    assert "this session" in rec.bundles()[-1]["text/plain"]
    sh.run_line_magic("hailuo", "config")
    assert "Hailuo.provider = 'emulator'" in rec.bundles()[-1]["text/plain"]
    n = len(rec.messages)
    sh.run_line_magic("hailuo", f"resume {fox.id}")
    assert any("<video" in m["data"].get("text/html", "") for m in rec.messages[n:])
    with pytest.raises(UsageError, match="no job 'nope'"):
        sh.run_line_magic("hailuo", "resume nope")
    with pytest.raises(UsageError, match="unknown command"):
        sh.run_line_magic("hailuo", "frobnicate")


def test_a_missing_key_is_asked_once_and_never_shown(
    shell: Shell, monkeypatch: pytest.MonkeyPatch, emulator_url: str
) -> None:
    sh, rec = shell
    secret = "sk-test-SECRET-0123456789"
    asked: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        asked.append(prompt)
        return secret

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    sh.run_line_magic("config", 'Hailuo.provider = "segmind"')
    sh.run_line_magic("config", f'Hailuo.base_url = "{emulator_url}/segmind"')
    sh.run_cell_magic("hailuo", "--wait -o fox", "a fox")
    sh.run_cell_magic("hailuo", "--wait -o owl", "an owl")
    sh.run_line_magic("hailuo", "config")
    assert len(asked) == 1 and "segmind" in asked[0]
    assert sh.user_ns["fox"].status == "completed"
    everything = repr(rec.messages) + repr(sh.user_ns["fox"]) + repr(sh.user_ns["owl"])
    assert secret not in everything
    assert "segmind key: entered this session" in rec.bundles()[-1]["text/plain"]


def test_panel_line_command_shows_the_panel(shell: Shell) -> None:
    sh, recorder = shell
    sh.run_line_magic("hailuo", "panel")
    shown = recorder.bundles()[-1]
    assert "application/vnd.jupyter.widget-view+json" in shown
    with pytest.raises(UsageError, match="usage: %hailuo panel"):
        sh.run_line_magic("hailuo", "panel extra")
