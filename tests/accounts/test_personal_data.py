"""Minimum necessary personal data (PIPL art. 6): who sees a commissioner at all, their home, their phone.

A home position never leaves the server except to its owner; staff list only the commissioners their
role needs (accounts/scoping.py `commissioners_q`); phones are whole only for the owner, the bureau and
county staff for people of their county or dispatched into it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.privacy import masked_phone, phone_for
from commissioners.checkins import checkin_record, dispatch_create
from commissioners.models import Dispatch
from problems.claims import claim_create
from problems.services import problem_post
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from tests.fixtures_problems import VILLAGE, make_commissioner
from villages.models import Area

pytestmark = pytest.mark.django_db

TOWNSHIP = "451002001"  # 百城街道, 右江区
OTHER_VILLAGE = "451003100001"  # a village of 田州镇, 田阳区


def _keys(value) -> set[str]:
    """Every key anywhere in a JSON answer."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _post(staff, village, category="fruit-trees"):
    return problem_post(staff=staff, client_id=uuid.uuid4(), village=village, category_code=category,
                        title="芒果炭疽病", description="果园大面积出现黑斑。").problem


@pytest.fixture
def village():
    return Area.objects.get(code=VILLAGE)


@pytest.fixture
def township_staff():
    return TownshipStaffFactory(area_id=TOWNSHIP)


def _listed(api, viewer, **params) -> dict[int, dict]:
    response = api.as_user(viewer).get("/commissioners", limit=100, **params)
    assert response.status_code == 200, response.content
    return {item["id"]: item for item in response.json()["items"]}


# -- homes ---------------------------------------------------------------------------------------


def test_the_commissioner_list_never_answers_a_home_position(api, village):
    make_commissioner(village)
    listed = _listed(api, BureauFactory())
    assert listed
    assert not {"home_lat", "home_lng"} & _keys(list(listed.values()))


def test_near_search_answers_the_distance_and_the_county_not_the_home(api, village):
    commissioner = make_commissioner(village, km_north=2)
    listed = _listed(api, BureauFactory(), near=f"{village.lat},{village.lng}", radius_km=10)
    item = listed[commissioner.pk]
    assert item["distance_km"] == pytest.approx(2, abs=0.05)
    assert item["county_code"] == "451002"
    assert not {"home_lat", "home_lng"} & set(item)


def test_matches_answer_the_distance_and_the_county_not_the_home(api, village, township_staff):
    commissioner = make_commissioner(village, km_north=3)
    problem = _post(township_staff, village)
    body = api.as_user(township_staff).get(f"/problems/{problem.pk}/matches").json()
    (item,) = [i for i in body["items"] if i["commissioner"]["id"] == commissioner.pk]
    assert item["commissioner"]["county_code"] == "451002"
    assert item["distance_km"] == pytest.approx(3, abs=0.05)
    assert not {"home_lat", "home_lng", "lat", "lng"} & _keys(body)


def test_the_owner_still_sees_their_own_home(api, village):
    commissioner = make_commissioner(village)
    me = api.as_user(commissioner).get("/me").json()
    assert me["home_lat"] == pytest.approx(village.lat + 1 / 111.2)


# -- who is listed -------------------------------------------------------------------------------


def test_township_staff_do_not_list_commissioners_with_no_tie_to_their_township(api, village, township_staff):
    stranger = make_commissioner(village, expertise=("tea",))
    elsewhere = CommissionerFactory(area_id="451003")
    listed = _listed(api, township_staff)
    assert stranger.pk not in listed
    assert elsewhere.pk not in listed


def test_township_staff_list_a_commissioner_dispatched_into_one_of_their_villages(api, village, township_staff):
    commissioner = make_commissioner(village, expertise=("tea",))
    dispatch_create(staff=CountyStaffFactory(), commissioner=commissioner, village=village,
                    starts_on=timezone.localdate())
    assert commissioner.pk in _listed(api, township_staff)


def test_a_dispatch_that_ended_no_longer_counts(api, village, township_staff):
    commissioner = make_commissioner(village, expertise=("tea",))
    today = timezone.localdate()
    Dispatch.objects.create(commissioner=commissioner, village=village, starts_on=today - timedelta(days=60),
                            ends_on=today - timedelta(days=1), dispatched_by=CountyStaffFactory())
    assert commissioner.pk not in _listed(api, township_staff)


def test_township_staff_list_a_commissioner_with_a_claim_on_one_of_their_problems(api, village, township_staff):
    commissioner = make_commissioner(village, expertise=("tea",))
    problem = _post(township_staff, village, category="tea")
    claim_create(commissioner=commissioner, problem=problem)
    problem.status = "withdrawn"  # no longer open: only the claim ties them to the township
    problem.save(update_fields=["status"])
    problem.claims.update(status="accepted")
    assert commissioner.pk in _listed(api, township_staff)


def test_township_staff_list_a_commissioner_who_checked_in_there_lately(api, village, township_staff):
    commissioner = make_commissioner(village, expertise=("tea",))
    checkin_record(commissioner=commissioner, client_id=uuid.uuid4(), village=village,
                   position=(village.lat, village.lng), occurred_at=timezone.now() - timedelta(days=3), accuracy_m=10)
    assert commissioner.pk in _listed(api, township_staff)


def test_township_staff_list_the_commissioners_matching_their_open_problems(api, village, township_staff):
    expert = make_commissioner(village, expertise=("fruit-trees",))
    other = make_commissioner(village, expertise=("tea",))
    _post(township_staff, village, category="fruit-trees")
    listed = _listed(api, township_staff)
    assert expert.pk in listed
    assert other.pk not in listed


def test_county_staff_list_their_countys_commissioners_and_those_dispatched_into_it(api, village):
    county = CountyStaffFactory(area_id="451002")
    own = CommissionerFactory(area_id="451002")
    visiting = CommissionerFactory(area_id="451003")
    outsider = CommissionerFactory(area_id="451003")
    dispatch_create(staff=county, commissioner=visiting, village=village, starts_on=timezone.localdate())
    listed = _listed(api, county)
    assert own.pk in listed
    assert visiting.pk in listed
    assert outsider.pk not in listed


def test_the_bureau_lists_every_commissioner(api):
    people = [CommissionerFactory(area_id=code) for code in ("451002", "451003", "451082")]
    listed = _listed(api, BureauFactory())
    assert {p.pk for p in people} <= set(listed)


def test_listing_commissioners_is_audited_with_what_was_answered(api, village, township_staff):
    _listed(api, township_staff)
    event = AuditEvent.objects.get(actor=township_staff, subject="commissioners.list")
    assert event.action == "personal_read"


def test_the_township_list_costs_a_fixed_number_of_queries(api, village, township_staff,
                                                           django_assert_max_num_queries):
    for i in range(12):
        make_commissioner(village, km_north=1 + i)
    _post(township_staff, village)
    api.as_user(township_staff)
    # user, open problems, their candidates, count, page, expertise, the audit row
    with django_assert_max_num_queries(7):
        body = api.get("/commissioners", limit=12).json()
    assert len(body["items"]) == 12


# -- phones ---------------------------------------------------------------------------------------


def test_county_staff_see_whole_the_phones_of_their_countys_people_and_those_dispatched_in(api, village):
    county = CountyStaffFactory(area_id="451002")
    own = CommissionerFactory(area_id="451002")
    visiting = CommissionerFactory(area_id="451003")
    dispatch_create(staff=county, commissioner=visiting, village=village, starts_on=timezone.localdate())
    listed = _listed(api, county)
    assert listed[own.pk]["phone"] == own.phone
    assert listed[visiting.pk]["phone"] == visiting.phone


def test_county_staff_see_masked_the_phone_of_someone_outside_their_county(village):
    county = CountyStaffFactory(area_id="451002")
    outsider = CommissionerFactory(area_id="451003")
    assert phone_for(county, outsider.pk, outsider.phone) == masked_phone(outsider.phone)


def test_a_dispatch_elsewhere_does_not_unmask_a_phone(village):
    county = CountyStaffFactory(area_id="451002")
    outsider = CommissionerFactory(area_id="451003")
    dispatch_create(staff=BureauFactory(), commissioner=outsider, village=Area.objects.get(code=OTHER_VILLAGE),
                    starts_on=timezone.localdate())
    assert phone_for(county, outsider.pk, outsider.phone) == masked_phone(outsider.phone)


def test_township_staff_see_phones_masked(api, village, township_staff):
    commissioner = make_commissioner(village)
    _post(township_staff, village)
    assert _listed(api, township_staff)[commissioner.pk]["phone"] == masked_phone(commissioner.phone)


def test_the_bureau_sees_phones_whole(api, village):
    commissioner = make_commissioner(village)
    assert _listed(api, BureauFactory())[commissioner.pk]["phone"] == commissioner.phone
