"""Fault injection with real services, loopback only.

Every process these tests need is their own: a private ``redis-server`` on a free port (never the
shared one), real Celery workers and a real uvicorn server in subprocesses, and a TCP proxy in front
of PostgreSQL that can drop, refuse or swallow connections. Each is stopped by the test that started
it, and also dies with pytest if pytest itself is killed (``PR_SET_PDEATHSIG``). Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_SERVER = shutil.which("redis-server")

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_pytest() -> None:  # runs in the child between fork and exec
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(args: list[str], *, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_pytest,
        )


def end(proc: subprocess.Popen | None, *, sig: int = signal.SIGTERM, grace: float = 15.0) -> None:
    """Stop one process we started: ``sig``, then SIGKILL after ``grace`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- Redis --------------------------------------------------------------------------------------


class PrivateRedis:
    """A ``redis-server`` of this test's own, on a free loopback port that stays the same across
    restarts. ``durable`` runs it as docker-compose does (``--appendonly yes``), fsyncing every write."""

    def __init__(self, workdir: Path, *, durable: bool = False) -> None:
        self.port = free_port()
        self.dir = workdir
        self.durable = durable
        self.proc: subprocess.Popen | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        self.proc = spawn(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", *persistence,
             "--dir", str(self.dir), "--daemonize", "no", "--protected-mode", "yes"],
            log=self.dir / "redis.log",
        )

        def answers() -> bool:
            assert self.proc.poll() is None, (self.dir / "redis.log").read_text()[-2000:]
            try:
                return bool(self.client().ping())
            except Exception:
                return False

        wait_until(answers, timeout=10, what=f"redis-server on port {self.port}")

    def kill(self) -> None:
        """A crash: SIGKILL, nothing flushed."""
        end(self.proc, sig=signal.SIGKILL)

    def stop(self) -> None:
        """A clean shutdown (with AOF on, everything written is on disk)."""
        end(self.proc, grace=10)

    def freeze(self) -> None:
        """A hung server: SIGSTOP. The kernel still completes TCP handshakes; nothing answers."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        end(self.proc, sig=signal.SIGKILL)


def _private_redis(tmp_path: Path, durable: bool) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        pytest.skip("needs the redis-server binary")
    server = PrivateRedis(tmp_path / "redis", durable=durable)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    yield from _private_redis(tmp_path, durable=False)


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    yield from _private_redis(tmp_path, durable=True)


def _celery_pools_reset(app) -> None:
    if app._pool is not None:
        with contextlib.suppress(Exception):
            app._pool.force_close_all()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextlib.contextmanager
def celery_on(broker_url: str, settings) -> Iterator[Any]:
    """This process's Celery app publishes to ``broker_url`` for real (not eagerly) until the end."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    settings.CELERY_BROKER_URL = broker_url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = False
    _celery_pools_reset(app)
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        _celery_pools_reset(app)


def _redis_host(host: Any, url: str) -> Any:
    """One entry of channels_redis's ``hosts``, moved to ``url`` with its other options kept."""
    if isinstance(host, dict):
        return {**{k: v for k, v in host.items() if k not in {"address", "host", "port"}}, "address": url}
    return url


@pytest.fixture
def redis_everywhere(private_redis: PrivateRedis, settings) -> Iterator[PrivateRedis]:
    """Point all three uses of REDIS_URL at the private Redis, as production points them at one: the
    channel layer, the cache and the Celery broker, each with the options settings.py gives it (only
    the address changes). A push to a dead Redis gives up after 2 s."""
    layer = copy.deepcopy(settings.CHANNEL_LAYERS["default"])
    if "channels_redis" in layer["BACKEND"]:
        layer["CONFIG"]["hosts"] = [_redis_host(h, private_redis.url(0)) for h in layer["CONFIG"]["hosts"]]
    else:
        layer = {"BACKEND": "channels_redis.core.RedisChannelLayer",
                 "CONFIG": {"hosts": [private_redis.url(0)], "prefix": "kjtpy"}}
    settings.CHANNEL_LAYERS = {"default": layer}  # channels drops its cached layer when this changes
    cache = copy.deepcopy(settings.CACHES["default"])
    if "redis" not in cache["BACKEND"].lower():
        cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "KEY_PREFIX": "kjtpy"}
    cache["LOCATION"] = private_redis.url(1)
    settings.CACHES = {"default": cache}
    settings.NOTIFICATIONS_PUSH_TIMEOUT = 2.0
    with celery_on(private_redis.url(2), settings):
        yield private_redis


@pytest.fixture(autouse=True)
def close_async_connections():
    """Async tests reach the database from asgiref's one shared thread: close what it opened, or
    PostgreSQL refuses to drop the test database at the end."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)


# --- PostgreSQL ---------------------------------------------------------------------------------


def subprocess_database_url(*, application_name: str, host: str | None = None, port: int | None = None) -> str:
    """A DATABASE_URL for the test database pytest-django created, for a subprocess."""
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (":" + quote(s["PASSWORD"]) if s["PASSWORD"] else "")
    host = host or s["HOST"] or "127.0.0.1"
    port = port or int(s["PORT"] or 5432)
    return f"postgres://{auth}@{host}:{port}/{s['NAME']}?application_name={application_name}"



@contextlib.contextmanager
def admin_connection() -> Iterator[Any]:
    """A psycopg connection of its own (autocommit), outside Django: the "DBA" of the fault tests."""
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    conn = psycopg.connect(
        dbname=s["NAME"], user=s["USER"] or "postgres", password=s["PASSWORD"] or None,
        host=s["HOST"] or "127.0.0.1", port=int(s["PORT"] or 5432), autocommit=True, connect_timeout=5,
    )
    try:
        yield conn
    finally:
        conn.close()


def backends_of(conn, application_name: str) -> list[int]:
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid <> pg_backend_pid()",
        [application_name],
    ).fetchall()
    return [pid for (pid,) in rows]


def terminate_backends(conn, application_name: str) -> list[int]:
    """``pg_terminate_backend`` every server process of that application; wait until they are gone."""
    pids = backends_of(conn, application_name)
    for pid in pids:
        conn.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_until(lambda: not set(pids) & set(backends_of(conn, application_name)), timeout=10,
               what="the terminated backends to go")
    return pids


class TcpProxy(threading.Thread):
    """127.0.0.1:<port> → ``target``. ``mode``: "forward"; "refuse" (accept, close at once: a server
    shutting down); "blackhole" (accept, never answer: a host gone from the network, a firewall
    dropping packets; ``resume()`` lets them through). ``drop_all()`` cuts every open connection.
    ``accepted`` counts the connections made to it."""

    def __init__(self, target: tuple[str, int]) -> None:
        super().__init__(daemon=True)
        self.target = target
        self.mode = "forward"
        self.accepted = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.mode == "refuse":
                client.close()
            elif self.mode == "blackhole":
                with self._lock:
                    self._held.append(client)
            else:
                self._relay(client)

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        self._track(client, upstream)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def resume(self) -> None:
        """Back to "forward"; connections swallowed meanwhile go through now, late (TCP retransmits)."""
        self.mode = "forward"
        with self._lock:
            held, self._held = self._held, []
        for client in held:
            self._relay(client)

    def _track(self, *socks: socket.socket) -> None:
        with self._lock:
            self._open.update(socks)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self._lock:
            self._open.discard(s)
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def drop_all(self) -> None:
        with self._lock:
            socks = [*self._open, *self._held]
            self._held = []
        for s in socks:
            self._close(s)

    def stop(self) -> None:
        self._stopped.set()
        self.listener.close()
        self.drop_all()
        self.join(timeout=5)


# --- The application's processes ------------------------------------------------------------------


def service_env(**extra: str) -> dict[str, str]:
    """The environment of a production process: no embedded defaults, secrets from this run."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY=settings.SECRET_KEY, DEBUG="0",
        SECURE_SSL_REDIRECT="0", ALLOWED_HOSTS="127.0.0.1", PYTHONUNBUFFERED="1", LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class Worker:
    """``celery -A <app> worker --pool solo``: one process, one task at a time."""

    def __init__(self, log: Path, env: dict[str, str], *, app: str = "config") -> None:
        self.log_path = log
        self.env = env
        self.app = app
        self.proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        name = f"faults-{uuid.uuid4().hex[:8]}@%h"
        self.proc = spawn(
            [str(BIN / "celery"), "-A", self.app, "worker", "--pool", "solo", "--concurrency", "1", "-l", "INFO",
             "-n", name, "--without-heartbeat", "--without-gossip", "--without-mingle"],
            log=self.log_path, env=self.env,
        )

        def ready() -> bool:
            assert self.proc.poll() is None, self.log()[-3000:]
            return " ready." in self.log()

        wait_until(ready, timeout=90, what="the Celery worker to be ready", interval=0.2)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        end(self.proc, sig=signal.SIGKILL)

    def stop(self) -> None:
        end(self.proc, grace=20)  # SIGTERM: warm shutdown, the current task finishes


@pytest.fixture
def workers(tmp_path: Path, transactional_db) -> Iterator[Callable[..., Worker]]:
    """Start workers with ``workers(env, app=...)``; all are stopped at the end of the test."""
    started: list[Worker] = []

    def start(env: dict[str, str], *, app: str = "config") -> Worker:
        worker = Worker(tmp_path / f"worker-{len(started)}.log", env, app=app)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


class WebServer:
    """``uvicorn config.asgi:application`` in a subprocess on a free loopback port."""

    def __init__(self, log: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.log_path = log
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self) -> WebServer:
        self.proc = spawn(
            [str(BIN / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1", "--port", str(self.port),
             "--lifespan", "off", "--log-level", "warning", "--timeout-graceful-shutdown", "3"],
            log=self.log_path, env=self.env,
        )

        def up() -> bool:
            assert self.proc.poll() is None, self.log_path.read_text(errors="replace")[-3000:]
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                return False
            return True

        wait_until(up, timeout=60, what="uvicorn to listen", interval=0.2)
        return self

    def get(self, path: str, *, token: str | None = None, timeout: float = 15.0) -> tuple[int, Any, float]:
        """(status, JSON body, seconds taken)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw or b"null"), time.monotonic() - started

    def stop(self) -> None:
        end(self.proc, grace=10)


def is_error_shape(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
