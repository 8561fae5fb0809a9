"""Writes for the field: check-ins from flaky phones, and dispatches.

A check-in is never refused for where or when it is: it is kept, measured and flagged, and
`verified` says whether any flag that matters was raised. Idempotent on (commissioner, client_id):
an offline queue replays freely.
"""

from __future__ import annotations

import functools
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import ensure_area_in_scope, ensure_role
from accounts.services import ensure_location_consent
from core import sql_rows
from core.errors import ClientIdReused, Conflict, DomainError, Forbidden, Invalid
from core.idempotency import insert_once
from core.positions import point_in
from geo.distance import geodesic_m
from media.models import Photo, PhotoOwner
from media.services import photo_attach
from villages.models import Area, AreaLevel
from villages.selectors import county_fence_check, village_fence_check, village_not_found, villages_by_code

from .hooks import ensure_may_reference_problem
from .models import FLAGS_THAT_MATTER, SENDING_UNIT_MAX, Checkin, CheckinFlag, Dispatch, Programme


@dataclass(frozen=True)
class Recorded:
    checkin: Checkin
    created: bool


@dataclass(frozen=True)
class _Around:
    """What a new check-in is compared with: the commissioner's check-ins just before and just after it
    in time (an offline queue may deliver them in any order), and the id of one already stored with
    the same ``client_id`` (a replay), if any."""

    neighbours: list[tuple[int, float, float, datetime]]
    replay_id: int | None


_AROUND_ROWS = sql_rows.RowReader(Checkin, only=("id", "lat", "lng", "occurred_at", "client_id"))


@functools.cache
def _around_sql() -> str:
    # Three one-row reads in one round trip, each in a subquery of its own so that its ORDER BY and
    # LIMIT hold on PostgreSQL and SQLite alike; fixed SQL, as core/sql_rows.py says why.
    table, columns = Checkin._meta.db_table, _AROUND_ROWS.columns(Checkin._meta.db_table)
    mine = f"SELECT {columns} FROM {table} WHERE commissioner_id = %s AND"
    return (
        f"SELECT * FROM ({mine} client_id = %s LIMIT 1) AS replay"
        f" UNION ALL SELECT * FROM ({mine} occurred_at <= %s ORDER BY occurred_at DESC, id DESC LIMIT 1)"
        " AS previous"
        f" UNION ALL SELECT * FROM ({mine} occurred_at > %s ORDER BY occurred_at, id LIMIT 1) AS following"
    )


def _around(commissioner: User, client_id: uuid.UUID, at: datetime) -> _Around:
    field = Checkin._meta.get_field
    sent_id = field("client_id").get_db_prep_value(client_id, connection)
    when = field("occurred_at").get_db_prep_value(at, connection)
    with connection.cursor() as cursor:
        cursor.execute(_around_sql(), [commissioner.pk, sent_id, commissioner.pk, when, commissioner.pk, when])
        rows = [_AROUND_ROWS.values(row) for row in cursor.fetchall()]
    replay_id = next((row[0] for row in rows if row[4] == client_id), None)
    return _Around(neighbours=[tuple(row[:4]) for row in rows if row[4] != client_id], replay_id=replay_id)


def _travel_flags(neighbours: list[tuple[int, float, float, datetime]], lat: float, lng: float,
                  at: datetime) -> dict[str, dict]:
    """Impossible travel against the neighbouring check-ins."""
    cfg = settings.CHECKIN
    for other_id, other_lat, other_lng, other_at in neighbours:
        km = geodesic_m(lat, lng, other_lat, other_lng) / 1000
        seconds = abs((at - other_at).total_seconds())
        interval = max(seconds, cfg["min_interval_s"])
        speed = km / (interval / 3600)
        if speed > cfg["max_speed_kmh"]:
            return {CheckinFlag.IMPOSSIBLE_TRAVEL: {"other_checkin_id": other_id, "km": round(km, 3),
                                                    "seconds": int(seconds), "speed_kmh": round(speed, 1)}}
    return {}


def fence_flags(village: Area, lat: float, lng: float, accuracy_m: float | None) -> tuple[float, dict[str, dict]]:
    """``distance_m`` and the fence flags of a point at ``village``, judged by the best position known.

    A boundary or a surveyed (seat, centroid) position is evidence: outside its fence is ``outside_fence``.
    A generated position is our own guess: the check-in is judged by the county's real boundary instead
    (``outside_fence`` with ``fence: "county"`` only when it is outside the county), and a point far from
    the guess is only ``position_unverified``, which does not unverify the visit. New check-ins and the
    re-judging after a position changes both come here (docs/geo.md, "How a check-in is judged")."""
    flags: dict[str, dict] = {}
    if village.position_is_generated and not village.geometry:
        guess = village_fence_check(village, lat, lng, accuracy_m)
        if not guess.inside:
            flags[CheckinFlag.POSITION_UNVERIFIED] = {"distance_m": round(guess.distance_m, 1),
                                                      "radius_m": guess.effective_radius_m}
        county = county_fence_check(village.county_code, lat, lng, accuracy_m)
        if county is None:
            return 0.0, flags
        if not county.inside:
            flags[CheckinFlag.OUTSIDE_FENCE] = {"distance_m": round(county.distance_m, 1),
                                                "radius_m": county.effective_radius_m, "fence": "county"}
        return round(county.distance_m, 1), flags
    fence = village_fence_check(village, lat, lng, accuracy_m)
    if not fence.inside:
        flags[CheckinFlag.OUTSIDE_FENCE] = {"distance_m": round(fence.distance_m, 1),
                                            "radius_m": fence.effective_radius_m}
    return round(fence.distance_m, 1), flags


def checkin_flags(
    *, neighbours: list[tuple[int, float, float, datetime]], village: Area, lat: float, lng: float,
    accuracy_m: float | None, occurred_at: datetime, now: datetime | None = None,
) -> tuple[float, dict[str, dict]]:
    """The fence distance and every flag (with its details) for a check-in about to be stored."""
    cfg = settings.CHECKIN
    now = now or timezone.now()
    distance_m, flags = fence_flags(village, lat, lng, accuracy_m)
    if accuracy_m is None:
        flags[CheckinFlag.ACCURACY_UNKNOWN] = {}
    elif accuracy_m > cfg["low_accuracy_m"]:
        flags[CheckinFlag.LOW_ACCURACY] = {"accuracy_m": accuracy_m, "limit_m": cfg["low_accuracy_m"]}
    if occurred_at > now + timedelta(seconds=cfg["future_tolerance_s"]):
        flags[CheckinFlag.FUTURE_TIME] = {"ahead_s": int((occurred_at - now).total_seconds())}
    if occurred_at < now - timedelta(days=cfg["max_age_days"]):
        flags[CheckinFlag.TOO_OLD] = {"age_days": (now - occurred_at).days, "limit_days": cfg["max_age_days"]}
    flags.update(_travel_flags(neighbours, lat, lng, occurred_at))
    return distance_m, flags


def _apply(checkin: Checkin, flags: dict[str, dict]) -> None:
    checkin.flags = sorted(flags)
    checkin.flag_details = {k: flags[k] for k in sorted(flags)}
    checkin.verified = not (set(flags) & FLAGS_THAT_MATTER)


def ensure_may_check_in(commissioner: User) -> None:
    """Who may check in at all: a commissioner who agreed to the location terms (the app shows its
    consent screen first). Asked once per request, however many check-ins it carries."""
    ensure_role(commissioner, Role.COMMISSIONER)
    ensure_location_consent(commissioner)


def checkin_record(
    *,
    commissioner: User,
    client_id: uuid.UUID,
    village: Area,
    position: tuple[float, float],
    occurred_at: datetime,
    accuracy_m: float | None = None,
    note: str = "",
    problem_id: int | None = None,
) -> Recorded:
    """Store one check-in (position already WGS-84). A replay of the same client_id returns the first."""
    ensure_may_check_in(commissioner)
    return _checkin_store(commissioner=commissioner, client_id=client_id, village=village, position=position,
                          occurred_at=occurred_at, accuracy_m=accuracy_m, note=note, problem_id=problem_id)


def _checkin_store(
    *, commissioner: User, client_id: uuid.UUID, village: Area, position: tuple[float, float], occurred_at: datetime,
    accuracy_m: float | None, note: str, problem_id: int | None,
) -> Recorded:
    """One check-in of a commissioner ``ensure_may_check_in`` let through: judged, flagged, stored once."""
    around = _around(commissioner, client_id, occurred_at)
    if around.replay_id is not None:
        return _replayed(Checkin.objects.get(pk=around.replay_id), village, occurred_at)
    if village.level != AreaLevel.VILLAGE:
        raise Invalid(_("%(code)s is not a village.") % {"code": village.code},
                      fields={"village_code": _("must be a village code")})
    if problem_id is not None:
        ensure_may_reference_problem(commissioner, problem_id)
    lat, lng = position
    distance_m, flags = checkin_flags(neighbours=around.neighbours, village=village, lat=lat, lng=lng,
                                      accuracy_m=accuracy_m, occurred_at=occurred_at)
    # Kept in UTC, as the database gives it back: the first answer is built from the same values as a replay's.
    checkin = Checkin(client_id=client_id, commissioner=commissioner, village=village, problem_id=problem_id, lat=lat,
                      lng=lng, accuracy_m=accuracy_m, occurred_at=occurred_at.astimezone(UTC), note=note,
                      distance_m=distance_m)
    _apply(checkin, flags)

    def insert() -> Checkin:
        checkin.save()
        return checkin

    stored, created = insert_once(
        insert, lambda: Checkin.objects.filter(commissioner=commissioner, client_id=client_id).first(),
        one_statement=True)
    return Recorded(stored, created=True) if created else _replayed(stored, village, occurred_at)


@dataclass(frozen=True)
class CheckinItem:
    """One check-in of an offline phone's queue, as the phone sent it (position in its ``crs``)."""

    client_id: uuid.UUID
    village_code: str
    lat: float
    lng: float
    crs: str
    occurred_at: datetime
    accuracy_m: float | None = None
    note: str = ""
    problem_id: int | None = None


@dataclass(frozen=True)
class ItemResult:
    """What became of one item of a queue: recorded (created or a replay), or refused with the reason:
    a DomainError, or the fields a malformed item got wrong (``fields``)."""

    recorded: Recorded | None = None
    error: DomainError | None = None
    fields: dict[str, Any] | None = None


def checkins_record_batch(*, commissioner: User, items: list[CheckinItem | ItemResult]) -> list[ItemResult]:
    """An offline phone's queue, each item answered on its own, in order. Who may check in is asked once
    for the lot (no consent: the whole queue is refused); the villages are loaded in one query; then each
    item is judged and stored as `checkin_record` would, a refused item leaving the others alone. Items
    the API could not even read come in as refusals already and are answered in their place."""
    ensure_may_check_in(commissioner)
    villages = villages_by_code({item.village_code for item in items if isinstance(item, CheckinItem)})
    results: list[ItemResult] = []
    for item in items:
        if isinstance(item, ItemResult):
            results.append(item)
            continue
        try:
            village = villages.get(item.village_code)
            if village is None:
                raise village_not_found(item.village_code)
            recorded = _checkin_store(
                commissioner=commissioner, client_id=item.client_id, village=village,
                position=point_in(item.lat, item.lng, item.crs), occurred_at=item.occurred_at,
                accuracy_m=item.accuracy_m, note=item.note, problem_id=item.problem_id)
        except DomainError as exc:
            results.append(ItemResult(error=exc))
            continue
        results.append(ItemResult(recorded=recorded))
    return results


def _replayed(existing: Checkin, village: Area, occurred_at: datetime) -> Recorded:
    if existing.village_id != village.code or existing.occurred_at != occurred_at:
        raise ClientIdReused()
    return Recorded(existing, created=False)


# The flags a village's position decides; every other flag (time, accuracy, travel, photos) stays as measured.
_FENCE_FLAGS = frozenset({CheckinFlag.OUTSIDE_FENCE, CheckinFlag.POSITION_UNVERIFIED})

REJUDGE_CHUNK = 500


def checkins_rejudge_chunk(
    *, village_code: str, after_id: int = 0, limit: int = REJUDGE_CHUNK
) -> tuple[int, int | None]:
    """Judge up to ``limit`` of a village's check-ins (ids above ``after_id``) again against its position now.

    Returns how many changed and the id to go on after (None when this was the last chunk). Idempotent:
    the verdict depends on the stored point and the village's current position only, so a rerun, or
    two runs after two quick moves, write the same thing. The rows are locked (in id order) so that a
    photo being added to one of them at the same moment cannot lose its flag. Check-ins whose position
    was coarsened by retention keep the verdict measured when they were recorded: their point is ~1 km off.
    """
    with transaction.atomic():
        village = Area.objects.filter(code=village_code, level=AreaLevel.VILLAGE).first()
        if village is None:
            return 0, None
        rows = list(
            Checkin.objects.select_for_update()
            .filter(village_id=village_code, id__gt=after_id, position_coarsened=False)
            .order_by("id")[:limit]
        )
        changed = []
        for checkin in rows:
            distance_m, fence = fence_flags(village, checkin.lat, checkin.lng, checkin.accuracy_m)
            details = checkin.flag_details if isinstance(checkin.flag_details, dict) else {}
            kept = {f: details.get(f, {}) for f in [*checkin.flags, *details] if f not in _FENCE_FLAGS}
            before = (checkin.distance_m, checkin.flags, checkin.flag_details, checkin.verified)
            checkin.distance_m = distance_m
            _apply(checkin, {**kept, **fence})
            if (checkin.distance_m, checkin.flags, checkin.flag_details, checkin.verified) != before:
                changed.append(checkin)
        _verdicts_store(changed)
    return len(changed), (rows[-1].pk if len(rows) == limit else None)


def _verdicts_store(checkins: list[Checkin]) -> None:
    # One UPDATE per row, batched (psycopg pipelines executemany): bulk_update's CASE per field and row
    # cost more than the judging itself (bench/positions).
    if not checkins:
        return
    field = Checkin._meta.get_field
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Checkin._meta.db_table} SET distance_m = %s, flags = %s, flag_details = %s, verified = %s"
            " WHERE id = %s",
            [(c.distance_m, field("flags").get_db_prep_save(c.flags, connection),
              field("flag_details").get_db_prep_save(c.flag_details, connection), c.verified, c.pk)
             for c in checkins],
        )


def checkins_rejudge(*, village_code: str, chunk: int = REJUDGE_CHUNK) -> int:
    """Judge every check-in of a village again, a chunk per transaction; returns how many changed."""
    changed, after = 0, 0
    while after is not None:
        n, after = checkins_rejudge_chunk(village_code=village_code, after_id=after, limit=chunk)
        changed += n
    return changed


def checkin_photo_add(*, commissioner: User, checkin: Checkin, upload: UploadedFile) -> tuple[Photo, bool]:
    """Photo evidence: its EXIF position is compared with the check-in's, and a photo already used
    for another check-in is flagged."""
    if checkin.commissioner_id != commissioner.pk:
        raise Forbidden(_("Only the commissioner who checked in adds its photos."))
    photo, created = photo_attach(owner_kind=PhotoOwner.CHECKIN, owner_id=checkin.pk, uploaded_by=commissioner,
                                  upload=upload)
    if not created:
        return photo, False
    with transaction.atomic():
        checkin = Checkin.objects.select_for_update().get(pk=checkin.pk)
        flags = dict(checkin.flag_details)
        if photo.exif_lat is not None:
            far_m = geodesic_m(checkin.lat, checkin.lng, photo.exif_lat, photo.exif_lng)
            if far_m > settings.CHECKIN["photo_max_distance_m"]:
                flags[CheckinFlag.PHOTO_FAR] = {"photo_id": photo.pk, "distance_m": round(far_m, 1)}
        reused = (
            Photo.objects.filter(owner_kind=PhotoOwner.CHECKIN, sha256=photo.sha256)
            .exclude(owner_id=checkin.pk).values_list("owner_id", flat=True).first()
        )
        if reused is not None:
            flags[CheckinFlag.PHOTO_REUSED] = {"photo_id": photo.pk, "other_checkin_id": reused}
        _apply(checkin, flags)
        checkin.save(update_fields=["flags", "flag_details", "verified"])
    return photo, True


class DispatchExists(Conflict):
    code = "dispatch_exists"
    message = _("This commissioner is already dispatched to this village from that day.")


# Control and format characters (line breaks, bidi overrides, zero-width marks): never part of a unit's
# name, and able to spoof or break the workbook an official prints.
_REFUSED_IN_TEXT = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


def sending_unit_clean(value: str) -> str:
    """The sending unit trimmed; Invalid when too long or with control characters. Stored as text."""
    unit = value.strip()
    if len(unit) > SENDING_UNIT_MAX:
        raise Invalid(_("The sending unit is too long."),
                      fields={"sending_unit": _("at most %(max)s characters") % {"max": SENDING_UNIT_MAX}})
    if any(unicodedata.category(ch) in _REFUSED_IN_TEXT for ch in unit):
        raise Invalid(_("The sending unit contains control characters."),
                      fields={"sending_unit": _("must be plain text on one line")})
    return unit


@transaction.atomic
def dispatch_create(
    *, staff: User, commissioner: User, village: Area, starts_on: date, ends_on: date | None = None, note: str = "",
    programme: str = Programme.COMMISSIONER, sending_unit: str = "",
) -> Dispatch:
    """Dispatch ``commissioner`` to ``village`` under ``programme`` (科技特派员 by default), sent by
    ``sending_unit`` (派出单位, free text)."""
    ensure_role(staff, Role.COUNTY_STAFF, Role.BUREAU)
    if programme not in Programme.values:
        raise Invalid(_("Unknown programme %(programme)s.") % {"programme": programme},
                      fields={"programme": _("one of %(values)s") % {"values": ", ".join(Programme.values)}})
    sending_unit = sending_unit_clean(sending_unit)
    if commissioner.role != Role.COMMISSIONER or not commissioner.is_active:
        raise Invalid(_("Only an active commissioner can be dispatched."),
                      fields={"commissioner_id": _("not an active commissioner")})
    if village.level != AreaLevel.VILLAGE:
        raise Invalid(_("%(code)s is not a village.") % {"code": village.code},
                      fields={"village_code": _("must be a village code")})
    ensure_area_in_scope(staff, village)
    if ends_on is not None and ends_on < starts_on:
        raise Invalid(_("The dispatch ends before it starts."), fields={"ends_on": _("must be on or after starts_on")})
    try:
        with transaction.atomic():
            return Dispatch.objects.create(commissioner=commissioner, village=village, starts_on=starts_on,
                                           ends_on=ends_on, dispatched_by=staff, note=note, programme=programme,
                                           sending_unit=sending_unit)
    except IntegrityError as exc:
        raise DispatchExists() from exc
