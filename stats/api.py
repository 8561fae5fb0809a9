"""The bureau's statistics: targets, coverage maps, commissioner assessment, the Excel export."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status

from accounts.audit import audit_record
from accounts.models import AuditAction, Role
from accounts.scoping import ensure_area_in_scope, ensure_role
from api.auth import jwt_auth
from api.pagination import PageIn
from core.errors import Invalid
from villages.selectors import area_get

from .errors import TargetNotFound
from .export import content_disposition, report_period, workbook
from .models import Target
from .schemas import (
    AssessmentIn,
    AssessmentPage,
    CoverageIn,
    FeatureCollection,
    PlanBaselinesOut,
    ProgrammesOut,
    TargetIn,
    TargetOut,
    TargetPatchIn,
    TargetsOut,
    TeamFiguresIn,
    TeamFiguresPage,
    TrainingModesOut,
    WindowIn,
    coverage_features,
)
from .selectors import (
    ASSESSMENT_SORTS,
    Window,
    baselines_beside,
    commissioner_assessment,
    dispatches_by_programme,
    stats_area_for,
    target_progress,
    targets_progress,
    trainings_by_mode,
)
from .services import target_create, target_update
from .teams import team_figures

router = Router(tags=["stats"], auth=jwt_auth)

STATS_ROLES = (Role.COUNTY_STAFF, Role.BUREAU)


def _window(filters: WindowIn) -> Window:
    if filters.start and filters.end and filters.end < filters.start:
        raise Invalid(_("`to` is before `from`."), fields={"to": _("must be on or after `from`")})
    return Window(filters.start, filters.end)


@router.get("/stats/targets", response=TargetsOut, summary="Progress toward the plan's targets")
def targets(request: HttpRequest, year: int | None = Query(None, ge=2000, le=2100)):
    ensure_role(request.auth, *STATS_ROLES)
    return {"targets": targets_progress(within=stats_area_for(request.auth), year=year)}


@router.post("/targets", response={201: TargetOut}, summary="Add a target (a later plan's, or a county's own)")
def target_add(request: HttpRequest, payload: TargetIn):
    ensure_role(request.auth, Role.BUREAU)
    target = target_create(**payload.model_dump())
    return Status(201, target_progress(target, within=stats_area_for(request.auth)))


@router.patch("/targets/{code}", response=TargetOut, summary="Change a target (its code never changes)")
def target_change(request: HttpRequest, code: str, payload: TargetPatchIn):
    ensure_role(request.auth, Role.BUREAU)
    target = Target.objects.filter(code=code).first()
    if target is None:
        raise TargetNotFound()
    target = target_update(target=target, changes=payload.model_dump(exclude_unset=True))
    return target_progress(target, within=stats_area_for(request.auth))


@router.get("/stats/coverage", response=FeatureCollection, summary="Coverage map (GeoJSON FeatureCollection)")
def coverage_map(request: HttpRequest, filters: Query[CoverageIn]):
    ensure_role(request.auth, *STATS_ROLES)
    collection = coverage_features(level=filters.level, window=_window(filters), within=request.auth.area)
    # Already in the schema's shape and plain JSON types: rendered directly. Validating a province's
    # 17,754 village features one by one took longer than computing them (bench/national); the
    # contract tests check this response against the schema.
    return HttpResponse(json.dumps(collection, ensure_ascii=False), content_type="application/json")


@router.get("/stats/commissioners", response=AssessmentPage, summary="Commissioner assessment (考核)")
def assessment(request: HttpRequest, filters: Query[AssessmentIn], pager: Query[PageIn]):
    ensure_role(request.auth, *STATS_ROLES)
    if filters.sort.lstrip("-") not in ASSESSMENT_SORTS:
        raise Invalid(_("Unknown sort %(sort)s.") % {"sort": filters.sort},
                      fields={"sort": _("one of %(values)s") % {"values": ", ".join(ASSESSMENT_SORTS)}})
    within = request.auth.area
    if filters.county:
        within = area_get(filters.county)
        ensure_area_in_scope(request.auth, within)
    rows = commissioner_assessment(window=_window(filters), within=within, sort=filters.sort)
    audit_record(request, action=AuditAction.PERSONAL_READ, subject="stats.commissioners", within=within.code)
    return {"count": len(rows), "items": rows[pager.offset : pager.offset + pager.limit]}


@router.get("/stats/trainings", response=TrainingModesOut, summary="Trainings, trainees and households by mode",
            description="Per way of giving a training (集中授课, 现场指导, 科技下乡, 科普), all four always listed: "
                        "sessions started in the window inside the reader's area, Σ headcount (人次) and Σ "
                        "households (户数) where recorded.")
def training_modes(request: HttpRequest, filters: Query[WindowIn]):
    ensure_role(request.auth, *STATS_ROLES)
    return {"by_mode": trainings_by_mode(window=_window(filters), within=stats_area_for(request.auth))}


@router.get("/stats/dispatches", response=ProgrammesOut, summary="Dispatches by programme",
            description="Per programme (科技特派员, “三区”人才, 法人科技特派员), all three always listed: dispatches "
                        "(人次) starting in the window into villages of the reader's area, people sent and "
                        "sending units named.")
def dispatch_programmes(request: HttpRequest, filters: Query[WindowIn]):
    ensure_role(request.auth, *STATS_ROLES)
    return {"by_programme": dispatches_by_programme(window=_window(filters), within=stats_area_for(request.auth))}


@router.get("/stats/baselines", response=PlanBaselinesOut, summary="The previous plan's results beside today's",
            description="The 十三五 figures the plan starts from (1,724 人次 dispatched, 899 poverty villages, 83 "
                        "“三区” talents, 1,000+ trainings, 400,000 trainee 人次, 4,500+ problems solved), each with "
                        "`current`: the same measure counted in the window inside the reader's area. Data: the "
                        "bureau edits them in the back office.")
def plan_baselines(request: HttpRequest, filters: Query[WindowIn]):
    ensure_role(request.auth, *STATS_ROLES)
    return {"items": baselines_beside(window=_window(filters), within=stats_area_for(request.auth))}


@router.get("/stats/teams", response=TeamFiguresPage, summary="Figures per shared service team (staff in scope)",
            description="Per team: members, service days, trainings and trainees in its service area, problems "
                        "resolved and their average rating, in the window. County staff: their county's teams and "
                        "those serving it; the bureau: all (docs/teams.md).")
def team_stats(request: HttpRequest, filters: Query[TeamFiguresIn], pager: Query[PageIn]):
    ensure_role(request.auth, *STATS_ROLES)
    window = _window(filters)
    if filters.county:
        ensure_area_in_scope(request.auth, area_get(filters.county))
    rows = team_figures(within=request.auth.area, start=window.start, end=window.end, county=filters.county)
    return {"count": len(rows), "items": rows[pager.offset : pager.offset + pager.limit]}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/stats/export.xlsx", summary="The figures as an Excel workbook",
            openapi_extra={"responses": {200: {"description": "The workbook", "content": {XLSX: {"schema": {
                "type": "string", "format": "binary"}}}}}})
def export(request: HttpRequest, filters: Query[WindowIn]):
    ensure_role(request.auth, *STATS_ROLES)
    within = request.auth.area
    period = report_period(_window(filters))
    data = workbook(period=period, within=within)
    audit_record(request, action=AuditAction.EXPORT, subject="stats.export", within=request.auth.area_id,
                 start=str(period.start), end=str(period.end))
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(within, period)
    return response
