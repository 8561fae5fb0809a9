"""Teams ranked beside individuals, with reasons a staff member reads; the problem.posted audience
reaches the members of teams whose service area covers the village."""

import pytest

from notifications.models import Notification
from problems.matching import ranked_for
from problems.team_matching import TeamMatch
from teams.services import team_update
from tests.factories import BureauFactory, CommissionerFactory
from tests.fixtures_problems import make_commissioner

from .helpers import BAICHENG, TIANZHOU, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def far_members(village):
    """Two fruit-tree experts far beyond the reach (they would not hear of the problem alone)."""
    return [make_commissioner(village, km_north=300), make_commissioner(village, km_north=320)]


def test_matches_carry_kind_and_a_covering_team_with_its_reasons(api, staff, village, far_members, post_problem):
    near = make_commissioner(village, km_north=5)
    team = make_team(far_members, areas=(BAICHENG,))

    response = api.as_user(staff).get(f"/problems/{post_problem()['id']}/matches")

    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert {i["kind"] for i in items} == {"commissioner", "team"}
    person = next(i for i in items if i["kind"] == "commissioner")
    assert person["commissioner"]["id"] == near.pk and person.get("team") is None
    (found,) = [i for i in items if i["kind"] == "team"]
    assert found["team"]["id"] == team.pk
    assert [m["id"] for m in found["team"]["members"]] == [m.pk for m in far_members]
    reasons = found["reasons"]
    assert reasons["industry"] == "fruit-trees"
    assert reasons["service_area_covers_village"] is True
    assert reasons["members"] == 2
    assert reasons["nearest_member_km"] == pytest.approx(300, abs=2)
    assert reasons["members_within_reach"] == 0
    assert set(reasons["components"]) == {"distance", "service_area", "workload", "track_record", "rating",
                                          "recent_service"}
    assert found["distance_km"] == reasons["nearest_member_km"]
    assert "home" not in str(found["team"])


def test_a_team_of_another_industry_or_retired_is_not_ranked(staff, village, far_members, post_problem):
    make_team(far_members, name="甘蔗团队", industry="sugarcane", areas=(BAICHENG,))
    retired = make_team(far_members, name="旧芒果团队", areas=(BAICHENG,))
    team_update(staff=BureauFactory(), team=retired, active=False)
    from problems.models import Problem

    problem = Problem.objects.get(pk=post_problem()["id"])
    assert not [m for m in ranked_for(problem) if isinstance(m, TeamMatch)]


def test_a_team_with_a_member_within_reach_is_ranked_without_covering(staff, village, post_problem):
    near = make_commissioner(village, km_north=3)
    team = make_team([near, make_commissioner(village, km_north=300)], areas=(TIANZHOU,))
    from problems.models import Problem

    problem = Problem.objects.get(pk=post_problem()["id"])
    (match,) = [m for m in ranked_for(problem) if isinstance(m, TeamMatch)]
    assert match.team.pk == team.pk
    assert match.reasons["service_area_covers_village"] is False
    assert match.reasons["members_within_reach"] == 1


def test_covering_the_village_ranks_a_team_above_an_equal_one_that_does_not(staff, village, post_problem):
    a, b = make_commissioner(village, km_north=10), make_commissioner(village, km_north=10)
    covering = make_team([a], name="甲队", areas=(BAICHENG,))
    other = make_team([b], name="乙队", areas=(TIANZHOU,))
    from problems.models import Problem

    problem = Problem.objects.get(pk=post_problem()["id"])
    teams = [m.team.pk for m in ranked_for(problem) if isinstance(m, TeamMatch)]
    assert teams == [covering.pk, other.pk]


def test_the_matches_cost_a_fixed_number_of_queries(api, staff, village, far_members, post_problem,
                                                    django_assert_max_num_queries):
    for n in range(5):
        make_team(far_members, name=f"团队{n}", areas=(BAICHENG,))
    pid = post_problem()["id"]
    api.as_user(BureauFactory())
    with django_assert_max_num_queries(16):
        assert len(api.get(f"/problems/{pid}/matches").json()["items"]) == 5


def test_members_of_a_team_covering_the_village_hear_of_a_new_problem(village, far_members, post_problem):
    team = make_team(far_members, areas=(BAICHENG,))
    make_team([CommissionerFactory()], name="甘蔗团队", industry="sugarcane", areas=(BAICHENG,))

    body = post_problem()

    told = Notification.objects.filter(type="problem.posted")
    assert set(told.values_list("recipient_id", flat=True)) == {m.pk for m in far_members}
    note = told.get(recipient=far_members[0])
    assert note.payload["problem_id"] == body["id"]
    assert note.payload["team_ids"] == [team.pk]
    assert note.payload["distance_km"] == pytest.approx(300, abs=2)


def test_a_team_serving_another_township_does_not_hear(village, far_members, post_problem):
    make_team(far_members, areas=(TIANZHOU,))
    post_problem()
    assert not Notification.objects.filter(type="problem.posted").exists()


def _ranked_teams(problem_id):
    from problems.models import Problem

    return [m for m in ranked_for(Problem.objects.get(pk=problem_id)) if isinstance(m, TeamMatch)]


def test_a_field_team_takes_its_industries_problems_and_hears_of_them(village, far_members, post_problem):
    team = make_team(far_members, industry="fruit-trees", areas=(BAICHENG,))

    body = post_problem(category="mango")

    (match,) = _ranked_teams(body["id"])
    assert match.team.pk == team.pk
    assert match.reasons["industry"] == "fruit-trees"
    told = Notification.objects.filter(type="problem.posted")
    assert set(told.values_list("recipient_id", flat=True)) == {m.pk for m in far_members}
    assert told.get(recipient=far_members[0]).payload["team_ids"] == [team.pk]


def test_an_industry_team_takes_only_its_industry(village, far_members, post_problem):
    team = make_team(far_members, name="芒果队", industry="mango", areas=(BAICHENG,))

    mango = post_problem(category="mango")
    assert [m.team.pk for m in _ranked_teams(mango["id"])] == [team.pk]
    assert Notification.objects.filter(type="problem.posted").count() == len(far_members)
    Notification.objects.all().delete()

    for category in ("fruit-trees", "citrus"):  # the field above it, a sibling
        body = post_problem(category=category)
        assert not _ranked_teams(body["id"]), category
        assert not Notification.objects.filter(type="problem.posted").exists(), category


def test_a_field_team_with_a_member_within_reach_is_ranked_for_an_industry_problem(village, post_problem):
    near = make_commissioner(village, km_north=3, expertise=("sugarcane",))
    team = make_team([near], name="果树队", industry="fruit-trees", areas=(TIANZHOU,))

    (match,) = _ranked_teams(post_problem(category="banana")["id"])
    assert match.team.pk == team.pk
    assert match.reasons["members_within_reach"] == 1
