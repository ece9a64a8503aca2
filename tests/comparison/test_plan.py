"""The plan: tiles, what differs, estimates and validation, with the real client (no I/O)."""

from __future__ import annotations

import pytest

from hailuo_nb import Client
from hailuo_nb.comparison.comparison import columns_for
from hailuo_nb.comparison.plan import axes_text, build_cells, make_plan
from hailuo_nb.errors import TileError, ValidationError


@pytest.fixture
def client() -> Client:
    return Client("emulator", environ={})


def test_every_combination_prompt_major() -> None:
    cells = build_cells(["fox", "owl"], models=["a", "b"], durations=[6, 10])
    assert len(cells) == 8
    assert [c.index for c in cells] == list(range(1, 9))
    assert [(c.prompt, c.params["model"], c.params["duration"]) for c in cells[:4]] == [
        ("fox", "a", 6), ("fox", "a", 10), ("fox", "b", 6), ("fox", "b", 10),
    ]  # fmt: skip
    assert axes_text(cells) == "2 prompts × 2 models × 2 durations"


def test_captions_show_only_what_differs() -> None:
    cells = build_cells(
        ["a fox", "an owl"], models=["hailuo-2.3", "minimax-hailuo-2"], durations=[6],
        common={"prompt_optimizer": False},
    )  # fmt: skip
    assert cells[0].differs == ("prompt", "model")
    assert [c.label() for c in cells] == [
        "a fox · hailuo-2.3", "a fox · minimax-hailuo-2",
        "an owl · hailuo-2.3", "an owl · minimax-hailuo-2",
    ]  # fmt: skip
    one_prompt = build_cells("a fox", durations=[6, 10], resolutions=["768p"])
    assert [c.label() for c in one_prompt] == ["6 s", "10 s"]
    same = build_cells(["a fox", "a fox"])
    assert [c.label() for c in same] == ["#1", "#2"]  # identical takes: numbered


def test_explicit_settings_instead_of_the_product() -> None:
    cells = build_cells(
        ["fox", "owl"],
        settings=[{"model": "hailuo-2.3", "duration": 10}, {"model": "minimax-hailuo-2"}],
    )
    assert [(c.prompt, c.params) for c in cells] == [
        ("fox", {"model": "hailuo-2.3", "duration": 10}),
        ("fox", {"model": "minimax-hailuo-2"}),
        ("owl", {"model": "hailuo-2.3", "duration": 10}),
        ("owl", {"model": "minimax-hailuo-2"}),
    ]
    assert cells[0].label() == "fox · hailuo-2.3 · 10 s"
    own = build_cells(["unused"], settings=[{"prompt": "a cat", "mode": "pro"}])
    assert [(c.prompt, c.params) for c in own] == [("a cat", {"mode": "pro"})]


def test_estimate_is_the_sum_of_the_catalog_prices(client: Client) -> None:
    plan = make_plan(
        build_cells(["a", "b"], models=["hailuo-2.3", "minimax-hailuo-2"]), lambda p: client
    )
    assert [e.usd for e in plan.estimates] == [0.35, 0.39, 0.35, 0.39]
    assert plan.total_usd == 1.48
    assert plan.describe() == "4 videos (2 prompts × 2 models) · estimated ~$1.48"
    assert plan.lines()[1] == "  2. a · minimax-hailuo-2  ~$0.39"


def test_an_invalid_tile_is_named_with_its_field(client: Client) -> None:
    cells = build_cells(["a fox"], models=["hailuo-2.3", "minimax-hailuo-2"], durations=[6])
    with pytest.raises(TileError) as info:
        make_plan(cells, lambda p: client)
    message = str(info.value)
    assert message.startswith("tile 2 (minimax-hailuo-2): duration: ")
    assert "\n" not in message and info.value.field == "duration"
    with pytest.raises(ValidationError, match="prompts: give at least one prompt"):
        build_cells([])
    with pytest.raises(ValidationError, match="models: is an empty list"):
        build_cells("a", models=[])


def test_grid_columns() -> None:
    assert columns_for(4, 2) == 2  # 2 prompts x 2 models: a 2 x 2 grid
    assert columns_for(8, 2) == 2  # 4 prompts x 2 models: four rows of two
    assert columns_for(3, 3) == 3
    assert columns_for(10, 10) == 3


def test_hailuo_nb_compare_is_exported_and_callable_in_any_import_order() -> None:
    import subprocess
    import sys

    code = (
        "import hailuo_nb, inspect\n"
        "assert 'compare' in hailuo_nb.__all__\n"
        "f = hailuo_nb.compare\n"  # before the package is imported: the function
        "assert inspect.isfunction(f), f\n"
        "import hailuo_nb.comparison as pkg\n"  # the package is named apart: nothing rebinds
        "assert inspect.isfunction(hailuo_nb.compare) and pkg.compare is f\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
