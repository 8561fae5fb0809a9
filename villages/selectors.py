"""Reads for areas and categories."""

from __future__ import annotations

import functools
import itertools
import threading

import numpy as np
import shapely
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from core import sql_rows
from core.errors import NotFound
from geo.fences import (
    DEFAULT_VILLAGE_RADIUS_M,
    FenceCheck,
    check_polygon_fence,
    check_radius_fence,
    distance_outside_polygon_m,
)
from geo.lookup import AreaIndex, CountyShape, PlacePoint

from .models import Area, AreaLevel, Category


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
        raise NotFound(_("No area with code %(code)s.") % {"code": code}, code="area_not_found")
    return area


def village_not_found(code: str) -> NotFound:
    return NotFound(_("No village with code %(code)s.") % {"code": code}, code="village_not_found")


_AREA_ROWS = sql_rows.RowReader(Area)


@functools.cache
def _village_sql() -> str:
    # Every column, the geometry too (null for villages until a boundary is surveyed): the check-in fence
    # reads it, and a deferred field would cost a second query. Fixed SQL: core/sql_rows.py says why.
    return f"SELECT {_AREA_ROWS.columns('a')} FROM {Area._meta.db_table} a WHERE a.code = %s AND a.level = %s"


def village_get(code: str) -> Area:
    with connection.cursor() as cursor:
        cursor.execute(_village_sql(), [code, AreaLevel.VILLAGE.value])
        row = cursor.fetchone()
    if row is None:
        raise village_not_found(code)
    return _AREA_ROWS.instance(row)


def villages_by_code(codes: set[str]) -> dict[str, Area]:
    """Many villages (with their geometry, as `village_get`) in one query; unknown codes are left out."""
    return Area.objects.filter(code__in=codes, level=AreaLevel.VILLAGE).in_bulk()


def categories_list(*, parent: str | None = None, top: bool | None = None) -> QuerySet[Category]:
    """The categories, fields first, then the industries under them; filtered by field or by level."""
    qs = Category.objects.all()
    if parent:
        qs = qs.filter(parent_id=parent)
    if top is not None:
        qs = qs.filter(parent__isnull=top)
    return qs


_AREA_INDEX: AreaIndex | None = None
_AREA_INDEX_LOCK = threading.Lock()
_INDEX_CHUNK = 20_000


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
    _COUNTY_SHAPES.clear()


def _area_index_build() -> AreaIndex:
    counties = [
        CountyShape(code, name, geometry)
        for code, name, geometry in Area.objects.filter(level=AreaLevel.COUNTY, geometry__isnull=False).values_list(
            "code", "name", "geometry"
        )
    ]
    townships = [
        PlacePoint(*row) for row in Area.objects.filter(level=AreaLevel.TOWNSHIP, lat__isnull=False).values_list(
            "code", "name", "parent_id", "lat", "lng")
    ]
    # Columns, not an object per village, read in chunks so that a national set (490,000 villages)
    # never has all its rows as Python objects at once.
    rows = Area.objects.filter(level=AreaLevel.VILLAGE, lat__isnull=False).values_list(
        "code", "name", "parent_id", "lat", "lng").order_by("code").iterator(chunk_size=_INDEX_CHUNK)
    chunks: list[list[np.ndarray]] = [[], [], [], [], []]
    while batch := list(itertools.islice(rows, _INDEX_CHUNK)):
        for column, values in zip(chunks, zip(*batch, strict=True), strict=True):
            column.append(np.array(values))
    columns = [np.concatenate(c) if c else np.array([]) for c in chunks]
    return AreaIndex.from_columns(counties, townships, *columns)


def village_fence_check(village: Area, lat: float, lng: float, accuracy_m: float | None) -> FenceCheck:
    """A village's fence: its boundary where one is known, else a radius around its position."""
    if village.geometry:
        return check_polygon_fence(village.geometry, lat, lng, accuracy_m)
    radius = village.fence_radius_m or DEFAULT_VILLAGE_RADIUS_M
    return check_radius_fence(village.lat, village.lng, radius, lat, lng, accuracy_m)


# The counties' real boundaries, prepared once per process (12 shapes for Baise): the fence a check-in
# is judged by while its village's position is still generated. Cleared with the area index.
_COUNTY_SHAPES: dict[str, BaseGeometry | None] = {}


def _county_shape(county_code: str) -> BaseGeometry | None:
    if not _COUNTY_SHAPES:
        with _AREA_INDEX_LOCK:
            if not _COUNTY_SHAPES:
                shapes = {}
                for code, geometry in Area.objects.filter(level=AreaLevel.COUNTY, geometry__isnull=False).values_list(
                        "code", "geometry"):
                    shapes[code] = shape(geometry)
                    shapely.prepare(shapes[code])
                _COUNTY_SHAPES.update(shapes or {"": None})
    return _COUNTY_SHAPES.get(county_code)


def county_fence_check(county_code: str, lat: float, lng: float, accuracy_m: float | None) -> FenceCheck | None:
    """The county's real boundary as a fence; None where the county has no boundary on record."""
    county = _county_shape(county_code)
    return check_polygon_fence(county, lat, lng, accuracy_m) if county is not None else None


def distance_outside_county_m(county_code: str, lat: float, lng: float) -> float | None:
    """How far a point lies outside the county's real boundary (0 inside); None without a boundary."""
    county = _county_shape(county_code)
    return distance_outside_polygon_m(county, lat, lng) if county is not None else None
