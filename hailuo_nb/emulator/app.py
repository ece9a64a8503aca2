"""``create_app``: one Starlette app serving every provider, files and admin.

Example:
    >>> app = create_app(EmulatorConfig(time_scale=400, preview=True))
    >>> app.state.emulator.config.time_scale
    400
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from . import admin, aimlapi, fal, files, minimax, minimax_v2, replicate, segmind, uploads
from .config import EmulatorConfig
from .render import Renderer
from .state import State


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """Build the emulator as an ASGI app (no lifespan needed: state is derived on demand).

    ``app.state.emulator`` is the ``State`` (jobs, stats); ``app.state.renderer`` renders.

    Example:
        >>> import httpx
        >>> transport = httpx.ASGITransport(app=create_app())
    """
    config = config or EmulatorConfig()
    state = State(config)
    if config.files_dir is None:
        # Removed when the app is garbage-collected or the process exits.
        tmp = tempfile.TemporaryDirectory(prefix="hailuo-emulator-", ignore_cleanup_errors=True)
        directory = Path(tmp.name)
    else:
        tmp = None
        directory = Path(config.files_dir)
    renderer = Renderer(directory)
    routes: list[BaseRoute] = [
        *segmind.routes(state, renderer),
        *files.routes(state),
        *aimlapi.routes(state, renderer),
        *minimax.routes(state, renderer),
        *minimax_v2.routes(state, renderer),
        *uploads.routes(state),
        *fal.routes(state, renderer),
        *replicate.routes(state, renderer),
        *admin.routes(state),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = state
    app.state.renderer = renderer
    app.state.tmpdir = tmp
    return app
