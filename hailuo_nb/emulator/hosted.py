"""What fal and Replicate share: a request's plan, starting a job, ending one early, sizes.

Both hosts resell MiniMax's Hailuo and H3 models under their own protocols. A protocol
module reads the host's field names into a ``Plan`` (size, length, price, time, frames,
sound); ``start_hosted`` turns it into a ``Job`` with the same machinery as the other
providers (worker slots, ``add_job`` counting one submission, the shared renderer), and
``end_early`` cuts a job short (a cancel, a deadline), releasing its worker slot.

Example:
    >>> h3_size("2K", "16:9"), h3_size("768P", "9:16"), h3_size("480P", "21:9")
    ((2560, 1440), (768, 1344), (1120, 480))
    >>> iso_ms(0.5)
    '1970-01-01T00:00:00.500Z'
"""

from __future__ import annotations

import heapq
import io
import math
import time
from dataclasses import dataclass
from typing import Any

from PIL import Image

from .jobs import INPUT_BLOCKED, OUTPUT_BLOCKED, blocked
from .render import Renderer, preview_size, resolve_image
from .schema import Issue
from .soundtrack import with_soundtrack
from .state import Job, State

#: Hailuo frame sizes by resolution label (any case); 720p is video-01's.
HAILUO_SIZES = {"512p": (912, 512), "720p": (1280, 720), "768p": (1366, 768), "1080p": (1920, 1080)}
#: Aspect ratios H3 knows, widest first.
RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
# protocols-more.md §1.9: 768P seen (×32, area ≤ 768×1344), 2K 16:9 seen, the rest guessed.
_H3_TABLE = {
    "768P": {
        "16:9": (1344, 768),
        "9:16": (768, 1344),
        "4:3": (1024, 768),
        "3:4": (768, 1024),
        "1:1": (768, 768),
        "21:9": (1536, 672),
    },
    "2K": {
        "16:9": (2560, 1440),
        "9:16": (1440, 2560),
        "4:3": (1920, 1440),
        "3:4": (1440, 1920),
        "1:1": (1440, 1440),
        "21:9": (2880, 1260),
    },
}
_SHORT_EDGE = {"480P": 480, "720P": 720, "1080P": 1080, "4K": 2160}


@dataclass
class Plan:
    """What an accepted request will make. ``typical_s`` is the vendor's wall time for
    this shape before ``time_scale``. A ``fail_reason`` makes the job fail after a moment
    (the host took it, then the model refused it) without being charged.

    Example:
        >>> Plan.refused("bad input").fail_reason
        'bad input'
    """

    prompt: str
    seconds: int
    width: int
    height: int
    price: float
    typical_s: float
    first_frame: str | None = None
    last_frame: str | None = None
    audio: bool = False
    fail_reason: str | None = None
    fail_code: int | None = None

    @classmethod
    def refused(cls, reason: str) -> Plan:
        """A request that will fail at once: nothing rendered, nothing charged."""
        return cls("", 0, 0, 0, 0.0, 0.0, fail_reason=reason)


def hailuo_plan(
    prompt: str,
    seconds: int,
    resolution: str,
    *,
    typical_s: float,
    prices: dict[str, tuple[float, float]],
    first: str | None = None,
    last: str | None = None,
) -> Plan:
    """A Hailuo video: fixed sizes; 10 s and 1080p take longer (as on the other providers).

    ``prices`` maps the lower-case resolution to the prices of a 6 s and a 10 s video.

    Example:
        >>> p = hailuo_plan("fox", 10, "768P", typical_s=100, prices={"768p": (0.28, 0.56)})
        >>> (p.width, p.height, p.price, p.typical_s)
        (1366, 768, 0.56, 150.0)
    """
    res = resolution.lower()
    width, height = HAILUO_SIZES[res]
    factor = (1.5 if seconds == 10 else 1.0) * (1.3 if height >= 1080 else 1.0)
    six, ten = prices[res]
    return Plan(
        prompt,
        seconds,
        width,
        height,
        ten if seconds == 10 else six,
        typical_s * factor,
        first,
        last,
    )


def h3_plan(
    prompt: str,
    seconds: int,
    resolution: str,
    ratio: str,
    *,
    per_second: dict[str, float],
    work_per_second: dict[str, float],
    first: str | None = None,
    last: str | None = None,
) -> Plan:
    """An H3 video: priced and timed per output second by resolution, always with sound.

    Example:
        >>> p = h3_plan("fox", 5, "2K", "16:9", per_second={"2K": 0.13},
        ...             work_per_second={"2K": 36.0})
        >>> (p.width, p.height, p.price, p.typical_s, p.audio)
        (2560, 1440, 0.65, 180.0, True)
    """
    width, height = h3_size(resolution, ratio)
    return Plan(
        prompt,
        seconds,
        width,
        height,
        round(per_second[resolution] * seconds, 4),
        work_per_second[resolution] * seconds,
        first,
        last,
        audio=True,
    )


def h3_size(resolution: str, ratio: str) -> tuple[int, int]:
    """Frame size of an H3 video (upper-case resolution label, a ratio from ``RATIOS``)."""
    table = _H3_TABLE.get(resolution)
    if table is not None:
        return table[ratio]
    short = _SHORT_EDGE[resolution]
    a, b = (int(x) for x in ratio.split(":"))
    long = int(short * max(a, b) / min(a, b)) // 16 * 16
    return (long, short) if a >= b else (short, long)


def image_ratio(ref: str | None, assets: dict[str, tuple[bytes, str]]) -> str | None:
    """The H3 ratio closest to an image we can see (data URL, our upload), else None.

    Example:
        >>> import base64
        >>> buf = io.BytesIO(); Image.new("RGB", (300, 400)).save(buf, "PNG")
        >>> image_ratio("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(), {})
        '3:4'
    """
    data = resolve_image(ref, assets)
    if data is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except (OSError, ValueError):
        return None

    def distance(ratio: str) -> float:
        a, b = (int(x) for x in ratio.split(":"))
        return abs(math.log((width / height) / (a / b)))

    return min(RATIOS, key=distance)


def reference_issues(params: dict[str, Any]) -> list[Issue]:
    """H3's rules on references (≤ 12 files in all; audio never alone).

    Example:
        >>> [i.field for i in reference_issues({"reference_audio_urls": ["https://a/x.mp3"]})]
        ['reference_audio_urls']
    """
    images = params.get("reference_image_urls") or []
    videos = params.get("reference_video_urls") or []
    audios = params.get("reference_audio_urls") or []
    issues = []
    total = len(images) + len(videos) + len(audios)
    if total > 12:
        issues.append(
            Issue("reference_image_urls", "custom", total, "at most 12 reference files in total")
        )
    if audios and not images and not videos:
        issues.append(
            Issue(
                "reference_audio_urls",
                "custom",
                len(audios),
                "reference audio needs a reference image or video",
            )
        )
    return issues


def start_hosted(
    state: State,
    renderer: Renderer,
    *,
    job_id: str,
    provider: str,
    model: str,
    key: str,
    plan: Plan,
    params: dict[str, Any],
) -> Job:
    """Fix the job's timeline, start its render, store it and count the submission.

    Moderation markers work as on the other providers: the input marker fails the job
    after a moment (1026), the output marker at the end of its time (1027).
    """
    cfg = state.config
    reason, code = plan.fail_reason, plan.fail_code
    if reason is None and blocked(plan.prompt, cfg.block_marker):
        reason, code = INPUT_BLOCKED, 1026
    fail_fast = reason is not None
    if reason is None and blocked(plan.prompt, cfg.output_block_marker):
        reason, code = OUTPUT_BLOCKED, 1027
    if fail_fast:
        # Refused before any GPU ran: no worker slot taken.
        created = state.now()
        started = finished = created + 2.0 / cfg.time_scale
    else:
        created, started, finished = state.schedule(key, plan.typical_s)
    job = Job(
        id=job_id,
        provider=provider,
        model=model,
        key=key,
        params=params,
        width=plan.width,
        height=plan.height,
        seconds=plan.seconds,
        price=plan.price,
        created=created,
        started=started,
        finished=finished,
        fail_reason=reason,
        fail_code=code,
    )
    if reason is None:
        w, h = preview_size(plan.width, plan.height) if cfg.preview else (plan.width, plan.height)
        render = renderer.submit(
            w,
            h,
            plan.seconds,
            plan.prompt,
            first_frame=resolve_image(plan.first_frame, state.assets),
            last_frame=resolve_image(plan.last_frame, state.assets),
            seed=cfg.seed or 0,
        )
        job.render = with_soundtrack(render) if plan.audio else render
    state.add_job(job)
    return job


def end_early(state: State, job: Job, at: float, ended: str, *, billable: bool) -> None:
    """Cut ``job`` short at ``at`` (now, or a deadline still to come): it then reads as
    failed with ``job.extra["ended"] = ended``; ``billable`` jobs that had started by then
    are charged once ``at`` has passed (``charge_ended``).

    The worker slot is released for jobs submitted from now on; jobs already waiting keep
    the timeline they were given (timelines are fixed at submission).
    """
    ran = at > job.started
    slots = state.account(job.key).slots
    if job.finished in slots:
        # A job that never started frees its slot when it would have taken it: until then
        # the slot still belongs to the job before it.
        slots[slots.index(job.finished)] = at if ran else job.started
        heapq.heapify(slots)
    if not ran:
        job.started = at
    job.finished = at
    job.fail_reason = f"ended early: {ended}"
    job.render = None  # never cancelled: identical jobs may share the render
    job.extra["ended"] = ended
    job.extra["ran"] = ran
    job.extra["billable"] = billable and ran


def charge_ended(state: State, key: str) -> None:
    """Charge ``key``'s jobs that were cut short after they started, once that moment is past."""
    now = state.now()
    acct = state.account(key)
    for job in state.jobs.values():
        if job.key == key and job.extra.get("billable") and not job.charged and now >= job.finished:
            job.charged = True
            acct.balance = round(acct.balance - job.price, 6)


def race_start(job: Job, now: float) -> None:
    """The ``cancel_race`` fault: a queued job started a moment ago, just before its cancel."""
    if now < job.started:
        job.started = max(job.created, now - 0.001)


def iso_ms(epoch: float) -> str:
    """UTC with milliseconds and a ``Z``, as Replicate writes times."""
    whole = int(epoch)
    ms = round((epoch - whole) * 1000)
    if ms == 1000:
        whole, ms = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{ms:03d}Z"
