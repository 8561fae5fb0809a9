"""Each server process's one subscription to pushes, and the sockets that process holds.

A push is one channel-layer message per `notify` call, sent to one group that the hub of every server
process (every event loop serving websockets) joins. The hub hands each notification in it to the sockets
of its recipient that it holds, and drops the rest. So a fan-out to 1,000 people costs one Redis message
per server process, not one group send per person, and a socket holds no channel of its own.

The subscription may break (Redis restarted or unreachable). The hub then retries with back-off, and
after every (re)join it tells each socket it holds to read its inbox after its cursor: a push sent while
the hub was not subscribed reached nobody, but its row is in the inbox. Every `BEAT_S` the hub sends
itself a numbered heartbeat through the group. One that cannot be sent (Redis down), one skipped (lost
while the pub/sub layer resubscribed after a restart: its receive never fails, redis-py resubscribes by
itself), or none heard for `REFRESH_S` (Redis flushed or failed over) means pushes may have reached
nobody: the hub renews its membership and the sockets catch up. A beat heard late (a busy loop) is not
a lost one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

FANOUT_GROUP = "notifications.fanout"
FANOUT_MESSAGE_TYPE = "notifications.fanout"
# Each hub's own beat, sent to the group at every refresh: if it does not come back before the next
# refresh, the membership was lost without an error (Redis flushed, failed over) and is renewed.
HEARTBEAT_MESSAGE_TYPE = "notifications.heartbeat"
# Every session of a person ended (logout everywhere, password change or reset, deactivation): each hub
# closes that person's sockets opened under an older session version.
SESSIONS_END_MESSAGE_TYPE = "notifications.sessions_end"
# How long announcing an ending may hold the request that ended the sessions (Redis down).
SESSIONS_END_SEND_TIMEOUT_S = 5.0
# A hub sends itself a heartbeat this often: how soon after Redis returns its sockets catch up.
BEAT_S = 1.0
# Group membership is renewed this often (the list layer's group_expiry must be longer), and a hub that
# heard none of its beats for this long was dropped from the group without an error.
REFRESH_S = 30.0
# Waits between attempts to (re)join after a failure, the last one repeated.
RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)


class Socket(Protocol):
    def offer(self, prev: int, notification_id: int, text: str) -> None:
        """Queue one pushed notification, its message as JSON text (``prev`` is the recipient's previous id)."""

    def offer_catch_up(self) -> None:
        """Queue a read of the inbox after the socket's cursor."""

    def end_session(self, session_version: int) -> None:
        """Close the socket if it was opened under a session version older than ``session_version``."""

    def check_session(self) -> None:
        """Close the socket if its user's sessions were ended while this hub was not listening."""


class Hub:
    """The sockets of one event loop, by user id, and the loop's subscription to pushes."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.sockets: dict[int, set[Socket]] = {}
        self.joined = False
        self._tasks: list[asyncio.Task] = []
        self._channel = ""
        self._beats_sent = self._beats_heard = 0

    def attach(self, user_id: int, socket: Socket) -> None:
        """Hand ``user_id``'s pushes to ``socket`` from now on; subscribes this loop on first use."""
        self.sockets.setdefault(user_id, set()).add(socket)
        if not self._tasks:
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._listen()), loop.create_task(self._refresh())]

    def detach(self, user_id: int, socket: Socket) -> None:
        held = self.sockets.get(user_id)
        if held is not None:
            held.discard(socket)
            if not held:
                del self.sockets[user_id]

    def stop(self) -> None:
        for task in self._tasks:
            with contextlib.suppress(RuntimeError):  # its loop is closed already
                task.cancel()
        self._tasks = []
        self.joined = False

    def deliver(self, message: dict[str, Any]) -> None:
        """Hand a fan-out message's notifications to the sockets held here."""
        for user_id, prev, notification_id, text in message["pushes"]:
            for socket in self.sockets.get(user_id, ()):
                socket.offer(prev, notification_id, text)

    def sessions_end(self, message: dict[str, Any]) -> None:
        for socket in list(self.sockets.get(message["user_id"], ())):
            socket.end_session(int(message["session_version"]))

    def _catch_up_all(self) -> None:
        # An ending announced while this hub was not subscribed reached none of its sockets either.
        for held in list(self.sockets.values()):
            for socket in list(held):
                socket.check_session()
                socket.offer_catch_up()

    async def _listen(self) -> None:
        failures = 0
        while True:
            try:
                if not self._channel:  # the pub/sub layer subscribes to it at once, so it may fail too
                    self._channel = await self.layer.new_channel()
                channel = self._channel
                await self.layer.group_add(FANOUT_GROUP, channel)
                self.joined = True
                self._beats_heard = self._beats_sent  # beats lost with the old subscription do not count
                # Whatever was pushed before this join reached no socket of this loop.
                self._catch_up_all()
                while True:
                    message = await self.layer.receive(channel)
                    failures = 0  # the back-off resets once the subscription works, not on joining
                    kind = message.get("type")
                    if kind == FANOUT_MESSAGE_TYPE:
                        self.deliver(message)
                    elif kind == SESSIONS_END_MESSAGE_TYPE:
                        self.sessions_end(message)
                    elif kind == HEARTBEAT_MESSAGE_TYPE and message.get("channel") == channel:
                        self._heard(int(message.get("beat", 0)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.joined = False
                wait = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                logger.warning(
                    "Push subscription lost (%s); rejoining in %.1f s. Sockets catch up from their inbox then.",
                    exc.__class__.__name__,
                    wait,
                )
                await asyncio.sleep(wait)

    def _heard(self, beat: int) -> None:
        # Beats arrive in the order they were sent: one skipped was lost, and pushes with it perhaps
        # (the pub/sub layer resubscribing after Redis restarted). A late beat is not a lost one: a
        # busy loop (thousands of sockets being written) hears it late, and that needs no catch-up.
        if beat > self._beats_heard + 1:
            logger.warning("A push heartbeat was lost; sockets catch up.")
            self._catch_up_all()
        self._beats_heard = max(self._beats_heard, beat)

    async def _refresh(self) -> None:
        loop = asyncio.get_running_loop()
        renewed, heard_then = loop.time(), self._beats_heard
        unsent = False  # a beat could not be sent: pushes meanwhile may have failed too
        while True:
            await asyncio.sleep(BEAT_S)
            if not self.joined:
                continue  # the listener is rejoining, and has the sockets catch up when it has
            try:
                self._beats_sent += 1
                await self.layer.group_send(
                    FANOUT_GROUP, {"type": HEARTBEAT_MESSAGE_TYPE, "channel": self._channel, "beat": self._beats_sent}
                )
                # No beat heard for a whole refresh although they were sent: the group lost this hub
                # without an error (Redis flushed, or failed over to a replica without the membership).
                silent = self._beats_heard == heard_then and self._beats_sent > heard_then + 1
                if unsent or loop.time() - renewed >= REFRESH_S:
                    if silent and not unsent:
                        logger.warning("No push heartbeat came back for %.0f s; renewed, sockets catch up.",
                                       REFRESH_S)
                    await self.layer.group_add(FANOUT_GROUP, self._channel)  # renews the membership
                    renewed, heard_then = loop.time(), self._beats_heard
                    if unsent or silent:
                        unsent = False
                        self._catch_up_all()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not unsent:  # once per outage, not every beat
                    logger.warning("A push heartbeat failed (%s); sockets catch up when one gets through.",
                                   exc.__class__.__name__)
                unsent = True


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The running event loop's hub, on the current default channel layer."""
    layer = get_channel_layer()
    loop = asyncio.get_running_loop()
    current = _hubs.get(loop)
    if current is None or current.layer is not layer:
        if current is not None:
            current.stop()
        current = _hubs[loop] = Hub(layer)
    return current


def sessions_end_announce(user_id: int, session_version: int) -> None:
    """Tell every server process's hub that ``user_id``'s sessions before ``session_version`` ended, so
    their open sockets close now rather than when their token expires. Sync (called on commit); never
    raises: a hub that misses it checks its sockets' sessions when it (re)joins."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send() -> None:
        async with asyncio.timeout(SESSIONS_END_SEND_TIMEOUT_S):
            await layer.group_send(FANOUT_GROUP, {"type": SESSIONS_END_MESSAGE_TYPE, "user_id": user_id,
                                                  "session_version": session_version})

    try:
        async_to_sync(send)()
    except Exception as exc:
        logger.warning("Announcing the end of user %s's sessions failed (%s); open sockets close when their "
                       "hub rejoins or their token expires.", user_id, exc.__class__.__name__)


def hubs_stop() -> None:
    """Stop every loop's hub (tests: when a loop or a channel layer goes away)."""
    for current in list(_hubs.values()):
        current.stop()
    _hubs.clear()
