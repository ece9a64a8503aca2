"""A storyboard's lasting output: the film, one card per shot, a poster strip, a text twin.

I/O beside the pure :mod:`.render`: the shots' thumbnails and the film's poster are
decoded here (off the event loop: callers use a thread).

Example (in a notebook)::

    bundle = final_bundle(story)      # what replaces the live cards when the film is made
    sorted(bundle)                    # ['image/jpeg', 'text/html', 'text/plain']
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..notebook import media as nb_media
from . import media, render

if TYPE_CHECKING:
    from .flow import Storyboard

__all__ = ["cards", "final_bundle", "page_html"]


def cards(story: Storyboard) -> list[render.Card]:
    """One card per shot (its picked variant): frames, prompt, status, time, cost.

    Example: see the module.
    """
    made = []
    for n, job in enumerate(story.shots, 1):
        first, last = media.shot_thumbnails(job)
        elapsed = job.elapsed() if job.submitted_at is not None else None
        cost = None
        if job.cost is not None:
            again = story._tracked[n - 1] is not None and job.reused
            cost = "$0 (shown again)" if again else (
                f"${job.cost.usd:.2f}" if not job.cost.estimated else f"~${job.cost.usd:.2f}"
            )  # fmt: skip
        status = job.status + (f": {job.error}" if job.error else "")
        made.append(
            render.Card(
                n,
                job.prompt,
                status,
                elapsed,
                cost,
                media.data_url(first) if first else None,
                media.data_url(last) if last else None,
            )
        )
    return made


def page_html(
    story: Storyboard, src: Callable[[str], str], shown: list[render.Card] | None = None
) -> str:
    """The film and the cards as HTML; ``src`` turns a video path into its URL.

    Example: see the module.
    """
    film_src = poster_src = None
    if story.film is not None and story.film.exists():
        film_src = src(str(story.film))
        poster, mime = nb_media.poster_for(story.film)
        poster_src = media.data_url(poster, mime)
    note = f"manifest: {os.path.basename(story.manifest_path)}" if story.manifest_path else ""
    return render.story_html(
        story.heading(), film_src, poster_src, shown or cards(story), note=note
    )


def final_bundle(story: Storyboard) -> dict[str, Any]:
    """The lasting MIME bundle: film player and shot cards (HTML), a poster strip
    (JPEG), and a ``text/plain`` twin with the manifest's lines.

    Example: see the class.
    """
    shown = cards(story)

    def src(path: str) -> str:
        return nb_media.data_url(path) if story.embed else nb_media.relative_src(path)

    text = [story.heading(), *render.cards_text(shown)]
    if story.manifest_path is not None:
        text.append(f"manifest: {story.manifest_path}")
    bundle: dict[str, Any] = {
        "text/plain": "\n".join(text),
        "text/html": page_html(story, src, shown),
    }
    pictures = [t for j in story.shots for t in [media.shot_thumbnails(j)[1]] if t is not None]
    if pictures:
        bundle["image/jpeg"] = media.data_url(media.strip(pictures)).split(",", 1)[1]
    return bundle
