"""The websocket's security edges: tickets instead of tokens in URLs, sessions that end close their
sockets, and hostile messages that answer an error instead of dropping the connection."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import hooks, services
from config.asgi import application
from notifications import tickets
from notifications.hub import hub
from notifications.services import notify
from tests.client import ApiClient
from tests.factories import PASSWORD, CommissionerFactory

from .conftest import accepted, ws_path

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TIMEOUT = 3


@pytest.fixture
def me(baise):
    return CommissionerFactory()


async def connect(path: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def test_deeply_nested_json_answers_an_error_and_keeps_the_connection(me):
    communicator = await connect(ws_path(me))
    await communicator.send_to(text_data="[" * 100_000 + "]" * 100_000)
    answer = await communicator.receive_json_from(timeout=TIMEOUT)
    assert answer["type"] == "error" and answer["code"] == "invalid_message"
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await communicator.disconnect()


async def assert_closed_with(communicator: WebsocketCommunicator, code: int) -> None:
    assert await communicator.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": code}
    await communicator.disconnect()


async def test_logout_everywhere_closes_open_sockets_with_4403(me):
    communicator = await connect(ws_path(me))
    await database_sync_to_async(services.user_sessions_end)(user=me)
    await assert_closed_with(communicator, 4403)


async def test_a_password_change_closes_open_sockets_with_4403(me):
    communicator = await connect(ws_path(me))
    await database_sync_to_async(services.password_change)(user=me, old_password=PASSWORD,
                                                           new_password="a-brand-new-passphrase")
    await assert_closed_with(communicator, 4403)


async def test_deactivation_closes_open_sockets_with_4403(me):
    communicator = await connect(ws_path(me))
    await database_sync_to_async(services.user_deactivate)(user=me)
    await assert_closed_with(communicator, 4403)


async def test_a_deactivating_save_closes_open_sockets_with_4403(me):
    communicator = await connect(ws_path(me))
    me.is_active = False
    await database_sync_to_async(me.save)()
    await assert_closed_with(communicator, 4403)


async def test_another_persons_ending_leaves_my_socket_open(me):
    other = await database_sync_to_async(CommissionerFactory)()
    communicator = await connect(ws_path(me))
    await database_sync_to_async(services.user_sessions_end)(user=other)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await communicator.disconnect()


async def test_a_socket_opened_with_a_token_issued_after_the_ending_stays_open(me, monkeypatch):
    announced = []
    monkeypatch.setattr(hooks, "sessions_ended", lambda *args: announced.append(args))
    await database_sync_to_async(services.user_sessions_end)(user=me)
    communicator = await connect(ws_path(me))  # a fresh token, under the new version
    hub_of_this_loop = hub()
    hub_of_this_loop.sessions_end({"user_id": me.pk, "session_version": announced[0][1]})  # arriving late
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await communicator.disconnect()


async def test_an_ending_the_hub_missed_closes_the_socket_when_it_rejoins(me, monkeypatch):
    communicator = await connect(ws_path(me))
    monkeypatch.setattr(hooks, "sessions_ended", lambda *args: None)  # Redis was down
    await database_sync_to_async(services.user_sessions_end)(user=me)
    hub()._catch_up_all()  # what the hub does after (re)joining
    await assert_closed_with(communicator, 4403)


# --- tickets: the access token stays out of the URL ---

def ticket_for(user) -> str:
    api = ApiClient().as_user(user)
    response = api.post("/notifications/ticket")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"ticket", "expires_in"} and 0 < body["expires_in"] <= 60
    return body["ticket"]


async def test_a_ticket_opens_the_socket_and_notifications_arrive(me):
    ticket = await database_sync_to_async(ticket_for)(me)
    communicator = await connect(f"/ws/notifications/?ticket={ticket}&since=0")
    notification = await database_sync_to_async(notify)(recipients=[me], type="claim.accepted",
                                                       payload=accepted())
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["id"] == notification[0].pk
    await communicator.disconnect()


async def test_a_ticket_opens_one_socket_only(me):
    ticket = await database_sync_to_async(ticket_for)(me)
    first = await connect(f"/ws/notifications/?ticket={ticket}")
    second = WebsocketCommunicator(application, f"/ws/notifications/?ticket={ticket}")
    await second.connect(timeout=TIMEOUT)
    await assert_closed_with(second, 4401)
    await first.disconnect()


async def test_an_expired_ticket_is_refused_with_4401(me, monkeypatch):
    monkeypatch.setattr(tickets, "TICKET_TTL_S", 1)
    ticket = await database_sync_to_async(ticket_for)(me)
    await asyncio.sleep(1.2)
    communicator = WebsocketCommunicator(application, f"/ws/notifications/?ticket={ticket}")
    await communicator.connect(timeout=TIMEOUT)
    await assert_closed_with(communicator, 4401)


async def test_a_ticket_issued_before_the_sessions_ended_is_refused_with_4401(me, monkeypatch):
    ticket = await database_sync_to_async(ticket_for)(me)
    await database_sync_to_async(services.user_sessions_end)(user=me)
    communicator = WebsocketCommunicator(application, f"/ws/notifications/?ticket={ticket}")
    await communicator.connect(timeout=TIMEOUT)
    await assert_closed_with(communicator, 4401)


async def test_an_unknown_ticket_is_refused_with_4401(me):
    communicator = WebsocketCommunicator(application, "/ws/notifications/?ticket=made-up")
    await communicator.connect(timeout=TIMEOUT)
    await assert_closed_with(communicator, 4401)


async def test_a_socket_opened_with_a_ticket_closes_when_its_sessions_end(me):
    ticket = await database_sync_to_async(ticket_for)(me)
    communicator = await connect(f"/ws/notifications/?ticket={ticket}")
    await database_sync_to_async(services.user_sessions_end)(user=me)
    await assert_closed_with(communicator, 4403)
