"""Websocket tickets: a bearer token never has to travel in a URL.

A client with an access token asks `POST /api/v1/notifications/ticket` (bearer) for a ticket and opens
`/ws/notifications/?ticket=<ticket>`. A ticket is random, opens one socket once, and dies after
`TICKET_TTL_S` seconds; a URL that reaches a log (a proxy's, a server's) holds nothing that can be used
again. It is kept in the cache (Redis in production, so any server process can redeem it) under a hash
of itself, with the user, the session version the bearer token was issued under and the token's expiry:
the socket ends when the token would have (and when the session ends), as a socket opened with the
token itself does.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from redis.exceptions import RedisError

from accounts.models import User
from accounts.tokens import AccessClaims

# Long enough for a slow rural network between the REST answer and the handshake; short enough that a
# ticket seen in a log is dead before anyone reads it.
TICKET_TTL_S = 30


@dataclass(frozen=True)
class Ticket:
    ticket: str
    expires_in: int


def _key(ticket: str) -> str:
    # The cache holds the ticket's hash, not the ticket: a read of the cache cannot open a socket.
    return "ws-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def ticket_issue(*, claims: AccessClaims) -> Ticket:
    """A single-use ticket for the holder of the access token ``claims`` came from."""
    ticket = secrets.token_urlsafe(32)
    cache.set(_key(ticket), (claims.user_id, claims.session_version, claims.expires_at), timeout=TICKET_TTL_S)
    return Ticket(ticket=ticket, expires_in=TICKET_TTL_S)


def ticket_redeem(ticket: str) -> tuple[User, int, float] | None:
    """The active user a ticket was issued to, its session version and the token's expiry; or None
    (unknown, expired, already used, or the session ended since). A ticket is used up by this call."""
    if not ticket or len(ticket) > 128:
        return None
    key = _key(ticket)
    try:
        value = cache.get(key)
        # Whoever deletes the key redeems it: two handshakes racing with one ticket cannot both open.
        if value is None or not cache.delete(key):
            return None
    except RedisError:  # no ticket can be read: 4401, and the app falls back to ?token=
        return None
    user_id, session_version, expires_at = value
    user = User.objects.filter(pk=user_id, is_active=True, session_version=session_version).first()
    if user is None:
        return None
    return user, session_version, float(expires_at)
