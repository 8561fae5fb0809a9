"""Matching's read model stays equal to what it is derived from, through every service that changes it."""

import pytest
from django.core.management import call_command

from commissioners.candidates import candidates_rebuild, candidates_recluster, candidates_refresh
from commissioners.models import MatchingCandidate
from commissioners.services import profile_update
from problems.matching import matches_for
from problems.models import Problem
from tests.fixtures_problems import make_commissioner
from tests.problems.test_matching import a_problem

pytestmark = pytest.mark.django_db

COLUMNS = ("commissioner_id", "category_id", "home_lat", "home_lng", "home_cell", "county_code", "active_problems",
           "resolved_count", "rating_sum", "rating_count", "via_field")


def snapshot() -> list[tuple]:
    return list(MatchingCandidate.objects.order_by("commissioner_id", "category_id").values_list(*COLUMNS))


def assert_equals_a_rebuild():
    """What the services left equals a recomputation of everyone from the source rows."""
    incremental = snapshot()
    candidates_rebuild()
    assert snapshot() == incremental


def rows_of(user) -> dict[str, tuple]:
    return {r[1]: r for r in snapshot() if r[0] == user.pk}


def test_profile_changes_reach_the_read_model(village):
    user = make_commissioner(village, expertise=("fruit-trees", "livestock"))
    # a field's industries come with it (docs/categories.md)
    assert set(rows_of(user)) == {"fruit-trees", "mango", "citrus", "banana", "livestock", "pigs", "cattle-sheep",
                                  "understory-chickens"}
    profile_update(user=user, expertise=["tea"])
    assert set(rows_of(user)) == {"tea"}
    profile_update(user=user, home=(24.0, 106.6))
    assert rows_of(user)["tea"][2:4] == (24.0, 106.6)
    profile_update(user=user, available=False)
    assert rows_of(user) == {}
    profile_update(user=user, available=True)
    assert set(rows_of(user)) == {"tea"}
    assert rows_of(user)["tea"][5] == user.area_id[:6]
    assert_equals_a_rebuild()


def test_no_home_no_rows(village):
    from tests.factories import CommissionerFactory

    user = CommissionerFactory()
    profile_update(user=user, expertise=["tea"])
    assert rows_of(user) == {}


def test_claims_accept_resolve_and_confirm_keep_the_track_record(api, village, staff, post_problem,
                                                                 django_capture_on_commit_callbacks):
    alice = make_commissioner(village)
    bob = make_commissioner(village, km_north=2)
    for rating in (5, 3):
        pid = post_problem()["id"]
        with django_capture_on_commit_callbacks(execute=True):
            claim = api.as_user(alice).post(f"/problems/{pid}/claims", {}).json()
            api.as_user(bob).post(f"/problems/{pid}/claims", {})
            api.as_user(staff).post(f"/problems/{pid}/claims/{claim['id']}/accept")
        assert rows_of(alice)["fruit-trees"][6:10] == (1, 0 if rating == 5 else 1, 0 if rating == 5 else 5,
                                                     0 if rating == 5 else 1)
        with django_capture_on_commit_callbacks(execute=True):
            api.as_user(alice).post(f"/problems/{pid}/resolve", {"summary": "done"})
        assert rows_of(alice)["fruit-trees"][6] == 0
        api.as_user(staff).post(f"/problems/{pid}/confirm", {"rating": rating})
    assert rows_of(alice)["fruit-trees"][6:10] == (0, 2, 8, 2)
    assert rows_of(bob)["fruit-trees"][6:10] == (0, 0, 0, 0)  # declined claims count for nothing
    problem = Problem.objects.select_related("village").get(pk=post_problem()["id"])
    (first, _) = matches_for(problem)
    assert first.commissioner_id == alice.pk
    assert first.reasons["resolved_count"] == 2 and first.reasons["average_rating"] == 4.0
    assert_equals_a_rebuild()


def test_a_commissioner_deactivated_behind_the_services_back_is_never_matched(village, staff):

    gone = make_commissioner(village)
    kept = make_commissioner(village, km_north=3)
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)  # e.g. the admin site
    assert [m.commissioner_id for m in matches_for(a_problem(village, staff))] == [kept.pk]
    candidates_refresh([gone.pk])
    assert rows_of(gone) == {}


def test_the_rebuild_command_repairs_a_damaged_read_model(village):
    user = make_commissioner(village, expertise=("fruit-trees", "tea"))
    good = snapshot()
    MatchingCandidate.objects.filter(commissioner=user, category="tea").delete()
    MatchingCandidate.objects.filter(commissioner=user).update(active_problems=7)
    call_command("matching_refresh", verbosity=0)
    assert snapshot() == good


def test_the_rebuild_puts_the_read_model_in_index_order_on_postgresql(village):
    from django.db import connection

    make_commissioner(village, expertise=("fruit-trees", "tea"))
    good = snapshot()
    candidates_rebuild()
    assert snapshot() == good
    if connection.vendor != "postgresql":
        assert candidates_recluster() is False
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT indisclustered FROM pg_index"
                       " WHERE indexrelid = 'commissioners_candidate_near'::regclass")
        assert cursor.fetchone() == (True,)


def test_the_database_refuses_an_impossible_rating_total(village):
    from django.db import IntegrityError, transaction

    user = make_commissioner(village)
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingCandidate.objects.filter(commissioner=user).update(rating_sum=11, rating_count=2)
