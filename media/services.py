"""Writes for photos: validate, clean, store, then thumbnail on commit."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.queueing import enqueue_on_commit
from core.ratelimits import rate_limit_hit

from .errors import PhotoRejected, PhotoTooLarge
from .images import ImageRejected, clean_image, thumbnail_of
from .models import Photo


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
    try:
        clean = clean_image(raw, max_pixels=settings.PHOTO_MAX_PIXELS, default_tz=ZoneInfo(settings.TIME_ZONE))
    except ImageRejected as exc:
        raise PhotoRejected(str(exc), code=exc.code, status=exc.status) from exc

    with transaction.atomic():
        existing = Photo.objects.filter(owner_kind=owner_kind, owner_id=owner_id, sha256=clean.sha256).first()
        if existing:
            return existing, False
        photo = Photo(
            owner_kind=owner_kind, owner_id=owner_id, uploaded_by=uploaded_by, content_type=clean.content_type,
            width=clean.width, height=clean.height, bytes=clean.received_bytes, sha256=clean.sha256,
            exif_lat=clean.exif_lat, exif_lng=clean.exif_lng, exif_taken_at=clean.exif_taken_at,
        )
        photo.file.save(f"{uuid.uuid4().hex}.{clean.extension}", ContentFile(clean.data), save=False)
        photo.save()
        from .tasks import photo_thumbnail_task

        enqueue_on_commit(photo_thumbnail_task, photo.pk)
    return photo, True


def photo_thumbnail_make(*, photo: Photo) -> Photo:
    if photo.thumbnail:
        return photo
    with photo.file.open("rb") as fh:
        data, _size = thumbnail_of(fh.read(), max_side=settings.PHOTO_THUMBNAIL_PX)
    photo.thumbnail.save(f"{uuid.uuid4().hex}.jpg", ContentFile(data), save=False)
    photo.save(update_fields=["thumbnail"])
    return photo
