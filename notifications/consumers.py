"""`/ws/notifications/?ticket=<ticket>[&since=<last_id>]` (or `?token=<access>`): the inbox, live.

The consumer keeps one number, ``cursor``: the id of the last notification this connection has
sent (or, without ``since``, the inbox's last id when it connected). Everything else is in the
database, so a restart loses nothing: the client reconnects with ``since`` = the last id it saw.

How "replay, then live, nothing lost, nothing twice, in order" holds:
1. The consumer attaches to its process's hub (`notifications.hub`) *before* reading the inbox, so
   a notification committed during the replay is either read by the replay or pushed afterwards
   (or both). A push the hub missed (not subscribed yet, Redis down) is made up by the hub: after
   each (re)join it tells every socket it holds to read its inbox.
2. Everything that sends notifications (the replay, a push, a catch-up, a ping) holds the socket's
   lock, and pushes queue up in arrival order until it is free: the replay always goes first.
3. A push whose id is not above the cursor was sent already: dropped.
4. A push names the recipient's previous notification (``prev``). If that is above the cursor the
   connection missed one (a push lost while Redis was down, two writers' pushes overtaking each
   other), so it reads the inbox after the cursor instead, which is in id order and complete
   (`services._inboxes_lock` makes one person's rows commit in id order).
5. ``ping`` reads the inbox after the cursor too before answering ``pong``: a client that pings
   has everything that was committed before its ping.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.tokens import access_claims, access_still_valid
from core.errors import InvalidToken, NotFound
from core.language import language_from_headers

from .hub import hub
from .selectors import REPLAY_BATCH, inbox_cursor, notifications_after
from .services import notification_mark_read
from .tickets import ticket_redeem

logger = logging.getLogger(__name__)

# Close codes (4000–4999 are the application's; they mirror the HTTP statuses).
CLOSE_UNAUTHENTICATED = 4401  # missing, bad or expired token or ticket, or an inactive user: refresh, reconnect
CLOSE_BAD_REQUEST = 4400  # `since` is not a non-negative integer
# Every session of the user ended (logout everywhere, a password change or reset, deactivation): the token
# this socket was opened with is dead, and so is its refresh token. Log in again (or reconnect with a
# token issued since, as the phone that changed its password holds).
CLOSE_SESSION_ENDED = 4403

_SINCE = re.compile(r"[0-9]{1,18}")


def _user_for_token(token: str) -> tuple[User, int, float] | None:
    """The active user the access token names, the session version it was issued under and when it
    expires, or None: the same rules as the REST API's `JWTAuth` (an ended session refuses it)."""
    try:
        claims = access_claims(token)
    except InvalidToken:
        return None
    user = User.objects.filter(pk=claims.user_id, is_active=True).first()
    if user is None or not access_still_valid(user, claims):
        return None
    return user, claims.session_version, float(claims.expires_at)


def _session_current(user_id: int, session_version: int) -> bool:
    return User.objects.filter(pk=user_id, is_active=True, session_version=session_version).exists()


def _parse_since(values: list[str] | None) -> int | None:
    """``since`` as an int; None when absent. Raises ValueError when it is not a cursor."""
    if not values:
        return None
    # Digits only (int() would take " 7", "+7" and "7_0"), and within a bigint.
    if not _SINCE.fullmatch(values[-1]):
        raise ValueError(values[-1])
    return int(values[-1])


def _ack(user: User, notification_id: int) -> bool:
    try:
        notification_mark_read(user=user, notification_id=notification_id)
    except NotFound:
        return False
    return True


# The longest message a client may send; theirs are `{"type": "ack", "id": N}` and `{"type": "ping"}`.
MESSAGE_MAX_CHARS = 1024
# Pushes a socket may hold unsent (a stalled client); past this they are replaced by one catch-up.
INBOUND_LIMIT = 200
# After a push or catch-up failed on a socket that is still open (the database, briefly), retry after this.
CATCH_UP_RETRY_S = 2.0


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    # No channel of its own: pushes reach it through its process's hub (see the module's docstring).
    channel_layer_alias = None
    user: User | None = None
    session_version: int = 0
    cursor: int = 0
    _hub = None
    _expiry: asyncio.TimerHandle | None = None
    _retry: asyncio.TimerHandle | None = None
    _sender: asyncio.Task | None = None
    _session_check_pending = False

    async def __call__(self, scope, receive, send) -> None:
        # channels calls `disconnect` only for a disconnect message; a handler that raised (a send to a
        # client already gone) ends the connection without one. Leave the hub however it ends.
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()

    async def connect(self) -> None:
        self._closing: asyncio.Task | None = None
        self._lock = asyncio.Lock()
        # Pushes and catch-ups (None) in arrival order; `_sender` sends them.
        self._inbound: deque[tuple[int, int, str] | None] = deque()
        params = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        ticket = (params.get("ticket") or [""])[-1]
        token = (params.get("token") or [""])[-1]
        if ticket:
            found = await database_sync_to_async(ticket_redeem)(ticket)
        elif token:  # apps from before tickets; a ticket keeps the token out of URLs and logs
            found = await database_sync_to_async(_user_for_token)(token)
        else:
            found = None
        if found is None:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        try:
            since = _parse_since(params.get("since"))
        except ValueError:
            await self._refuse(CLOSE_BAD_REQUEST)
            return
        self.user, self.session_version, expires_at = found
        async with self._lock:
            # Attach first, read second: see the module's docstring.
            self._hub = hub()
            self._hub.attach(self.user.pk, self)  # left in `__call__` however the connection ends
            await self.accept()
            if since is None:
                self.cursor = await database_sync_to_async(inbox_cursor)(user_id=self.user.pk)
            else:
                self.cursor = since
                await self._catch_up()
        # An access token is short-lived so that a lost phone or a deactivated account stops
        # receiving: the connection ends with the token, and the client reconnects with a new one.
        self._expiry = asyncio.get_running_loop().call_later(
            max(0.0, expires_at - time.time()), self._token_expired
        )

    async def _refuse(self, code: int) -> None:
        # Accept, then close at once with the code and no data. Closing before accepting would be
        # turned by the server into an HTTP 403 handshake refusal, and the client would never see
        # the code that tells it to refresh its token rather than retry.
        await self.accept()
        await self.close(code=code)

    def _token_expired(self) -> None:
        self._closing = asyncio.ensure_future(self.close(code=CLOSE_UNAUTHENTICATED))

    # --- sessions ending (called by the hub, in this loop) ---

    def end_session(self, session_version: int) -> None:
        if self._hub is not None and self.session_version < session_version:
            self._close_session_ended()

    def check_session(self) -> None:
        # Done by the sender, like a catch-up: one task per socket, cancelled when the connection ends.
        self._session_check_pending = True
        self._start_sending()

    def _close_session_ended(self) -> None:
        # Leave the hub at once: nothing more is pushed to a session that ended.
        self._release()
        self._closing = asyncio.ensure_future(self.close(code=CLOSE_SESSION_ENDED))

    def _release(self) -> None:
        """Leave the hub and stop everything this connection scheduled; safe to call again."""
        if self._hub is not None:
            self._hub.detach(self.user.pk, self)
            self._hub = None
        for handle in (self._expiry, self._retry, self._sender):
            if handle is not None:
                handle.cancel()
        self._expiry = self._retry = self._sender = None

    async def disconnect(self, code: int) -> None:
        self._release()

    # --- what the hub hands over (called in this loop, never blocking) ---

    def offer(self, prev: int, notification_id: int, text: str) -> None:
        if len(self._inbound) >= INBOUND_LIMIT:
            # A client this far behind reads its inbox instead: one query, nothing lost, memory bounded.
            self._inbound.clear()
            self._inbound.append(None)
        else:
            self._inbound.append((prev, notification_id, text))
        self._start_sending()

    def offer_catch_up(self) -> None:
        if not self._inbound or self._inbound[-1] is not None:  # one pending catch-up covers the rest
            self._inbound.append(None)
        self._start_sending()

    def _start_sending(self) -> None:
        if self._sender is None and self._hub is not None:
            self._sender = asyncio.get_running_loop().create_task(self._send_inbound())

    async def _send_inbound(self) -> None:
        ended = False
        try:
            async with self._lock:
                while self._session_check_pending or self._inbound:
                    if self._session_check_pending:
                        self._session_check_pending = False
                        if not await database_sync_to_async(_session_current)(self.user.pk, self.session_version):
                            ended = True
                            break
                        continue
                    item = self._inbound.popleft()
                    if item is None:
                        await self._catch_up()
                    else:
                        await self._push(*item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The client went away (the connection then ends and is released), or the database failed:
            # read the inbox again shortly, so that nothing waits for the next push or ping.
            logger.info("Sending to user %s failed (%s); catching up in %.0f s.", self.user.pk,
                        exc.__class__.__name__, CATCH_UP_RETRY_S)
            self._inbound.clear()
            if self._hub is not None:
                self._retry = asyncio.get_running_loop().call_later(CATCH_UP_RETRY_S, self.offer_catch_up)
        finally:
            self._sender = None
        if ended and self._hub is not None:
            self._close_session_ended()

    async def _catch_up(self) -> None:
        """Send every notification after the cursor, in id order."""
        while True:
            batch = await database_sync_to_async(notifications_after)(
                user_id=self.user.pk, after_id=self.cursor, limit=REPLAY_BATCH
            )
            for message in batch:
                await self.send_json(message)
                self.cursor = message["id"]
            if len(batch) < REPLAY_BATCH:
                return

    async def _push(self, prev: int, notification_id: int, text: str) -> None:
        """A notification committed for this person, its message written as JSON by the fan-out (it
        reaches every socket as it is); ``prev`` is their previous one."""
        if notification_id <= self.cursor:
            return
        if prev <= self.cursor:
            await self.send(text_data=text)
            self.cursor = notification_id
        else:
            await self._catch_up()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if self.user is None:
            return
        if text_data is None:
            await self._error("invalid_message", _("Send JSON in text frames."))
            return
        if len(text_data) > MESSAGE_MAX_CHARS:
            # Not parsed at all: a client's messages (ack, ping) are a few dozen characters.
            await self._error("invalid_message", _("The message is too long."))
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):
            # RecursionError: deeply nested arrays exhaust the parser's stack; that is bad input too.
            await self._error("invalid_message", _("The message is not JSON."))
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            async with self._lock:
                await self._catch_up()
                await self.send_json({"type": "pong"})
        elif kind == "ack":
            notification_id = content.get("id")
            if not isinstance(notification_id, int) or isinstance(notification_id, bool):
                await self._error("invalid_message", _("An ack carries the notification's integer `id`."))
            elif await database_sync_to_async(_ack)(self.user, notification_id):
                await self.send_json({"type": "acked", "id": notification_id})
            else:
                await self._error("not_found", _("No such notification."), id=notification_id)
        else:
            await self._error("unknown_message", _('Send {"type": "ack", "id": N} or {"type": "ping"}.'))

    async def _error(self, code: str, message: Any, **extra: Any) -> None:
        # In the language of the handshake's Accept-Language, as the REST API answers (zh-hans by default).
        with translation.override(language_from_headers(self.scope.get("headers") or [])):
            text = str(message)
        await self.send_json({"type": "error", "code": code, "message": text, **extra})
