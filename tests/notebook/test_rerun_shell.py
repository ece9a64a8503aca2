"""Reuse inside one kernel, through a real IPython shell and the in-process emulator:
the "ask" question, the budget, ``%hailuo cost`` and a running job attached to."""

from __future__ import annotations

import builtins
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.notebook.registry import session_for

from .conftest import RecordingPublisher

Shell = tuple[InteractiveShell, RecordingPublisher]
PROMPT = "a red fox running through fresh snow"


def ids(sh: InteractiveShell) -> list[str]:
    return [t.job.id for t in session_for(sh).tracked()]


def test_the_same_cell_twice_shows_the_same_job(shell: Shell, capsys: Any) -> None:
    sh, _ = shell
    sh.run_cell_magic("hailuo", "--wait -o fox", PROMPT)
    sh.run_cell_magic("hailuo", "--wait -o again", PROMPT)
    out = capsys.readouterr().out
    fox, again = sh.user_ns["fox"], sh.user_ns["again"]
    assert again.id == fox.id and again.reused and "reused job " + fox.id in out
    assert again.video_path == fox.video_path and again.status == "completed"
    sh.run_cell_magic("hailuo", "--wait --new -o fresh", PROMPT)
    assert sh.user_ns["fresh"].id != fox.id and not sh.user_ns["fresh"].reused
    # Paid twice in this session (the first and --new), shown once more for free.
    session = session_for(sh)
    spent = session.spent(with_saved=True)
    assert spent["reused_jobs"] == 1 and spent["saved_usd"] > 0
    assert spent["actual_usd"] + spent["estimated_usd"] == pytest.approx(2 * spent["saved_usd"])
    sh.run_line_magic("hailuo", "cost")
    for name in ("again", "fresh"):
        sh.user_ns.pop(name, None)


def test_a_running_job_is_attached_to(shell: Shell, capsys: Any) -> None:
    sh, _ = shell
    sh.run_cell_magic("hailuo", "-o fox", PROMPT)
    sh.run_cell_magic("hailuo", "-o owl", PROMPT)  # sent again while the first still runs
    out = capsys.readouterr().out
    assert "attached to" in out or "reused job" in out
    sh.run_line_magic("hailuo", "wait")
    fox, owl = sh.user_ns["fox"], sh.user_ns["owl"]
    assert owl.id == fox.id and owl.status == fox.status == "completed"
    assert len(set(ids(sh))) == 1


@pytest.mark.parametrize(("answer", "reused"), [("y", True), ("", False), ("no", False)])
def test_ask_asks_once_per_cell(
    shell: Shell, monkeypatch: pytest.MonkeyPatch, answer: str, reused: bool
) -> None:
    sh, _ = shell
    sh.run_line_magic("config", 'Hailuo.reuse = "ask"')
    questions: list[str] = []

    def ask(prompt: str = "") -> str:
        questions.append(prompt)
        return answer

    monkeypatch.setattr(builtins, "input", ask)
    sh.run_cell_magic("hailuo", "--wait -o fox", PROMPT)
    assert questions == []  # nothing to reuse yet: no question
    sh.run_cell_magic("hailuo", "--wait -o owl", PROMPT)
    assert len(questions) == 1 and sh.user_ns["fox"].id in questions[0]
    assert "[y/N]" in questions[0]
    assert (sh.user_ns["owl"].id == sh.user_ns["fox"].id) is reused


def test_reuse_passes_the_budget(shell: Shell) -> None:
    sh, _ = shell
    sh.run_cell_magic("hailuo", "--wait -o fox", PROMPT)
    spent = session_for(sh).spent()
    sh.run_line_magic(
        "config", f"Hailuo.budget_usd = {spent['estimated_usd'] + spent['actual_usd']}"
    )
    sh.run_cell_magic("hailuo", "--wait -o owl", PROMPT)  # free: allowed at the budget
    assert sh.user_ns["owl"].reused
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="budget"):
        sh.run_cell_magic("hailuo", "--new -o bad", PROMPT)


def test_never_pays_every_time(shell: Shell) -> None:
    sh, _ = shell
    sh.run_line_magic("config", 'Hailuo.reuse = "never"')
    sh.run_cell_magic("hailuo", "--wait -o fox", PROMPT)
    sh.run_cell_magic("hailuo", "--wait -o owl", PROMPT)
    assert sh.user_ns["owl"].id != sh.user_ns["fox"].id
