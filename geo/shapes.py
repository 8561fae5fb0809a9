"""Map shapes: RFC 7946 GeoJSON out, and townships derived as a partition of their county.

Pure (shapely and numpy, no Django), like the rest of geo/: `stats/geometry.py` feeds it rows and
caches what it returns, so this work is done once per change of the areas, never per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, mapping, shape
from shapely.geometry.base import BaseGeometry

# RFC 7946 §11.2: six decimals of a degree are about 0.1 m, finer than any position we hold.
DECIMALS = 6
GRID_DEG = 10.0**-DECIMALS
# Township edges shared by two townships are simplified for the map (~50 m tolerance keeps the
# payload small); the county's own border is left exactly as the boundary data draw it.
SIMPLIFY_DEG = 0.0005


def _rounded(geometry: BaseGeometry) -> BaseGeometry:
    # numpy's round divides an integer by 10**6, which yields the double nearest the decimal: its
    # shortest repr (what json.dumps writes) has at most six decimals.
    return shapely.transform(geometry, lambda xy: np.round(xy, DECIMALS))


def rfc7946(geometry: BaseGeometry | dict[str, Any] | None) -> dict[str, Any] | None:
    """A GeoJSON geometry as RFC 7946 wants it: exterior rings counter-clockwise, holes clockwise,
    coordinates rounded to six decimals. Accepts a shapely geometry or a GeoJSON mapping."""
    if geometry is None:
        return None
    if isinstance(geometry, dict):
        geometry = shape(geometry)
    # Snapping to the grid first keeps the result valid (a ring that the rounding would fold is
    # repaired); orientation is applied last, on the coordinates that are written out.
    geometry = shapely.set_precision(geometry, GRID_DEG)
    geometry = shapely.orient_polygons(_rounded(geometry), exterior_cw=False)
    return mapping(geometry)


def points(lngs: Iterable[float | None], lats: Iterable[float | None]) -> list[dict[str, Any] | None]:
    """GeoJSON Points at six decimals for many positions at once (``None`` where a position is unknown): the
    per-request path of a village map, where rounding each coordinate alone cost half the map (a province's
    17,754 villages: ≈70 ms of ``round``, ≈1 ms in numpy)."""
    lng = np.round(np.array(list(lngs), dtype=float), DECIMALS)
    lat = np.round(np.array(list(lats), dtype=float), DECIMALS)
    known = ~(np.isnan(lng) | np.isnan(lat))
    return [{"type": "Point", "coordinates": [x, y]} if k else None
            for x, y, k in zip(lng.tolist(), lat.tolist(), known.tolist(), strict=True)]


def township_partition(
    county: BaseGeometry, villages: Iterable[tuple[str, float, float]]
) -> dict[str, BaseGeometry]:
    """{township code: region} for one county, from its villages ``(township_code, lng, lat)``.

    A township's region is the union of the Voronoi cells of its villages (the ground closer to one
    of its villages than to any other village), clipped to the county. Voronoi cells tile the plane,
    so the regions are a partition of the county: they cover it and do not overlap. Every later step
    keeps that: the regions are snapped to the output grid together, and simplified as a coverage
    (shared edges simplified once, identically on both sides; the county border untouched), where
    simplifying each region on its own left slivers of overlap and gaps between neighbours.
    """
    # Two villages at one position (a survey that put them on the same spot) would make GEOS refuse
    # the diagram: the cell goes to the first of them, in the order given.
    first_at: dict[tuple[float, float], tuple[str, float, float]] = {}
    for township, x, y in villages:
        first_at.setdefault((x, y), (township, x, y))
    points = list(first_at.values())
    if len(points) < 2:
        return {}
    cells = shapely.voronoi_polygons(MultiPoint([(x, y) for _, x, y in points]), extend_to=county, ordered=True)
    by_township: dict[str, list[BaseGeometry]] = {}
    for (township, _, _), cell in zip(points, shapely.get_parts(cells), strict=True):
        by_township.setdefault(township, []).append(cell)
    codes = sorted(by_township)
    regions = np.array([shapely.union_all(by_township[code]).intersection(county) for code in codes])
    regions = shapely.set_precision(regions, GRID_DEG)
    regions = shapely.coverage_simplify(regions, SIMPLIFY_DEG, simplify_boundary=False)
    return dict(zip(codes, regions, strict=True))
