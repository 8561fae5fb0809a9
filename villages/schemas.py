from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import Field


class AreaOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None = Field(None, description="The parent area's code.")
    lat: float | None = None
    lng: float | None = None
    position_source: str = Field(
        "", description="surveyed | generated | seat | centroid: generated positions are placeholders."
    )


class AreaDetailOut(AreaOut):
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON boundary (with ?geometry=1), where known.")


class AreaPage(Schema):
    count: int
    items: list[AreaOut]


class AreaFilters(Schema):
    level: Literal["city", "county", "township", "village"] | None = None
    parent: str | None = Field(None, max_length=12, pattern=r"^[0-9]{6,12}$")
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str


class CategoryPage(Schema):
    count: int
    items: list[CategoryOut]
