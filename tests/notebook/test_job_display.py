"""Evaluating a ``Job`` (the ``-o`` variable) shows the video, or its live state, not a
dataclass dump with Unix times and internal URLs."""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.models import Job

from .conftest import RecordingPublisher

Shell = tuple[InteractiveShell, RecordingPublisher]


def test_a_finished_job_shows_its_video_and_a_short_line(shell: Shell) -> None:
    sh, _ = shell
    sh.run_cell_magic("hailuo", "--wait -o fox", "a red fox running through snow")
    fox = sh.user_ns["fox"]
    data, _ = sh.display_formatter.format(fox)
    assert "<video" in data["text/html"] and "a red fox" in data["text/html"]
    text = data["text/plain"]
    assert text.startswith("Job(") and "completed" in text and "emulator.invalid" not in text
    assert str(int(fox.submitted_at)) not in text  # no Unix timestamps


def test_a_running_job_shows_its_state_escaped(shell: Shell) -> None:
    sh, _ = shell
    job = Job(
        id="a1",
        provider="emulator",
        model="hailuo-2.3",
        status="queued",
        params={"prompt": "<script>x</script>"},
    )
    data, _ = sh.display_formatter.format(job)
    assert "queued" in data["text/html"] and "<script>" not in data["text/html"]


def test_history_fits_short_ids_relative_paths_settings_on_one_line(shell: Shell) -> None:
    from hailuo_nb.magics.reports import history_bundle

    sh, _ = shell
    sh.run_cell_magic("hailuo", "--wait -o fox", "a red fox running through snow")
    fox = sh.user_ns["fox"]
    html = history_bundle([fox])["text/html"]
    assert f"title='{fox.id}'" in html and f">{fox.id[:12]}…<" in html
    assert str(fox.video_path) not in html  # absolute: shown relative to the notebook
    assert "videos/" in html and "white-space:nowrap" in html
    assert fox.id in history_bundle([fox])["text/plain"]  # the full id, to copy
