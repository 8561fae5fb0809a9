"""Races on the real PostgreSQL: a team dispatch retried at once dispatches each member once; two
members claiming for their team at once make one claim."""

import uuid
from datetime import date

import pytest

from commissioners.models import Dispatch
from problems.claims import claim_create
from problems.models import Claim
from problems.services import problem_post
from teams.models import TeamDispatch
from teams.services import team_dispatch
from tests.concurrency import race
from tests.factories import BureauFactory, CommissionerFactory, TownshipStaffFactory
from tests.fixtures_problems import VILLAGE
from villages.models import Area

from .helpers import make_team

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team(baise):
    return make_team([CommissionerFactory(area_id="451002"), CommissionerFactory(area_id="451003"),
                      CommissionerFactory(area_id="451022")])


def test_a_team_dispatch_retried_at_once_dispatches_each_member_once(team):
    staff, village, client_id = BureauFactory(), Area.objects.get(code=VILLAGE), uuid.uuid4()

    results, errors = race(6, lambda i: team_dispatch(staff=staff, team=team, village=village,
                                                      starts_on=date(2025, 4, 1), client_id=client_id))

    assert errors == []
    assert sum(r.created for r in results) == 1
    assert {tuple(d.pk for d in r.dispatches) for r in results} == {tuple(
        Dispatch.objects.order_by("pk").values_list("pk", flat=True))}
    assert Dispatch.objects.count() == 3
    assert TeamDispatch.objects.count() == 1


def test_two_team_dispatches_at_once_without_client_id_dispatch_once(team):
    staff, village = BureauFactory(), Area.objects.get(code=VILLAGE)

    results, errors = race(4, lambda i: team_dispatch(staff=staff, team=team, village=village,
                                                      starts_on=date(2025, 4, 1)))

    assert len(results) == 1 and {e.code for e in errors} == {"team_dispatch_overlaps"}
    assert Dispatch.objects.count() == 3


def test_members_claiming_for_their_team_at_once_make_one_claim(team):
    problem = problem_post(staff=TownshipStaffFactory(), client_id=uuid.uuid4(), village=Area.objects.get(
        code=VILLAGE), category_code="fruit-trees", title="t", description="d").problem
    members = [m.user for m in team.memberships.select_related("user")]

    results, errors = race(3, lambda i: claim_create(commissioner=members[i], problem=problem, team_id=team.pk))

    assert len(results) == 1 and {e.code for e in errors} == {"already_claimed"}
    assert Claim.objects.filter(team=team).count() == 1
