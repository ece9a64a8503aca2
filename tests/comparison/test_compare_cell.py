"""``%%hailuo --compare``'s engine, called as the magic will: the parsed line and the cell.

The ``--compare`` flag itself is added to the magic's parser by the lead; everything
else on the line is the ``%%hailuo`` line as parsed today.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.comparison import Comparison
from hailuo_nb.magics.compare_cell import run_compare_cell
from hailuo_nb.magics.parsing import parse_cell_args
from hailuo_nb.notebook.registry import session_for
from tests.notebook.conftest import RecordingPublisher

Served = tuple[InteractiveShell, RecordingPublisher, Callable[[], dict[str, Any]]]
CELL = """
a red fox running through {place}
---
an owl landing on a branch
  at dusk
----
"""


def run(sh: InteractiveShell, line: str, cell: str) -> Comparison:
    session = session_for(sh)
    return run_compare_cell(session, parse_cell_args(line), cell, sh.user_ns)


def test_prompts_between_dashes_times_option_lists(served: Served) -> None:
    sh, _rec, stats = served
    sh.user_ns["place"] = "fresh snow"
    cmp = run(sh, "-m hailuo-2.3,minimax-hailuo-2 -o cmp --wait --no-optimizer", CELL)
    assert sh.user_ns["cmp"] is cmp and cmp.state == "done"
    assert stats()["submissions"]["total"] == 4
    assert [(j.prompt, j.model) for j in cmp.jobs] == [
        ("a red fox running through fresh snow", "hailuo-2.3"),
        ("a red fox running through fresh snow", "minimax-hailuo-2"),
        ("an owl landing on a branch\n  at dusk", "hailuo-2.3"),
        ("an owl landing on a branch\n  at dusk", "minimax-hailuo-2"),
    ]
    assert all(j.params["prompt_optimizer"] is False for j in cmp.jobs)  # common option
    assert all(j.status == "completed" for j in cmp.jobs)


def test_durations_and_resolutions_lists(served: Served) -> None:
    sh, _rec, stats = served
    cmp = run(sh, "--duration 6,10 --resolution 768p --wait", "a fox")
    assert [j.params["duration"] for j in cmp.jobs] == [6, 10]
    assert [c.label() for c in cmp.cells] == ["6 s", "10 s"]
    assert stats()["submissions"]["total"] == 2


def test_mistakes_are_one_line_and_send_nothing(served: Served) -> None:
    sh, _rec, stats = served
    with pytest.raises(UsageError, match=r"^%%hailuo --compare: tile 2 \(10 s\): resolution: "):
        run(sh, "--duration 6,10 --resolution 1080p", "a fox")
    with pytest.raises(UsageError, match="separated by lines of ---"):
        run(sh, "", "\n---\n   \n")
    with pytest.raises(UsageError, match="no variable 'nowhere'"):
        run(sh, "", "a fox\n---\nan owl in {nowhere}")
    with pytest.raises(UsageError, match="empty list"):
        run(sh, "-m ,", "a fox")
    sh.run_line_magic("config", "Hailuo.budget_usd = 0.5")
    with pytest.raises(UsageError, match=r"^%%hailuo --compare: estimated cost \$0.70"):
        run(sh, "", "a fox\n---\nan owl")
    assert stats()["submissions"]["total"] == 0


def test_through_the_magic_and_new_samples(served: Served) -> None:
    sh, _rec, stats = served
    line = "--compare -m hailuo-2.3,minimax-hailuo-2 -o cmp --wait"
    sh.run_cell_magic("hailuo", line, "a fox\n---\nan owl\n")
    first = sh.user_ns["cmp"]
    assert isinstance(first, Comparison) and first.state == "done"
    assert stats()["submissions"]["total"] == 4
    sh.run_cell_magic("hailuo", line, "a fox\n---\nan owl\n")  # the same again: reused
    assert stats()["submissions"]["total"] == 4
    assert [j.id for j in sh.user_ns["cmp"].jobs] == [j.id for j in first.jobs]
    sh.run_cell_magic("hailuo", line + " --new", "a fox\n---\nan owl\n")
    assert stats()["submissions"]["total"] == 8
    with pytest.raises(UsageError, match=r"^%%hailuo --compare: tile 1 \(#1\): first_frame: "):
        sh.run_cell_magic("hailuo", "--compare -m hailuo-02-fast", "a fox")


def test_hailuo_wait_waits_for_every_tile_also_by_the_comparison_name(served: Served) -> None:
    sh, _rec, stats = served
    sh.run_line_magic("config", "Hailuo.max_concurrency = 1")  # tiles wait for a slot
    sh.user_ns["place"] = "snow"
    sh.run_cell_magic("hailuo", "--compare -m hailuo-2.3,minimax-hailuo-2 -o c", CELL)
    cmp = sh.user_ns["c"]
    assert any(not j.id for j in cmp.jobs)  # some tiles are not even sent yet
    sh.run_line_magic("hailuo", "wait c")  # the comparison's -o name
    assert all(j.status == "completed" for j in cmp.jobs), cmp.jobs
    sh.run_line_magic("hailuo", "wait")
    assert stats()["submissions"]["total"] == 4


def test_the_heading_says_what_was_paid_now_apart_from_what_is_shown_again(
    served: Served,
) -> None:
    sh, _rec, stats = served
    first = run(sh, "--duration 6,10 --wait -o cmp", "a fox in the snow")
    assert "paid for this comparison: $" in first.heading()
    assert "shown again" not in first.heading()
    again = run(sh, "--duration 6,10 --wait -o cmp", "a fox in the snow")  # Run All again
    heading = again.heading()
    assert "paid for this comparison" not in heading, heading
    assert "2 shown again (paid on " in heading, heading
    assert stats()["submissions"]["total"] == 2
