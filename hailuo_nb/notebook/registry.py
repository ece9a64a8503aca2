"""One notebook session per IPython shell, made on first use; the magics, ``Panel()`` and
``compare()`` all take theirs from here.

The session (shared clients, this kernel's jobs, budget, live views) belongs to the
shell, not to any front end on it, so the panel and the comparison work in a kernel
where ``%load_ext hailuo_nb`` was never run, and they share one ``%config Hailuo``.

Example:
    >>> s = current_session(); s is current_session()
    True
"""

from __future__ import annotations

import weakref
from typing import Any

from . import jobview
from .config import Hailuo
from .session import Session

__all__ = ["current_session", "forget", "session_for"]

_SESSIONS: weakref.WeakKeyDictionary[Any, Session] = weakref.WeakKeyDictionary()
_fallback: Session | None = None


def session_for(shell: Any) -> Session:
    """The session of ``shell`` (made on first use, with its ``%config Hailuo`` object).

    Example (in IPython)::

        session_for(get_ipython()).tracked()
    """
    session = _SESSIONS.get(shell)
    if session is None:
        config = Hailuo(parent=shell)
        shell.configurables.append(config)
        session = Session(config, user_ns=shell.user_ns)
        _SESSIONS[shell] = session
        jobview.register(shell, session)
    return session


def forget(shell: Any) -> None:
    """Close ``shell``'s session (its jobs stay in the store) and drop its settings object.

    Example (what ``%unload_ext hailuo_nb`` runs)::

        forget(get_ipython())
    """
    session = _SESSIONS.pop(shell, None)
    if session is None:
        return
    session.close()
    if session.config in shell.configurables:
        shell.configurables.remove(session.config)


def current_session() -> Session:
    """The session of the running IPython shell, or, outside IPython (a plain script), one
    module-wide session with default settings.

    Example:
        >>> current_session().config.progress
        'auto'
    """
    global _fallback
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        shell = None
    else:
        shell = get_ipython()
    if shell is not None:
        return session_for(shell)
    if _fallback is None:
        _fallback = Session(Hailuo())
    return _fallback
