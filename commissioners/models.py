"""Commissioners (科技特派员) and what they do in the field."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CommissionerProfile(models.Model):
    """The commissioner's side of a user: what they know and where they are based.

    A commissioner's id is their user id everywhere, so the profile's primary key is the user.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, related_name="commissioner", on_delete=models.CASCADE
    )
    expertise = models.ManyToManyField("villages.Category", related_name="commissioners", blank=True)
    home_lat = models.FloatField(null=True, blank=True)
    home_lng = models.FloatField(null=True, blank=True)
    home_cell = models.BigIntegerField(null=True, blank=True)
    available = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(home_lat__isnull=True) & Q(home_lng__isnull=True) & Q(home_cell__isnull=True))
                | (
                    Q(home_lat__gte=-90) & Q(home_lat__lte=90) & Q(home_lng__gte=-180)
                    & Q(home_lng__lte=180) & Q(home_cell__isnull=False)
                ),
                name="commissioners_profile_home_complete",
            ),
        ]
        indexes = [
            # "available commissioners near a point": matching and the problem.posted fan-out.
            models.Index(fields=["home_cell", "available"], name="commissioners_profile_cell"),
        ]

    def __str__(self) -> str:
        return f"commissioner {self.user_id}"
