"""The emulator's memory: clock, accounts, jobs, rate limits, faults and statistics.

Nothing here runs in the background. A job's whole timeline (queued, processing, done)
is fixed when it is submitted, and its status is derived from the clock whenever someone
asks. That is why the app works in-process under ``httpx.ASGITransport`` with no lifespan
and no timers, and why ``POST /__emulator__/clock`` can jump forward safely.

Example:
    >>> from hailuo_nb.emulator.config import EmulatorConfig
    >>> state = State(EmulatorConfig(seed=1))
    >>> state.account("k").balance
    1000.0
"""

from __future__ import annotations

import hashlib
import heapq
import random
import secrets
import time
from collections import defaultdict, deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .config import EmulatorConfig, Fault

if TYPE_CHECKING:
    from .uploads import Upload

Phase = Literal["preparing", "queued", "processing", "completed", "failed", "cancelled"]


def key_id(key: str) -> str:
    """The only form in which a key is ever shown: a short hash.

    Example:
        >>> key_id("secret")
        '2bb80d537b1d'
    """
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@dataclass
class Account:
    """One API key's balance (USD) and its worker slots (free-at times, a heap)."""

    balance: float
    slots: list[float] = field(default_factory=list)
    recent: deque[float] = field(default_factory=deque)


@dataclass
class Job:
    """One generation. Times are on the emulator's clock (seconds since the epoch).

    ``fail_reason`` is decided at submit time (a blocked output, an impossible combination)
    and only becomes visible once the job's processing time is over.
    """

    id: str
    provider: str
    model: str
    key: str
    params: dict[str, Any]
    width: int
    height: int
    seconds: int
    price: float
    created: float
    started: float
    finished: float
    fail_reason: str | None = None
    fail_code: int | None = None
    render: Future[Path] | None = None
    charged: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    #: When a client cancelled it (only a job that had not started can be): never charged.
    cancelled: float | None = None

    def phase(self, now: float) -> Phase:
        """Where the job stands at ``now``.

        A job is never reported completed before its video file exists, so a slow render
        keeps it "processing" a little longer, as a slow GPU would.
        """
        if self.cancelled is not None and now >= self.cancelled:
            return "cancelled"
        if now < self.started:
            # The first half of the queue share is MiniMax's "Preparing".
            return (
                "preparing" if now < self.created + (self.started - self.created) / 2 else "queued"
            )
        if now < self.finished:
            return "processing"
        if self.fail_reason is not None:
            return "failed"
        if self.render is None:
            return "completed"
        if not self.render.done():
            return "processing"
        if self.render.exception() is not None:
            self.fail_reason = f"internal error while rendering: {self.render.exception()}"
            return "failed"
        return "completed"

    @property
    def path(self) -> Path | None:
        """The rendered file once it exists."""
        if self.render is None or not self.render.done() or self.render.exception():
            return None
        return self.render.result()


class State:
    """All mutable emulator state, shared by every route of one app.

    Example:
        >>> s = State(EmulatorConfig(keys={"a": 1.0}))
        >>> s.known_key("a"), s.known_key("b"), s.known_key("")
        (True, False, False)
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.offset = 0.0
        # Signs AI/ML and MiniMax download URLs; per app, so old URLs die with the app.
        self.secret = f"{random.SystemRandom().getrandbits(128):032x}"
        self.assets: dict[str, tuple[bytes, str]] = {}
        self.reset()

    def reset(self) -> None:
        """Forget jobs, accounts, statistics and faults (the configured ones too)."""
        self.jobs: dict[str, Job] = {}
        self.files: dict[str, Job] = {}  # download name (AI/ML, MiniMax) -> job
        self.uploads: dict[str, Upload] = {}  # MiniMax file_id -> an uploaded input file
        self.accounts: dict[str, Account] = {}
        self.faults: list[Fault] = list(self.config.faults)
        self.submissions_total = 0
        self.by_provider: dict[str, int] = defaultdict(int)
        self.by_key: dict[str, int] = defaultdict(int)
        self.requests: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.faults_injected: dict[str, int] = defaultdict(int)

    # -- clock -------------------------------------------------------------------------
    def now(self) -> float:
        """Wall time plus whatever the clock endpoint added."""
        return time.time() + self.offset

    # -- accounts ----------------------------------------------------------------------
    def known_key(self, key: str | None) -> bool:
        """Whether ``key`` may use the API at all."""
        if not key:
            return False
        return self.config.keys is None or key in self.config.keys

    def account(self, key: str) -> Account:
        """The account of a known key, created on first use."""
        acct = self.accounts.get(key)
        if acct is None:
            keys = self.config.keys
            balance = keys[key] if keys and key in keys else self.config.default_balance
            acct = Account(balance=float(balance), slots=[0.0] * self.config.workers_per_key)
            self.accounts[key] = acct
        return acct

    def settle(self, key: str) -> float:
        """Charge every job of ``key`` that has completed; return the balance."""
        acct = self.account(key)
        now = self.now()
        for job in self.jobs.values():
            if job.key == key and not job.charged and job.phase(now) == "completed":
                job.charged = True
                acct.balance = round(acct.balance - job.price, 6)
        return acct.balance

    def can_afford(self, key: str, price: float) -> bool:
        """Balance minus what running jobs will cost covers ``price``."""
        balance = self.settle(key)
        pending = sum(
            j.price
            for j in self.jobs.values()
            if j.key == key and not j.charged and j.fail_reason is None and j.cancelled is None
        )
        return balance - pending >= price

    def rate_limited(self, key: str) -> float | None:
        """Record a request; return the epoch second the window frees up if over the limit.

        Every authenticated API request counts (polls too), as on the real services.
        """
        rpm = self.config.rate_limit_rpm
        if rpm is None:
            return None
        window = self.config.rate_limit_window_s
        recent = self.account(key).recent
        now = self.now()
        while recent and recent[0] <= now - window:
            recent.popleft()
        if len(recent) >= rpm:
            return recent[0] + window
        recent.append(now)
        return None

    # -- jobs --------------------------------------------------------------------------
    def new_hex_id(self) -> str:
        """32 lowercase hex characters, never from the seeded generator.

        The seed fixes durations and fault draws only: two emulators with the same seed
        (two kernels running the same notebook) must not hand out the same job ids, or a
        client's job store would mix up two paid jobs.
        """
        return secrets.token_hex(16)

    def new_digit_id(self) -> str:
        """A 15-digit decimal id, like AI/ML's and MiniMax's (not seeded either)."""
        return str(10**14 + secrets.randbelow(9 * 10**14))

    def schedule(
        self, key: str, typical_s: float, factor: float = 1.0
    ) -> tuple[float, float, float]:
        """Fix a new job's (created, started, finished) times, taking a worker slot.

        The job first spends ``queue_fraction`` of its time queued; then it waits for the
        earliest free slot of this key, so a key's jobs beyond ``workers_per_key`` queue.
        """
        cfg = self.config
        spread = 1.0 + self.rng.uniform(-cfg.spread, cfg.spread)
        total = typical_s * factor * spread / cfg.time_scale
        now = self.now()
        slots = self.account(key).slots
        free_at = heapq.heappop(slots)
        started = max(now + total * cfg.queue_fraction, free_at)
        finished = started + total * (1.0 - cfg.queue_fraction)
        heapq.heappush(slots, finished)
        return now, started, finished

    def add_job(self, job: Job) -> None:
        """Store an accepted job and count it as one billable submission."""
        self.jobs[job.id] = job
        self.submissions_total += 1
        self.by_provider[job.provider] += 1
        self.by_key[key_id(job.key)] += 1

    # -- faults and statistics ---------------------------------------------------------
    def pick_fault(self, endpoint: str, kinds: tuple[str, ...] | None = None) -> Fault | None:
        """The fault that hits this request on ``endpoint``, if any (and count it)."""
        for fault in self.faults:
            if fault.endpoint not in (endpoint, "*"):
                continue
            if kinds is not None and fault.kind not in kinds:
                continue
            if fault.times is not None:
                if fault.times <= 0:
                    continue
                fault.times -= 1
            elif fault.rate is not None and self.rng.random() >= fault.rate:
                continue
            self.faults_injected[f"{endpoint}:{fault.kind}"] += 1
            return fault
        return None

    def count(self, method: str, template: str, status: int) -> None:
        """Count one answer (status 0 = the connection was dropped)."""
        self.requests[f"{method} {template}"][str(status)] += 1

    def stats(self) -> dict[str, Any]:
        """The JSON body of ``GET /__emulator__/stats``."""
        now = self.now()
        for key in {j.key for j in self.jobs.values()}:
            self.settle(key)  # so "charged" is true for every completed job
        return {
            "submissions": {
                "total": self.submissions_total,
                "by_provider": dict(self.by_provider),
                "by_key": dict(self.by_key),
            },
            "requests": {name: dict(codes) for name, codes in self.requests.items()},
            "faults_injected": dict(self.faults_injected),
            "jobs": {
                jid: {
                    "provider": j.provider,
                    "model": j.model,
                    "status": j.phase(now),
                    "charged": j.charged,
                }
                for jid, j in self.jobs.items()
            },
        }
