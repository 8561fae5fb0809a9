"""Reads for areas and categories."""

from __future__ import annotations

import threading

from django.db.models import QuerySet

from core.errors import NotFound
from geo.fences import DEFAULT_VILLAGE_RADIUS_M, FenceCheck, check_polygon_fence, check_radius_fence
from geo.lookup import AreaIndex, CountyShape, PlacePoint

from .models import Area, Category


def areas_list(*, level: str | None = None, parent: str | None = None) -> QuerySet[Area]:
    qs = Area.objects.defer("geometry").order_by("code")
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs


def area_get(code: str, *, with_geometry: bool = False) -> Area:
    qs = Area.objects.all() if with_geometry else Area.objects.defer("geometry")
    area = qs.filter(code=code).first()
    if area is None:
        raise NotFound(f"No area with code {code}.", code="area_not_found")
    return area


def village_get(code: str) -> Area:
    area = Area.objects.defer("geometry").filter(code=code, level="village").first()
    if area is None:
        raise NotFound(f"No village with code {code}.", code="village_not_found")
    return area


def categories_list() -> QuerySet[Category]:
    return Category.objects.all()


_AREA_INDEX: AreaIndex | None = None
_AREA_INDEX_LOCK = threading.Lock()


def area_index() -> AreaIndex:
    """The point-in-area index, built once per process from the database (≈0.1 s for Baise).

    Areas change rarely (an import, a surveyed position); `area_index_reset()` runs on commit of
    those writes in this process, and other processes pick the change up when they restart.
    """
    global _AREA_INDEX
    if _AREA_INDEX is None:
        with _AREA_INDEX_LOCK:
            if _AREA_INDEX is None:
                _AREA_INDEX = _area_index_build()
    return _AREA_INDEX


def area_index_reset() -> None:
    global _AREA_INDEX
    _AREA_INDEX = None


def _area_index_build() -> AreaIndex:
    counties = [
        CountyShape(code, name, geometry)
        for code, name, geometry in Area.objects.filter(level="county", geometry__isnull=False).values_list(
            "code", "name", "geometry"
        )
    ]
    points = Area.objects.filter(level__in=["township", "village"], lat__isnull=False).values_list(
        "code", "name", "level", "parent_id", "lat", "lng"
    )
    townships, villages = [], []
    for code, name, level, parent, lat, lng in points:
        (townships if level == "township" else villages).append(PlacePoint(code, name, parent, lat, lng))
    return AreaIndex(counties, townships, villages)


def village_fence_check(village: Area, lat: float, lng: float, accuracy_m: float | None) -> FenceCheck:
    """A village's fence: its boundary where one is known, else a radius around its position."""
    if village.geometry:
        return check_polygon_fence(village.geometry, lat, lng, accuracy_m)
    radius = village.fence_radius_m or DEFAULT_VILLAGE_RADIUS_M
    return check_radius_fence(village.lat, village.lng, radius, lat, lng, accuracy_m)
