"""Dispatches say under which programme a person went (科技特派员, “三区”人才, 法人科技特派员) and who sent them."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from commissioners.checkins import dispatch_create
from commissioners.models import Dispatch
from tests.client import error_code
from tests.factories import BureauFactory, CountyStaffFactory

from .test_dispatches_api import dispatch

pytestmark = pytest.mark.django_db


def test_a_dispatch_is_a_commissioners_with_no_unit_by_default(api, commissioner, village):
    body = api.as_user(CountyStaffFactory()).post("/dispatches", dispatch(commissioner, village)).json()
    assert (body["programme"], body["sending_unit"]) == ("commissioner", "")


def test_programme_and_sending_unit_are_stored_and_answered(api, commissioner, village):
    payload = dispatch(commissioner, village, programme="three_regions", sending_unit="  广西大学农学院 ")
    response = api.as_user(CountyStaffFactory()).post("/dispatches", payload)
    assert response.status_code == 201, response.content
    assert (response.json()["programme"], response.json()["sending_unit"]) == ("three_regions", "广西大学农学院")
    stored = Dispatch.objects.get()
    assert (stored.programme, stored.sending_unit) == ("three_regions", "广西大学农学院")


def test_a_sending_unit_is_text_not_markup(api, commissioner, village):
    unit = '<script>alert(1)</script>=HYPERLINK("x")'
    body = api.as_user(CountyStaffFactory()).post("/dispatches", dispatch(commissioner, village,
                                                                          sending_unit=unit)).json()
    assert body["sending_unit"] == unit


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"programme": "volunteer"}, "programme"),
        ({"sending_unit": "单" * 101}, "sending_unit"),
        ({"sending_unit": "百色学院\n农学系"}, "sending_unit"),
        ({"sending_unit": "百色\u202e学院"}, "sending_unit"),
    ],
)
def test_a_bad_programme_or_unit_is_422_naming_the_field(api, commissioner, village, overrides, field):
    response = api.as_user(CountyStaffFactory()).post("/dispatches", dispatch(commissioner, village, **overrides))
    assert response.status_code == 422, response.content
    assert error_code(response) == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not Dispatch.objects.exists()


def test_the_service_refuses_an_unknown_programme(commissioner, village):
    from core.errors import Invalid

    with pytest.raises(Invalid) as refused:
        dispatch_create(staff=BureauFactory(), commissioner=commissioner, village=village,
                        starts_on=date(2025, 4, 1), programme="volunteer")
    assert "programme" in refused.value.fields


def test_the_database_refuses_an_unknown_programme(commissioner, village):
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispatch.objects.create(commissioner=commissioner, village=village, starts_on=date(2025, 4, 1),
                                dispatched_by=BureauFactory(), programme="volunteer")


def test_the_list_filters_by_programme(api, commissioner, village):
    staff = api.as_user(CountyStaffFactory())
    staff.post("/dispatches", dispatch(commissioner, village, starts_on="2025-04-01", programme="legal_entity"))
    staff.post("/dispatches", dispatch(commissioner, village, starts_on="2025-05-01"))
    body = staff.get("/dispatches", programme="legal_entity").json()
    assert body["count"] == 1
    assert body["items"][0]["programme"] == "legal_entity"
    assert staff.get("/dispatches").json()["count"] == 2


def test_the_list_refuses_an_unknown_programme(api):
    response = api.as_user(CountyStaffFactory()).get("/dispatches", programme="volunteer")
    assert response.status_code == 422
    assert "programme" in response.json()["error"]["fields"]


def test_stats_count_dispatches_people_and_units_by_programme(api, commissioner, village):
    staff = api.as_user(BureauFactory())
    staff.post("/dispatches", dispatch(commissioner, village, starts_on="2025-04-01", programme="three_regions",
                                       sending_unit="广西大学"))
    staff.post("/dispatches", dispatch(commissioner, village, starts_on="2025-05-01", programme="three_regions",
                                       sending_unit="广西大学"))
    staff.post("/dispatches", dispatch(commissioner, village, starts_on="2024-05-01"))
    response = staff.get("/stats/dispatches", **{"from": "2025-01-01", "to": "2025-12-31"})
    assert response.status_code == 200, response.content
    rows = {r["programme"]: r for r in response.json()["by_programme"]}
    assert list(rows) == ["commissioner", "three_regions", "legal_entity"]
    assert rows["three_regions"] == {"programme": "three_regions", "name": "“三区”人才", "dispatches": 2,
                                     "people": 1, "sending_units": 1}
    assert rows["commissioner"]["dispatches"] == 0


def test_county_staff_see_dispatches_into_their_county_only(api, commissioner, village):
    bureau = api.as_user(BureauFactory())
    bureau.post("/dispatches", dispatch(commissioner, village, programme="legal_entity"))
    other = api.as_user(CountyStaffFactory(area_id="451003")).get("/stats/dispatches").json()
    assert {r["programme"]: r["dispatches"] for r in other["by_programme"]}["legal_entity"] == 0


def test_commissioners_may_not_read_programme_stats(api, commissioner):
    response = api.as_user(commissioner).get("/stats/dispatches")
    assert response.status_code == 403


def test_the_assessment_counts_dispatches_by_programme_with_units(api, commissioner, village):
    staff = api.as_user(BureauFactory())
    staff.post("/dispatches", dispatch(commissioner, village, starts_on="2025-04-01", programme="three_regions",
                                       sending_unit="广西大学"))
    staff.post("/dispatches", dispatch(commissioner, village, starts_on="2025-05-01", sending_unit="百色学院"))
    staff.post("/dispatches", dispatch(commissioner, village, starts_on="2025-06-01"))
    rows = {r["commissioner_id"]: r for r in staff.get("/stats/commissioners", limit=200).json()["items"]}
    row = rows[commissioner.pk]
    assert (row["dispatches"], row["dispatches_commissioner"], row["dispatches_three_regions"],
            row["dispatches_legal_entity"]) == (3, 2, 1, 0)
    assert row["sending_units"] == ["广西大学", "百色学院"]


def test_the_assessment_sorts_by_a_programme(api, commissioner, village):
    response = api.as_user(BureauFactory()).get("/stats/commissioners", sort="-dispatches_three_regions")
    assert response.status_code == 200
