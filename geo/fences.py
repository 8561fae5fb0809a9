"""Is a reported phone position "at" a village (radius fence) or in an area (polygon fence)?

Both checks return a ``FenceCheck`` with machine-readable reason codes so the API can
explain a rejection and staff can audit acceptances:

* ``inside``                  the reported point itself is inside the fence
* ``inside_within_accuracy``  the point is outside, but its accuracy circle reaches the fence
* ``outside_fence``           outside even after allowing for the reported accuracy
* ``accuracy_unknown``        no usable accuracy was sent; judged on the point alone
* ``accuracy_capped``         the phone claimed worse than ``ACCURACY_CAP_M``; only the cap is allowed
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geo.distance import geodesic_m, validate_point

# An administrative village (行政村) in Baise's karst mountains is not a point: its
# hamlets (自然屯) sit 1-3 km from the village committee, strung along valleys, and a
# commissioner working in a field or orchard is often further out. Phone GPS under
# forest canopy or between karst peaks drifts by a few hundred metres. 3 km around the
# committee covers a typical village's hamlets plus that drift, while still rejecting
# someone in the county seat or a neighbouring township (townships are ~15-25 km
# apart). Rejecting a commissioner who really is in the village costs more goodwill
# than occasionally accepting one from the next village over, hence the generous
# figure. The generated village positions are only approximate, so villages whose
# committee position has been surveyed may warrant a tighter, per-village radius.
DEFAULT_VILLAGE_RADIUS_M = 3000

# The reported accuracy widens the fence, but only up to this much: a phone reporting
# +/- 5 km (cell-tower fix, GPS off) has not shown it is anywhere near the village and
# must not get a free pass. 500 m comfortably covers real GPS fixes in poor conditions.
ACCURACY_CAP_M = 500.0

INSIDE = "inside"
INSIDE_WITHIN_ACCURACY = "inside_within_accuracy"
OUTSIDE_FENCE = "outside_fence"
ACCURACY_UNKNOWN = "accuracy_unknown"
ACCURACY_CAPPED = "accuracy_capped"


@dataclass(frozen=True)
class FenceCheck:
    """The verdict of a fence check.

    ``distance_m`` is how far the reported point lies outside the fence boundary (0 when
    it is inside), before any accuracy allowance. ``effective_radius_m`` is how far from
    the fence's reference the point may be and still count: for a radius fence the
    radius plus the accuracy allowance; for a polygon fence just the allowance beyond
    the boundary. ``center_distance_m`` is the distance to a radius fence's centre
    (None for polygons), handy for "you are 3.4 km from the village" messages.
    """

    inside: bool
    distance_m: float
    effective_radius_m: float
    reasons: tuple[str, ...]
    center_distance_m: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        return data


def _accuracy_allowance(accuracy_m: float | None) -> tuple[float, tuple[str, ...]]:
    """How many metres of slack the reported accuracy earns, and why.

    A missing, negative or non-finite accuracy earns none: some Android builds send -1
    or 0 when they have no estimate, and guessing would be arbitrary.
    """
    if accuracy_m is None or not math.isfinite(accuracy_m) or accuracy_m < 0:
        return 0.0, (ACCURACY_UNKNOWN,)
    if accuracy_m > ACCURACY_CAP_M:
        return ACCURACY_CAP_M, (ACCURACY_CAPPED,)
    return float(accuracy_m), ()


def _verdict(outside_by_m: float, allowance_m: float) -> tuple[bool, str]:
    if outside_by_m <= 0.0:
        return True, INSIDE
    if outside_by_m <= allowance_m:
        return True, INSIDE_WITHIN_ACCURACY
    return False, OUTSIDE_FENCE


def check_radius_fence(
    center_lat: float,
    center_lng: float,
    radius_m: float,
    lat: float,
    lng: float,
    accuracy_m: float | None = None,
) -> FenceCheck:
    """Check a WGS-84 point against a circle of ``radius_m`` around a centre."""
    if not radius_m >= 0.0:
        raise ValueError(f"radius_m must be a non-negative number, got {radius_m!r}")
    lat, lng = validate_point(lat, lng)
    allowance, accuracy_reasons = _accuracy_allowance(accuracy_m)
    from_center = geodesic_m(center_lat, center_lng, lat, lng)
    outside_by = max(0.0, from_center - radius_m)
    inside, verdict = _verdict(outside_by, allowance)
    return FenceCheck(
        inside=inside,
        distance_m=outside_by,
        effective_radius_m=radius_m + allowance,
        reasons=(verdict, *accuracy_reasons),
        center_distance_m=from_center,
    )


def polygon_from(polygon: BaseGeometry | dict[str, Any]) -> BaseGeometry:
    """Accept a shapely geometry or a GeoJSON geometry dict (lon/lat order)."""
    if isinstance(polygon, BaseGeometry):
        return polygon
    return shape(polygon)


def distance_outside_polygon_m(polygon: BaseGeometry, lat: float, lng: float) -> float:
    """Geodesic metres from a point to the nearest point of ``polygon``; 0 if covered.

    In raw lon/lat a degree of longitude is only cos(lat) as long as a degree of
    latitude, so the planar-nearest vertex can be the wrong one. Scaling longitudes by
    cos(lat) first makes the plane locally isotropic around the point, so the nearest
    point found there is the true nearest for any fence a few tens of km across; the
    final distance is then measured on the ellipsoid.
    """
    here = Point(lng, lat)
    if polygon.covers(here):
        return 0.0
    # Floored so a fix at a pole (valid input, meaningless here) cannot divide by zero.
    scale = max(math.cos(math.radians(lat)), 1e-9)
    squashed = shapely.transform(polygon, lambda xy: xy * (scale, 1.0))
    _, nearest = nearest_points(Point(lng * scale, lat), squashed)
    return geodesic_m(lat, lng, nearest.y, nearest.x / scale)


def check_polygon_fence(
    polygon: BaseGeometry | dict[str, Any],
    lat: float,
    lng: float,
    accuracy_m: float | None = None,
) -> FenceCheck:
    """Check a WGS-84 point against a polygon (boundary counts as inside)."""
    lat, lng = validate_point(lat, lng)
    allowance, accuracy_reasons = _accuracy_allowance(accuracy_m)
    outside_by = distance_outside_polygon_m(polygon_from(polygon), lat, lng)
    inside, verdict = _verdict(outside_by, allowance)
    return FenceCheck(
        inside=inside,
        distance_m=outside_by,
        effective_radius_m=allowance,
        reasons=(verdict, *accuracy_reasons),
    )
