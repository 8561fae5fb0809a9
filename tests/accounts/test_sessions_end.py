"""Ending every session of a person (logout everywhere, a password change, deactivation) ends them at
once: access tokens however recent, refresh tokens, and dashboard sessions."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import services
from accounts.models import User
from tests.client import error_code
from tests.factories import PASSWORD, BureauFactory, CommissionerFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase"


def login(api, user, password=PASSWORD):
    response = api.post("/auth/token", {"phone": user.phone, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def me_with(api, access):
    api.token = access
    return api.get("/me")


def dashboard_client(user) -> Client:
    client = Client()
    response = client.post("/dashboard/login/", {"username": user.phone, "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert client.get("/dashboard/").status_code == 200
    return client


def assert_logged_out_of_dashboard(client: Client) -> None:
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/dashboard/login/" in response["Location"]


def test_logout_everywhere_refuses_an_access_token_issued_in_the_same_second(api):
    user = CommissionerFactory()
    other_phone, this_phone = login(api, user), login(api, user)
    api.post("/auth/logout", {"refresh": this_phone["refresh"], "everywhere": True})
    response = me_with(api, other_phone["access"])
    assert response.status_code == 401 and error_code(response) == "invalid_token"


def test_a_password_change_refuses_other_devices_access_tokens_at_once(api):
    user = CommissionerFactory()
    other_phone = login(api, user)
    api.as_user(user).post("/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert me_with(api, other_phone["access"]).status_code == 401


def test_the_phone_that_changed_its_password_keeps_working_with_the_new_pair(api):
    user = CommissionerFactory()
    pair = api.as_user(user).post("/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}).json()
    assert me_with(api, pair["access"]).status_code == 200
    assert api.post("/auth/refresh", {"refresh": pair["refresh"]}).status_code == 200


def test_deactivation_refuses_access_and_refresh_tokens_at_once(api):
    user = CommissionerFactory()
    pair = login(api, user)
    services.user_deactivate(user=user)
    assert me_with(api, pair["access"]).status_code == 401
    assert api.post("/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401
    assert not User.objects.get(pk=user.pk).is_active


def test_tokens_from_before_a_deactivation_stay_dead_after_reactivation(api):
    user = CommissionerFactory()
    pair = login(api, user)
    user.is_active = False
    user.save()  # what the admin site does
    user.is_active = True
    user.save()
    assert me_with(api, pair["access"]).status_code == 401
    assert api.post("/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401


def test_a_save_that_deactivates_a_loaded_user_ends_their_sessions(api):
    user = CommissionerFactory()
    pair = login(api, user)
    loaded = User.objects.get(pk=user.pk)
    loaded.is_active = False
    loaded.save(update_fields=["is_active"])
    loaded.is_active = True
    loaded.save(update_fields=["is_active"])
    assert me_with(api, pair["access"]).status_code == 401


def test_saving_an_active_user_ends_no_session(api):
    user = CommissionerFactory()
    pair = login(api, user)
    loaded = User.objects.get(pk=user.pk)
    loaded.name = "改名"
    loaded.save()
    assert me_with(api, pair["access"]).status_code == 200


def test_deactivating_twice_ends_the_sessions_once(api):
    user = CommissionerFactory()
    services.user_deactivate(user=user)
    version = User.objects.get(pk=user.pk).session_version
    services.user_deactivate(user=user)
    assert User.objects.get(pk=user.pk).session_version == version


def test_logout_everywhere_ends_dashboard_sessions(api):
    user = BureauFactory()
    browser = dashboard_client(user)
    pair = login(api, user)
    api.post("/auth/logout", {"refresh": pair["refresh"], "everywhere": True})
    assert_logged_out_of_dashboard(browser)


def test_deactivation_ends_dashboard_sessions():
    user = BureauFactory()
    browser = dashboard_client(user)
    services.user_deactivate(user=user)
    assert_logged_out_of_dashboard(browser)


def test_a_password_change_ends_dashboard_sessions(api):
    user = BureauFactory()
    browser = dashboard_client(user)
    api.as_user(user).post("/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert_logged_out_of_dashboard(browser)


def test_logging_out_one_device_leaves_the_dashboard_session(api):
    user = BureauFactory()
    browser = dashboard_client(user)
    pair = login(api, user)
    api.post("/auth/logout", {"refresh": pair["refresh"]})
    assert browser.get("/dashboard/").status_code == 200


def test_a_refresh_token_minted_before_the_ending_is_refused_even_unrevoked(api):
    """A rotation racing the ending could mint a token the revocation did not see: its version dies."""
    from accounts.models import RefreshToken
    from accounts.tokens import sessions_end_everywhere

    user = CommissionerFactory()
    pair = login(api, user)
    sessions_end_everywhere(user)
    RefreshToken.objects.filter(user=user).update(revoked_at=None)  # as if minted after the revocation
    assert api.post("/auth/refresh", {"refresh": pair["refresh"]}).status_code == 401
