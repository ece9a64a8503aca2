"""Which front end draws this kernel's outputs, and whether it can reach files beside them.

A ``<video src="hailuo_outputs/x.mp4">`` plays only where relative URLs in outputs are
served from the notebook's folder: JupyterLab and Notebook 7 do (``/files/...``), and so
does an nbconvert HTML written next to the outputs. VS Code's notebook webview does not
resolve them (microsoft/vscode-jupyter issues 1752 and 7422), and Colab draws each output
in a sandboxed frame on another origin that cannot reach the VM's files
(googlecolab/colabtools issues 6 and 3373). There the video must travel inside the
output (``embed``).

How each is recognised (``Hailuo.frontend = "auto"``):

- **Colab**: ``google.colab`` is imported (Colab's kernel imports it at start-up).
- **VS Code**: the Jupyter extension puts ``__vsc_ipynb_file__`` (the notebook's path)
  in the kernel's namespace (added for microsoft/vscode-jupyter issue 8475; used by e.g.
  laminlabs/nbproject), and kernels it starts inherit ``VSCODE_PID`` from VS Code's
  extension host. Either is enough: taking JupyterLab for VS Code only costs a heavier
  notebook, the reverse costs the video.
- **terminal**: a terminal IPython shell (no HTML is drawn; the file path is what counts).
- **jupyterlab**: any other kernel (JupyterLab, Notebook 7, nbclient/nbconvert).

Example:
    >>> detect(user_ns={"__vsc_ipynb_file__": "/w/a.ipynb"}, environ={}, modules={})
    'vscode'
    >>> serves_files("vscode"), serves_files("jupyterlab")
    (False, True)
"""

from __future__ import annotations

import sys
from collections.abc import Container, Mapping
from typing import Any

from ..settings import environment

__all__ = ["FRONTENDS", "detect", "embeds", "resolve", "serves_files", "waits_in_foreground"]

FRONTENDS = ("auto", "jupyterlab", "notebook", "vscode", "colab", "terminal", "static")
# Front ends that serve files next to the notebook at the relative URLs our outputs use.
_SERVING = frozenset({"jupyterlab", "notebook", "terminal"})


def detect(
    user_ns: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    modules: Container[str] | None = None,
    shell: Any = None,
) -> str:
    """The front end this kernel most likely serves (never ``"auto"``).

    Example:
        >>> detect(user_ns={}, environ={}, modules={"google.colab"})
        'colab'
        >>> detect(user_ns={}, environ={"VSCODE_PID": "4242"}, modules={})
        'vscode'
        >>> detect(user_ns={}, environ={}, modules={})
        'jupyterlab'
    """
    env = environment() if environ is None else environ
    mods = sys.modules if modules is None else modules
    ns = user_ns or {}
    if "google.colab" in mods:
        return "colab"
    if "__vsc_ipynb_file__" in ns or env.get("VSCODE_PID"):
        return "vscode"
    if shell is not None and type(shell).__name__ == "TerminalInteractiveShell":
        return "terminal"
    return "jupyterlab"


def resolve(setting: str, **signals: Any) -> str:
    """``setting`` unless it is ``"auto"``, then :func:`detect`.

    Example:
        >>> resolve("colab"), resolve("auto", user_ns={}, environ={}, modules={})
        ('colab', 'jupyterlab')
    """
    return detect(**signals) if setting == "auto" else setting


def serves_files(frontend: str) -> bool:
    """Whether a relative ``src`` in an output reaches the file beside the notebook.

    Example:
        >>> [serves_files(f) for f in ("jupyterlab", "colab", "static")]
        [True, False, False]
    """
    return frontend in _SERVING


def embeds(embed: object, frontend: str) -> bool:
    """Whether videos go inside the outputs: ``embed`` is ``True``, ``False`` or ``"auto"``.

    ``"auto"`` embeds where the front end cannot serve the files (VS Code, Colab).

    Example:
        >>> embeds("auto", "vscode"), embeds("auto", "jupyterlab"), embeds(True, "jupyterlab")
        (True, False, True)
    """
    if embed == "auto":
        return not serves_files(frontend)
    return bool(embed)


def waits_in_foreground(wait: object, frontend: str) -> bool:
    """Whether a cell waits for its video: ``wait`` is ``True``, ``False`` or ``"auto"``.

    ``"auto"`` waits on Colab, which repaints an output only while its cell runs.

    Example:
        >>> waits_in_foreground("auto", "colab"), waits_in_foreground("auto", "jupyterlab")
        (True, False)
    """
    if wait == "auto":
        return frontend == "colab"
    return bool(wait)
