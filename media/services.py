"""Writes for photos: recognise a repeat, validate, clean, store, then thumbnail on commit (media/thumbnails.py,
also on demand)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.queueing import enqueue_on_commit
from core.ratelimits import rate_limit_hit

from .decoding import decode_slot
from .errors import PhotoRejected, PhotoTooLarge
from .images import ImageRejected, clean_image, upload_digest
from .models import Photo
from .tasks import photo_thumbnail_task


def _photo_limit() -> str:
    return _("Photos may be at most %(mb)s MB.") % {"mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)}


def photo_attach(*, owner_kind: str, owner_id: int, uploaded_by: User, upload: UploadedFile) -> tuple[Photo, bool]:
    """Attach an uploaded photo to a record. Returns (photo, created).

    A phone that retries an upload sends the same bytes again: the same file for the same record
    returns the photo already stored instead of a second copy.
    """
    rate_limit_hit("upload_user", uploaded_by.pk)
    if upload.size is not None and upload.size > settings.PHOTO_MAX_BYTES:
        raise PhotoTooLarge(_photo_limit())
    raw = upload.read(settings.PHOTO_MAX_BYTES + 1)
    if len(raw) > settings.PHOTO_MAX_BYTES:
        raise PhotoTooLarge(_photo_limit())
    # The same bytes again (a phone retrying) are recognised from the raw bytes, before any decoding:
    # a retry costs a hash and a query, not another decode.
    digest = upload_digest(raw)
    existing = _same_upload(owner_kind, owner_id, digest)
    if existing:
        return existing, False
    try:
        with decode_slot(uploaded_by.pk):
            clean = clean_image(raw, max_pixels=settings.PHOTO_MAX_PIXELS, default_tz=ZoneInfo(settings.TIME_ZONE),
                                sha256=digest)
    except ImageRejected as exc:
        raise PhotoRejected(str(exc), code=exc.code, status=exc.status) from exc
    del raw

    with transaction.atomic():
        # Again inside the transaction: the same upload may have been stored while this one decoded.
        existing = _same_upload(owner_kind, owner_id, digest)
        if existing:
            return existing, False
        photo = Photo(
            owner_kind=owner_kind, owner_id=owner_id, uploaded_by=uploaded_by, content_type=clean.content_type,
            width=clean.width, height=clean.height, bytes=clean.received_bytes, sha256=clean.sha256,
            exif_lat=clean.exif_lat, exif_lng=clean.exif_lng, exif_taken_at=clean.exif_taken_at,
        )
        photo.file.save(f"{uuid.uuid4().hex}.{clean.extension}", ContentFile(clean.data), save=False)
        photo.save()
        enqueue_on_commit(photo_thumbnail_task, photo.pk)
    return photo, True


def _same_upload(owner_kind: str, owner_id: int, digest: str) -> Photo | None:
    return Photo.objects.filter(owner_kind=owner_kind, owner_id=owner_id, sha256=digest).order_by("id").first()


def photos_exif_erase(now: datetime) -> int:
    """Retention (accounts/retention.py): the EXIF position and time of photos older than
    RETENTION_PHOTO_EXIF_DAYS are erased. Returns how many photos lost theirs."""
    cutoff = now - timedelta(days=settings.RETENTION_PHOTO_EXIF_DAYS)
    return Photo.objects.filter(created_at__lt=cutoff).filter(
        Q(exif_lat__isnull=False) | Q(exif_taken_at__isnull=False)
    ).update(exif_lat=None, exif_lng=None, exif_taken_at=None)
