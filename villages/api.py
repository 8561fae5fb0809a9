"""Areas and categories (reference data; any logged-in user may read them), surveyed positions, and
`/geo/locate` (which county, township and village a point is in)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Path, Query, Router
from ninja.files import UploadedFile

from accounts.models import Role
from accounts.scoping import ensure_role
from api.auth import jwt_auth
from api.pagination import PageIn, page_of
from api.positions import Crs, PointIn
from core.positions import point_in

from . import services
from .position_files import positions_from_upload
from .schemas import (
    AreaDetailOut,
    AreaFilters,
    AreaOut,
    AreaPage,
    CategoryPage,
    LocateIn,
    LocateOut,
    PositionsImportOut,
    area_out,
    located_out,
    positions_import_out,
)
from .selectors import (
    area_get,
    area_index,
    areas_list,
    categories_list,
)

router = Router(tags=["areas"], auth=jwt_auth)


@router.get("/areas", response=AreaPage, summary="List areas by level and parent")
def areas(request: HttpRequest, filters: Query[AreaFilters], pager: Query[PageIn]):
    page = page_of(areas_list(level=filters.level, parent=filters.parent), pager)
    page["items"] = [area_out(a, filters.crs) for a in page["items"]]
    return page


@router.post("/areas/positions/import", response=PositionsImportOut,
             summary="Surveyed positions from a file (.csv/.xlsx: 区划代码, lat, lng[, crs, accuracy_m]; or GeoJSON)")
def positions_import(request: HttpRequest, file: File[UploadedFile], dry_run: bool = False,
                     crs: Crs = "wgs84"):
    ensure_role(request.auth, Role.COUNTY_STAFF, Role.BUREAU)
    done = services.positions_import(actor=request.auth, rows=positions_from_upload(file), crs=crs, dry_run=dry_run)
    return positions_import_out(done)


@router.put("/areas/{code}/position", response=AreaOut,
            summary="Set a township's or village's surveyed position (township staff on site: their villages)")
def position_set(request: HttpRequest, code: Path[str], payload: PointIn):
    area = services.area_position_set(actor=request.auth, area=area_get(code), lat=payload.lat, lng=payload.lng,
                                      crs=payload.crs, accuracy_m=payload.accuracy_m)
    return area_out(area, payload.crs)


@router.get("/areas/{code}", response=AreaDetailOut, summary="One area; ?geometry=1 adds its boundary")
def area(
    request: HttpRequest,
    code: Path[str],
    geometry: bool = False,
    crs: Crs = "wgs84",
):
    return area_out(area_get(code, with_geometry=geometry), crs, geometry=geometry)


@router.get("/categories", response=CategoryPage, summary="Expertise and problem categories")
def categories(request: HttpRequest, pager: Query[PageIn]):
    return page_of(categories_list(), pager)


@router.get("/geo/locate", response=LocateOut, summary="Locate a point: county, township, nearest village",
            tags=["geo"], operation_id="geo_api_locate")
def locate(request: HttpRequest, filters: Query[LocateIn]):
    return located_out(area_index().locate(*point_in(filters.lat, filters.lng, filters.crs)))
