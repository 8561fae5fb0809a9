"""A person deactivated (or whose password is reset) through `/users` loses their open websockets at once."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests.client import ApiClient
from tests.factories import BureauFactory, CommissionerFactory
from tests.notifications.conftest import ws_path

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TIMEOUT = 3


async def open_socket(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, ws_path(user))
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


@database_sync_to_async
def people():
    return CommissionerFactory(), BureauFactory()


@database_sync_to_async
def as_bureau(bureau, method, path, data=None):
    client = ApiClient().as_user(bureau)
    return getattr(client, method)(path, data)


async def test_deactivating_a_person_closes_their_socket_with_4403(baise):
    person, bureau = await people()
    communicator = await open_socket(person)
    response = await as_bureau(bureau, "patch", f"/users/{person.pk}", {"is_active": False})
    assert response.status_code == 200
    assert await communicator.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4403}
    await communicator.disconnect()


async def test_resetting_a_persons_password_closes_their_socket_with_4403(baise):
    person, bureau = await people()
    communicator = await open_socket(person)
    response = await as_bureau(bureau, "post", f"/users/{person.pk}/reset-password")
    assert response.status_code == 200
    assert await communicator.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4403}
    await communicator.disconnect()
