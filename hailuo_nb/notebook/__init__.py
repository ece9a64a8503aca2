"""The notebook layer: settings (``Hailuo``), session state, the magics, media helpers.

It sits on top of the client and reaches it only through :mod:`hailuo_nb.runner`.
``hailuo_nb.magic`` is the entry point that ``%load_ext hailuo_nb`` uses.

Example:
    >>> from hailuo_nb.notebook.config import Hailuo
    >>> Hailuo().progress
    'auto'
"""
