"""Retention of personal information: past its period, precise whereabouts are erased or coarsened.

Photo EXIF positions and times (evidence for a check-in's verdict) are erased after
RETENTION_PHOTO_EXIF_DAYS; check-in positions are rounded to 0.01° (about 1 km: the village, not the
field) after RETENTION_CHECKIN_TRACK_DAYS. What the bureau's figures rely on stays: the village, the
time, `verified`, the flags and the distance measured when it was recorded.

The rule is held here; the sweeps are the apps' that keep the rows (media: `photos_erased`,
commissioners: `checkins_coarsened`), registered as `accounts.hooks.register_retention`.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from . import hooks


@transaction.atomic
def personal_data_retention_apply(now: datetime | None = None) -> dict[str, int]:
    """Run every retention sweep at ``now``: how many rows each erased or coarsened, by its name."""
    return hooks.retention_sweep(now or timezone.now())
