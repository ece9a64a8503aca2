"""``storyboard()`` end to end: the real session and client, the emulator on a real socket.

Asserted is what the user gets: the emulator's own count of submissions, the pictures in
the rendered videos, the joined film's length, the manifest, the bundle the front end
was asked to show.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import av
import httpx
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell
from PIL import Image

import hailuo_nb
from hailuo_nb.errors import BudgetExceeded, HailuoError
from hailuo_nb.story import ShotError, Storyboard
from hailuo_nb.story.join import probe
from tests.notebook.conftest import RecordingPublisher

Served = tuple[InteractiveShell, RecordingPublisher, Callable[[], dict[str, Any]]]
XSS = "<script>window.__x=1</script>"
FIVE = [
    "a fox wakes up in its den",
    "the fox steps out into fresh snow",
    "the fox runs across a frozen lake",
    "the fox stops on a hill at dusk",
    "the fox curls up under a pine tree",
]


def submissions(stats: Callable[[], dict[str, Any]]) -> int:
    return int(stats()["submissions"]["total"])


def frames_of(path: str) -> tuple[np.ndarray, np.ndarray]:
    """The first and last decoded frames of a video, as RGB arrays."""
    with av.open(path) as c:
        images = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return images[0].astype(int), images[-1].astype(int)


def final_story(rec: RecordingPublisher) -> dict[str, Any]:
    for data in rec.latest().values():
        if 'class="hailuo-story ' in data.get("text/html", ""):
            return data
    raise AssertionError(f"no final storyboard in {list(rec.latest().values())}")


def test_each_shot_starts_from_the_last_frame_of_the_one_before(served: Served) -> None:
    _sh, rec, stats = served
    story = hailuo_nb.storyboard([*FIVE[:2], f"{FIVE[2]} {XSS}"], model="hailuo-2.3")
    assert isinstance(story, Storyboard) and story.state == "running"
    story.wait(timeout=120)
    assert story.state == "done" and submissions(stats) == 3
    jobs = story.shots
    assert [j.status for j in jobs] == ["completed"] * 3
    for before, after in itertools.pairwise(jobs):
        # What was sent: the exact last frame of the saved video (the emulator's 320 px
        # preview is enlarged by a whole factor to pass MiniMax's 300 px rule).
        sent = Path(after.params["first_frame"])
        assert sent.parent == Path(before.video_path).parent and sent.suffix == ".png"
        _, last = frames_of(before.video_path)
        with Image.open(sent) as image:
            png = np.asarray(image.convert("RGB")).astype(int)
        factor = png.shape[0] // last.shape[0]
        assert factor >= 1 and (png[::factor, ::factor] == last).all()
        # What came back: shot n+1's video opens on that picture (within encoding loss).
        first, _ = frames_of(after.video_path)
        assert first.shape == last.shape
        assert np.abs(first - last).mean() < 6.0, np.abs(first - last).mean()
    # A different shot's frame is far from it: the comparison above means something.
    first_one, _ = frames_of(jobs[0].video_path)
    _, last_two = frames_of(jobs[1].video_path)
    assert np.abs(first_one - last_two).mean() > 15.0

    film = story.film
    assert film is not None and film.is_file() and film.parent == Path(jobs[0].video_path).parent
    shots = [probe(j.video_path).seconds for j in jobs]
    assert abs(probe(film).seconds - sum(shots)) <= 2 / 24  # a frame per seam
    manifest = json.loads(film.with_suffix(".json").read_text())
    assert [s["job_id"] for s in manifest["shots"]] == [j.id for j in jobs]
    assert [s["prompt"] for s in manifest["shots"]] == [j.prompt for j in jobs]
    assert manifest["joined_by"] == "copy" and manifest["shots"][1]["start_seconds"] == 6.0
    assert "SECRET" not in film.with_suffix(".json").read_text()

    bundle = final_story(rec)
    page = bundle["text/html"]
    src = re.search(r'<video class="hailuo-film" src="([^"]+)"', page)
    assert src and not Path(src.group(1)).is_absolute() and Path(unquote(src.group(1))).is_file()
    assert page.count('class="hailuo-shot"') == 3 and page.count("data:image/jpeg") >= 7
    assert XSS not in page and "&lt;script&gt;" in page
    assert "SECRET" not in json.dumps(bundle)
    text = bundle["text/plain"]
    assert text.startswith("film: 3 shots · 18.0 s") and "manifest:" in text
    assert len(text.splitlines()) == 5 and bundle["image/jpeg"]


@pytest.mark.slow
def test_editing_shot_three_of_five_pays_for_shots_three_to_five(served: Served) -> None:
    _sh, rec, stats = served
    first = hailuo_nb.storyboard(FIVE, model="hailuo-2.3").wait(timeout=180)
    assert submissions(stats) == 5 and first.film is not None
    assert abs(probe(first.film).seconds - 30.0) <= 4 / 24

    again = hailuo_nb.storyboard(FIVE, model="hailuo-2.3")  # unchanged: free, same film
    assert again.plan.to_send == 0 and again.plan.total_usd == 0.0
    again.wait(timeout=60)
    assert submissions(stats) == 5 and again.film == first.film

    edited = [*FIVE[:2], "the fox leaps over a frozen stream", *FIVE[3:]]
    story = hailuo_nb.storyboard(edited, model="hailuo-2.3", confirm_above_usd=0.5)
    # The plan, with its price, before anything is sent: shots 1–2 free, 3–5 paid.
    assert story.state == "pending" and submissions(stats) == 5
    assert story.plan.describe() == (
        "5 shots · estimated ~$1.05 · shots 1–2 shown again from earlier jobs"
    )
    lines = story.plan.lines()
    assert "$0 (shows job" in lines[0] and "$0 (shows job" in lines[1]
    assert all(line.endswith("~$0.35") for line in lines[2:])
    out = "\n".join(m["data"].get("text/plain", "") for m in rec.messages)
    assert "call .confirm() to Send 3 shots (~$1.05)" in out
    story.confirm().wait(timeout=120)
    assert submissions(stats) == 8  # exactly shots 3, 4 and 5
    assert [j.id for j in story.shots[:2]] == [j.id for j in first.shots[:2]]
    assert not {j.id for j in story.shots[2:]} & {j.id for j in first.shots}
    assert story.film is not None and story.film != first.film


def test_new_on_one_shot_asks_for_a_fresh_sample_of_it(served: Served) -> None:
    _sh, _rec, stats = served
    shots = FIVE[:3]
    before = hailuo_nb.storyboard(shots, model="hailuo-2.3").wait(timeout=120)
    assert submissions(stats) == 3
    story = hailuo_nb.storyboard(
        [shots[0], {"prompt": shots[1], "new": True}, shots[2]], model="hailuo-2.3"
    )
    # Planned: shot 1 free; shot 2 paid; shot 3 paid, since its first frame is not known.
    assert story.plan.reused[0] is not None and story.plan.reused[1:] == [None, None]
    story.wait(timeout=120)
    jobs = story.shots
    assert jobs[0].id == before.shots[0].id and jobs[1].id != before.shots[1].id
    # The emulator draws the same pixels for the same inputs, so the fresh sample of shot 2
    # ends on the very same frame: shot 3's request is then identical (the fingerprint
    # holds the first frame's content) and is shown again, not paid twice.
    assert submissions(stats) == 4 and jobs[2].id == before.shots[2].id and jobs[2].reused


def test_bad_shots_are_refused_before_anything_is_sent(served: Served) -> None:
    sh, _rec, stats = served
    with pytest.raises(
        ShotError,
        match=r"^shot 3 \(the fox runs across a frozen lake\): "
        r"duration: must be 6 or 10 s",
    ):
        hailuo_nb.storyboard([FIVE[0], FIVE[1], {"prompt": FIVE[2], "duration": 7}])
    with pytest.raises(ShotError, match=r"^shot 1 .*first_frame"):
        hailuo_nb.storyboard(FIVE[:2], model="hailuo-2.3-fast")  # needs a first frame
    with pytest.raises(ShotError, match="give a first frame only to shot 1"):
        hailuo_nb.storyboard([FIVE[0], {"prompt": FIVE[1], "first_frame": "x.png"}])
    with pytest.raises(ShotError, match=r"^shot 2 \(\?\): prompt"):
        hailuo_nb.storyboard([FIVE[0], {"duration": 6}])
    with pytest.raises(HailuoError, match="crossfade"):
        hailuo_nb.storyboard(FIVE[:2], crossfade=4)
    sh.run_line_magic("config", "Hailuo.budget_usd = 0.5")
    with pytest.raises(BudgetExceeded):
        hailuo_nb.storyboard(FIVE[:2], model="hailuo-2.3")
    assert submissions(stats) == 0


def test_without_pyav_one_line_says_what_to_install(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sh, _rec, stats = served
    monkeypatch.setitem(__import__("sys").modules, "av", None)  # as if not installed
    with pytest.raises(
        HailuoError, match=r"^storyboards need PyAV.*pip install hailuo-nb\[video\]$"
    ):
        hailuo_nb.storyboard(FIVE[:2])
    assert submissions(stats) == 0


def test_a_failed_shot_stops_the_chain_and_says_so(served: Served) -> None:
    _sh, rec, stats = served
    story = hailuo_nb.storyboard(
        [FIVE[0], f"{FIVE[1]} [[block-output]]", FIVE[2]], model="hailuo-2.3"
    ).wait(timeout=120)
    assert submissions(stats) == 2  # shot 3 never sent: it had no first frame
    assert [j.status for j in story.shots] == ["completed", "failed", "failed"]
    assert story.shots[2].error == "not sent: shot 2 did not complete"
    assert story.film is None
    text = final_story(rec)["text/plain"]
    assert text.startswith("storyboard: 3 shots · not joined: shot 2 failed")


def test_widget_cards_show_each_shots_first_and_last_frames(served: Served) -> None:
    sh, rec, _stats = served
    sh.run_line_magic("config", 'Hailuo.progress = "widget"')
    story = hailuo_nb.storyboard(FIVE[:2], model="hailuo-2.3")
    first = rec.messages[0]
    assert "application/vnd.jupyter.widget-view+json" in first["data"]
    board: Any = story.board
    cards = board.grid.children
    assert len(cards) == 2
    story.wait(timeout=120)
    headers = [c.children[0].value for c in cards]
    assert all(h.count('<img src="data:image/jpeg;base64,') == 2 for h in headers), headers
    assert "shot 2</b> the fox steps out" in headers[1] and "starts when" not in headers[1]
    final = rec.latest()[first["display_id"]]
    assert "application/vnd.jupyter.widget-view+json" not in final  # plain MIME now
    assert final["text/plain"].startswith("film: 2 shots · 12.0 s")
    assert final["text/html"].count("<video") == 1 and "image/jpeg" in final


def test_the_eta_adds_up_the_shots_still_to_come(served: Served) -> None:
    _sh, _rec, stats = served
    story = hailuo_nb.storyboard(FIVE[:2], model="hailuo-2.3", confirm_above_usd=0.1)
    assert story.state == "pending" and submissions(stats) == 0
    assert story.eta_seconds() == pytest.approx(2 * 140.7)  # Segmind's typical hailuo-2.3
    with pytest.raises(HailuoError, match=r"nothing sent yet: call \.confirm\(\) to send 2"):
        story.wait()
    story.confirm().wait(timeout=60)
    assert story.eta_seconds() == 0.0 and submissions(stats) == 2


def test_reuse_ask_answered_no_pays_for_every_shot_once(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    sh, _rec, stats = served
    hailuo_nb.storyboard(FIVE[:2], model="hailuo-2.3").wait(timeout=60)
    sh.run_line_magic("config", 'Hailuo.reuse = "ask"')
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda q: asked.append(q) or "n")
    story = hailuo_nb.storyboard(FIVE[:2], model="hailuo-2.3")
    assert len(asked) == 1 and asked[0].startswith("2 of 2 shots repeat earlier requests")
    assert story.plan.reused == [None, None]
    story.wait(timeout=60)
    assert submissions(stats) == 4 and not any(j.reused for j in story.shots)


def test_a_crossfade_is_joined_and_the_page_exports(served: Served, tmp_path: Path) -> None:
    _sh, _rec, _stats = served
    story = hailuo_nb.storyboard(FIVE[:2], model="hailuo-2.3", crossfade=0.5).wait(timeout=60)
    assert story.film is not None and story.joined is not None
    assert story.joined.method == "encode" and abs(probe(story.film).seconds - 11.5) <= 1 / 24
    page = story.export_html(tmp_path / "page" / "fox.html")
    text = page.read_text()
    src = re.search(r'<video class="hailuo-film" src="([^"]+)"', text)
    assert src and (page.parent / unquote(src.group(1))).resolve() == story.film.resolve()
    embedded = story.export_html(tmp_path / "fox-embedded.html", embed=True).read_text()
    assert 'src="data:video/mp4;base64,' in embedded


def test_a_shot_may_name_its_last_frame_where_the_model_takes_one(
    served: Served, tmp_path: Path
) -> None:
    _sh, _rec, stats = served
    end = tmp_path / "end.png"
    Image.new("RGB", (640, 360), (200, 40, 40)).save(end)
    shots = [FIVE[0], {"prompt": FIVE[1], "last_frame": str(end)}, FIVE[2]]
    with pytest.raises(
        ShotError, match=r"^shot 2 \(the fox steps out into fresh snow\): last_frame"
    ):
        hailuo_nb.storyboard(shots, model="hailuo-2.3")  # takes no last frame
    assert submissions(stats) == 0
    story = hailuo_nb.storyboard(shots, model="minimax-hailuo-2").wait(timeout=60)
    assert [j.status for j in story.shots] == ["completed"] * 3
    # Shot 2 ends on the picture it named, so shot 3 starts from it.
    with Image.open(story.shots[2].params["first_frame"]) as sent:
        red = np.asarray(sent.convert("RGB")).astype(int).mean(axis=(0, 1))
    assert red[0] > 150 and red[1] < 90 and red[2] < 90, red


VARIANTS = [FIVE[0], {"prompts": ["the fox steps out", "the fox jumps out"]}, FIVE[2]]


def test_variants_run_side_by_side_and_the_chain_goes_on_from_the_pick(served: Served) -> None:
    _sh, _rec, stats = served
    story = hailuo_nb.storyboard(VARIANTS, model="hailuo-2.3")
    assert story.plan.lines()[1].startswith("  2. the fox steps out (2 variants, to pick)")
    assert story.plan.total_usd == pytest.approx(4 * 0.35)
    story.wait(timeout=60)  # returns when shot 2 waits for its pick
    assert story.awaiting == 2 and story.state == "running"
    assert submissions(stats) == 3  # shot 1 and both candidates of shot 2, nothing more
    assert "waits for a pick: story.pick(shot=2, variant=1..2)" in story.heading()
    with pytest.raises(HailuoError, match="shot 1 has no variants to pick"):
        story.pick(shot=1, variant=1)
    with pytest.raises(HailuoError, match="shot 2 has variants 1 to 2, not 3"):
        story.pick(shot=2, variant=3)
    candidates = story.variants(2)
    assert [j.prompt for j in candidates] == ["the fox steps out", "the fox jumps out"]
    story.pick(shot=2, variant=2).wait(timeout=60)
    assert story.state == "done" and story.awaiting is None and submissions(stats) == 4
    assert "paid for this storyboard: $1.40 billed" in story.heading()  # both candidates
    assert story.shots[1].id == candidates[1].id
    sent = Path(story.shots[2].params["first_frame"])
    assert sent.name == Path(str(candidates[1].video_path)).with_suffix(".last.png").name
    manifest = story.manifest
    assert manifest is not None and manifest["shots"][1]["picked_variant"] == 2
    assert [v["job_id"] for v in manifest["shots"][1]["variants"]] == [j.id for j in candidates]

    # Run again: the pick is remembered, nothing is asked, nothing is paid.
    again = hailuo_nb.storyboard(VARIANTS, model="hailuo-2.3")
    assert again.plan.picks == {2: 2} and again.plan.to_send == 0
    again.wait(timeout=60)
    assert again.state == "done" and submissions(stats) == 4
    assert again.film == story.film


def test_use_this_one_on_a_card_picks_the_variant(served: Served) -> None:
    sh, _rec, stats = served
    sh.run_line_magic("config", 'Hailuo.progress = "widget"')
    story = hailuo_nb.storyboard(VARIANTS[:2], model="hailuo-2.3")
    board: Any = story.board
    assert len(board.grid.children) == 3  # shot 1, and shot 2's two candidates
    story.wait(timeout=60)
    assert story.awaiting == 2
    buttons = [
        w
        for card in board.grid.children
        for w in card.children
        if getattr(w, "description", None) == "Use this one"
    ]
    assert len(buttons) == 2
    buttons[0].click()
    story.wait(timeout=60)
    assert story.state == "done" and story.manifest is not None
    assert story.manifest["shots"][1]["picked_variant"] == 1 and submissions(stats) == 3


def test_a_lost_submit_answer_stops_the_chain_and_is_never_sent_again(
    served: Served, emulator_url: str
) -> None:
    _sh, _rec, stats = served
    hailuo_nb.storyboard(FIVE[:1], model="hailuo-2.3").wait(timeout=60)
    # Shot 2 is accepted by the server, then the connection drops before its answer.
    httpx.post(
        f"{emulator_url}/__emulator__/faults",
        json={"faults": [{"endpoint": "segmind.submit", "kind": "drop_after", "times": 1}]},
    ).raise_for_status()
    story = hailuo_nb.storyboard(FIVE[:3], model="hailuo-2.3").wait(timeout=60)
    assert [j.status for j in story.shots] == ["completed", "uncertain", "failed"]
    assert story.shots[2].error == "not sent: shot 2 did not complete" and story.film is None
    assert submissions(stats) == 2  # shot 1 earlier, and the one whose answer was lost
    # Run again: the request that may have been paid is not sent a second time.
    again = hailuo_nb.storyboard(FIVE[:3], model="hailuo-2.3").wait(timeout=60)
    assert again.shots[1].status == "uncertain" and "reconcile" in str(again.shots[1].error)
    assert submissions(stats) == 2
