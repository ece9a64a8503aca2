"""Entry point of ``%load_ext hailuo_nb``: registers ``%%hailuo`` and ``%hailuo``.

The magics live in :mod:`hailuo_nb.notebook.magics`; this module only (un)registers them,
so that loading the extension stays cheap and unloading stops the background work.

Example::

    %load_ext hailuo_nb
    %%hailuo --wait
    a red fox running through snow
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension"]

_ATTR = "_hailuo_magics"


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics on ``ipython`` (a second load is a no-op).

    Example::

        from IPython.testing.globalipapp import get_ipython
        load_ipython_extension(get_ipython())
    """
    if getattr(ipython, _ATTR, None) is not None:
        return
    from .notebook.magics import HailuoMagics

    magics = HailuoMagics(ipython)
    ipython.register_magics(magics)
    setattr(ipython, _ATTR, magics)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop following jobs (they stay in the job store) and close the clients.

    Example::

        unload_ipython_extension(get_ipython())
    """
    magics = getattr(ipython, _ATTR, None)
    if magics is None:
        return
    magics.session.close()
    if magics.config_obj in ipython.configurables:
        ipython.configurables.remove(magics.config_obj)
    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("hailuo", None)
    setattr(ipython, _ATTR, None)
