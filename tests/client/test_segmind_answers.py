"""The client against Segmind's answers that have more than one form.

406 means several things (insufficient credits, "Invalid content type", a parameter refused
before the model runs, a team spend limit): the user reads the server's own words, and only
a message about credits is an ``InsufficientCredits``. A v1 call answers the video bytes,
JSON with an output URL or an error, or (from a proxy or portal) an HTML page, which is
never saved as a video.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.errors import InsufficientCredits, JobFailed, ProviderError, SubmitUncertain

from .conftest import requests_to, set_faults, stats

V1 = "POST /segmind/v1/{slug}"
FILES = "GET /files/{provider}/{name}"
JSON = {"segmind_v1_answer": "json"}
HTML = {"segmind_v1_answer": "html"}


@pytest.fixture
def emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    """The suite's fast emulator; ``indirect`` parametrization changes some fields."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return EmulatorConfig(time_scale=2000.0, preview=True, seed=1234, **overrides)


# The emulator's 406 faults and their words, written out here rather than imported: the
# test checks that these exact words reach the user.
SEGMIND_406 = [
    ("406_credits", "Insufficient credits", True),
    ("406_content_type", "Invalid content type", False),
    (
        "406_param",
        "Invalid value for 'first_frame_image': the image could not be fetched",
        False,
    ),
    ("406_spend_limit", "Team spend limit reached: ask your team admin to raise it", False),
]


@pytest.mark.parametrize(
    ("kind", "words", "credits"), SEGMIND_406, ids=[k for k, *_ in SEGMIND_406]
)
@pytest.mark.parametrize("api", ["v2", "v1"])
async def test_406_shows_the_servers_words_and_is_credits_only_when_it_says_so(
    make_client: Callable[..., Client],
    emulator_url: str,
    api: str,
    kind: str,
    words: str,
    credits: bool,
) -> None:
    endpoint = "segmind.submit" if api == "v2" else "segmind.v1"
    set_faults(emulator_url, {"endpoint": endpoint, "kind": kind, "times": 1})
    async with make_client("segmind", segmind_api=api) as client:
        with pytest.raises(ProviderError) as info:
            await client.generate("a red fox in the snow")
        history = client.history()
    error = info.value
    assert error.message == words and str(error) == f"segmind: HTTP 406: {words}"
    assert isinstance(error, InsufficientCredits) is credits
    if not credits:
        assert "credit" not in str(error).lower()
    # Refused before anything was made: nothing to pay, and the refusal is not retried.
    assert stats(emulator_url)["submissions"]["total"] == 0
    route = "POST /segmind/v2/{slug}" if api == "v2" else V1
    assert requests_to(emulator_url, route) == {"406": 1}
    if api == "v1":
        # v1 names its job before sending: it ends failed, with the same words.
        [row] = history
        assert row.status == "failed" and row.error == str(error)
    else:
        assert history == []


@pytest.mark.parametrize(
    "emulator_config", [{}, {"segmind_v1_answer": "octet"}], indirect=True, ids=["mp4", "octet"]
)
async def test_v1_video_bytes_are_streamed_into_the_file(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    # video/mp4 or application/octet-stream: the answer itself is the video.
    async with make_client("segmind", segmind_api="v1") as client:
        job = await client.generate("a red fox in the snow")
    assert job.status == "completed" and job.video_url is None and job.video_path
    assert Path(job.video_path).read_bytes()[4:8] == b"ftyp"
    assert requests_to(emulator_url, V1) == {"200": 1}
    assert requests_to(emulator_url, FILES) == {}


@pytest.mark.parametrize("emulator_config", [JSON], indirect=True, ids=["json"])
async def test_v1_json_with_an_output_url_is_downloaded(
    make_client: Callable[..., Client], emulator_url: str
) -> None:
    async with make_client("segmind", segmind_api="v1") as client:
        job = await client.generate("a red fox in the snow")
        stored = client.get(job.id)
    assert job.status == "completed" and job.error is None
    assert job.video_url and job.video_url.endswith(".mp4") and job.video_path
    assert Path(job.video_path).read_bytes()[4:8] == b"ftyp"
    assert job.cost is not None and not job.cost.estimated and job.cost.usd == 0.35
    assert stored is not None and stored.video_path == job.video_path
    # The answer was read as JSON, the video fetched from its URL: one call, one download.
    assert requests_to(emulator_url, V1) == {"200": 1}
    assert requests_to(emulator_url, FILES) == {"200": 1}
    assert stats(emulator_url)["submissions"]["total"] == 1


@pytest.mark.parametrize("emulator_config", [JSON], indirect=True, ids=["json"])
async def test_v1_json_with_an_error_fails_the_job_with_it(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    async with make_client("segmind", segmind_api="v1") as client:
        with pytest.raises(JobFailed) as info:
            await client.generate("a [[block]] fox")
        [row] = client.history()
    reason = "The prompt was flagged as sensitive content by moderation"
    assert info.value.reason == reason
    assert row.status == "failed" and row.error == reason and row.video_path is None
    assert not list((tmp_path / "out").glob("*.mp4"))
    assert requests_to(emulator_url, FILES) == {}


@pytest.mark.parametrize("emulator_config", [HTML], indirect=True, ids=["html"])
async def test_v1_html_is_an_error_never_an_mp4(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    async with make_client("segmind", segmind_api="v1") as client:
        with pytest.raises(SubmitUncertain, match="text/html, not a video") as info:
            await client.generate("a red fox in the snow")
        [row] = client.history()
    # The server ran (and billed) the job: the row says it may have been, for reconcile.
    assert "NOT resubmitted" in str(info.value)
    assert row.status == "uncertain" and "text/html" in (row.error or "")
    assert row.video_path is None
    out = tmp_path / "out"
    assert not list(out.glob("*.mp4")) and not list(out.glob(".*.part"))
    assert requests_to(emulator_url, V1) == {"200": 1}
    assert stats(emulator_url)["submissions"]["total"] == 1
