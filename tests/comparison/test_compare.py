"""``compare()`` end to end: the real session and client, the emulator on a real socket.

What is asserted is what the user gets: the emulator's own count of submissions, the
bundles the front end was asked to show, the files written, the table.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from IPython.core.interactiveshell import InteractiveShell

import hailuo_nb
from hailuo_nb.comparison import Comparison, TileError
from hailuo_nb.errors import BudgetExceeded, HailuoError
from hailuo_nb.notebook.registry import session_for
from tests.notebook.conftest import RecordingPublisher

Served = tuple[InteractiveShell, RecordingPublisher, Callable[[], dict[str, Any]]]
XSS = "<script>window.__x=1</script>"
PROMPTS = ["a red fox running through snow", f"an owl {XSS} at dusk"]
MODELS = ["hailuo-2.3", "minimax-hailuo-2"]
SRC = re.compile(r'<video[^>]*\bsrc="([^"]+)"')


def final_grid(rec: RecordingPublisher) -> dict[str, Any]:
    """The comparison's output as the notebook would save it now."""
    for data in rec.latest().values():
        if 'class="hailuo-compare ' in data.get("text/html", ""):
            return data
    raise AssertionError(f"no final grid in {list(rec.latest().values())}")


def submissions(stats: Callable[[], dict[str, Any]]) -> int:
    return int(stats()["submissions"]["total"])


def test_two_by_two_sends_four_jobs_and_shows_four_videos(served: Served) -> None:
    sh, rec, stats = served
    cmp = hailuo_nb.compare(PROMPTS, models=MODELS)
    assert isinstance(cmp, Comparison) and cmp.state == "running"
    cmp.wait(timeout=60)
    assert submissions(stats) == 4
    assert cmp.state == "done"
    jobs = cmp.jobs
    assert [j.status for j in jobs] == ["completed"] * 4
    assert [(j.prompt, j.model) for j in jobs] == [(p, m) for p in PROMPTS for m in MODELS]
    session = session_for(sh)
    assert {j.id for j in jobs} <= {t.job.id for t in session.tracked()}  # the magic's list

    bundle = final_grid(rec)
    html = bundle["text/html"]
    assert html.count("<video") == 4 and html.count('poster="data:image/jpeg;base64,') == 4
    for src in SRC.findall(html):
        assert not Path(src).is_absolute() and Path(unquote(src)).is_file()
    assert XSS not in html and "&lt;script&gt;window.__x=1&lt;/script&gt;" in html
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert len(captions) == 4
    assert "hailuo-2.3" in captions[0] and "a red fox" in captions[0]
    assert all("768p" not in c and "segmind" not in c for c in captions)  # same for all
    assert html.count("hailuo-play-all") == 1
    # Drawn by the grid's own script, never inline handlers: where scripts do not run (an
    # untrusted notebook) there are no dead buttons, only each video's own controls.
    assert "onclick" not in html and "<button" not in html
    text = bundle["text/plain"]
    assert text.startswith("4 videos (2 prompts × 2 models)") and "4 completed" in text
    assert len(text.splitlines()) == 6  # heading, column names, four rows

    rows = cmp.table()
    assert [r["tile"] for r in rows] == [1, 2, 3, 4]
    assert rows[1]["prompt"] == PROMPTS[0] and rows[1]["model"] == "minimax-hailuo-2"
    assert rows[0]["settings"] == "6 s · 768p" and rows[0]["status"] == "completed"
    assert all(r["cost_usd"] and r["billed"] and r["seconds"] is not None for r in rows)
    assert all(Path(r["file"]).is_file() for r in rows)
    assert "sk-compare-test-SECRET" not in repr(rec.messages) + repr(rows)


def test_export_html_links_or_embeds_the_videos(served: Served, tmp_path: Path) -> None:
    _sh, _rec, _stats = served
    cmp = hailuo_nb.compare(PROMPTS, models=MODELS).wait(timeout=60)

    page = cmp.export_html(tmp_path / "share" / "compare.html", embed=False)
    body = page.read_text()
    assert body.startswith("<!DOCTYPE html>") and body.count("<video") == 4
    for src in SRC.findall(body):
        assert src.startswith("../") and (page.parent / unquote(src)).is_file()
    assert XSS not in body and "&lt;script&gt;window.__x=1&lt;/script&gt;" in body
    assert body.count("<tr>") == 5 and "minimax-hailuo-2" in body  # the table
    assert "hailuo-play-all" in body

    embedded = cmp.export_html(tmp_path / "embedded.html").read_text()  # the default
    assert [s[:22] for s in SRC.findall(embedded)] == ["data:video/mp4;base64,"] * 4
    assert len(embedded) > len(body)
    # Each embedded preview links its full file, relative to the page.
    full = re.findall(r'full size: <a href="([^"]+)"', embedded)
    assert len(full) == 4 and all((tmp_path / unquote(h)).is_file() for h in full)
    videos = Path(cmp.table()[0]["file"]).parent
    assert len(list(videos.glob("*.mp4"))) == 4  # the previews live in previews/


def test_widget_grid_tiles_become_videos(served: Served) -> None:
    sh, rec, _stats = served
    sh.run_line_magic("config", 'Hailuo.progress = "widget"')
    cmp = hailuo_nb.compare(PROMPTS, models=MODELS)
    first = rec.messages[0]
    assert "application/vnd.jupyter.widget-view+json" in first["data"]
    board: Any = cmp.board
    assert "hailuo-compare" in board.root._dom_classes
    tiles = board.grid.children
    assert len(tiles) == 4 and board.grid.layout.grid_template_columns.startswith("repeat(2")
    headers = [t.children[0].value for t in tiles]
    assert "an owl &lt;script&gt;" in headers[2] and "<b>minimax-hailuo-2</b>" in headers[3]
    cmp.wait(timeout=60)
    session = session_for(sh)
    views = [session.find(j.id).view for j in cmp.jobs]
    assert [v.widget for v in views] == list(tiles)  # the tiles are the jobs' live views
    assert all(v.finished and v.bar.bar_style == "success" for v in views)
    assert board.table.value.count("<tr>") == 5
    final = rec.latest()[first["display_id"]]
    assert "application/vnd.jupyter.widget-view+json" not in final  # plain HTML now
    assert final["text/html"].count("<video") == 4
    assert board.root.comm is None and all(t.comm is None for t in tiles)  # closed


def test_an_invalid_tile_or_a_passed_budget_sends_nothing(served: Served) -> None:
    sh, rec, stats = served
    with pytest.raises(TileError, match=r"^tile 2 \(minimax-hailuo-2\): duration: "):
        hailuo_nb.compare(["a fox"], models=MODELS, durations=[6])
    sh.run_line_magic("config", "Hailuo.budget_usd = 1.0")
    with pytest.raises(BudgetExceeded, match=r"estimated cost \$1.48 would pass the budget"):
        hailuo_nb.compare(PROMPTS, models=MODELS)
    time.sleep(0.3)
    assert submissions(stats) == 0
    assert rec.messages == []  # refused before anything was shown


def test_above_the_threshold_nothing_is_sent_until_confirmed(served: Served) -> None:
    _sh, rec, stats = served
    cmp = hailuo_nb.compare(PROMPTS, models=MODELS, confirm_above_usd=1.0)
    assert cmp.state == "pending"
    shown = rec.latest()[rec.messages[0]["display_id"]]["text/plain"]
    assert "estimated ~$1.48" in shown and "Send 4 jobs (~$1.48)" in shown
    assert "  3. an owl" in shown
    with pytest.raises(HailuoError, match=r"nothing sent yet: call \.confirm\(\)"):
        cmp.wait()
    time.sleep(0.5)
    assert submissions(stats) == 0 and [j.id for j in cmp.jobs] == [""] * 4
    cmp.confirm().wait(timeout=60)
    cmp.confirm()  # a second confirmation sends nothing more
    assert submissions(stats) == 4
    assert [j.status for j in cmp.jobs] == ["completed"] * 4


def test_the_send_button_sends_once_and_rechecks_the_budget(served: Served) -> None:
    sh, _rec, stats = served
    sh.run_line_magic("config", 'Hailuo.progress = "widget"')
    sh.run_line_magic("config", "Hailuo.budget_usd = 2.0")
    cmp = hailuo_nb.compare(PROMPTS, models=MODELS, confirm_above_usd=1.0)
    board: Any = cmp.board
    assert board.button.description == "Send 4 jobs (~$1.48)"
    hailuo_nb.compare(["a cat"], confirm_above_usd=None).wait(timeout=60)  # spends $0.35
    sh.run_line_magic("config", "Hailuo.budget_usd = 1.5")
    board.button.click()
    assert cmp.state == "pending" and "would pass the budget of $1.50" in board.message.value
    assert submissions(stats) == 1
    sh.run_line_magic("config", "Hailuo.budget_usd = 5.0")
    board.button.click()
    board.button.click()
    cmp.wait(timeout=60)
    assert submissions(stats) == 5


def test_a_refused_tile_fails_alone_with_its_reason(served: Served) -> None:
    _sh, rec, _stats = served
    cmp = hailuo_nb.compare(["a calm lake", "a [[block]] scene"]).wait(timeout=60)
    assert [j.status for j in cmp.jobs] == ["completed", "failed"]
    html = final_grid(rec)["text/html"]
    assert html.count("<video") == 1 and 'class="hailuo-reason"' in html
    rows = cmp.table()
    assert rows[1]["status"] == "failed" and rows[1]["error"]


def test_an_identical_comparison_reuses_the_finished_jobs(served: Served) -> None:
    _sh, rec, stats = served
    first = hailuo_nb.compare(PROMPTS[:1], models=MODELS).wait(timeout=60)
    again = hailuo_nb.compare(PROMPTS[:1], models=MODELS).wait(timeout=60)
    assert submissions(stats) == 2
    assert [j.id for j in again.jobs] == [j.id for j in first.jobs]
    assert [j.status for j in again.jobs] == ["completed"] * 2
    assert final_grid(rec)["text/html"].count("<video") == 2
    fresh = hailuo_nb.compare(PROMPTS[:1], models=MODELS, new=True).wait(timeout=60)
    assert submissions(stats) == 4 and {j.id for j in fresh.jobs}.isdisjoint(
        j.id for j in first.jobs
    )


def test_the_estimate_counts_only_what_will_be_paid(served: Served) -> None:
    _sh, rec, stats = served
    hailuo_nb.compare(PROMPTS, models=MODELS[:1]).wait(timeout=60)
    assert submissions(stats) == 2
    # The same two tiles again and two new ones: only the new ones are priced, so the
    # $1.50 threshold ($2.10 for all four) is not reached and nothing waits for a click.
    again = hailuo_nb.compare(PROMPTS, durations=[6, 10], confirm_above_usd=1.5)
    assert again.plan.total_usd == 1.40 and again.plan.full_usd == 2.10
    assert again.heading().startswith("4 videos (2 prompts × 2 durations) · estimated ~$1.40 · ")
    assert "2 shown again" in again.heading()
    again.wait(timeout=60)
    assert submissions(stats) == 4
    # Two identical tiles in one grid are one job, priced once.
    twins = hailuo_nb.compare(["a quiet harbour"], settings=[{}, {}], confirm_above_usd=None)
    assert twins.plan.total_usd == 0.35 and twins.plan.reused == [None, "tile 1"]
    twins.wait(timeout=60)
    assert submissions(stats) == 5 and twins.jobs[0].id == twins.jobs[1].id
    assert final_grid(rec)["text/html"].count("<video") == 2


def test_reuse_ask_asks_once_per_comparison(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    sh, _rec, stats = served
    hailuo_nb.compare(PROMPTS[:1], models=MODELS).wait(timeout=60)
    sh.run_line_magic("config", 'Hailuo.reuse = "ask"')
    asked: list[str] = []
    answers = iter(["n", "y"])

    def answer(question: str) -> str:
        asked.append(question)
        return next(answers)

    monkeypatch.setattr("builtins.input", answer)
    fresh = hailuo_nb.compare(PROMPTS[:1], models=MODELS).wait(timeout=60)
    assert len(asked) == 1 and asked[0].startswith("2 of 2 tiles repeat earlier requests")
    assert "instead of paying ~$0.74 for new ones? [y/N]" in asked[0]
    assert submissions(stats) == 4 and fresh.plan.total_usd == 0.74
    hailuo_nb.compare(PROMPTS[:1], models=MODELS).wait(timeout=60)
    assert len(asked) == 2 and submissions(stats) == 4


def test_text_repr_and_dataframe(served: Served) -> None:
    _sh, _rec, _stats = served
    cmp = hailuo_nb.compare(PROMPTS[1:], durations=[6, 10]).wait(timeout=60)
    assert repr(cmp).startswith("<Comparison 2 videos (2 durations) · estimated ~$1.05")
    html = cmp._repr_html_()
    assert XSS not in html and html.count("<tr>") == 3
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            cmp.to_dataframe()
    else:
        frame = cmp.to_dataframe()
        assert list(frame.index) == [1, 2] and set(frame["status"]) == {"completed"}


def test_four_prompts_on_two_models_within_the_clients_concurrency(served: Served) -> None:
    sh, rec, stats = served
    sh.run_line_magic("config", "Hailuo.max_concurrency = 3")
    prompts = ["a fox", "an owl", "a heron", "a lynx"]
    cmp = hailuo_nb.compare(prompts, models=MODELS).wait(timeout=60)
    assert submissions(stats) == 8 and cmp.columns == 2
    html = final_grid(rec)["text/html"]
    assert html.count("<video") == 8
    # Never more than three jobs of the client in flight: each later submission waited
    # for an earlier job to finish.
    jobs = sorted(cmp.jobs, key=lambda j: j.submitted_at or 0)
    spans = [(j.submitted_at or 0, j.finished_at or 0) for j in jobs]
    for start, _ in spans:
        running = [s for s, f in spans if s <= start < f]
        assert len(running) <= 3, spans
