"""Through the real Redis channel layer (the suite runs with REDIS_URL set in CI)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from config.asgi import application
from notifications.services import notify
from tests.factories import CommissionerFactory

from .conftest import accepted, ws_path

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_a_notification_crosses_redis_to_the_socket(baise):
    assert type(get_channel_layer()).__module__.startswith("channels_redis")
    me = await database_sync_to_async(CommissionerFactory)()
    old = await database_sync_to_async(notify)(recipients=[me], type="claim.accepted", payload=accepted(claim_id=1))
    communicator = WebsocketCommunicator(application, ws_path(me, since=0))
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    assert (await communicator.receive_json_from(timeout=3))["id"] == old[0].pk
    live = await database_sync_to_async(notify)(recipients=[me], type="claim.accepted", payload=accepted(claim_id=2))
    assert (await communicator.receive_json_from(timeout=3))["id"] == live[0].pk
    await communicator.disconnect()
