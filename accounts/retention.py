"""Retention of personal information: past its period, precise whereabouts are erased or coarsened.

Photo EXIF positions and times (evidence for a check-in's verdict) are erased after
RETENTION_PHOTO_EXIF_DAYS; check-in positions are rounded to 0.01° (about 1 km: the village, not the
field) after RETENTION_CHECKIN_TRACK_DAYS. What the bureau's figures rely on stays: the village, the
time, `verified`, the flags and the distance measured when it was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from commissioners.models import Checkin
from media.models import Photo

# 0.01° of latitude ≈ 1.1 km.
COARSE_DECIMALS = 2


@dataclass(frozen=True)
class Retained:
    photos_erased: int
    checkins_coarsened: int


@transaction.atomic
def personal_data_retention_apply(now: datetime | None = None) -> Retained:
    now = now or timezone.now()
    exif_cutoff = now - timedelta(days=settings.RETENTION_PHOTO_EXIF_DAYS)
    photos = Photo.objects.filter(created_at__lt=exif_cutoff).filter(
        Q(exif_lat__isnull=False) | Q(exif_taken_at__isnull=False)
    ).update(exif_lat=None, exif_lng=None, exif_taken_at=None)
    track_cutoff = now - timedelta(days=settings.RETENTION_CHECKIN_TRACK_DAYS)
    coarsened = 0
    old = Checkin.objects.filter(occurred_at__lt=track_cutoff, position_coarsened=False)
    # Rounded in Python, in batches: portable across databases and bounded in memory.
    while True:
        batch = list(old.only("id", "lat", "lng")[:2000])
        if not batch:
            break
        for row in batch:
            row.lat, row.lng = round(row.lat, COARSE_DECIMALS), round(row.lng, COARSE_DECIMALS)
            row.accuracy_m = None
            row.position_coarsened = True
        Checkin.objects.bulk_update(batch, ["lat", "lng", "accuracy_m", "position_coarsened"])
        coarsened += len(batch)
    return Retained(photos, coarsened)
