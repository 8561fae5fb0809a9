from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field


class CommissionerOut(Schema):
    id: int = Field(..., description="The commissioner's user id.")
    name: str
    area_code: str
    expertise: list[str]
    home_lat: float | None = None
    home_lng: float | None = None
    available: bool
    distance_km: float | None = Field(None, description="Geodesic distance from `near`, when given.")


class CommissionerPage(Schema):
    count: int
    items: list[CommissionerOut]


class CommissionerFilters(Schema):
    county: str | None = Field(None, pattern=r"^[0-9]{6}$")
    category: str | None = Field(None, max_length=32)
    near: str | None = Field(None, description="`lat,lng` in `crs`.", examples=["23.90,106.61"])
    radius_km: float = Field(30.0, gt=0, le=500)
    available: bool | None = None
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class CommissionerPatchIn(Schema):
    expertise: list[str] | None = Field(None, max_length=32)
    home_lat: float | None = None
    home_lng: float | None = None
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    available: bool | None = None
