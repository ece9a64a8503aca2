"""Image loading: every input form, MiniMax's rules, one-line errors naming the field."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from hailuo_nb.errors import ValidationError
from hailuo_nb.images import MAX_BYTES, ImageInput, image_problem, load_image


def encode(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, "teal").save(buf, format=fmt)
    return buf.getvalue()


def refused(value: object, field: str = "first_frame") -> str:
    with pytest.raises(ValidationError) as info:
        load_image(value, field=field)
    assert info.value.field == field
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"{field}: ")
    return text


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                           ("WEBP", "image/webp")])
def test_bytes_of_each_allowed_format(fmt: str, mime: str) -> None:
    data = encode((640, 360), fmt)
    img = load_image(data, field="first_frame")
    digest = hashlib.sha256(data).hexdigest()
    assert img == ImageInput(ref=f"bytes:{digest[:12]}", url=None, data=data, mime=mime,
                             width=640, height=360, sha256=digest)
    assert img.data_url() == f"data:{mime};base64,{base64.b64encode(data).decode()}"
    assert "data=" not in repr(img)  # the bytes never end up in logs


def test_path_str_and_pathlike(tmp_path: Path) -> None:
    path = tmp_path / "frame.jpg"
    path.write_bytes(encode((800, 600), "JPEG"))
    for value in (path, str(path)):
        img = load_image(value, field="last_frame")
        assert (img.ref, img.mime, img.width, img.height) == (str(path), "image/jpeg", 800, 600)
        assert img.url is None


def test_pil_image_becomes_png() -> None:
    img = load_image(Image.new("RGB", (1024, 576)), field="first_frame")
    assert img.mime == "image/png" and (img.width, img.height) == (1024, 576)
    assert img.ref.startswith("bytes:") and img.data is not None
    # Modes PNG cannot store are converted, not refused.
    assert load_image(Image.new("CMYK", (400, 400)), field="first_frame").mime == "image/png"


def test_data_url_round_trip() -> None:
    data = encode((500, 500), "WEBP")
    url = "data:image/webp;base64," + base64.b64encode(data).decode()
    img = load_image(url, field="first_frame")
    assert img.data == data and img.data_url() == url


def test_http_urls_are_kept_not_fetched() -> None:
    for url in ("https://example.com/a.png", "http://127.0.0.1:1/never-fetched"):
        img = load_image(url, field="first_frame")
        assert (img.ref, img.url, img.data, img.mime, img.width) == (url, url, None, None, None)
        assert img.sha256 == hashlib.sha256(url.encode()).hexdigest()
        with pytest.raises(ValueError, match="URL"):
            img.data_url()


def test_errors_name_the_field_on_one_line(tmp_path: Path) -> None:
    assert "file not found" in refused(str(tmp_path / "missing.png"))
    assert "not a readable image" in refused(b"hello, not an image")
    assert "format GIF is not allowed; use JPG, PNG or WebP" in refused(encode((400, 400), "GIF"))
    assert "format BMP" in refused(encode((400, 400), "BMP"), field="last_frame")
    assert "scheme 'ftp'" in refused("ftp://host/a.png")
    assert "scheme 'file'" in refused("file:///tmp/a.png")
    assert "data URL" in refused("data:image/png,rawbytes")
    assert "base64" in refused("data:image/png;base64,@@@")
    assert "expected a file path" in refused(42)
    assert "empty image" in refused("   ")
    assert refused(encode((300, 800))) == (
        "first_frame: short side is 300 px; it must be more than 300 px")
    assert refused(encode((1001, 400))) == (
        "first_frame: aspect ratio 1001×400 is outside 2:5 .. 5:2")


def test_size_limit_from_file_and_bytes(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * MAX_BYTES)
    assert "must be under 20 MB" in refused(big)
    assert "must be under 20 MB" in refused(b"\0" * MAX_BYTES)
    assert image_problem(640, 480, MAX_BYTES - 1, "PNG") is None
    assert image_problem(640, 480, MAX_BYTES, "PNG") == "image is 20.0 MB; it must be under 20 MB"


def test_rule_boundaries() -> None:
    assert image_problem(301, 301, 1, "JPEG") is None
    assert image_problem(300, 301, 1, "JPEG") is not None
    assert image_problem(400, 1000, 1, "WEBP") is None  # exactly 2:5
    assert image_problem(1000, 400, 1, "WEBP") is None  # exactly 5:2
    assert image_problem(399, 1000, 1, "WEBP") is not None
    assert image_problem(1000, 399, 1, "WEBP") is not None
    assert image_problem(640, 480, 1, None) == "format unknown is not allowed; use JPG, PNG or WebP"
