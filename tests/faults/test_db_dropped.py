"""The database drops connections, or goes away for a while: the next request recovers.

A real ASGI server (uvicorn in a subprocess, production settings: DEBUG off, DATABASE_URL set) talks
to the test database through a TCP proxy of the test's own, so that the test can cut, refuse or
swallow its connections; ``pg_terminate_backend`` from a separate session plays the database
dropping them (a restart, a failover, an idle-session killer).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from accounts.tokens import access_token_for
from tests.factories import CommissionerFactory

from .conftest import (
    TcpProxy,
    WebServer,
    admin_connection,
    is_error_shape,
    service_env,
    subprocess_database_url,
    terminate_backends,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APP = "faults-web"
# A request while the database is unreachable must answer (5xx, error shape) within this.
OUTAGE_ANSWER_BOUND_S = 15.0


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    from django.db import connection

    s = connection.settings_dict
    relay = TcpProxy((s["HOST"] or "127.0.0.1", int(s["PORT"] or 5432)))
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def server(proxy: TcpProxy, tmp_path, transactional_db) -> Iterator[WebServer]:
    env = service_env(DATABASE_URL=subprocess_database_url(application_name=APP, host="127.0.0.1", port=proxy.port))
    web = WebServer(tmp_path / "uvicorn.log", env).start()
    yield web
    proxy.mode = "forward"
    proxy.drop_all()  # releases a request stuck on a swallowed connection
    web.stop()


@pytest.fixture
def token(baise) -> str:
    return access_token_for(CommissionerFactory())


def _health_status(server: WebServer) -> int:
    try:
        return server.get("/api/v1/health", timeout=10)[0]
    except OSError:  # timed out, reset
        return 0


def _all_ok(server: WebServer, token: str) -> None:
    status, body, _ = server.get("/api/v1/health")
    assert status == 200 and body["db"] == "ok", body
    status, body, _ = server.get("/api/v1/notifications", token=token)
    assert status == 200, body


def test_the_next_request_after_the_database_dropped_the_connections_succeeds(server, token):
    for _ in range(3):
        _all_ok(server, token)
    with admin_connection() as admin:
        dropped = terminate_backends(admin, APP)  # every session the server holds, idle in its pool or not
    started = time.monotonic()
    for _ in range(5):  # enough to go through every pooled connection
        _all_ok(server, token)
    print(f"[faults] DB dropped {len(dropped)} server session(s); next 10 requests all 200 in "
          f"{time.monotonic() - started:.2f} s")


def test_the_server_reuses_its_database_connections(server, token, proxy):
    """Each request borrows a pooled connection and gives it back: the number of connections opened
    does not grow with the number of requests (which is also why the test above is not trivial)."""
    _all_ok(server, token)
    opened = proxy.accepted
    for _ in range(20):
        _all_ok(server, token)
    assert proxy.accepted - opened <= 2, f"{proxy.accepted - opened} new database connections for 40 requests"
    print(f"[faults] 40 requests opened {proxy.accepted - opened} new database connection(s)")


def test_a_request_while_the_database_refuses_connections_fails_fast_then_the_service_recovers(
    server, token, proxy
):
    _all_ok(server, token)
    proxy.mode = "refuse"  # PostgreSQL down: open connections cut, new ones closed at once
    proxy.drop_all()
    status, body, health_took = server.get("/api/v1/health")
    assert status == 503, body
    assert body["db"].startswith("error"), body
    assert health_took < OUTAGE_ANSWER_BOUND_S
    status, body, took = server.get("/api/v1/notifications", token=token)
    assert 500 <= status < 600 and is_error_shape(body), (status, body)
    assert took < OUTAGE_ANSWER_BOUND_S
    print(f"[faults] DB refusing: /health 503 in {health_took:.2f} s, an API read {status} in {took:.2f} s")

    proxy.mode = "forward"
    started = time.monotonic()
    wait_until(lambda: _health_status(server) == 200, timeout=30, what="the server to recover")
    recovered = time.monotonic() - started
    _all_ok(server, token)
    print(f"[faults] DB back: /health 200 again after {recovered:.2f} s")


def test_a_request_while_the_database_host_is_unreachable_answers_within_bounds(server, token, proxy):
    """No answer at all (packets dropped: a dead host, a firewall): the request must not hang."""
    _all_ok(server, token)
    proxy.mode = "blackhole"
    proxy.drop_all()
    status, body, took = server.get("/api/v1/notifications", token=token, timeout=OUTAGE_ANSWER_BOUND_S + 30)
    assert 500 <= status < 600 and is_error_shape(body), (status, body)
    assert took < OUTAGE_ANSWER_BOUND_S, f"answered after {took:.1f} s"
    print(f"[faults] DB unreachable: an API read {status} in {took:.2f} s")
    proxy.resume()
    started = time.monotonic()
    wait_until(lambda: _health_status(server) == 200, timeout=30, what="the server to recover")
    print(f"[faults] DB reachable again: /health 200 after {time.monotonic() - started:.2f} s")
