"""A row of toggle buttons choosing one value, where each value can be disabled with a reason.

Stock ``Dropdown`` and ``ToggleButtons`` cannot disable one option, and the panel must show
*why* a combination is forbidden (1080p at 10 s, 512p without a first frame). So each
value is its own ``ToggleButton``: a forbidden one is disabled, its tooltip and the line
below the row say why.

Example:
    >>> c = Choice("Duration", [6, 10], value=6, labels={6: "6 s", 10: "10 s"})
    >>> c.set_disabled({10: "1080p allows only 6 s"})
    >>> c.button(10).disabled, c.button(10).tooltip
    (True, '1080p allows only 6 s')
    >>> c.value = 10; c.button(6).value, c.button(10).value
    (False, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .style import html_line

__all__ = ["Choice"]


class Choice:
    """One value out of a few, as toggle buttons; ``widget`` is the row to place.

    Setting ``value`` from code is always allowed (even a disabled value), so a notebook can
    fill the panel; the panel then refuses to send, with the reason.

    Example:
        >>> c = Choice("Mode", ["standard", "pro"], value="standard")
        >>> seen = []; c.observe(seen.append)
        >>> c.button("pro").value = True    # what a click does
        >>> c.value, seen
        ('pro', ['pro'])
    """

    def __init__(
        self,
        description: str,
        values: Sequence[Any],
        *,
        value: Any = None,
        labels: Mapping[Any, str] | None = None,
    ) -> None:
        import ipywidgets as w

        self._w = w
        self.label = w.Label(description)
        self.label.layout.width = "110px"
        self.row = w.HBox([])
        self.notes = w.HTML("")
        self.widget = w.VBox([w.HBox([self.label, self.row]), self.notes])
        self.widget.add_class("hailuo-choice")
        self._buttons: dict[Any, Any] = {}
        self._value: Any = None
        self._callbacks: list[Callable[[Any], None]] = []
        self._quiet = False
        self.set_options(values, value=value, labels=labels)

    # -- options -----------------------------------------------------------------------
    def set_options(
        self, values: Sequence[Any], *, value: Any = None, labels: Mapping[Any, str] | None = None
    ) -> None:
        """Replace the values (no change event; the caller recomputes what it needs).

        Example:
            >>> c = Choice("Resolution", ["768p"]); c.set_options(["768p", "1080p"], value="1080p")
            >>> c.values, c.value
            (['768p', '1080p'], '1080p')
        """
        self._buttons = {}
        for v in values:
            button = self._w.ToggleButton(
                value=False, description=(labels or {}).get(v, str(v)), tooltip=""
            )
            button.layout.width = "auto"
            button.add_class("hailuo-choice-option")
            button.observe(self._clicked(v), names="value")
            self._buttons[v] = button
        self.row.children = tuple(self._buttons.values())
        self.notes.value = ""
        self._value = None
        self._set(value if value in self._buttons else (values[0] if values else None))

    @property
    def values(self) -> list[Any]:
        """The values offered, in order.

        Example:
            >>> Choice("D", [6, 10]).values
            [6, 10]
        """
        return list(self._buttons)

    def button(self, value: Any) -> Any:
        """The ``ToggleButton`` of ``value`` (to click it, or read ``disabled``/``tooltip``).

        Example:
            >>> Choice("D", [6, 10]).button(6).description
            '6'
        """
        return self._buttons[value]

    def set_disabled(self, reasons: Mapping[Any, str]) -> None:
        """Disable the values in ``reasons`` (value → why) and enable every other one.

        Example:
            >>> c = Choice("D", [6, 10]); c.set_disabled({10: "no"}); c.notes.value
            '<span class="hailuo-note tex2jax_ignore mathjax_ignore">10: no</span>'
        """
        for v, button in self._buttons.items():
            reason = reasons.get(v, "")
            button.disabled = bool(reason)
            button.tooltip = reason
        lines = [self._note(v, r) for v, r in reasons.items() if r]
        self.notes.value = html_line("; ".join(lines), "hailuo-note") if lines else ""

    def _note(self, value: Any, reason: str) -> str:
        label = self._buttons[value].description
        return reason if reason.startswith(label) else f"{label}: {reason}"

    # -- value -------------------------------------------------------------------------
    @property
    def value(self) -> Any:
        """The chosen value (None when there are no values).

        Example:
            >>> Choice("D", []).value is None
            True
        """
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        if value not in self._buttons:
            raise ValueError(f"{value!r} is not one of {self.values}")
        if value != self._value:
            self._set(value)
            self._notify()

    def observe(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(new_value)`` whenever the value changes (click or code).

        Example: see the class.
        """
        self._callbacks.append(callback)

    def _set(self, value: Any) -> None:
        self._value = value
        self._quiet = True
        try:
            for v, button in self._buttons.items():
                button.value = v == value
        finally:
            self._quiet = False

    def _notify(self) -> None:
        for callback in self._callbacks:
            callback(self._value)

    def _clicked(self, value: Any) -> Callable[[dict[str, Any]], None]:
        def handler(change: dict[str, Any]) -> None:
            if self._quiet:
                return
            if change["new"]:
                self.value = value
            elif value == self._value:
                self._set(value)  # a radio group: clicking the chosen one keeps it chosen

        return handler
