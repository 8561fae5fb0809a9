from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ninja import Schema
from pydantic import Field

from api.positions import GEOJSON_DATUM, AnsweredCrs, Crs, CrsIn
from core.positions import point_out
from geo.lookup import Located
from geo.shapes import rfc7946

from .models import Area, AreaLevel

if TYPE_CHECKING:
    from .services import PositionsImported


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


class AreaFilters(CrsIn):
    level: AreaLevel | None = None
    parent: str | None = Field(None, max_length=12, pattern=r"^[0-9]{6,12}$")


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


class LocateIn(Schema):
    lat: float = Field(..., description="Latitude in `crs`.")
    lng: float = Field(..., description="Longitude in `crs`.")
    crs: Crs = "wgs84"


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


def located_out(found: Located) -> dict:
    return {
        "county": _ref(found.county),
        "township": _ref(found.township),
        "village": _ref(found.village),
        "distance_m": round(found.distance_m, 1) if found.distance_m is not None else None,
    }


def area_out(area: Area, crs: str, *, geometry: bool = False) -> dict:
    lat, lng = point_out(area.lat, area.lng, crs)
    out = {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent": area.parent_id,
        "lat": lat,
        "lng": lng,
        "crs": crs,
        "position_source": area.position_source,
        "position_accuracy_m": area.position_accuracy_m,
        "position_updated_at": area.position_updated_at,
    }
    if geometry:
        # Stored as the boundary data drew it; answered as RFC 7946 wants (one county: cheap).
        out["geometry"] = rfc7946(area.geometry)
    return out


def positions_import_out(done: PositionsImported) -> dict:
    return {"created": 0, "updated": done.updated, "unchanged": done.unchanged, "invalid": done.invalid,
            "dry_run": done.dry_run,
            "rows": [{"row": r.row, "code": r.code, "status": r.status, "errors": r.errors} for r in done.rows]}
