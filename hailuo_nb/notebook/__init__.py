"""The notebook layer: settings (``Hailuo``), session state, the registry, media helpers.

It sits on top of the client and reaches it only through :mod:`hailuo_nb.runner`. Every
front end above it (the magics in :mod:`hailuo_nb.magics`, the panel, the comparison)
takes the shell's session from :mod:`hailuo_nb.notebook.registry`.

Example:
    >>> from hailuo_nb.notebook.config import Hailuo
    >>> Hailuo().progress
    'auto'
"""
