"""Writes for areas and categories: the import of Baise's real divisions."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from shapely.geometry import shape

from geo.cells import cell_of
from geo.placement import place_areas

from .models import Area, AreaLevel, Category, PositionSource
from .selectors import area_index_reset

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
