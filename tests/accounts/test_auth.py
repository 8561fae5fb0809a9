from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import RefreshToken
from accounts.tokens import access_token_for, refresh_tokens_revoke_for
from tests.client import error_code
from tests.factories import PASSWORD, CommissionerFactory, CountyStaffFactory

pytestmark = pytest.mark.django_db


def login(api, user, password=PASSWORD):
    return api.post("/auth/token", {"phone": user.phone, "password": password})


def test_logging_in_returns_tokens_and_the_user(api):
    user = CountyStaffFactory()
    response = login(api, user)
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"id": user.pk, "role": "county_staff", "name": user.name, "area_code": "451002",
                            "password_change_required": False}
    assert body["access"] and body["refresh"]


def test_a_wrong_password_is_401(api):
    response = login(api, CountyStaffFactory(), "wrong-password")
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"


def test_an_unknown_phone_is_401(api):
    response = api.post("/auth/token", {"phone": "13312345678", "password": "whatever"})
    assert response.status_code == 401


def test_an_inactive_user_cannot_log_in(api):
    user = CountyStaffFactory(is_active=False)
    assert login(api, user).status_code == 401


def test_the_access_token_opens_me(api):
    user = CommissionerFactory()
    access = login(api, user).json()["access"]
    api.token = access
    body = api.get("/me").json()
    assert body["id"] == user.pk
    assert body["role"] == "commissioner"
    assert body["expertise"] == []


def test_an_expired_access_token_is_refused(api):
    user = CommissionerFactory()
    api.token = access_token_for(user, now=timezone.now() - timedelta(hours=1))
    response = api.get("/me")
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


def test_a_tampered_token_is_refused(api):
    api.token = access_token_for(CommissionerFactory())[:-3] + "abc"
    assert api.get("/me").status_code == 401


def test_a_refresh_token_is_not_an_access_token(api):
    api.token = login(api, CommissionerFactory()).json()["refresh"]
    assert error_code(api.get("/me")) == "invalid_token"


def test_refresh_rotates(api):
    first = login(api, CommissionerFactory()).json()["refresh"]
    response = api.post("/auth/refresh", {"refresh": first})
    assert response.status_code == 200
    body = response.json()
    assert body["access"] and body["refresh"] != first


def test_a_used_refresh_token_is_refused_and_revokes_its_family(api):
    user = CommissionerFactory()
    first = login(api, user).json()["refresh"]
    second = api.post("/auth/refresh", {"refresh": first}).json()["refresh"]
    # Past the grace for a lost answer (tests/accounts/test_refresh_grace.py).
    RefreshToken.objects.filter(user=user, used_at__isnull=False).update(
        used_at=timezone.now() - timedelta(seconds=61))
    replay = api.post("/auth/refresh", {"refresh": first})
    assert replay.status_code == 401
    assert error_code(replay) == "invalid_token"
    # Whoever held the rotated token is logged out too: the family was stolen.
    assert api.post("/auth/refresh", {"refresh": second}).status_code == 401


def test_a_revoked_refresh_token_is_refused(api):
    user = CommissionerFactory()
    token = login(api, user).json()["refresh"]
    refresh_tokens_revoke_for(user)
    assert api.post("/auth/refresh", {"refresh": token}).status_code == 401


def test_an_expired_refresh_token_is_refused(api):
    user = CommissionerFactory()
    token = login(api, user).json()["refresh"]
    RefreshToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.post("/auth/refresh", {"refresh": token}).status_code == 401


def test_garbage_refresh_is_401_not_500(api):
    assert api.post("/auth/refresh", {"refresh": "not-a-jwt"}).status_code == 401
