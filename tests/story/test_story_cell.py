"""``%%hailuo --story`` through a real IPython shell, against the served emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.story import Storyboard
from tests.notebook.conftest import RecordingPublisher

Served = tuple[InteractiveShell, RecordingPublisher, Callable[[], dict[str, Any]]]

CELL = """a {animal} wakes up in its den
---
--duration 10 --no-optimizer
the {animal} steps out into fresh snow
---

the {animal} runs across a frozen lake
"""


def submissions(stats: Callable[[], dict[str, Any]]) -> int:
    return int(stats()["submissions"]["total"])


def test_a_story_cell_makes_one_film_with_per_shot_options(served: Served) -> None:
    sh, _rec, stats = served
    sh.user_ns["animal"] = "fox"
    try:
        sh.run_cell_magic("hailuo", "--story -m hailuo-2.3 -o story --wait", CELL)
        story = sh.user_ns["story"]
    finally:
        sh.user_ns.pop("animal", None)
        sh.user_ns.pop("story", None)
    assert isinstance(story, Storyboard) and story.state == "done"
    assert submissions(stats) == 3
    jobs = story.shots
    assert [j.prompt for j in jobs] == [
        "a fox wakes up in its den",
        "the fox steps out into fresh snow",
        "the fox runs across a frozen lake",
    ]
    assert [j.params["duration"] for j in jobs] == [6, 10, 6]
    assert jobs[1].params.get("prompt_optimizer") is False
    assert story.film is not None and story.film.name.startswith("story-")
    manifest = json.loads(story.film.with_suffix(".json").read_text())
    assert [s["start_seconds"] for s in manifest["shots"]] == [0.0, 6.0, 16.0]


@pytest.mark.parametrize(
    ("line", "body", "said"),
    [
        ("--story", "---\n", "write the shots below the %%hailuo line"),
        ("--story", "a fox\n---\n--wait\nit runs", "shot 2: --wait belongs on the %%hailuo line"),
        ("--story", "a fox\n---\n--duration 10", "shot 2 has options but no prompt"),
        ("--story", "a fox\n---\nit {runs}", "no variable 'runs' is defined"),
        ("--story", "a fox\n---\n--duration 7\nit runs", "shot 2 (it runs): duration"),
        ("--story --compare", "a fox", "--story or --compare, not both"),
        (
            "--story --crossfade 3",
            "a fox\n---\nit runs",
            "crossfade: must be 0 or more and under 3 s",
        ),
    ],
)
def test_story_cell_mistakes_are_one_line_and_send_nothing(
    served: Served, line: str, body: str, said: str
) -> None:
    sh, _rec, stats = served
    with pytest.raises(UsageError) as caught:
        sh.run_cell_magic("hailuo", line, body)
    assert said in str(caught.value) and "\n" not in str(caught.value)
    assert submissions(stats) == 0


def test_a_shot_of_variants_in_a_cell_waits_for_a_pick(served: Served) -> None:
    sh, _rec, stats = served
    body = "a fox wakes up\n---\nthe fox steps out\n~~~\nthe fox jumps {how}\n"
    sh.user_ns["how"] = "high"
    try:
        sh.run_cell_magic("hailuo", "--story -m hailuo-2.3 -o story --wait", body)
        story = sh.user_ns["story"]
    finally:
        sh.user_ns.pop("how", None)
        sh.user_ns.pop("story", None)
    assert story.awaiting == 2 and submissions(stats) == 3
    assert [j.prompt for j in story.variants(2)] == ["the fox steps out", "the fox jumps high"]
    story.pick(shot=2, variant=1).wait(timeout=60)
    assert story.state == "done" and story.film is not None


def test_hailuo_wait_by_name_waits_for_the_film(served: Served) -> None:
    sh, _rec, stats = served
    try:
        sh.run_cell_magic("hailuo", "--story -m hailuo-2.3 -o story", "a fox\n---\nit runs")
        story = sh.user_ns["story"]
        assert story.state == "running"  # the cell returned at once
        sh.run_line_magic("hailuo", "wait story")
    finally:
        sh.user_ns.pop("story", None)
    assert story.state == "done" and story.film is not None and submissions(stats) == 2
