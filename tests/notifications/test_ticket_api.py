"""`POST /api/v1/notifications/ticket` over HTTP (the sockets it opens: test_ws_sessions.py)."""

from __future__ import annotations

import pytest

from accounts import services
from tests.client import error_code
from tests.factories import CommissionerFactory

pytestmark = pytest.mark.django_db


def test_a_ticket_needs_a_bearer_token(api):
    response = api.anonymous().post("/notifications/ticket")
    assert response.status_code == 401


def test_a_ticket_is_neither_the_token_nor_part_of_it(api):
    api.as_user(CommissionerFactory())
    body = api.post("/notifications/ticket").json()
    assert set(body) == {"ticket", "expires_in"} and body["expires_in"] == 30
    assert body["ticket"] not in api.token and len(body["ticket"]) >= 40


def test_a_token_from_an_ended_session_gets_no_ticket(api):
    user = CommissionerFactory()
    api.as_user(user)
    services.user_sessions_end(user=user)
    response = api.post("/notifications/ticket")
    assert response.status_code == 401 and error_code(response) == "invalid_token"
