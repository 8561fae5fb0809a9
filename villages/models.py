"""Areas (city, county, township, village) and the categories problems and expertise use."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


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
                    (Q(level__in=[AreaLevel.CITY, AreaLevel.COUNTY]) & Q(code__regex=r"^[0-9]{6}$"))
                    | (Q(level=AreaLevel.TOWNSHIP) & Q(code__regex=r"^[0-9]{9}$"))
                    | (Q(level=AreaLevel.VILLAGE) & Q(code__regex=r"^[0-9]{12}$"))
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
    """An expertise / problem category. Data, not code: the bureau adds rows."""

    code = models.SlugField(primary_key=True, max_length=32)
    name = models.CharField(max_length=32)
    name_en = models.CharField(max_length=64, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name
