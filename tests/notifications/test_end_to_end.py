"""A real ASGI server (uvicorn, in a thread of this process, so it uses the test database) and a
real websocket client (the `websockets` library): what a phone does."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest
import uvicorn
from channels.db import database_sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from config.asgi import application
from notifications.services import notify
from tests.factories import CommissionerFactory

from .conftest import accepted, ws_path

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class ServerThread(threading.Thread):
    """uvicorn serving `config.asgi:application` on a free loopback port, on its own event loop."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(application, lifespan="off", log_level="warning"))
        self.loop = asyncio.new_event_loop()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve(sockets=[self.sock]))
        # As asyncio.run ends: cancel what is left (the hub's subscription to pushes).
        left = asyncio.all_tasks(self.loop)
        for task in left:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))

    def start_and_wait(self) -> None:
        self.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)

    async def call(self, fn, /, **kwargs):
        """Run a sync function (a service) as a request handler would: on the server's loop."""
        future = asyncio.run_coroutine_threadsafe(database_sync_to_async(fn)(**kwargs), self.loop)
        return await asyncio.wrap_future(future)

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"


@pytest.fixture
def server():
    thread = ServerThread()
    thread.start_and_wait()
    yield thread
    thread.stop()


@pytest.fixture
def me(baise):
    return CommissionerFactory()


async def test_a_phone_gets_the_missed_notification_then_a_live_one(server, me):
    missed = await server.call(notify, recipients=[me], type="claim.accepted", payload=accepted(claim_id=1))
    async with connect(server.url(ws_path(me, since=0)), open_timeout=5) as ws:
        replayed = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert replayed["id"] == missed[0].pk
        assert set(replayed) == {"id", "type", "payload", "created_at"}
        live = await server.call(notify, recipients=[me], type="claim.declined", payload=accepted(claim_id=2))
        pushed = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (pushed["id"], pushed["type"]) == (live[0].pk, "claim.declined")
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}


async def test_a_phone_sees_close_code_4401_for_a_bad_token(server, me):
    async with connect(server.url(ws_path(token="expired-or-forged")), open_timeout=5) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4401
