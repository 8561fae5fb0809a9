"""Near, the pure half: rows within a radius of a point, from their positions, nearest first.

The one "near" selector every feature uses (problems near a commissioner, commissioners near a
problem, villages near a point) is in two parts. core/near.py asks the database for the candidates
(by grid cell and bounding box, as light rows); this module decides, on numbers alone:

1. **Refine**: a vectorised haversine (fast, within 0.5 % of the ellipsoid) decides everything
   it can; only candidates in the band where its error could matter (0.99–1.01 of the radius)
   are measured again on the WGS-84 ellipsoid (vectorised Vincenty, within a millimetre of Karney),
   so the radius is respected exactly (`refine`).
2. **Order**: nearest first by haversine; the page a caller shows is re-ordered by the geodesic
   distance within a tie band wide enough to cover haversine's error, so the page's order and
   its ``distance_km`` are the ellipsoid's, exactly as brute force would give (`nearest_page`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .distance import MEAN_EARTH_RADIUS_KM, geodesic_many_m

# Haversine on the mean sphere is within 0.5 % (plus a little) of the WGS-84 geodesic; the bands
# below are wider than that so nothing is decided on the sphere that the ellipsoid would not.
_RADIUS_SURE_IN = 0.99
_RADIUS_SURE_OUT = 1.01
_ORDER_BAND = 1.02


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


def refine(pks: np.ndarray, lats: np.ndarray, lngs: np.ndarray, values: dict[str, np.ndarray],
           lat: float, lng: float, radius_km: float) -> NearArrays:
    """The candidates within ``radius_km`` (geodesic) of the point, nearest first (ties by pk)."""
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
                      {name: column[order] for name, column in values.items()})


def nearest_page_of(found: NearArrays, lat: float, lng: float, offset: int, limit: int) -> list[Hit]:
    """`nearest_page` on the columns: only the page and its tie band become hits (a page of 20 out of
    hundreds of rows builds a few dozen objects, not hundreds)."""
    if offset >= len(found) or limit <= 0:
        return []
    end = min(offset + limit, len(found))
    # The band `nearest_page` re-sorts: rows within 1.02 × of the window's first and last distances.
    first = int(np.searchsorted(found.km, found.km[offset] / _ORDER_BAND, side="left"))
    last = int(np.searchsorted(found.km, found.km[end - 1] * _ORDER_BAND, side="right"))
    band = NearArrays(found.pk[first:last], found.lat[first:last], found.lng[first:last], found.km[first:last],
                      found.exact_km[first:last], {name: c[first:last] for name, c in found.values.items()})
    return nearest_page(hits_of(band), lat, lng, offset - first, limit)


def hits_of(found: NearArrays) -> list[Hit]:
    """The rows as light hits carrying pk, position and the named fields (in ``hit.values``)."""
    names = list(found.values)
    values = [found.values[name].tolist() for name in names]
    exact = found.exact_km.tolist()
    return [
        Hit(pk, la, ln, km, None if math.isnan(e) else e, {name: values[j][i] for j, name in enumerate(names)})
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
