"""Commissioners: the staff's list and a commissioner's own profile."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from pydantic import ValidationError as PydanticValidationError

from accounts.audit import audit_record
from accounts.models import AuditAction, Role
from accounts.privacy import phone_for, whole_phone_ids
from accounts.schemas import MeOut
from accounts.scoping import STAFF_ROLES, ensure_role
from accounts.selectors import me_detail
from accounts.services import ensure_location_consent, user_get
from api.auth import jwt_auth
from api.errors import validation_fields
from api.pagination import PageIn, page_of
from core.errors import DomainError, Invalid, rendered
from geo.edge import parse_near, point_in, point_out
from media.models import PhotoOwner
from media.schemas import PhotoOut
from media.selectors import photo_out, photos_of
from villages.selectors import village_get

from . import checkins, services
from .checkins import Recorded
from .models import Checkin, Dispatch
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
    ensure_role(request.auth, *STAFF_ROLES)
    near = point_in(*parse_near(filters.near), filters.crs) if filters.near else None
    count, rows = commissioners_list(
        viewer=request.auth,
        county=filters.county,
        category=filters.category,
        available=filters.available,
        near=near,
        radius_km=filters.radius_km,
        pager=pager,
    )
    audit_record(request, action=AuditAction.PERSONAL_READ, subject="commissioners.list",
                 count=len(rows), filters=filters.dict())
    whole = whole_phone_ids(request.auth, [profile.user_id for profile, _ in rows])
    # No home position here, whoever asks (PIPL art. 6): `near` answers the distance to it, and the
    # county of the commissioner's registered area.
    items = [
        {
            "id": profile.user_id,
            "name": profile.user.name,
            "phone": phone_for(request.auth, profile.user_id, profile.user.phone, whole_ids=whole),
            "area_code": profile.user.area_id,
            "county_code": profile.user.area_id[:6],
            "expertise": [c.code for c in profile.expertise.all()],
            "available": profile.available,
            "distance_km": distance,
        }
        for profile, distance in rows
    ]
    return {"count": count, "items": items}


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


def _keys_sorted(details: dict) -> dict:
    """Flag details with their keys in one order: PostgreSQL's jsonb gives them back in its own (by length),
    not in the order they were written, and a replay must answer the first body byte for byte."""
    return {k: _keys_sorted(v) if isinstance(v, dict) else v for k, v in sorted(details.items())}


def checkin_out(checkin: Checkin, crs: str = "wgs84", *, flag_details: dict) -> dict:
    """One check-in as the API shows it: the first answer, a replay and a read all come from here.
    ``flag_details`` as the reader may see them (selectors.flag_details_for)."""
    lat, lng = point_out(checkin.lat, checkin.lng, crs)
    return {
        "id": checkin.pk, "client_id": checkin.client_id,
        "commissioner": {"id": checkin.commissioner_id, "name": checkin.commissioner.name},
        "village_code": checkin.village_id, "village_name": checkin.village.name, "lat": lat, "lng": lng,
        "crs": crs, "accuracy_m": checkin.accuracy_m, "occurred_at": checkin.occurred_at, "verified": checkin.verified,
        "distance_m": checkin.distance_m, "flags": checkin.flags, "flag_details": _keys_sorted(flag_details),
        "problem_id": checkin.problem_id, "note": checkin.note, "created_at": checkin.created_at,
    }


def _checkin_for(user, checkin: Checkin, crs: str = "wgs84") -> dict:
    return checkin_out(checkin, crs, flag_details=flag_details_for(user, [checkin])[checkin.pk])


def _record(user, payload: CheckinIn) -> Recorded:
    village = village_get(payload.village_code)
    position = point_in(payload.lat, payload.lng, payload.crs)
    return checkins.checkin_record(
        commissioner=user, client_id=payload.client_id, village=village, position=position,
        occurred_at=payload.occurred_at, accuracy_m=payload.accuracy_m, note=payload.note,
        problem_id=payload.problem_id,
    )


@router.post("/checkins", response={201: CheckinOut, 200: CheckinOut},
             summary="Check in at a village (kept and flagged, never refused for where it is)")
def checkin(request: HttpRequest, payload: CheckinIn):
    recorded = _record(request.auth, payload)
    return Status(201 if recorded.created else 200, _checkin_for(request.auth, recorded.checkin, payload.crs))


@router.post("/checkins/batch", response=CheckinBatchOut, summary="An offline phone's queue: each item answered")
def checkin_batch(request: HttpRequest, payload: CheckinBatchIn):
    ensure_role(request.auth, Role.COMMISSIONER)
    ensure_location_consent(request.auth)  # the app must show its consent screen first: refuse the lot
    results = []
    for item in payload.items:
        client_id = str(item.get("client_id")) if isinstance(item, dict) and item.get("client_id") else None
        try:
            parsed = CheckinIn.model_validate(item)
        except PydanticValidationError as exc:
            fields = validation_fields(exc.errors(include_url=False))
            results.append({"client_id": client_id, "status": "invalid", "errors": fields})
            continue
        try:
            recorded = _record(request.auth, parsed)
        except DomainError as exc:
            results.append({"client_id": client_id, "status": "invalid",
                            "errors": rendered({"code": exc.code, "message": exc.message, **exc.fields})})
            continue
        results.append({"client_id": client_id, "id": recorded.checkin.pk,
                        "status": "created" if recorded.created else "duplicate",
                        "checkin": _checkin_for(request.auth, recorded.checkin, parsed.crs)})
    return {"results": results}


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
def checkin_read(request: HttpRequest, checkin_id: int, crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"):
    found = checkin_get(request.auth, checkin_id)
    if found.commissioner_id != request.auth.pk:
        audit_record(request, action=AuditAction.PERSONAL_READ, subject="checkins.detail", checkin_id=found.pk)
    photos = photos_of(PhotoOwner.CHECKIN, [found.pk]).get(found.pk, [])
    return {**_checkin_for(request.auth, found, crs), "photos": [photo_out(p) for p in photos]}


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
