"""Pure HTML and text of a storyboard: the film, a strip of shot cards, the manifest table.

No I/O: callers pass the film's source, its poster and each shot's thumbnails (data
URLs). Every value is escaped (a prompt ``<script>`` shows as text). The film's poster
and the strip are plain ``<img>`` outside ``<video>``, so a renderer that removes videos
(GitHub) still shows the shots.

Example:
    >>> cards = [Card(1, "a <b>fox</b>", "completed", 1.5, "$0.35", None, None)]
    >>> page = story_html("1 shot", "film.mp4", None, cards)
    >>> '<video' in page, "a &lt;b&gt;fox" in page
    (True, True)
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from ..display import NO_MATH

__all__ = ["Card", "card_html", "cards_text", "document", "story_html", "thumb"]


@dataclass(frozen=True)
class Card:
    """What a shot card shows: number, prompt, status (with error), time, cost, and the
    first and last frame thumbnails (``data:`` URLs, or None).

    Example:
        >>> Card(2, "it runs", "failed: blocked", None, None, None, None).shot
        2
    """

    shot: int
    prompt: str
    status: str
    seconds: float | None
    cost: str | None
    first_src: str | None
    last_src: str | None

    def time_text(self) -> str:
        """``12.5 s``, ``80 s`` or empty.

        Example:
            >>> Card(1, "x", "queued", 80.4, None, None, None).time_text()
            '80 s'
        """
        if self.seconds is None:
            return ""
        return f"{self.seconds:.1f} s" if self.seconds < 10 else f"{self.seconds:.0f} s"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def thumb(src: str | None, alt: str, width: int | str = 120) -> str:
    """A thumbnail ``<img>`` (``width`` in px, or a CSS length such as ``"48%"``), or a
    grey 16:9 box of that width while there is no picture.

    Example:
        >>> thumb(None, "last frame", 96).startswith('<div style="width:96px')
        True
    """
    css = f"{width}px" if isinstance(width, int) else str(width)
    if not src:
        return (
            f'<div style="width:{_e(css)};aspect-ratio:16/9;background:#e5e7eb;'
            f'display:inline-block" title="{_e(alt)}"></div>'
        )
    return f'<img src="{_e(src)}" alt="{_e(alt)}" style="width:{_e(css)};height:auto">'


def card_html(card: Card) -> str:
    """One shot card: first and last frame, then number, prompt, status, time, cost.

    Example:
        >>> "shot 3" in card_html(Card(3, "x", "completed", 2.0, "$0.35", None, None))
        True
    """
    facts = " · ".join(x for x in (card.status, card.time_text(), card.cost or "") if x)
    return (
        '<figure class="hailuo-shot" style="margin:0;flex:0 0 auto;width:244px">'
        f"<div>{thumb(card.first_src, 'first frame')}{thumb(card.last_src, 'last frame')}"
        "</div>"
        f'<figcaption style="font-size:smaller"><b>shot {card.shot}</b> {_e(card.prompt)}'
        f'<br><span style="color:#6b7280">{_e(facts)}</span></figcaption></figure>'
    )


def story_html(
    heading: str,
    film_src: str | None,
    poster_src: str | None,
    cards: Sequence[Card],
    *,
    note: str = "",
) -> str:
    """The storyboard's lasting HTML: heading, the film player, the row of shot cards.

    Example: see the module.
    """
    film = ""
    if film_src:
        poster = f' poster="{_e(poster_src)}"' if poster_src else ""
        film = (
            f'<video class="hailuo-film" src="{_e(film_src)}"{poster} controls'
            ' preload="metadata" style="max-width:100%;display:block"></video>'
        )
    strip = "".join(card_html(c) for c in cards)
    extra = f'<div style="color:#6b7280;font-size:smaller">{_e(note)}</div>' if note else ""
    return (
        f'<div class="hailuo-story {NO_MATH}">'
        f'<div class="hailuo-story-heading" style="font-weight:600">{_e(heading)}</div>'
        f"{film}{extra}"
        '<div class="hailuo-story-shots" style="display:flex;gap:8px;overflow-x:auto;'
        f'margin-top:8px">{strip}</div></div>'
    )


def cards_text(cards: Sequence[Card], width: int = 50) -> list[str]:
    """One plain-text line per shot (the ``text/plain`` twin).

    Example:
        >>> cards_text([Card(1, "a fox", "completed", 2.0, "$0.35", None, None)])
        ['shot 1  a fox  completed · 2.0 s · $0.35']
    """
    lines = []
    for c in cards:
        prompt = c.prompt if len(c.prompt) <= width else c.prompt[: width - 1] + "…"
        facts = " · ".join(x for x in (c.status, c.time_text(), c.cost or "") if x)
        lines.append(f"shot {c.shot}  {prompt}  {facts}")
    return lines


def document(title: str, body: str) -> str:
    """A complete HTML page around ``body`` (the exported storyboard).

    Example:
        >>> document("a <b>", "<p>x</p>").count("&lt;b&gt;")
        2
    """
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>body{{font-family:system-ui,sans-serif;"
        f'margin:16px}}</style></head><body><h1 style="font-size:1.2em">{_e(title)}</h1>'
        f"{body}</body></html>\n"
    )
