"""A local emulator of the Hailuo provider APIs (Segmind, AI/ML API, MiniMax).

It imports nothing from the rest of ``hailuo_nb``: it is the independent oracle the
client is tested against. See "The emulator" in README.md.

Example:
    >>> from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread
    >>> app = create_app(EmulatorConfig(time_scale=400, preview=True))
    >>> with serve_in_thread(app) as base:
    ...     base.startswith("http://127.0.0.1:")
    True
"""

from __future__ import annotations

from .app import create_app
from .config import EmulatorConfig, Fault
from .server import serve_in_thread

__all__ = ["EmulatorConfig", "Fault", "create_app", "serve_in_thread"]
