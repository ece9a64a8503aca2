"""Creating an H3 job (timeline, render with sound) for the V2 API and AI/ML alike.

Example:
    >>> Output(1344, 768, 124).seconds
    5.166666666666667
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import h3
from .h3render import H3Renderer, H3Video
from .jobs import OUTPUT_BLOCKED, blocked
from .state import Job, State


@dataclass(frozen=True)
class Output:
    """The video a job makes: full size (the API's view) and frame count."""

    width: int
    height: int
    frames: int

    @property
    def seconds(self) -> float:
        """Length of the file."""
        return self.frames / h3.FPS


def launch(
    state: State,
    renderer: H3Renderer,
    *,
    job_id: str,
    provider: str,
    model: str,
    key: str,
    params: dict[str, Any],
    duration: int,
    price: float,
    typical_s: float,
    prompt: str,
    output: Output | None,
    first_frame: bytes | None = None,
    last_frame: bytes | None = None,
    extra: dict[str, Any] | None = None,
    fail_reason: str | None = None,
    fail_code: int | None = None,
) -> Job:
    """Fix the job's timeline, start its render, store it and count the submission.

    ``output=None`` makes no video (Context-IR writes text). A prompt with the output
    block marker fails after its processing time (MiniMax 1027) and is not charged; a job
    given a ``fail_reason`` (AI/ML's moderation) fails at once without taking a slot.
    """
    cfg = state.config
    if fail_reason is None and blocked(prompt, cfg.output_block_marker):
        fail_reason, fail_code = OUTPUT_BLOCKED, 1027
        fail_fast = False
    else:
        fail_fast = fail_reason is not None
    if fail_fast:
        created = state.now()
        started = finished = created + 2.0 / cfg.time_scale
    else:
        created, started, finished = state.schedule(key, typical_s)
    job = Job(
        id=job_id,
        provider=provider,
        model=model,
        key=key,
        params=params,
        width=output.width if output else 0,
        height=output.height if output else 0,
        seconds=duration,
        price=price,
        created=created,
        started=started,
        finished=finished,
        fail_reason=fail_reason,
        fail_code=fail_code,
    )
    job.extra.update(extra or {})
    job.extra["h3"] = True
    if output is not None:
        job.extra["frames"] = output.frames
        if fail_reason is None:
            w, h = (
                h3.preview_size(output.width, output.height)
                if cfg.preview
                else (output.width, output.height)
            )
            job.render = renderer.submit(
                H3Video(w, h, output.frames, prompt, first_frame, last_frame, seed=cfg.seed or 0)
            )
    state.add_job(job)
    return job


def in_flight(state: State, key: str, provider: str) -> int:
    """How many H3 jobs of ``key`` on ``provider`` are queued or running."""
    now = state.now()
    return sum(
        1
        for j in state.jobs.values()
        if j.key == key
        and j.provider == provider
        and j.extra.get("h3")
        and j.phase(now) in ("preparing", "queued", "processing")
    )


def summary(params: dict[str, Any]) -> dict[str, Any]:
    """The request as kept on the job for debugging, with data URIs cut short."""

    def cut(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("data:") and len(value) > 80:
            return f"{value[:40]}…({len(value)} chars)"
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        if isinstance(value, list):
            return [cut(v) for v in value]
        return value

    result: dict[str, Any] = cut(params)
    return result
