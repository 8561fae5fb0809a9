"""Issue 14.3: one commissioner fires 300 heavy list requests at once; nothing answers 500 and other
people are still served.

One command:

    .venv/bin/python bench/overload/run.py [--before /work/main] [--requests 300] [--waves 3]
                                           [--workers 2] [--db-pool 4] [--pool-timeout 2] [--problems 3000]

1. Prepares its own database ``kjtpy_load_bench`` on the local PostgreSQL (created when missing, migrated,
   the Baise areas and categories, ``--problems`` open problems in 右江区, a heavy commissioner and a probe
   commissioner). Reusable: a second run only tops the problems up.
2. For each code measured (``--before DIR``, read-only: run with ``PYTHONPATH=DIR`` from a temporary cwd and
   ``PYTHONDONTWRITEBYTECODE=1``; then this tree), starts a real server: ``uvicorn config.asgi:application
   --workers N`` on a free loopback port, production settings (``DEBUG=0``, PostgreSQL, Redis db 4), a small
   database pool (``DB_POOL_MAX_SIZE``/``DB_POOL_TIMEOUT``) so that exhaustion is reached on this machine.
3. Load: ``--waves`` times, ``--requests`` requests at once from the heavy commissioner, each the heaviest
   list a commissioner can ask for (``GET /api/v1/problems?near=…&radius_km=300&limit=200``, every open
   problem of the city ranked by distance), not honouring ``Retry-After`` (the worst client). Meanwhile the
   probe commissioner asks ``GET /api/v1/problems?limit=20`` every 100 ms.
4. Prints status counts and latencies of both, and the server log's tracebacks; writes
   ``bench/out/overload.json`` and ``.md``. Stops the server whatever happens. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

OUT_DIR = REPO_ROOT / "bench" / "out"
DB_NAME = "kjtpy_load_bench"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/4"
SECRET_KEY = "bench-overload-only-secret-key-never-used-for-anything-real-0123456789"
COUNTY = "451002"  # 右江区
HEAVY_PHONE, PROBE_PHONE, STAFF_PHONE = "13700000001", "13700000002", "13700000003"
HEAVY_PATH = "/api/v1/problems?near=23.90,106.62&radius_km=300&limit=200"
PROBE_PATH = "/api/v1/problems?limit=20"


def log(message: str) -> None:
    print(message, flush=True)


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
                                                             "PYTHONPATH", "DJANGO_SETTINGS_MODULE"}}
    env.update(DATABASE_URL=DB_URL, REDIS_URL=REDIS_URL, SECRET_KEY=SECRET_KEY, DEBUG="0",
               ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SETTINGS_MODULE="config.settings")
    return env


# --- 1. the database ---------------------------------------------------------------------------------


def prepare(n_problems: int) -> dict[str, str]:
    """Schema, areas, people and problems; returns access tokens of the heavy and the probe commissioner."""
    import psycopg
    from psycopg import sql

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
            log(f"created database {DB_NAME}")
    os.environ.update(base_env())
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import Role, User
    from accounts.tokens import access_token_for
    from commissioners.models import CommissionerProfile
    from geo.cells import cell_of
    from problems.models import Problem
    from villages.models import Area, Category
    from villages.services import areas_import, categories_seed

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        areas_import()
        categories_seed()
    villages = list(Area.objects.filter(level="village", code__startswith=COUNTY, lat__isnull=False)
                    .values_list("code", "township_code", "lat", "lng"))
    township = villages[0][1]
    people = {}
    for phone, role, area in ((HEAVY_PHONE, Role.COMMISSIONER, COUNTY), (PROBE_PHONE, Role.COMMISSIONER, COUNTY),
                              (STAFF_PHONE, Role.TOWNSHIP_STAFF, township)):
        people[phone], _ = User.objects.get_or_create(phone=phone, defaults={"name": f"压测{phone[-1]}", "role": role,
                                                                              "area_id": area})
    for phone in (HEAVY_PHONE, PROBE_PHONE):
        CommissionerProfile.objects.get_or_create(user=people[phone])
    have = Problem.objects.filter(posted_by=people[STAFF_PHONE], status="open").count()
    if have < n_problems:
        rng = random.Random(1)
        category = Category.objects.order_by("code").first()
        rows = []
        for i in range(n_problems - have):
            code, _, lat, lng = rng.choice(villages)
            lat, lng = lat + rng.uniform(-0.01, 0.01), lng + rng.uniform(-0.01, 0.01)
            rows.append(Problem(client_id=uuid.uuid4(), posted_by=people[STAFF_PHONE], village_id=code,
                                category=category, title=f"压测问题 {have + i}", description="芒果叶片出现黑斑，" * 20,
                                lat=lat, lng=lng, cell=cell_of(lat, lng)))
        Problem.objects.bulk_create(rows, batch_size=1000)
        log(f"problems: {have} there, {len(rows)} added")
    tokens = {"heavy": access_token_for(people[HEAVY_PHONE]), "probe": access_token_for(people[PROBE_PHONE])}
    connection.close()
    return tokens


# --- 2. the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, code: Path, workers: int, pool: int, pool_timeout: float, log_path: Path, cwd: Path) -> None:
        self.code, self.workers, self.log_path, self.cwd = code, workers, log_path, cwd
        self.port = free_port()
        self.env = base_env()
        self.env.update(PYTHONPATH=str(code), PYTHONDONTWRITEBYTECODE="1", DB_POOL_MAX_SIZE=str(pool),
                        DB_POOL_MIN_SIZE=str(min(2, pool)), DB_POOL_TIMEOUT=str(pool_timeout),
                        STATIC_ROOT=str(cwd / "static"), DATA_DIR=str(cwd / "var"), MEDIA_ROOT=str(cwd / "media"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import httpx

        cmd = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--workers", str(self.workers),
               "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level", "warning",
               "--timeout-graceful-shutdown", "5", "--backlog", "2048"]
        self._log = self.log_path.open("w")
        # cwd is a scratch folder, not the code: `python -m` puts the cwd first on sys.path.
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=self.url, trust_env=False, timeout=5,
                          headers={"X-Forwarded-Proto": "https"}) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SystemExit(f"the server exited ({self.proc.returncode}):\n{self.log_text()[-3000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/api/v1/health").status_code == 200:
                        log(f"server up on {self.url} ({self.workers} workers, code {self.code})")
                        return
                time.sleep(0.3)
        raise SystemExit(f"the server did not answer /api/v1/health in time:\n{self.log_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self._log.close()

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""


# --- 3. the load -------------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    values = sorted(values)

    def pct(p: float) -> float:
        return round(values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000, 1)

    return {"n": len(values), "p50_ms": pct(50), "p95_ms": pct(95), "max_ms": round(values[-1] * 1000, 1)}


async def load(server: Server, tokens: dict[str, str], requests: int, waves: int) -> dict:
    import httpx

    # No keep-alive for the flood: a connection idle between waves is closed by uvicorn after 5 s, and
    # reusing it races that close (a client-side ReadError that says nothing about the server).
    limits = httpx.Limits(max_connections=requests + 50, max_keepalive_connections=0)
    heavy_status: Counter = Counter()
    heavy_times: dict[int, list[float]] = {}
    probe_status: Counter = Counter()
    probe_times: list[float] = []
    retry_after: Counter = Counter()
    stop = asyncio.Event()

    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=60, limits=limits) as client:
        async def one(path: str, token: str) -> tuple[int | str, float, httpx.Response | None]:
            started = time.perf_counter()
            try:
                # X-Forwarded-Proto: as production's TLS-terminating load balancer sends (no HTTPS redirect).
                resp = await client.get(path, headers={"Authorization": f"Bearer {token}",
                                                       "X-Forwarded-Proto": "https"})
                return resp.status_code, time.perf_counter() - started, resp
            except httpx.HTTPError as exc:
                return f"transport: {exc.__class__.__name__}", time.perf_counter() - started, None

        async def probe() -> None:
            while not stop.is_set():
                status, seconds, _ = await one(PROBE_PATH, tokens["probe"])
                probe_status[status] += 1
                if status == 200:
                    probe_times.append(seconds)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.1)

        # Warm-up: each worker's pool opened and the code paths loaded, not measured.
        for _ in range(4):
            await one(PROBE_PATH, tokens["probe"])
            await one(HEAVY_PATH, tokens["heavy"])
        # Baseline: the probe alone for 3 s.
        probe_task = asyncio.create_task(probe())
        await asyncio.sleep(3)
        stop.set()
        await probe_task
        baseline = percentiles(probe_times)
        baseline_status = dict(probe_status)
        probe_times.clear()
        probe_status.clear()
        stop.clear()
        probe_task = asyncio.create_task(probe())
        await asyncio.sleep(0.5)
        started = time.perf_counter()
        for wave in range(waves):
            results = await asyncio.gather(*(one(HEAVY_PATH, tokens["heavy"]) for _ in range(requests)))
            for status, seconds, resp in results:
                heavy_status[status] += 1
                heavy_times.setdefault(status, []).append(seconds)
                if resp is not None and "retry-after" in resp.headers:
                    retry_after[f"{status}: Retry-After {resp.headers['retry-after']}"] += 1
                if status == 500 and resp is not None and not heavy_status.get("first 500 body"):
                    heavy_status["first 500 body"] = 0
                    log(f"    a 500: {resp.text[:200]}")
            log(f"  wave {wave + 1}: {dict(Counter(s for s, _, _ in results))}")
        elapsed = time.perf_counter() - started
        await asyncio.sleep(1)
        stop.set()
        await probe_task
    heavy_status.pop("first 500 body", None)
    return {
        "heavy": {"status": {str(k): v for k, v in sorted(heavy_status.items(), key=str)},
                  "latency_by_status": {str(k): percentiles(v) for k, v in heavy_times.items()},
                  "retry_after": dict(retry_after), "seconds": round(elapsed, 1)},
        "probe": {"status": {str(k): v for k, v in probe_status.items()}, "latency_200": percentiles(probe_times),
                  "baseline_status": {str(k): v for k, v in baseline_status.items()}, "baseline_200": baseline},
    }


def tracebacks(text: str) -> dict:
    lines = text.splitlines()
    found = Counter()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            last = next((x for x in lines[i + 1:] if x and not x[0].isspace()), "")
            found[last[:160]] += 1
    return {"count": sum(found.values()), "exceptions": dict(found.most_common(5))}


def markdown(result: dict) -> str:
    a = result["args"]
    lines = [f"Overload: {a['waves']} waves of {a['requests']} concurrent `GET {HEAVY_PATH}` from one commissioner "
             f"({a['problems']} open problems), uvicorn --workers {a['workers']}, DB_POOL_MAX_SIZE={a['db_pool']}, "
             f"DB_POOL_TIMEOUT={a['pool_timeout']} s; a second commissioner probes `GET {PROBE_PATH}` every 100 ms.",
             "",
             "| code | heavy: statuses | heavy 200 p50 / p95 ms | heavy 429/503 p50 ms | probe during load: statuses | "
             "probe 200 p50 / p95 / max ms | probe alone before: p50 / p95 ms | server tracebacks |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for label, r in result["runs"].items():
        h, p = r["heavy"], r["probe"]
        ok = h["latency_by_status"].get("200", {})
        refused = [f"{s}: {h['latency_by_status'][s]['p50_ms']}" for s in ("429", "503") if s in h["latency_by_status"]]
        pl = p["latency_200"]
        lines.append(
            f"| {label} | {', '.join(f'{k}×{v}' for k, v in h['status'].items())} | "
            f"{ok.get('p50_ms', '–')} / {ok.get('p95_ms', '–')} | {', '.join(refused) or '–'} | "
            f"{', '.join(f'{k}×{v}' for k, v in p['status'].items())} | "
            f"{pl.get('p50_ms', '–')} / {pl.get('p95_ms', '–')} / {pl.get('max_ms', '–')} | "
            f"{p['baseline_200'].get('p50_ms', '–')} / {p['baseline_200'].get('p95_ms', '–')} | "
            f"{r['server_log']['count']} |")
    for label, r in result["runs"].items():
        if r["server_log"]["exceptions"]:
            lines += ["", f"{label}: server log: " + "; ".join(f"{n}× `{e}`" for e, n in
                                                               r["server_log"]["exceptions"].items())]
    return "\n".join(lines)


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout of the project to measure first")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db-pool", type=int, default=4, help="DB_POOL_MAX_SIZE of each worker")
    parser.add_argument("--pool-timeout", type=float, default=2.0, help="DB_POOL_TIMEOUT, seconds")
    parser.add_argument("--problems", type=int, default=3000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupted)  # the finally below stops the server
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tokens = prepare(args.problems)
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # Django's logging config says INFO: not every request
    codes = ([("before", args.before.resolve())] if args.before else []) + [("after", REPO_ROOT)]
    runs = {}
    with tempfile.TemporaryDirectory(prefix="bench-overload-") as tmp:
        for label, code in codes:
            cwd = Path(tmp) / label
            cwd.mkdir()
            server = Server(code, args.workers, args.db_pool, args.pool_timeout, OUT_DIR / f"overload.{label}.log", cwd)
            try:
                server.start()
                runs[label] = asyncio.run(load(server, tokens, args.requests, args.waves))
            finally:
                server.stop()
            runs[label]["server_log"] = tracebacks(server.log_text())
            log(f"{label}: {json.dumps(runs[label]['heavy']['status'])}; probe {json.dumps(runs[label]['probe'])}")
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "runs": runs,
              "nproc": os.cpu_count()}
    (OUT_DIR / "overload.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    text = markdown(result)
    (OUT_DIR / "overload.md").write_text(text + "\n")
    log("")
    log(text)
    return 1 if runs.get("after", {}).get("heavy", {}).get("status", {}).get("500") else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted (the server was stopped)")
        sys.exit(130)
