"""How Replicate words its errors: RFC 7807 problems, schema errors, auth, the 429.

Titles and wordings not captured from the real API are guesses (see
docs/emulator-fal-replicate.md); schema errors follow the JSON-schema validator's words.

Example:
    >>> problem(404, "The requested resource could not be found.").media_type
    'application/problem+json'
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .schema import Issue
from .state import State

_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    402: "Insufficient credit",
    404: "Not found",
    422: "Input validation failed",
    429: "Request was throttled",
    500: "Internal server error",
}


def problem(status: int, detail: str, **extra: Any) -> Response:
    """An RFC 7807 answer, as Replicate words its errors."""
    body = {"title": _TITLES.get(status, "Error"), "detail": detail, "status": status, **extra}
    return Response(json.dumps(body), status, media_type="application/problem+json")


def invalid(issues: list[Issue]) -> Response:
    """422 for schema errors, worded as Replicate's JSON-schema validator words them.

    Example:
        >>> json.loads(invalid([Issue("duration", "type", "6", "integer")]).body)["detail"]
        '- input.duration: Invalid type. Expected: integer, given: string\\n'
    """
    fields = []
    for issue in issues:
        if issue.rule == "missing":
            fields.append(("required", "input", f"{issue.field} is required"))
        else:
            fields.append((_RULE_TYPES[issue.rule], f"input.{issue.field}", _describe(issue)))
    detail = "".join(f"- {name}: {text}\n" for _, name, text in fields)
    listed = [{"type": t, "field": name, "description": text} for t, name, text in fields]
    return problem(422, detail, invalid_fields=listed)


_RULE_TYPES = {
    "type": "invalid_type",
    "choice": "enum",
    "minimum": "number_gte",
    "maximum": "number_lte",
    "too_long": "array_max_items",
    "uri": "format",
    "custom": "invalid",
}


def _describe(issue: Issue) -> str:
    limit = issue.limit
    if issue.rule == "type":
        given = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
        return f"Invalid type. Expected: {limit}, given: {given.get(type(issue.value), 'object')}"
    if issue.rule == "choice":
        shown = ", ".join(json.dumps(c) for c in limit)
        return f"{issue.field} must be one of the following: {shown}"
    if issue.rule == "minimum":
        return f"Must be greater than or equal to {limit}"
    if issue.rule == "maximum":
        return f"Must be less than or equal to {limit}"
    if issue.rule == "too_long" and isinstance(issue.value, str):
        return f"String length must be less than or equal to {limit}"
    if issue.rule == "too_long":
        return f"Array must have at most {limit} items"
    if issue.rule == "uri":
        return "Does not match format 'uri'"
    return str(limit)


class ReplicateDialect:
    """Replicate's auth (``Bearer``, older ``Token``) and problem-details errors."""

    name = "replicate"

    def __init__(self, state: State) -> None:
        self.state = state

    def key_of(self, request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return token.strip() or None if scheme.lower() in ("bearer", "token") else None

    def error(self, request: Request, status: int, message: str) -> Response:
        return problem(status, message)

    def unauthorized(self, request: Request) -> Response:
        return problem(401, "You did not pass a valid authentication token")

    def rate_limited(self, request: Request, reset_at: float) -> Response:
        seconds = max(1, math.ceil(reset_at - self.state.now()))
        return problem(429, f"Request was throttled. Your rate limit resets in ~{seconds}s.")
