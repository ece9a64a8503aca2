"""The panel's inputs: prompt, provider, model and the model's own options, and their check.

The form knows nothing about sending. :meth:`PanelForm.check` says whether the input
could be sent now and, if not, the one line why: the same ``ValidationError`` the client
raises (from :func:`hailuo_nb.params.build_request`, no I/O), a missing API key, or the
session's budget. Values the chosen model forbids in combination with the others
(1080p at 10 s, 512p without a first frame) are disabled with their reason shown.

Example:
    >>> from hailuo_nb.notebook.config import Hailuo
    >>> from hailuo_nb.notebook.session import Session
    >>> form = PanelForm(Session(Hailuo(provider="minimax")), environ={})
    >>> form.check().reason
    'prompt: is empty; describe the video to generate'
    >>> form.fill(prompt="a red fox", duration=10)
    >>> form.resolution.button("1080p").disabled, form.resolution.button("1080p").tooltip
    (True, '1080p allows only 6 s on hailuo-2.3 (minimax); choose 768p for 10 s')
    >>> form.check().reason
    'no API key for minimax: set $MINIMAX_API_KEY, or enter it once in a %%hailuo cell'

A bracket close to a camera command is said under the prompt (and sent as written); the
camera menu adds a move to the prompt:

    >>> form.fill(prompt="a red fox [Pan lft]")
    >>> "did you mean [Pan left]?" in form.camera_note.value
    True
    >>> form.insert_camera("Zoom in")
    >>> form.prompt.value
    'a red fox [Pan lft] [Zoom in]'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..camera import COMMANDS, camera_warnings, with_command
from ..catalog import PROVIDERS, ModelSpec, default_model, estimate_cost, get_model, models
from ..errors import BudgetExceeded, ValidationError
from ..hosts import KEY_ENV
from ..models import Cost
from ..params import build_request
from .choice import Choice
from .frames import FramePicker
from .references import ReferencePicker
from .rules import default_provider, fitting_resolution, forbidden, model_note
from .style import html_line

if TYPE_CHECKING:
    from ..notebook.session import Session

__all__ = ["FormCheck", "PanelForm"]

_SWITCHES = {
    "go_fast": "go fast (quicker, lower quality)",
    "fast_pretreatment": "fast pretreatment (quicker prompt optimizer)",
}


@dataclass(frozen=True)
class FormCheck:
    """Whether the form can be sent: ``reason`` is None when it can; the estimate either way.

    Example:
        >>> FormCheck(None, Cost(0.35)).ok
        True
    """

    reason: str | None
    estimate: Cost

    @property
    def ok(self) -> bool:
        """True when nothing stands in the way of sending.

        Example:
            >>> FormCheck("prompt: is empty", Cost(0.35)).ok
            False
        """
        return self.reason is None


class PanelForm:
    """Every input of the panel; ``widget`` is the box to place, ``params()`` the request.

    Example: see the module.
    """

    def __init__(self, session: Session, *, environ: Mapping[str, str] | None = None) -> None:
        import ipywidgets as w

        self.session = session
        self._environ = environ
        self._callbacks: list[Callable[[], None]] = []
        self._quiet = False
        provider = default_provider(session.config, environ)
        self.prompt = w.Textarea(placeholder="Describe the video: a red fox running through snow")
        self.prompt.layout.width = "98%"
        self.prompt.layout.height = "70px"
        # Camera moves (Hailuo 02 / 2.3): pick one, add it to the prompt as [Pan left].
        self.camera = w.Dropdown(
            options=[("camera move…", ""), *((f"[{c}]", c) for c in COMMANDS)],
            value="",
            description="Camera",
        )
        self.add_camera = w.Button(
            description="Add to prompt",
            tooltip="append the chosen camera move to the prompt; moves act in order",
        )
        self.add_camera.on_click(lambda _: self.insert_camera())
        self.camera_note = w.HTML("")
        self.provider = w.Dropdown(options=list(PROVIDERS), value=provider, description="Provider")
        self.model = w.Dropdown(description="Model")
        self.model.add_class("hailuo-model")  # a stable handle for browser tests
        self.model_note = w.HTML("")
        self.duration = Choice("Duration", [])
        self.resolution = Choice("Resolution", [])
        self.mode = Choice("Mode", [])
        # H3 only: the shape (text or references; frames set it) and H3-Max's expansion.
        self.ratio = Choice("Ratio", [])
        self.expansion = Choice("Expansion", [])
        self.prompt_optimizer = w.Checkbox(value=True, description="prompt optimizer", indent=False)
        self.switches = {
            name: w.Checkbox(value=False, description=text, indent=False)
            for name, text in _SWITCHES.items()
        }
        self.references = {
            field: ReferencePicker(field, kind)
            for field, kind in (
                ("reference_images", "image"),
                ("reference_videos", "video"),
                ("reference_audio", "audio"),
            )
        }
        self.first_frame = FramePicker("first_frame", "First frame")
        self.last_frame = FramePicker("last_frame", "Last frame")
        self.cost = w.HTML("")
        options = w.HBox([self.prompt_optimizer, *self.switches.values()])
        frames = w.HBox([self.first_frame.widget, self.last_frame.widget])
        self.widget = w.VBox(
            [
                self.prompt,
                w.HBox([self.camera, self.add_camera]),
                self.camera_note,
                w.HBox([self.provider, self.model]),
                self.model_note,
                self.duration.widget,
                self.resolution.widget,
                self.mode.widget,
                self.ratio.widget,
                self.expansion.widget,
                options,
                frames,
                w.HBox([r.widget for r in self.references.values()]),
                self.cost,
            ]
        )
        self._set_models(session.config.model)
        self.provider.observe(lambda _: self._on_provider(), names="value")
        self.model.observe(lambda _: self._on_model(), names="value")
        for widget in (self.prompt, self.prompt_optimizer, *self.switches.values()):
            widget.observe(lambda _: self._changed(), names="value")
        for choice in (self.duration, self.resolution, self.mode, self.ratio, self.expansion):
            choice.observe(lambda _: self._changed())
        watched: list[Any] = [self.first_frame, self.last_frame, *self.references.values()]
        for picker in watched:
            picker.observe(self._changed)
        self._changed()

    # -- what the form holds -----------------------------------------------------------
    @property
    def spec(self) -> ModelSpec:
        """The chosen model as the catalog describes it.

        Example: ``form.spec.durations`` → ``(6, 10)``.
        """
        return get_model(self.provider.value, self.model.value)

    def params(self) -> dict[str, Any]:
        """The request in the kit's vocabulary: only what the chosen model takes.

        Example (a fresh form on the emulator)::

            {'model': 'hailuo-2.3', 'duration': 6, 'resolution': '768p',
             'prompt_optimizer': True}
        """
        spec = self.spec
        out: dict[str, Any] = {"model": spec.name}
        if spec.durations:
            out["duration"] = self.duration.value
        if spec.resolutions:
            out["resolution"] = self.resolution.value
        if "prompt_optimizer" in spec.options:  # H3 has none
            out["prompt_optimizer"] = bool(self.prompt_optimizer.value)
        for name, box in self.switches.items():
            if name in spec.options:
                out[name] = bool(box.value)
        if spec.modes:
            out["mode"] = self.mode.value
        has_frames = self.first_frame.value is not None or (
            spec.last_frame and self.last_frame.value is not None
        )
        if spec.ratios and not has_frames:  # a frame decides the shape
            out["ratio"] = self.ratio.value
        if spec.expansion_modes:
            out["prompt_expansion_mode"] = self.expansion.value
        refs = {f: list(p.values) for f, p in self.references.items() if p.values}
        if spec.family == "h3" and refs:
            out.update(refs)
        if self.first_frame.value is not None:
            out["first_frame"] = self.first_frame.value
        if spec.last_frame and self.last_frame.value is not None:
            out["last_frame"] = self.last_frame.value
        return out

    def check(self) -> FormCheck:
        """Can the form be sent? The first reason it cannot (one line), and the estimate.

        Example: see the module.
        """
        spec = self.spec
        estimate = estimate_cost(spec, self.duration.value, self.resolution.value)
        pickers: list[Any] = [self.first_frame] + ([self.last_frame] if spec.last_frame else [])
        if spec.family == "h3":
            pickers += list(self.references.values())
        for picker in pickers:
            if picker.problem:
                return FormCheck(picker.problem, estimate)
        try:
            request = build_request(self.provider.value, self.prompt.value, **self.params())
        except ValidationError as exc:
            return FormCheck(str(exc), estimate)
        estimate = request.estimate()
        provider = self.provider.value
        if self.session.has_key(provider) == "missing":
            reason = (
                f"no API key for {provider}: set ${KEY_ENV[provider]},"
                " or enter it once in a %%hailuo cell"
            )
            return FormCheck(reason, estimate)
        try:
            self.session.check_budget(estimate.usd)
        except BudgetExceeded as exc:
            return FormCheck(str(exc), estimate)
        return FormCheck(None, estimate)

    def fill(self, **values: Any) -> None:
        """Set inputs from code (what a user would click), e.g. in a notebook or a test.

        Keys: ``prompt``, ``provider``, ``model``, ``duration``, ``resolution``, ``mode``,
        ``prompt_optimizer``, ``go_fast``, ``fast_pretreatment``, ``first_frame``,
        ``last_frame`` (an image: bytes, path, URL, data URL or PIL image; None clears).

        Example: see the module.
        """
        unknown = set(values) - {
            "prompt", "provider", "model", "duration", "resolution", "mode",
            "prompt_optimizer", "go_fast", "fast_pretreatment", "first_frame", "last_frame",
            "ratio", "prompt_expansion_mode",
        }  # fmt: skip
        if unknown:
            raise TypeError(f"fill() got unknown inputs: {', '.join(sorted(unknown))}")
        for name in ("provider", "model", "prompt", "prompt_optimizer"):
            if name in values:
                getattr(self, name).value = values[name]
        for name in ("duration", "resolution", "mode", "ratio"):
            if name in values:
                getattr(self, name).value = values[name]
        if "prompt_expansion_mode" in values:
            self.expansion.value = values["prompt_expansion_mode"]
        for name in ("go_fast", "fast_pretreatment"):
            if name in values:
                self.switches[name].value = bool(values[name])
        for name in ("first_frame", "last_frame"):
            if name in values:
                picker: FramePicker = getattr(self, name)
                if values[name] is None:
                    picker.reset()
                else:
                    picker.set_image(values[name])

    def insert_camera(self, command: str | None = None) -> None:
        """Append a camera move (``command``, else the one chosen) to the prompt.

        Example: ``form.insert_camera("Pan left")`` turns ``a fox`` into
        ``a fox [Pan left]``.
        """
        command = command or self.camera.value
        if not command:
            return
        self.prompt.value = with_command(self.prompt.value, command)
        self.camera.value = ""

    def observe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after any input changed (and the form has been updated).

        Example: ``form.observe(lambda: print(form.check().reason))``
        """
        self._callbacks.append(callback)

    # -- keeping the inputs consistent -------------------------------------------------
    def _set_models(self, wanted: str | None) -> None:
        names = [m.name for m in models(self.provider.value)]
        current = wanted if wanted in names else default_model(self.provider.value)
        self._quiet = True
        try:
            self.model.options = names
            self.model.value = current
        finally:
            self._quiet = False
        self._set_model_inputs()

    def _on_provider(self) -> None:
        self._set_models(self.model.value)
        self._changed()

    def _on_model(self) -> None:
        if self._quiet:
            return
        self._set_model_inputs()
        self._changed()

    def _set_model_inputs(self) -> None:
        spec = self.spec
        duration = self.duration.value if self.duration.value in spec.durations else None
        self.duration.set_options(
            spec.durations,
            value=duration or spec.default_duration,
            labels={d: f"{d} s" for d in spec.durations},
        )
        wanted = self.resolution.value
        if wanted not in spec.resolutions:
            has_first = self.first_frame.image is not None
            wanted = fitting_resolution(spec, self.duration.value, has_first)
        self.resolution.set_options(spec.resolutions, value=wanted)
        self.mode.set_options(spec.modes, value=spec.modes[0] if spec.modes else None)
        shapes = tuple(r for r in spec.ratios if r != "adaptive")  # text: a shape is needed
        ratio = self.ratio.value if self.ratio.value in shapes else "16:9"
        self.ratio.set_options(shapes, value=ratio if shapes else None)
        modes = spec.expansion_modes
        self.expansion.set_options(modes, value="balanced" if modes else None)
        self.ratio.widget.layout.display = "" if shapes else "none"
        self.expansion.widget.layout.display = "" if modes else "none"
        self.prompt_optimizer.layout.display = "" if "prompt_optimizer" in spec.options else "none"
        for picker in self.references.values():
            picker.widget.layout.display = "" if spec.family == "h3" else "none"
        self.duration.widget.layout.display = "" if spec.durations else "none"
        self.resolution.widget.layout.display = "" if spec.resolutions else "none"
        self.mode.widget.layout.display = "" if spec.modes else "none"
        for name, box in self.switches.items():
            box.layout.display = "" if name in spec.options else "none"
        self.last_frame.widget.layout.display = "" if spec.last_frame else "none"
        self.first_frame.widget.layout.display = "none" if spec.first_frame == "none" else ""
        needs = {"required": " (required: image-to-video only)", "optional": " (optional)"}
        self.first_frame.title.value = html_line(
            "First frame" + needs.get(spec.first_frame, ""), "hailuo-frame-title"
        )
        note = model_note(spec)
        self.model_note.value = (
            html_line(note, "hailuo-model-note", color="#6b7280") if note else ""
        )

    def _changed(self) -> None:
        # A probable camera-command typo is said, not refused: the prompt goes as written.
        warnings = camera_warnings(self.prompt.value)
        self.camera_note.value = (
            html_line("; ".join(warnings), "hailuo-camera-note", color="#b45309")
            if warnings
            else ""
        )
        spec = self.spec
        has_first = self.first_frame.image is not None
        duration, resolution = self.duration.value, self.resolution.value
        self.duration.set_disabled(
            forbidden(
                spec, spec.durations, duration=None, resolution=resolution, has_first=has_first
            )
        )
        self.resolution.set_disabled(
            forbidden(
                spec, spec.resolutions, duration=duration, resolution=None, has_first=has_first
            )
        )
        for callback in self._callbacks:
            callback()
