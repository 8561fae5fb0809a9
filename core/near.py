"""Near, the database half: the candidate rows of a queryset around a point, by grid cell.

How it stays fast on SQLite and PostgreSQL alike, at national scale, without PostGIS:

1. **Index**: every located row stores ``cell`` (geo/cells.py, a 0.1° grid) beside its lat/lng,
   under a plain B-tree. A radius becomes a handful of ``cell BETWEEN lo AND hi`` range scans,
   one per grid row the circle's bounding box crosses, plus the bounding box itself.
2. **Light rows**: candidates come back as tuples (pk, lat, lng and any fields the caller names),
   never as model instances: building hundreds of objects to keep ten is most of the cost.
3. geo/near.py then decides on the numbers alone (the exact radius, the geodesic order of a page);
   `with_values` loads the page's rows as values in one query (`with_objects`, as model instances,
   for callers that need them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models import BooleanField, Expression, F, Q, QuerySet

from geo.cells import bbox_around, cell_ranges
from geo.near import Hit, NearArrays, hits_of, refine


@dataclass(frozen=True)
class Located:
    """Which fields of a model hold its WGS-84 position and grid cell."""

    lat: str = "lat"
    lng: str = "lng"
    cell: str = "cell"


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


def arrays_near(
    queryset: QuerySet,
    lat: float,
    lng: float,
    radius_km: float,
    located: Located = Located(),
    fields: Sequence[str] = (),
    *,
    read_km: float | None = None,
    also: Q | None = None,
) -> NearArrays:
    """Every row of ``queryset`` within ``radius_km`` (geodesic) of the point, as numpy columns:
    for callers that score or count many rows (matching, fan-out audiences) without per-row objects.

    ``read_km`` (at most ``radius_km``) reads only the grid cells around that smaller circle, and the
    rows ``also`` names wherever they are; the rows read are kept when within ``radius_km``: every row
    within ``read_km`` is there, and a row not read is farther than that (a best-first search's ring)."""
    where = near_filter(lat, lng, radius_km if read_km is None else min(read_km, radius_km), located)
    if also is not None:
        where |= also
    rows = list(queryset.filter(where).order_by().values_list("pk", located.lat, located.lng, *fields))
    if not rows:
        empty = np.empty(0)
        return NearArrays(np.empty(0, dtype=int), empty, empty, empty, empty, {name: empty for name in fields})
    columns = list(zip(*rows, strict=True))
    return refine(np.array(columns[0]), np.array(columns[1], dtype=float), np.array(columns[2], dtype=float),
                  {name: np.array(columns[3 + j]) for j, name in enumerate(fields)}, lat, lng, radius_km)


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
    return hits_of(arrays_near(queryset, lat, lng, radius_km, located, fields))


def with_objects(queryset: QuerySet, hits: list[Hit]) -> list[Hit]:
    """Load the model instances of ``hits`` (one query, the queryset's select/prefetch applied)."""
    found = queryset.in_bulk([h.pk for h in hits])
    for hit in hits:
        hit.obj = found.get(hit.pk)
    return [h for h in hits if h.obj is not None]


def with_values(queryset: QuerySet, hits: list[Hit], fields: Sequence[str]) -> list[Hit]:
    """Load the named ``fields`` of ``hits``' rows into ``hit.values`` (one query, no model instances)."""
    found = {row["pk"]: row for row in queryset.order_by().values("pk", *fields).filter(pk__in=[h.pk for h in hits])}
    for hit in hits:
        row = found.get(hit.pk)
        if row is not None:
            del row["pk"]
            hit.values.update(row)
    return [h for h in hits if h.pk in found]
