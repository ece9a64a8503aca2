"""The official segmind SDK 1.3.0 against the emulator on a real 127.0.0.1 socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from segmind import SegmindClient  # type: ignore[import-untyped]
from segmind.exceptions import SegmindError  # type: ignore[import-untyped]
from segmind.v2 import InferenceFailed  # type: ignore[import-untyped]

from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread

from .helpers import probe_mp4


@pytest.fixture(scope="module")
def full_size_url() -> Iterator[str]:
    # Not preview: the SDK test checks the real requested frame size.
    app = create_app(EmulatorConfig(time_scale=400.0, seed=11, keys={"SG_good": 50.0}))
    with serve_in_thread(app) as base:
        yield base


def test_sdk_completes_a_job_with_a_real_video(full_size_url: str) -> None:
    client = SegmindClient(api_key="SG_good", base_url=f"{full_size_url}/segmind/v1")
    job = client.submit_async(
        "hailuo-2.3", prompt="a red fox in snow", duration=6, resolution="768p"
    )
    result = job.wait(timeout=60, interval=0.1)
    assert result["status"] == "COMPLETED"
    video = httpx.get(result["output"], timeout=30)
    assert video.headers["content-type"] == "video/mp4"
    width, height, seconds, pix_fmt = probe_mp4(video.content)
    assert (width, height) == (1366, 768)
    assert seconds == pytest.approx(6.0, abs=0.1)
    assert pix_fmt == "yuv420p"


def test_sdk_failed_job_raises_inference_failed(full_size_url: str) -> None:
    client = SegmindClient(api_key="SG_good", base_url=f"{full_size_url}/segmind/v1")
    job = client.submit_async("hailuo-2.3", prompt="a fox", duration=10, resolution="1080p")
    with pytest.raises(InferenceFailed) as caught:
        job.wait(timeout=60, interval=0.1)
    assert caught.value.detail is not None and "768p" in caught.value.detail


def test_sdk_bad_key_is_401(full_size_url: str) -> None:
    client = SegmindClient(api_key="SG_wrong", base_url=f"{full_size_url}/segmind/v1")
    with pytest.raises(SegmindError) as caught:
        client.submit_async("hailuo-2.3", prompt="a fox")
    assert caught.value.status == 401
