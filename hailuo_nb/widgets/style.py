"""Small helpers for the text the panel puts into ``HTML`` widgets: always escaped, one line.

Everything shown comes from the user or a server (prompts, file names, error messages),
so it is escaped here, in one place. The spans carry the classes that keep JupyterLab's
MathJax away from prices such as ``$0.35``.

Example:
    >>> html_line("<b>1080p</b> needs $1", "hailuo-reason").split(">", 1)[1]
    '&lt;b&gt;1080p&lt;/b&gt; needs $1</span>'
    >>> one_line("a\\nTraceback ...")
    'a'
"""

from __future__ import annotations

import html

from ..display import NO_MATH

__all__ = ["html_line", "one_line"]


def one_line(text: object, limit: int = 300) -> str:
    """The first line of ``text``, shortened to ``limit`` characters.

    Example:
        >>> one_line("x" * 5, limit=3)
        'xx…'
    """
    lines = str(text).strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def html_line(text: object, css_class: str, *, color: str | None = None) -> str:
    """``text`` escaped, on one line, in a span of class ``css_class``.

    Example:
        >>> html_line("ok", "hailuo-status", color="#16a34a")
        '<span class="hailuo-status tex2jax_ignore mathjax_ignore" style="color:#16a34a">ok</span>'
    """
    style = f' style="color:{html.escape(color, quote=True)}"' if color else ""
    body = html.escape(one_line(text), quote=False)
    return f'<span class="{css_class} {NO_MATH}"{style}>{body}</span>'
