"""Fixtures for the panel tests: the notebook layer's shell, and the emulator seen through it.

The panel uses the session shared with ``%%hailuo`` (``current_session()``), so the tests
drive a real IPython shell with ``hailuo_nb`` loaded (see ``tests/notebook/conftest.py``)
and the in-process emulator behind the session's client. The emulator's statistics and
fault list are reached over HTTP through that same client's transport: the emulator the
panel talks to is the one the test inspects.
"""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from hailuo_nb.notebook.registry import current_session
from hailuo_nb.notebook.session import Session

from ..notebook.conftest import FAST, RecordingPublisher, shell

__all__ = ["FAST", "Emulator", "RecordingPublisher", "emulator", "png", "shell", "widget_text"]


class Emulator:
    """Admin calls to the in-process emulator behind the session's ``emulator`` client."""

    def __init__(self, session: Session) -> None:
        self.session = session
        client = session.client("emulator")
        # The client's own transport: the ASGI app it was built with.
        self.transport = client._httpx._transport

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        async def go() -> Any:
            async with httpx.AsyncClient(transport=self.transport, base_url="http://emulator") as c:
                r = await c.request(method, path, json=body)
                r.raise_for_status()
                return r.json()

        return self.session.runner.wait(self.session.runner.submit(go()))

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/__emulator__/stats")
        return result

    def submissions(self) -> int:
        return int(self.stats()["submissions"]["total"])

    def faults(self, *faults: dict[str, Any]) -> None:
        self._call("POST", "/__emulator__/faults", {"faults": list(faults)})


@pytest.fixture
def emulator(shell: Any) -> Emulator:
    """The emulator behind the shell's session (fast: jobs take a fraction of a second)."""
    return Emulator(current_session())


def png(width: int = 640, height: int = 360, color: str = "teal") -> bytes:
    """A PNG image of the given size."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


def widget_text(widget: Any) -> str:
    """Every string any widget under ``widget`` would send to the browser, joined."""
    import ipywidgets as w

    seen: set[int] = set()
    parts: list[str] = []

    def walk(x: Any) -> None:
        if id(x) in seen:
            return
        seen.add(id(x))
        if isinstance(x, w.Widget):
            for name in x.keys:
                walk(getattr(x, name))
        elif isinstance(x, (list, tuple)):
            for item in x:
                walk(item)
        elif isinstance(x, dict):
            for value in x.values():
                walk(value)
        elif isinstance(x, str):
            parts.append(x)

    walk(widget)
    return "\n".join(parts)
