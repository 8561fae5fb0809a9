"""Dispatches (选派): county staff and the bureau send commissioners to villages."""

import pytest

from commissioners.models import Dispatch
from tests.client import error_code
from tests.factories import BureauFactory, CountyStaffFactory, TownshipStaffFactory

pytestmark = pytest.mark.django_db


def dispatch(commissioner, village, **overrides):
    data = {"commissioner_id": commissioner.pk, "village_code": village.code, "starts_on": "2025-04-01",
            "ends_on": "2025-06-30"}
    data.update(overrides)
    return data


def test_county_staff_dispatch_in_their_county(api, commissioner, village):
    staff = CountyStaffFactory()
    response = api.as_user(staff).post("/dispatches", dispatch(commissioner, village))
    assert response.status_code == 201
    body = response.json()
    assert body["commissioner"]["id"] == commissioner.pk
    assert (body["county_code"], body["dispatched_by"]["id"]) == ("451002", staff.pk)
    assert Dispatch.objects.count() == 1


def test_the_bureau_dispatches_anywhere(api, commissioner, village):
    assert api.as_user(BureauFactory()).post("/dispatches", dispatch(commissioner, village)).status_code == 201


def test_county_staff_cannot_dispatch_into_another_county(api, commissioner, village):
    response = api.as_user(CountyStaffFactory(area_id="451003")).post("/dispatches", dispatch(commissioner, village))
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"


@pytest.mark.parametrize("role", ["township", "commissioner"])
def test_other_roles_cannot_dispatch(api, commissioner, village, role):
    user = TownshipStaffFactory() if role == "township" else commissioner
    assert api.as_user(user).post("/dispatches", dispatch(commissioner, village)).status_code == 403


def test_the_same_dispatch_twice_is_a_conflict_and_counts_once(api, commissioner, village):
    api.as_user(CountyStaffFactory())
    api.post("/dispatches", dispatch(commissioner, village))
    response = api.post("/dispatches", dispatch(commissioner, village))
    assert response.status_code == 409
    assert error_code(response) == "dispatch_exists"
    assert Dispatch.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "status"),
    [
        ({"ends_on": "2025-03-01"}, "ends_on", 422),
        ({"village_code": "451002001"}, "village_code", 422),
        ({"starts_on": "soon"}, "starts_on", 422),
    ],
)
def test_invalid_dispatches_name_the_field(api, commissioner, village, overrides, field, status):
    response = api.as_user(CountyStaffFactory()).post("/dispatches", dispatch(commissioner, village, **overrides))
    assert response.status_code == status
    assert field in response.json()["error"]["fields"]


def test_only_commissioners_are_dispatched(api, village):
    staff = CountyStaffFactory()
    response = api.as_user(staff).post("/dispatches", dispatch(staff, village))
    assert response.status_code == 422
    assert "commissioner_id" in response.json()["error"]["fields"]


def test_unknown_commissioner_or_village_is_404(api, commissioner, village):
    api.as_user(CountyStaffFactory())
    assert api.post("/dispatches", dispatch(commissioner, village, commissioner_id=987654)).status_code == 404
    assert api.post("/dispatches", dispatch(commissioner, village, village_code="451099999999")).status_code == 404


def test_a_commissioner_sees_their_own_dispatches_and_staff_their_area(api, commissioner, village):
    api.as_user(CountyStaffFactory()).post("/dispatches", dispatch(commissioner, village))
    assert api.as_user(commissioner).get("/dispatches").json()["count"] == 1
    assert api.as_user(TownshipStaffFactory()).get("/dispatches").json()["count"] == 1
    assert api.as_user(CountyStaffFactory(area_id="451003")).get("/dispatches").json()["count"] == 0


def test_dispatch_filters(api, commissioner, village):
    api.as_user(BureauFactory())
    api.post("/dispatches", dispatch(commissioner, village, starts_on="2024-01-10", ends_on=None))
    api.post("/dispatches", dispatch(commissioner, village, starts_on="2025-01-10", ends_on=None))
    assert api.get("/dispatches", **{"from": "2025-01-01"}).json()["count"] == 1
    assert api.get("/dispatches", county="451003").json()["count"] == 0
    assert api.get("/dispatches", commissioner=commissioner.pk, village=village.code).json()["count"] == 2


def test_the_dispatch_list_costs_the_same_whatever_the_page(api, commissioner, village,
                                                           django_assert_max_num_queries):
    api.as_user(BureauFactory())
    for day in range(1, 13):
        api.post("/dispatches", dispatch(commissioner, village, starts_on=f"2025-05-{day:02d}", ends_on=None))
    with django_assert_max_num_queries(3):
        assert len(api.get("/dispatches", limit=12).json()["items"]) == 12
