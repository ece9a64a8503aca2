"""The client on the emulator's fal.ai queue and Replicate predictions, over a real socket.

End to end through ``Client.submit`` / ``wait``; the wire format each adapter sends is read
back from the emulator (its stats and its own answers), never from the adapter.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image

from hailuo_nb.catalog import models
from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig, create_app
from hailuo_nb.errors import (
    JobFailed,
    PossiblyPaid,
    RateLimited,
    SubmitUncertain,
    ValidationError,
)
from hailuo_nb.params import build_request
from hailuo_nb.providers import Replicate
from hailuo_nb.settings import resolve

from .conftest import advance_clock, requests_to, set_faults, stats


def frame() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 360), (200, 80, 40)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("provider", ["fal", "replicate"])
async def test_generate_end_to_end(
    make_client: Callable[..., Client], emulator_url: str, provider: str
) -> None:
    async with make_client(provider) as client:
        job = await client.generate("a red fox running through snow", duration=10)
    assert job.status == "completed" and job.video_path and os.path.getsize(job.video_path) > 0
    assert job.provider == provider and job.base_url == f"{emulator_url}/{provider}"
    # Neither host reports what it billed: the estimate stays (Hailuo 2.3 at 10 s).
    assert job.cost is not None and job.cost.estimated and job.cost.usd == 0.56
    assert stats(emulator_url)["submissions"]["by_provider"] == {provider: 1}


async def test_fal_picks_the_endpoint_from_resolution_and_frame(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("fal") as client:
        pro = await client.generate("a fox", resolution="1080p")
        small = await client.generate(
            "a fox", model="hailuo-02", resolution="512p", first_frame=frame(), duration=10
        )
    routes = stats(emulator_url)["requests"]
    assert routes["POST /fal/{endpoint:path}"] == {"200": 2}
    assert pro.status == small.status == "completed"
    # fal checks input when the job runs: a wrong type ("10" as 10) or an upper/lower-case
    # slip ("512p") would have ended the job failed with a 422, not completed.
    jobs = stats(emulator_url)["jobs"]
    assert jobs[pro.id]["model"] == "fal-ai/minimax/hailuo-2.3/pro/text-to-video"
    assert jobs[small.id]["model"] == "fal-ai/minimax/hailuo-02/standard/image-to-video"
    assert jobs[pro.id]["charged"] and jobs[small.id]["charged"]


async def test_fal_failure_is_completed_then_422_with_the_reason(
    make_client: Callable[..., Client],
) -> None:
    async with make_client("fal") as client:
        job = await client.submit("a fox [[block]]")
        with pytest.raises(JobFailed) as info:
            await client.wait(job)
    assert "prompt" in info.value.reason
    stored = client.get(job.id)
    assert stored is not None and stored.status == "failed" and stored.charge is None


async def test_replicate_failure_keeps_the_error(make_client: Callable[..., Client]) -> None:
    async with make_client("replicate") as client:
        job = await client.submit("a fox [[block-output]]")
        with pytest.raises(JobFailed) as info:
            await client.wait(job)
    assert info.value.reason and info.value.reason != "failed"


async def test_bad_input_is_one_line_before_anything_is_sent(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("replicate") as client:
        with pytest.raises(ValidationError, match="10 s is only available at 768p"):
            await client.submit(
                "a fox", model="hailuo-02", duration=10, resolution="512p", first_frame=frame()
            )
    async with make_client("fal") as client:
        with pytest.raises(ValidationError, match="needs a first frame"):
            await client.submit("a fox", model="hailuo-2.3-fast")
    assert stats(emulator_url)["submissions"]["total"] == 0


@pytest.mark.parametrize(
    ("provider", "route"),
    [
        ("fal", "POST /fal/{endpoint:path}"),
        ("replicate", "POST /replicate/v1/models/{owner}/{name}/predictions"),
    ],
)
async def test_429_on_submit_is_retried_and_paid_once(
    make_client: Callable[..., Client], emulator_url: str, provider: str, route: str
) -> None:
    set_faults(
        emulator_url,
        {
            "endpoint": f"{provider}.{'submit' if provider == 'fal' else 'create'}",
            "kind": "429",
            "times": 2,
        },
    )
    async with make_client(provider) as client:
        job = await client.generate("a fox")
    assert job.status == "completed"
    assert stats(emulator_url)["submissions"]["total"] == 1
    assert requests_to(emulator_url, route) == {
        "429": 2,
        ("200" if provider == "fal" else "201"): 1,
    }


def test_keys_come_from_the_environment_never_shown() -> None:
    fal = resolve("fal", environ={"FAL_KEY_ID": "id-123", "FAL_KEY_SECRET": "secret-4567890"})
    assert fal.api_key == "id-123:secret-4567890" and "secret" not in repr(fal)
    rep = resolve("replicate", environ={"REPLICATE_API_TOKEN": "r8_abcdefghijklmnop"})
    assert rep.api_key == "r8_abcdefghijklmnop" and "r8_abc" not in repr(rep)
    assert rep.base_url == "https://api.replicate.com" and fal.base_url == "https://queue.fal.run"
    with pytest.raises(ValidationError, match="FAL_KEY"):
        resolve("fal", environ={})
    # Each provider's own root, so one notebook can mix them on one emulator server.
    env = {"REPLICATE_BASE_URL": "http://127.0.0.1:9/replicate", "HAILUO_BASE_URL": "http://x/s"}
    assert resolve("replicate", environ=env).api_key == "local-emulator-key"
    assert resolve("replicate", environ=env).base_url == "http://127.0.0.1:9/replicate"


async def test_the_key_never_goes_to_the_file_host(
    emulator_config: EmulatorConfig, tmp_path: Path
) -> None:
    app = create_app(emulator_config)
    seen: list[tuple[str, str | None]] = []

    class Spy(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.ASGITransport(app=app)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append((request.url.path, request.headers.get("authorization")))
            return await self.inner.handle_async_request(request)

    for provider in ("fal", "replicate"):
        async with Client(
            provider,
            base_url=f"http://emulator.invalid/{provider}",
            api_key=f"SECRET-{provider}-0123456789",
            transport=Spy(),
            output_dir=tmp_path,
            environ={},
            settings={"poll_min_interval": 0.01, "poll_max_interval": 0.1},
            requests_per_minute=60_000,
        ) as client:
            job = await client.generate("a fox")
        assert job.status == "completed"
    files = [auth for path, auth in seen if path.endswith(".mp4")]
    api = [auth for path, auth in seen if not path.endswith(".mp4")]
    assert len(files) == 2 and files == [None, None]
    assert "Key SECRET-fal-0123456789" in api and "Bearer SECRET-replicate-0123456789" in api


async def test_replicate_lost_create_is_found_in_the_prediction_list(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("replicate", reuse="always") as client:
        other = await client.generate("an owl at dusk")  # another prediction in the list
        set_faults(emulator_url, {"endpoint": "replicate.create", "kind": "drop_after"})
        with pytest.raises(SubmitUncertain) as info:
            await client.submit("a fox", first_frame=frame())
        with pytest.raises(PossiblyPaid):  # Run All again: nothing is sent
            await client.submit("a fox", first_frame=frame())
        [found] = await client.reconcile()
        assert found.job is not None and "found, it is job" in found.line
        assert found.ref == info.value.ref and found.job.id != other.id
        done = await client.wait(found.job.id)
        again = await client.submit("a fox", first_frame=frame())
    assert done.status == "completed" and done.video_path and os.path.exists(done.video_path)
    assert again.reused and again.id == done.id
    assert stats(emulator_url)["submissions"]["total"] == 2


async def test_replicate_create_never_taken_is_dismissed(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "replicate.create", "kind": "502", "times": 1})
    async with make_client("replicate", reuse="always") as client:
        with pytest.raises(SubmitUncertain):
            await client.submit("a fox")
        [early] = await client.reconcile()
        assert early.job is None and "try again in a minute" in early.line
        with client.store.connect() as conn:  # as if reconciled minutes later
            conn.execute("UPDATE jobs SET submitted_at = submitted_at - 600")
        [outcome] = await client.reconcile()
        assert outcome.job is None and "not accepted" in outcome.line
        job = await client.generate("a fox")
    assert job.status == "completed" and not job.reused
    assert stats(emulator_url)["submissions"]["total"] == 1


async def test_fal_says_an_uncertain_submit_cannot_be_looked_up(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    set_faults(emulator_url, {"endpoint": "fal.submit", "kind": "drop_after", "times": 1})
    async with make_client("fal", reuse="always") as client:
        with pytest.raises(SubmitUncertain):
            await client.submit("a fox")
        [outcome] = await client.reconcile()
        with pytest.raises(PossiblyPaid):
            await client.submit("a fox")
    assert outcome.job is None and "cannot be looked up" in outcome.line
    assert "dashboard" in outcome.line and "--dismiss" in outcome.line
    assert stats(emulator_url)["submissions"]["total"] == 1


async def test_replicate_output_deleted_after_an_hour_is_expired_on_resume(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    # Nobody followed the prediction (the kernel was closed) until two hours later:
    # Replicate has deleted the output by then, which the job says.
    async with make_client("replicate") as client:
        job = await client.submit("a fox")
    advance_clock(emulator_url, 2 * 3600)
    async with make_client("replicate") as later:
        assert later.get(job.id) is not None and not later.get(job.id).done  # type: ignore[union-attr]
        resumed = await later.resume(job.id)
    assert resumed.status == "expired" and "one hour" in (resumed.error or "")
    assert resumed.video_path is None


async def test_replicate_429_says_when_it_lifts_only_in_words() -> None:
    # Replicate sends no Retry-After: the wait comes from "resets in ~Ns" in the detail.
    app = create_app(EmulatorConfig(time_scale=1.0, preview=True, rate_limit_rpm=1))
    adapter = Replicate("http://emulator/replicate", "r8_token-0123456789")
    wire = adapter.poll_request("nope")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        answers = [await http.get(wire.url, headers=wire.headers) for _ in range(2)]
    assert answers[1].status_code == 429 and "retry-after" not in answers[1].headers
    with pytest.raises(RateLimited) as info:
        adapter.parse("status", "nope", answers[1])
    assert info.value.retry_at is not None
    assert 30 < info.value.retry_at - time.time() <= 61
    assert "resets in" in info.value.message


@pytest.mark.parametrize("provider", ["fal", "replicate"])
async def test_every_combination_the_catalog_allows_the_host_renders(
    emulator_config: EmulatorConfig, tmp_path: Path, provider: str
) -> None:
    # The catalog and the adapters against the emulator's own schemas (written from the
    # protocol notes, not from them): every model x duration x resolution x frames that
    # passes validation here must be accepted there and end as a video, not as a 422
    # (fal) or a prediction failed on a MiniMax rule (Replicate).
    image = "https://example.com/frame.png"
    wanted: list[dict[str, object]] = []
    for spec in models(provider):
        for duration in spec.durations or (None,):
            for resolution in spec.resolutions or (None,):
                for first, last in ((None, None), (image, None), (image, image)):
                    kw = {"model": spec.name, "duration": duration, "resolution": resolution}
                    kw.update(first_frame=first, last_frame=last)
                    try:
                        build_request(provider, "a fox", **kw)  # type: ignore[arg-type]
                    except ValidationError:
                        continue
                    wanted.append({"prompt": "a fox", **{k: v for k, v in kw.items() if v}})
    async with Client(
        provider,
        base_url=f"http://emulator.invalid/{provider}",
        api_key="key-0123456789abcdef",
        transport=httpx.ASGITransport(app=create_app(emulator_config)),
        output_dir=tmp_path,
        environ={},
        settings={"poll_min_interval": 0.01, "poll_max_interval": 0.1},
        requests_per_minute=60_000,
    ) as client:
        jobs = await client.run_many(wanted, concurrency=8)
    failed = [(w, j.error) for w, j in zip(wanted, jobs, strict=True) if j.status != "completed"]
    assert failed == [] and len(jobs) > 20
