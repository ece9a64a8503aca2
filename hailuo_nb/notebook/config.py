"""``%config Hailuo.<setting>``: the notebook's settings, as a traitlets ``Configurable``.

Unset settings (``None``) fall through to the client's own order: environment variables,
then defaults. API keys are deliberately *not* settings: a trait would show in
``%config Hailuo`` and could end up in a saved notebook.

Example:
    >>> cfg = Hailuo(provider="emulator", budget_usd=2.0)
    >>> cfg.client_settings()["provider"], cfg.budget_usd
    ('emulator', 2.0)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from traitlets import Bool, Dict, Enum, Float, Int, Unicode, Union, default
from traitlets.config import Configurable

from ..settings import environment
from .frontend import FRONTENDS
from .preview import DEFAULT_CAP_BYTES, DEFAULT_HEIGHT

__all__ = ["Hailuo"]

# Settings handed to the client (its notebook layer: ``client_settings()``).
CLIENT_SETTINGS = (
    "provider",
    "base_url",
    "model",
    "output_dir",
    "store_path",
    "max_concurrency",
    "requests_per_minute",
    "segmind_api",
    "budget_state",
)
# Polling knobs, also handed to the client.
POLLING_SETTINGS = ("poll_min_interval", "poll_max_interval")


class Hailuo(Configurable):
    """Settings of ``%%hailuo``; change them with ``%config Hailuo.<name> = value``.

    Example::

        %config Hailuo.provider = "segmind"
        %config Hailuo.budget_usd = 5.0
        %config Hailuo.emulator = {"time_scale": 200, "preview": True}
        %config Hailuo.reuse = "ask"
    """

    provider = Unicode(
        None, allow_none=True, help="segmind, aimlapi, minimax or emulator (None: automatic)"
    ).tag(config=True)
    base_url = Unicode(
        None, allow_none=True, help="provider root, e.g. http://127.0.0.1:8000/segmind"
    ).tag(config=True)
    model = Unicode(None, allow_none=True, help="default model, e.g. hailuo-2.3").tag(config=True)
    output_dir = Unicode(
        None, allow_none=True, help="where videos are saved (default hailuo_outputs/)"
    ).tag(config=True)
    store_path = Unicode(None, allow_none=True, help="the job store (SQLite file)").tag(config=True)
    max_concurrency = Int(None, allow_none=True, help="jobs polled at once").tag(config=True)
    requests_per_minute = Float(
        None,
        allow_none=True,
        help="request budget per provider (polls and submits), never exceeded; unset: learnt"
        " from the server, starting at the provider's paid tier (see %hailuo config)",
    ).tag(config=True)
    budget_state = Unicode(
        None,
        allow_none=True,
        help="the file through which kernels and hailuo processes share each provider's"
        " request budget, or 'off' (default $HAILUO_BUDGET_STATE, else"
        " ~/.cache/hailuo-nb/budget.sqlite3)",
    ).tag(config=True)
    poll_min_interval = Float(None, allow_none=True, help="shortest poll interval, s").tag(
        config=True
    )
    poll_max_interval = Float(None, allow_none=True, help="longest poll interval, s").tag(
        config=True
    )
    segmind_api = Enum(["v1", "v2"], "v2", help="Segmind protocol").tag(config=True)
    budget_usd = Float(
        None, allow_none=True, help="refuse a submission whose estimate would pass this (USD)"
    ).tag(config=True)
    embed = Union(
        [Enum(["auto"]), Bool()],
        default_value="auto",
        help="inline videos in the notebook (as --embed): True, False, or 'auto' (inline"
        " where the front end cannot serve files beside the notebook: VS Code, Colab)",
    ).tag(config=True)
    frontend = Enum(
        list(FRONTENDS),
        "auto",
        help="the front end drawing the outputs: auto (detected), jupyterlab, notebook,"
        " vscode, colab, terminal or static; decides embed='auto' and wait='auto'",
    ).tag(config=True)
    wait = Union(
        [Enum(["auto"]), Bool()],
        default_value="auto",
        help="cells wait for their video in the foreground (as --wait): True, False, or"
        " 'auto' (on Colab, which repaints an output only while its cell runs)",
    ).tag(config=True)
    preview_height = Int(
        DEFAULT_HEIGHT, help="an embedded video is a copy at most this many pixels high"
    ).tag(config=True)
    preview_max_bytes = Int(
        DEFAULT_CAP_BYTES,
        help="largest embedded video (bytes); bigger ones are linked, with their first frame",
    ).tag(config=True)
    progress = Enum(
        ["auto", "widget", "text", "print"], "auto", help="how running jobs are shown"
    ).tag(config=True)
    emulator = Dict(
        help="EmulatorConfig fields for the in-process emulator, e.g. {'time_scale': 200}"
    ).tag(config=True)
    reuse = Enum(
        ["always", "never", "ask"],
        help="a request identical to a job that completed (video on disk) or is running: "
        "show that job again (always), pay for a new one (never), or ask each cell (ask); "
        "default $HAILUO_REUSE, else always. %%hailuo --new always pays for a fresh sample",
    ).tag(config=True)

    @default("reuse")
    def _reuse_from_env(self) -> str:
        # Notebooks reuse by default ("Run All" must not pay twice); HAILUO_REUSE can say
        # otherwise. Read when the settings object is made, never at import.
        raw = environment().get("HAILUO_REUSE", "").strip().lower()
        return raw if raw in ("always", "never", "ask") else "always"

    @default("emulator")
    def _emulator_from_env(self) -> dict[str, Any]:
        # Read when the settings object is made (never at import): lets a test or the
        # quickstart script speed up the in-process emulator of a kernel it starts.
        raw = environment().get("HAILUO_EMULATOR", "")
        try:
            value = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def notebook_settings(self) -> dict[str, Any]:
        """The settings that are set (not ``None``), for display and for the client.

        Example:
            >>> Hailuo(model="hailuo-2.3").notebook_settings()["model"]
            'hailuo-2.3'
        """
        names = (
            *CLIENT_SETTINGS,
            *POLLING_SETTINGS,
            "budget_usd",
            "embed",
            "frontend",
            "wait",
            "progress",
            "reuse",
        )
        out = {n: getattr(self, n) for n in names if getattr(self, n) is not None}
        if self.emulator:
            out["emulator"] = dict(self.emulator)
        return out

    def client_settings(self) -> dict[str, Any]:
        """The settings that are set, as the client's notebook layer (``resolve``'s order).

        ``reuse="ask"`` reaches the client as ``"always"``: the magic asks before it
        submits, and only a ``new`` submission goes past the ledger.

        Example:
            >>> Hailuo(reuse="always", provider="emulator").client_settings()
            {'provider': 'emulator', 'segmind_api': 'v2', 'reuse': 'always'}
            >>> Hailuo(reuse="ask").client_settings()["reuse"]
            'always'
        """
        names = (*CLIENT_SETTINGS, *POLLING_SETTINGS)
        out = {n: getattr(self, n) for n in names if getattr(self, n) is not None}
        out["reuse"] = "never" if self.reuse == "never" else "always"
        return out

    def key(self, provider: str | None = None) -> tuple[Any, ...]:
        """A hashable identity of the client these settings make (one shared client each).

        Example:
            >>> Hailuo().key("emulator") == Hailuo().key("emulator")
            True
        """
        # The provider a cell names and the one the settings choose make the same client.
        settings = sorted((k, _freeze(v)) for k, v in self.client_settings().items())
        return (provider or self.provider, *settings, _freeze(self.emulator))


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value
