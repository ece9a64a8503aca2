"""Widgets built from stock ipywidgets: job tiles, the control panel, the comparison grid.

They sit on the notebook layer (:mod:`hailuo_nb.notebook.session`) and never talk to the
client except through it, so the magic, the panel and ``compare()`` share one client, one
request budget and one list of this session's jobs.

Example:
    >>> from hailuo_nb.widgets.tile import JobTile
    >>> JobTile.__name__
    'JobTile'
"""
