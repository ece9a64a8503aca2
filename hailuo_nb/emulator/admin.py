"""``/__emulator__/...``: statistics, faults, clock and reset (no auth: a test tool).

Example:
    >>> from hailuo_nb.emulator.config import EmulatorConfig
    >>> [r.path for r in routes(State(EmulatorConfig()))][:2]
    ['/__emulator__/stats', '/__emulator__/faults']
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .config import Fault
from .state import State
from .web import json_response


async def _json(request: Request) -> dict[str, Any]:
    body = json.loads(await request.body() or b"{}")
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def routes(state: State) -> list[Route]:
    """The admin routes of one app."""

    async def stats(request: Request) -> Response:
        return json_response(state.stats())

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await _json(request)
                state.faults = [Fault.from_dict(f) for f in body.get("faults", [])]
            except (ValueError, KeyError, TypeError) as exc:
                return json_response({"error": f"bad faults: {exc}"}, 400)
        elif request.method == "DELETE":
            state.faults = []
        return json_response({"faults": [f.to_dict() for f in state.faults]})

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                advance = float((await _json(request)).get("advance", 0))
            except (ValueError, TypeError) as exc:
                return json_response({"error": f"bad clock request: {exc}"}, 400)
            if advance < 0:
                # Going back would un-finish jobs and un-expire URLs: not a state we model.
                return json_response({"error": "the clock only moves forward"}, 400)
            state.offset += advance
        return json_response({"now": state.now(), "offset": state.offset})

    async def reset(request: Request) -> Response:
        state.reset()
        return json_response({"ok": True})

    return [
        Route("/__emulator__/stats", stats, methods=["GET"]),
        Route("/__emulator__/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/__emulator__/clock", clock, methods=["GET", "POST"]),
        Route("/__emulator__/reset", reset, methods=["POST"]),
    ]
