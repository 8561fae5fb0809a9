"""Areas and categories (reference data; any logged-in user may read them)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Path, Query, Router, Status
from ninja.files import UploadedFile

from accounts.models import Role
from accounts.scoping import ensure_role
from api.auth import jwt_auth
from api.pagination import PageIn, page_of
from core.errors import Invalid, OutsideScope
from geo.edge import parse_near, point_in, point_out
from geo.shapes import rfc7946
from media.schemas import PhotoOut
from media.selectors import photo_out

from . import problems, services
from .models import Area, Problem
from .position_files import positions_from_upload
from .problems import may_see_problem
from .schemas import (
    AreaDetailOut,
    AreaFilters,
    AreaOut,
    AreaPage,
    CategoryFilters,
    CategoryPage,
    ConfirmIn,
    CrsName,
    PositionIn,
    PositionsImportOut,
    ProblemDetailOut,
    ProblemFilters,
    ProblemIn,
    ProblemPage,
    WithdrawIn,
)
from .selectors import (
    area_get,
    areas_list,
    categories_list,
    problem_detail,
    problem_get,
    problems_list,
    village_get,
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


@router.get(
    "/categories", response=CategoryPage, summary="Expertise and problem categories (fields and their industries)",
    description="Two levels: the twelve fields (`parent` null) and the plan's industries under them (芒果 under "
                "果树, `parent: \"fruit-trees\"`). Problems, trainings and expertise take either level; an "
                "expertise in a field covers its industries in matching. Fields come first, then industries.",
)
def categories(request: HttpRequest, filters: Query[CategoryFilters], pager: Query[PageIn]):
    return page_of(categories_list(parent=filters.parent, top=filters.top), pager)


problems_router = Router(tags=["problems"], auth=jwt_auth)


def problem_out(problem: Problem, crs: str = "wgs84", distance_km: float | None = None) -> dict:
    lat, lng = point_out(problem.lat, problem.lng, crs)
    return {
        "id": problem.pk, "client_id": problem.client_id, "title": problem.title,
        "description": problem.description, "category": problem.category_id,
        "village_code": problem.village_id, "village_name": problem.village.name, "lat": lat, "lng": lng,
        "crs": crs, "urgency": problem.urgency, "status": problem.status, "deadline": problem.deadline,
        "posted_by": {"id": problem.posted_by_id, "name": problem.posted_by.name},
        "resolution_summary": problem.resolution_summary, "resolved_at": problem.resolved_at,
        "rating": problem.rating, "rating_comment": problem.rating_comment, "closed_at": problem.closed_at,
        "escalated_at": problem.escalated_at, "created_at": problem.created_at, "updated_at": problem.updated_at,
        "distance_km": distance_km,
    }


def visible_problem(user, problem_id: int) -> Problem:
    """The problem the path names, if this user may see it (403 otherwise)."""
    problem = problem_get(problem_id)
    if not may_see_problem(user, problem):
        raise OutsideScope(_("This problem is outside your area."))
    return problem


def problem_detail_out(problem: Problem, crs: str = "wgs84", *, viewer) -> dict:
    """The problem as ``viewer`` may see it (a commissioner: their own claim only)."""
    return {**problem_out(problem, crs), **problem_detail(problem, viewer=viewer)}


@problems_router.post("/problems", response={201: ProblemDetailOut, 200: ProblemDetailOut},
                      summary="Post a problem (township staff, a village of their township)")
def problem_create(request: HttpRequest, payload: ProblemIn):
    village = village_get(payload.village_code)
    position = None
    if payload.lat is not None or payload.lng is not None:
        if payload.lat is None or payload.lng is None:
            raise Invalid(_("Send lat and lng together."), fields={"lng": _("both or neither")})
        position = point_in(payload.lat, payload.lng, payload.crs)
    posted = problems.problem_post(
        staff=request.auth, client_id=payload.client_id, village=village, category_code=payload.category,
        title=payload.title, description=payload.description, urgency=payload.urgency, position=position,
        deadline=payload.deadline,
    )
    return Status(201 if posted.created else 200, problem_detail_out(posted.problem, payload.crs, viewer=request.auth))


@problems_router.get("/problems", response=ProblemPage, summary="Problems: filter, or nearest first with `near`")
def problem_list(request: HttpRequest, filters: Query[ProblemFilters], pager: Query[PageIn]):
    near = point_in(*parse_near(filters.near), filters.crs) if filters.near else None
    count, rows = problems_list(
        user=request.auth, status=filters.status, category=filters.category, village=filters.village,
        near=near, radius_km=filters.radius_km, offset=pager.offset, limit=pager.limit,
    )
    return {"count": count, "items": [problem_out(p, filters.crs, d) for p, d in rows]}


@problems_router.get("/problems/{problem_id}", response=ProblemDetailOut, summary="A problem, photos, claims, history")
def problem_read(request: HttpRequest, problem_id: int, crs: CrsName = "wgs84"):
    return problem_detail_out(visible_problem(request.auth, problem_id), crs, viewer=request.auth)


@problems_router.post("/problems/{problem_id}/photos", response={201: PhotoOut, 200: PhotoOut},
                      summary="Add a photo (multipart `photo`)")
def problem_photo(request: HttpRequest, problem_id: int, photo: File[UploadedFile]):
    problem = visible_problem(request.auth, problem_id)
    stored, created = problems.problem_photo_add(user=request.auth, problem=problem, upload=photo)
    return Status(201 if created else 200, photo_out(stored))


@problems_router.post("/problems/{problem_id}/withdraw", response=ProblemDetailOut,
                      summary="Withdraw an open problem (its staff)")
def problem_withdraw(request: HttpRequest, problem_id: int, payload: WithdrawIn):
    problem = visible_problem(request.auth, problem_id)
    return problem_detail_out(problems.problem_withdraw(staff=request.auth, problem=problem, reason=payload.reason),
                              viewer=request.auth)


@problems_router.post("/problems/{problem_id}/confirm", response=ProblemDetailOut,
                      summary="Confirm a resolved problem with a 1–5 rating: closed")
def problem_confirm(request: HttpRequest, problem_id: int, payload: ConfirmIn):
    problem = visible_problem(request.auth, problem_id)
    closed = problems.problem_confirm(staff=request.auth, problem=problem, rating=payload.rating,
                                      comment=payload.comment)
    return problem_detail_out(closed, viewer=request.auth)
