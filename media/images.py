"""Decoding and cleaning uploaded images with Pillow. No Django models here: bytes in, bytes out.

What a phone sends is untrusted: the format is sniffed from the content (a PNG named .jpg is a
PNG), the pixel count is checked from the header before decoding (decompression bombs), the whole
image is decoded (truncated files fail here, not later), EXIF orientation is applied, and the copy
we keep is re-encoded without any metadata, once, without costly optimisation passes. The caller
hashes the raw bytes first (``upload_digest``): a duplicate is never decoded at all.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC from iPhones, when the decoder is installed (pillow-heif ships libheif in its wheel).
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - the lock installs it
    HEIF_SUPPORTED = False

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
# What we store each format as: HEIC is re-encoded to JPEG, which every client can show.
STORED_AS = {"JPEG": ("JPEG", "image/jpeg", "jpg"), "PNG": ("PNG", "image/png", "png"),
             "WEBP": ("WEBP", "image/webp", "webp"), "HEIF": ("JPEG", "image/jpeg", "jpg")}

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881
_DATETIME = 306


class ImageRejected(ValueError):
    """The upload is not an image we accept; ``code`` is the API's machine code."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        self.code, self.status = code, status
        super().__init__(message)


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int
    received_bytes: int
    sha256: str
    exif_lat: float | None
    exif_lng: float | None
    exif_taken_at: datetime | None


def _rational(value) -> float:
    if isinstance(value, tuple):  # old-style (num, den)
        return value[0] / value[1] if value[1] else 0.0
    return float(value)


def _gps(exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(_GPS_IFD)
        if not gps or 2 not in gps or 4 not in gps:
            return None, None
        lat = sum(_rational(v) / 60**i for i, v in enumerate(gps[2]))
        lng = sum(_rational(v) / 60**i for i, v in enumerate(gps[4]))
        if str(gps.get(1, "N")).upper().startswith("S"):
            lat = -lat
        if str(gps.get(3, "E")).upper().startswith("W"):
            lng = -lng
    except (ValueError, TypeError, ZeroDivisionError, KeyError, AttributeError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None, None
    return round(lat, 7), round(lng, 7)


def _taken_at(exif, default_tz: timezone) -> datetime | None:
    try:
        sub = exif.get_ifd(_EXIF_IFD)
        raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
        if not raw:
            return None
        taken = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        offset = sub.get(_OFFSET_TIME_ORIGINAL)
        if offset:
            sign = -1 if str(offset).startswith("-") else 1
            hours, minutes = str(offset).lstrip("+-").split(":")
            tz = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
        else:
            tz = default_tz  # EXIF without an offset is the camera's local time: Asia/Shanghai here
        return taken.replace(tzinfo=tz)
    except (ValueError, TypeError, AttributeError):
        return None


def upload_digest(raw: bytes) -> str:
    """What identifies an upload: the SHA-256 of the bytes as received (before any decoding)."""
    return hashlib.sha256(raw).hexdigest()


def clean_image(raw: bytes, *, max_pixels: int, default_tz: timezone, sha256: str | None = None) -> CleanImage:
    """Validate and clean one upload; raises ImageRejected with a machine code."""
    digest = sha256 or upload_digest(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(raw))
            fmt = img.format
            if fmt not in ACCEPTED_FORMATS:
                message = _("%(format)s images are not accepted; send JPEG, PNG or WebP.") % {"format": fmt}
                raise ImageRejected("unsupported_image", message, 415)
            if img.width * img.height > max_pixels:
                raise ImageRejected(
                    "image_too_large", _("%(width)s×%(height)s is over %(max)s pixels.") % {
                        "width": img.width, "height": img.height, "max": f"{max_pixels:,}"}, 413
                )
            img.load()
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("image_too_large", _("The image has too many pixels."), 413) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected("not_an_image", _("The upload is not an image."), 422) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            message = _("The image cannot be decoded (%(error)s).") % {"error": exc}
            raise ImageRejected("corrupt_image", message, 422) from exc

    exif = img.getexif()
    lat, lng = _gps(exif)
    taken_at = _taken_at(exif, default_tz)
    # In place: exif_transpose otherwise returns a full copy even when there is nothing to turn,
    # doubling the peak memory of every upload (a 48 MP RGBA image is 190 MB decoded).
    ImageOps.exif_transpose(img, in_place=True)
    upright = img
    save_format, content_type, extension = STORED_AS[fmt]
    if save_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
        img.close()  # the decoded original is no longer needed: free it before encoding
    out = io.BytesIO()
    # No exif=, no icc_profile beyond colour, no text chunks: the copy carries no metadata.
    # No optimize=: for PNG it tries every filter at zlib's highest level (seconds on a large image,
    # for a few per cent), for JPEG a second pass over the coefficients; neither is worth its CPU here.
    options = {"quality": 88} if save_format in ("JPEG", "WEBP") else {"compress_level": 6}
    upright.save(out, format=save_format, **options)
    width, height = upright.size
    upright.close()
    return CleanImage(
        data=out.getvalue(), extension=extension, content_type=content_type,
        width=width, height=height, received_bytes=len(raw), sha256=digest,
        exif_lat=lat, exif_lng=lng, exif_taken_at=taken_at,
    )


def thumbnail_of(data: bytes, *, max_side: int) -> tuple[bytes, str]:
    """A JPEG thumbnail whose longest side is at most ``max_side`` pixels.

    ``thumbnail`` asks a JPEG decoder for a reduced scale first (``draft``: 1/2 to 1/8 of the pixels
    are decoded) and reduces other formats by whole factors before resampling, so a thumbnail of a
    large stored copy costs a fraction of decoding it whole.
    """
    img = Image.open(io.BytesIO(data))
    img.thumbnail((max_side, max_side), reducing_gap=2.0)
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue(), "image/jpeg"
