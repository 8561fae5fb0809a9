"""Training sessions commissioners run in villages, and their headcounts (人次) toward the trainee target."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# The limits a training must keep. The service refuses a write past them with a 422 naming the field;
# the static ones are also CheckConstraints, so no other path (an import, the shell) can store a bad row.
# docs/trainings.md gives the reasons at length.

# One session in one place: the largest village meeting hall or field demonstration one commissioner can
# actually teach. A bigger event (a county fair) is recorded as several sessions, one per trainer or group.
HEADCOUNT_MAX = 300
# Half an hour is the shortest session worth counting (a field-side demonstration); twelve hours is one
# full day. A course over several days is recorded as one training per day.
DURATION_MIN_HOURS = Decimal("0.5")
DURATION_MAX_HOURS = Decimal("12")
# The programme's first day: nothing before it counts toward any plan this service tracks.
PLAN_START = datetime(2021, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


class TrainingMode(models.TextChoices):
    """How a session was given: the plan counts its trainings by these four ways."""

    LECTURE = "lecture", "集中授课"
    FIELD = "field", "现场指导"
    COUNTRYSIDE = "countryside", "科技下乡"
    POPULAR_SCIENCE = "popular_science", "科普"


class Training(models.Model):
    """One training session a commissioner ran in a village.

    ``headcount`` is the declared person-times (人次) of this session: what the bureau counts toward the
    trainee target. ``female_count`` and ``poverty_household_count`` are "of whom" parts of it (0 when not
    recorded). ``mode`` says how it was given; ``households`` how many households (户数) it reached, when
    known (null: not recorded), never more than the headcount. An attendee roster, where one is sent, is
    evidence beside the headcount and never changes it.
    """

    client_id = models.UUIDField(help_text="The phone's id for this write; a retry returns the first result.")
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="trainings",
        # Trainings are counted by the bureau toward the trainee target: a commissioner who leaves is
        # deactivated, never deleted with their record.
        on_delete=models.PROTECT,
    )
    village = models.ForeignKey("villages.Area", related_name="trainings", on_delete=models.PROTECT)
    category = models.ForeignKey("villages.Category", related_name="trainings", on_delete=models.PROTECT)
    topic = models.CharField(max_length=200)
    started_at = models.DateTimeField(help_text="Stored in UTC; reports bucket it into Asia/Shanghai days.")
    # Decimal, not float: sums of hours in reports are exact (0.5 + 0.25 + ...), two places suffice.
    duration_hours = models.DecimalField(max_digits=4, decimal_places=2)
    headcount = models.PositiveIntegerField(help_text="Person-times (人次) toward the trainee target.")
    female_count = models.PositiveIntegerField(default=0, help_text="Of the headcount, women. 0: not recorded.")
    poverty_household_count = models.PositiveIntegerField(
        default=0, help_text="Of the headcount, people of registered (formerly) poor households. 0: not recorded."
    )
    # A training recorded before modes existed was a session in a hall: lecture is the default (docs/trainings.md).
    mode = models.CharField(max_length=16, choices=TrainingMode.choices, default=TrainingMode.LECTURE)
    households = models.PositiveIntegerField(
        null=True, blank=True, help_text="Households (户数) the session reached; empty: not recorded."
    )
    # Where the session was held, WGS-84; optional (a training needs no position, and so no consent).
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "client_id"], name="trainings_training_client_id_once"),
            models.CheckConstraint(
                condition=Q(headcount__gte=1) & Q(headcount__lte=HEADCOUNT_MAX),
                name="trainings_training_headcount_range",
            ),
            models.CheckConstraint(
                condition=Q(female_count__lte=F("headcount")), name="trainings_training_female_within_headcount"
            ),
            models.CheckConstraint(
                condition=Q(poverty_household_count__lte=F("headcount")),
                name="trainings_training_poverty_within_headcount",
            ),
            models.CheckConstraint(condition=Q(mode__in=TrainingMode.values), name="trainings_training_mode_valid"),
            # Every household counted sent at least one person-time: more households than 人次 is a typo.
            models.CheckConstraint(
                condition=Q(households__isnull=True) | Q(households__lte=F("headcount")),
                name="trainings_training_households_within_headcount",
            ),
            models.CheckConstraint(
                condition=Q(duration_hours__gte=DURATION_MIN_HOURS) & Q(duration_hours__lte=DURATION_MAX_HOURS),
                name="trainings_training_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(started_at__gte=PLAN_START), name="trainings_training_started_within_plan"
            ),
            models.CheckConstraint(
                # The second branch says IS NOT NULL explicitly: `lng >= -180` on a NULL is unknown, and a
                # CHECK that is unknown passes, so one coordinate alone would slip through.
                condition=(Q(lat__isnull=True) & Q(lng__isnull=True))
                | (
                    Q(lat__isnull=False) & Q(lng__isnull=False)
                    & Q(lat__gte=-90) & Q(lat__lte=90) & Q(lng__gte=-180) & Q(lng__lte=180)
                ),
                name="trainings_training_position_both_or_neither",
            ),
        ]
        indexes = [
            # a commissioner's own list, newest first.
            models.Index(fields=["commissioner", "started_at"], name="trainings_training_trainer"),
            # a village's trainings in a window (the village filter; township/county join to it).
            models.Index(fields=["village", "started_at"], name="trainings_training_village"),
            # the bureau's list newest first, and the stats: headcount summed by Shanghai day and by
            # county over a window scans this range and joins the village for its county.
            models.Index(fields=["started_at", "village"], name="trainings_training_time"),
        ]

    def __str__(self) -> str:
        return f"training {self.pk} {self.topic} at {self.village_id} ({self.headcount} 人次)"


class Gender(models.TextChoices):
    FEMALE = "female", "女"
    MALE = "male", "男"
    UNSPECIFIED = "", "未填写"


class TrainingAttendee(models.Model):
    """One person on a training's roster: evidence of who came, and the key for counting unique people
    across trainings later (COUNT(DISTINCT phone_hash)). Optional; never changes ``Training.headcount``.

    The phone number itself is not stored: only a keyed hash (trainings/pseudonyms.py), enough to
    recognise the same person again and not enough to call them (PIPL: keep the least that serves).
    """

    training = models.ForeignKey(
        Training,
        related_name="attendees",
        # The roster is part of its training's evidence: it goes where the training goes.
        on_delete=models.CASCADE,
    )
    name = models.CharField(max_length=64)
    phone_hash = models.CharField(max_length=64, help_text="HMAC-SHA256 of the normalised mobile number.")
    gender = models.CharField(max_length=6, choices=Gender.choices, blank=True, default=Gender.UNSPECIFIED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["training", "id"]
        constraints = [
            # A person is on one session's roster once: a re-sent roster adds nobody twice.
            models.UniqueConstraint(fields=["training", "phone_hash"], name="trainings_trainingattendee_phone_once"),
            models.CheckConstraint(
                condition=Q(gender__in=Gender.values), name="trainings_trainingattendee_gender_valid"
            ),
            models.CheckConstraint(
                condition=Q(phone_hash__regex=r"^[0-9a-f]{64}$"), name="trainings_trainingattendee_phone_hash_valid"
            ),
        ]
        indexes = [
            # unique people across trainings: "has this person been trained before", distinct counts.
            models.Index(fields=["phone_hash"], name="trainings_attendee_person"),
        ]

    def __str__(self) -> str:
        return f"{self.name} at training {self.training_id}"
