"""A refresh token presented again within 60 s of its first use (the answer was lost on a rural
network, or two requests were in flight) answers a working pair of the same family; later reuse
still revokes the family; the grace never revives an ended session."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import RefreshToken
from accounts.services import user_sessions_end
from accounts.tokens import REFRESH_REUSE_GRACE, refresh_token_rotate
from tests.client import error_code
from tests.concurrency import race
from tests.factories import PASSWORD, CommissionerFactory


def login(api, user):
    return api.post("/auth/token", {"phone": user.phone, "password": PASSWORD}).json()


def refresh(api, token):
    return api.post("/auth/refresh", {"refresh": token})


def age_uses(user, seconds):
    RefreshToken.objects.filter(user=user, used_at__isnull=False).update(
        used_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_the_grace_is_sixty_seconds():
    assert timedelta(seconds=60) == REFRESH_REUSE_GRACE


@pytest.mark.django_db
def test_reuse_within_the_grace_answers_the_pair_the_lost_answer_carried(api):
    user = CommissionerFactory()
    first = login(api, user)["refresh"]
    lost = refresh(api, first).json()
    again = refresh(api, first)
    assert again.status_code == 200
    assert again.json()["refresh"] == lost["refresh"]
    assert again.json()["access"]


@pytest.mark.django_db
def test_the_pair_answered_in_the_grace_works(api):
    user = CommissionerFactory()
    first = login(api, user)["refresh"]
    refresh(api, first)
    pair = refresh(api, first).json()
    api.token = pair["access"]
    assert api.get("/me").status_code == 200
    assert refresh(api, pair["refresh"]).status_code == 200


@pytest.mark.django_db
def test_reuse_within_the_grace_revokes_nothing_and_mints_nothing(api):
    user = CommissionerFactory()
    first = login(api, user)["refresh"]
    refresh(api, first)
    refresh(api, first)
    rows = RefreshToken.objects.filter(user=user)
    assert rows.count() == 2 and rows.filter(revoked_at__isnull=False).count() == 0
    assert rows.values("family").distinct().count() == 1


@pytest.mark.django_db
def test_reuse_within_the_grace_after_the_chain_moved_on_answers_its_live_token(api):
    user = CommissionerFactory()
    first = login(api, user)["refresh"]
    second = refresh(api, first).json()["refresh"]
    third = refresh(api, second).json()["refresh"]
    again = refresh(api, first)
    assert again.status_code == 200 and again.json()["refresh"] == third


@pytest.mark.django_db
def test_reuse_59_seconds_after_the_first_use_is_still_in_the_grace(api):
    user = CommissionerFactory()
    first = login(api, user)["refresh"]
    second = refresh(api, first).json()["refresh"]
    age_uses(user, 59)
    again = refresh(api, first)
    assert again.status_code == 200 and again.json()["refresh"] == second


@pytest.mark.django_db
def test_reuse_after_the_grace_revokes_the_family(api):
    user = CommissionerFactory()
    first = login(api, user)["refresh"]
    second = refresh(api, first).json()["refresh"]
    age_uses(user, 61)
    replay = refresh(api, first)
    assert replay.status_code == 401 and error_code(replay) == "invalid_token"
    assert refresh(api, second).status_code == 401
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_grace_does_not_revive_a_logged_out_family(api):
    user = CommissionerFactory()
    first = login(api, user)["refresh"]
    second = refresh(api, first).json()["refresh"]
    api.post("/auth/logout", {"refresh": second})
    assert refresh(api, first).status_code == 401


@pytest.mark.django_db
def test_the_grace_does_not_revive_sessions_ended_everywhere(api):
    user = CommissionerFactory()
    first = login(api, user)["refresh"]
    refresh(api, first)
    user_sessions_end(user=user)
    assert refresh(api, first).status_code == 401


@pytest.mark.django_db
def test_the_grace_does_not_serve_a_deactivated_user(api):
    user = CommissionerFactory()
    first = login(api, user)["refresh"]
    refresh(api, first)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert refresh(api, first).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_in_flight_both_get_the_same_working_pair(baise):
    from accounts.tokens import token_pair_for

    user = CommissionerFactory()
    token = token_pair_for(user).refresh
    results, errors = race(4, lambda i: refresh_token_rotate(token).refresh)
    assert errors == [] and len(results) == 4
    assert len(set(results)) == 1
    # One rotation happened: the family holds the used token and one live successor.
    assert RefreshToken.objects.filter(user=user).count() == 2
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True, used_at__isnull=True).count() == 1
