"""Request fingerprints: two requests that would make the same video have the same one.

A fingerprint is the SHA-256 of a canonical JSON of everything that decides the video and
where it is made:

- the provider and the **server's identity** (scheme, host, port and path of the base URL):
  a job on the emulator is not a job on Segmind, and one server's ids mean nothing to
  another;
- the model and every parameter **after normalisation and defaults** (``"6"`` and ``6``,
  ``"768P"`` and ``"768p"``, an omitted duration and the default one are the same
  request): exactly the public parameters the request would send;
- images by the SHA-256 of their **content**, not their path: the same picture under
  another name is the same request, and an edited file is a new one. An ``http(s)`` image
  is never fetched here (no network in this layer, and a fingerprint must not cost a
  download), so a URL image is identified by its URL string; a ``data:`` URL is decoded and
  hashed by content like a file.

The API key is never part of it (nor anything else secret): the fingerprint is stored in
the job store next to the job.

Example:
    >>> from hailuo_nb.params import build_request
    >>> a = build_request("emulator", "a red fox", duration="6", resolution="768P")
    >>> b = build_request("emulator", "a red fox")          # the same, by defaults
    >>> fingerprint(a) == fingerprint(b), len(fingerprint(a))
    (True, 64)
    >>> fingerprint(a) == fingerprint(build_request("emulator", "a red fox", duration=10))
    False
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from .hosts import host
from .images import ImageInput
from .media import MediaInput
from .params import Request

__all__ = ["VERSION", "fingerprint", "server_identity"]

VERSION = 1
"""Bumped whenever what goes into a fingerprint changes (old jobs then stop matching).

Example:
    >>> VERSION
    1
"""

_IMAGE_FIELDS = ("first_frame", "last_frame")


def server_identity(base_url: str) -> str:
    """The part of a base URL that names the server: scheme, host, port, path (lowercase host).

    Example:
        >>> server_identity("HTTPS://API.Segmind.com/")
        'https://api.segmind.com'
        >>> server_identity("http://127.0.0.1:8000/segmind")
        'http://127.0.0.1:8000/segmind'
    """
    parts = urlsplit(base_url.strip())
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}"


def _image(image: ImageInput | MediaInput) -> str:
    # ImageInput.sha256 is of the decoded bytes for files, bytes, PIL images and data URLs,
    # and of the URL string for http(s) images (never fetched: see the module docstring).
    kind = "url" if image.data is None else "content"
    return f"{kind}:sha256:{image.sha256}"


def fingerprint(request: Request, *, base_url: str | None = None) -> str:
    """The request's fingerprint (64 hex characters).

    ``base_url`` is the server the request goes to (``Client.settings.base_url``); None
    means the provider's default server.

    Example:
        >>> from hailuo_nb.params import build_request
        >>> r = build_request("segmind", "a fox")
        >>> fingerprint(r) == fingerprint(r, base_url="https://api.segmind.com")
        True
        >>> fingerprint(r) == fingerprint(r, base_url="http://127.0.0.1:8000/segmind")
        False
    """
    params: dict[str, Any] = request.public_params()
    for name in _IMAGE_FIELDS:
        image = getattr(request, name)
        if image is not None:
            params[name] = _image(image)
    # H3's references by content too: a file changed under the same name is a new request.
    for name in ("reference_images", "reference_videos", "reference_audio"):
        items = getattr(request, name)
        if items:
            params[name] = [_image(i) for i in items]
    server = base_url or host(request.provider).base_url
    canonical = {
        "v": VERSION,
        "provider": request.provider,
        "server": server_identity(server),
        "model": request.model.name,
        "params": params,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
