"""Positions at the edge: in the client's datum in, WGS-84 stored, the asked datum out.

Phones in China report GCJ-02 (AMap, Tencent) or BD-09 (Baidu); the service stores WGS-84 and
converts here, once, so nothing behind the edge ever sees another datum.
"""

from __future__ import annotations

import math

from django.utils.translation import gettext_lazy as _

from geo.datums import SUPPORTED_CRS, from_wgs84, to_wgs84
from geo.distance import InvalidCoordinate, validate_point

from .errors import Invalid


def _coordinate_reason(exc: InvalidCoordinate) -> str:
    if exc.kind == "out_of_range" and exc.limit is not None:
        return _("must be between %(min)s and %(max)s") % {"min": f"{-exc.limit:g}", "max": f"{exc.limit:g}"}
    if exc.kind == "not_finite":
        return _("must be finite")
    return _("must be a number")


def point_in(lat: float, lng: float, crs: str | None = "wgs84", *, prefix: str = "") -> tuple[float, float]:
    """Validate a client's position and return it in WGS-84; 422 naming the field otherwise."""
    crs = crs or "wgs84"
    if crs not in SUPPORTED_CRS:
        raise Invalid(_("Unknown crs %(crs)s.") % {"crs": repr(crs)},
                      fields={f"{prefix}crs": _("one of %(values)s") % {"values": ", ".join(SUPPORTED_CRS)}})
    try:
        lat, lng = validate_point(lat, lng)
    except InvalidCoordinate as exc:
        reason = _coordinate_reason(exc)
        raise Invalid(f"{exc.field}: {reason}", fields={f"{prefix}{exc.field}": reason}) from exc
    return to_wgs84(lat, lng, crs)


def point_out(lat: float | None, lng: float | None, crs: str | None = "wgs84") -> tuple[float | None, float | None]:
    """A stored WGS-84 position in the datum the client asked for, rounded to ~1 cm."""
    if lat is None or lng is None:
        return None, None
    out_lat, out_lng = from_wgs84(lat, lng, crs or "wgs84")
    return round(out_lat, 7), round(out_lng, 7)


def parse_near(near: str, *, field: str = "near") -> tuple[float, float]:
    """`near=lat,lng` as the contract writes it."""
    try:
        lat_s, lng_s = near.split(",")
        lat, lng = float(lat_s), float(lng_s)
    except ValueError as exc:
        raise Invalid(_("`near` must be `lat,lng`."), fields={field: _("expected lat,lng")}) from exc
    if math.isnan(lat) or math.isnan(lng):
        raise Invalid(_("`near` must be numbers."), fields={field: _("NaN is not a position")})
    return lat, lng
