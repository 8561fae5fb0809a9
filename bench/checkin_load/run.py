"""Issue 6: 200 phones send check-ins to a real server on PostgreSQL; nothing is lost or duplicated.

One command:

    .venv/bin/python bench/checkin_load/run.py [--phones 200] [--duration 120] [--workers 2] [--seed 1]

1. Prepares the dedicated database ``kjtpy_bench_load`` (created when missing): migrations, the Baise
   areas and categories, ``--phones`` commissioners (139xxxxxxxx, one made by ``user_create``, the rest
   bulk-created with the same password hash, their profiles and ``location`` consents). Reusable: a
   second run only deletes the previous run's check-ins.
2. Starts a real server: ``uvicorn config.asgi:application --workers N`` on a free loopback port with
   production settings (``DEBUG=0``, PostgreSQL, Redis db 3) through ``bench.checkin_load.settings``,
   which only adds ``POST /bench/bare`` (a django-ninja endpoint with a check-in-shaped body, no auth,
   no database) so both endpoints are measured on the same server in the same run.
3. Logs every phone in (``POST /api/v1/auth/token``; again on a 401). Each phone has its own HTTP client
   and its own loopback address (127.0.x.y), so the per-address login limit sees 200 devices, and sends
   ``X-Forwarded-Proto: https`` as production's TLS-terminating load balancer does (no TLS redirect).
   The bench's Redis database has its login counters cleared first, so runs can follow each other.
4. Load: every phone loops, creating check-ins (new ``client_id``) and sending them the way flaky
   rural phones do: retries of an answered request, two copies at once, requests cut short by the
   client (the server may or may not have stored them: the phone retries until it gets 200/201),
   and offline queues through ``POST /api/v1/checkins/batch`` that mix new, queued and already
   answered check-ins. After ``--duration`` every phone drains what it still holds.
5. Checks the database (psycopg, not the ORM) against what the phones sent: lost (an answered
   ``client_id`` with no row), duplicated (extra rows for one ``(commissioner, client_id)``) and
   server errors (5xx answers, plus tracebacks in the server's log). Exits 1 unless all are 0.
6. Throughput at a fixed concurrency: new check-ins only, then the bare endpoint, same duration.
7. Prints markdown; writes ``bench/out/checkin_load.json``, ``.md`` and the server's log ``.server.log``
   (``checkin_load.poolN.*`` with ``--db-pool N``).

The client runs on the same machine as the server (and PostgreSQL): its CPU use is reported.

The server connects as the non-superuser role ``kjtpy_bench_load`` with ``CONNECTION LIMIT``
``--pg-conn-limit`` (60), so that it cannot take every slot of a PostgreSQL other databases share.
``--db-pool N`` sets the server's ``DB_POOL_MAX_SIZE`` (PostgreSQL connections per worker).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

OUT_DIR = REPO_ROOT / "bench" / "out"
DB_NAME = DB_ROLE = "kjtpy_bench_load"
PG_BASE = "postgres://postgres@127.0.0.1:5432"
# The service connects as its own non-superuser role (as production should), whose CONNECTION LIMIT keeps
# the server from taking every slot of the PostgreSQL that other databases on this machine share.
DB_URL = f"postgres://{DB_ROLE}@127.0.0.1:5432/{DB_NAME}"
ADMIN_URL = f"{PG_BASE}/{DB_NAME}"  # the checks: a superuser, never refused a connection
REDIS_URL = "redis://127.0.0.1:6379/3"
SECRET_KEY = "bench-load-only-secret-key-never-used-for-anything-real-0123456789abcdef"
SETTINGS_MODULE = "bench.checkin_load.settings"
PASSWORD = "Bench-Load-2025!"
PHONE_PREFIX = "139"
COUNTY = "451002"  # 右江区
VILLAGES = 8
CST = timezone(timedelta(hours=8))

# How phones misbehave (probabilities per new check-in).
P_BATCH = 0.10  # send an offline queue through /checkins/batch instead
P_CUT = 0.12  # the request is cut short client-side; retried later
P_DOUBLE = 0.10  # two copies at once (a retry racing the original)
P_RESEND = 0.20  # an answered check-in sent again
P_RETRY_PENDING = 0.35  # at each step, retry one cut check-in first
P_BATCH_CUT = 0.10  # a batch request cut short
CUT_AFTER_S = (0.001, 0.25)  # how soon a cut request is abandoned
MAX_SAMPLES = 20


def log(message: str) -> None:
    print(message, flush=True)


def phone_of(i: int) -> str:
    return f"{PHONE_PREFIX}{i:08d}"


def service_env(db_pool: int = 0) -> dict[str, str]:
    """Production settings against the bench database; nothing from the caller's service config."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
    env.update(
        DATABASE_URL=DB_URL, REDIS_URL=REDIS_URL, SECRET_KEY=SECRET_KEY, DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        PYTHONPATH=os.pathsep.join(p for p in [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")] if p),
    )
    if db_pool:
        env["DB_POOL_MAX_SIZE"] = str(db_pool)
    return env


# --- 1. the database ---------------------------------------------------------------------------


def ensure_database(conn_limit: int) -> bool:
    """The bench role (with its connection limit) and its database. True if the database was created."""
    role, name = sql.Identifier(DB_ROLE), sql.Identifier(DB_NAME)
    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (DB_ROLE,)).fetchone():
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER CONNECTION LIMIT {}").format(
                role, sql.Literal(conn_limit)))
        else:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER CONNECTION LIMIT {}").format(
                role, sql.Literal(conn_limit)))
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                             (DB_NAME,)).fetchone()
        if owner and owner[0] == DB_ROLE:
            return False
        if owner:  # made by an earlier version of this script, owned by another role: start over
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(name, role))
        return True


def prepare(n_phones: int, rng: random.Random, conn_limit: int) -> dict:
    """Schema, areas, categories and the phones' users; deletes the previous run's check-ins."""
    started = time.perf_counter()
    if ensure_database(conn_limit):
        log(f"created database {DB_NAME}")
    os.environ.update(service_env())
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import Consent, ConsentKind, Role, User
    from accounts.services import CURRENT_LOCATION_CONSENT_VERSION, consent_record, user_create
    from commissioners.models import Checkin, CommissionerProfile
    from villages.models import Area
    from villages.services import areas_import, categories_seed

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        imported = areas_import()
        categories_seed()
    log(f"areas: {imported.created} created, {imported.updated} updated, {imported.unchanged} unchanged")

    phones = [phone_of(i) for i in range(n_phones)]
    first = User.objects.filter(phone=phones[0]).first()
    if first is None:
        first = user_create(actor=None, phone=phones[0], password=PASSWORD, name="压测特派员0000",
                            role=Role.COMMISSIONER, area_code=COUNTY)
    elif not first.check_password(PASSWORD):
        first.set_password(PASSWORD)
        first.save(update_fields=["password"])
    consent_record(user=first, kind=ConsentKind.LOCATION, version=CURRENT_LOCATION_CONSENT_VERSION)
    with transaction.atomic():
        have = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
        User.objects.bulk_create(
            [User(phone=p, name=f"压测特派员{i:04d}", role=Role.COMMISSIONER, area_id=first.area_id,
                  password=first.password) for i, p in enumerate(phones) if p not in have],
            batch_size=1000,
        )
        mine = User.objects.filter(phone__in=phones)
        mine.exclude(password=first.password, is_active=True, role=Role.COMMISSIONER).update(
            password=first.password, is_active=True, role=Role.COMMISSIONER)
        ids = dict(mine.values_list("phone", "id"))
        CommissionerProfile.objects.bulk_create([CommissionerProfile(user_id=uid) for uid in ids.values()],
                                                ignore_conflicts=True)
        Consent.objects.bulk_create(
            [Consent(user_id=uid, kind=ConsentKind.LOCATION, version=CURRENT_LOCATION_CONSENT_VERSION)
             for uid in ids.values()], ignore_conflicts=True)
        Consent.objects.filter(user_id__in=ids.values(), kind=ConsentKind.LOCATION).update(withdrawn_at=None)
        deleted, _ = Checkin.objects.filter(commissioner_id__in=ids.values()).delete()
    # Login rate-limit counters of earlier runs (the bench's own Redis database): each run starts afresh.
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    stale = list(r.scan_iter(match="*ratelimit:*", count=1000))
    if stale:
        r.delete(*stale)
    r.close()
    villages = list(Area.objects.filter(level="village", code__startswith=COUNTY, lat__isnull=False)
                    .order_by("code").values("code", "name", "lat", "lng"))
    villages = rng.sample(villages, min(VILLAGES, len(villages)))
    connection.close()
    seconds = time.perf_counter() - started
    log(f"{len(ids)} commissioners ready, {deleted} previous check-ins deleted, "
        f"villages {', '.join(v['code'] for v in villages)} ({seconds:.1f} s)")
    return {"user_ids": ids, "villages": villages, "seconds": round(seconds, 1), "deleted_checkins": deleted}


# --- 2. the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workers: int, log_path: Path, db_pool: int = 0) -> None:
        self.workers = workers
        self.db_pool = db_pool
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--workers", str(self.workers),
               "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level", "warning",
               "--timeout-graceful-shutdown", "5"]
        self._log = self.log_path.open("w")
        # Its own process group: stopping it stops its workers too.
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=service_env(self.db_pool), stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=self.url, trust_env=False, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SystemExit(f"the server exited ({self.proc.returncode}):\n{self.log_tail()}")
                with contextlib.suppress(httpx.TransportError):
                    resp = client.get("/api/v1/health")
                    if resp.status_code == 200:
                        log(f"server up on {self.url} ({self.workers} workers): {resp.json()}")
                        return
                time.sleep(0.3)
        raise SystemExit(f"the server did not answer /api/v1/health in time:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if os.getpgid(int(entry.name)) == self.proc.pid:
                        found.append(int(entry.name))
        return found

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self._log.close()

    def log_tail(self, chars: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """utime + stime of each process, in clock ticks."""
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def ticks_since(before: dict[int, int], now: dict[int, int]) -> int:
    """CPU used since ``before`` by the processes alive now (those that ended meanwhile are missed)."""
    # A pid whose count went down is a new process that reused the number: all of it is new.
    return sum(t - before.get(pid, 0) if t >= before.get(pid, 0) else t for pid, t in now.items())


def postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in {"postgres", "postmaster"}:
                    found.append(int(entry.name))
    return found


class ConnectionSampler:
    """The bench database's PostgreSQL connections, sampled once a second over a phase (on a connection
    opened beforehand, so that it still answers when the server has taken every slot)."""

    def __init__(self) -> None:
        self.conn = psycopg.connect(ADMIN_URL, autocommit=True)
        self.samples: list[int] = []
        self.task: asyncio.Task | None = None

    def now(self) -> int:
        return self.conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (DB_NAME,)).fetchone()[0]

    async def _run(self) -> None:
        while True:
            self.samples.append(self.now() - 1)  # not counting this one (the server's are the rest)
            await asyncio.sleep(1)

    def start(self) -> None:
        self.samples = []
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> dict:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        s = sorted(self.samples) or [0]
        return {"max": s[-1], "median": s[len(s) // 2]}

    def close(self) -> None:
        self.conn.close()


class CpuMeter:
    """CPU seconds used by the server, PostgreSQL and this client over a phase."""

    HZ = os.sysconf("SC_CLK_TCK")

    def __init__(self, server: Server) -> None:
        self.server = server

    @staticmethod
    def machine_ticks() -> tuple[int, int]:
        """(busy, total) jiffies of the whole machine."""
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    def __enter__(self) -> CpuMeter:
        self.machine0 = self.machine_ticks()
        self.load0 = os.getloadavg()[0]
        self.t0 = time.perf_counter()
        self.client0 = time.process_time()
        self.server0 = cpu_ticks(self.server.pids())
        self.pg0 = cpu_ticks(postgres_pids())
        return self

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self.t0
        self.result = {
            "wall_s": round(wall, 2),
            "server_cpu_pct": round(100 * ticks_since(self.server0, cpu_ticks(self.server.pids())) / self.HZ / wall, 1),
            # A lower bound: backends that ended within the phase are missed.
            "postgres_cpu_pct": round(100 * ticks_since(self.pg0, cpu_ticks(postgres_pids())) / self.HZ / wall, 1),
            "client_cpu_pct": round(100 * (time.process_time() - self.client0) / wall, 1),
        }
        busy, total = (a - b for a, b in zip(self.machine_ticks(), self.machine0, strict=True))
        # Of all cores, like the others (100% = one core): what everything on the machine used, this included.
        self.result["machine_cpu_pct"] = round(100 * os.cpu_count() * busy / total, 1) if total else None
        self.result["others_cpu_pct"] = round(self.result["machine_cpu_pct"] - self.result["server_cpu_pct"]
                                              - self.result["postgres_cpu_pct"] - self.result["client_cpu_pct"], 1)
        self.result["loadavg_1m_at_start"] = round(self.load0, 2)


# --- 3-4. the phones ---------------------------------------------------------------------------


@dataclass
class Stats:
    status: Counter = field(default_factory=Counter)  # "POST /checkins 201" -> n
    transport: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)
    anomalies: Counter = field(default_factory=Counter)
    samples: list = field(default_factory=list)

    def sample(self, kind: str, detail) -> None:
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append({"kind": kind, "detail": detail})

    @property
    def server_errors(self) -> int:
        return sum(n for key, n in self.status.items() if int(key.rsplit(" ", 1)[1]) >= 500)


@dataclass
class Phone:
    idx: int
    phone: str
    user_id: int
    rng: random.Random
    token: str = ""
    sent: dict = field(default_factory=dict)  # client_id -> payload: everything it believes it sent
    pending: dict = field(default_factory=dict)  # client_id -> payload: not answered yet
    acked: dict = field(default_factory=dict)  # client_id -> check-in id from a 200/201
    created: Counter = field(default_factory=Counter)  # client_id -> how many "created" answers
    client: httpx.AsyncClient | None = None
    login_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Fleet:
    def __init__(self, phones: list[Phone], villages: list[dict], stats: Stats) -> None:
        self.phones = phones
        self.villages = villages
        self.stats = stats

    # --- helpers

    def new_payload(self, phone: Phone) -> dict:
        rng = phone.rng
        village = rng.choice(self.villages)
        payload = {
            "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "village_code": village["code"],
            "lat": round(village["lat"] + rng.gauss(0, 0.0008), 6),
            "lng": round(village["lng"] + rng.gauss(0, 0.0008), 6),
            "accuracy_m": round(rng.uniform(3, 80), 1),
            "occurred_at": datetime.now(CST).isoformat(timespec="microseconds"),
            "note": "压测",
        }
        if rng.random() < 0.2:
            payload["crs"] = "gcj02"
        phone.sent[payload["client_id"]] = payload
        phone.pending[payload["client_id"]] = payload
        return payload

    def ack(self, phone: Phone, client_id: str, checkin_id: int, created: bool, via: str) -> None:
        if client_id not in phone.sent:
            self.stats.anomalies["answer_for_unknown_client_id"] += 1
            self.stats.sample("answer_for_unknown_client_id", {"phone": phone.phone, "client_id": client_id})
            return
        previous = phone.acked.get(client_id)
        if previous is not None and previous != checkin_id:
            self.stats.anomalies["replay_answered_another_id"] += 1
            self.stats.sample("replay_answered_another_id", {"client_id": client_id, "ids": [previous, checkin_id]})
        if client_id in phone.pending and previous is None and via == "retry_after_cut" and not created:
            self.stats.events["retry found the cut request stored"] += 1
        phone.acked.setdefault(client_id, checkin_id)
        phone.pending.pop(client_id, None)
        if created:
            phone.created[client_id] += 1
            if phone.created[client_id] > 1:
                self.stats.anomalies["created_twice"] += 1
                self.stats.sample("created_twice", {"client_id": client_id, "id": checkin_id})

    async def login(self, phone: Phone, stale: str | None = None) -> bool:
        """Log the phone in (again); False when the server would not, after a few tries."""
        async with phone.login_lock:
            if stale is not None and phone.token != stale:
                return True  # another request of this phone logged in again meanwhile
            last = ""
            for attempt in range(6):
                try:
                    resp = await phone.client.post("/api/v1/auth/token",
                                                   json={"phone": phone.phone, "password": PASSWORD})
                except httpx.TransportError as exc:
                    self.stats.transport[f"/auth/token {type(exc).__name__}"] += 1
                    await asyncio.sleep(0.5 * (attempt + 1))
                    continue
                self.stats.status[f"POST /auth/token {resp.status_code}"] += 1
                if resp.status_code == 200:
                    phone.token = resp.json()["access"]
                    return True
                last = f"{resp.status_code} {resp.text[:300]}"
                if resp.status_code >= 500:
                    self.stats.sample("5xx", {"path": "/auth/token", "status": resp.status_code,
                                              "body": resp.text[:500]})
                elif resp.status_code != 429:
                    break  # wrong password, a 4xx: trying again changes nothing
                await asyncio.sleep(0.5 * (attempt + 1))
            self.stats.anomalies["login failed"] += 1
            self.stats.sample("login failed", {"phone": phone.phone, "last": last})
            return False

    async def post(self, phone: Phone, path: str, body: dict, cut_after: float | None = None,
                   label: str = "") -> httpx.Response | None:
        """One request as a phone; None when it was cut short or the transport failed. A 401 logs in again
        and repeats the request (the phone's app does that)."""
        for _ in range(3):
            if not phone.token and not await self.login(phone):
                self.stats.events["request not sent: not logged in"] += 1
                return None
            token = phone.token
            request = phone.client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
            try:
                resp = await (asyncio.wait_for(request, cut_after) if cut_after else request)
            except TimeoutError:
                self.stats.events[f"cut short: {label or path}"] += 1
                return None
            except httpx.TransportError as exc:
                self.stats.transport[f"{path} {type(exc).__name__}"] += 1
                return None
            self.stats.status[f"POST {path.removeprefix('/api/v1')} {resp.status_code}"] += 1
            if resp.status_code == 401:
                if await self.login(phone, stale=token):
                    continue
                return resp
            if resp.status_code >= 500:
                self.stats.sample("5xx", {"path": path, "status": resp.status_code, "body": resp.text[:500]})
            elif resp.status_code not in (200, 201):
                self.stats.anomalies[f"{path} {resp.status_code}"] += 1
                self.stats.sample("unexpected_status", {"path": path, "status": resp.status_code,
                                                        "body": resp.text[:500]})
            if resp.status_code == 429:
                await asyncio.sleep(1.0)
            return resp
        return None

    async def send_one(self, phone: Phone, payload: dict, cut_after: float | None = None, via: str = "") -> bool:
        resp = await self.post(phone, "/api/v1/checkins", payload, cut_after, label=via or "checkin")
        if resp is None or resp.status_code not in (200, 201):
            return False
        body = resp.json()
        if body.get("client_id") != payload["client_id"]:
            self.stats.anomalies["answer_for_another_client_id"] += 1
        self.ack(phone, payload["client_id"], body["id"], resp.status_code == 201, via)
        return True

    async def send_batch(self, phone: Phone, items: list[dict], cut_after: float | None = None) -> None:
        resp = await self.post(phone, "/api/v1/checkins/batch", {"items": items}, cut_after, label="batch")
        if resp is None or resp.status_code != 200:
            return
        results = resp.json()["results"]
        if len(results) != len(items):
            self.stats.anomalies["batch_result_count_mismatch"] += 1
        for item, result in zip(items, results, strict=False):
            if result.get("client_id") != item["client_id"]:
                self.stats.anomalies["batch_result_out_of_order"] += 1
            if result["status"] in ("created", "duplicate"):
                self.ack(phone, item["client_id"], result["id"], result["status"] == "created", "batch")
            else:
                self.stats.anomalies["batch_item_invalid"] += 1
                self.stats.sample("batch_item_invalid", result)

    # --- the load phase

    async def phone_loop(self, phone: Phone, deadline: float, think_s: float) -> None:
        rng = phone.rng
        while time.monotonic() < deadline:
            if phone.pending and rng.random() < P_RETRY_PENDING:
                client_id = next(iter(phone.pending))
                self.stats.events["retry after cut"] += 1
                cut = rng.uniform(*CUT_AFTER_S) if rng.random() < P_CUT else None
                await self.send_one(phone, phone.pending[client_id], cut, via="retry_after_cut")
            elif rng.random() < P_BATCH:
                queue = [self.new_payload(phone) for _ in range(rng.randint(2, 6))]
                queue += list(phone.pending.values())[:3]
                answered = list(phone.acked)
                queue += [phone.sent[c] for c in rng.sample(answered, min(len(answered), rng.randint(0, 2)))]
                if rng.random() < 0.2:
                    queue.append(rng.choice(queue))  # the same check-in queued twice
                rng.shuffle(queue)
                self.stats.events["batch"] += 1
                self.stats.events["batch items"] += len(queue)
                cut = rng.uniform(*CUT_AFTER_S) if rng.random() < P_BATCH_CUT else None
                await self.send_batch(phone, queue, cut)
            else:
                payload = self.new_payload(phone)
                mode = rng.random()
                if mode < P_CUT:
                    await self.send_one(phone, payload, rng.uniform(*CUT_AFTER_S), via="new check-in")
                elif mode < P_CUT + P_DOUBLE:
                    self.stats.events["double send"] += 1
                    await asyncio.gather(self.send_one(phone, payload, via="double"),
                                         self.send_one(phone, payload, via="double"))
                else:
                    ok = await self.send_one(phone, payload, via="single")
                    if ok and rng.random() < P_RESEND:
                        self.stats.events["resend of an answered one"] += 1
                        await self.send_one(phone, payload, via="resend")
            if think_s:
                await asyncio.sleep(rng.uniform(0, think_s))

    async def drain(self, phone: Phone, deadline: float) -> None:
        """After the run the phone keeps retrying what it holds until it is answered (or time is up)."""
        pause = 0.2
        while phone.pending and time.monotonic() < deadline:
            for payload in list(phone.pending.values()):
                if time.monotonic() >= deadline:
                    return
                self.stats.events["drain retry"] += 1
                await self.send_one(phone, payload, via="retry_after_cut")
            if phone.pending:
                await asyncio.sleep(phone.rng.uniform(0, pause))
                pause = min(pause * 2, 3.0)

    # --- throughput

    async def throughput(self, kind: str, concurrency: int, seconds: float, warmup: float) -> dict:
        latencies: list[float] = []
        statuses: Counter = Counter()
        answered = 0  # every answer, warm-up included: what the CPU meter saw
        start = time.perf_counter()
        measure_from = start + warmup
        end = measure_from + seconds

        async def worker(i: int) -> None:
            ready = [p for p in self.phones if p.token] or self.phones
            phone = ready[i % len(ready)]
            while time.perf_counter() < end:
                if kind == "checkin":
                    payload = self.new_payload(phone)
                    path = "/api/v1/checkins"
                else:
                    payload = self.new_payload_unsaved(phone)
                    path = "/bench/bare"
                t0 = time.perf_counter()
                try:
                    auth = {"Authorization": f"Bearer {phone.token}"} if phone.token else {}
                    resp = await phone.client.post(path, json=payload, headers=auth)
                except httpx.TransportError as exc:
                    self.stats.transport[f"{kind} throughput {type(exc).__name__}"] += 1
                    continue
                t1 = time.perf_counter()
                nonlocal answered
                answered += 1
                label = "POST /checkins" if kind == "checkin" else "POST /bench/bare"
                self.stats.status[f"{label} {resp.status_code}"] += 1
                if kind == "checkin" and resp.status_code in (200, 201):
                    self.ack(phone, payload["client_id"], resp.json()["id"], resp.status_code == 201, "throughput")
                if resp.status_code >= 500:
                    self.stats.sample("5xx", {"path": path, "status": resp.status_code, "body": resp.text[:500]})
                if measure_from <= t1 <= end:
                    statuses[resp.status_code] += 1
                    if resp.status_code in (200, 201):
                        latencies.append(t1 - t0)

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        latencies.sort()

        def pct(p: float) -> float | None:
            if not latencies:
                return None
            return round(1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 1)

        return {
            "endpoint": "POST /api/v1/checkins" if kind == "checkin" else "POST /bench/bare",
            "concurrency": concurrency, "seconds": seconds, "warmup_s": warmup,
            "answered_incl_warmup": answered, "ok": len(latencies),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "rps": round(len(latencies) / seconds, 1),
            "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
        }

    def new_payload_unsaved(self, phone: Phone) -> dict:
        payload = self.new_payload(phone)
        phone.sent.pop(payload["client_id"])
        phone.pending.pop(payload["client_id"])
        return payload


# --- 5. the database check -----------------------------------------------------------------------


def verify(phones: list[Phone]) -> dict:
    user_ids = [p.user_id for p in phones]
    with psycopg.connect(ADMIN_URL) as conn:
        rows = conn.execute(
            "SELECT commissioner_id, client_id::text, id FROM commissioners_checkin WHERE commissioner_id = ANY(%s)",
            (user_ids,),
        ).fetchall()
    in_db: dict[tuple[int, str], list[int]] = {}
    for commissioner_id, client_id, checkin_id in rows:
        in_db.setdefault((commissioner_id, client_id), []).append(checkin_id)
    sent = {(p.user_id, c) for p in phones for c in p.sent}
    acked = {(p.user_id, c): i for p in phones for c, i in p.acked.items()}
    unanswered = sent - set(acked)
    lost = [k for k in acked if k not in in_db]
    duplicated = sum(len(ids) - 1 for ids in in_db.values() if len(ids) > 1)
    id_mismatch = [k for k, i in acked.items() if k in in_db and i not in in_db[k]]
    phantom = [k for k in in_db if k not in sent]
    return {
        "rows": len(rows),
        "unique_client_ids_sent": len(sent),
        "unique_client_ids_answered": len(acked),
        "lost": len(lost),
        "duplicated": duplicated,
        "rows_equal_answered": len(rows) == len(acked),
        "unanswered_after_drain": len(unanswered),
        "unanswered_but_stored": sum(1 for k in unanswered if k in in_db),
        "answered_id_differs_from_row": len(id_mismatch),
        "rows_nobody_sent": len(phantom),
        "examples": {"lost": [list(k) for k in lost[:5]], "id_mismatch": [list(k) for k in id_mismatch[:5]]},
    }


# --- orchestration -------------------------------------------------------------------------------


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(f"{PG_BASE}/postgres") as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
        max_connections = conn.execute("SHOW max_connections").fetchone()[0]
    import django
    import ninja
    import uvicorn

    return {
        "cpu_model": model or platform.processor(), "cpu_cores": os.cpu_count(),
        "python": platform.python_version(), "django": django.__version__, "django_ninja": ninja.__version__,
        "uvicorn": uvicorn.__version__, "httpx": httpx.__version__, "postgresql": pg_version,
        "pg_max_connections": int(max_connections),
        "note": "client, server and PostgreSQL share the same machine (loopback)",
    }


def phone_client(base_url: str, i: int) -> httpx.AsyncClient:
    """A phone's own HTTP client: its own connections from its own address (127.0.x.y; the whole of
    127/8 is loopback), as phones behind different networks are to the per-address login limit. It
    speaks as the TLS-terminating load balancer production sits behind does: X-Forwarded-Proto."""
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.{1 + i // 250}.{1 + i % 250}",
                                         limits=httpx.Limits(max_connections=8, max_keepalive_connections=4))
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=httpx.Timeout(30.0), trust_env=False,
                             headers={"X-Forwarded-Proto": "https"})


async def run_phases(args: argparse.Namespace, server: Server, setup: dict, stats: Stats) -> dict:
    async with contextlib.AsyncExitStack() as stack:
        phones = []
        for i, number in enumerate(sorted(setup["user_ids"])):
            phone = Phone(idx=i, phone=number, user_id=setup["user_ids"][number],
                          rng=random.Random(args.seed * 1_000_003 + i))
            phone.client = await stack.enter_async_context(phone_client(server.url, i))
            phones.append(phone)
        fleet = Fleet(phones, setup["villages"], stats)
        report: dict = {}

        t0 = time.perf_counter()
        gate = asyncio.Semaphore(16)

        async def login(phone: Phone) -> None:
            async with gate:
                await fleet.login(phone)

        await asyncio.gather(*(login(p) for p in phones))
        report["login_s"] = round(time.perf_counter() - t0, 1)
        report["logged_in"] = sum(1 for p in phones if p.token)
        log(f"{report['logged_in']} of {len(phones)} phones logged in ({report['login_s']} s)")

        log(f"load: {len(phones)} phones for {args.duration} s ...")
        sampler = ConnectionSampler()
        sampler.start()
        with CpuMeter(server) as cpu:
            deadline = time.monotonic() + args.duration
            await asyncio.gather(*(fleet.phone_loop(p, deadline, args.think) for p in phones))
        report["load_cpu"] = cpu.result
        report["load_pg_connections"] = await sampler.stop()
        t1 = time.perf_counter()
        drain_until = time.monotonic() + args.drain_timeout
        await asyncio.gather(*(fleet.drain(p, drain_until) for p in phones))
        report["drain_s"] = round(time.perf_counter() - t1, 1)
        report["load_requests"] = sum(stats.status.values())
        report["load_status"] = dict(sorted(stats.status.items()))
        log(f"load done: {report['load_requests']} requests, drained in {report['drain_s']} s")

        throughput = {}
        for kind in ("checkin", "bare"):
            log(f"throughput: {kind}, {args.concurrency} in flight, {args.tp_seconds} s ...")
            sampler.start()
            with CpuMeter(server) as cpu:
                result = await fleet.throughput(kind, args.concurrency, args.tp_seconds, args.tp_warmup)
            result["cpu"] = cpu.result
            result["pg_connections"] = await sampler.stop()
            # CPU per answer: what the same two endpoints would compare at on a machine of their own.
            wall, n = cpu.result["wall_s"], result["answered_incl_warmup"] or 1
            result["server_cpu_ms_per_request"] = round(10 * cpu.result["server_cpu_pct"] * wall / n, 2)
            result["server_and_pg_cpu_ms_per_request"] = round(
                10 * (cpu.result["server_cpu_pct"] + cpu.result["postgres_cpu_pct"]) * wall / n, 2)
            throughput[kind] = result
            log(f"  {result['rps']} req/s, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
                f"p99 {result['p99_ms']} ms, CPU {cpu.result}")
        drain_until = time.monotonic() + args.drain_timeout
        await asyncio.gather(*(fleet.drain(p, drain_until) for p in phones))
        sampler.close()
        checkin_rps, bare_rps = throughput["checkin"]["rps"], throughput["bare"]["rps"]
        throughput["ratio_checkin_to_bare"] = round(checkin_rps / bare_rps, 3) if bare_rps else None
        c, b = throughput["checkin"], throughput["bare"]
        throughput["ratio_by_server_cpu_cost"] = (
            round(b["server_cpu_ms_per_request"] / c["server_cpu_ms_per_request"], 3)
            if c["server_cpu_ms_per_request"] else None)
        report["throughput"] = throughput
        report["phones"] = phones
        return report


def server_log_errors(text: str) -> dict:
    """The server log's exceptions, one per chain ("During handling of the above exception ..."), by their
    last exception line. asyncio's "Future exception was never retrieved" for a CancelledError is asgiref
    noting that it abandoned a request whose client hung up (the sync work went on; the answer was
    dropped): counted apart, not as an error."""
    lines = text.splitlines()
    linking = ("During handling of the above exception", "The above exception was the direct cause")
    chains: list[dict] = []
    for i, line in enumerate(lines):
        if not line.startswith("Traceback (most recent call last)"):
            continue
        before = [x for x in lines[max(0, i - 3):i] if x.strip()]
        last = next((x for x in lines[i + 1:] if x and not x[0].isspace()), "")
        if before and before[-1].startswith(linking) and chains:
            chains[-1]["exception"] = last
        else:
            chains.append({"context": " | ".join(before[-2:]), "exception": last})
    noise = [c for c in chains if "CancelledError" in c["exception"] and "never retrieved" in c["context"]]
    errors = [c for c in chains if c not in noise]
    return {
        "tracebacks": len(errors),
        "cancelled_request_noise": len(noise),
        "exceptions": dict(Counter(c["exception"][:200] for c in errors).most_common(10)),
        "first": errors[:3],
    }


def markdown(result: dict) -> str:
    m, load, tp, v = result["machine"], result["load"], result["throughput"], result["verify"]
    c, b = tp["checkin"], tp["bare"]
    exceptions = result["server_log"]["exceptions"]
    lines = [
        f"Check-in load test — {result['started_at']}, {result['args']['phones']} phones for "
        f"{result['args']['duration']} s, uvicorn --workers {result['args']['workers']}, seed {result['args']['seed']}",
        "",
        "Server settings: production (config.settings, DEBUG=0, PostgreSQL, Redis) + the bench URLconf"
        + (f", DB_POOL_MAX_SIZE={result['args']['db_pool']}" if result["args"]["db_pool"] else "") + ".",
        "",
        f"Machine: {m['cpu_model']}, {m['cpu_cores']} cores; client, server and PostgreSQL {m['postgresql']} on it "
        f"(loopback). Python {m['python']}, Django {m['django']}, django-ninja {m['django_ninja']}, "
        f"uvicorn {m['uvicorn']}.",
        "",
        "| outcome | count |",
        "| --- | ---: |",
        f"| **lost** (answered, no row) | **{result['lost']}** |",
        f"| **duplicated** (extra rows per commissioner+client_id) | **{result['duplicated']}** |",
        f"| **server errors** (5xx answers) | **{result['server_errors']}** |",
        f"| server log tracebacks (+ abandoned-request CancelledError notes, not errors) | "
        f"{result['server_log']['tracebacks']} (+{result['server_log']['cancelled_request_noise']}) |",
        f"| check-ins sent (unique client_id) / answered / rows | {v['unique_client_ids_sent']} / "
        f"{v['unique_client_ids_answered']} / {v['rows']} |",
        f"| unanswered after drain | {v['unanswered_after_drain']} |",
        f"| answered id ≠ stored id / rows nobody sent | {v['answered_id_differs_from_row']} / "
        f"{v['rows_nobody_sent']} |",
        *(["", "Server log exceptions: " + "; ".join(f"{n}× `{e}`" for e, n in exceptions.items())]
          if exceptions else []),
        "",
        "| requests (whole run) | count |",
        "| --- | ---: |",
        *[f"| {k} | {n} |" for k, n in result["status"].items()],
        *[f"| transport: {k} | {n} |" for k, n in result["transport"].items()],
        "",
        "| what the phones did | count |",
        "| --- | ---: |",
        *[f"| {k} | {n} |" for k, n in sorted(result["events"].items())],
        "",
        f"Load phase CPU (100% = one core): server {load['load_cpu']['server_cpu_pct']}%, PostgreSQL "
        f"{load['load_cpu']['postgres_cpu_pct']}%, client {load['load_cpu']['client_cpu_pct']}%, everything else "
        f"{load['load_cpu']['others_cpu_pct']}% (machine {load['load_cpu']['machine_cpu_pct']}% of "
        f"{100 * m['cpu_cores']}%). The server's PostgreSQL connections: median "
        f"{load['load_pg_connections']['median']}, max {load['load_pg_connections']['max']} (its role's limit "
        f"{result['args']['pg_conn_limit']}, max_connections {m['pg_max_connections']}).",
        "",
        f"Throughput, {c['concurrency']} requests in flight, {c['seconds']} s each after {c['warmup_s']} s warm-up:",
        "",
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | non-2xx | server CPU ms/req | CPU %: server | PostgreSQL "
        "| client | everything else | server's PG connections (max) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in (c, b):
        bad = sum(n for s, n in r["statuses"].items() if not s.startswith("2"))
        cpu = r["cpu"]
        lines.append(f"| {r['endpoint']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {bad} | "
                     f"{r['server_cpu_ms_per_request']} | {cpu['server_cpu_pct']} | {cpu['postgres_cpu_pct']} | "
                     f"{cpu['client_cpu_pct']} | {cpu['others_cpu_pct']} | {r['pg_connections']['max']} |")
    lines += [
        "",
        f"Check-in / bare throughput: **{tp['ratio_checkin_to_bare']}** (target ≥ 0.40); by the server's CPU per "
        f"request (less sensitive to what else the machine runs): {tp['ratio_by_server_cpu_cost']}.",
        "",
        f"The client (httpx, one process) shares the {m['cpu_cores']} cores with the server and PostgreSQL; "
        "'everything else' is CPU that other processes on the machine used meanwhile. PostgreSQL's CPU misses "
        "backends that ended within the phase.",
    ]
    return "\n".join(lines)


async def interruptible(coro):
    """Ctrl-C / SIGTERM cancel the run (every phone's task) instead of raising in whichever frame runs."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    return await coro


def _interrupted(signum, frame) -> None:
    # SIGTERM to the runner stops the server too (the finally in main).
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--duration", type=float, default=120, help="seconds of the load phase")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--think", type=float, default=0.1, help="a phone's pause between steps: uniform(0, x) s")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight in the throughput phase")
    parser.add_argument("--tp-seconds", type=float, default=20, help="measured seconds per throughput endpoint")
    parser.add_argument("--drain-timeout", type=float, default=30, help="seconds the phones get to empty their queues")
    parser.add_argument("--db-pool", type=int, default=0, metavar="N",
                        help="serve with DB_POOL_MAX_SIZE=N (connections per worker); 0: the settings' default")
    parser.add_argument("--pg-conn-limit", type=int, default=60,
                        help="CONNECTION LIMIT of the server's PostgreSQL role (leaves slots to others)")
    parser.add_argument("--tp-warmup", type=float, default=2, help="unmeasured seconds before each")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)  # even when started with SIGINT ignored (a background job)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(CST).isoformat(timespec="seconds")
    rng = random.Random(args.seed)
    setup = prepare(args.phones, rng, args.pg_conn_limit)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Django's logging config says INFO: not every request
    stem = f"checkin_load.pool{args.db_pool}" if args.db_pool else "checkin_load"  # a variant: its own files
    server = Server(args.workers, OUT_DIR / f"{stem}.server.log", args.db_pool)
    stats = Stats()
    try:
        server.start()
        try:
            phases = asyncio.run(interruptible(run_phases(args, server, setup, stats)))
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):  # asyncio.run put the defaults back
            signal.signal(sig, _interrupted)
        server.stop()
    # After the server stopped: nothing it still had in hand can change the rows any more.
    verified = verify(phases.pop("phones"))
    server_text = server.log_tail(chars=10**9)
    throughput = phases.pop("throughput")
    result = {
        "started_at": started_at,
        "args": vars(args),
        "machine": machine(),
        "setup": {k: v for k, v in setup.items() if k != "user_ids"},
        "lost": verified["lost"],
        "duplicated": verified["duplicated"],
        "server_errors": stats.server_errors,
        "verify": verified,
        "status": dict(sorted(stats.status.items())),
        "transport": dict(stats.transport),
        "events": dict(stats.events),
        "anomalies": dict(stats.anomalies),
        "samples": stats.samples,
        "server_log": server_log_errors(server_text),
        "load": phases,
        "throughput": throughput,
    }
    (OUT_DIR / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    text = markdown(result)
    (OUT_DIR / f"{stem}.md").write_text(text + "\n")
    log("")
    log(text)
    log("")
    failures = {
        "lost": result["lost"], "duplicated": result["duplicated"], "server errors": result["server_errors"],
        "server log tracebacks": result["server_log"]["tracebacks"],
        "unanswered after drain": verified["unanswered_after_drain"],
        "answered id differs from row": verified["answered_id_differs_from_row"],
        "rows nobody sent": verified["rows_nobody_sent"],
        "rows != answered": int(not verified["rows_equal_answered"]),
        **{f"anomaly {k}": n for k, n in stats.anomalies.items()},
    }
    log("=" * 60)
    log(f"LOST {result['lost']}    DUPLICATED {result['duplicated']}    SERVER ERRORS {result['server_errors']}")
    log("=" * 60)
    bad = {k: n for k, n in failures.items() if n}
    if bad:
        log(f"FAILED: {bad}")
        if result["server_log"]["tracebacks"]:
            log(f"server log: {server.log_path}")
        return 1
    log("PASSED")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted (the server was stopped)")
        sys.exit(130)
