"""/stats/teams figures, the workbook's team sheet, and a member's team work in the assessment."""

import io
import uuid
from datetime import datetime

import pytest
from openpyxl import load_workbook

from commissioners.models import Checkin
from core.periods import SHANGHAI
from problems.models import Claim, ClaimStatus, Problem, ProblemStatus
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from trainings.models import Training

from .helpers import BAICHENG, TIANDONG, TIANYANG, YOUJIANG, make_team

pytestmark = pytest.mark.django_db

IN_AREA = "451002001001"  # a village of 百城街道, which the team serves
OUTSIDE = "451022100001"  # 田东县, which it does not
WINDOW = {"from": "2025-03-01", "to": "2025-03-31"}


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=SHANGHAI)


def visit(member, village, when, *, verified=True, problem=None):
    return Checkin.objects.create(client_id=uuid.uuid4(), commissioner=member, village_id=village, lat=23.9,
                                  lng=106.6, occurred_at=when, distance_m=0, verified=verified, problem=problem)


def train(member, village, when, headcount):
    return Training.objects.create(client_id=uuid.uuid4(), commissioner=member, village_id=village,
                                   category_id="fruit-trees", topic="芒果", started_at=when, duration_hours=2,
                                   headcount=headcount)


def solved(team, member, village, *, rating, resolved_at):
    problem = Problem.objects.create(
        client_id=uuid.uuid4(), posted_by=TownshipStaffFactory(), village_id=village, category_id="fruit-trees",
        title="t", description="d", lat=23.9, lng=106.6, cell=0, status=ProblemStatus.CLOSED, rating=rating,
        resolved_at=resolved_at)
    Claim.objects.create(problem=problem, commissioner=member, team=team, status=ClaimStatus.ACCEPTED,
                         decided_at=resolved_at)
    return problem


@pytest.fixture
def members():
    return [CommissionerFactory(area_id=YOUJIANG), CommissionerFactory(area_id=TIANYANG),
            CommissionerFactory(area_id=TIANDONG)]


@pytest.fixture
def team(members):
    team = make_team(members, areas=(BAICHENG,))
    a, b, c = members
    visit(a, IN_AREA, at(3, 9))
    visit(a, IN_AREA, at(3, 15))  # the same member the same day: one day
    visit(b, IN_AREA, at(3))  # another member that day: another
    visit(c, IN_AREA, at(4), verified=False)  # flagged: not a service day
    visit(c, OUTSIDE, at(5))  # outside the service area, for no team problem
    problem = solved(team, a, OUTSIDE, rating=4, resolved_at=at(10))
    visit(c, OUTSIDE, at(9), problem=problem)  # outside the area, but on the team's problem
    solved(team, b, IN_AREA, rating=5, resolved_at=at(12))
    solved(team, b, IN_AREA, rating=2, resolved_at=datetime(2025, 4, 2, tzinfo=SHANGHAI))  # after the window
    train(a, IN_AREA, at(6), 40)
    train(b, IN_AREA, at(7), 25)
    train(c, OUTSIDE, at(8), 100)  # outside the service area
    return team


def test_team_figures(api, team):
    response = api.as_user(BureauFactory()).get("/stats/teams", **WINDOW)

    assert response.status_code == 200, response.content
    (row,) = response.json()["items"]
    assert row["id"] == team.pk
    assert (row["members"], row["service_days"], row["trainings"], row["trainees"]) == (3, 3, 2, 65)
    assert (row["problems_resolved"], row["rating_avg"]) == (2, 4.5)


def test_county_staff_see_the_teams_of_their_county_and_serving_it(api, team):
    assert response_ids(api.as_user(CountyStaffFactory(area_id=YOUJIANG)).get("/stats/teams")) == [team.pk]
    assert response_ids(api.as_user(CountyStaffFactory(area_id=TIANDONG)).get("/stats/teams")) == []


def response_ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


@pytest.mark.parametrize("who", ["township", "commissioner"])
def test_other_roles_get_no_team_figures(api, team, who):
    caller = TownshipStaffFactory() if who == "township" else CommissionerFactory()
    assert api.as_user(caller).get("/stats/teams").status_code == 403


def test_the_team_figures_cost_a_fixed_number_of_queries(api, members, team, django_assert_max_num_queries):
    for n in range(4):
        make_team(members, name=f"团队{n}", areas=(BAICHENG,))
    api.as_user(BureauFactory())
    with django_assert_max_num_queries(9):
        assert len(api.get("/stats/teams", **WINDOW).json()["items"]) == 5


def test_a_members_team_work_counts_for_them_in_the_assessment(api, members, team):
    rows = api.as_user(BureauFactory()).get("/stats/commissioners", **WINDOW).json()["items"]
    by_id = {r["commissioner_id"]: r for r in rows}
    # a claimed one of the two resolved in the window, b the other: each gets the other's; c gets both.
    assert [by_id[m.pk]["team_problems_resolved"] for m in members] == [1, 1, 2]
    assert [by_id[m.pk]["teams"] for m in members] == [1, 1, 1]
    assert by_id[members[0].pk]["problems_resolved"] == 1


def test_the_workbook_has_a_team_sheet_whose_names_are_text(api, members):
    name = '=HYPERLINK("http://x")'
    make_team(members, name=name, areas=(BAICHENG,))
    response = api.as_user(BureauFactory()).get("/stats/export.xlsx", **WINDOW)
    ws = load_workbook(io.BytesIO(response.content))["共享团队"]
    rows = list(ws.values)[2:]
    assert rows[0][:4] == ("团队编号", "团队名称", "所属县区", "产业")
    cell = ws.cell(row=4, column=2)
    assert (cell.data_type, cell.value) == ("s", name)  # exactly as typed, never a formula
    assert rows[1][2:5] == ("右江区", "果树", 3)
