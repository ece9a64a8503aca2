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
    >>> s = resolve("segmind", api_key="k" * 20, environ={"XDG_CACHE_HOME": "/c"})
    >>> s.requests_per_minute, s.rpm_explicit, str(s.budget_state)
    (50.0, False, '/c/hailuo-nb/budget.sqlite3')
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
from .hosts import HOSTS, KEY_ENV, Host, host

__all__ = [
    "DEFAULT_BASE_URLS",
    "KEY_ENV",
    "Settings",
    "budget_state_path",
    "detect_provider",
    "environment",
    "key_source",
    "mask",
    "resolve",
    "say_emulator_once",
]

log = logging.getLogger("hailuo_nb")

#: Each provider's root: the part before ``/v1`` or ``/v2``.
DEFAULT_BASE_URLS = {h.name: h.base_url for h in HOSTS}
# A key for servers on this machine (the emulator takes any non-empty key).
LOCAL_KEY = "local-emulator-key"
#: What ``reuse`` may be (the notebook's "ask" is resolved by the magic, not the client).
REUSE_CHOICES = ("always", "never")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_told_emulator = False


def environment(environ: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """The environment variables to read: ``environ`` if given, else ``os.environ``.

    The one place the kit reads the process environment (at call time, never at import),
    so every other module takes an ``environ`` mapping and a test can pass its own.

    Example:
        >>> environment({"HAILUO_RPM": "20"})["HAILUO_RPM"]
        '20'
    """
    return os.environ if environ is None else environ


def detect_provider(environ: Mapping[str, str] | None = None) -> str | None:
    """The provider chosen by the environment: ``$HAILUO_PROVIDER``, else the first key set.

    Example:
        >>> detect_provider({"AIMLAPI_KEY": "k"}), detect_provider({}) is None
        ('aimlapi', True)
        >>> detect_provider({"HAILUO_PROVIDER": "minimax", "AIMLAPI_KEY": "k"})
        'minimax'
    """
    env = environment(environ)
    chosen = env.get("HAILUO_PROVIDER") or None
    if chosen:
        return chosen
    return next((h.name for h in HOSTS if h.key_source(env)), None)


def key_source(provider: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The environment variable that holds ``provider``'s key, when it is set; else None.

    Example:
        >>> key_source("segmind", {"SEGMIND_API_KEY": "SG_x"}), key_source("segmind", {})
        ('SEGMIND_API_KEY', None)
        >>> key_source("fal", {"FAL_KEY_ID": "a", "FAL_KEY_SECRET": "b"})
        'FAL_KEY_ID+FAL_KEY_SECRET'
    """
    if provider not in KEY_ENV:
        return None
    return host(provider).key_source(environment(environ))


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
    # The request budget: the provider's published paid-tier rate, learnt from its answers;
    # or, when set explicitly (rpm_explicit), the rate itself, never exceeded or learnt.
    requests_per_minute: float = 5.0
    rpm_explicit: bool = False
    # The file the request budget is shared through by every process using the same key
    # (hailuo_nb.ratestate); None: this process only.
    budget_state: Path | None = None
    segmind_api: str = "v2"
    upload_url: str | None = None
    # Segmind's request history (None where the provider keeps none).
    history_url: str | None = None
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
    layers = _Layers(explicit, notebook or {}, environment(environ))
    name, auto = _provider(provider, api_key, layers)
    where = host(name)
    base = _base_url(base_url, where, layers)
    output_dir, store = _paths(layers)
    rpm = layers.pick("requests_per_minute", "HAILUO_RPM")
    state = layers.pick("budget_state", "HAILUO_BUDGET_STATE")
    try:
        settings = Settings(
            provider=name,
            api_key=_api_key(api_key, where, base, layers.env),
            base_url=base,
            model=layers.pick("model", "HAILUO_MODEL"),
            output_dir=output_dir,
            store_path=store,
            requests_per_minute=float(rpm) if rpm is not None else where.requests_per_minute,
            rpm_explicit=rpm is not None,
            budget_state=budget_state_path(state, layers.env),
            segmind_api=_choice(layers, "segmind_api", "HAILUO_SEGMIND_API", ("v2", "v1")),
            upload_url=layers.pick("upload_url", "SEGMIND_UPLOAD_URL")
            or where.upload_url_for(base),
            history_url=layers.pick("history_url", "SEGMIND_HISTORY_URL")
            or where.history_url_for(base),
            auto_chosen=auto,
            reuse=_choice(layers, "reuse", "HAILUO_REUSE", ("never", "always")),
            **_numbers(layers),
        )
    except ValidationError:
        raise  # already one line that names the setting
    except (TypeError, ValueError) as exc:
        raise ValidationError("settings", str(exc)) from None
    if settings.requests_per_minute <= 0:
        raise ValidationError("requests_per_minute", "must be more than 0")
    if settings.max_concurrency < 1:
        raise ValidationError("max_concurrency", "must be at least 1")
    return settings


def budget_state_path(chosen: Any, environ: Mapping[str, str]) -> Path | None:
    """Where the shared request budget lives: ``chosen`` (a path, or "off"), else the
    user's cache folder as the environment names it, else nowhere (None: in memory).

    Example:
        >>> str(budget_state_path(None, {"HOME": "/home/me"}))
        '/home/me/.cache/hailuo-nb/budget.sqlite3'
        >>> budget_state_path("off", {"HOME": "/home/me"}), budget_state_path(None, {})
        (None, None)
    """
    if chosen is not None and str(chosen).strip():
        text = str(chosen).strip()
        return None if text.lower() in ("off", "none", "memory") else Path(text).expanduser()
    # An environment that names no cache folder (a test's environ={}) gets none.
    cache = environ.get("XDG_CACHE_HOME") or (
        str(Path(environ["HOME"]) / ".cache") if environ.get("HOME") else None
    )
    return Path(cache) / "hailuo-nb" / "budget.sqlite3" if cache else None


@dataclass(frozen=True)
class _Layers:
    """Where a setting can come from, in order: explicit, notebook, environment."""

    explicit: Mapping[str, Any]
    notebook: Mapping[str, Any]
    env: Mapping[str, str]

    def pick(self, name: str, env_name: str | None = None) -> Any:
        if self.explicit.get(name) is not None:
            return self.explicit[name]
        if self.notebook.get(name) is not None:
            return self.notebook[name]
        return (self.env.get(env_name) or None) if env_name else None


def _provider(explicit: str | None, api_key: str | None, layers: _Layers) -> tuple[str, bool]:
    """The provider's name, and whether nothing chose it (the emulator, said once)."""
    name = explicit or layers.notebook.get("provider") or detect_provider(layers.env)
    if name is None and api_key is None:
        return "emulator", True  # said when a job is sent (say_emulator_once), not here
    host(name or "")  # a one-line error for an unknown one
    return str(name), False


def _base_url(explicit: str | None, where: Host, layers: _Layers) -> str:
    base = str(
        explicit
        or layers.notebook.get("base_url")
        or (layers.env.get(where.base_url_env) if where.base_url_env else None)
        or layers.env.get("HAILUO_BASE_URL")
        or where.base_url
    ).rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        raise ValidationError("base_url", f"must be an http(s) URL, got {base!r}")
    return base


def _api_key(explicit: str | None, where: Host, base: str, env: Mapping[str, str]) -> str:
    key = explicit or where.key_from(env)
    if key:
        return key
    if where.key_env is None or urlsplit(base).hostname in _LOOPBACK:
        return LOCAL_KEY  # a local emulator server takes any key; nothing secret to leak
    pair = f" (or {' and '.join(where.key_pair_env)})" if where.key_pair_env else ""
    raise ValidationError(
        "api_key",
        f"no API key for {where.name}: set the {where.key_env} environment variable{pair}",
    )


def _choice(layers: _Layers, name: str, env_name: str, allowed: tuple[str, ...]) -> str:
    """A setting that takes one of ``allowed`` (the first is the default)."""
    value = str(layers.pick(name, env_name) or allowed[0])
    if name == "reuse":
        value = value.strip().lower()
    if value not in allowed:
        raise ValidationError(name, f"must be {' or '.join(sorted(allowed))}, got {value!r}")
    return value


def _paths(layers: _Layers) -> tuple[Path, Path | None]:
    output_dir = Path(layers.pick("output_dir", "HAILUO_OUTPUT_DIR") or "hailuo_outputs")
    raw = layers.pick("store_path", "HAILUO_STORE")
    store = Path(raw) if raw else None
    for name, folder in (("output_dir", output_dir), ("store_path", store and store.parent)):
        if folder is not None and folder.exists() and not folder.is_dir():
            raise ValidationError(name, f"{folder} is a file, not a folder")
    return output_dir, store


_NUMBERS = (
    "poll_min_interval",
    "poll_max_interval",
    "request_timeout",
    "max_download_bytes",
    "max_concurrency",
)


def _numbers(layers: _Layers) -> dict[str, Any]:
    """The numeric settings that are set, converted to their field's type."""
    picked = {name: layers.pick(name) for name in _NUMBERS}
    return {k: type(getattr(_DEFAULTS, k))(v) for k, v in picked.items() if v is not None}


_DEFAULTS = Settings(provider="emulator", api_key="", base_url="")


def say_emulator_once() -> None:
    """Say, once per process, that nothing chose a provider and the emulator is used.

    Called where a job is sent (not on ``hailuo history``): that is where it matters.

    Example:
        >>> say_emulator_once()  # doctest: +SKIP
    """
    global _told_emulator
    if not _told_emulator:
        _told_emulator = True
        log.warning(
            "hailuo: no provider chosen and no API key found (SEGMIND_API_KEY, AIMLAPI_KEY, "
            "MINIMAX_API_KEY): using the local emulator; its videos are placeholders"
        )
