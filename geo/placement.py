"""Deterministic, plausible positions for townships and villages of one county.

The division data names every township and village but gives no coordinates, yet the
service needs a point for each (fences, "nearest village", maps). Until real positions
are surveyed, they are generated here so that they:

* lie strictly inside the county polygon, so ``AreaIndex`` locates each one back to its
  own county;
* look like a real layout: township centres spread over the county (best-candidate /
  Mitchell sampling, which avoids the clumps plain random points form), and each
  township's villages scattered within a few km of its centre;
* never change: every random draw is seeded from the place's own code, so every run on
  every machine gives the same answer, and adding a village elsewhere does not move
  this one. Only ``Random.random()`` is used, because Python guarantees its sequence for
  a given seed across versions (``uniform``, ``choice`` etc. carry no such promise), and
  str seeds are hashed with SHA-512, not with the per-process salted ``hash()``.

Coordinates are returned rounded to 6 decimals (~0.1 m) and containment is tested
after rounding, so storing them with 6 decimals cannot push one across the border.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

# Rough km per degree; only used to make spacing isotropic, never for reported distances.
_KM_PER_DEG_LAT = 110.95
_KM_PER_DEG_LNG_AT_EQUATOR = 111.32

# Best-candidate sampling: more candidates per township spread centres more evenly; 30
# is past the point of visible improvement and still cheap.
_TOWNSHIP_CANDIDATES = 30
# A township centre hugging the county border looks wrong and leaves its villages little
# room. Counting border distance double means a centre sits at least half a typical
# township spacing from the edge before it competes on spacing alone.
_BORDER_WEIGHT = 2.0

# Villages of a township lie within this many km of its centre. In Baise a township
# covers ~150-300 km2 (a disc of radius 7-10 km), and villages cluster along the valley
# roads nearer the township seat, so 60 % of the township's equivalent radius, kept
# within 3-6 km, reads right on a map.
_VILLAGE_SPREAD_MIN_KM = 3.0
_VILLAGE_SPREAD_MAX_KM = 6.0
_VILLAGE_SPREAD_SHARE = 0.6

_BATCH = 32
# Each failed batch near the border halves the search disc; the centre is strictly
# inside, so after a few halvings some neighbourhood of it is entirely inside.
_MAX_SHRINKS = 40
_DECIMALS = 6

LatLng = tuple[float, float]


class _Frame:
    """A local equirectangular frame in km around the county, for spacing only."""

    def __init__(self, polygon: BaseGeometry) -> None:
        min_lng, min_lat, max_lng, max_lat = polygon.bounds
        self.lat0 = (min_lat + max_lat) / 2.0
        self.lng0 = (min_lng + max_lng) / 2.0
        self.km_per_deg_lng = _KM_PER_DEG_LNG_AT_EQUATOR * math.cos(math.radians(self.lat0))

    def to_km(self, lat: float, lng: float) -> tuple[float, float]:
        return (lng - self.lng0) * self.km_per_deg_lng, (lat - self.lat0) * _KM_PER_DEG_LAT

    def offset_deg(self, east_km: float, north_km: float) -> tuple[float, float]:
        return north_km / _KM_PER_DEG_LAT, east_km / self.km_per_deg_lng

    def project(self, geometry: BaseGeometry) -> BaseGeometry:
        origin = (self.lng0, self.lat0)
        scale = (self.km_per_deg_lng, _KM_PER_DEG_LAT)
        return shapely.transform(geometry, lambda xy: (xy - origin) * scale)


def _rng_for(code: str) -> random.Random:
    return random.Random(f"baise-placement:{code}")


def _rounded(lat: float, lng: float) -> LatLng:
    return round(lat, _DECIMALS), round(lng, _DECIMALS)


def _inside(polygon: BaseGeometry, points: list[LatLng]) -> list[bool]:
    lats = np.fromiter((lat for lat, _ in points), dtype=float, count=len(points))
    lngs = np.fromiter((lng for _, lng in points), dtype=float, count=len(points))
    return shapely.contains_xy(polygon, lngs, lats).tolist()


def _random_points_inside(polygon: BaseGeometry, rng: random.Random, count: int) -> list[LatLng]:
    """``count`` uniform points strictly inside ``polygon``, by rejection from its bbox."""
    min_lng, min_lat, max_lng, max_lat = polygon.bounds
    found: list[LatLng] = []
    while len(found) < count:
        batch = [
            _rounded(
                min_lat + (max_lat - min_lat) * rng.random(), min_lng + (max_lng - min_lng) * rng.random()
            )
            for _ in range(_BATCH)
        ]
        found.extend(point for point, ok in zip(batch, _inside(polygon, batch), strict=True) if ok)
    return found[:count]


def _township_centres(
    polygon: BaseGeometry, frame: _Frame, codes: list[str], pinned: Mapping[str, LatLng]
) -> dict[str, LatLng]:
    """Spread one centre per township over the county by best-candidate sampling.

    Pinned centres are placed first so the generated ones keep their distance from them.
    """
    border_km = frame.project(polygon).boundary
    centres: dict[str, LatLng] = {}
    placed_km: list[tuple[float, float]] = []
    for code in codes:
        if code in pinned:
            centres[code] = pinned[code]
            placed_km.append(frame.to_km(*pinned[code]))
    for code in codes:
        if code in centres:
            continue
        candidates = _random_points_inside(polygon, _rng_for(code), _TOWNSHIP_CANDIDATES)
        candidate_km = np.array([frame.to_km(lat, lng) for lat, lng in candidates])
        score = _BORDER_WEIGHT * shapely.distance(border_km, shapely.points(candidate_km))
        if placed_km:
            gaps = candidate_km[:, None, :] - np.array(placed_km)[None, :, :]
            score = np.minimum(score, np.sqrt((gaps**2).sum(axis=2)).min(axis=1))
        # argmax returns the first maximum, so ties resolve the same way everywhere.
        best = int(np.argmax(score))
        centres[code] = candidates[best]
        placed_km.append(tuple(candidate_km[best]))
    return centres


def _village_spread_km(polygon: BaseGeometry, frame: _Frame, township_count: int) -> float:
    area_km2 = frame.project(polygon).area
    equivalent_radius = math.sqrt(area_km2 / max(township_count, 1) / math.pi)
    return min(_VILLAGE_SPREAD_MAX_KM, max(_VILLAGE_SPREAD_MIN_KM, _VILLAGE_SPREAD_SHARE * equivalent_radius))


def _village_near(
    polygon: BaseGeometry, frame: _Frame, centre: LatLng, spread_km: float, code: str
) -> LatLng:
    """A point uniformly spread in a disc around ``centre``, strictly inside ``polygon``."""
    rng = _rng_for(code)
    radius_km = spread_km
    for _ in range(_MAX_SHRINKS):
        batch = []
        for _ in range(_BATCH):
            # sqrt makes the density uniform over the disc's area rather than its radius.
            distance = radius_km * math.sqrt(rng.random())
            bearing = 2.0 * math.pi * rng.random()
            dlat, dlng = frame.offset_deg(distance * math.sin(bearing), distance * math.cos(bearing))
            batch.append(_rounded(centre[0] + dlat, centre[1] + dlng))
        for point, ok in zip(batch, _inside(polygon, batch), strict=True):
            if ok:
                return point
        radius_km /= 2.0
    # Unreachable for a centre strictly inside; kept so a pathological polygon degrades
    # to a shared point instead of an endless loop.
    return centre


def place_areas(
    county_geometry: dict[str, Any],
    townships: list[tuple[str, list[str]]],
    pinned_centres: Mapping[str, LatLng] | None = None,
) -> dict[str, LatLng]:
    """Map every township code and village code of one county to a ``(lat, lng)``.

    ``county_geometry`` is the county's GeoJSON (Multi)Polygon in lon/lat;
    ``townships`` lists ``(township_code, [village_code, ...])``. The result does not
    depend on the order of either list.

    ``pinned_centres`` optionally fixes some township centres at known positions (e.g.
    the township holding the county seat at the seat); they must lie strictly inside
    the county. The other townships are then spread around them.
    """
    polygon = shape(county_geometry)
    if polygon.is_empty or polygon.area <= 0.0:
        raise ValueError("county geometry has no area to place townships in")
    shapely.prepare(polygon)
    frame = _Frame(polygon)

    pinned = {code: (float(lat), float(lng)) for code, (lat, lng) in (pinned_centres or {}).items()}
    outside = sorted(
        code for code, ok in zip(pinned, _inside(polygon, list(pinned.values())), strict=True) if not ok
    )
    if outside:
        raise ValueError(f"pinned township centres outside the county: {', '.join(outside)}")

    ordered = sorted((code, sorted(villages)) for code, villages in townships)
    centres = _township_centres(polygon, frame, [code for code, _ in ordered], pinned)
    spread_km = _village_spread_km(polygon, frame, len(ordered))

    positions: dict[str, LatLng] = dict(centres)
    for township_code, village_codes in ordered:
        for village_code in village_codes:
            positions[village_code] = _village_near(
                polygon, frame, centres[township_code], spread_km, village_code
            )
    return positions
