"""Configuration of the emulator: one dataclass, also reachable from the command line.

Example:
    >>> cfg = EmulatorConfig(time_scale=400, preview=True)
    >>> cfg.workers_per_key
    4
    >>> Fault.from_spec("segmind.submit:500:0.5")
    Fault(endpoint='segmind.submit', kind='500', rate=0.5, times=None, reset_s=60.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Declared wider than their first values: the fal and Replicate entries are added below.
FAULT_ENDPOINTS: tuple[str, ...]
FAULT_KINDS: tuple[str, ...]

#: Endpoints a fault can target (``*`` = all of them).
FAULT_ENDPOINTS = (
    "segmind.v1",
    "segmind.submit",
    "segmind.status",
    "segmind.result",
    "segmind.upload",
    "segmind.history",
    "aimlapi.submit",
    "aimlapi.poll",
    "minimax.submit",
    "minimax.query",
    "minimax.retrieve",
    "minimax.upload",
    "minimax.v2.submit",
    "minimax.v2.regenerate",
    "minimax.v2.query",
    "minimax.v2.list",
    "minimax.v2.cancel",
    "files",
    "*",
)
#: fal.ai queue and Replicate predictions (fal.py, replicate.py).
FAULT_ENDPOINTS += (
    "fal.submit",
    "fal.status",
    "fal.result",
    "fal.cancel",
    "replicate.create",
    "replicate.get",
    "replicate.cancel",
    "replicate.list",
)

#: Fault kinds. ``drop_after`` and ``slow`` act after a submit was accepted.
FAULT_KINDS = ("429", "500", "502", "504", "529", "drop", "drop_after", "slow", "malformed", "1002")
#: On a cancel endpoint only: the job starts just before the cancel lands (it then runs on).
FAULT_KINDS += ("cancel_race",)
#: MiniMax V1's in-band "try again later" (HTTP 200, ``base_resp`` 1000 unknown error, 1001
#: request timeout, 1013 internal service error); a provider with real status codes: its 500.
RETRY_LATER_KINDS = ("1000", "1001", "1013")
FAULT_KINDS += RETRY_LATER_KINDS
#: Segmind's several 406s (protocols.md): each answers 406 with Segmind's ``{"error": ...}``
#: before anything is created. Only insufficient credit is documented; the others were seen.
SEGMIND_406 = {
    "406_credits": "Insufficient credits",
    "406_content_type": "Invalid content type",
    "406_param": "Invalid value for 'first_frame_image': the image could not be fetched",
    "406_spend_limit": "Team spend limit reached: ask your team admin to raise it",
}
FAULT_KINDS += tuple(SEGMIND_406)
#: Kinds that do not answer instead of the handler: the wrapper or the handler acts on them.
IN_HANDLER_KINDS = ("drop_after", "slow", "cancel_race")
#: How a failed AI/ML job's ``error`` reads (``EmulatorConfig.aimlapi_error_shape``).
AIMLAPI_ERROR_SHAPES = ("name_message", "detail", "string")


@dataclass
class Fault:
    """One injected failure: on ``endpoint``, answer with ``kind``.

    ``times`` = the next N matching requests get it (deterministic); ``rate`` = each
    matching request gets it with that probability. With neither, every request does.
    ``reset_s``: how far ahead a ``429``/``1002`` names its reset (a minute, as the hosts
    do; shorter lets a test wait out a named pause without waiting a minute).

    Example:
        >>> Fault("minimax.query", "1002", times=2).to_dict()
        {'endpoint': 'minimax.query', 'kind': '1002', 'rate': None, 'times': 2}
    """

    endpoint: str
    kind: str
    rate: float | None = None
    times: int | None = None
    reset_s: float = 60.0

    def __post_init__(self) -> None:
        # Refuse typos loudly: a fault that silently never fires makes a test pass for nothing.
        if self.endpoint not in FAULT_ENDPOINTS:
            raise ValueError(f"unknown fault endpoint {self.endpoint!r}; one of {FAULT_ENDPOINTS}")
        self.kind = str(self.kind)
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {FAULT_KINDS}")
        if self.kind == "cancel_race" and not self.endpoint.endswith((".cancel", "*")):
            raise ValueError("a cancel_race fault targets a cancel endpoint (or *)")
        if self.kind in SEGMIND_406 and not self.endpoint.startswith(("segmind.", "*")):
            raise ValueError(f"a {self.kind} fault targets a Segmind endpoint (or *)")
        if self.rate is not None and not 0.0 <= float(self.rate) <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, got {self.rate!r}")
        if self.times is not None and int(self.times) < 0:
            raise ValueError(f"fault times must be >= 0, got {self.times!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build from the admin API's JSON shape.

        Example:
            >>> Fault.from_dict({"endpoint": "*", "kind": "slow", "times": 1}).kind
            'slow'
        """
        rate = data.get("rate")
        times = data.get("times")
        return cls(
            endpoint=str(data["endpoint"]),
            kind=str(data["kind"]),
            rate=None if rate is None else float(rate),
            times=None if times is None else int(times),
            reset_s=float(data.get("reset_s", 60.0)),
        )

    @classmethod
    def from_spec(cls, spec: str) -> Fault:
        """Parse the CLI form ``endpoint:kind[:rate]``.

        Example:
            >>> Fault.from_spec("files:drop").rate is None
            True
        """
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise ValueError(f"fault must look like endpoint:kind[:rate], got {spec!r}")
        rate = float(parts[2]) if len(parts) == 3 else None
        return cls(endpoint=parts[0], kind=parts[1], rate=rate)

    def to_dict(self) -> dict[str, Any]:
        """The admin API's JSON shape.

        Example:
            >>> Fault("files", "504").to_dict()["kind"]
            '504'
        """
        return {
            "endpoint": self.endpoint,
            "kind": self.kind,
            "rate": self.rate,
            "times": self.times,
        }


#: How a failed MiniMax V1 task answers its query: ``code`` = base_resp carries the reason's
#: code and message; the others answer code 0, as the official schema allows (it has no error
#: field): ``zero`` "success" and no reason anywhere, ``zero_msg`` the reason as status_msg,
#: ``zero_field`` "success" plus the reason in an ``error_message`` field.
MINIMAX_FAIL_STYLES = ("code", "zero", "zero_msg", "zero_field")
#: What a Segmind v1 call answers (Segmind does not pin it for Hailuo): ``video`` = the MP4
#: bytes as ``video/mp4`` (a failure: 400 and its reason); ``octet`` = the same bytes as
#: ``application/octet-stream``; ``json`` = 200 JSON, ``{"status": "COMPLETED", "output":
#: <video URL>}`` or ``{"status": "FAILED", "error": <why>}``; ``html`` = a 200 HTML page
#: once the job is done (as a proxy or portal might answer), never the video.
SEGMIND_V1_ANSWERS = ("video", "octet", "json", "html")


@dataclass
class EmulatorConfig:
    """Everything that shapes the emulator's behaviour (see "The emulator" in README.md).

    Example:
        >>> EmulatorConfig(keys={"SG_test": 1.0}).keys
        {'SG_test': 1.0}
    """

    time_scale: float = 16.0
    spread: float = 0.15
    queue_fraction: float = 0.15
    workers_per_key: int = 4
    preview: bool = False
    keys: dict[str, float] | None = None
    default_balance: float = 1000.0
    rate_limit_rpm: int | None = None
    #: The rate limit's sliding window, seconds: a minute, or ``60 / time_scale`` to keep a
    #: limit's real-time meaning on a sped-up clock (the request-budget benchmark does).
    rate_limit_window_s: float = 60.0
    block_marker: str = "[[block]]"
    output_block_marker: str = "[[block-output]]"
    segmind_retention_s: float = 3600.0
    aimlapi_url_ttl_s: float = 3600.0
    #: A failed AI/ML job's ``error``: ``name_message`` ({"name", "message"}, the docs),
    #: ``detail`` ({"detail": [{"loc", "msg", "type"}]}, a captured failure) or ``string``.
    aimlapi_error_shape: str = "name_message"
    #: AI/ML's ``meta.usage`` carries ``usd_spent`` beside ``credits_used`` (recent
    #: captures); False: ``credits_used`` only, as in the seed (Hailuo models; H3 sends both).
    aimlapi_usd_spent: bool = True
    #: MiniMax's download page: a download_url is valid 1 hour (an older note said 9 h).
    minimax_url_ttl_s: float = 3600.0
    #: How a failed MiniMax V1 task says why: one of MINIMAX_FAIL_STYLES (see minimax.py).
    minimax_fail_style: str = "code"
    #: What a Segmind v1 call answers: one of SEGMIND_V1_ANSWERS (see segmind.py).
    segmind_v1_answer: str = "video"
    #: MiniMax V2 (H3): content.url lifetime (undocumented: 24 h) and tasks in flight per key.
    minimax_v2_url_ttl_s: float = 86400.0
    minimax_v2_max_in_flight: int = 30
    #: fal CDN files (the default TTL was not captured; X-Fal-Object-Lifecycle-Preference wins).
    fal_file_ttl_s: float = 7 * 24 * 3600.0
    #: Replicate deletes API predictions' inputs, outputs and logs this long after they end.
    replicate_retention_s: float = 3600.0
    #: Report ``aborted`` (Cancel-After passed before start); replicate-python 1.0.7 rejects it.
    replicate_aborted: bool = False
    slow_seconds: float = 5.0
    seed: int | None = None
    faults: list[Fault] = field(default_factory=list)
    #: Where rendered videos go; None = a fresh temporary directory per app.
    files_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        if self.workers_per_key < 1:
            raise ValueError("workers_per_key must be >= 1")
        if not 0.0 <= self.queue_fraction < 1.0:
            raise ValueError("queue_fraction must be within [0, 1)")
        if self.aimlapi_error_shape not in AIMLAPI_ERROR_SHAPES:
            raise ValueError(
                f"aimlapi_error_shape must be one of {AIMLAPI_ERROR_SHAPES},"
                f" got {self.aimlapi_error_shape!r}"
            )
        if self.rate_limit_window_s <= 0:
            raise ValueError("rate_limit_window_s must be > 0")
        if self.minimax_v2_max_in_flight < 1:
            raise ValueError("minimax_v2_max_in_flight must be >= 1")
        if self.minimax_fail_style not in MINIMAX_FAIL_STYLES:
            raise ValueError(f"minimax_fail_style must be one of {MINIMAX_FAIL_STYLES}")
        if self.segmind_v1_answer not in SEGMIND_V1_ANSWERS:
            raise ValueError(f"segmind_v1_answer must be one of {SEGMIND_V1_ANSWERS}")
