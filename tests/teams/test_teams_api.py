"""Shared service teams: create, list (scoped), read, change; refusals in the error shape; audit."""

import pytest

from accounts.models import AuditEvent
from teams.models import MemberRole, Membership, Team
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory

pytestmark = pytest.mark.django_db

YOUJIANG, TIANYANG, TIANDONG = "451002", "451003", "451022"
BAICHENG, TIANZHOU = "451002001", "451003100"


@pytest.fixture
def members():
    """Three commissioners from three counties."""
    return [CommissionerFactory(area_id=YOUJIANG), CommissionerFactory(area_id=TIANYANG),
            CommissionerFactory(area_id=TIANDONG)]


def team_body(members, **overrides):
    body = {"name": "芒果技术服务共享团队", "industry": "fruit-trees", "leader_id": members[0].pk,
            "member_ids": [m.pk for m in members], "service_area_codes": [BAICHENG, TIANZHOU]}
    body.update(overrides)
    return body


@pytest.fixture
def team(api, members):
    response = api.as_user(CountyStaffFactory(area_id=YOUJIANG)).post("/teams", team_body(members))
    assert response.status_code == 201, response.content
    return response.json()


def test_county_staff_create_a_team_of_their_county(api, members):
    staff = CountyStaffFactory(area_id=YOUJIANG)

    response = api.as_user(staff).post("/teams", team_body(members))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["industry"], body["county_code"], body["active"]) == (
        "芒果技术服务共享团队", "fruit-trees", YOUJIANG, True)
    assert body["leader"] == {"id": members[0].pk, "name": members[0].name}
    assert [m["id"] for m in body["members"]] == [m.pk for m in members]
    assert [m["area_code"] for m in body["members"]] == [YOUJIANG, TIANYANG, TIANDONG]
    assert body["service_area_codes"] == [BAICHENG, TIANZHOU]
    assert Membership.objects.get(team_id=body["id"], role=MemberRole.LEADER).user_id == members[0].pk


def test_creating_a_team_is_audited(api, members):
    api.as_user(CountyStaffFactory(area_id=YOUJIANG)).post("/teams", team_body(members))

    event = AuditEvent.objects.get(subject="teams.create")
    assert event.action == "team"
    assert event.detail["members_added"] == [m.pk for m in members]


def test_the_bureau_creates_a_team_in_the_leaders_county_by_default(api, members):
    response = api.as_user(BureauFactory()).post("/teams", team_body(members, leader_id=members[1].pk))

    assert response.status_code == 201
    assert response.json()["county_code"] == TIANYANG
    assert response.json()["leader"]["id"] == members[1].pk


@pytest.mark.parametrize("user", ["township", "commissioner"])
def test_other_roles_cannot_create_teams(api, members, user):
    caller = TownshipStaffFactory() if user == "township" else members[0]
    response = api.as_user(caller).post("/teams", team_body(members))
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


def test_county_staff_cannot_create_a_team_of_another_county(api, members):
    response = api.as_user(CountyStaffFactory(area_id=YOUJIANG)).post("/teams", team_body(members,
                                                                                           county_code=TIANYANG))
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"


def test_a_leader_who_is_not_a_member_is_refused(api, members):
    outsider = CommissionerFactory()
    response = api.as_user(BureauFactory()).post("/teams", team_body(members, leader_id=outsider.pk))
    assert response.status_code == 422
    assert error_code(response) == "leader_not_member"
    assert "leader_id" in response.json()["error"]["fields"]
    assert not Team.objects.exists()


def test_members_must_be_commissioners(api, members):
    staff = CountyStaffFactory(area_id=YOUJIANG)
    response = api.as_user(staff).post("/teams", team_body(members, member_ids=[members[0].pk, staff.pk, 987654]))
    assert response.status_code == 422
    assert error_code(response) == "members_not_commissioners"
    assert response.json()["error"]["fields"]["member_ids"] == [staff.pk, 987654]


@pytest.mark.parametrize("code", ["451002", "450102001", "451099999", "451002001001"[:10]])
def test_a_service_area_outside_the_citys_townships_and_villages_is_refused(api, members, code):
    response = api.as_user(BureauFactory()).post("/teams", team_body(members, service_area_codes=[BAICHENG, code]))
    assert response.status_code == 422
    assert error_code(response) == "service_area_invalid"
    assert response.json()["error"]["fields"]["service_area_codes"] == [code]


def test_an_unknown_industry_is_refused(api, members):
    response = api.as_user(BureauFactory()).post("/teams", team_body(members, industry="durian"))
    assert response.status_code == 422
    assert error_code(response) == "unknown_category"


def test_the_refusal_is_in_chinese_by_default(api, members):
    response = api.as_user(BureauFactory()).post("/teams", team_body(members, leader_id=CommissionerFactory().pk))
    assert "组长" in response.json()["error"]["message"]


def test_a_second_team_of_the_same_name_in_a_county_is_a_conflict(api, members, team):
    response = api.as_user(CountyStaffFactory(area_id=YOUJIANG)).post("/teams", team_body(members))
    assert response.status_code == 409
    assert error_code(response) == "team_name_taken"


def test_the_database_refuses_two_leaders(team, members):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(team_id=team["id"], user=members[1]).update(role=MemberRole.LEADER)


def test_the_database_refuses_a_member_twice(team, members):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(team_id=team["id"], user=members[1])


def test_a_member_may_be_in_several_teams(api, members, team):
    response = api.as_user(BureauFactory()).post("/teams", team_body(members, name="甘蔗团队", industry="sugarcane"))
    assert response.status_code == 201
    assert Membership.objects.filter(user=members[0]).count() == 2


# -- lists and reads --------------------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["items"]]


def test_a_commissioner_sees_the_teams_they_belong_to(api, members, team):
    assert _ids(api.as_user(members[2]).get("/teams")) == [team["id"]]
    assert _ids(api.as_user(CommissionerFactory()).get("/teams")) == []


def test_township_staff_see_the_teams_serving_their_township(api, team):
    assert _ids(api.as_user(TownshipStaffFactory(area_id=TIANZHOU)).get("/teams")) == [team["id"]]
    assert _ids(api.as_user(TownshipStaffFactory(area_id="451003101")).get("/teams")) == []


def test_county_staff_see_their_countys_teams_and_those_serving_it(api, team):
    assert _ids(api.as_user(CountyStaffFactory(area_id=TIANYANG)).get("/teams")) == [team["id"]]
    assert _ids(api.as_user(CountyStaffFactory(area_id=TIANDONG)).get("/teams")) == []


def test_lists_filter_by_county_industry_and_member(api, members, team):
    api.as_user(BureauFactory())
    assert _ids(api.get("/teams", county=TIANZHOU[:6])) == [team["id"]]
    assert _ids(api.get("/teams", county=TIANDONG)) == []
    assert _ids(api.get("/teams", industry="fruit-trees")) == [team["id"]]
    assert _ids(api.get("/teams", industry="sugarcane")) == []
    assert _ids(api.get("/teams", member=members[1].pk)) == [team["id"]]


def test_the_list_costs_the_same_queries_for_one_team_or_five(api, members, team, django_assert_max_num_queries):
    bureau = BureauFactory()
    for n in range(4):
        api.as_user(bureau).post("/teams", team_body(members, name=f"团队{n}"))
    api.as_user(bureau)
    # auth (user + area), count, page, memberships with users, service areas
    with django_assert_max_num_queries(6):
        assert len(_ids(api.get("/teams"))) == 5


def test_a_team_outside_what_one_may_see_is_403_and_an_unknown_one_404(api, team):
    assert api.as_user(CommissionerFactory()).get(f"/teams/{team['id']}").status_code == 403
    assert api.as_user(BureauFactory()).get("/teams/987654").status_code == 404


# -- changes ----------------------------------------------------------------------------------


def test_changing_members_and_leader(api, members, team):
    newcomer = CommissionerFactory(area_id="451024")
    response = api.as_user(CountyStaffFactory(area_id=YOUJIANG)).patch(
        f"/teams/{team['id']}", {"member_ids": [members[1].pk, newcomer.pk], "leader_id": newcomer.pk})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["leader"]["id"] == newcomer.pk
    assert [m["id"] for m in body["members"]] == [newcomer.pk, members[1].pk]
    detail = AuditEvent.objects.get(subject="teams.update").detail
    assert detail["members_added"] == [newcomer.pk]
    assert sorted(detail["members_removed"]) == [members[0].pk, members[2].pk]
    assert detail["leader"] == {"from": members[0].pk, "to": newcomer.pk}


def test_a_new_leader_among_the_present_members(api, members, team):
    response = api.as_user(BureauFactory()).patch(f"/teams/{team['id']}", {"leader_id": members[2].pk})
    assert response.json()["leader"]["id"] == members[2].pk
    assert Membership.objects.filter(team_id=team["id"], role=MemberRole.LEADER).count() == 1


def test_removing_the_leader_without_naming_another_is_refused(api, members, team):
    response = api.as_user(BureauFactory()).patch(f"/teams/{team['id']}", {"member_ids": [members[1].pk]})
    assert response.status_code == 422
    assert error_code(response) == "leader_not_member"
    assert Membership.objects.filter(team_id=team["id"]).count() == 3


def test_retiring_and_renaming(api, team):
    response = api.as_user(BureauFactory()).patch(f"/teams/{team['id']}", {"active": False, "name": "芒果一队"})
    assert (response.json()["active"], response.json()["name"]) == (False, "芒果一队")


def test_county_staff_change_only_their_countys_teams(api, team):
    response = api.as_user(CountyStaffFactory(area_id=TIANYANG)).patch(f"/teams/{team['id']}", {"active": False})
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"


def test_members_cannot_change_their_team(api, members, team):
    assert api.as_user(members[0]).patch(f"/teams/{team['id']}", {"active": False}).status_code == 403


@pytest.mark.parametrize("name", ["  ", "芒果\n团队", "团" * 51])
def test_a_name_with_control_characters_or_too_long_is_refused(api, members, name):
    response = api.as_user(BureauFactory()).post("/teams", team_body(members, name=name))
    assert response.status_code == 422
    assert "name" in response.json()["error"]["fields"]
