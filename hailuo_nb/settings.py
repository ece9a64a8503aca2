"""Settings resolved once: explicit arguments, then notebook settings, then environment,
then defaults.

The environment is passed in as a mapping (``environ=``), never read at import time, so a
test can resolve settings without touching ``os.environ``. The API key never shows in a
repr, a log line or an error.

Example:
    >>> s = resolve(provider="segmind", environ={"SEGMIND_API_KEY": "SG_secret"})
    >>> s.provider, s.base_url, "SG_secret" in repr(s)
    ('segmind', 'https://api.segmind.com', False)
    >>> resolve(environ={}).provider      # nothing chosen, no key found
    'emulator'
    >>> resolve("emulator", environ={"HAILUO_REUSE": "always"}).reuse
    'always'
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ValidationError

__all__ = ["DEFAULT_BASE_URLS", "KEY_ENV", "Settings", "resolve"]

log = logging.getLogger("hailuo_nb")

PROVIDERS = ("segmind", "aimlapi", "minimax", "emulator")
#: Each provider's root: the part before ``/v1`` or ``/v2``.
DEFAULT_BASE_URLS = {
    "segmind": "https://api.segmind.com",
    "aimlapi": "https://api.aimlapi.com",
    "minimax": "https://api.minimax.io",
    # In-process: the host is never resolved, the ASGI transport answers it.
    "emulator": "http://emulator.invalid/segmind",
}
KEY_ENV = {"segmind": "SEGMIND_API_KEY", "aimlapi": "AIMLAPI_KEY", "minimax": "MINIMAX_API_KEY"}
SEGMIND_UPLOAD_URL = "https://workflows-api.segmind.com/upload-asset"
# Free tiers: Segmind and MiniMax allow 5 requests a minute. A budget a little under that
# leaves room for a notebook open elsewhere; raise it on paid plans.
DEFAULT_RPM = {"segmind": 5.0, "aimlapi": 60.0, "minimax": 5.0, "emulator": 600.0}
# A key for servers on this machine (the emulator takes any non-empty key).
LOCAL_KEY = "local-emulator-key"
#: What ``reuse`` may be (the notebook's "ask" is resolved by the magic, not the client).
REUSE_CHOICES = ("always", "never")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_told_emulator = False


@dataclass(frozen=True)
class Settings:
    """Everything the client needs, resolved once. ``repr`` masks the API key.

    Example:
        >>> Settings(provider="aimlapi", api_key="abcdef123456", base_url="http://h")
        ... # doctest: +ELLIPSIS
        Settings(provider='aimlapi', api_key='***3456', base_url='http://h', ...)
    """

    provider: str
    api_key: str = field(repr=False)
    base_url: str
    model: str | None = None
    output_dir: Path = Path("hailuo_outputs")
    store_path: Path | None = None  # None: <output_dir>/hailuo_jobs.sqlite3
    max_concurrency: int = 4
    requests_per_minute: float = 5.0
    segmind_api: str = "v2"
    upload_url: str | None = None
    poll_min_interval: float = 1.0
    poll_max_interval: float = 30.0
    request_timeout: float = 60.0
    max_download_bytes: int = 2_000_000_000
    auto_chosen: bool = False  # True: nothing chose a provider, so the emulator was used
    # "always": an identical request returns the job already made (see hailuo_nb.reuse);
    # "never" (the default for scripts and the CLI): every submit pays for a new video.
    reuse: str = "never"

    def __repr__(self) -> str:
        fields = [f"provider={self.provider!r}", f"api_key={mask(self.api_key)!r}"]
        for f in dataclasses.fields(self)[2:]:
            fields.append(f"{f.name}={getattr(self, f.name)!r}")
        return f"Settings({', '.join(fields)})"

    @property
    def job_store(self) -> Path:
        """Where the job store lives.

        Example:
            >>> Settings("emulator", "k", "http://h", output_dir=Path("out")).job_store
            PosixPath('out/hailuo_jobs.sqlite3')
        """
        return self.store_path or self.output_dir / "hailuo_jobs.sqlite3"


def mask(key: str) -> str:
    """A key as it may be shown: its last four characters only.

    Example:
        >>> mask("SG_0123456789abcdef"), mask("ab")
        ('***cdef', '***')
    """
    return "***" + (key[-4:] if len(key) >= 12 else "")


def resolve(
    provider: str | None = None,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    notebook: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    **explicit: Any,
) -> Settings:
    """Resolve every setting in one pass (explicit, notebook, environment, default).

    ``explicit`` takes any other :class:`Settings` field (``None`` = not given).

    Example:
        >>> resolve("minimax", api_key="k" * 20, requests_per_minute=20,
        ...         environ={}).requests_per_minute
        20.0
    """
    nb = {k: v for k, v in (notebook or {}).items() if v is not None}
    env = os.environ if environ is None else environ

    def pick(name: str, env_name: str | None = None) -> Any:
        if explicit.get(name) is not None:
            return explicit[name]
        if name in nb:
            return nb[name]
        return env.get(env_name) or None if env_name else None

    provider = provider or nb.get("provider") or env.get("HAILUO_PROVIDER") or None
    auto = False
    if provider is None:
        provider = next((p for p, var in KEY_ENV.items() if env.get(var)), None)
        if provider is None and api_key is None:
            provider, auto = "emulator", True
            _say_emulator_once()
    if provider not in PROVIDERS:
        raise ValidationError(
            "provider", f"unknown provider {provider!r}; choose one of " + ", ".join(PROVIDERS)
        )
    assert provider is not None
    base = (
        base_url or nb.get("base_url") or env.get("HAILUO_BASE_URL") or DEFAULT_BASE_URLS[provider]
    ).rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        raise ValidationError("base_url", f"must be an http(s) URL, got {base!r}")
    key = api_key or (env.get(KEY_ENV[provider]) if provider in KEY_ENV else None)
    if not key:
        if provider == "emulator" or urlsplit(base).hostname in _LOOPBACK:
            key = LOCAL_KEY  # a local emulator server takes any key; nothing secret to leak
        else:
            raise ValidationError(
                "api_key", f"no API key for {provider}: set {KEY_ENV[provider]} or pass api_key="
            )
    reuse = str(pick("reuse", "HAILUO_REUSE") or "never").strip().lower()
    if reuse not in REUSE_CHOICES:
        raise ValidationError("reuse", f"must be always or never, got {reuse!r}")
    segmind_api = str(pick("segmind_api", "HAILUO_SEGMIND_API") or "v2")
    if segmind_api not in ("v1", "v2"):
        raise ValidationError("segmind_api", f"must be v1 or v2, got {segmind_api!r}")
    output_dir = Path(pick("output_dir", "HAILUO_OUTPUT_DIR") or "hailuo_outputs")
    store = pick("store_path", "HAILUO_STORE")
    for name, folder in (
        ("output_dir", output_dir),
        ("store_path", Path(store).parent if store else None),
    ):
        if folder is not None and folder.exists() and not folder.is_dir():
            raise ValidationError(name, f"{folder} is a file, not a folder")
    rpm = pick("requests_per_minute", "HAILUO_RPM")
    upload = pick("upload_url", "SEGMIND_UPLOAD_URL")
    if upload is None and provider in ("segmind", "emulator"):
        # Real Segmind keeps its storage on another host; an emulator serves it under its root.
        official = base == DEFAULT_BASE_URLS["segmind"]
        upload = SEGMIND_UPLOAD_URL if official else f"{base}/upload-asset"
    numbers = {
        name: pick(name)
        for name in (
            "poll_min_interval",
            "poll_max_interval",
            "request_timeout",
            "max_download_bytes",
            "max_concurrency",
        )
    }
    try:
        settings = Settings(
            provider=provider,
            api_key=key,
            base_url=base,
            model=pick("model", "HAILUO_MODEL"),
            output_dir=output_dir,
            store_path=Path(store) if store else None,
            requests_per_minute=float(rpm) if rpm is not None else DEFAULT_RPM[provider],
            segmind_api=segmind_api,
            upload_url=upload,
            auto_chosen=auto,
            reuse=reuse,
            **{k: type(getattr(_DEFAULTS, k))(v) for k, v in numbers.items() if v is not None},
        )
    except (TypeError, ValueError) as exc:
        raise ValidationError("settings", str(exc)) from None
    if settings.requests_per_minute <= 0:
        raise ValidationError("requests_per_minute", "must be more than 0")
    if settings.max_concurrency < 1:
        raise ValidationError("max_concurrency", "must be at least 1")
    return settings


_DEFAULTS = Settings(provider="emulator", api_key="", base_url="")


def _say_emulator_once() -> None:
    global _told_emulator
    if not _told_emulator:
        _told_emulator = True
        log.warning(
            "hailuo: no provider chosen and no API key found (SEGMIND_API_KEY, AIMLAPI_KEY, "
            "MINIMAX_API_KEY): using the local emulator; its videos are placeholders"
        )
