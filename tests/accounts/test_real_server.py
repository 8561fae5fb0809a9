"""The ASGI server started as the Dockerfile starts it (its flags, the shipped logging settings):

- no token, refresh token or websocket ticket in its logs: logged in to, refreshed, its websocket opened
  with a ticket and with `?token=`, and its captured output searched for every secret it handed out;
- X-Forwarded-For from loopback does not change the address the login limits count (NUM_PROXIES alone
  decides that, not the server's own proxy-header handling)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.factories import PASSWORD, CommissionerFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
START_WAIT_S = 90  # a loaded CI machine imports Django slowly
ADDRESS_LIMIT = 3  # the server's per-address allowance of failed logins, small for the test


def shipped_command(port: int) -> list[str]:
    """The Dockerfile's CMD, on a free local port, one worker (the embedded default's in-process cache
    and channel layer are per process; the logging flags are what matter here)."""
    line = next(x for x in reversed((ROOT / "Dockerfile").read_text().splitlines()) if x.startswith("CMD "))
    args = json.loads(line[4:])
    assert args[0] == "uvicorn"
    command, i = [sys.executable, "-m", "uvicorn"], 1
    while i < len(args):
        if args[i] in ("--workers", "--host", "--port"):
            i += 2
            continue
        command.append(args[i])
        i += 1
    return [*command, "--host", "127.0.0.1", "--port", str(port)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_env(tmp_path: Path) -> dict[str, str]:
    """Hand the server this test's database: PostgreSQL's test database itself, or SQLite's in-memory
    one copied to a file (VACUUM INTO), with the user this test committed."""
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        user, password = settings_dict.get("USER") or "", settings_dict.get("PASSWORD") or ""
        auth = f"{user}:{password}@" if password else f"{user}@" if user else ""
        url = f"postgres://{auth}{settings_dict.get('HOST') or '127.0.0.1'}:{settings_dict.get('PORT') or 5432}"
        return {"DATABASE_URL": f"{url}/{settings_dict['NAME']}"}
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(tmp_path / "db.sqlite3")])
    return {}


def call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None,
         headers: dict[str, str] | None = None):
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def ws_ping(url: str) -> str:
    """Open the socket, ping; the pong's type, or how it closed."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(url, open_timeout=10) as ws:
        try:
            ws.send(json.dumps({"type": "ping"}))
            return json.loads(ws.recv(timeout=10))["type"]
        except ConnectionClosed as exc:
            return f"closed {exc.rcvd.code if exc.rcvd else None}"


@pytest.fixture
def server(tmp_path, baise):
    user = CommissionerFactory()
    # The server hashes as production does (PBKDF2); the tests' MD5 hasher is not among its hashers.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "realrunsalt", iterations=1000)
    user.save(update_fields=["password"])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(database_env(tmp_path), DATA_DIR=str(tmp_path), DEBUG="0", SECURE_SSL_REDIRECT="0",
               SECRET_KEY="real-run-secret-key-" + "x" * 40, ALLOWED_HOSTS="127.0.0.1", LOG_LEVEL="INFO",
               RATE_LOGIN_IP=str(ADDRESS_LIMIT))
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(shipped_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_WAIT_S
        while True:
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=2).close()
                break
            except (OSError, urllib.error.URLError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the server did not start:\n" + log_path.read_text()) from None
                time.sleep(0.2)
        yield user, base, port, process, log_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_no_token_refresh_token_or_ticket_reaches_the_servers_log(server):
    user, base, port, process, log_path = server
    status, first = call(base, "POST", "/api/v1/auth/token", {"phone": user.phone, "password": PASSWORD})
    assert status == 200, first
    status, second = call(base, "POST", "/api/v1/auth/refresh", {"refresh": first["refresh"]})
    assert status == 200, second
    status, ticket = call(base, "POST", "/api/v1/notifications/ticket", token=second["access"])
    assert status == 200, ticket
    ws = f"ws://127.0.0.1:{port}/ws/notifications/"
    assert ws_ping(f"{ws}?ticket={ticket['ticket']}&since=0") == "pong"
    assert ws_ping(f"{ws}?token={second['access']}&since=0") == "pong"  # an app from before tickets
    assert ws_ping(f"{ws}?token={second['refresh']}") == "closed 4401"  # a refresh token where it does not go
    status, _ = call(base, "GET", f"/api/v1/me?token={first['access']}")  # a token in an HTTP query string
    assert status == 401
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)

    log = log_path.read_text()
    assert "WebSocket /ws/notifications/?ticket=[redacted]" in log, log  # the lines are there, redacted
    secrets = {"access": first["access"], "refresh": first["refresh"], "rotated access": second["access"],
               "rotated refresh": second["refresh"], "ticket": ticket["ticket"]}
    leaked = [name for name, value in secrets.items() if value in log]
    assert leaked == [], log


def test_x_forwarded_for_from_loopback_does_not_escape_the_per_address_limit(server):
    base = server[1]
    codes = [call(base, "POST", "/api/v1/auth/token", {"phone": f"1390000{i:04d}", "password": "wrong-guess"},
                  headers={"X-Forwarded-For": f"10.9.0.{i}"})[0] for i in range(ADDRESS_LIMIT + 1)]
    assert codes == [401] * ADDRESS_LIMIT + [429]


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("path", ["Dockerfile", "docker-compose.yml", "README.md"])
def test_every_shipped_uvicorn_command_leaves_address_trust_to_num_proxies(path):
    lines = [line for line in (ROOT / path).read_text().splitlines()
             if "config.asgi:application" in line and "uvicorn" in line and not line.lstrip().startswith("#")]
    assert lines and all("--no-proxy-headers" in line for line in lines), lines


# --- the filter itself, on lines the real run does not produce ---

def formatted(logger_name: str, message: str, *args, exc: Exception | None = None) -> str:
    import io
    import logging

    from core.redaction import RedactSecrets

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        if exc is None:
            logger.warning(message, *args)
        else:
            try:
                raise exc
            except Exception:
                logger.exception(message, *args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.mark.django_db(transaction=False)
def test_a_jwt_in_an_exception_message_is_redacted_from_the_traceback():
    line = formatted("tests.redaction", "failed for %s", "user 1", exc=ValueError(f"bad token {JWT}"))
    assert JWT not in line and "[redacted]" in line and "ValueError" in line


@pytest.mark.django_db(transaction=False)
def test_refresh_and_ticket_parameters_are_redacted_wherever_they_appear():
    line = formatted("tests.redaction", 'POST body refresh=%s, then "GET /x?ticket=%s&since=3"', "abc.def", "T0k3n")
    assert "abc.def" not in line and "T0k3n" not in line
    assert "refresh=[redacted]" in line and "ticket=[redacted]&since=3" in line
