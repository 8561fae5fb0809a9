import json

import pytest
from shapely.geometry import Point, shape

from villages.models import Area, Category, PositionSource
from villages.services import DIVISIONS_PATH, areas_import, categories_seed

pytestmark = pytest.mark.django_db


def test_the_real_divisions_are_all_there():
    assert Area.objects.filter(level="city").count() == 1
    assert Area.objects.filter(level="county").count() == 12
    assert Area.objects.filter(level="township").count() == 135
    assert Area.objects.filter(level="village").count() == 1897


def test_codes_and_names_match_the_source_file():
    data = json.loads(DIVISIONS_PATH.read_text(encoding="utf-8"))
    stored = dict(Area.objects.values_list("code", "name"))
    for county in data["counties"]:
        assert stored[county["adcode"]] == county["name"]
    for township in data["townships"]:
        assert stored[township["code"]] == township["name"]
    for village in data["villages"]:
        assert stored[village["code"]] == village["name"]
    assert stored["451002"] == "右江区"


def test_every_village_code_starts_with_its_townships_and_parents_chain_up():
    for village in Area.objects.filter(level="village").select_related("parent__parent"):
        assert village.code.startswith(village.parent_id)
        assert village.township_code == village.parent_id
        assert village.county_code == village.parent.parent_id
        assert village.parent.parent.parent_id == "451000"


def test_generated_positions_lie_inside_their_county_and_are_marked():
    counties = {a.code: shape(a.geometry) for a in Area.objects.filter(level="county")}
    for area in Area.objects.filter(level__in=["township", "village"]):
        assert area.position_source == PositionSource.GENERATED
        assert counties[area.county_code].covers(Point(area.lng, area.lat)), area.code
        assert area.cell is not None


def test_importing_twice_changes_nothing():
    before = list(Area.objects.order_by("code").values())
    result = areas_import()
    assert (result.created, result.updated) == (0, 0)
    assert list(Area.objects.order_by("code").values()) == before


def test_a_surveyed_position_is_not_overwritten_by_a_reimport():
    village = Area.objects.get(code="451002001001")
    village.lat, village.lng, village.position_source = 23.9, 106.6, PositionSource.SURVEYED
    village.save()
    areas_import()
    village.refresh_from_db()
    assert (village.lat, village.lng, village.position_source) == (23.9, 106.6, "surveyed")


def test_the_contracts_twelve_categories_and_the_plans_industries_are_seeded_once():
    assert Category.objects.filter(parent__isnull=True).count() == 12
    assert Category.objects.filter(parent__isnull=False).count() == 7
    assert Category.objects.get(code="mulberry-silkworm").name == "桑蚕"
    assert categories_seed() == 0
