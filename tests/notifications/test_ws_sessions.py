"""The websocket's security edges: tickets instead of tokens in URLs, sessions that end close their
sockets, and hostile messages that answer an error instead of dropping the connection."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import services
from config.asgi import application
from notifications.hub import hub
from tests.factories import PASSWORD, CommissionerFactory

from .conftest import ws_path

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
    monkeypatch.setattr(services, "sessions_end_announce", lambda *args: announced.append(args))
    await database_sync_to_async(services.user_sessions_end)(user=me)
    communicator = await connect(ws_path(me))  # a fresh token, under the new version
    hub_of_this_loop = hub()
    hub_of_this_loop.sessions_end({"user_id": me.pk, "session_version": announced[0][1]})  # arriving late
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await communicator.disconnect()


async def test_an_ending_the_hub_missed_closes_the_socket_when_it_rejoins(me, monkeypatch):
    communicator = await connect(ws_path(me))
    monkeypatch.setattr(services, "sessions_end_announce", lambda *args: None)  # Redis was down
    await database_sync_to_async(services.user_sessions_end)(user=me)
    hub()._catch_up_all()  # what the hub does after (re)joining
    await assert_closed_with(communicator, 4403)
