"""Reading trainings: who sees which, the filters, Asia/Shanghai days, and a page's constant cost."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.periods import SHANGHAI
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from trainings.models import TrainingAttendee

from .factories import (
    OTHER_COUNTY_VILLAGE,
    OTHER_TOWNSHIP_VILLAGE,
    SAME_TOWNSHIP_VILLAGE,
    VILLAGE,
    TrainingFactory,
)

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


@pytest.fixture
def spread():
    """One training in each of: the township (two villages), another township of the county, another county."""
    return {
        "village": TrainingFactory(village_id=VILLAGE),
        "township": TrainingFactory(village_id=SAME_TOWNSHIP_VILLAGE),
        "county": TrainingFactory(village_id=OTHER_TOWNSHIP_VILLAGE),
        "outside": TrainingFactory(village_id=OTHER_COUNTY_VILLAGE),
    }


def test_a_commissioner_sees_only_their_own_trainings(api, spread):
    mine = spread["outside"].commissioner
    own_second = TrainingFactory(commissioner=mine)
    assert ids(api.as_user(mine).get("/trainings")) == {spread["outside"].pk, own_second.pk}


def test_a_commissioner_asking_for_another_commissioner_gets_nothing(api, spread):
    mine = spread["village"].commissioner
    other = spread["county"].commissioner
    assert ids(api.as_user(mine).get("/trainings", commissioner=other.pk)) == set()


def test_township_staff_see_their_township(api, spread):
    staff = TownshipStaffFactory(area_id="451002001")
    assert ids(api.as_user(staff).get("/trainings")) == {spread["village"].pk, spread["township"].pk}


def test_county_staff_see_their_county(api, spread):
    staff = CountyStaffFactory(area_id="451002")
    assert ids(api.as_user(staff).get("/trainings")) == {
        spread["village"].pk, spread["township"].pk, spread["county"].pk}


def test_the_bureau_sees_every_training(api, spread):
    assert ids(api.as_user(BureauFactory()).get("/trainings")) == {t.pk for t in spread.values()}


def test_staff_of_another_county_see_none_of_these(api, spread):
    staff = CountyStaffFactory(area_id="451022")
    assert ids(api.as_user(staff).get("/trainings")) == set()


def test_the_detail_is_403_outside_scope(api, spread):
    staff = TownshipStaffFactory(area_id="451002001")
    response = api.as_user(staff).get(f"/trainings/{spread['county'].pk}")
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"


def test_the_detail_is_403_to_another_commissioner(api, spread):
    response = api.as_user(CommissionerFactory()).get(f"/trainings/{spread['village'].pk}")
    assert response.status_code == 403


def test_an_unknown_training_is_404(api, spread):
    response = api.as_user(CommissionerFactory()).get("/trainings/987654321")
    assert response.status_code == 404
    assert error_code(response) == "training_not_found"


def test_the_detail_is_served_to_staff_in_scope(api, spread):
    staff = CountyStaffFactory(area_id="451002")
    response = api.as_user(staff).get(f"/trainings/{spread['county'].pk}")
    assert response.status_code == 200
    assert response.json()["village_code"] == OTHER_TOWNSHIP_VILLAGE


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"county": "451002"}, {"village", "township", "county"}),
        ({"county": "451003"}, {"outside"}),
        ({"township": "451002001"}, {"village", "township"}),
        ({"village": SAME_TOWNSHIP_VILLAGE}, {"township"}),
    ],
)
def test_the_bureau_filters_by_area(api, spread, params, expected):
    assert ids(api.as_user(BureauFactory()).get("/trainings", **params)) == {spread[k].pk for k in expected}


def test_the_bureau_filters_by_commissioner(api, spread):
    who = spread["county"].commissioner
    assert ids(api.as_user(BureauFactory()).get("/trainings", commissioner=who.pk)) == {spread["county"].pk}


def test_area_filters_stay_inside_the_callers_scope(api, spread):
    staff = TownshipStaffFactory(area_id="451002001")
    assert ids(api.as_user(staff).get("/trainings", county="451003")) == set()


@pytest.fixture
def around_midnight():
    """Two trainings 40 minutes apart, either side of midnight 1–2 March 2025 in Asia/Shanghai."""
    late = TrainingFactory(started_at=datetime(2025, 3, 1, 23, 30, tzinfo=SHANGHAI))
    early = TrainingFactory(started_at=datetime(2025, 3, 2, 0, 10, tzinfo=SHANGHAI))
    return late, early


def test_a_training_at_23_30_shanghai_time_is_on_that_day(api, around_midnight):
    late, _ = around_midnight
    bureau = BureauFactory()
    assert ids(api.as_user(bureau).get("/trainings", **{"from": "2025-03-01", "to": "2025-03-01"})) == {late.pk}


def test_a_training_just_after_midnight_is_on_the_next_day(api, around_midnight):
    _, early = around_midnight
    bureau = BureauFactory()
    assert ids(api.as_user(bureau).get("/trainings", **{"from": "2025-03-02", "to": "2025-03-02"})) == {early.pk}


def test_to_includes_its_whole_day(api, around_midnight):
    late, early = around_midnight
    bureau = BureauFactory()
    assert ids(api.as_user(bureau).get("/trainings", to="2025-03-02")) == {late.pk, early.pk}


def test_bounds_with_a_time_are_instants_inclusive(api, around_midnight):
    late, early = around_midnight
    api.as_user(BureauFactory())
    assert ids(api.get("/trainings", to="2025-03-01T23:30:00+08:00")) == {late.pk}
    assert ids(api.get("/trainings", **{"from": "2025-03-01T16:10:00Z"})) == {early.pk}


def test_a_bound_that_is_not_a_date_is_422(api):
    response = api.as_user(BureauFactory()).get("/trainings", **{"from": "yesterday"})
    assert response.status_code == 422
    assert "from" in response.json()["error"]["fields"]


def test_the_list_is_newest_first(api):
    older = TrainingFactory(started_at=datetime(2025, 3, 1, 9, tzinfo=SHANGHAI))
    newer = TrainingFactory(started_at=datetime(2025, 3, 5, 9, tzinfo=SHANGHAI))
    body = api.as_user(BureauFactory()).get("/trainings").json()
    assert [item["id"] for item in body["items"]] == [newer.pk, older.pk]
    assert body["count"] == 2


def test_the_list_is_paginated(api):
    TrainingFactory.create_batch(5)
    body = api.as_user(BureauFactory()).get("/trainings", limit=2, offset=4).json()
    assert (body["count"], len(body["items"])) == (5, 1)


def test_items_carry_their_roster_size(api):
    training = TrainingFactory()
    TrainingAttendee.objects.bulk_create(
        TrainingAttendee(training=training, name=f"村民{i}", phone_hash=f"{i:064x}") for i in range(3))
    item = api.as_user(training.commissioner).get("/trainings").json()["items"][0]
    assert (item["roster_size"], item["photo_count"], item["headcount"]) == (3, 0, 40)


def _queries(api, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/trainings", **params)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["items"])


def test_the_training_list_costs_the_same_whatever_the_page(api, django_assert_max_num_queries):
    for _ in range(12):
        training = TrainingFactory(village_id=OTHER_TOWNSHIP_VILLAGE)
        TrainingAttendee.objects.create(training=training, name="村民", phone_hash="a" * 64)
    api.as_user(CountyStaffFactory(area_id="451002"))
    small, n_small = _queries(api, limit=2)
    large, n_large = _queries(api, limit=12)
    assert (n_small, n_large) == (2, 12)
    assert small == large
    with django_assert_max_num_queries(3):  # the user, the count, the page
        api.get("/trainings", limit=12)
