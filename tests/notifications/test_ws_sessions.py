"""The websocket's security edges: tickets instead of tokens in URLs, sessions that end close their
sockets, and hostile messages that answer an error instead of dropping the connection."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.factories import CommissionerFactory

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
