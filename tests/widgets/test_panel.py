"""The control panel without a browser: set values, click, check what the user would see.

Every job goes through the shell's session to the in-process emulator; the emulator's own
statistics say how many jobs were really created.
"""

from __future__ import annotations

import datetime
import inspect
import os
import time
from typing import Any

import pytest

import hailuo_nb
from hailuo_nb.client import Client
from hailuo_nb.notebook.registry import current_session
from hailuo_nb.widgets.panel import Panel, panel_command

from .panel_fixtures import Emulator, emulator, png, shell, widget_text

__all__ = ["emulator", "shell"]  # fixtures, imported for pytest


def reason_of(panel: Panel) -> str:
    return str(panel.reason.value)


def upload(picker: Any, data: bytes, name: str = "frame.png") -> None:
    """What the browser sends when a file is chosen in a FileUpload."""
    picker.upload.value = (
        {
            "name": name,
            "type": "image/png",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.datetime.now(datetime.timezone.utc),
        },
    )


def html_of_tile(tile: Any) -> str:
    return "".join(o["data"].get("text/html", "") for o in tile.out.outputs)


def test_panel_is_exported_lazily_and_shares_the_magics_session(shell: Any) -> None:
    panel = hailuo_nb.Panel()
    assert isinstance(panel, Panel) and panel.session is current_session()
    assert "Panel" in hailuo_nb.__all__
    assert panel.form.provider.value == "emulator"  # from %config Hailuo.provider
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_empty_prompt_and_a_forbidden_combination_disable_generate_with_the_reason(
    shell: Any,
) -> None:
    panel = Panel()
    assert panel.generate.disabled
    assert "prompt: is empty" in reason_of(panel)

    panel.form.fill(prompt="a red fox running through snow")
    assert not panel.generate.disabled and reason_of(panel) == ""

    # 10 s rules out 1080p: the button is disabled and says why.
    panel.form.duration.button(10).value = True  # a click
    hd = panel.form.resolution.button("1080p")
    assert hd.disabled and "1080p allows only 6 s" in hd.tooltip
    assert "1080p allows only 6 s" in panel.form.resolution.notes.value
    assert not panel.generate.disabled

    # Forced from code anyway: Generate is disabled with the client's one-line reason.
    panel.form.resolution.value = "1080p"
    assert panel.generate.disabled
    assert (
        "resolution: 1080p allows only 6 s on hailuo-2.3 (emulator); choose 768p for 10 s"
        in reason_of(panel)
    )
    assert panel.submit() is None
    assert "not sent" in panel.status.value

    panel.form.duration.button(6).value = True
    assert not panel.generate.disabled and reason_of(panel) == ""


def test_each_model_shows_only_its_own_options(shell: Any) -> None:
    panel = Panel()
    form = panel.form
    assert form.model.options == (
        "hailuo-2.3",
        "hailuo-2.3-fast",
        "hailuo-02-fast",
        "minimax-hailuo-2",
        "h3",
        "h3-max",
    )
    shown = lambda widget: widget.layout.display != "none"  # noqa: E731

    form.fill(prompt="a fox", model="hailuo-02-fast")
    assert shown(form.switches["go_fast"]) and not shown(form.switches["fast_pretreatment"])
    assert not shown(form.resolution.widget) and shown(form.last_frame.widget)
    assert "chooses the resolution itself" in form.model_note.value
    assert "first_frame: hailuo-02-fast on emulator needs a first frame image" in reason_of(panel)
    assert "go_fast" in form.params()

    form.fill(model="minimax-hailuo-2")
    assert shown(form.mode.widget) and form.mode.values == ["standard", "pro"]
    assert not shown(form.duration.widget) and not shown(form.switches["go_fast"])
    form.mode.button("pro").value = True
    assert form.params() == {"model": "minimax-hailuo-2", "prompt_optimizer": True, "mode": "pro"}

    form.fill(provider="minimax")
    assert form.model.options == ("hailuo-2.3", "hailuo-2.3-fast", "hailuo-02", "h3", "h3-max")
    assert shown(form.switches["fast_pretreatment"]) and not shown(form.mode.widget)
    form.fill(model="hailuo-02")
    low = form.resolution.button("512p")
    assert low.disabled and "512p needs a first frame image" in low.tooltip
    assert "no API key for minimax" in reason_of(panel)  # never a getpass from a widget


def test_the_estimate_follows_the_options(shell: Any) -> None:
    panel = Panel()
    assert "~$0.35 (estimate)" in panel.form.cost.value
    panel.form.fill(duration=10)
    assert "~$0.70 (estimate)" in panel.form.cost.value
    panel.form.fill(duration=6, resolution="1080p")
    assert "~$0.70 (estimate)" in panel.form.cost.value
    assert "catalog price" in panel.form.cost.value


def test_the_budget_disables_generate(shell: Any) -> None:
    sh, _ = shell
    sh.run_line_magic("config", "Hailuo.budget_usd = 0.5")
    panel = Panel()
    panel.form.fill(prompt="a fox")
    assert not panel.generate.disabled and "budget $0.50" in panel.form.cost.value
    panel.form.fill(duration=10)
    assert panel.generate.disabled
    assert "estimated cost $0.70 would pass the budget of $0.50" in reason_of(panel)


def test_generate_sends_one_job_whose_tile_becomes_the_video(
    shell: Any, emulator: Emulator
) -> None:
    panel = Panel()
    panel.form.fill(prompt="a paper boat on a <b>rainy</b> street", duration=6)
    started = time.monotonic()
    panel.generate.click()
    assert time.monotonic() - started < 5  # the submit round trip, not the job
    assert emulator.submissions() == 1
    session = current_session()
    (tracked,) = session.tracked()
    job_id = tracked.job.id
    assert panel.jobs.ids() == [job_id]
    assert f"sent: job {job_id}" in panel.status.value
    tile = panel.jobs.tiles[job_id]
    assert tracked.view is tile
    assert "a paper boat on a &lt;b&gt;rainy&lt;/b&gt; street" in tile.header.value

    session.wait()
    html = html_of_tile(tile)
    assert "<video controls" in html and "<b>rainy" not in html
    assert tile.stop.description == "Hide"
    assert emulator.submissions() == 1
    # The history lists it, redrawn when it finished, with a button to show it again.
    row = panel.history.rows.children[0].children[1].value
    assert job_id in row and "completed" in row and "$0.35" in row


def test_a_double_click_sends_one_job(shell: Any, emulator: Emulator) -> None:
    panel = Panel()
    panel.form.fill(prompt="a fox, clicked twice")
    panel.generate.click()
    panel.generate.click()  # queued by the browser while the first was being sent
    assert emulator.submissions() == 1 and len(panel.jobs.ids()) == 1
    assert "not sent again" in panel.status.value
    current_session().wait()


def test_new_tiles_come_first(shell: Any, emulator: Emulator) -> None:
    panel = Panel()
    panel.form.fill(prompt="first prompt")
    first = panel.submit()
    panel.form.fill(prompt="second prompt")
    second = panel.submit()
    assert first is not None and second is not None
    assert panel.jobs.ids() == [second.id, first.id]
    assert panel.jobs.box.children[0] is panel.jobs.tiles[second.id].entry
    assert emulator.submissions() == 2
    current_session().wait()


@pytest.mark.skipif(
    "new" not in inspect.signature(Client.submit).parameters,
    reason="the client does not take new= yet",
)
def test_new_sample_sends_the_same_request_again(shell: Any, emulator: Emulator) -> None:
    panel = Panel()
    panel.form.fill(prompt="the same fox")
    first = panel.submit()
    current_session().wait()
    if "reuse" in current_session().config.trait_names():
        # Reuse is on by default in notebooks: the same request gives the same job back.
        panel.double_click_s = 0.0  # a deliberate second click, not a double click
        again = panel.submit()
        assert again is not None and first is not None and again.id == first.id
        assert "reused job" in panel.status.value and emulator.submissions() == 1
    panel.new_sample.value = True
    assert panel.submit() is not None
    assert emulator.submissions() == 2
    current_session().wait()


def test_stop_waiting_hides_the_tile_but_the_job_goes_on(shell: Any, emulator: Emulator) -> None:
    panel = Panel()
    panel.form.fill(prompt="an owl over a pine forest")
    job = panel.submit()
    assert job is not None
    tile = panel.jobs.tiles[job.id]
    tile.stop.click()
    assert tile.widget.layout.display == "none"
    assert "goes on in the background and stays in the job store" in tile.note.value
    assert tile not in current_session().hub._views

    current_session().wait()
    stored = current_session().client("emulator").get(job.id)
    assert stored is not None and stored.status == "completed"
    assert stored.video_path and os.path.exists(stored.video_path)
    assert emulator.stats()["jobs"][job.id]["status"] == "completed"  # never cancelled
    tile.again.click()
    assert tile.widget.layout.display == "" and "<video controls" in html_of_tile(tile)


def test_history_lists_earlier_jobs_and_shows_one_again(shell: Any, emulator: Emulator) -> None:
    sh, _ = shell
    sh.run_cell_magic("hailuo", "--wait -o fox", "a fox made with the magic <i>earlier</i>\n")
    fox = sh.user_ns["fox"]
    panel = Panel()
    rows = panel.history.rows.children
    assert len(rows) == 1
    text = rows[0].children[1].value
    assert fox.id in text and "completed" in text and "&lt;i&gt;earlier" in text
    rows[0].children[0].click()  # Show
    assert panel.jobs.ids() == [fox.id]
    current_session().wait([fox.id])
    assert "<video controls" in html_of_tile(panel.jobs.tiles[fox.id])
    assert emulator.submissions() == 1  # shown again, never sent again
    rows[0].children[0].click()  # again: the tile comes first, nothing new
    assert panel.jobs.ids() == [fox.id]


def test_an_uploaded_frame_gets_a_thumbnail_and_reaches_the_request(
    shell: Any, emulator: Emulator
) -> None:
    panel = Panel()
    form = panel.form
    form.fill(prompt="the fox starts running", model="hailuo-2.3-fast")
    assert "needs a first frame image" in reason_of(panel)
    data = png(640, 360)
    upload(form.first_frame, data, "fox.png")
    assert form.first_frame.thumbnail.value == data
    assert form.first_frame.thumbnail.layout.display != "none"
    assert "640×360 fox.png" in form.first_frame.info.value
    assert not panel.generate.disabled

    job = panel.submit()
    # Recorded and shown by its file name, not "bytes:<hash>" (issue 15, item 7).
    assert job is not None and job.params["first_frame"] == "fox.png"
    stats = emulator.stats()
    # Segmind (the emulator speaks its protocol) takes images as URLs: the data URL went
    # to upload-asset, which accepts only data:image/...;base64 entries.
    assert stats["requests"]["POST /segmind/upload-asset"] == {"200": 1}
    assert stats["submissions"]["total"] == 1
    current_session().wait()


def test_a_bad_image_is_refused_with_one_line_before_sending(
    shell: Any, emulator: Emulator
) -> None:
    panel = Panel()
    form = panel.form
    form.fill(prompt="a tiny frame")
    upload(form.first_frame, png(200, 200), "tiny.png")
    line = "first_frame: short side is 200 px; it must be more than 300 px"
    assert line in form.first_frame.info.value
    assert form.first_frame.thumbnail.layout.display == "none"
    assert panel.generate.disabled and line in reason_of(panel)
    assert panel.submit() is None
    assert line in panel.status.value and "Traceback" not in panel.status.value
    assert emulator.submissions() == 0

    form.first_frame.url.value = "ftp://example.com/a.png"
    assert "give an http(s) URL" in reason_of(panel)
    form.first_frame.clear.click()
    assert not panel.generate.disabled


def test_a_failed_submit_shows_one_escaped_line(shell: Any, emulator: Emulator) -> None:
    emulator.faults({"endpoint": "segmind.submit", "kind": "500", "times": 10})
    panel = Panel()
    panel.form.fill(prompt="a fox")
    assert panel.submit() is None
    status = panel.status.value
    assert "Traceback" not in status and "\n" not in status and "500" in status
    assert emulator.submissions() == 0 and panel.jobs.ids() == []
    assert panel.generate.description == "Generate" and not panel.generate.disabled


def test_the_api_key_never_appears(shell: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-panel-SECRET-1234567890"
    monkeypatch.setenv("SEGMIND_API_KEY", secret)
    panel = Panel()
    panel.form.fill(prompt="a fox", provider="segmind")
    assert not panel.generate.disabled
    assert secret not in widget_text(panel.widget)
    monkeypatch.delenv("SEGMIND_API_KEY")
    panel.form.fill(prompt="a fox again")
    assert "no API key for segmind: set $SEGMIND_API_KEY" in reason_of(panel)


def test_panel_command_displays_a_panel(shell: Any) -> None:
    _, rec = shell
    panel = panel_command(current_session())
    assert isinstance(panel, Panel)
    assert any("application/vnd.jupyter.widget-view+json" in b for b in rec.bundles())
