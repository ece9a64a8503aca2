"""The one list of providers: where each is, which protocol it speaks, where its key lives.

Everything above (settings, the adapters' registry, the panel's provider menu, the key
prompts) reads its provider facts here, so a new provider is one :class:`Host` row, its
models in :mod:`hailuo_nb.catalog` and its adapter in :mod:`hailuo_nb.providers`.

Example:
    >>> [h.name for h in HOSTS]
    ['segmind', 'aimlapi', 'minimax', 'fal', 'replicate', 'emulator']
    >>> host("aimlapi").key_env, host("emulator").key_env
    ('AIMLAPI_KEY', None)
    >>> KEY_ENV["minimax"]
    'MINIMAX_API_KEY'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ValidationError

__all__ = ["HOSTS", "KEY_ENV", "PROVIDERS", "Host", "host"]


@dataclass(frozen=True)
class Host:
    """One provider: its name, protocol, default server, key variable and request budget.

    ``protocol`` names the adapter family (the emulator speaks Segmind's). ``in_process``
    is True for the emulator the client runs inside itself: its jobs cannot be followed
    from another process, and its speed is known exactly (no learning from history).
    ``requests_per_minute`` is the published paid-tier rate, where the learnt request
    budget starts; ``free_requests_per_minute`` the free tier's, below which it never goes
    (None: the starting rate or 5, whichever is lower). ``title`` names the provider in a
    sentence ("waiting for Segmind's request budget").

    Example:
        >>> host("segmind").base_url
        'https://api.segmind.com'
    """

    name: str
    protocol: str
    base_url: str
    key_env: str | None
    requests_per_minute: float
    in_process: bool = False
    # Where local images are uploaded to become URLs, for protocols whose image
    # parameters are URIs (Segmind keeps its storage on another host); None: no uploads.
    upload_url: str | None = None
    # Seconds after submission during which the provider answers for a job (its documented
    # retention; in the provider's time, which the emulator scales). Past it a 404 means
    # "expired"; within it, or where nothing is documented (None), a 404 is an error that
    # leaves the job as it was (another key or server, most likely).
    status_window: float | None = None
    # The provider's own request history (Segmind's, on another host): where a job older
    # than the status window, or a submit whose answer was lost, is looked up.
    history_url: str | None = None
    # Image formats the provider takes, by Pillow's names. MiniMax's own rules allow WebP;
    # AI/ML's official schema lists JPG, JPEG and PNG only.
    image_formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
    free_requests_per_minute: float | None = None
    title: str | None = None
    # Where the key may also come from as two halves, joined "id:secret" (fal's
    # FAL_KEY_ID + FAL_KEY_SECRET, as fal-client joins them); read only when key_env is unset.
    key_pair_env: tuple[str, str] | None = None
    # An environment variable naming this provider's root alone (REPLICATE_BASE_URL, as the
    # replicate SDK reads it): it lets one notebook mix providers on one emulator server,
    # where the shared HAILUO_BASE_URL can name only one of them.
    base_url_env: str | None = None

    def key_from(self, environ: Mapping[str, str]) -> str | None:
        """The key as the environment gives it: ``key_env``, else the joined key pair.

        Example:
            >>> host("fal").key_from({"FAL_KEY_ID": "id", "FAL_KEY_SECRET": "s"})
            'id:s'
            >>> host("fal").key_from({"FAL_KEY": "k", "FAL_KEY_ID": "i"})
            'k'
        """
        key = environ.get(self.key_env) if self.key_env else None
        if key:
            return key
        if self.key_pair_env is not None:
            first, second = (environ.get(name) for name in self.key_pair_env)
            if first and second:
                return f"{first}:{second}"
        return None

    def key_source(self, environ: Mapping[str, str]) -> str | None:
        """The variable(s) the key comes from, when set (``FAL_KEY_ID+FAL_KEY_SECRET``).

        Example:
            >>> host("fal").key_source({"FAL_KEY_ID": "id", "FAL_KEY_SECRET": "s"})
            'FAL_KEY_ID+FAL_KEY_SECRET'
            >>> host("replicate").key_source({}) is None
            True
        """
        if self.key_env and environ.get(self.key_env):
            return self.key_env
        if self.key_pair_env is not None and self.key_from(environ):
            return "+".join(self.key_pair_env)
        return None
    # Other protocols this host serves beside its own, by the last path segment that
    # replaces the base URL's (the emulator serves MiniMax's V2 for H3 under /minimax).
    mounts: tuple[tuple[str, str], ...] = ()

    def url_for(self, protocol: str, base_url: str) -> str:
        """The root a model of another ``protocol`` is asked at, for a server at ``base_url``.

        Example:
            >>> host("emulator").url_for("minimax_v2", "http://127.0.0.1:8000/segmind")
            'http://127.0.0.1:8000/minimax'
            >>> host("minimax").url_for("minimax_v2", "https://api.minimax.io")
            'https://api.minimax.io'
        """
        mount = dict(self.mounts).get(protocol)
        if mount is None:
            return base_url
        return f"{base_url.rstrip('/').rsplit('/', 1)[0]}/{mount}"

    @property
    def floor_rpm(self) -> float:
        """The learnt budget's floor: the free tier's rate.

        Example:
            >>> host("segmind").floor_rpm, host("aimlapi").floor_rpm
            (5.0, 5.0)
        """
        if self.free_requests_per_minute is not None:
            return self.free_requests_per_minute
        return min(5.0, self.requests_per_minute)

    @property
    def possessive(self) -> str:
        """The provider's name as an owner, in a sentence.

        Example:
            >>> host("segmind").possessive, host("aimlapi").possessive
            ("Segmind's", "the AI/ML API's")
        """
        return f"{self.title or self.name}'s"

    def history_url_for(self, base_url: str) -> str | None:
        """The request history for a server at ``base_url``: an emulator serves it under
        its root.

        Example:
            >>> host("segmind").history_url_for("http://127.0.0.1:8000/segmind")
            'http://127.0.0.1:8000/segmind/inference-request/request-history'
            >>> host("aimlapi").history_url_for("https://api.aimlapi.com") is None
            True
        """
        if self.history_url is None:
            return None
        if base_url == self.base_url:
            return self.history_url
        return f"{base_url.rstrip('/')}/inference-request/request-history"

    def upload_url_for(self, base_url: str) -> str | None:
        """The upload URL for a server at ``base_url``: an emulator serves it under its root.

        Example:
            >>> host("segmind").upload_url_for("http://127.0.0.1:8000/segmind")
            'http://127.0.0.1:8000/segmind/upload-asset'
            >>> host("minimax").upload_url_for("https://api.minimax.io") is None
            True
        """
        if self.upload_url is None:
            return None
        return self.upload_url if base_url == self.base_url else f"{base_url}/upload-asset"


HOSTS: tuple[Host, ...] = (
    Host(
        "segmind",
        "segmind",
        "https://api.segmind.com",
        "SEGMIND_API_KEY",
        # Pro accounts: 50 a minute; free ones: 5 (protocols.md).
        50.0,
        upload_url="https://workflows-api.segmind.com/upload-asset",
        status_window=3600.0,
        history_url="https://api.spotprod.segmind.com/inference-request/request-history",
        free_requests_per_minute=5.0,
        title="Segmind",
    ),
    # The AI/ML API publishes no request rate for video generation: 60 is a guess.
    Host(
        "aimlapi",
        "aimlapi",
        "https://api.aimlapi.com",
        "AIMLAPI_KEY",
        60.0,
        image_formats=("JPEG", "PNG"),
        title="the AI/ML API",
    ),
    # Hailuo models: 20 a minute on paid plans, 5 on the free one.
    Host(
        "minimax",
        "minimax",
        "https://api.minimax.io",
        "MINIMAX_API_KEY",
        20.0,
        free_requests_per_minute=5.0,
        title="MiniMax",
    ),
    # fal.ai's queue. fal publishes no request rate (its limits are concurrent requests per
    # account, and its queue retries a 429 itself): 60 a minute is a guess. Status and
    # result live under the app only (fal-ai/minimax), as fal-client builds them.
    Host(
        "fal",
        "fal",
        "https://queue.fal.run",
        "FAL_KEY",
        60.0,
        title="fal",
        key_pair_env=("FAL_KEY_ID", "FAL_KEY_SECRET"),
        base_url_env="FAL_BASE_URL",
    ),
    # Replicate: 600 creates a minute (3000 for other calls); accounts with granted
    # credit and no payment method get 6 (protocols-more.md 4.3). Predictions can be read
    # for ever; their inputs and outputs are deleted an hour after they end (the follower
    # saves the video at once).
    Host(
        "replicate",
        "replicate",
        "https://api.replicate.com",
        "REPLICATE_API_TOKEN",
        600.0,
        free_requests_per_minute=6.0,
        title="Replicate",
        base_url_env="REPLICATE_BASE_URL",
    ),
    # In-process: the host is never resolved, the ASGI transport answers it.
    Host(
        "emulator",
        "segmind",
        "http://emulator.invalid/segmind",
        None,
        600.0,
        in_process=True,
        upload_url="http://emulator.invalid/segmind/upload-asset",
        status_window=3600.0,
        history_url="http://emulator.invalid/segmind/inference-request/request-history",
        title="the emulator",
        mounts=(("minimax_v2", "minimax"),),
    ),
)
"""Every provider the client speaks to, in the order menus show them.

Example:
    >>> HOSTS[0].name
    'segmind'
"""

PROVIDERS: tuple[str, ...] = tuple(h.name for h in HOSTS)
"""The providers' names.

Example:
    >>> "emulator" in PROVIDERS
    True
"""

KEY_ENV: dict[str, str] = {h.name: h.key_env for h in HOSTS if h.key_env}
"""The environment variable holding each provider's key (the emulator needs none).

Example:
    >>> sorted(KEY_ENV)
    ['aimlapi', 'fal', 'minimax', 'replicate', 'segmind']
"""

_BY_NAME = {h.name: h for h in HOSTS}


def host(name: str) -> Host:
    """The provider called ``name``; a one-line ``ValidationError`` for an unknown one.

    Example:
        >>> host("minimax").protocol
        'minimax'
        >>> host("openai")
        Traceback (most recent call last):
        ...
        hailuo_nb.errors.ValidationError: provider: unknown provider 'openai'; choose one of: \
segmind, aimlapi, minimax, fal, replicate, emulator
    """
    found = _BY_NAME.get(name) if isinstance(name, str) else None
    if found is None:
        raise ValidationError(
            "provider", f"unknown provider {name!r}; choose one of: {', '.join(PROVIDERS)}"
        )
    return found
