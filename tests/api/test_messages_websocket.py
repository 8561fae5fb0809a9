"""The websocket's error messages follow the handshake's Accept-Language, as the REST API's do."""

from __future__ import annotations

import re

import pytest
from channels.testing import WebsocketCommunicator

from accounts.tokens import access_token_for
from config.asgi import application
from tests.factories import CommissionerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TIMEOUT = 10  # a loaded CI machine on Redis: seconds, not a hang
CJK = re.compile(r"[\u4e00-\u9fff]")


async def _error_for(user, text: str, headers: list[tuple[bytes, bytes]]) -> dict:
    path = f"/ws/notifications/?token={access_token_for(user)}"
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.send_to(text_data=text)
    message = await communicator.receive_json_from(timeout=TIMEOUT)
    await communicator.disconnect()
    return message


@pytest.fixture
def me(baise):
    return CommissionerFactory()


@pytest.mark.parametrize("text", ["{nope", '{"type": "shout"}', '{"type": "ack", "id": "x"}',
                                  '{"type": "ack", "id": 987654321}'])
async def test_a_websocket_error_is_chinese_by_default(me, text):
    message = await _error_for(me, text, headers=[])

    assert message["type"] == "error"
    assert CJK.search(message["message"]), message


@pytest.mark.parametrize("text", ["{nope", '{"type": "shout"}', '{"type": "ack", "id": "x"}',
                                  '{"type": "ack", "id": 987654321}'])
async def test_a_websocket_error_is_english_when_the_handshake_asks(me, text):
    message = await _error_for(me, text, headers=[(b"accept-language", b"en")])

    assert message["type"] == "error"
    assert message["message"] and not CJK.search(message["message"]), message
