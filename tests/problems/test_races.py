"""Races on the real PostgreSQL: two accepts, double claims, duplicate posts leave exactly one effect."""

import uuid

import pytest

from problems.claims import claim_accept, claim_create
from problems.models import Claim, ClaimStatus, Problem, ProblemStatus
from problems.services import problem_post
from tests.concurrency import race
from tests.factories import TownshipStaffFactory
from tests.fixtures_problems import VILLAGE, make_commissioner
from villages.models import Area

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(baise):
    village = Area.objects.get(code=VILLAGE)
    staff = TownshipStaffFactory()
    posted = problem_post(staff=staff, client_id=uuid.uuid4(), village=village, category_code="fruit-trees",
                          title="t", description="d")
    return village, staff, posted.problem


def test_two_accepts_racing_leave_exactly_one_accepted(setup):
    village, staff, problem = setup
    claims = [claim_create(commissioner=make_commissioner(village), problem=problem) for _ in range(6)]
    results, errors = race(6, lambda i: claim_accept(staff=staff, problem=problem, claim_id=claims[i].pk))
    assert len(results) == 1 and len(errors) == 5
    assert Claim.objects.filter(problem=problem, status=ClaimStatus.ACCEPTED).count() == 1
    assert Claim.objects.filter(problem=problem, status=ClaimStatus.DECLINED).count() == 5
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.IN_PROGRESS


def test_a_commissioner_claiming_from_many_taps_at_once_claims_once(setup):
    village, _, problem = setup
    commissioner = make_commissioner(village)
    results, errors = race(8, lambda i: claim_create(commissioner=commissioner, problem=problem))
    assert len(results) == 1 and {e.code for e in errors} == {"already_claimed"}
    assert Claim.objects.filter(problem=problem).count() == 1


def test_the_same_post_retried_concurrently_creates_one_problem(setup):
    village, staff, _ = setup
    client_id = uuid.uuid4()
    results, errors = race(8, lambda i: problem_post(staff=staff, client_id=client_id, village=village,
                                                     category_code="tea", title="同一个", description="d"))
    assert not errors
    assert len({r.problem.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Problem.objects.filter(client_id=client_id).count() == 1
