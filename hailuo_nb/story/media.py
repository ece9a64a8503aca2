"""The storyboard's pictures and records: shot thumbnails, the poster strip, the manifest.

I/O beside the pure :mod:`.render`: thumbnails are decoded from the shots' videos with
PyAV, the strip is drawn with Pillow, the manifest is written as JSON next to the film.

Example:
    >>> from PIL import Image
    >>> import io
    >>> jpeg = io.BytesIO(); Image.new("RGB", (160, 90)).save(jpeg, "JPEG")
    >>> strip([jpeg.getvalue()] * 3)[:2]
    b'\\xff\\xd8'
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..models import Job
from .frames import thumbnail
from .join import Joined

__all__ = [
    "PICKS_FILE",
    "data_url",
    "load_picks",
    "manifest",
    "save_pick",
    "shot_thumbnails",
    "strip",
    "write_manifest",
]

PICKS_FILE = "storyboard-picks.json"
"""Where picked variants are remembered, in the output folder (beside the job store).

Example:
    >>> PICKS_FILE
    'storyboard-picks.json'
"""


def data_url(data: bytes, mime: str = "image/jpeg") -> str:
    """Bytes as a ``data:`` URL.

    Example:
        >>> data_url(b"abc")
        'data:image/jpeg;base64,YWJj'
    """
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def shot_thumbnails(job: Job) -> tuple[bytes | None, bytes | None]:
    """Small JPEGs of a finished shot's first and last frames (None where there is no video).

    Example:
        >>> shot_thumbnails(Job(id="a", provider="p", model="m"))
        (None, None)
    """
    path = job.video_path
    if job.status != "completed" or not path or not os.path.exists(path):
        return None, None
    try:
        return thumbnail(path, last=False), thumbnail(path, last=True)
    except Exception:  # a damaged file must not cost the storyboard its output
        return None, None


def strip(thumbnails: Sequence[bytes], gap: int = 4) -> bytes:
    """The shots' pictures side by side in one JPEG (the poster strip).

    Example: see the module.
    """
    from PIL import Image

    images = [Image.open(io.BytesIO(t)).convert("RGB") for t in thumbnails]
    height = max(i.height for i in images)
    width = sum(i.width for i in images) + gap * (len(images) - 1)
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    x = 0
    for image in images:
        canvas.paste(image, (x, 0))
        x += image.width + gap
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=80)
    return out.getvalue()


def manifest(
    jobs: Sequence[Job],
    frames: Sequence[str | None],
    joined: Joined | None,
    *,
    crossfade: float = 0.0,
    variants: Mapping[int, tuple[Sequence[Job], int]] | None = None,
) -> dict[str, Any]:
    """The film's record: every shot's job id, prompt, settings, video, where it starts.

    Paths are as the jobs store them; images appear by their reference (a path or
    ``bytes:<sha256>``), never their data, and no key is in any of it. ``variants`` maps
    a shot (from 0) to its candidates' jobs and the picked one (from 0).

    Example:
        >>> m = manifest([Job(id="j1", provider="emulator", model="hailuo-2.3",
        ...                   params={"prompt": "a fox", "duration": 6})], [None], None)
        >>> m["shots"][0]["job_id"], m["shots"][0]["prompt"], m["film"]
        ('j1', 'a fox', None)
    """
    starts = joined.starts if joined is not None else (None,) * len(jobs)
    shots = []
    for n, (job, frame, start) in enumerate(zip(jobs, frames, starts, strict=True), 1):
        params = {k: v for k, v in job.params.items() if k != "prompt"}
        shots.append(
            {
                "shot": n,
                "prompt": job.prompt,
                "job_id": job.id or None,
                "provider": job.provider,
                "model": job.model,
                "params": params,
                "status": job.status,
                "video": job.video_path,
                "last_frame": frame,
                "start_seconds": start,
                "reused": job.reused,
                "cost_usd": job.cost.usd if job.cost is not None else None,
                "billed": job.cost is not None and not job.cost.estimated,
            }
        )
        if variants and n - 1 in variants:
            candidates, picked = variants[n - 1]
            shots[-1]["picked_variant"] = picked + 1
            shots[-1]["variants"] = [
                {"job_id": c.id or None, "prompt": c.prompt, "status": c.status,
                 "video": c.video_path}
                for c in candidates
            ]  # fmt: skip
    return {
        "film": str(joined.path) if joined is not None else None,
        "seconds": round(joined.seconds, 3) if joined is not None else None,
        "joined_by": joined.method if joined is not None else None,
        "crossfade_seconds": crossfade,
        "shots": shots,
    }


def write_manifest(record: dict[str, Any], film: Path) -> Path:
    """Write ``record`` as ``<film>.json`` beside the film; its path.

    Example:
        >>> import tempfile
        >>> p = write_manifest({"shots": []}, Path(tempfile.mkdtemp()) / "f.mp4")
        >>> p.name, json.loads(p.read_text())
        ('f.json', {'shots': []})
    """
    target = film.with_suffix(".json")
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def load_picks(folder: str | os.PathLike[str]) -> dict[str, int]:
    """The remembered picks in ``folder``: candidates' key → variant (from 1); {} if none.

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp(); save_pick(d, "k1", 2); load_picks(d)
        {'k1': 2}
    """
    path = Path(folder) / PICKS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: the storyboard asks again, nothing is paid
    if not isinstance(data, dict):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int) and v >= 1}


def save_pick(folder: str | os.PathLike[str], key: str, variant: int) -> None:
    """Remember ``variant`` (from 1) for the candidates filed under ``key``.

    Example: see :func:`load_picks`.
    """
    picks = load_picks(folder)
    picks[key] = int(variant)
    path = Path(folder) / PICKS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(picks, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
