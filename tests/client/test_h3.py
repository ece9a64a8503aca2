"""H3 end to end: the client against the emulator's MiniMax V2 and AI/ML ``minimax/h3``.

Real requests over a socket (or in process for the ``emulator`` provider), real MP4s read
back with PyAV: what the user gets is a video of the asked shape and length *with sound*.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig, create_app
from hailuo_nb.errors import (
    AuthError,
    InsufficientCredits,
    JobFailed,
    ProviderError,
    SubmitUncertain,
    ValidationError,
)

from ..emulator.h3helpers import clip, image, probe, wav
from .conftest import requests_to, set_faults, stats

CREATE = "POST /minimax/v2/video_generation"


async def test_text_to_video_with_sound(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("minimax") as client:
        prepared = client.prepare("a red fox in the snow", model="MiniMax-H3", duration=8,
                                  ratio="9:16")
        assert str(prepared.estimate) == "~$0.64 (estimate)"  # $0.08/s at 768P
        job = await client.wait(await client.submit(prepared))
    assert job.status == "completed" and job.model == "h3" and job.video_path
    seen = probe(Path(job.video_path).read_bytes())
    assert seen.height > seen.width  # vertical (preview size, 9:16)
    assert 7.5 <= seen.video_seconds <= 8.5
    assert (seen.audio_codec, seen.sample_rate, seen.channels) == ("aac", 32000, 2)
    # Billed from the task's usage at the published price, not the estimate.
    assert job.cost is not None and not job.cost.estimated and job.cost.usd == 0.64
    assert job.params["ratio"] == "9:16" and "prompt_optimizer" not in job.params
    assert requests_to(emulator_url, CREATE) == {"200": 1}
    assert stats(emulator_url)["submissions"]["total"] == 1


async def test_default_emulator_provider_serves_h3(tmp_path: Path) -> None:
    config = EmulatorConfig(time_scale=2000.0, preview=True, seed=1)
    async with Client("emulator", environ={}, output_dir=tmp_path, emulator_config=config,
                      model="MiniMax-H3") as client:
        job = await client.generate("a lighthouse at dusk", duration=8, ratio="9:16")
    seen = probe(Path(str(job.video_path)).read_bytes())
    assert seen.height > seen.width and seen.audio_codec == "aac" and seen.channels == 2
    assert job.provider == "emulator" and job.cost is not None and job.cost.usd == 0.64


async def test_references_by_data_uri(make_client: Callable[..., Client], tmp_path: Path) -> None:
    video, sound = tmp_path / "walk.mp4", tmp_path / "steps.wav"
    video.write_bytes(clip(3.0))
    sound.write_bytes(wav(3.0))
    async with make_client("minimax") as client:
        prepared = client.prepare(
            "the fox walks like this", model="MiniMax-H3", reference_images=[image()],
            reference_videos=[str(video)], reference_audio=[str(sound)],
        )
        # 6 s output + 3 s of reference video at $0.08/s; one image (5 are free).
        assert prepared.estimate.usd == 0.72
        job = await client.generate(prepared)  # type: ignore[arg-type]
    assert job.status == "completed" and job.cost is not None and job.cost.usd == 0.72
    assert job.params["reference_videos"] == [str(video)]
    assert "base64" not in str(job.params)  # records name the files, never hold them


async def test_first_and_last_frame_and_h3_max_expansion(
    make_client: Callable[..., Client],
) -> None:
    async with make_client("minimax") as client:
        framed = await client.generate("a fox turns", model="MiniMax-H3",
                                       last_frame=image(360, 640))
        maxed = await client.generate("a fox", model="MiniMax-H3-Max", resolution="480p",
                                      duration=5, prompt_expansion_mode="quality")
    assert framed.status == "completed"  # H3 takes a last frame alone
    # A last frame decides the shape (i2va): portrait here.
    seen = probe(Path(str(framed.video_path)).read_bytes())
    assert seen.height > seen.width
    assert maxed.status == "completed" and maxed.cost is not None and maxed.cost.usd == 0.25


async def test_aimlapi_h3(make_client: Callable[..., Client]) -> None:
    async with make_client("aimlapi") as client:
        job = await client.generate("a fox", model="minimax/h3", duration=5, ratio="1:1")
    assert job.status == "completed" and job.model == "h3"
    assert job.cost is not None and not job.cost.estimated
    seen = probe(Path(str(job.video_path)).read_bytes())
    assert seen.width == seen.height and seen.audio_codec == "aac"


# -- the V2 errors, each a one-line answer ------------------------------------------------


async def test_unknown_key_401(tmp_path: Path) -> None:
    app = create_app(EmulatorConfig(time_scale=2000.0, keys={"sk-api-good-0123456789": 5.0}))
    async with Client("minimax", api_key="sk-api-nobody-0123456789", environ={},
                      base_url="http://emulator/minimax", output_dir=tmp_path,
                      transport=httpx.ASGITransport(app=app)) as client:
        with pytest.raises(AuthError) as info:
            await client.submit("a fox", model="MiniMax-H3")
    assert info.value.status_code == 401 and "login fail" in str(info.value)
    assert "nobody" not in str(info.value)


async def test_plan_key_402(make_client: Callable[..., Client], emulator_url: str) -> None:
    async with make_client("minimax", api_key="sk-cp-plan-0123456789") as client:
        with pytest.raises(InsufficientCredits, match="insufficient balance"):
            await client.submit("a fox", model="MiniMax-H3")
    assert stats(emulator_url)["submissions"]["total"] == 0


async def test_422_refused_prompt(make_client: Callable[..., Client], emulator_url: str) -> None:
    async with make_client("minimax") as client:
        with pytest.raises(ProviderError) as info:
            await client.submit("a [[block]] fox", model="MiniMax-H3")
    assert info.value.status_code == 422 and "sensitive content (1026)" in str(info.value)
    assert stats(emulator_url)["submissions"]["total"] == 0


async def test_output_refused_is_a_failed_unpaid_job(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("minimax") as client:
        job = await client.submit("a [[block-output]] fox", model="MiniMax-H3")
        with pytest.raises(JobFailed, match="1027"):
            await client.wait(job)
        assert client.get(job.id).charge is None  # type: ignore[union-attr]
    assert not stats(emulator_url)["jobs"][job.id]["charged"]


async def test_429_on_create_is_waited_out_and_sent_once(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "minimax.v2.submit", "kind": "429", "times": 1},
               {"endpoint": "minimax.v2.query", "kind": "529", "times": 1},
               {"endpoint": "minimax.v2.query", "kind": "500", "times": 1})
    async with make_client("minimax") as client:
        job = await client.generate("a fox", model="MiniMax-H3")
    assert job.status == "completed"
    assert requests_to(emulator_url, CREATE) == {"429": 1, "200": 1}
    assert stats(emulator_url)["submissions"]["total"] == 1


async def test_500_on_create_is_uncertain_never_resent(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "minimax.v2.submit", "kind": "500", "times": 1})
    async with make_client("minimax") as client:
        with pytest.raises(SubmitUncertain):
            await client.submit("a fox", model="MiniMax-H3")
    assert requests_to(emulator_url, CREATE) == {"500": 1}


# -- 2K from a 768P draft ----------------------------------------------------------------


async def test_regenerate_2k_is_priced_first_and_reused(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("minimax", reuse="always") as client:
        draft = await client.generate("a fox", model="MiniMax-H3", duration=8)
        prepared = client.prepare_2k(draft)
        assert str(prepared.estimate) == "~$0.40 (estimate)"  # $0.05/s
        final = await client.wait(await client.regenerate_2k(draft))
        again = await client.regenerate_2k(draft)
        with pytest.raises(ValidationError, match="not a 768P generation"):
            client.prepare_2k(final)
    assert final.status == "completed" and final.params["resolution"] == "2k"
    assert final.params["regenerate_from"] == draft.id
    assert final.cost is not None and final.cost.usd == 0.4 and not final.cost.estimated
    assert again.reused and again.id == final.id
    seen = probe(Path(str(final.video_path)).read_bytes())
    assert seen.audio_codec == "aac" and 7.5 <= seen.video_seconds <= 8.5
    assert requests_to(emulator_url, "POST /minimax/v2/video_regeneration") == {"200": 1}
    assert stats(emulator_url)["submissions"]["total"] == 2


def test_regeneration_rules() -> None:
    client = Client("minimax", api_key="k" * 20, environ={}, output_dir=tempfile.mkdtemp())
    with pytest.raises(ValidationError, match="unknown job"):
        client.prepare_2k("nope")
    with pytest.raises(ValidationError, match="only h3 can"):
        client.prepare("a fox", model="MiniMax-H3-Max", resolution="768p", regenerate_from="1")


async def test_big_local_files_go_by_upload_small_ones_inline(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    import io

    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(1).integers(0, 255, (1600, 2000, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "PNG", compress_level=0)
    big = tmp_path / "big.png"
    big.write_bytes(buf.getvalue())
    assert big.stat().st_size > 8 << 20  # over the upload size: goes as mm_file://
    async with make_client("minimax") as client:
        job = await client.generate("the fox, like this", model="MiniMax-H3",
                                    reference_images=[str(big), image()])
    assert job.status == "completed"
    assert requests_to(emulator_url, "POST /minimax/v1/files/upload") == {"200": 1}
    assert requests_to(emulator_url, CREATE) == {"200": 1}


# -- reconcile through the V2 task list ---------------------------------------------------


async def test_a_lost_submit_answer_is_found_in_the_task_list(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "minimax.v2.submit", "kind": "drop_after", "times": 1})
    async with make_client("minimax") as client:
        with pytest.raises(SubmitUncertain):
            await client.submit("a fox", model="MiniMax-H3", duration=5)
        # Another task of another shape, made since, is not mistaken for it.
        other = await client.submit("an owl", model="MiniMax-H3", duration=7)
        [found] = await client.reconcile()
        assert found.job is not None and "found, it is job" in found.line
        assert found.job.id != other.id
        done = await client.wait(found.job)
    assert done.status == "completed" and done.params["duration"] == 5
    assert stats(emulator_url)["submissions"]["total"] == 2  # nothing was sent again


async def test_two_lookalike_tasks_are_not_guessed(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "minimax.v2.submit", "kind": "drop_after", "times": 2})
    async with make_client("minimax") as client:
        for prompt in ("a fox", "an owl"):  # same model and settings, different prompts
            with pytest.raises(SubmitUncertain):
                await client.submit(prompt, model="MiniMax-H3")
        lines = [r.line for r in await client.reconcile()]
    assert len(lines) == 2 and all("check the dashboard" in line for line in lines)


# -- models the catalog does not know yet -------------------------------------------------


async def test_an_unknown_model_is_sent_as_given(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    from hailuo_nb.display import settings_summary

    async with make_client("segmind") as client:
        # Stands for a slug the catalog has not caught up with (Segmind's H3 slugs).
        prepared = client.prepare("a fox", model="raw:hailuo-2.3",
                                  extra='{"duration": 6, "resolution": "768p"}')
        assert prepared.estimate.usd == 0.70  # unknown: priced as the dearest known video
        job = await client.generate(prepared)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="extra: is not valid JSON"):
            await client.submit("a fox", model="raw:hailuo-2.3", extra="{duration: 6}")
        with pytest.raises(ValidationError, match="only for models the catalog does not know"):
            await client.submit("a fox", extra={"duration": 6})
    assert job.status == "completed" and job.model == "raw:hailuo-2.3"
    assert job.params["extra"] == {"duration": 6, "resolution": "768p"}
    assert "unknown model: sent as given, price unknown" in settings_summary(job)
    assert stats(emulator_url)["submissions"]["total"] == 1


def test_a_reference_changed_under_the_same_name_is_a_new_request(tmp_path: Path) -> None:
    client = Client("minimax", api_key="k" * 20, environ={}, output_dir=tmp_path)
    clip_path = tmp_path / "walk.mp4"
    clip_path.write_bytes(clip(3.0))
    first = client.prepare("a fox", model="MiniMax-H3", reference_videos=[str(clip_path)])
    clip_path.write_bytes(clip(4.0))
    second = client.prepare("a fox", model="MiniMax-H3", reference_videos=[str(clip_path)])
    assert first.params == second.params  # the record names the same file...
    assert first.fingerprint != second.fingerprint  # ...but it is not the same request
