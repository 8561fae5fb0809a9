"""Oversized bodies are refused from the headers, before the body is read."""

import json

import pytest
from asgiref.testing import ApplicationCommunicator

from api.asgi_limits import BodySizeLimit


async def echo_app(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def scope(length=None):
    headers = [(b"content-length", str(length).encode())] if length is not None else []
    return {"type": "http", "method": "POST", "path": "/api/v1/checkins", "headers": headers}


async def run(app, scope, chunks):
    comm = ApplicationCommunicator(app, scope)
    for i, chunk in enumerate(chunks):
        await comm.send_input({"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1})
    start = await comm.receive_output(1)
    body = await comm.receive_output(1)
    return start["status"], body["body"]


@pytest.mark.asyncio
async def test_a_declared_oversize_body_is_413_without_reading_it():
    status, body = await run(BodySizeLimit(echo_app, 100), scope(length=10_000_000), [b""])
    assert status == 413
    assert json.loads(body)["error"]["code"] == "too_large"


@pytest.mark.asyncio
async def test_a_chunked_body_is_cut_off_at_the_cap():
    status, _ = await run(BodySizeLimit(echo_app, 100), scope(), [b"x" * 60, b"x" * 60, b"x" * 60])
    assert status == 413


@pytest.mark.asyncio
async def test_a_body_under_the_cap_passes():
    status, body = await run(BodySizeLimit(echo_app, 100), scope(length=90), [b"x" * 50, b"x" * 40])
    assert (status, body) == (200, b"90")
