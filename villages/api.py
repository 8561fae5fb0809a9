"""Areas and categories (reference data; any logged-in user may read them)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import File, Path, Query, Router
from ninja.files import UploadedFile

from accounts.models import Role
from accounts.scoping import ensure_role
from api.auth import jwt_auth
from api.pagination import PageIn, page_of
from geo.edge import point_out
from geo.shapes import rfc7946

from . import services
from .models import Area
from .position_files import positions_from_upload
from .schemas import (
    AreaDetailOut,
    AreaFilters,
    AreaOut,
    AreaPage,
    CategoryPage,
    CrsName,
    PositionIn,
    PositionsImportOut,
)
from .selectors import (
    area_get,
    areas_list,
    categories_list,
)

router = Router(tags=["areas"], auth=jwt_auth)


def _area_out(area: Area, crs: str, *, geometry: bool = False) -> dict:
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


@router.get("/areas", response=AreaPage, summary="List areas by level and parent")
def areas(request: HttpRequest, filters: Query[AreaFilters], pager: Query[PageIn]):
    page = page_of(areas_list(level=filters.level, parent=filters.parent), pager)
    page["items"] = [_area_out(a, filters.crs) for a in page["items"]]
    return page


@router.post("/areas/positions/import", response=PositionsImportOut,
             summary="Surveyed positions from a file (.csv/.xlsx: 区划代码, lat, lng[, crs, accuracy_m]; or GeoJSON)")
def positions_import(request: HttpRequest, file: File[UploadedFile], dry_run: bool = False,
                     crs: CrsName = "wgs84"):
    ensure_role(request.auth, Role.COUNTY_STAFF, Role.BUREAU)
    done = services.positions_import(actor=request.auth, rows=positions_from_upload(file), crs=crs, dry_run=dry_run)
    return {"created": 0, "updated": done.updated, "unchanged": done.unchanged, "invalid": done.invalid,
            "dry_run": done.dry_run,
            "rows": [{"row": r.row, "code": r.code, "status": r.status, "errors": r.errors} for r in done.rows]}


@router.put("/areas/{code}/position", response=AreaOut,
            summary="Set a township's or village's surveyed position (township staff on site: their villages)")
def position_set(request: HttpRequest, code: Path[str], payload: PositionIn):
    area = services.area_position_set(actor=request.auth, area=area_get(code), lat=payload.lat, lng=payload.lng,
                                      crs=payload.crs, accuracy_m=payload.accuracy_m)
    return _area_out(area, payload.crs)


@router.get("/areas/{code}", response=AreaDetailOut, summary="One area; ?geometry=1 adds its boundary")
def area(
    request: HttpRequest,
    code: Path[str],
    geometry: bool = False,
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84",
):
    return _area_out(area_get(code, with_geometry=geometry), crs, geometry=geometry)


@router.get("/categories", response=CategoryPage, summary="Expertise and problem categories")
def categories(request: HttpRequest, pager: Query[PageIn]):
    return page_of(categories_list(), pager)
