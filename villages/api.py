"""Areas and categories (reference data; any logged-in user may read them)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Path, Query, Router

from api.auth import jwt_auth
from api.pagination import PageIn, page_of
from geo.edge import point_out

from .models import Area
from .schemas import AreaDetailOut, AreaFilters, AreaPage, CategoryPage
from .selectors import area_get, areas_list, categories_list

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
        "position_source": area.position_source,
    }
    if geometry:
        out["geometry"] = area.geometry
    return out


@router.get("/areas", response=AreaPage, summary="List areas by level and parent")
def areas(request: HttpRequest, filters: Query[AreaFilters], pager: Query[PageIn]):
    page = page_of(areas_list(level=filters.level, parent=filters.parent), pager)
    page["items"] = [_area_out(a, filters.crs) for a in page["items"]]
    return page


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
