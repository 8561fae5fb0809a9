"""Writes for trainings: recording a session (idempotent on client_id), its photos and its roster.

Any commissioner may record a training in any village: they travel to where they are asked, and the
area scoping of staff applies to who sees a training, not to where it may be held.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import area_in_scope, ensure_role
from accounts.services import ensure_location_consent
from core.errors import ClientIdReused, Invalid
from core.idempotency import insert_once
from media.models import Photo, PhotoOwner
from media.services import photo_attach
from villages.models import Area, AreaLevel, Category

from .errors import NotYourTraining
from .models import (
    DURATION_MAX_HOURS,
    DURATION_MIN_HOURS,
    HEADCOUNT_MAX,
    PLAN_START,
    Gender,
    Training,
    TrainingAttendee,
)
from .pseudonyms import phone_hash, phone_normalise

# Phone clocks drift and a session is often recorded as it starts: an hour ahead is tolerated; more means
# a wrong clock or a training that has not happened, and the headcount would count toward the wrong day.
FUTURE_TOLERANCE = timedelta(hours=1)
# Late entry: an offline queue delivers within days; a commissioner typing up last season's paper sign-in
# sheets, within months. Beyond a year it is backfilling history, which would rewrite figures already
# reported for a closed year: that is a reviewed bureau import, not a phone write. (366: a leap day.)
LATE_ENTRY_LIMIT = timedelta(days=366)
TOPIC_MAX = 200
# Two recorded positions closer than this (≈1 cm) are the same position: a retry converted from the same
# GCJ-02 / BD-09 input lands on the same WGS-84 floats, but a tolerance keeps the comparison honest.
SAME_POSITION_DEG = 1e-7


class Recorded(NamedTuple):
    training: Training
    created: bool


def _decimal_hours(value: Any) -> Decimal | None:
    try:
        hours = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return hours if hours.is_finite() else None


def _training_errors(
    *, village: Area, topic: str, started_at: datetime, duration_hours: Decimal | None, headcount: int,
    female_count: int, poverty_household_count: int, now: datetime,
) -> dict[str, str]:
    """Every rule a new training breaks, by field; empty when it keeps them all."""
    errors: dict[str, str] = {}
    if village.level != AreaLevel.VILLAGE:
        errors["village_code"] = _("must be a village code (12 digits)")
    if not topic.strip():
        errors["topic"] = _("must not be blank")
    elif len(topic) > TOPIC_MAX:
        errors["topic"] = _("at most %(max)s characters") % {"max": TOPIC_MAX}
    if timezone.is_naive(started_at):
        errors["started_at"] = _("must carry its UTC offset")
    elif started_at > now + FUTURE_TOLERANCE:
        errors["started_at"] = _("must not be more than an hour in the future")
    elif started_at < PLAN_START:
        errors["started_at"] = _("must not be before the programme began (2021-01-01)")
    elif started_at < now - LATE_ENTRY_LIMIT:
        errors["started_at"] = _("must be within the last year (late entry limit)")
    if duration_hours is None:
        errors["duration_hours"] = _("must be a number of hours")
    elif not DURATION_MIN_HOURS <= duration_hours <= DURATION_MAX_HOURS:
        errors["duration_hours"] = _("%(min)s to %(max)s hours in one session") % {
            "min": DURATION_MIN_HOURS, "max": DURATION_MAX_HOURS}
    elif duration_hours != duration_hours.quantize(Decimal("0.01")):
        errors["duration_hours"] = _("at most two decimal places")
    if not 1 <= headcount <= HEADCOUNT_MAX:
        errors["headcount"] = _("1 to %(max)s person-times in one session") % {"max": HEADCOUNT_MAX}
    for name, part in (("female_count", female_count), ("poverty_household_count", poverty_household_count)):
        if part < 0:
            errors[name] = _("must not be negative")
        elif part > headcount:
            errors[name] = _("must not exceed the headcount")
    return errors


def _same_position(training: Training, position: tuple[float, float] | None) -> bool:
    if position is None or training.lat is None:
        return position is None and training.lat is None
    return (abs(training.lat - position[0]) <= SAME_POSITION_DEG
            and abs(training.lng - position[1]) <= SAME_POSITION_DEG)


def _replayed(existing: Training, content: Mapping[str, Any], position: tuple[float, float] | None) -> Recorded:
    """The first result of this client_id, if the retry says the same thing; a conflict otherwise."""
    same = all(getattr(existing, name) == value for name, value in content.items())
    if not same or not _same_position(existing, position):
        raise ClientIdReused()
    return Recorded(existing, created=False)


@transaction.atomic
def training_record(
    *,
    commissioner: User,
    client_id: uuid.UUID,
    village: Area,
    category_code: str,
    topic: str,
    started_at: datetime,
    duration_hours: Decimal | float | str,
    headcount: int,
    female_count: int = 0,
    poverty_household_count: int = 0,
    position: tuple[float, float] | None = None,
) -> Recorded:
    """Record a training the commissioner ran (position, if any, already WGS-84). Idempotent on client_id:
    the same content again returns the first training (created False); other content is a 409."""
    ensure_role(commissioner, Role.COMMISSIONER)
    if position is not None:
        # Where a commissioner was is their sensitive personal information; no position, no consent needed.
        ensure_location_consent(commissioner)
    hours = _decimal_hours(duration_hours)
    content = {
        "village_id": village.code, "category_id": category_code, "topic": topic, "duration_hours": hours,
        "started_at": started_at, "headcount": headcount, "female_count": female_count,
        "poverty_household_count": poverty_household_count,
    }
    existing = Training.objects.filter(commissioner=commissioner, client_id=client_id).first()
    if existing is not None:
        return _replayed(existing, content, position)

    errors = _training_errors(
        village=village, topic=topic, started_at=started_at, duration_hours=hours, headcount=headcount,
        female_count=female_count, poverty_household_count=poverty_household_count, now=timezone.now(),
    )
    if not Category.objects.filter(code=category_code).exists():
        errors["category"] = _("unknown category")
    if position is not None and not all(map(math.isfinite, position)):
        errors["lat"] = _("must be a finite position")
    if errors:
        raise Invalid(_("Invalid training: %(fields)s.") % {"fields": ", ".join(errors)}, fields=errors)

    lat, lng = position if position is not None else (None, None)
    training = Training(
        client_id=client_id, commissioner=commissioner, village=village, category_id=category_code, topic=topic,
        # Stored and answered in UTC whatever offset the phone spoke: a retry's body is byte-identical.
        started_at=started_at.astimezone(UTC), duration_hours=hours, headcount=headcount,
        female_count=female_count, poverty_household_count=poverty_household_count, lat=lat, lng=lng,
    )

    def insert() -> Training:
        training.save()
        return training

    training, created = insert_once(
        insert, lambda: Training.objects.filter(commissioner=commissioner, client_id=client_id).first())
    return Recorded(training, created=True) if created else _replayed(training, content, position)


def may_see_training(user: User, training: Training) -> bool:
    """Its commissioner; staff whose area contains its village (the bureau: all)."""
    if user.role == Role.COMMISSIONER:
        return training.commissioner_id == user.pk
    return area_in_scope(user, training.village)


def may_see_training_id(user: User, training_id: int) -> bool:
    training = Training.objects.select_related("village").filter(pk=training_id).first()
    return training is not None and may_see_training(user, training)


def _ensure_own(commissioner: User, training: Training) -> None:
    if training.commissioner_id != commissioner.pk:
        raise NotYourTraining()


def training_photo_add(*, commissioner: User, training: Training, upload: UploadedFile) -> tuple[Photo, bool]:
    """A photo of the session, by the commissioner who ran it. The same file again returns the first."""
    _ensure_own(commissioner, training)
    return photo_attach(owner_kind=PhotoOwner.TRAINING, owner_id=training.pk, uploaded_by=commissioner,
                        upload=upload)


class RosterAdded(NamedTuple):
    created: int
    duplicate: int
    roster_size: int


@transaction.atomic
def attendees_add(*, commissioner: User, training: Training, attendees: Iterable[Mapping[str, str]]) -> RosterAdded:
    """Add people to a training's roster, idempotent per person (phone): a re-sent roster adds nobody
    twice. All or nothing. The roster never changes the headcount, and may not outgrow it: in one session
    each person is one person-time, so more people than person-times means one of the two is wrong."""
    _ensure_own(commissioner, training)
    items = list(attendees)
    errors: dict[str, str] = {}
    wanted: dict[str, TrainingAttendee] = {}
    for i, item in enumerate(items):
        name = (item.get("name") or "").strip()
        phone = phone_normalise(item.get("phone") or "")
        gender = item.get("gender") or Gender.UNSPECIFIED
        if not name or len(name) > 64:
            errors[f"items.{i}.name"] = _("1 to 64 characters")
        if phone is None:
            errors[f"items.{i}.phone"] = _("must be a mainland mobile number")
        if gender not in Gender.values:
            errors[f"items.{i}.gender"] = _("female, male or empty")
        if phone is not None:
            key = phone_hash(phone)
            wanted.setdefault(key, TrainingAttendee(training=training, name=name, phone_hash=key, gender=gender))
    if errors:
        raise Invalid(_("Invalid roster entries."), fields=errors)
    # Lock the training: two rosters sent at once must not both pass the size check below.
    locked = Training.objects.select_for_update().get(pk=training.pk)
    known = set(TrainingAttendee.objects.filter(training=locked, phone_hash__in=list(wanted))
                .values_list("phone_hash", flat=True))
    new = [a for key, a in wanted.items() if key not in known]
    size = TrainingAttendee.objects.filter(training=locked).count() + len(new)
    if size > locked.headcount:
        raise Invalid(
            _("The roster would list %(size)s people for a headcount of %(headcount)s.") % {
                "size": size, "headcount": locked.headcount},
            fields={"items": _("more people than the training's headcount")},
        )
    TrainingAttendee.objects.bulk_create(new)
    # Duplicates: people already on the roster, and entries naming a person twice in this request.
    return RosterAdded(created=len(new), duplicate=len(items) - len(new), roster_size=size)
