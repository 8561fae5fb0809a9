"""One account cannot hold every worker thread and pooled connection: its requests in flight are bounded."""

import asyncio
import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import RequestFactory

from accounts.models import Role, User
from accounts.tokens import access_claims, access_token_for
from api.asgi_limits import BEARER_SCOPE_KEY, UserConcurrencyLimit
from api.auth import jwt_auth
from tests.factories import UserFactory


class HeldApp:
    """Answers 200 once released; counts what reached it."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.reached = 0

    async def __call__(self, scope, receive, send):
        self.reached += 1
        await self.release.wait()
        if scope["path"].endswith("/boom"):
            raise RuntimeError("the view failed")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def token(user_id: int) -> str:
    return access_token_for(User(pk=user_id, role=Role.COMMISSIONER))


def scope(user_id: int | None, path: str = "/api/v1/problems") -> dict:
    headers = [(b"authorization", f"Bearer {token(user_id)}".encode())] if user_id else []
    return {"type": "http", "method": "GET", "path": path, "headers": headers}


async def start(app, scope) -> ApplicationCommunicator:
    comm = ApplicationCommunicator(app, scope)
    await comm.send_input({"type": "http.request", "body": b""})
    await asyncio.sleep(0.01)
    return comm


async def status_of(comm) -> tuple[int, dict, bytes]:
    head = await comm.receive_output(1)
    body = await comm.receive_output(1)
    return head["status"], dict(head["headers"]), body["body"]


@pytest.mark.asyncio
async def test_one_users_request_over_the_bound_is_429_in_shape_with_retry_after():
    inner = HeldApp()
    app = UserConcurrencyLimit(inner, limit=2)
    held = [await start(app, scope(1)) for _ in range(2)]
    status, headers, body = await status_of(await start(app, scope(1)))
    assert status == 429
    assert headers[b"retry-after"] == b"1"
    assert json.loads(body)["error"]["code"] == "rate_limited"
    assert inner.reached == 2
    inner.release.set()
    for comm in held:
        assert (await status_of(comm))[0] == 200


@pytest.mark.asyncio
async def test_another_user_is_served_while_one_is_at_the_bound():
    inner = HeldApp()
    app = UserConcurrencyLimit(inner, limit=2)
    held = [await start(app, scope(1)) for _ in range(2)]
    other = await start(app, scope(2))
    inner.release.set()
    assert (await status_of(other))[0] == 200
    for comm in held:
        await status_of(comm)


@pytest.mark.asyncio
async def test_a_finished_request_frees_its_place():
    inner = HeldApp()
    inner.release.set()
    app = UserConcurrencyLimit(inner, limit=1)
    for _ in range(3):
        assert (await status_of(await start(app, scope(1))))[0] == 200
    assert app.in_flight == {}


class StreamingApp:
    """Starts its answer at once, then holds the body (a photo going down a slow link)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await self.release.wait()
        await send({"type": "http.response.body", "body": b"jpeg"})


@pytest.mark.asyncio
async def test_an_answer_being_sent_no_longer_counts_against_its_user():
    inner = StreamingApp()
    app = UserConcurrencyLimit(inner, limit=1)
    downloading = await start(app, scope(1))
    assert app.in_flight == {}
    inner.release.set()
    assert (await status_of(await start(app, scope(1))))[0] == 200
    assert (await status_of(downloading))[0] == 200


@pytest.mark.asyncio
async def test_a_failed_request_frees_its_place():
    inner = HeldApp()
    inner.release.set()
    app = UserConcurrencyLimit(inner, limit=1)
    comm = await start(app, scope(1, "/api/v1/boom"))
    with pytest.raises(RuntimeError):
        await comm.wait(1)
    assert app.in_flight == {}


@pytest.mark.asyncio
async def test_requests_without_a_valid_token_are_left_to_the_api():
    inner = HeldApp()
    app = UserConcurrencyLimit(inner, limit=1)
    anonymous = [await start(app, scope(None)) for _ in range(3)]
    forged = {"type": "http", "method": "GET", "path": "/api/v1/me", "headers": [(b"authorization", b"Bearer x.y.z")]}
    anonymous.append(await start(app, forged))
    assert inner.reached == 4
    inner.release.set()
    for comm in anonymous:
        assert (await status_of(comm))[0] == 200


def test_the_served_asgi_app_bounds_each_users_requests():
    from config.asgi import application

    assert isinstance(application.application_mapping["http"], UserConcurrencyLimit)


class ScopeApp:
    """Answers 200 and keeps the scope it was given."""

    def __init__(self) -> None:
        self.scope: dict | None = None

    async def __call__(self, scope, receive, send):
        self.scope = scope
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.asyncio
async def test_the_verified_claims_go_on_with_the_request_and_the_servers_scope_is_left_alone():
    inner = ScopeApp()
    app = UserConcurrencyLimit(inner, limit=1)
    sent = scope(7)
    await status_of(await start(app, sent))
    token_sent, claims = inner.scope[BEARER_SCOPE_KEY]
    assert token_sent == token(7)
    assert claims.user_id == 7
    assert BEARER_SCOPE_KEY not in sent


@pytest.mark.django_db
def test_the_api_does_not_verify_a_token_the_bound_verified_already(monkeypatch):
    user = UserFactory(role=Role.COMMISSIONER)
    bearer = access_token_for(user)
    request = RequestFactory().get("/api/v1/me")
    request.scope = {BEARER_SCOPE_KEY: (bearer, access_claims(bearer))}
    monkeypatch.setattr("api.auth.access_claims", lambda token: pytest.fail("the signature was checked again"))
    assert jwt_auth.authenticate(request, bearer) == user


@pytest.mark.django_db
def test_claims_of_another_token_in_the_scope_are_not_taken_for_this_one():
    user, other = UserFactory(role=Role.COMMISSIONER), UserFactory(role=Role.COMMISSIONER)
    request = RequestFactory().get("/api/v1/me")
    other_bearer = access_token_for(other)
    request.scope = {BEARER_SCOPE_KEY: (other_bearer, access_claims(other_bearer))}
    assert jwt_auth.authenticate(request, access_token_for(user)) == user
