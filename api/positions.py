"""Positions in requests and answers: the one datum type, the one point input, and what an answer says.

A request names the datum of the positions it sends, or wants back, as `crs` (`Crs`; default wgs84);
the service converts at the edge (core/positions.py) and stores WGS-84. `PointIn` is the one shape of a
position sent as a body (lat, lng, crs, accuracy_m?): schemas that carry one inherit it, so its fields
stay flat as the contract writes them.

A phone on AMap (GCJ-02) that asks `?crs=gcj02` and one that forgot to must not read each other's
numbers as the same place: the answer names its datum beside the coordinates. GeoJSON is the exception
that stays WGS-84 whatever is asked, as RFC 7946 requires.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from pydantic import Field

from geo.datums import CRS

REQUEST_DATUM = (
    "The datum of the positions this request sends or asks for: `wgs84` (GPS, the default), `gcj02` "
    "(AMap, Tencent) or `bd09` (Baidu)."
)
POSITION_DATUM = (
    "The datum this answer's `lat`/`lng` are in: the `crs` the request asked for (default `wgs84`). "
    "The service stores WGS-84; `gcj02` is AMap's and Tencent's datum, `bd09` Baidu's."
)
GEOJSON_DATUM = (
    "GeoJSON (RFC 7946): always WGS-84 longitude/latitude, whatever `crs` the request asked for."
)

Crs = Annotated[CRS, Field(description=REQUEST_DATUM)]
AnsweredCrs = Annotated[CRS, Field(description=POSITION_DATUM, examples=["wgs84"])]


class CrsIn(Schema):
    """A request that answers positions: in the datum it asks for."""

    crs: Crs = "wgs84"


class PointIn(Schema):
    """A position sent by a phone or a survey."""

    lat: float = Field(..., description="Latitude in `crs`.")
    lng: float = Field(..., description="Longitude in `crs`.")
    crs: Crs = "wgs84"
    accuracy_m: float | None = Field(None, ge=0, le=100_000,
                                     description="The phone's or the survey's horizontal accuracy (m).")
