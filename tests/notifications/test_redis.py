"""Through the real Redis channel layer (the suite runs with REDIS_URL set in CI)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from config.asgi import application
from notifications.services import notify
from tests.factories import CommissionerFactory

from .conftest import accepted, ws_path

pytestmark = pytest.mark.redis


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_hub_hears_its_own_heartbeat_through_redis(baise, monkeypatch):
    """Under the pub/sub layer a lost subscription raises nothing: the heartbeat is how a hub notices."""
    from notifications import hub as hub_module

    monkeypatch.setattr(hub_module, "BEAT_S", 0.05)
    me = await database_sync_to_async(CommissionerFactory)()
    communicator = WebsocketCommunicator(application, ws_path(me))
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    joined = hub_module.hub()
    for _ in range(100):
        if joined._beats_heard >= 1:
            break
        await asyncio.sleep(0.05)
    assert joined._beats_heard >= 1
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_health_reaches_the_channel_layer_while_a_socket_is_open(baise):
    """The open socket's process receives pushes on its event loop; /health checks the layer from a
    thread of its own and must not collide with that receive."""
    from tests.client import ApiClient

    me = await database_sync_to_async(CommissionerFactory)()
    communicator = WebsocketCommunicator(application, ws_path(me))
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    response = await database_sync_to_async(lambda: ApiClient().get("/health"))()
    assert response.status_code == 200, response.json()
    assert response.json()["channel_layer"] == "ok"
    await communicator.disconnect()
