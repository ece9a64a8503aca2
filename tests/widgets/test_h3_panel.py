"""H3 in the panel: its controls only for H3 models, Cancel while queued, 2K when done.

A real shell and session, the in-process emulator; the buttons are clicked as a user would.
"""

from __future__ import annotations

import time
from typing import Any

from hailuo_nb.notebook.registry import current_session
from hailuo_nb.widgets.panel import Panel

from .panel_fixtures import Emulator, emulator, shell

__all__ = ["emulator", "shell"]  # fixtures, imported for pytest


def shown(widget: Any) -> bool:
    return bool(widget.layout.display != "none")


def test_h3_controls_only_for_h3_models(shell: Any) -> None:
    form = Panel().form
    assert not shown(form.ratio.widget) and not shown(form.expansion.widget)
    form.fill(prompt="a fox", model="h3")
    assert shown(form.ratio.widget) and not shown(form.expansion.widget)
    assert not shown(form.prompt_optimizer) and "adaptive" not in form.ratio.values
    assert form.duration.values == list(range(4, 16)) and form.resolution.values == ["768p", "2k"]
    form.fill(ratio="9:16", duration=8)
    assert form.params() == {"model": "h3", "duration": 8, "resolution": "768p", "ratio": "9:16"}
    assert str(form.check().estimate) == "~$0.64 (estimate)"
    form.fill(model="h3-max")
    assert shown(form.expansion.widget) and form.params()["prompt_expansion_mode"] == "balanced"
    form.fill(model="hailuo-2.3")
    assert not shown(form.ratio.widget) and shown(form.prompt_optimizer)


def test_draft_then_2k_from_its_tile(shell: Any, emulator: Emulator) -> None:
    panel = Panel()
    panel.form.fill(prompt="a paper boat on a rainy street", model="h3", ratio="16:9")
    job = panel.submit()
    assert job is not None
    current_session().wait([job.id])
    tile = panel.jobs.tiles[job.id]
    assert tile.finished and shown(tile.upscale_button) and not shown(tile.cancel_button)
    tile.upscale_button.click()
    assert "2K: job" in tile.action_note.value
    big_id = next(i for i in panel.jobs.ids() if i != job.id)
    current_session().wait([big_id])
    big = panel.jobs.tiles[big_id]
    assert big.job.status == "completed" and big.job.params["resolution"] == "2k"
    assert not shown(big.upscale_button)  # a 2K video is not made again
    assert emulator.submissions() == 2


def test_cancel_from_a_queued_tile(shell: Any) -> None:
    sh, _ = shell
    sh.run_line_magic("config", 'Hailuo.emulator = {"time_scale": 1.0, "preview": True}')
    panel = Panel()
    panel.form.fill(prompt="a slow fox", model="h3")
    job = panel.submit()
    assert job is not None
    tile = panel.jobs.tiles[job.id]
    tile.draw(time.time())
    assert shown(tile.cancel_button)
    tile.cancel_button.click()
    assert "cancelled before it started; not charged" in tile.action_note.value
    current_session().wait([job.id])
    assert tile.job.status == "cancelled" and not shown(tile.cancel_button)
    stats = Emulator(current_session()).stats()
    assert not stats["jobs"][job.id]["charged"]


def test_a_grid_tile_starts_muted_a_panel_tile_does_not() -> None:
    from hailuo_nb.models import Job
    from hailuo_nb.widgets.tile import JobTile

    bundle = {"text/html": '<video controls preload="metadata" src="a.mp4"></video>'}
    job = Job(id="a", provider="emulator", model="h3", status="completed")
    grid, panel = JobTile(job, muted=True), JobTile(job)
    grid.finish(bundle)
    panel.finish(bundle)
    assert "<video controls muted " in grid.out.outputs[0]["data"]["text/html"]
    assert "muted" not in panel.out.outputs[0]["data"]["text/html"]


def test_references_uploaded_in_the_panel(shell: Any, emulator: Emulator) -> None:
    from ..emulator.h3helpers import clip, image, wav

    panel = Panel()
    form = panel.form
    assert not shown(form.references["reference_videos"].widget)
    form.fill(prompt="the fox walks like this", model="h3")
    assert shown(form.references["reference_videos"].widget)
    refs = form.references
    refs["reference_audio"].add(wav(3.0), name="steps.wav", mime="audio/wav")
    # Audio alone is refused before anything is sent: Generate says why.
    assert "audio cannot be the only reference" in panel.reason.value
    refs["reference_videos"].add(clip(1.0), name="blink.mp4", mime="video/mp4")
    assert "each clip must be 2-15 s" in refs["reference_videos"].listing.value
    refs["reference_videos"].add(clip(3.0), name="walk.mp4", mime="video/mp4")
    refs["reference_images"].add(image(), name="fox.png")
    assert "walk.mp4 · 3.0 s" in refs["reference_videos"].listing.value
    assert "fox.png · 640×360" in refs["reference_images"].listing.value
    assert panel.reason.value == "" or "audio" not in panel.reason.value
    job = panel.submit()
    assert job is not None, panel.status.value
    current_session().wait([job.id])
    done = panel.jobs.tiles[job.id].job
    assert done.status == "completed" and len(done.params["reference_videos"]) == 1
    assert emulator.submissions() == 1
