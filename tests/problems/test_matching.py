"""Matching on hand-made cases: near vs expert vs busy vs well-rated, and the reasons."""

import uuid

import pytest
from django.utils import timezone

from commissioners.candidates import candidates_refresh
from problems.matching import matches_for
from problems.models import Claim, ClaimStatus, Problem, ProblemStatus
from tests.client import error_code
from tests.factories import TownshipStaffFactory
from tests.fixtures_problems import make_commissioner
from villages.models import Area

pytestmark = pytest.mark.django_db


def a_problem(village, staff, *, status=ProblemStatus.OPEN, rating=None, category="fruit-trees"):
    return Problem.objects.create(
        client_id=uuid.uuid4(), posted_by=staff, village=village, category_id=category, title="t", description="d",
        lat=village.lat, lng=village.lng, cell=0, status=status, rating=rating,
    )


def give_history(commissioner, village, staff, *, in_progress=0, closed_ratings=()):
    """Work elsewhere (another village of the township), so that it is not recent service here."""
    village = Area.objects.filter(township_code=village.township_code, level="village").exclude(
        code=village.code).first()
    for _ in range(in_progress):
        p = a_problem(village, staff, status=ProblemStatus.IN_PROGRESS)
        Claim.objects.create(problem=p, commissioner=commissioner, status=ClaimStatus.ACCEPTED,
                             decided_at=timezone.now())
    for rating in closed_ratings:
        p = a_problem(village, staff, status=ProblemStatus.CLOSED, rating=rating)
        Claim.objects.create(problem=p, commissioner=commissioner, status=ClaimStatus.ACCEPTED,
                             decided_at=timezone.now() - timezone.timedelta(days=400))
    # Written behind the services' back, as history: refresh matching's read model as they would.
    candidates_refresh([commissioner.pk])


@pytest.fixture
def problem(village, staff):
    return a_problem(village, staff)


def ids(matches):
    return [m.commissioner_id for m in matches]


def test_only_available_experts_within_reach_are_candidates(village, problem):
    expert = make_commissioner(village, km_north=10)
    make_commissioner(village, km_north=2, expertise=("livestock",))
    make_commissioner(village, km_north=2, available=False)
    make_commissioner(village, km_north=400)
    assert ids(matches_for(problem)) == [expert.pk]


def test_the_nearer_of_two_equal_experts_ranks_first(village, problem):
    far = make_commissioner(village, km_north=40)
    near = make_commissioner(village, km_north=3)
    assert ids(matches_for(problem)) == [near.pk, far.pk]


def test_a_busy_commissioner_ranks_below_a_free_one_a_little_further(village, staff, problem):
    busy = make_commissioner(village, km_north=2)
    free = make_commissioner(village, km_north=6)
    give_history(busy, village, staff, in_progress=3)
    matches = matches_for(problem)
    assert ids(matches) == [free.pk, busy.pk]
    busy_reasons = matches[1].reasons
    assert busy_reasons["active_problems"] == 3
    assert busy_reasons["components"]["workload"] == 0.25


def test_a_well_rated_track_record_outweighs_a_few_kilometres(village, staff, problem):
    novice = make_commissioner(village, km_north=4)
    veteran = make_commissioner(village, km_north=8)
    give_history(veteran, village, staff, closed_ratings=(5, 5, 5, 5, 5, 5, 5, 5))
    matches = matches_for(problem)
    assert ids(matches) == [veteran.pk, novice.pk]
    assert matches[0].reasons["resolved_count"] == 8
    assert matches[0].reasons["average_rating"] == 5.0


def test_recent_service_in_the_village_counts(village, staff, problem):
    stranger = make_commissioner(village, km_north=5)
    regular = make_commissioner(village, km_north=5.5)
    p = a_problem(village, staff, status=ProblemStatus.RESOLVED)
    Claim.objects.create(problem=p, commissioner=regular, status=ClaimStatus.ACCEPTED, decided_at=timezone.now())
    matches = matches_for(problem)
    assert ids(matches) == [regular.pk, stranger.pk]
    assert matches[0].reasons["recent_village_service"] is True


def test_every_result_explains_itself(village, problem):
    make_commissioner(village, km_north=12)
    (match,) = matches_for(problem)
    assert match.distance_km == pytest.approx(12, abs=0.1)
    assert set(match.reasons["components"]) == {
        "distance", "same_county", "workload", "track_record", "rating", "recent_service"}
    expected = sum(match.reasons["weights"][k] * v for k, v in match.reasons["components"].items())
    assert match.score == pytest.approx(expected, abs=1e-3)


def test_the_matches_endpoint_ranks_with_reasons_for_the_problems_staff(api, village, staff, problem):
    near = make_commissioner(village, km_north=2)
    make_commissioner(village, km_north=30)
    body = api.as_user(staff).get(f"/problems/{problem.pk}/matches", limit=1).json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["commissioner"] == {"id": near.pk, "name": near.name, "expertise": ["fruit-trees"],
                                    "county_code": "451002"}
    assert item["distance_km"] == pytest.approx(2, abs=0.05)
    assert "components" in item["reasons"]


def test_matches_are_for_staff_in_scope(api, problem, commissioner):
    assert error_code(api.as_user(commissioner).get(f"/problems/{problem.pk}/matches")) == "forbidden"
    outsider = TownshipStaffFactory(area_id="451003100")
    assert api.as_user(outsider).get(f"/problems/{problem.pk}/matches").status_code == 403


def from_another_county(user):
    """Registered in the next county (451003): what same_county compares, and what the search reads
    wherever they live when it is the problem's."""
    type(user).objects.filter(pk=user.pk).update(area_id="451003")
    candidates_refresh([user.pk])
    return user


def test_fewer_candidates_than_asked_near_by_are_completed_from_the_whole_reach(village, problem):
    near = make_commissioner(village, km_north=5)
    far = from_another_county(make_commissioner(village, km_north=120))
    assert ids(matches_for(problem, limit=2)) == [near.pk, far.pk]


def test_someone_beyond_the_first_ring_who_scores_higher_is_found(village, staff, problem):
    # Three busy people of the county 50-58 km away; a free one of another county at 65 km, beyond the
    # first ring, scores higher.
    busy = [make_commissioner(village, km_north=km) for km in (50, 54, 58)]
    for user in busy:
        give_history(user, village, staff, in_progress=4)
    free = from_another_county(make_commissioner(village, km_north=65))
    matches = matches_for(problem, limit=3)
    assert ids(matches) == [free.pk, busy[0].pk, busy[1].pk]
    assert matches[0].reasons["same_county"] is False


def test_matching_costs_a_fixed_number_of_queries(village, problem, django_assert_max_num_queries):
    for i in range(20):
        make_commissioner(village, km_north=1 + i)
    # who served the village lately (one union), candidates (the read model), the top ten's profiles
    with django_assert_max_num_queries(3):
        assert len(matches_for(problem, limit=10)) == 10

