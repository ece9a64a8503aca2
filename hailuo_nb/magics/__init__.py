"""The IPython front end: ``%%hailuo`` and ``%hailuo``, on top of every other layer.

``%load_ext hailuo_nb`` lands here. The magics (:mod:`.magics`), the ``--compare`` cell
(:mod:`.compare_cell`), the option parsing (:mod:`.parsing`) and the text/HTML reports
(:mod:`.reports`) live in this package; the session they drive belongs to the shell
(:func:`hailuo_nb.notebook.registry.session_for`), shared with ``Panel()`` and
``compare()``. Loading registers the magics only: it stays cheap.

Example::

    %load_ext hailuo_nb
    %%hailuo --wait
    a red fox running through snow
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension"]

_LOADED = "_hailuo_magics_loaded"


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics on ``ipython`` (a second load is a no-op).

    Example::

        from IPython.testing.globalipapp import get_ipython
        load_ipython_extension(get_ipython())
    """
    if getattr(ipython, _LOADED, False):
        return
    from .magics import HailuoMagics

    magics = HailuoMagics(ipython)
    ipython.register_magics(magics)
    # Notes which page (front-end session) showed each job: after a reload, the next
    # %hailuo says once which jobs lost their live view (notebook/pages.py).
    ipython.events.register("post_run_cell", magics.after_cell)
    setattr(ipython, _LOADED, magics)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop following jobs (they stay in the job store), close the clients, drop the magics.

    Example::

        unload_ipython_extension(get_ipython())
    """
    if not getattr(ipython, _LOADED, False):
        return
    from ..notebook.registry import forget

    magics = getattr(ipython, _LOADED)
    if hasattr(magics, "after_cell"):
        ipython.events.unregister("post_run_cell", magics.after_cell)
    forget(ipython)
    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("hailuo", None)
    setattr(ipython, _LOADED, False)
