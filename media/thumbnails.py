"""Thumbnails: made once per photo, by the Celery task after an upload or by the first client that asks."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from .decoding import decode_slot
from .images import thumbnail_of
from .models import Photo


def photo_thumbnail_make(*, photo: Photo) -> Photo:
    """Make the photo's thumbnail once, whoever asks first (the Celery task after upload, or a client
    asking for it before the task ran). Decoding takes one of the process's decode slots.

    Once: a per-photo lock in this process, then the row re-read under a row lock (other processes),
    so two requests for the same missing thumbnail make one file, and the second serves it.
    """
    if photo.thumbnail:
        return photo
    with _photo_lock(photo.pk), transaction.atomic():
        locked = Photo.objects.select_for_update().get(pk=photo.pk)
        if not locked.thumbnail:
            with decode_slot(), locked.file.open("rb") as fh:
                data, _size = thumbnail_of(fh.read(), max_side=settings.PHOTO_THUMBNAIL_PX)
            locked.thumbnail.save(f"{uuid.uuid4().hex}.jpg", ContentFile(data), save=False)
            locked.save(update_fields=["thumbnail"])
    photo.thumbnail = locked.thumbnail
    return photo


_photo_locks: dict[int, threading.Lock] = {}
_photo_locks_guard = threading.Lock()


@contextmanager
def _photo_lock(photo_id: int) -> Iterator[None]:
    with _photo_locks_guard:
        lock = _photo_locks.setdefault(photo_id, threading.Lock())
    with lock:
        yield
    with _photo_locks_guard:
        if not lock.locked():
            _photo_locks.pop(photo_id, None)
