"""The scoping rules, for every role, inside and outside its area."""

import pytest

from accounts.scoping import area_in_scope, ensure_area_in_scope, may_create_user, scope_q
from core.errors import Forbidden, OutsideScope
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from villages.models import Area

pytestmark = pytest.mark.django_db

# 451002001001: a village of 百城街道 (451002001), 右江区 (451002).
# 451003100xxx: villages of 田州镇, 田阳区 (451003).
INSIDE_TOWNSHIP = "451002001001"


@pytest.fixture
def areas():
    codes = ["451000", "451002", "451002001", INSIDE_TOWNSHIP, "451003", "451003100"]
    found = {a.code: a for a in Area.objects.filter(code__in=codes)}
    found["other_township_same_county"] = Area.objects.filter(level="township", county_code="451002").exclude(
        code="451002001").first()
    found["village_other_county"] = Area.objects.filter(level="village", county_code="451003").first()
    return found


@pytest.mark.parametrize(
    ("factory", "area_key", "expected"),
    [
        (BureauFactory, "451000", True),
        (BureauFactory, "451002", True),
        (BureauFactory, "village_other_county", True),
        (CountyStaffFactory, "451002", True),
        (CountyStaffFactory, INSIDE_TOWNSHIP, True),
        (CountyStaffFactory, "other_township_same_county", True),
        (CountyStaffFactory, "451003", False),
        (CountyStaffFactory, "village_other_county", False),
        (CountyStaffFactory, "451000", False),
        (TownshipStaffFactory, "451002001", True),
        (TownshipStaffFactory, INSIDE_TOWNSHIP, True),
        (TownshipStaffFactory, "other_township_same_county", False),
        (TownshipStaffFactory, "451002", False),
        (TownshipStaffFactory, "village_other_county", False),
        (CommissionerFactory, INSIDE_TOWNSHIP, False),
        (CommissionerFactory, "451002", False),
    ],
)
def test_area_in_scope(areas, factory, area_key, expected):
    assert area_in_scope(factory(), areas[area_key]) is expected


def test_ensure_raises_outside_scope_for_staff_and_forbidden_for_commissioners(areas):
    with pytest.raises(OutsideScope):
        ensure_area_in_scope(CountyStaffFactory(), areas["451003"])
    with pytest.raises(Forbidden):
        ensure_area_in_scope(CommissionerFactory(), areas[INSIDE_TOWNSHIP])


@pytest.mark.parametrize(
    ("factory", "expected_villages"),
    [(BureauFactory, 1897), (CountyStaffFactory, None), (TownshipStaffFactory, None), (CommissionerFactory, 0)],
)
def test_scope_q_selects_the_same_areas_as_area_in_scope(factory, expected_villages):
    user = factory()
    villages = Area.objects.filter(level="village")
    in_sql = set(villages.filter(scope_q(user, "")).values_list("code", flat=True))
    in_python = {a.code for a in villages if area_in_scope(user, a)}
    assert in_sql == in_python
    if expected_villages is not None:
        assert len(in_sql) == expected_villages


@pytest.mark.parametrize(
    ("factory", "role", "area_key", "expected"),
    [
        (BureauFactory, "bureau", "451000", True),
        (BureauFactory, "county_staff", "451003", True),
        (CountyStaffFactory, "commissioner", "451002", True),
        (CountyStaffFactory, "township_staff", "451002001", True),
        (CountyStaffFactory, "township_staff", "451003100", False),
        (CountyStaffFactory, "bureau", "451000", False),
        (TownshipStaffFactory, "commissioner", "451002001", False),
        (CommissionerFactory, "commissioner", "451002", False),
    ],
)
def test_who_may_create_whom(areas, factory, role, area_key, expected):
    assert may_create_user(factory(), role, areas[area_key]) is expected
