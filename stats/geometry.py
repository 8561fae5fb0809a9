"""Shapes for the coverage map.

Counties have their real boundaries. Townships and villages have none that are public: villages are
drawn as their points, and a township as the union of the Voronoi cells of its villages, clipped to
its county (`geo.shapes.township_partition`). That is the region closer to one of its villages than
to any other village: a fair stand-in for a township's territory when only the village positions are
known (and, while those are generated, an honest picture of what we know). The townships of a county
partition it: no overlaps, no gaps. Features say which geometries are derived.

Every shape leaves here as RFC 7946 wants it (exterior rings counter-clockwise, holes clockwise, six
decimals), made so once when the shapes are built and cached, not per request.
"""

from __future__ import annotations

import threading
from typing import Any

from shapely.geometry import shape

from geo.shapes import points, rfc7946, township_partition
from villages.models import Area, AreaLevel

_CACHE: dict[str, dict[str, tuple[dict[str, Any] | None, str]]] = {}
_KEYS: dict[str, tuple] = {}
_LOCK = threading.Lock()


def _fingerprint(level: str) -> tuple:
    # Shapes change only when areas are (re)imported or positions surveyed. County shapes depend on
    # the counties alone; township shapes on every village position too (a national aggregate).
    from django.db.models import Count, Max, Sum

    rows = Area.objects.filter(level=AreaLevel.COUNTY) if level == AreaLevel.COUNTY else Area.objects.all()
    agg = rows.aggregate(n=Count("code"), lat=Sum("lat"), lng=Max("lng"))
    return (level, agg["n"], round(agg["lat"] or 0, 6), agg["lng"])


def village_points(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any] | None, str]]:
    """Villages on the map: each row's point (``lat``, ``lng``), with where its position came from."""
    drawn = points((r["lng"] for r in rows), (r["lat"] for r in rows))
    return [(geometry, r["position_source"] or "none") for geometry, r in zip(drawn, rows, strict=True)]


def geometries(level: str) -> dict[str, tuple[dict[str, Any] | None, str]]:
    """{code: (GeoJSON geometry, source)} for every county or township; built once per process."""
    key = _fingerprint(level)
    with _LOCK:
        if _KEYS.get(level) != key:
            _CACHE[level] = _build(level)
            _KEYS[level] = key
        return _CACHE[level]


def _build(level: str) -> dict[str, tuple[dict[str, Any] | None, str]]:
    if level == AreaLevel.COUNTY:
        return {code: (rfc7946(geom), "boundary" if geom else "none")
                for code, geom in Area.objects.filter(level=AreaLevel.COUNTY).values_list("code", "geometry")}
    return _townships()


def _townships() -> dict[str, tuple[dict[str, Any] | None, str]]:
    counties = {code: shape(geom) for code, geom in
                Area.objects.filter(level=AreaLevel.COUNTY, geometry__isnull=False).values_list("code", "geometry")}
    villages: dict[str, list[tuple[str, float, float]]] = {}
    # In code order, so that the partition (and who gets a cell two villages share) is the same
    # on every backend and in every process.
    for county, township, lat, lng in Area.objects.filter(level=AreaLevel.VILLAGE, lat__isnull=False).order_by(
        "code"
    ).values_list("county_code", "township_code", "lat", "lng"):
        villages.setdefault(county, []).append((township, lng, lat))
    out: dict[str, tuple[dict[str, Any] | None, str]] = {}
    for county_code, located in villages.items():
        county = counties.get(county_code)
        if county is None:
            continue
        for township, region in township_partition(county, located).items():
            out[township] = (rfc7946(region), "derived_voronoi")
    for code in Area.objects.filter(level=AreaLevel.TOWNSHIP).values_list("code", flat=True):
        out.setdefault(code, (None, "none"))
    return out
