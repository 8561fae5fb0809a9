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
            # "commissioners near a point": the staff's list with `near` (matching and the problem.posted
            # audience read MatchingCandidate instead).
            models.Index(fields=["home_cell", "available"], name="commissioners_profile_cell"),
        ]

    def __str__(self) -> str:
        return f"commissioner {self.user_id}"


class MatchingCandidate(models.Model):
    """Matching's read model: one row per matchable commissioner and field of expertise.

    A commissioner is matchable when active, available and with a home. The row carries what
    scoring needs (home, county, workload, track record), so matching reads one compact index
    range per grid row of the category instead of joining profiles, users, expertise and
    claims for thousands of people. Written only by ``commissioners.candidates.candidates_refresh``,
    from the source rows, in the transaction that changed them; ``manage.py matching_refresh``
    rebuilds it whole.
    """

    # Their indexes are the two below: the (category, home_cell) one serves "by category".
    commissioner = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.CASCADE,
                                     db_index=False)
    category = models.ForeignKey("villages.Category", related_name="+", on_delete=models.CASCADE, db_index=False)
    home_lat = models.FloatField()
    home_lng = models.FloatField()
    home_cell = models.BigIntegerField()
    county_code = models.CharField(max_length=6, help_text="The county of the commissioner's home area.")
    active_problems = models.PositiveIntegerField(default=0, help_text="Accepted claims on problems in progress.")
    resolved_count = models.PositiveIntegerField(default=0, help_text="Accepted claims on resolved/closed problems.")
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    # The row exists because the commissioner's expertise is this field and the category one of its
    # industries (果树 → 芒果); empty when the expertise is the category itself. Matching says which.
    via_field = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "commissioner"], name="commissioners_candidate_once"),
            models.CheckConstraint(
                condition=Q(rating_sum__gte=models.F("rating_count")) & Q(rating_sum__lte=models.F("rating_count") * 5),
                name="commissioners_candidate_ratings_1_to_5",
            ),
        ]
        indexes = [
            # "Candidates of this category near a point": one range per grid row, and (PostgreSQL)
            # everything scoring reads is in the index.
            models.Index(
                fields=["category", "home_cell"],
                include=["id", "home_lat", "home_lng", "commissioner", "county_code", "active_problems",
                         "resolved_count", "rating_sum", "rating_count", "via_field"],
                name="commissioners_candidate_near",
            ),
            models.Index(fields=["commissioner"], name="commissioners_candidate_user"),
            # Matching reads a problem's county's candidates wherever they live (problems/matching.py, `_people`).
            models.Index(fields=["category", "county_code"], name="commissioners_candidate_county"),
        ]

    def __str__(self) -> str:
        return f"candidate {self.commissioner_id} for {self.category_id}"


class Programme(models.TextChoices):
    """Under which programme a person was sent: the plan counts all three as 人次 toward its target."""

    COMMISSIONER = "commissioner", "科技特派员"
    THREE_REGIONS = "three_regions", "“三区”人才"
    LEGAL_ENTITY = "legal_entity", "法人科技特派员"


SENDING_UNIT_MAX = 100


class Dispatch(models.Model):
    """A commissioner sent to a village for a period (选派). Each one is one 人次 toward the target.

    ``programme`` says under which scheme, ``sending_unit`` who sent them (派出单位: a university, an
    institute, a county bureau); it is typed text, shown as text, never markup.
    """

    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="dispatches",
        # Dispatches are what the plan's first target counts: never deleted with a user.
        on_delete=models.PROTECT,
    )
    village = models.ForeignKey("villages.Area", related_name="dispatches", on_delete=models.PROTECT)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    programme = models.CharField(max_length=16, choices=Programme.choices, default=Programme.COMMISSIONER)
    sending_unit = models.CharField(max_length=SENDING_UNIT_MAX, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="commissioners_dispatch_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(programme__in=Programme.values), name="commissioners_dispatch_programme_valid"
            ),
            # A double-submitted form must not count one dispatch twice.
            models.UniqueConstraint(
                fields=["commissioner", "village", "starts_on"], name="commissioners_dispatch_once_per_start"
            ),
        ]
        indexes = [
            # the target tally and coverage: dispatches by start date (and village).
            models.Index(fields=["starts_on", "village"], name="commissioners_dispatch_start"),
        ]

    def __str__(self) -> str:
        return f"dispatch {self.pk}: {self.commissioner_id} → {self.village_id} from {self.starts_on}"


class CheckinFlag(models.TextChoices):
    OUTSIDE_FENCE = "outside_fence", "不在村范围内"
    LOW_ACCURACY = "low_accuracy", "定位精度低"
    ACCURACY_UNKNOWN = "accuracy_unknown", "未报告定位精度"
    IMPOSSIBLE_TRAVEL = "impossible_travel", "移动速度不可能"
    FUTURE_TIME = "future_time", "时间在未来"
    TOO_OLD = "too_old", "时间过早"
    PHOTO_FAR = "photo_far", "照片位置与签到位置不符"
    PHOTO_REUSED = "photo_reused", "照片已用于其他签到"
    # Far from a village whose position we generated ourselves: our guess, not evidence against the visit.
    POSITION_UNVERIFIED = "position_unverified", "村位置为推算，无法核验"


# Flags that cast doubt on the visit itself. The others say the evidence is weak, not wrong
# (position_unverified among them: the village's position is our own guess, see docs/geo.md).
FLAGS_THAT_MATTER = frozenset(
    {CheckinFlag.OUTSIDE_FENCE, CheckinFlag.IMPOSSIBLE_TRAVEL, CheckinFlag.FUTURE_TIME, CheckinFlag.TOO_OLD,
     CheckinFlag.PHOTO_FAR, CheckinFlag.PHOTO_REUSED}
)


class Checkin(models.Model):
    """A commissioner's check-in at a village. Never refused for where it is: kept and flagged."""

    client_id = models.UUIDField()
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="checkins",
        # Service days are counted from check-ins: never deleted with a user.
        on_delete=models.PROTECT,
    )
    village = models.ForeignKey("villages.Area", related_name="checkins", on_delete=models.PROTECT)
    problem = models.ForeignKey(
        "problems.Problem", null=True, blank=True, related_name="checkins", on_delete=models.PROTECT
    )
    lat = models.FloatField()
    lng = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    note = models.TextField(max_length=2000, blank=True)
    distance_m = models.FloatField(help_text="How far outside the village fence (0 inside).")
    flags = models.JSONField(default=list)
    flag_details = models.JSONField(default=dict)
    verified = models.BooleanField()
    # Past its retention period the position is rounded to ~1 km (accounts/retention.py).
    position_coarsened = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["commissioner", "client_id"], name="commissioners_checkin_client_id_once"),
            models.CheckConstraint(
                condition=Q(lat__gte=-90) & Q(lat__lte=90) & Q(lng__gte=-180) & Q(lng__lte=180),
                name="commissioners_checkin_position_valid",
            ),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0), name="commissioners_checkin_accuracy_valid"
            ),
        ]
        indexes = [
            # a commissioner's track in time: lists, the previous/next check-in for impossible travel.
            models.Index(fields=["commissioner", "occurred_at"], name="commissioners_checkin_track"),
            # a village's visits in a window: coverage and lists.
            models.Index(fields=["village", "occurred_at"], name="commissioners_checkin_village"),
            # service days and coverage over a period.
            models.Index(fields=["occurred_at"], name="commissioners_checkin_time"),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk} by {self.commissioner_id} at {self.village_id}"
