"""The dashboard's team filter (issue 17): the teams a reader may pick, and the team feed
(`/dashboard/data/team.json`): the team's service area to highlight at each map level and its figures.

A county user who asks for a team they may not see (another county's, serving none of theirs) is refused
with 403 `outside_scope`; the page never offers it."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commissioners.models import Checkin
from core.periods import SHANGHAI
from problems.models import Claim, ClaimStatus, Problem, ProblemStatus
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from tests.teams.helpers import BAICHENG, TIANDONG, TIANYANG, TIANZHOU, YOUJIANG, make_team
from trainings.models import Training
from villages.models import Area

pytestmark = pytest.mark.django_db

TEAM = "/dashboard/data/team.json"
PINGGUO = "451082"
PINGGUO_TOWNSHIP = "451082100"
V_BAICHENG = "451002001001"  # a village of 百城街道, which the mango team serves
WINDOW = {"from": "2025-03-01", "to": "2025-03-31"}


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def members():
    return [CommissionerFactory(area_id=YOUJIANG), CommissionerFactory(area_id=TIANYANG),
            CommissionerFactory(area_id=TIANDONG)]


@pytest.fixture
def mango(members):
    """右江区's team, serving 百城街道 (右江区) and 田州镇 (田阳区), with a month's work in March 2025."""
    team = make_team(members, areas=(BAICHENG, TIANZHOU))
    a, b, _c = members
    for member, day in ((a, 3), (a, 4), (b, 4)):
        Checkin.objects.create(client_id=uuid.uuid4(), commissioner=member, village_id=V_BAICHENG, lat=23.9,
                               lng=106.6, occurred_at=at(day), distance_m=0, verified=True)
    Training.objects.create(client_id=uuid.uuid4(), commissioner=a, village_id=V_BAICHENG,
                            category_id="fruit-trees", topic="芒果修剪", started_at=at(5), duration_hours=2,
                            headcount=40)
    problem = Problem.objects.create(
        client_id=uuid.uuid4(), posted_by=TownshipStaffFactory(), village_id=V_BAICHENG, category_id="fruit-trees",
        title="炭疽病", description="d", lat=23.9, lng=106.6, cell=0, status=ProblemStatus.CLOSED, rating=4,
        resolved_at=at(6))
    Claim.objects.create(problem=problem, commissioner=a, team=team, status=ClaimStatus.ACCEPTED,
                         decided_at=at(6))
    return team


@pytest.fixture
def pingguo(members):
    """平果's team, serving one 平果 township only: nothing of 右江区's."""
    return make_team(members[:2], staff=CountyStaffFactory(area_id=PINGGUO), name="甘蔗技术服务共享团队",
                     areas=(PINGGUO_TOWNSHIP,))


def _login(client, user):
    client.force_login(user)
    return client


def _config(response) -> dict:
    html = response.content.decode()
    marker = '<script id="dashboard-config" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


def _offered(response) -> list[str]:
    html = response.content.decode()
    select = html[html.index('<select id="team">') : html.index("</select>", html.index('<select id="team">'))]
    return [line.split('value="')[1].split('"')[0] for line in select.splitlines() if 'value="' in line]


def test_the_bureau_may_pick_any_team(client, mango, pingguo):
    response = _login(client, BureauFactory()).get("/dashboard/")

    assert response.status_code == 200
    assert _offered(response) == ["", str(mango.pk), str(pingguo.pk)]
    assert "芒果技术服务共享团队（右江区）" in response.content.decode()
    assert _config(response)["urls"]["team"] == TEAM


def test_county_staff_may_pick_their_countys_teams_and_those_serving_it(client, members, mango, pingguo):
    # 田阳区 is served by the mango team (田州镇) but is home to neither team; 平果's team serves none of it
    response = _login(client, CountyStaffFactory(area_id=TIANYANG)).get("/dashboard/")

    assert _offered(response) == ["", str(mango.pk)]
    assert "甘蔗" not in response.content.decode()


def test_without_a_visible_team_the_page_has_no_team_filter(client, mango):
    response = _login(client, CountyStaffFactory(area_id=PINGGUO)).get("/dashboard/")

    assert response.status_code == 200
    assert 'id="team"' not in response.content.decode()


def test_the_team_feed_has_its_figures_and_its_service_area(client, mango):
    body = _login(client, BureauFactory()).get(TEAM, {"team": mango.pk, **WINDOW}).json()

    assert body["team"] == {"id": mango.pk, "name": "芒果技术服务共享团队", "active": True, "county_code": YOUJIANG,
                            "county_name": "右江区", "industry": "fruit-trees",
                            "industry_name": body["team"]["industry_name"]}
    # three (member, day) pairs, one training of 40, one problem rated 4: as /stats/teams counts them
    assert body["figures"] == {"members": 3, "service_days": 3, "trainings": 1, "trainees": 40,
                               "problems_resolved": 1, "rating_avg": 4.0}
    assert [a["code"] for a in body["service_area"]] == [BAICHENG, TIANZHOU]
    assert body["highlight"]["county"] == [YOUJIANG, TIANYANG]
    assert body["highlight"]["township"] == [BAICHENG, TIANZHOU]
    villages = set(Area.objects.filter(township_code__in=(BAICHENG, TIANZHOU), level="village")
                   .values_list("code", flat=True))
    assert set(body["highlight"]["village"]) == villages and V_BAICHENG in villages
    assert body["window"] == WINDOW


def test_a_served_village_highlights_its_township_and_county(client, members):
    team = make_team(members, areas=(V_BAICHENG,))

    body = _login(client, BureauFactory()).get(TEAM, {"team": team.pk}).json()

    assert body["highlight"] == {"county": [YOUJIANG], "township": [BAICHENG], "village": [V_BAICHENG]}


def test_the_figures_count_only_the_window(client, mango):
    body = _login(client, BureauFactory()).get(TEAM, {"team": mango.pk, "from": "2025-04-01",
                                                      "to": "2025-04-30"}).json()

    assert body["figures"] == {"members": 3, "service_days": 0, "trainings": 0, "trainees": 0,
                               "problems_resolved": 0, "rating_avg": None}


def test_county_staff_read_a_team_serving_their_county(client, mango):
    response = _login(client, CountyStaffFactory(area_id=TIANYANG)).get(TEAM, {"team": mango.pk, **WINDOW})

    assert response.status_code == 200
    assert response.json()["figures"]["service_days"] == 3


def test_county_staff_may_not_pick_another_countys_team(client, mango, pingguo):
    # 右江区's staff ask for 平果's team, which serves nothing of theirs: refused, not silently ignored
    response = _login(client, CountyStaffFactory(area_id=YOUJIANG)).get(TEAM, {"team": pingguo.pk})

    assert response.status_code == 403
    assert error_code(response) == "outside_scope"
    assert "甘蔗" not in response.content.decode()


def test_an_unknown_team_is_404(client):
    response = _login(client, BureauFactory()).get(TEAM, {"team": 999999})

    assert response.status_code == 404
    assert error_code(response) == "team_not_found"


@pytest.mark.parametrize("query", [{}, {"team": "x"}, {"team": "-1"}, {"team": "1e3"}, {"team": "٣"},
                                   {"team": "99999999999999999999"}, {"team": "1", "from": "2025-13-01"},
                                   {"team": "1", "from": "2025-03-02", "to": "2025-03-01"}])
def test_bad_team_filters_are_422_with_the_field_named(client, query):
    response = _login(client, BureauFactory()).get(TEAM, query)

    assert response.status_code == 422
    assert error_code(response) == "invalid"
    assert set(response.json()["error"]["fields"]) <= {"team", "from", "to"}


def test_the_team_feed_is_for_the_dashboards_roles_and_reads_only(client, mango):
    assert client.get(TEAM, {"team": mango.pk}).status_code == 401
    assert _login(client, TownshipStaffFactory()).get(TEAM, {"team": mango.pk}).status_code == 403
    assert _login(client, BureauFactory()).post(TEAM, {"team": mango.pk}).status_code == 405


def _queries(client, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(TEAM, params).status_code == 200
    return len(queries)


def test_the_team_feed_costs_a_fixed_number_of_queries(client, members, mango):
    bureau = _login(client, BureauFactory())
    before = _queries(bureau, {"team": mango.pk, **WINDOW})
    # more members, more areas, more work
    for _ in range(3):
        extra = CommissionerFactory(area_id=YOUJIANG)
        Checkin.objects.create(client_id=uuid.uuid4(), commissioner=extra, village_id=V_BAICHENG, lat=23.9,
                               lng=106.6, occurred_at=at(9), distance_m=0, verified=True)
        members.append(extra)
    from teams.services import team_update

    team_update(staff=BureauFactory(), team=mango, member_ids=[m.pk for m in members],
                service_area_codes=[BAICHENG, TIANZHOU, "451002101", "451003101001"])

    after = _queries(bureau, {"team": mango.pk, **WINDOW})

    # session, user, the team (visible to the reader), the reader's area, stats/teams.py's seven (the team,
    # members, areas, accepted claims, check-ins, trainings, resolved), the team's areas and the villages
    # of its townships
    assert before == after == 13
