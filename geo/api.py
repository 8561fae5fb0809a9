"""`GET /geo/locate`: which county, township and village a point is in."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from api.auth import jwt_auth
from villages.selectors import area_index

from .edge import CrsName, point_in

router = Router(tags=["geo"], auth=jwt_auth)


class LocateIn(Schema):
    lat: float = Field(..., description="Latitude in `crs`.")
    lng: float = Field(..., description="Longitude in `crs`.")
    crs: CrsName = "wgs84"


class AreaRef(Schema):
    code: str
    name: str


class LocateOut(Schema):
    county: AreaRef | None = Field(None, description="The county containing the point; null outside Baise.")
    township: AreaRef | None = Field(None, description="The township of the nearest village.")
    village: AreaRef | None = Field(None, description="The nearest village in that county (generated positions).")
    distance_m: float | None = Field(None, description="Geodesic distance to that village's position, metres.")


def _ref(pair: tuple[str, str] | None) -> dict | None:
    return {"code": pair[0], "name": pair[1]} if pair else None


@router.get("/geo/locate", response=LocateOut, summary="Locate a point: county, township, nearest village")
def locate(request: HttpRequest, filters: Query[LocateIn]):
    lat, lng = point_in(filters.lat, filters.lng, filters.crs)
    found = area_index().locate(lat, lng)
    return {
        "county": _ref(found.county),
        "township": _ref(found.township),
        "village": _ref(found.village),
        "distance_m": round(found.distance_m, 1) if found.distance_m is not None else None,
    }
