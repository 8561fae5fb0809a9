"""Refuse oversized request bodies before they are read.

Django's ASGI handler reads a whole body before any view runs; this wrapper answers 413 (in the
contract's error shape) from the Content-Length alone, and stops a chunked body as soon as it
passes the cap, so a client cannot make a worker buffer gigabytes.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from core.language import language_from_headers


class _TooLarge(Exception):
    pass


def _body(scope: dict) -> bytes:
    # No Django request (nor LocaleMiddleware) yet: the language comes from the headers here.
    with translation.override(language_from_headers(scope.get("headers") or [])):
        message = gettext("The request body is too large.")
    error = {"error": {"code": "too_large", "message": message, "fields": {}}}
    return json.dumps(error, ensure_ascii=False).encode()


class BodySizeLimit:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = 0
        started = False

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send)

    @staticmethod
    async def _refuse(scope: dict, send: Any) -> None:
        body = _body(scope)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class UserConcurrencyLimit:
    """At most ``limit`` API requests of one user being worked on in this process (from arrival until
    the answer starts); the next answers 429.

    Why a bound on concurrency, not a rate: a rate limit cannot tell 300 cheap requests from 300 heavy
    list reads, but a request in flight holds a thread and, once it queries, one of the process's pooled
    database connections. With at most ``limit`` per user (fewer than the pool's size), one account, however
    many requests it fires, cannot take every connection, so the others' requests are still served.

    Why here, before Django: Django's ASGI handler gives each request a thread before any middleware
    runs; refusing from the token alone costs microseconds on the event loop and touches no database.
    Why 429, not 503: the service is not overloaded; this caller is asking too much at once, and
    `Retry-After` says when its own earlier requests will have finished.

    The user is read from the bearer token's signed claims; a request without a valid access token
    passes through untouched (the API answers it 401). The claims go on with the request in its scope
    (`BEARER_SCOPE_KEY`), so that the API's authentication does not verify the same signature again.
    One event loop per process: no lock needed.
    """

    def __init__(self, app: Any, limit: int, retry_after_s: int = 1) -> None:
        self.app = app
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.in_flight: dict[int, int] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/") or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        bearer = _bearer(scope)
        if bearer is None:
            await self.app(scope, receive, send)
            return
        scope = {**scope, BEARER_SCOPE_KEY: bearer}  # a copy: the server's own scope is left as it came
        user_id = bearer[1].user_id
        count = self.in_flight.get(user_id, 0)
        if count >= self.limit:
            await _refuse_busy(scope, send, self.retry_after_s)
            return
        self.in_flight[user_id] = count + 1
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            left = self.in_flight.get(user_id, 1) - 1
            if left > 0:
                self.in_flight[user_id] = left
            else:
                self.in_flight.pop(user_id, None)

        async def releasing_send(message: dict) -> None:
            # Once the answer starts, the work is done: a photo trickling down a 2G link for seconds
            # must not count against its owner's next requests.
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, releasing_send)
        finally:
            release()


def _header(scope: dict, name: bytes) -> bytes:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value
    return b""


# Where `UserConcurrencyLimit` leaves ``(token, AccessClaims)`` of a valid bearer token for the API's auth.
BEARER_SCOPE_KEY = "kjtpy.bearer"


def _bearer(scope: dict) -> tuple[str, Any] | None:
    """The bearer token and its `AccessClaims`, when the request carries a valid access token."""
    scheme, _, token = _header(scope, b"authorization").decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    from accounts.tokens import access_claims
    from core.errors import InvalidToken

    try:
        return token, access_claims(token)
    except InvalidToken:
        return None


async def _refuse_busy(scope: dict, send: Any, retry_after_s: int) -> None:
    with translation.override(language_from_headers(scope.get("headers") or [])):
        message = gettext("Too many of your requests are in progress at once; retry after the others finish.")
    body = json.dumps({"error": {"code": "rate_limited", "message": message, "fields": {}}},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after_s).encode())]})
    await send({"type": "http.response.body", "body": body})
