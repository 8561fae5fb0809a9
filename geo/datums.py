"""Conversions between WGS-84 and the two obfuscated datums Chinese map SDKs report.

Phones running AMap (高德) or Tencent maps report GCJ-02 ("Mars coordinates"), Baidu
maps report BD-09, and raw GNSS reports WGS-84. The three differ by 100-700 m inside
China, far more than a village fence tolerates, so every position is converted to
WGS-84 before it is stored or compared.

The forward transforms are the published formulas every open implementation uses
(Krasovsky-ellipsoid constants, Baidu's ``x_pi`` rotation). Neither has a closed-form
inverse. The widely copied "subtract the offset once" inverse is up to ~4 m off in
China (Baidu's published inverse up to ~0.2 m), so the inverses here refine the
estimate until pushing it forward again lands within ``_TOLERANCE_DEG`` of the input
(about 0.1 mm), which keeps round trips far inside the 0.01 m budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

CRS = Literal["wgs84", "gcj02", "bd09"]
SUPPORTED_CRS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

# GCJ-02 is defined with the Krasovsky 1940 ellipsoid, not WGS-84's; using the WGS-84
# semi-major axis (as some ports do) shifts results by about a centimetre.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323

# Baidu's obfuscation rotates and scales around the origin with these constants, then
# shifts by a fixed offset.
_X_PI = math.pi * 3000.0 / 180.0
_BD_LNG_OFFSET = 0.0065
_BD_LAT_OFFSET = 0.006

# 1e-9 degrees is ~0.1 mm: two orders of magnitude below the 0.01 m promise, yet well
# above double-precision noise at coordinates around 100 degrees (~1e-14).
_TOLERANCE_DEG = 1e-9
# Each refinement shrinks the error by roughly 1000x, so 4-5 steps normally suffice;
# the cap only guards against oscillation at the edge of the China rectangle.
_MAX_ITERATIONS = 30

LatLng = tuple[float, float]


class UnknownCRS(ValueError):
    """Raised for a coordinate reference system name this service does not speak."""

    def __init__(self, crs: object) -> None:
        super().__init__(f"unknown CRS {crs!r}; expected one of {', '.join(SUPPORTED_CRS)}")
        self.crs = crs


def out_of_china(lat: float, lng: float) -> bool:
    """Whether the GCJ-02 obfuscation leaves this point alone.

    This is the rectangle shared by the published GCJ-02 algorithms; points outside it
    pass through every transform unchanged, so e.g. a Hanoi fix is not shifted.
    """
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj02_offset(lat: float, lng: float) -> LatLng:
    """The GCJ-02 shift (dlat, dlng) in degrees at a WGS-84 point."""
    x = lng - 105.0
    y = lat - 35.0
    shared = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += shared
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlng += shared
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0

    # The shifts above are in metres-like units on the Krasovsky ellipsoid; scale them
    # by the meridional and prime-vertical radii of curvature to get degrees.
    rad_lat = math.radians(lat)
    magic = 1.0 - _KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlat, dlng


def _invert(forward: Callable[[float, float], LatLng], lat: float, lng: float, guess: LatLng) -> LatLng:
    """Solve ``forward(x) == (lat, lng)`` for x, starting from ``guess``.

    Both obfuscations are the identity plus a small, slowly varying shift, so their
    Jacobian is almost exactly the identity. Newton's method with the Jacobian taken as
    the identity then reduces to correcting the guess by the residual, and converges
    fast because the shift changes by only ~1e-3 degrees per degree.
    """
    est_lat, est_lng = guess
    for _ in range(_MAX_ITERATIONS):
        fwd_lat, fwd_lng = forward(est_lat, est_lng)
        err_lat = lat - fwd_lat
        err_lng = lng - fwd_lng
        if abs(err_lat) < _TOLERANCE_DEG and abs(err_lng) < _TOLERANCE_DEG:
            break
        est_lat += err_lat
        est_lng += err_lng
    return est_lat, est_lng


def wgs84_to_gcj02(lat: float, lng: float) -> LatLng:
    """WGS-84 to GCJ-02 by the published formula; identity outside China."""
    if out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _gcj02_offset(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> LatLng:
    """GCJ-02 to WGS-84, refined until it round-trips to ~0.1 mm.

    Whether the point is "in China" is decided by the forward transform on each
    estimate rather than on the input, so a point just inside the rectangle whose
    GCJ-02 image falls outside still round-trips wherever that is possible.
    """
    if out_of_china(lat, lng):
        # The obfuscation moves points by at most ~1 km, so an input this far out
        # cannot be the image of an in-China point worth refining.
        guess = (lat, lng)
    else:
        dlat, dlng = _gcj02_offset(lat, lng)
        guess = (lat - dlat, lng - dlng)
    return _invert(wgs84_to_gcj02, lat, lng, guess)


def gcj02_to_bd09(lat: float, lng: float) -> LatLng:
    """GCJ-02 to BD-09 by Baidu's published formula; identity outside China.

    Baidu applies its rotation worldwide, but its SDK only emits BD-09 for points in
    China; passing other points through keeps foreign fixes untouched in every CRS.
    """
    if out_of_china(lat, lng):
        return lat, lng
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + _BD_LAT_OFFSET, z * math.cos(theta) + _BD_LNG_OFFSET


def _bd09_to_gcj02_one_step(lat: float, lng: float) -> LatLng:
    """Baidu's published approximate inverse: good to ~0.2 m, used as a starting guess."""
    x = lng - _BD_LNG_OFFSET
    y = lat - _BD_LAT_OFFSET
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def bd09_to_gcj02(lat: float, lng: float) -> LatLng:
    """BD-09 to GCJ-02, refined until it round-trips to ~0.1 mm."""
    if out_of_china(lat, lng):
        return lat, lng
    return _invert(gcj02_to_bd09, lat, lng, _bd09_to_gcj02_one_step(lat, lng))


def wgs84_to_bd09(lat: float, lng: float) -> LatLng:
    """WGS-84 to BD-09: BD-09 is defined on top of GCJ-02, so go through it."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))


def bd09_to_wgs84(lat: float, lng: float) -> LatLng:
    """BD-09 to WGS-84 through GCJ-02; each leg is refined, so errors stay sub-millimetre."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))


_TO_WGS84: dict[str, Callable[[float, float], LatLng]] = {
    "wgs84": lambda lat, lng: (lat, lng),
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}

_FROM_WGS84: dict[str, Callable[[float, float], LatLng]] = {
    "wgs84": lambda lat, lng: (lat, lng),
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def to_wgs84(lat: float, lng: float, crs: str) -> LatLng:
    """Convert a point reported in ``crs`` to WGS-84, the datum the service stores."""
    try:
        convert = _TO_WGS84[crs]
    except (KeyError, TypeError):
        raise UnknownCRS(crs) from None
    return convert(lat, lng)


def from_wgs84(lat: float, lng: float, crs: str) -> LatLng:
    """Convert a stored WGS-84 point to ``crs`` so a client map shows it in the right place."""
    try:
        convert = _FROM_WGS84[crs]
    except (KeyError, TypeError):
        raise UnknownCRS(crs) from None
    return convert(lat, lng)
