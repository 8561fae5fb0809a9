from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from api.positions import GEOJSON_DATUM, AnsweredCrs


class AreaOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None = Field(None, description="The parent area's code.")
    lat: float | None = None
    lng: float | None = None
    crs: AnsweredCrs
    position_source: str = Field(
        "", description="surveyed | generated | seat | centroid: generated positions are placeholders."
    )
    position_accuracy_m: float | None = Field(None, description="A surveyed position's accuracy, where given.")
    position_updated_at: datetime | None = Field(None, description="When the position was last surveyed.")


class AreaDetailOut(AreaOut):
    geometry: dict[str, Any] | None = Field(
        None, description=f"The boundary (with ?geometry=1), where known. {GEOJSON_DATUM}"
    )


class AreaPage(Schema):
    count: int
    items: list[AreaOut]


class AreaFilters(Schema):
    level: Literal["city", "county", "township", "village"] | None = None
    parent: str | None = Field(None, max_length=12, pattern=r"^[0-9]{6,12}$")
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class PositionIn(Schema):
    lat: float
    lng: float
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    accuracy_m: float | None = Field(None, ge=0, le=100_000, description="The phone's or survey's accuracy (m).")


class PositionRowOut(Schema):
    row: int = Field(..., description="The sheet's row number (the header is row 1), or the feature's (from 1).")
    code: str
    status: Literal["updated", "unchanged", "invalid"]
    errors: dict[str, str] | None = Field(None, description="Why an invalid row was refused, field by field.")


class PositionsImportOut(Schema):
    created: int = Field(0, description="Always 0: positions are set on existing areas, never create one.")
    updated: int
    unchanged: int
    invalid: int
    dry_run: bool
    rows: list[PositionRowOut]


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str


class CategoryPage(Schema):
    count: int
    items: list[CategoryOut]


CrsName = Literal["wgs84", "gcj02", "bd09"]
