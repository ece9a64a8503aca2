"""``{...}`` in a ``%%hailuo`` prompt fills plain names only: nothing else of the kernel
(an API key in ``os.environ`` above all) can be pulled into a prompt that is sent, stored
and saved. Refusals are one line and send nothing.
"""

from __future__ import annotations

import os

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.notebook.registry import session_for

from .conftest import RecordingPublisher

Shell = tuple[InteractiveShell, RecordingPublisher]
SECRET = "SG_prompt_leak_SECRET_1234"


@pytest.mark.parametrize(
    "prompt",
    [
        "a fox {get_ipython.__func__.__globals__[os].environ[SEGMIND_API_KEY]}",
        "a fox {os.environ}",
        "a fox {d[key]}",
        "a fox {place!r}",
        "a fox {place:>40}",
        "a fox {}",
        "a fox {0}",
    ],
)
def test_only_plain_names_are_filled(
    shell: Shell, monkeypatch: pytest.MonkeyPatch, prompt: str
) -> None:
    sh, rec = shell
    monkeypatch.setenv("SEGMIND_API_KEY", SECRET)
    sh.user_ns.update(os=os, d={"key": SECRET}, place="snow")
    with pytest.raises(UsageError) as caught:
        sh.run_cell_magic("hailuo", "", prompt + "\n")
    message = str(caught.value)
    assert "only plain {name}" in message and "\n" not in message
    assert SECRET not in message
    assert session_for(sh).tracked() == []  # nothing was sent
    assert not any(SECRET in str(b) for b in rec.bundles())


def test_a_plain_name_and_literal_braces_still_work(shell: Shell) -> None:
    sh, _ = shell
    sh.user_ns["place"] = "fresh snow"
    sh.run_cell_magic("hailuo", "-o fox", "a fox in {place} {{not a field}}\n")
    assert sh.user_ns["fox"].prompt == "a fox in fresh snow {not a field}"
    sh.run_line_magic("hailuo", "wait fox")


@pytest.mark.parametrize(
    ("prompt", "words"),
    [("a fox \ud800 in snow", "lone surrogate"), ("\x00\x01\x07", "control characters")],
)
def test_unsendable_prompts_are_one_line(shell: Shell, prompt: str, words: str) -> None:
    sh, _ = shell
    with pytest.raises(UsageError, match=words):
        sh.run_cell_magic("hailuo", "", prompt)
    assert session_for(sh).tracked() == []
