"""The official replicate 1.0.7 client against the emulator on a real 127.0.0.1 socket.

replicate-python takes any base URL (``base_url=`` or ``REPLICATE_BASE_URL``), plain http
included, so no TLS is needed here. Its outputs come back as plain strings because the
emulator's URLs are ``http:`` (it wraps only ``https:``/``data:`` ones in ``FileOutput``).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import replicate
from replicate.exceptions import ModelError, ReplicateError

from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread

from .hosted_helpers import probe_media


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    # 150 s / 100 = 1.5 s a job: long enough to cancel one, short enough to wait for.
    app = create_app(EmulatorConfig(time_scale=100.0, preview=True, seed=7, keys={"r8_good": 50.0}))
    with serve_in_thread(app) as base:
        yield f"{base}/replicate"


@pytest.fixture
def client(base_url: str) -> replicate.Client:
    client = replicate.Client(api_token="r8_good", base_url=base_url)
    client.poll_interval = 0.05  # REPLICATE_POLL_INTERVAL's default is 0.5 s
    return client


def test_run_waits_then_polls_to_a_real_video(client: replicate.Client) -> None:
    # wait=1 ends before the job: the answer says "starting" and run() polls to the end.
    output = client.run(
        "minimax/hailuo-2.3", input={"prompt": "a red fox in snow", "duration": 6}, wait=1
    )
    assert isinstance(output, str) and output.endswith("/output.mp4")
    video = httpx.get(output, timeout=30)
    assert video.headers["content-type"] == "video/mp4"
    media = probe_media(video.content)
    assert (media.width, media.height) == (320, 180)
    assert media.seconds == pytest.approx(6.0, abs=0.1)

    page = client.predictions.list()
    latest = page.results[0]
    assert latest.status == "succeeded" and latest.output == output
    assert latest.metrics is not None and latest.metrics["predict_time"] > 0


def test_h3_prediction_has_sound(client: replicate.Client) -> None:
    prediction = client.models.predictions.create(
        model="minimax/h3", input={"prompt": "waves on a beach", "duration": 4}
    )
    assert prediction.status == "starting" and prediction.version == "hidden"
    prediction.wait()
    assert prediction.status == "succeeded"
    media = probe_media(httpx.get(prediction.output, timeout=30).content)
    assert (media.audio_codec, media.channels, media.sample_rate) == ("aac", 2, 32000)


def test_cancel(client: replicate.Client) -> None:
    prediction = client.models.predictions.create(model="minimax/hailuo-2.3", input={"prompt": "x"})
    prediction.cancel()
    assert prediction.status == "canceled"
    prediction.reload()
    assert prediction.status == "canceled" and prediction.output is None


def test_errors(client: replicate.Client, base_url: str) -> None:
    with pytest.raises(ReplicateError) as caught:
        client.models.predictions.create(
            model="minimax/hailuo-2.3", input={"prompt": "x", "duration": "6"}
        )
    assert caught.value.status == 422 and caught.value.title == "Input validation failed"
    assert "input.duration: Invalid type. Expected: integer" in (caught.value.detail or "")

    stranger = replicate.Client(api_token="r8_wrong", base_url=base_url)
    with pytest.raises(ReplicateError) as caught:
        stranger.predictions.get("anything")
    assert caught.value.status == 401

    # A prediction that fails after creation surfaces as the SDK's ModelError.
    with pytest.raises(ModelError) as failed:
        client.run(
            "minimax/hailuo-2.3", input={"prompt": "x", "duration": 10, "resolution": "1080p"}
        )
    assert failed.value.prediction.status == "failed"
    assert "768p" in (failed.value.prediction.error or "")
