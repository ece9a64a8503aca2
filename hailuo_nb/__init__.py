"""hailuo-nb: generate and compare MiniMax Hailuo videos from Jupyter notebooks.

Example:
    >>> import hailuo_nb
    >>> sorted(hailuo_nb.__all__)[:3]
    ['Client', 'Cost', 'HailuoError']

In a notebook::

    %load_ext hailuo_nb
    %%hailuo -m hailuo-2.3 --duration 6
    a red fox running through snow
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import HailuoError, SubmitUncertain
from .models import Cost, Job

if TYPE_CHECKING:
    from .client import Client
    from .comparison import compare
    from .story import storyboard
    from .widgets.panel import Panel

__all__ = [
    "Client",
    "Cost",
    "HailuoError",
    "Job",
    "Panel",
    "SubmitUncertain",
    "compare",
    "load_ipython_extension",
    "storyboard",
    "unload_ipython_extension",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy, so that `import hailuo_nb` and `%load_ext hailuo_nb` stay cheap.
    if name == "Client":
        from .client import Client

        return Client
    if name == "Panel":
        from .widgets.panel import Panel

        return Panel
    if name == "compare":
        from .comparison import compare

        return compare
    if name == "storyboard":
        from .story import storyboard

        return storyboard
    raise AttributeError(f"module 'hailuo_nb' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%%hailuo`` and ``%hailuo`` (called by ``%load_ext hailuo_nb``).

    Example:
        >>> callable(load_ipython_extension)
        True
    """
    from .magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop background work when the extension is unloaded.

    Example:
        >>> callable(unload_ipython_extension)
        True
    """
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)
