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
