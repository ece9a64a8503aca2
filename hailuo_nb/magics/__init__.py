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

    ipython.register_magics(HailuoMagics(ipython))
    setattr(ipython, _LOADED, True)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop following jobs (they stay in the job store), close the clients, drop the magics.

    Example::

        unload_ipython_extension(get_ipython())
    """
    if not getattr(ipython, _LOADED, False):
        return
    from ..notebook.registry import forget

    forget(ipython)
    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("hailuo", None)
    setattr(ipython, _LOADED, False)
