"""What an answer says about its positions: the datum their `lat`/`lng` are in.

A phone on AMap (GCJ-02) that asks `?crs=gcj02` and one that forgot to must not read each other's
numbers as the same place: the answer names its datum beside the coordinates. GeoJSON is the exception
that stays WGS-84 whatever is asked, as RFC 7946 requires.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from geo.edge import CrsName

POSITION_DATUM = (
    "The datum this answer's `lat`/`lng` are in: the `crs` the request asked for (default `wgs84`). "
    "The service stores WGS-84; `gcj02` is AMap's and Tencent's datum, `bd09` Baidu's."
)
GEOJSON_DATUM = (
    "GeoJSON (RFC 7946): always WGS-84 longitude/latitude, whatever `crs` the request asked for."
)

AnsweredCrs = Annotated[CrsName, Field(description=POSITION_DATUM, examples=["wgs84"])]
