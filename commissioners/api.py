"""Commissioners: the staff's list, a commissioner's own profile, and field service (check-ins, dispatches)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from pydantic import ValidationError as PydanticValidationError

from accounts.audit import audit_record
from accounts.models import AuditAction, Role
from accounts.schemas import MeOut
from accounts.scoping import ensure_role
from accounts.selectors import me_detail
from accounts.services import user_get
from api.auth import jwt_auth
from api.errors import validation_fields
from api.pagination import PageIn, page_of
from api.positions import Crs
from core.errors import Invalid
from core.positions import parse_near, point_in
from media.models import PhotoOwner
from media.schemas import PhotoOut
from media.selectors import photo_out, photos_of
from villages.selectors import village_get

from . import checkins, services
from .checkins import CheckinItem, ItemResult
from .models import Dispatch
from .schemas import (
    CheckinBatchIn,
    CheckinBatchOut,
    CheckinDetailOut,
    CheckinFilters,
    CheckinIn,
    CheckinOut,
    CheckinPage,
    CommissionerFilters,
    CommissionerPage,
    CommissionerPatchIn,
    DispatchFilters,
    DispatchIn,
    DispatchOut,
    DispatchPage,
    checkin_batch_out,
    checkin_for,
    checkin_out,
    commissioner_items,
    dispatch_out,
)
from .selectors import (
    checkin_get,
    checkins_list,
    commissioners_list,
    dispatches_list,
    flag_details_for,
)

router = Router(tags=["commissioners"], auth=jwt_auth)


@router.get("/commissioners", response=CommissionerPage, summary="Find commissioners (staff roles)")
def commissioners(request: HttpRequest, filters: Query[CommissionerFilters], pager: Query[PageIn]):
    near = point_in(*parse_near(filters.near), filters.crs) if filters.near else None
    count, rows = commissioners_list(
        viewer=request.auth,
        county=filters.county,
        category=filters.category,
        available=filters.available,
        near=near,
        radius_km=filters.radius_km,
        offset=pager.offset,
        limit=pager.limit,
    )
    audit_record(request, action=AuditAction.PERSONAL_READ, subject="commissioners.list",
                 count=len(rows), filters=filters.dict())
    return {"count": count, "items": commissioner_items(request.auth, rows)}


@router.patch("/commissioners/me", response=MeOut, summary="Update my expertise, home and availability")
def commissioner_me(request: HttpRequest, payload: CommissionerPatchIn):
    ensure_role(request.auth, Role.COMMISSIONER)
    if (payload.home_lat is None) != (payload.home_lng is None):
        raise Invalid(_("Send home_lat and home_lng together."), fields={"home_lng": _("both or neither")})
    home = None
    if payload.home_lat is not None:
        home = point_in(payload.home_lat, payload.home_lng, payload.crs, prefix="home_")
    services.profile_update(user=request.auth, expertise=payload.expertise, home=home, available=payload.available)
    return me_detail(request.auth, crs=payload.crs)


# Field service: check-ins and dispatches -------------------------------------------------------


def _checkin_items(raw_items: list[Any]) -> list[CheckinItem | ItemResult]:
    """Each item of a queue read as a CheckinIn; one that does not read is refused with its fields."""
    items: list[CheckinItem | ItemResult] = []
    for raw in raw_items:
        try:
            parsed = CheckinIn.model_validate(raw)
        except PydanticValidationError as exc:
            items.append(ItemResult(fields=validation_fields(exc.errors(include_url=False))))
            continue
        items.append(CheckinItem(
            client_id=parsed.client_id, village_code=parsed.village_code, lat=parsed.lat, lng=parsed.lng,
            crs=parsed.crs, occurred_at=parsed.occurred_at, accuracy_m=parsed.accuracy_m, note=parsed.note,
            problem_id=parsed.problem_id))
    return items


@router.post("/checkins", response={201: CheckinOut, 200: CheckinOut},
             summary="Check in at a village (kept and flagged, never refused for where it is)")
def checkin(request: HttpRequest, payload: CheckinIn):
    recorded = checkins.checkin_record(
        commissioner=request.auth, client_id=payload.client_id, village=village_get(payload.village_code),
        position=point_in(payload.lat, payload.lng, payload.crs), occurred_at=payload.occurred_at,
        accuracy_m=payload.accuracy_m, note=payload.note, problem_id=payload.problem_id,
    )
    return Status(201 if recorded.created else 200, checkin_for(request.auth, recorded.checkin, payload.crs))


@router.post("/checkins/batch", response=CheckinBatchOut, summary="An offline phone's queue: each item answered")
def checkin_batch(request: HttpRequest, payload: CheckinBatchIn):
    items = _checkin_items(payload.items)
    results = checkins.checkins_record_batch(commissioner=request.auth, items=items)
    return checkin_batch_out(request.auth, payload.items, items, results)


@router.get("/checkins", response=CheckinPage, summary="Check-ins: a commissioner's own; staff: their area's")
def checkin_list(request: HttpRequest, filters: Query[CheckinFilters], pager: Query[PageIn]):
    qs = checkins_list(user=request.auth, commissioner=filters.commissioner, village=filters.village,
                       start=filters.start, end=filters.end)
    page = page_of(qs, pager)
    if request.auth.role != Role.COMMISSIONER:  # someone else's whereabouts
        audit_record(request, action=AuditAction.PERSONAL_READ, subject="checkins.list",
                     count=len(page["items"]), commissioner=filters.commissioner, village=filters.village)
    details = flag_details_for(request.auth, page["items"])
    page["items"] = [checkin_out(c, filters.crs, flag_details=details[c.pk]) for c in page["items"]]
    return page


@router.get("/checkins/{checkin_id}", response=CheckinDetailOut, summary="One check-in with its photos")
def checkin_read(request: HttpRequest, checkin_id: int, crs: Crs = "wgs84"):
    found = checkin_get(request.auth, checkin_id)
    if found.commissioner_id != request.auth.pk:
        audit_record(request, action=AuditAction.PERSONAL_READ, subject="checkins.detail", checkin_id=found.pk)
    photos = photos_of(PhotoOwner.CHECKIN, [found.pk]).get(found.pk, [])
    return {**checkin_for(request.auth, found, crs), "photos": [photo_out(p) for p in photos]}


@router.post("/checkins/{checkin_id}/photos", response={201: PhotoOut, 200: PhotoOut},
             summary="Photo evidence for a check-in (multipart `photo`)")
def checkin_photo(request: HttpRequest, checkin_id: int, photo: File[UploadedFile]):
    found = checkin_get(request.auth, checkin_id)
    stored, created = checkins.checkin_photo_add(commissioner=request.auth, checkin=found, upload=photo)
    return Status(201 if created else 200, photo_out(stored))


@router.post("/dispatches", response={201: DispatchOut}, summary="Dispatch a commissioner to a village (选派)")
def dispatch(request: HttpRequest, payload: DispatchIn):
    commissioner = user_get(payload.commissioner_id)
    created = checkins.dispatch_create(
        staff=request.auth, commissioner=commissioner, village=village_get(payload.village_code),
        starts_on=payload.starts_on, ends_on=payload.ends_on, note=payload.note,
    )
    return Status(201, dispatch_out(Dispatch.objects.select_related("village", "commissioner", "dispatched_by")
                                    .get(pk=created.pk)))


@router.get("/dispatches", response=DispatchPage, summary="Dispatches: a commissioner's own; staff: their area's")
def dispatch_list(request: HttpRequest, filters: Query[DispatchFilters], pager: Query[PageIn]):
    qs = dispatches_list(user=request.auth, commissioner=filters.commissioner, county=filters.county,
                         village=filters.village, start=filters.start, end=filters.end)
    page = page_of(qs, pager)
    page["items"] = [dispatch_out(d) for d in page["items"]]
    return page
