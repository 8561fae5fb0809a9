"""Areas (city, county, township, village) and the categories problems and expertise use."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    CITY = "city", "市"
    COUNTY = "county", "县（区、市）"
    TOWNSHIP = "township", "乡镇（街道）"
    VILLAGE = "village", "村（社区）"


# The national statistical division code's length at each level (统计用区划代码).
CODE_LENGTH = {
    AreaLevel.CITY: 6,
    AreaLevel.COUNTY: 6,
    AreaLevel.TOWNSHIP: 9,
    AreaLevel.VILLAGE: 12,
}


class PositionSource(models.TextChoices):
    SURVEYED = "surveyed", "实测"
    # No public source gives township or village positions; until a surveyed one replaces it,
    # the position is placed deterministically inside the county (see villages/services.py).
    GENERATED = "generated", "生成"
    SEAT = "seat", "政府驻地"
    CENTROID = "centroid", "几何中心"


class Area(models.Model):
    """One administrative division, keyed by its national code.

    ``county_code`` and ``township_code`` are derived from the code and stored so that area
    scoping is an indexed equality (`village__county_code = '451002'`), not a prefix scan.
    """

    code = models.CharField(primary_key=True, max_length=12)
    name = models.CharField(max_length=64)
    level = models.CharField(max_length=10, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        related_name="children",
        # Areas are reference data that every counted record points at: never cascade.
        on_delete=models.PROTECT,
    )
    county_code = models.CharField(max_length=6, blank=True, db_index=True)
    township_code = models.CharField(max_length=9, blank=True, db_index=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    position_source = models.CharField(max_length=10, choices=PositionSource.choices, blank=True)
    # How good a surveyed position is (the phone's or the survey's horizontal accuracy), and when it
    # was set: staff weigh a 5 m survey and a 60 m phone fix differently. Empty for generated ones.
    position_accuracy_m = models.FloatField(null=True, blank=True)
    position_updated_at = models.DateTimeField(null=True, blank=True)
    cell = models.BigIntegerField(null=True, blank=True)
    fence_radius_m = models.PositiveIntegerField(
        null=True, blank=True, help_text="Check-in fence radius; empty means the default."
    )
    # GeoJSON (WGS-84) where a boundary is known: the counties' real boundaries.
    geometry = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=AreaLevel.values), name="villages_area_level_valid"
            ),
            models.CheckConstraint(
                condition=(
                    (Q(level__in=["city", "county"]) & Q(code__regex=r"^[0-9]{6}$"))
                    | (Q(level="township") & Q(code__regex=r"^[0-9]{9}$"))
                    | (Q(level="village") & Q(code__regex=r"^[0-9]{12}$"))
                ),
                name="villages_area_code_matches_level",
            ),
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lng__isnull=True))
                | (Q(lat__gte=-90) & Q(lat__lte=90) & Q(lng__gte=-180) & Q(lng__lte=180)),
                name="villages_area_position_valid",
            ),
            models.CheckConstraint(
                condition=Q(position_accuracy_m__isnull=True) | Q(position_accuracy_m__gte=0),
                name="villages_area_position_accuracy_valid",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=models.F("code")),
                name="villages_area_not_own_parent",
            ),
        ]
        indexes = [
            # "children of X at level L": the areas list filtered by parent and level.
            models.Index(fields=["parent", "level"], name="villages_area_parent_level"),
            # "areas near a point": candidate rows by grid cell (geo/cells.py).
            models.Index(fields=["cell"], name="villages_area_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def position_is_generated(self) -> bool:
        return self.position_source == PositionSource.GENERATED


class PositionVia(models.TextChoices):
    PHONE = "phone", "现场定位"
    IMPORT = "import", "批量导入"


class AreaPositionChange(models.Model):
    """The audit trail of positions: who moved an area, from where to where, how, and how well."""

    area = models.ForeignKey(
        Area, related_name="position_changes",
        # Areas are never deleted (PROTECT everywhere); the trail goes with nothing.
        on_delete=models.PROTECT,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, related_name="+",
        # The trail outlives the account it names.
        on_delete=models.SET_NULL,
    )
    via = models.CharField(max_length=8, choices=PositionVia.choices)
    from_lat = models.FloatField(null=True, blank=True)
    from_lng = models.FloatField(null=True, blank=True)
    from_source = models.CharField(max_length=10, blank=True)
    lat = models.FloatField()
    lng = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    crs = models.CharField(max_length=8, help_text="The datum the position was given in (stored as WGS-84).")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(via__in=PositionVia.values), name="villages_positionchange_via_valid"),
            models.CheckConstraint(
                condition=Q(lat__gte=-90) & Q(lat__lte=90) & Q(lng__gte=-180) & Q(lng__lte=180),
                name="villages_positionchange_position_valid",
            ),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0),
                name="villages_positionchange_accuracy_valid",
            ),
        ]
        indexes = [
            # "how did this village get its position": an area's history, newest first.
            models.Index(fields=["area", "at"], name="villages_positionchange_area"),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} → ({self.lat:.6f}, {self.lng:.6f}) via {self.via} at {self.at:%Y-%m-%d %H:%M}"


class Category(models.Model):
    """An expertise / problem category. Data, not code: the bureau adds rows.

    Two levels: the contract's twelve fields (``parent`` null) and the plan's industries under them
    (芒果 under 果树). Problems, trainings and expertise take either level; an expertise in a field
    covers its industries (matching). The admin keeps the tree two levels deep (a child's parent is a
    top-level category); the database keeps a category from being its own parent.
    """

    code = models.SlugField(primary_key=True, max_length=32)
    name = models.CharField(max_length=32)
    name_en = models.CharField(max_length=64, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, related_name="children",
        # Problems, trainings and expertise point at categories: a field is never removed under its industries.
        on_delete=models.PROTECT,
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=models.F("code")),
                name="villages_category_not_own_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.parent_id == self.code or (self.parent and self.parent.parent_id is not None):
            raise ValidationError({"parent": _("must be a top-level category (two levels at most)")})
        if self.pk and Category.objects.filter(parent_id=self.pk).exists():
            raise ValidationError({"parent": _("a category with industries under it stays top-level")})


class ProblemStatus(models.TextChoices):
    OPEN = "open", "待揭榜"
    IN_PROGRESS = "in_progress", "服务中"
    RESOLVED = "resolved", "已解决"
    CLOSED = "closed", "已办结"
    WITHDRAWN = "withdrawn", "已撤回"


class Urgency(models.TextChoices):
    LOW = "low", "一般"
    NORMAL = "normal", "较急"
    HIGH = "high", "紧急"


class Problem(models.Model):
    """A technical problem a village posts (基层出题) for commissioners to take up (揭榜)."""

    client_id = models.UUIDField(help_text="The phone's id for this write; a retry returns the first result.")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="problems_posted",
        # Problems are counted by the bureau; a user who posted one is deactivated, never deleted.
        on_delete=models.PROTECT,
    )
    village = models.ForeignKey(Area, related_name="problems", on_delete=models.PROTECT)
    category = models.ForeignKey(Category, related_name="problems", on_delete=models.PROTECT)
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=5000)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    lat = models.FloatField()
    lng = models.FloatField()
    cell = models.BigIntegerField()
    deadline = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    resolution_summary = models.TextField(max_length=5000, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(max_length=2000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["posted_by", "client_id"], name="villages_problem_client_id_once"),
            models.CheckConstraint(condition=Q(status__in=ProblemStatus.values), name="villages_problem_status_valid"),
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values), name="villages_problem_urgency_valid"),
            models.CheckConstraint(
                condition=Q(lat__gte=-90) & Q(lat__lte=90) & Q(lng__gte=-180) & Q(lng__lte=180),
                name="villages_problem_position_valid",
            ),
            # A rating exists exactly when the problem is closed: closing is the rating.
            models.CheckConstraint(
                condition=(Q(status=ProblemStatus.CLOSED) & Q(rating__gte=1) & Q(rating__lte=5))
                | (~Q(status=ProblemStatus.CLOSED) & Q(rating__isnull=True)),
                name="villages_problem_rated_iff_closed",
            ),
        ]
        indexes = [
            # "open problems near me": the commissioners' list (status filter + cell ranges).
            models.Index(fields=["status", "cell"], name="villages_problem_status_cell"),
            # "a village's / a township's problems" for staff lists and coverage counts.
            models.Index(fields=["village", "status"], name="villages_problem_village"),
            # the escalation sweep: open, not yet escalated, oldest first.
            models.Index(fields=["status", "escalated_at", "created_at"], name="villages_problem_escalation"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class ProblemEventKind(models.TextChoices):
    POSTED = "posted", "发布"
    CLAIMED = "claimed", "揭榜"
    ACCEPTED = "accepted", "确认揭榜人"
    RESOLVED = "resolved", "解决"
    CLOSED = "closed", "评价办结"
    WITHDRAWN = "withdrawn", "撤回"
    ESCALATED = "escalated", "超时上报"
    PHOTO_ADDED = "photo_added", "上传照片"


class ProblemEvent(models.Model):
    """The audit trail of a problem: who did what, when, from which status to which."""

    problem = models.ForeignKey(Problem, related_name="events", on_delete=models.CASCADE)
    kind = models.CharField(max_length=12, choices=ProblemEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(max_length=5000, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProblemEventKind.values), name="villages_problemevent_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"problem {self.problem_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"
