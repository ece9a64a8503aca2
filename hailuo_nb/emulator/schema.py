"""Input schemas of hosted models (fal, Replicate): fields, and what is wrong with a body.

Both hosts check a model's input against a schema and name the field and the rule broken;
only the wording differs. ``validate`` therefore returns neutral ``Issue``s and each
protocol words them: fal.py as pydantic's ``detail`` list, replicate.py as JSON-schema
``invalid_fields``. Unknown fields are ignored (both hosts do), a ``null`` is "not given".

Example:
    >>> fields = (Field("prompt", "str", required=True), Field("duration", "int", default=5,
    ...           minimum=5, maximum=15))
    >>> validate(fields, {"prompt": "fox", "duration": "6"}, lax=True)[0]["duration"]
    6
    >>> validate(fields, {"duration": 4}, lax=False)[1]
    [Issue(field='prompt', rule='missing', value=None, limit=None), Issue(field='duration', \
rule='minimum', value=4, limit=5)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["str", "uri", "int", "bool", "uris"]
Rule = Literal["missing", "type", "choice", "minimum", "maximum", "too_long", "uri", "custom"]

_URL_PREFIXES = ("http://", "https://", "data:")


@dataclass(frozen=True)
class Field:
    """One input field. ``max_length`` counts characters of a string or items of a list.

    Example:
        >>> Field("duration", "str", default="6", choices=("6", "10")).choices
        ('6', '10')
    """

    name: str
    kind: Kind
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Issue:
    """One broken rule: the choices, bound or length for ``limit``; the expected kind for
    ``type``; the message itself for ``custom`` (a rule across fields).

    Example:
        >>> Issue("duration", "choice", 7, ("6", "10")).rule
        'choice'
    """

    field: str
    rule: Rule
    value: Any
    limit: Any = None


def validate(
    fields: tuple[Field, ...], body: dict[str, Any], *, lax: bool
) -> tuple[dict[str, Any], list[Issue]]:
    """The input with defaults filled in, and every issue found (empty when valid).

    ``lax`` is pydantic's lax mode (fal): ``"6"`` passes for an integer and ``"true"`` for a
    boolean. Without it (Replicate's JSON schema) types must match exactly.

    Example:
        >>> validate((Field("go_fast", "bool", default=False),), {}, lax=False)
        ({'go_fast': False}, [])
    """
    out: dict[str, Any] = {}
    issues: list[Issue] = []
    for f in fields:
        value = body.get(f.name)
        if value is None:
            if f.required:
                issues.append(Issue(f.name, "missing", None))
            out[f.name] = list(f.default) if isinstance(f.default, tuple) else f.default
            continue
        checked = _check(f, value, lax)
        if isinstance(checked, Issue):
            issues.append(checked)
        else:
            out[f.name] = checked
    return out, issues


def _check(f: Field, value: Any, lax: bool) -> Any:
    if lax and f.choices is not None and value not in f.choices:
        # pydantic checks a Literal by value: 6 for Literal["6", "10"] is a literal_error.
        return Issue(f.name, "choice", value, f.choices)
    if f.kind == "bool":
        if lax and isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            return Issue(f.name, "type", value, "boolean")
    elif f.kind == "int":
        if lax and isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            return Issue(f.name, "type", value, "integer")
    elif f.kind == "uris":
        if not isinstance(value, list):
            return Issue(f.name, "type", value, "array")
        bad = next((v for v in value if not _is_url(v)), None)
        if bad is not None:
            return Issue(f.name, "uri", bad)
    elif not isinstance(value, str):
        return Issue(f.name, "type", value, "string")
    elif f.kind == "uri" and not _is_url(value):
        return Issue(f.name, "uri", value)
    if f.choices is not None and value not in f.choices:
        return Issue(f.name, "choice", value, f.choices)
    if f.minimum is not None and value < f.minimum:
        return Issue(f.name, "minimum", value, f.minimum)
    if f.maximum is not None and value > f.maximum:
        return Issue(f.name, "maximum", value, f.maximum)
    if f.max_length is not None and len(value) > f.max_length:
        return Issue(f.name, "too_long", value, f.max_length)
    return value


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_URL_PREFIXES)
