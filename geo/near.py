"""The one "near" selector every feature uses: problems near a commissioner, commissioners near a
problem (matching, the problem.posted audience), villages near a point.

How it stays fast on SQLite and PostgreSQL alike, at national scale, without PostGIS:

1. **Index**: every located row stores ``cell`` (geo/cells.py, a 0.1° grid) beside its lat/lng,
   under a plain B-tree. A radius becomes a handful of ``cell BETWEEN lo AND hi`` range scans,
   one per grid row the circle's bounding box crosses, plus the bounding box itself.
2. **Light rows**: candidates come back as tuples (pk, lat, lng and any fields the caller names),
   never as model instances: building hundreds of objects to keep ten is most of the cost.
3. **Refine**: a vectorised haversine (fast, within 0.5 % of the ellipsoid) decides everything
   it can; only candidates in the band where its error could matter (0.99–1.01 of the radius)
   are measured again on the WGS-84 ellipsoid (vectorised Vincenty, within a millimetre of Karney),
   so the radius is respected exactly.
4. **Order**: nearest first by haversine; the page a caller shows is re-ordered by the geodesic
   distance within a tie band wide enough to cover haversine's error, so the page's order and
   its ``distance_km`` are the ellipsoid's, exactly as brute force would give. `with_objects`
   then loads the page's model instances in one query.

This module imports Django (it builds querysets); the pure geometry lives in the modules it uses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import BooleanField, Expression, F, Q, QuerySet

from .cells import bbox_around, cell_ranges
from .distance import MEAN_EARTH_RADIUS_KM, geodesic_many_m

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
    pk: Any
    lat: float
    lng: float
    approx_km: float
    distance_km: float | None = None  # geodesic; filled for the rows a caller shows
    values: dict[str, Any] = field(default_factory=dict)  # the extra fields the caller asked for
    obj: Any = None  # the model instance, once `with_objects` loaded it

    @property
    def km(self) -> float:
        return self.distance_km if self.distance_km is not None else self.approx_km


class _InRanges(Expression):
    """``(col BETWEEN lo1 AND hi1 OR col BETWEEN lo2 AND hi2 ...)``: the grid rows' cell ranges.

    The same SQL a chain of ``Q(cell__range=...)`` ORed together gives, compiled in one step: a
    150 km radius is 28 ranges, and building them as lookups cost more than the query itself.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str | Expression, ranges: list[tuple[int, int]]) -> None:
        super().__init__()
        self.column = F(column) if isinstance(column, str) else column
        self.ranges = ranges

    def get_source_expressions(self) -> list[Expression]:
        return [self.column]

    def set_source_expressions(self, exprs: list[Expression]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        if not self.ranges:
            return "(1 = 0)", []
        params: list = []
        for lo, hi in self.ranges:
            params += [*column_params, lo, hi]
        return "(" + " OR ".join([f"{column} BETWEEN %s AND %s"] * len(self.ranges)) + ")", params


def near_filter(lat: float, lng: float, radius_km: float, located: Located = Located()) -> Q:
    """The index part alone: rows in the grid cells and bounding box around the circle."""
    ranges = cell_ranges(lat, lng, radius_km)
    min_lat, min_lng, max_lat, max_lng = bbox_around(lat, lng, radius_km)
    return Q(_InRanges(located.cell, ranges)) & Q(
        **{f"{located.lat}__range": (min_lat, max_lat), f"{located.lng}__range": (min_lng, max_lng)})


def haversine_many_km(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    lat1, lng1 = np.radians(lat), np.radians(lng)
    lat2, lng2 = np.radians(lats), np.radians(lngs)
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


@dataclass
class NearArrays:
    """Rows within a radius as columns, nearest first (haversine ``km``; ties by pk)."""

    pk: np.ndarray
    lat: np.ndarray
    lng: np.ndarray
    km: np.ndarray
    exact_km: np.ndarray  # the geodesic distance where it was measured (the radius band), else NaN
    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.pk)


def arrays_near(
    queryset: QuerySet,
    lat: float,
    lng: float,
    radius_km: float,
    located: Located = Located(),
    fields: Sequence[str] = (),
) -> NearArrays:
    """Every row of ``queryset`` within ``radius_km`` (geodesic) of the point, as numpy columns:
    for callers that score or count many rows (matching, fan-out audiences) without per-row objects."""
    rows = list(
        queryset.filter(near_filter(lat, lng, radius_km, located))
        .order_by()
        .values_list("pk", located.lat, located.lng, *fields)
    )
    if not rows:
        empty = np.empty(0)
        return NearArrays(np.empty(0, dtype=int), empty, empty, empty, empty, {name: empty for name in fields})
    columns = list(zip(*rows, strict=True))
    pks = np.array(columns[0])
    lats, lngs = np.array(columns[1], dtype=float), np.array(columns[2], dtype=float)
    km = haversine_many_km(lat, lng, lats, lngs)
    keep = km <= radius_km * _RADIUS_SURE_OUT
    exact = np.full(len(km), np.nan)
    band = np.flatnonzero(keep & (km > radius_km * _RADIUS_SURE_IN))
    if len(band):
        exact[band] = geodesic_many_m(lat, lng, lats[band], lngs[band]) / 1000.0
        keep[band] = exact[band] <= radius_km
    # Nearest first; equal distances (the same village twice, say) in a stable order by pk.
    order = np.flatnonzero(keep)[np.lexsort((pks[keep], km[keep]))]
    return NearArrays(pks[order], lats[order], lngs[order], km[order], exact[order],
                      {name: np.array(columns[3 + j])[order] for j, name in enumerate(fields)})


def rows_near(
    queryset: QuerySet,
    lat: float,
    lng: float,
    radius_km: float,
    located: Located = Located(),
    fields: Sequence[str] = (),
) -> list[Hit]:
    """Every row of ``queryset`` within ``radius_km`` (geodesic) of the point, nearest first, as
    light hits carrying pk, position and the named ``fields`` (in ``hit.values``)."""
    found = arrays_near(queryset, lat, lng, radius_km, located, fields)
    values = [found.values[name].tolist() for name in fields]
    exact = found.exact_km.tolist()
    return [
        Hit(pk, la, ln, km, None if math.isnan(e) else e, {name: values[j][i] for j, name in enumerate(fields)})
        for i, (pk, la, ln, km, e) in enumerate(
            zip(found.pk.tolist(), found.lat.tolist(), found.lng.tolist(), found.km.tolist(), exact, strict=True))
    ]


def nearest_page(hits: list[Hit], lat: float, lng: float, offset: int, limit: int) -> list[Hit]:
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
    unmeasured = [hit for hit in band if hit.distance_km is None]
    if unmeasured:
        metres = geodesic_many_m(lat, lng, [h.lat for h in unmeasured], [h.lng for h in unmeasured])
        for hit, m in zip(unmeasured, metres.tolist(), strict=True):
            hit.distance_km = m / 1000.0
    band.sort(key=lambda h: (h.distance_km, h.pk))
    return band[offset - first : offset - first + (end - offset)]


def with_objects(queryset: QuerySet, hits: list[Hit]) -> list[Hit]:
    """Load the model instances of ``hits`` (one query, the queryset's select/prefetch applied)."""
    found = queryset.in_bulk([h.pk for h in hits])
    for hit in hits:
        hit.obj = found.get(hit.pk)
    return [h for h in hits if h.obj is not None]
