"""The one "near" selector every feature uses: problems near a commissioner, commissioners near a
problem (matching, the problem.posted audience), villages near a point.

How it stays fast on SQLite and PostgreSQL alike, at national scale, without PostGIS:

1. **Index**: every located row stores ``cell`` (geo/cells.py, a 0.1° grid) beside its lat/lng,
   under a plain B-tree. A radius becomes a handful of ``cell BETWEEN lo AND hi`` range scans,
   one per grid row the circle's bounding box crosses, plus the bounding box itself.
2. **Refine**: candidates are measured with a vectorised haversine (fast, within 0.5 % of the
   ellipsoid). Only candidates in the band where that error could matter (0.99–1.01 of the
   radius) are measured again on the WGS-84 ellipsoid, so the radius is respected exactly.
3. **Order**: nearest first by haversine, then the page the caller shows is re-ordered by the
   geodesic distance within a tie band wide enough to cover haversine's error, so the page's
   order and its ``distance_km`` are the ellipsoid's, exactly as brute force would give.

This module imports Django (it builds querysets); the pure geometry lives in the modules it uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet

from .cells import bbox_around, cell_ranges
from .distance import MEAN_EARTH_RADIUS_KM, geodesic_m

# Haversine on the mean sphere is within 0.5 % (plus a little) of the WGS-84 geodesic; the bands
# below are wider than that so nothing is decided on the sphere that the ellipsoid would not.
_RADIUS_SURE_IN = 0.99
_RADIUS_SURE_OUT = 1.01
_ORDER_BAND = 1.02


@dataclass(frozen=True)
class Located:
    """Which fields of a model hold its WGS-84 position and grid cell."""

    lat: str = "lat"
    lng: str = "lng"
    cell: str = "cell"


@dataclass
class Hit:
    obj: Any
    approx_km: float
    distance_km: float | None = None  # geodesic; filled for the rows a caller shows

    @property
    def km(self) -> float:
        return self.distance_km if self.distance_km is not None else self.approx_km


def near_filter(lat: float, lng: float, radius_km: float, located: Located = Located()) -> Q:
    """The index part alone: rows in the grid cells and bounding box around the circle."""
    cells = Q()
    for lo, hi in cell_ranges(lat, lng, radius_km):
        cells |= Q(**{f"{located.cell}__range": (lo, hi)})
    min_lat, min_lng, max_lat, max_lng = bbox_around(lat, lng, radius_km)
    return cells & Q(**{f"{located.lat}__range": (min_lat, max_lat), f"{located.lng}__range": (min_lng, max_lng)})


def haversine_many_km(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    lat1, lng1 = np.radians(lat), np.radians(lng)
    lat2, lng2 = np.radians(lats), np.radians(lngs)
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _geodesic_km(lat: float, lng: float, obj: Any, located: Located) -> float:
    return geodesic_m(lat, lng, getattr(obj, located.lat), getattr(obj, located.lng)) / 1000.0


def rows_near(
    queryset: QuerySet,
    lat: float,
    lng: float,
    radius_km: float,
    located: Located = Located(),
) -> list[Hit]:
    """Every row of ``queryset`` within ``radius_km`` (geodesic) of the point, nearest first."""
    rows = list(queryset.filter(near_filter(lat, lng, radius_km, located)))
    if not rows:
        return []
    lats = np.fromiter((getattr(r, located.lat) for r in rows), dtype=float, count=len(rows))
    lngs = np.fromiter((getattr(r, located.lng) for r in rows), dtype=float, count=len(rows))
    approx = haversine_many_km(lat, lng, lats, lngs)
    hits: list[Hit] = []
    for row, km in zip(rows, approx.tolist(), strict=True):
        if km <= radius_km * _RADIUS_SURE_IN:
            hits.append(Hit(row, km))
        elif km <= radius_km * _RADIUS_SURE_OUT:
            exact = _geodesic_km(lat, lng, row, located)
            if exact <= radius_km:
                hits.append(Hit(row, km, exact))
    hits.sort(key=lambda h: (h.approx_km, _tiebreak(h.obj)))
    return hits


def _tiebreak(obj: Any) -> Any:
    return getattr(obj, "pk", 0)


def nearest_page(
    hits: list[Hit], lat: float, lng: float, offset: int, limit: int,
    located: Located = Located(),
) -> list[Hit]:
    """The slice [offset, offset+limit) of ``hits`` in exact geodesic order, with ``distance_km``.

    Rows whose haversine distance lies clearly before or after the window keep their place;
    only the window and its tie band are measured on the ellipsoid and re-sorted.
    """
    if offset >= len(hits) or limit <= 0:
        return []
    end = min(offset + limit, len(hits))
    lo_km = hits[offset].approx_km / _ORDER_BAND
    hi_km = hits[end - 1].approx_km * _ORDER_BAND
    first = offset
    while first > 0 and hits[first - 1].approx_km >= lo_km:
        first -= 1
    last = end
    while last < len(hits) and hits[last].approx_km <= hi_km:
        last += 1
    band = hits[first:last]
    for hit in band:
        if hit.distance_km is None:
            hit.distance_km = _geodesic_km(lat, lng, hit.obj, located)
    band.sort(key=lambda h: (h.distance_km, _tiebreak(h.obj)))
    return band[offset - first : offset - first + (end - offset)]
