"""Writes for areas and categories: the import of Baise's real divisions, and surveyed positions."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape

from accounts.models import Role, User
from accounts.scoping import area_contains, ensure_area_in_scope, ensure_role
from core.errors import Forbidden, Invalid
from core.positions import point_in
from geo.cells import cell_of
from geo.placement import place_areas

from .hooks import village_moved
from .models import Area, AreaLevel, AreaPositionChange, Category, PositionSource, PositionVia
from .position_files import PositionRow
from .selectors import area_index_reset, distance_outside_county_m

DIVISIONS_PATH = Path(__file__).resolve().parent / "data" / "baise-divisions.json"

# The contract's twelve categories, in the order the apps list them.
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("fruit-trees", "果树", "Fruit trees"),
    ("sugarcane", "甘蔗", "Sugarcane"),
    ("mulberry-silkworm", "桑蚕", "Mulberry and silkworm"),
    ("livestock", "畜牧", "Livestock"),
    ("aquaculture", "水产", "Aquaculture"),
    ("tea", "茶叶", "Tea"),
    ("oil-tea", "油茶", "Oil-tea camellia"),
    ("vegetables", "蔬菜", "Vegetables"),
    ("forestry", "林业", "Forestry"),
    ("farm-machinery", "农机", "Farm machinery"),
    ("e-commerce", "电子商务", "E-commerce"),
    ("tcm-herbs", "中药材", "TCM herbs"),
)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


_IMPORTED_FIELDS = ("name", "level", "parent_id", "county_code", "township_code", "geometry")
_POSITION_FIELDS = ("lat", "lng", "cell", "position_source")


@functools.cache
def _desired_area_fields(path: str, mtime: float) -> tuple[dict, ...]:
    # Placing 2,000 positions takes a second or two; a process that imports twice (tests,
    # seed_demo after migrate) computes them once. Fresh instances are built from the fields.
    areas = _desired_areas(json.loads(Path(path).read_text(encoding="utf-8")))
    names = ("code", *_IMPORTED_FIELDS, *_POSITION_FIELDS)
    return tuple({name: getattr(a, name) for name in names} for a in areas)


def _desired_areas(data: dict) -> list[Area]:
    """Build every area of the file, parents before children, with positions."""
    meta = data["meta"]
    city_code = meta["city_adcode"]
    counties = data["counties"]
    union = shape(counties[0]["geometry"])
    for county in counties[1:]:
        union = union.union(shape(county["geometry"]))
    centre = union.centroid
    areas = [
        Area(code=city_code, name=meta["city"], level=AreaLevel.CITY, lat=round(centre.y, 6),
             lng=round(centre.x, 6), position_source=PositionSource.CENTROID)
    ]
    villages_by_township: dict[str, list[dict]] = {}
    for village in data["villages"]:
        villages_by_township.setdefault(village["township_code"], []).append(village)
    townships_by_county: dict[str, list[dict]] = {}
    for township in data["townships"]:
        townships_by_county.setdefault(township["county_adcode"], []).append(township)

    for county in counties:
        code = county["adcode"]
        seat_lng, seat_lat = county["seat"]
        areas.append(Area(code=code, name=county["name"], level=AreaLevel.COUNTY, parent_id=city_code,
                          county_code=code, lat=seat_lat, lng=seat_lng,
                          position_source=PositionSource.SEAT, geometry=county["geometry"]))
        townships = townships_by_county.get(code, [])
        positions = place_areas(
            county["geometry"],
            [(t["code"], [v["code"] for v in villages_by_township.get(t["code"], [])]) for t in townships],
        )
        for township in townships:
            t_code = township["code"]
            lat, lng = positions[t_code]
            areas.append(Area(code=t_code, name=township["name"], level=AreaLevel.TOWNSHIP, parent_id=code,
                              county_code=code, township_code=t_code, lat=round(lat, 6), lng=round(lng, 6),
                              position_source=PositionSource.GENERATED))
            for village in villages_by_township.get(t_code, []):
                lat, lng = positions[village["code"]]
                areas.append(Area(code=village["code"], name=village["name"], level=AreaLevel.VILLAGE,
                                  parent_id=t_code, county_code=code, township_code=t_code,
                                  lat=round(lat, 6), lng=round(lng, 6),
                                  position_source=PositionSource.GENERATED))
    for area in areas:
        area.cell = cell_of(area.lat, area.lng)
    return areas


@transaction.atomic
def areas_import(path: Path = DIVISIONS_PATH) -> ImportResult:
    """Create or update every area from the divisions file. Idempotent: a second run changes
    nothing. A surveyed position is never overwritten by a generated one."""
    path = Path(path)
    desired = [Area(**fields) for fields in _desired_area_fields(str(path), path.stat().st_mtime)]
    existing = {a.code: a for a in Area.objects.all()}
    to_create, to_update = [], []
    for area in desired:
        current = existing.get(area.code)
        if current is None:
            to_create.append(area)
            continue
        fields = list(_IMPORTED_FIELDS)
        if current.position_source != PositionSource.SURVEYED:
            fields += _POSITION_FIELDS
        changed = [f for f in fields if getattr(current, f) != getattr(area, f)]
        if changed:
            for f in changed:
                setattr(current, f, getattr(area, f))
            to_update.append(current)
    Area.objects.bulk_create(to_create, batch_size=500)
    transaction.on_commit(area_index_reset)
    if to_update:
        Area.objects.bulk_update(to_update, _IMPORTED_FIELDS + _POSITION_FIELDS, batch_size=500)
    return ImportResult(created=len(to_create), updated=len(to_update),
                        unchanged=len(desired) - len(to_create) - len(to_update))


@transaction.atomic
def categories_seed() -> int:
    """Create the contract's categories that are missing; returns how many were created."""
    existing = set(Category.objects.values_list("code", flat=True))
    new = [
        Category(code=code, name=name, name_en=name_en, sort_order=i)
        for i, (code, name, name_en) in enumerate(CATEGORIES)
        if code not in existing
    ]
    Category.objects.bulk_create(new)
    return len(new)


# Surveyed positions ---------------------------------------------------------------------------

# Only townships and villages have positions to survey: a county's is its seat, the city's a centroid.
POSITION_LEVELS = (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
# A surveyed position this far outside its county's real boundary is a mistake (lat and lng swapped,
# the wrong datum, the wrong row), not a village on the border: GPS and datum shifts are < 1 km.
COUNTY_TOLERANCE_M = 2_000
# Worse than this is a cell-tower fix, not a survey: it would make a fence of a guess again.
MAX_SURVEY_ACCURACY_M = 500.0
# Two positions closer than this (≈1 cm) are the same: a second import of a sheet changes nothing.
_SAME_DEGREES = 1e-7


@dataclass(frozen=True)
class NewPosition:
    area: Area
    lat: float
    lng: float
    accuracy_m: float | None
    crs: str

    @property
    def changes_anything(self) -> bool:
        a = self.area
        return not (a.position_source == PositionSource.SURVEYED and a.lat is not None
                    and abs(a.lat - self.lat) < _SAME_DEGREES and abs(a.lng - self.lng) < _SAME_DEGREES
                    and a.position_accuracy_m == self.accuracy_m)


def position_errors(area: Area, lat: object, lng: object, crs: str, accuracy_m: object,
                    ) -> tuple[dict[str, str], NewPosition | None]:
    """Why this position cannot be ``area``'s (field → reason), or the position in WGS-84."""
    if area.level not in POSITION_LEVELS:
        return {"code": str(_("only a township or village position can be set"))}, None
    try:
        wgs_lat, wgs_lng = point_in(lat, lng, crs or "wgs84")  # type: ignore[arg-type]
    except Invalid as exc:
        return {k: str(v) for k, v in exc.fields.items()}, None
    accuracy = None
    if accuracy_m not in (None, ""):
        try:
            accuracy = float(accuracy_m)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return {"accuracy_m": str(_("must be a number"))}, None
        if not 0 <= accuracy <= MAX_SURVEY_ACCURACY_M:
            reason = _("must be between 0 and %(max)s metres") % {"max": f"{MAX_SURVEY_ACCURACY_M:g}"}
            return {"accuracy_m": str(reason)}, None
    outside = distance_outside_county_m(area.county_code, wgs_lat, wgs_lng)
    if outside is not None and outside > COUNTY_TOLERANCE_M:
        return {"lat": str(_("%(km)s km outside the county of %(name)s (lat and lng swapped, or the wrong crs?)")
                           % {"km": f"{outside / 1000:.1f}", "name": area.name})}, None
    return {}, NewPosition(area, round(wgs_lat, 7), round(wgs_lng, 7), accuracy, crs or "wgs84")


def _positions_store(changes: list[NewPosition], *, actor: User, via: str) -> None:
    """Write new positions with their trail; after commit the check-ins of every moved village are
    judged again (commissioners/tasks.py) and this process's area index is rebuilt."""
    now = timezone.now()
    codes = sorted(c.area.code for c in changes)
    # Locked in code order: two imports touching the same villages wait for each other, never deadlock.
    current = {a.code: a for a in Area.objects.select_for_update().filter(code__in=codes).order_by("code")}
    trail, moved = [], []
    for change in changes:
        area = current[change.area.code]
        trail.append(AreaPositionChange(area=area, actor=actor, via=via, from_lat=area.lat, from_lng=area.lng,
                                        from_source=area.position_source, lat=change.lat, lng=change.lng,
                                        accuracy_m=change.accuracy_m, crs=change.crs, at=now))
        area.lat, area.lng, area.cell = change.lat, change.lng, cell_of(change.lat, change.lng)
        area.position_source, area.position_accuracy_m, area.position_updated_at = (
            PositionSource.SURVEYED, change.accuracy_m, now)
        moved.append(area)
    # One plain UPDATE per area, sent as a batch (psycopg pipelines executemany): Django's bulk_update
    # builds a CASE per field and row, which took 12-20 s for Baise's 1,897 villages (bench/positions).
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Area._meta.db_table} SET lat = %s, lng = %s, cell = %s, position_source = %s,"
            " position_accuracy_m = %s, position_updated_at = %s WHERE code = %s",
            [(a.lat, a.lng, a.cell, a.position_source, a.position_accuracy_m,
              connection.ops.adapt_datetimefield_value(now), a.code) for a in moved],
        )
    AreaPositionChange.objects.bulk_create(trail, batch_size=500)
    transaction.on_commit(area_index_reset)
    for area in moved:
        if area.level == AreaLevel.VILLAGE:
            village_moved(area.code)


def ensure_may_set_position(actor: User, area: Area) -> None:
    """Township staff: a village of their township (on site, from their phone). County staff and the
    bureau: any township or village in their area."""
    ensure_role(actor, Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF, Role.BUREAU)
    ensure_area_in_scope(actor, area)
    if actor.role == Role.TOWNSHIP_STAFF and area.level != AreaLevel.VILLAGE:
        raise Forbidden(_("Township staff set the positions of their villages only."))


@transaction.atomic
def area_position_set(*, actor: User, area: Area, lat: float, lng: float, crs: str = "wgs84",
                      accuracy_m: float | None = None) -> Area:
    """Set one area's position, surveyed on site. Setting the same position again changes nothing."""
    ensure_may_set_position(actor, area)
    errors, change = position_errors(area, lat, lng, crs, accuracy_m)
    if change is None:
        raise Invalid(next(iter(errors.values())), fields=errors)
    if change.changes_anything:
        _positions_store([change], actor=actor, via=PositionVia.PHONE)
    area.refresh_from_db()
    return area


@dataclass(frozen=True)
class RowResult:
    row: int
    code: str
    status: str  # "updated" | "unchanged" | "invalid"
    errors: dict[str, str] | None = None


@dataclass(frozen=True)
class PositionsImported:
    updated: int
    unchanged: int
    invalid: int
    rows: list[RowResult]
    dry_run: bool


@transaction.atomic
def positions_import(*, actor: User, rows: list[PositionRow], crs: str = "wgs84",
                     dry_run: bool = False) -> PositionsImported:
    """Surveyed positions for townships and villages, by statistical code, from a county's file.

    Every row is judged (check), then all valid rows are stored in one transaction (do); invalid rows
    are reported and nothing of them is written. A dry run answers the same without writing. A row
    that repeats a code already in the file is invalid (which of the two is right is a person's call);
    a row whose position is already the area's surveyed one is "unchanged", so a second import of the
    same sheet writes nothing."""
    ensure_role(actor, Role.COUNTY_STAFF, Role.BUREAU)
    areas = {a.code: a for a in Area.objects.defer("geometry").filter(code__in={r.code for r in rows})}
    seen: dict[str, int] = {}
    results: list[RowResult] = []
    changes: list[NewPosition] = []
    for r in rows:
        errors: dict[str, str] = {}
        area = areas.get(r.code)
        if not r.code:
            errors = {"code": str(_("required"))}
        elif r.code in seen:
            errors = {"code": str(_("repeats row %(row)s") % {"row": seen[r.code]})}
        elif area is None:
            errors = {"code": str(_("no area with this code"))}
        elif not area_contains(actor.area, area):
            errors = {"code": str(_("outside your area"))}
        if r.code and r.code not in seen:
            seen[r.code] = r.row
        change = None
        if not errors:
            errors, change = position_errors(area, r.lat, r.lng, r.crs or crs, r.accuracy_m)
        if change is None:
            results.append(RowResult(r.row, r.code, "invalid", errors))
        elif change.changes_anything:
            changes.append(change)
            results.append(RowResult(r.row, r.code, "updated"))
        else:
            results.append(RowResult(r.row, r.code, "unchanged"))
    if changes and not dry_run:
        _positions_store(changes, actor=actor, via=PositionVia.IMPORT)
    counts = {s: sum(1 for r in results if r.status == s) for s in ("updated", "unchanged", "invalid")}
    return PositionsImported(rows=results, dry_run=dry_run, **counts)
