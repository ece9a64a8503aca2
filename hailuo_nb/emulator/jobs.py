"""Creating a job (timeline, price, render) the same way for every provider.

Example:
    >>> from hailuo_nb.emulator.config import EmulatorConfig
    >>> from hailuo_nb.emulator.state import State
    >>> blocked("a [[block]] fox", EmulatorConfig().block_marker)
    True
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .catalog import Model, frame_size
from .render import Renderer, preview_size, resolve_image
from .state import Job, State

#: Why a job fails when its prompt carries the output marker (MiniMax says 1027).
OUTPUT_BLOCKED = "The generated video was flagged as sensitive content by moderation"
#: Why a prompt carrying the block marker is refused.
INPUT_BLOCKED = "The prompt was flagged as sensitive content by moderation"


def blocked(prompt: str, marker: str) -> bool:
    """Whether content moderation refuses this prompt (an empty marker blocks nothing)."""
    return bool(marker) and marker in prompt


@dataclass
class Shape:
    """What a request asks for, once the provider's own names are read."""

    prompt: str
    seconds: int
    resolution: str
    first_frame: str | None = None
    last_frame: str | None = None
    speed: float = 1.0


def start_job(
    state: State,
    renderer: Renderer,
    *,
    job_id: str,
    model: Model,
    key: str,
    shape: Shape,
    params: dict[str, object],
    fail_reason: str | None = None,
    fail_code: int | None = None,
    fail_fast: bool = False,
) -> Job:
    """Fix the job's timeline, start its render, store it and count the submission.

    A job that will fail still takes its time (a GPU ran, then the check failed), but
    is not rendered and not charged. ``fail_fast`` (moderation of the prompt) fails it
    after a moment without taking a worker slot.
    """
    cfg = state.config
    width, height = frame_size(shape.resolution, model.provider)
    factor = shape.speed * (1.5 if shape.seconds == 10 else 1.0) * (1.3 if height >= 1080 else 1.0)
    if fail_reason is None and blocked(shape.prompt, cfg.output_block_marker):
        fail_reason, fail_code = OUTPUT_BLOCKED, 1027
    if fail_fast:
        created = state.now()
        started = finished = created + 2.0 / cfg.time_scale
    else:
        created, started, finished = state.schedule(key, model.typical_s, factor)
    job = Job(
        id=job_id,
        provider=model.provider,
        model=model.name,
        key=key,
        params=params,
        width=width,
        height=height,
        seconds=shape.seconds,
        price=model.price(shape.seconds, shape.resolution),
        created=created,
        started=started,
        finished=finished,
        fail_reason=fail_reason,
        fail_code=fail_code,
    )
    if fail_reason is None:
        w, h = preview_size(width, height) if cfg.preview else (width, height)
        job.render = renderer.submit(
            w,
            h,
            shape.seconds,
            shape.prompt,
            first_frame=resolve_image(shape.first_frame, state.assets),
            last_frame=resolve_image(shape.last_frame, state.assets),
            seed=cfg.seed or 0,
        )
    state.add_job(job)
    return job


async def wait_done(state: State, job: Job) -> str:
    """Sleep (without blocking the loop) until the job is completed or failed."""
    while True:
        phase = job.phase(state.now())
        if phase in ("completed", "failed"):
            return phase
        remaining = job.finished - state.now()
        await asyncio.sleep(min(max(remaining, 0.02), 0.5))
