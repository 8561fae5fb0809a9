"""Real image files made on the fly: every test gets the exact bytes it needs."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def jpeg_bytes(size=(800, 600), *, gps=None, orientation=None, taken="2025:03:01 10:20:30") -> bytes:
    img = Image.new("RGB", size, (30, 140, 60))
    exif = Image.Exif()
    if gps:
        lat, lng = gps
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[3] = "N", "E"
        ifd[2] = (float(int(lat)), float(int(lat * 60 % 60)), round(lat * 3600 % 60, 4))
        ifd[4] = (float(int(lng)), float(int(lng * 60 % 60)), round(lng * 3600 % 60, 4))
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


def png_bytes(size=(300, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, (200, 10, 10, 128)).save(buf, "PNG")
    return buf.getvalue()


def gif_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (10, 10)).save(buf, "GIF")
    return buf.getvalue()


def heic_bytes() -> bytes:
    import pillow_heif  # noqa: F401  (registers the HEIF encoder)

    buf = io.BytesIO()
    Image.new("RGB", (400, 300), "blue").save(buf, format="HEIF")
    return buf.getvalue()


def bomb_png_bytes(side=20_000) -> bytes:
    """400 megapixels of one colour: a few hundred KB on the wire, gigabytes decoded."""
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
