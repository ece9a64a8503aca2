"""fal's H3 image-to-video: the job id keeps the app ``minimax/h3``, polled there.

Full-size rendering here: the emulator's preview renderer fails hosted H3 jobs from a
first frame ("box offset can't be negative"), an emulator bug left alone on this branch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig
from hailuo_nb.providers.fal import split_job_id

from ..emulator.h3helpers import image
from .conftest import stats


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(time_scale=2000.0, preview=False, seed=11)


async def test_fal_h3_keeps_its_app_in_the_job_id_and_polls_there(
    make_client: Callable[..., Client], emulator_url: str, tmp_path: Path
) -> None:
    frame = tmp_path / "first.png"
    frame.write_bytes(image())
    async with make_client("fal") as client:
        job = await client.submit("the boat sails off", model="h3", first_frame=str(frame))
        assert split_job_id(job.id)[0] == "minimax/h3"
        done = await client.wait(job, timeout=60)
    assert done.status == "completed" and done.video_path
    # Status and result asked under minimax/h3 (under another app they would be 404).
    fal = {r: c for r, c in stats(emulator_url)["requests"].items() if r.startswith("GET /fal")}
    assert fal and all(set(codes) <= {"200", "202"} for codes in fal.values()), fal
