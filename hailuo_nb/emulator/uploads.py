"""MiniMax input files: ``POST /minimax/v1/files/upload`` and what ``mm_file://`` names.

Quirks kept (protocols-more.md §1.7): multipart ``purpose=video_generation_input`` +
``file``; the reply is in the V1 envelope (``base_resp``), so auth and rate-limit errors
come inside HTTP 200 as on every V1 path, while a file that breaks the media rules is an
HTTP **400** (with ``base_resp`` 2013) and is not kept; files are valid 7 days. The
resolvers here also see the emulator's own ``/files/...`` URLs, so an earlier output or
asset can be given as a reference the way a client would give any public URL.

Example:
    >>> kind_of("clip.MOV", "application/octet-stream"), kind_of("x.bin", "audio/wav")
    ('video', 'audio')
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .files import sign
from .h3content import LIMIT_BYTES, Invalid, Kind, Media, Resolved, Resolver, a_or_an, check_bytes
from .minimax import MinimaxDialect, base_resp
from .render import ASSET_PREFIX
from .state import State
from .web import Call, guarded, json_response

PURPOSE = "video_generation_input"
#: How long an uploaded file can be referenced.
FILE_TTL_S = 7 * 86400.0
_EXTENSIONS: dict[str, Kind] = {
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"), "image"),
    **dict.fromkeys((".mp4", ".mov"), "video"),
    **dict.fromkeys((".wav", ".mp3"), "audio"),
}

_MAJOR: dict[str, Kind] = {"image": "image", "video": "video", "audio": "audio"}


@dataclass
class Upload:
    """One uploaded input file, owned by the key that uploaded it."""

    file_id: str
    key: str
    kind: Kind
    data: bytes
    filename: str
    purpose: str
    created: float


def kind_of(filename: str, content_type: str) -> Kind | None:
    """Image, video or audio, from the file name's extension or else its content type."""
    found = _EXTENSIONS.get(PurePosixPath(filename).suffix.lower())
    if found is not None:
        return found
    return _MAJOR.get(content_type.split("/", 1)[0].lower())


def own_file(state: State, url: str) -> Resolved:
    """What one of our own ``/files/...`` URLs serves: an asset's bytes or an output job.

    A signed URL that has expired (or was tampered with) cannot be downloaded, so the
    request that names it is refused, as the real service would fail to fetch it.
    """
    parts = urlsplit(url)
    if parts.path.startswith(ASSET_PREFIX):
        found = state.assets.get(parts.path[len(ASSET_PREFIX) :])
        return found[0] if found else None
    for provider in ("minimax", "aimlapi"):
        prefix = f"/files/{provider}/"
        if parts.path.startswith(prefix):
            job = state.files.get(parts.path[len(prefix) :].removesuffix(".mp4"))
            if job is None or job.path is None or not _signed(state, parts.path, parts.query):
                raise Invalid(f"{url} cannot be downloaded")
            return job
    return None


def _signed(state: State, path: str, query: str) -> bool:
    fields = dict(p.partition("=")[::2] for p in query.split("&"))
    expires = fields.get("Expires", "")
    if not expires.isdigit() or state.now() > int(expires):
        return False
    wanted = sign(state.secret, path, int(expires)).rsplit("Signature=", 1)[1]
    return hmac.compare_digest(fields.get("Signature", ""), wanted)


def minimax_resolver(state: State, key: str) -> Resolver:
    """Resolve URLs the way MiniMax V2 does for ``key``: ``mm_file://`` ids name this key's
    uploads (for 7 days) or its earlier outputs; our own URLs are looked up."""

    def resolve(url: str, kind: Kind) -> Resolved:
        if not url.startswith("mm_file://"):
            return own_file(state, url)
        fid = url[len("mm_file://") :]
        upload = state.uploads.get(fid)
        if upload is not None and upload.key == key:
            if state.now() > upload.created + FILE_TTL_S:
                raise Invalid(f"file {fid} has expired (uploaded files are kept 7 days)")
            if upload.kind != kind:
                raise Invalid(f"{url} is {a_or_an(upload.kind)}, not {a_or_an(kind)}")
            return upload.data
        job = state.files.get(fid)
        if job is not None and job.key == key and job.provider == "minimax" and job.path:
            return job
        raise Invalid(f"file {fid} not found")

    return resolve


async def _read_form(form: FormData) -> tuple[Kind, str, bytes] | str:
    """(kind, file name, bytes) of an upload form, or why it is refused."""
    purpose, file = form.get("purpose"), form.get("file")
    if not isinstance(file, UploadFile):
        return "file is required"
    if purpose != PURPOSE:
        return f"purpose must be {PURPOSE}"
    filename = file.filename or "upload"
    kind = kind_of(filename, file.content_type or "")
    if kind is None:
        return (
            f"{filename}: not an image (JPG, PNG, WEBP, HEIC, HEIF), "
            "video (MP4, MOV) or audio (WAV, MP3) file"
        )
    # The size is known before reading: a 50 MB video is refused unread.
    if file.size is not None and file.size > LIMIT_BYTES[kind]:
        return f"{filename}: {kind} files must be at most {LIMIT_BYTES[kind] >> 20} MB"
    return kind, filename, await file.read()


def routes(state: State) -> list[Route]:
    """The upload route of one app."""
    dialect = MinimaxDialect()

    def refuse(message: str) -> Response:
        return json_response(
            {"file": None, "base_resp": base_resp(2013, f"invalid params, {message}")}, 400
        )

    async def upload(request: Request, call: Call) -> Response:
        try:
            form = await request.form(max_files=1, max_fields=8)
        except (HTTPException, MultiPartException) as exc:
            detail = getattr(exc, "detail", None) or getattr(exc, "message", "")
            return refuse(f"the body must be multipart/form-data ({detail})")
        try:
            found = await _read_form(form)
        finally:
            await form.close()
        if isinstance(found, str):
            return refuse(found)
        kind, filename, data = found
        try:
            check_bytes(Media(kind=kind, role=f"reference_{kind}", url=filename), data, filename)
        except Invalid as exc:
            return refuse(str(exc))
        fid = state.new_digit_id()
        created = state.now()
        state.uploads[fid] = Upload(fid, call.key, kind, data, filename, PURPOSE, created)
        return json_response(
            {
                "file": {
                    "file_id": int(fid),
                    "bytes": len(data),
                    "created_at": int(created),
                    "filename": filename,
                    "purpose": PURPOSE,
                },
                "base_resp": base_resp(),
            }
        )

    return [guarded(state, dialect, "POST", "/minimax/v1/files/upload", "minimax.upload", upload)]
