"""Trainings: commissioners record sessions (idempotent on client_id); staff and the bureau read their area's."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from api.auth import jwt_auth
from api.pagination import PageIn, page_of
from api.positions import Crs
from core.errors import Invalid
from core.positions import point_in, point_out
from media.schemas import PhotoOut
from media.selectors import photo_out
from villages.selectors import village_get

from . import services
from .models import Training
from .schemas import (
    AttendeesIn,
    AttendeesOut,
    TrainingDetailOut,
    TrainingFilters,
    TrainingIn,
    TrainingPage,
)
from .selectors import training_get, training_photos, trainings_list

router = Router(tags=["trainings"], auth=jwt_auth)


def training_out(training: Training, crs: str = "wgs84") -> dict:
    """One training as the API shows it (the row must come from the selectors: it carries the counts)."""
    lat, lng = point_out(training.lat, training.lng, crs)
    village = training.village
    return {
        "id": training.pk, "client_id": training.client_id,
        "commissioner": {"id": training.commissioner_id, "name": training.commissioner.name},
        "village_code": village.code, "village_name": village.name, "county_code": village.county_code,
        "township_code": village.township_code, "category": training.category_id, "topic": training.topic,
        "started_at": training.started_at, "duration_hours": float(training.duration_hours),
        "headcount": training.headcount, "female_count": training.female_count,
        "poverty_household_count": training.poverty_household_count, "lat": lat, "lng": lng, "crs": crs,
        "photo_count": training.photo_count, "roster_size": training.roster_size, "created_at": training.created_at,
    }


def training_detail_out(training: Training, crs: str = "wgs84") -> dict:
    return {**training_out(training, crs), "photos": [photo_out(p) for p in training_photos(training)]}


@router.post("/trainings", response={201: TrainingDetailOut, 200: TrainingDetailOut},
             summary="Record a training (commissioner; any village). A retry of the same client_id: 200, same body")
def training_create(request: HttpRequest, payload: TrainingIn):
    village = village_get(payload.village_code)
    position = None
    if payload.lat is not None or payload.lng is not None:
        if payload.lat is None or payload.lng is None:
            missing = "lat" if payload.lat is None else "lng"
            raise Invalid(_("Send lat and lng together."), fields={missing: _("both or neither")})
        position = point_in(payload.lat, payload.lng, payload.crs)
    recorded = services.training_record(
        commissioner=request.auth, client_id=payload.client_id, village=village, category_code=payload.category,
        topic=payload.topic, started_at=payload.started_at, duration_hours=payload.duration_hours,
        headcount=payload.headcount, female_count=payload.female_count,
        poverty_household_count=payload.poverty_household_count, position=position,
    )
    # Read back through the selector: the first answer and every retry are built the same way.
    training = training_get(request.auth, recorded.training.pk)
    return Status(201 if recorded.created else 200, training_detail_out(training, payload.crs))


@router.get("/trainings", response=TrainingPage,
            summary="Trainings, newest first: a commissioner's own; staff: their area's; the bureau: all")
def training_list(request: HttpRequest, filters: Query[TrainingFilters], pager: Query[PageIn]):
    qs = trainings_list(
        user=request.auth, county=filters.county, township=filters.township, village=filters.village,
        commissioner=filters.commissioner, start=filters.start, end=filters.end,
    )
    page = page_of(qs, pager)
    page["items"] = [training_out(t, filters.crs) for t in page["items"]]
    return page


@router.get("/trainings/{training_id}", response=TrainingDetailOut, summary="One training with its photos")
def training_read(request: HttpRequest, training_id: int, crs: Crs = "wgs84"):
    return training_detail_out(training_get(request.auth, training_id), crs)


@router.post("/trainings/{training_id}/photos", response={201: PhotoOut, 200: PhotoOut},
             summary="A photo of the training (multipart `photo`; its commissioner). The same file again: 200")
def training_photo(request: HttpRequest, training_id: int, photo: File[UploadedFile]):
    training = training_get(request.auth, training_id)
    stored, created = services.training_photo_add(commissioner=request.auth, training=training, upload=photo)
    return Status(201 if created else 200, photo_out(stored))


@router.post("/trainings/{training_id}/attendees", response={201: AttendeesOut, 200: AttendeesOut},
             summary="Add to the attendee roster (its commissioner): evidence, never changes the headcount")
def training_attendees(request: HttpRequest, training_id: int, payload: AttendeesIn):
    training = training_get(request.auth, training_id)
    added = services.attendees_add(
        commissioner=request.auth, training=training, attendees=[item.model_dump() for item in payload.items]
    )
    return Status(201 if added.created else 200, added._asdict())
