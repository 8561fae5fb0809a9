"""Photos: evidence attached to problems, check-ins and trainings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PhotoOwner(models.TextChoices):
    PROBLEM = "problem", "问题"
    CHECKIN = "checkin", "签到"
    TRAINING = "training", "培训"


class Photo(models.Model):
    """One uploaded photo. The stored file is a re-encoded copy without EXIF (it would reveal where
    and when, beyond what the record says); the EXIF position and time are kept here as evidence.

    The owner is named by kind and id rather than a foreign key per owner table, so that one table
    and one serving endpoint serve every kind; `media.access` asks the owner's app who may see it.
    """

    owner_kind = models.CharField(max_length=10, choices=PhotoOwner.choices)
    owner_id = models.BigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="photos", on_delete=models.PROTECT)
    file = models.FileField(upload_to="photos/%Y/%m/")
    thumbnail = models.FileField(upload_to="thumbnails/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveIntegerField(help_text="Size of the upload as received.")
    sha256 = models.CharField(max_length=64, help_text="Of the upload as received: the same file sent twice.")
    exif_lat = models.FloatField(null=True, blank=True)
    exif_lng = models.FloatField(null=True, blank=True)
    exif_taken_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(owner_kind__in=PhotoOwner.values), name="media_photo_owner_kind_valid"),
            models.CheckConstraint(
                condition=(Q(exif_lat__isnull=True) & Q(exif_lng__isnull=True))
                | (Q(exif_lat__gte=-90) & Q(exif_lat__lte=90) & Q(exif_lng__gte=-180) & Q(exif_lng__lte=180)),
                name="media_photo_exif_position_valid",
            ),
        ]
        indexes = [
            # a record's photos (problem detail, check-in detail).
            models.Index(fields=["owner_kind", "owner_id"], name="media_photo_owner"),
            # "this photo was already used for another check-in".
            models.Index(fields=["sha256"], name="media_photo_sha256"),
        ]

    def __str__(self) -> str:
        return f"photo {self.pk} of {self.owner_kind} {self.owner_id}"
