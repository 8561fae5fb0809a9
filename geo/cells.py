"""A fixed lat/lng grid that turns "near this point" into a few B-tree range scans.

The service must run on SQLite as well as PostgreSQL, so it cannot rely on PostGIS or
R-tree modules. Instead every stored position also stores ``cell_of(lat, lng)``, an
integer with a plain B-tree index. Cell ids are ``row * 10_000 + col``, so the cells
of one grid row are consecutive integers and a bounding box becomes one
``cell BETWEEN lo AND hi`` per row it touches (see ``cell_ranges``). The database
narrows the candidates with those scans; the caller then measures the exact distance.

``CELL_DEG`` is 0.1 degree: about 11.1 km north-south everywhere and about 10.2 km
east-west at Baise's latitude (~24 N). A 10 km search touches only 3 rows, while a
cell is still small enough that a dense town does not put thousands of rows in one.

No antimeridian handling beyond clamping: nothing this service stores is near 180
degrees (China spans roughly 73-135 E), so a box that would wrap is simply cut off.
"""

from __future__ import annotations

import math

CELLS_PER_DEGREE = 10
CELL_DEG = 1.0 / CELLS_PER_DEGREE
ROWS = 180 * CELLS_PER_DEGREE
COLS = 360 * CELLS_PER_DEGREE
# Must exceed COLS so a row's cells never collide with the next row's; a round power
# of ten keeps ids human-readable (row 1139, col 2865 -> 11392865).
ROW_STRIDE = 10_000

# The shortest radius of curvature of the WGS-84 ellipsoid (the meridional radius at
# the equator, a(1 - e^2) = 6335.44 km), rounded down. A sphere this small is
# everywhere "smaller" than the ellipsoid, so any point within r of the centre on the
# ellipsoid, or on the 6371 km mean sphere, is within r on it too: boxes computed on it
# are conservative for both geodesic_m and haversine_km.
_CONSERVATIVE_EARTH_RADIUS_KM = 6335.0
# Absorbs floating-point rounding in the trigonometry below (1e-9 degree ~ 0.1 mm).
_EDGE_SLACK_DEG = 1e-9


def _grid_index(offset_deg: float, count: int) -> int:
    """Index of the grid line at or below ``offset_deg`` (degrees from -90 or -180).

    Multiplying by an integer rather than dividing by 0.1, then rounding to 9 decimals
    before flooring, makes boundary values land where people expect (113.3 * 10 is
    1132.9999999999998 in binary, but belongs to cell 1133). Both steps are monotonic,
    which is what actually matters: a point between two box edges always gets an index
    between the edges' indices, so cell_of and cell_ranges can never disagree.
    The last grid line (lat 90, lng 180) is folded into the last cell.
    """
    index = math.floor(round(offset_deg * CELLS_PER_DEGREE, 9))
    return min(max(index, 0), count - 1)


def _row_of(lat: float) -> int:
    return _grid_index(lat + 90.0, ROWS)


def _col_of(lng: float) -> int:
    return _grid_index(lng + 180.0, COLS)


def cell_of(lat: float, lng: float) -> int:
    """The grid cell id to store alongside a WGS-84 position."""
    return _row_of(lat) * ROW_STRIDE + _col_of(lng)


def bbox_around(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """``(min_lat, min_lng, max_lat, max_lng)`` containing every point within ``radius_km``.

    Latitude: a distance r never moves more than r / R radians north or south.
    Longitude: on a sphere the widest point of a circle of angular radius d around
    latitude phi is asin(sin d / cos phi) away, which grows quickly towards the poles;
    once the circle reaches a pole it spans every longitude.
    """
    if not radius_km >= 0.0:  # also rejects NaN
        raise ValueError(f"radius_km must be a non-negative number, got {radius_km!r}")
    angular = radius_km / _CONSERVATIVE_EARTH_RADIUS_KM
    dlat = math.degrees(angular) + _EDGE_SLACK_DEG
    min_lat = max(-90.0, lat - dlat)
    max_lat = min(90.0, lat + dlat)

    reaches_pole = min_lat <= -90.0 or max_lat >= 90.0 or angular >= math.pi / 2.0
    cos_lat = math.cos(math.radians(lat))
    if reaches_pole or math.sin(angular) >= cos_lat:
        return min_lat, -180.0, max_lat, 180.0
    dlng = math.degrees(math.asin(math.sin(angular) / cos_lat)) + _EDGE_SLACK_DEG
    return min_lat, max(-180.0, lng - dlng), max_lat, min(180.0, lng + dlng)


def cell_ranges(lat: float, lng: float, radius_km: float) -> list[tuple[int, int]]:
    """Inclusive ``(lo, hi)`` cell-id ranges, one per grid row, covering ``bbox_around``.

    Query with ``OR`` of ``cell BETWEEN lo AND hi``: each is one B-tree range scan.
    """
    min_lat, min_lng, max_lat, max_lng = bbox_around(lat, lng, radius_km)
    first_col = _col_of(min_lng)
    last_col = _col_of(max_lng)
    return [
        (row * ROW_STRIDE + first_col, row * ROW_STRIDE + last_col)
        for row in range(_row_of(min_lat), _row_of(max_lat) + 1)
    ]
