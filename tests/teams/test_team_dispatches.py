"""One call dispatches every active member (one 人次 each), in one transaction, all or nothing."""

import uuid

import pytest

from commissioners.models import Dispatch
from teams.models import TeamDispatch
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory

from .helpers import TIANDONG, TIANYANG, YOUJIANG, make_team

pytestmark = pytest.mark.django_db

VILLAGE = "451002001001"


@pytest.fixture
def members():
    return [CommissionerFactory(area_id=YOUJIANG), CommissionerFactory(area_id=TIANYANG),
            CommissionerFactory(area_id=TIANDONG)]


@pytest.fixture
def team(members):
    return make_team(members)


def body(**overrides):
    data = {"village_code": VILLAGE, "starts_on": "2025-04-01", "ends_on": "2025-06-30"}
    data.update(overrides)
    return data


def test_a_team_dispatch_counts_each_active_member(api, members, team):
    members[2].is_active = False
    members[2].save()
    staff = CountyStaffFactory(area_id=YOUJIANG)

    response = api.as_user(staff).post(f"/teams/{team.pk}/dispatches", body())

    assert response.status_code == 201, response.content
    items = response.json()["items"]
    assert [i["commissioner"]["id"] for i in items] == [members[0].pk, members[1].pk]
    assert {(i["village_code"], i["starts_on"]) for i in items} == {(VILLAGE, "2025-04-01")}
    assert Dispatch.objects.filter(village_id=VILLAGE).count() == 2  # two 人次
    assert TeamDispatch.objects.get().items.count() == 2


def test_a_member_already_there_refuses_the_whole_call(api, members, team):
    staff = CountyStaffFactory(area_id=YOUJIANG)
    api.as_user(staff).post("/dispatches", {"commissioner_id": members[1].pk, "village_code": VILLAGE,
                                            "starts_on": "2025-05-01"})

    response = api.post(f"/teams/{team.pk}/dispatches", body())

    assert response.status_code == 409
    assert error_code(response) == "team_dispatch_overlaps"
    assert response.json()["error"]["fields"]["member_ids"] == [members[1].pk]
    assert Dispatch.objects.count() == 1  # nobody else was dispatched
    assert not TeamDispatch.objects.exists()


def test_a_dispatch_there_that_ended_before_does_not_overlap(api, members, team):
    api.as_user(BureauFactory()).post("/dispatches", {"commissioner_id": members[1].pk, "village_code": VILLAGE,
                                                      "starts_on": "2025-01-01", "ends_on": "2025-03-31"})
    assert api.post(f"/teams/{team.pk}/dispatches", body()).status_code == 201
    assert Dispatch.objects.count() == 4


def test_a_failure_half_way_writes_nothing(api, members, team, monkeypatch):
    from commissioners import checkins
    from teams import services

    calls = []

    def failing(**kwargs):
        calls.append(kwargs["commissioner"].pk)
        if len(calls) == 3:
            raise checkins.DispatchExists()
        return checkins.dispatch_create(**kwargs)

    monkeypatch.setattr(services, "dispatch_create", failing)
    response = api.as_user(BureauFactory()).post(f"/teams/{team.pk}/dispatches", body())

    assert response.status_code == 409
    assert len(calls) == 3
    assert Dispatch.objects.count() == 0
    assert not TeamDispatch.objects.exists()


def test_a_retry_with_the_same_client_id_answers_the_first_result(api, team):
    api.as_user(CountyStaffFactory(area_id=YOUJIANG))
    client_id = str(uuid.uuid4())
    first = api.post(f"/teams/{team.pk}/dispatches", body(client_id=client_id))

    again = api.post(f"/teams/{team.pk}/dispatches", body(client_id=client_id))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Dispatch.objects.count() == 3


def test_a_retired_team_is_not_dispatched(api, team):
    team.active = False
    team.save()
    response = api.as_user(BureauFactory()).post(f"/teams/{team.pk}/dispatches", body())
    assert response.status_code == 409
    assert error_code(response) == "team_inactive"


def test_county_staff_dispatch_only_into_their_county(api, team):
    response = api.as_user(CountyStaffFactory(area_id=TIANYANG)).post(f"/teams/{team.pk}/dispatches", body())
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"
    assert not Dispatch.objects.exists()


@pytest.mark.parametrize("who", ["township", "member"])
def test_other_roles_cannot_dispatch_a_team(api, members, team, who):
    caller = TownshipStaffFactory() if who == "township" else members[0]
    assert api.as_user(caller).post(f"/teams/{team.pk}/dispatches", body()).status_code == 403


def test_the_dispatch_is_audited(api, team):
    from accounts.models import AuditEvent

    api.as_user(BureauFactory()).post(f"/teams/{team.pk}/dispatches", body())
    assert len(AuditEvent.objects.get(subject="teams.dispatch").detail["dispatch_ids"]) == 3


def test_a_client_id_reused_for_another_village_is_a_conflict(api, team):
    api.as_user(BureauFactory())
    client_id = str(uuid.uuid4())
    api.post(f"/teams/{team.pk}/dispatches", body(client_id=client_id))
    response = api.post(f"/teams/{team.pk}/dispatches", body(client_id=client_id, village_code="451002001002"))
    assert response.status_code == 409
    assert error_code(response) == "client_id_reused"
    assert Dispatch.objects.count() == 3


def test_every_member_is_dispatched_under_the_programme_and_sending_unit(api, members, team):
    staff = CountyStaffFactory(area_id=YOUJIANG)

    response = api.as_user(staff).post(f"/teams/{team.pk}/dispatches",
                                        body(programme="three_regions", sending_unit="广西大学农学院"))

    assert response.status_code == 201, response.content
    items = response.json()["items"]
    assert {(i["programme"], i["sending_unit"]) for i in items} == {("three_regions", "广西大学农学院")}
    assert set(Dispatch.objects.values_list("programme", "sending_unit")) == {("three_regions", "广西大学农学院")}
    assert Dispatch.objects.count() == 3


def test_without_a_programme_members_are_dispatched_as_commissioners(api, members, team):
    response = api.as_user(BureauFactory()).post(f"/teams/{team.pk}/dispatches", body())

    assert {(i["programme"], i["sending_unit"]) for i in response.json()["items"]} == {("commissioner", "")}


@pytest.mark.parametrize("extra, field", [({"programme": "volunteer"}, "programme"),
                                          ({"sending_unit": "广西大学\n农学院"}, "sending_unit")])
def test_an_unknown_programme_or_a_bad_sending_unit_is_refused_and_dispatches_nobody(api, members, team, extra,
                                                                                   field):
    response = api.as_user(BureauFactory()).post(f"/teams/{team.pk}/dispatches", body(**extra))

    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not Dispatch.objects.exists()
    assert not TeamDispatch.objects.exists()


def test_county_staff_do_not_dispatch_another_countys_team_serving_them(api, members):
    """A 田阳 team serving a 右江 township: 右江's staff see it, but only 田阳's staff (and the bureau) send it."""
    team = make_team(members, staff=CountyStaffFactory(area_id=TIANYANG), name="田阳芒果团队")
    response = api.as_user(CountyStaffFactory(area_id=YOUJIANG)).post(f"/teams/{team.pk}/dispatches", body())
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"
    assert not Dispatch.objects.exists()


@pytest.mark.parametrize("change", [{"ends_on": "2025-07-31"}, {"programme": "three_regions"},
                                    {"sending_unit": "广西大学"}, {"note": "另一次"}])
def test_a_client_id_reused_with_other_details_is_a_conflict(api, team, change):
    api.as_user(BureauFactory())
    client_id = str(uuid.uuid4())
    api.post(f"/teams/{team.pk}/dispatches", body(client_id=client_id))
    response = api.post(f"/teams/{team.pk}/dispatches", body(client_id=client_id, **change))
    assert response.status_code == 409
    assert error_code(response) == "client_id_reused"
    assert Dispatch.objects.count() == 3
