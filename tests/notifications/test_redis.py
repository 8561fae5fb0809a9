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


def _redis_socket_timeout() -> float | None:
    """What a connection of the layer's pool really uses (redis-py's default when unset)."""
    from channels_redis.utils import create_pool

    pool = create_pool(get_channel_layer().hosts[0])
    return pool.connection_class(**pool.connection_kwargs).socket_timeout


def test_the_channel_layer_outwaits_its_own_blocking_reads():
    """channels_redis waits up to 5 s in BZPOPMIN; redis-py 8 gives up reading after 5 s by
    default, which kills an idle consumer (channels_redis#422)."""
    timeout = _redis_socket_timeout()
    assert timeout is None or timeout > get_channel_layer().brpop_timeout


def test_the_channel_layer_holds_a_fanout_burst():
    """All sockets of a server process share one Redis list, capped at ``capacity`` messages: a
    fan-out to more of them at once loses the rest until their next ping or reconnect."""
    assert get_channel_layer().capacity >= 1000


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
