"""``serve_in_thread``: a real uvicorn server on 127.0.0.1 in a daemon thread.

Example:
    >>> import httpx
    >>> from hailuo_nb.emulator import create_app
    >>> with serve_in_thread(create_app()) as base:
    ...     httpx.get(f"{base}/__emulator__/stats").status_code
    200
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from .web import QuietDrops


def quiet_drops() -> None:
    """Keep uvicorn from logging a traceback for each connection we drop on purpose."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, QuietDrops) for f in logger.filters):
        logger.addFilter(QuietDrops())


@contextmanager
def serve_in_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    *,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> Iterator[str]:
    """Serve ``app`` until the block ends; yield its base URL ``http://HOST:PORT``.

    ``port=0`` picks a free port. The socket is bound here, before the thread starts, so
    the URL is right and usable as soon as it is yielded. With ``ssl_certfile`` and
    ``ssl_keyfile`` (PEM) it speaks TLS and yields ``https://HOST:PORT``: fal-client only
    builds https URLs.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level=log_level,
        timeout_graceful_shutdown=2,
        access_log=False,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    server = uvicorn.Server(config)
    quiet_drops()
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"hailuo-emulator-{bound_port}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + 10.0
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the emulator server did not start")
        time.sleep(0.01)
    try:
        scheme = "https" if ssl_certfile else "http"
        yield f"{scheme}://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10.0)
        sock.close()
