"""Benchmark: one notification to 1,000 open websockets, through the service and bare.

One command (Issue 4), PostgreSQL and Redis on 127.0.0.1, loopback only, about two minutes:

    .venv/bin/python bench/ws_broadcast/run.py [--clients 1000] [--rounds 3] [--workers 1] [--configs ...]

1. Points Django at the bench database (``BENCH_DATABASE_URL``, default
   postgres://postgres@127.0.0.1:5432/kjtpy_bench; created and migrated when needed, see
   bench/datasets/benchdb.py) and Redis at ``BENCH_REDIS_URL`` (default redis://127.0.0.1:6379/2,
   flushed before each run: it is the bench's own). Seeds Baise's areas if missing and
   ``--clients`` commissioners (bulk insert, phones 199xxxxxxxx); empties their inboxes.
2. **Service**, for each configuration (``--configs``; default both):
     - ``as configured``: ``config.settings`` exactly (the list-based Redis layer);
     - ``pub/sub layer``: bench/ws_broadcast/settings_pubsub.py (channels_redis's pub/sub layer).
   Starts uvicorn (``config.asgi:application``, ``--workers``) on a free port, opens ``--clients``
   websockets to ``/ws/notifications/?token=...``, then per round runs a separate process that
   does what the Celery worker does for a new problem: ``notify_many_task`` with a
   ``problem.posted`` payload and a per-recipient ``distance_km`` for every client (validate, lock
   the inboxes, insert, commit, then one ``group_send`` per chunk to the server processes' hubs).
   That process first runs one small fan-out to someone who is not listening, as a worker that has
   run tasks before would have. The clock starts in that process just before the call, and again
   for each recipient when its chunk has committed and its push begins ("after commit"); each
   client notes when its notification arrives.
3. **Bare**: a minimal ``websockets`` server (another process) that, when told to, serialises the
   same-shaped message once and ``websockets.broadcast``s it to as many clients. The clock starts
   just before the broadcast.
4. Prints a table (p50 / p99 / max delivery latency over every delivery of every round, the same
   after commit, the fan-out call's duration and its push part, deliveries, duplicates, sockets the server dropped,
   server errors) and writes bench/out/ws_broadcast.json; each server's stderr goes to
   bench/out/ws_broadcast.<settings>.log.

The clients of every run are the same code in this process (one asyncio loop; frames stamped on
arrival, parsed afterwards), so the client side costs each run the same. Everything shares one
machine's CPUs: server, clients, Redis, PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

OUT_FILE = REPO_ROOT / "bench" / "out" / "ws_broadcast.json"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
SETTINGS = {
    "as configured": "config.settings",
    "pub/sub layer": "bench.ws_broadcast.settings_pubsub",
}
PHONE_PREFIX = "199"
WARM_UP_PHONE = "19899999999"  # outside the clients' range
PAYLOAD = {
    "problem_id": 1,
    "title": "芒果炭疽病防治",
    "category": "fruit-trees",
    "village_code": "451002001001",
    "urgency": "high",
}
CONNECT_CONCURRENCY = 100
ROUND_TIMEOUT_S = 10.0


# ---------------------------------------------------------------------------------------------
# Setup


def raise_open_files_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else max(soft, min(hard, needed))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def django_setup() -> None:
    """This process: the bench database (created and migrated when needed), no channel layer use."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from bench.datasets import benchdb

    benchdb.setup(log=lambda msg: print(f"  {msg}"))


def seed(clients: int) -> list[int]:
    """Baise's areas (if missing) and ``clients`` commissioners with empty inboxes; their ids."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Role, User
    from notifications.models import Notification
    from villages.models import Area
    from villages.services import areas_import, categories_seed

    if not Area.objects.filter(code="451002").exists():
        print("  importing Baise's areas")
        areas_import()
        categories_seed()
    phones = [f"{PHONE_PREFIX}{i:08d}" for i in range(clients)]
    have = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(phone=p, name=f"压测{p[-4:]}", role=Role.COMMISSIONER, area_id="451002", password=unusable)
            for p in phones
            if p not in have
        ],
        batch_size=1000,
    )
    ids = list(User.objects.filter(phone__in=phones).order_by("pk").values_list("pk", flat=True))
    Notification.objects.filter(recipient_id__in=ids).delete()
    return ids


def flush_bench_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"server at {url} did not come up")
        time.sleep(0.2)


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"nothing listens on {port}")
        time.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# The clients (this process)


class Fleet:
    """``n`` websocket clients on one loop; each frame is stamped on arrival and kept raw."""

    def __init__(self) -> None:
        self.sockets: list[Any] = []
        self.frames: list[list[tuple[float, str]]] = []
        self.received = 0
        self.expected = 0
        self.all_in = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    async def open(self, urls: list[str]) -> float:
        from websockets.asyncio.client import connect

        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        self.frames = [[] for _ in urls]
        self.sockets = [None] * len(urls)

        async def one(i: int, url: str) -> None:
            async with gate:
                self.sockets[i] = await connect(url, open_timeout=60, ping_interval=None, max_queue=None)
            self.tasks.append(asyncio.create_task(self._listen(i, self.sockets[i])))

        started = time.perf_counter()
        await asyncio.gather(*(one(i, url) for i, url in enumerate(urls)))
        return time.perf_counter() - started

    async def _listen(self, i: int, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        frames = self.frames[i]
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frames.append((time.time(), raw))
                self.received += 1
                if self.received >= self.expected:
                    self.all_in.set()

    def expect(self, more: int) -> None:
        self.expected = self.received + more
        self.all_in.clear()

    async def wait(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.all_in.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets if ws is not None), return_exceptions=True)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def latencies_ms(self, t0: float | list[float], since_index: list[int], min_id: int) -> tuple[list[float], int]:
        """Arrival minus ``t0`` (one for all, or one per client) of each client's notification of this
        round (id >= ``min_id``), and how many older ones arrived during the round (missed before,
        caught up now)."""
        starts = t0 if isinstance(t0, list) else [t0] * len(self.frames)
        out, late = [], 0
        for frames, start, began in zip(self.frames, since_index, starts, strict=True):
            for arrived, raw in frames[start:]:
                if json.loads(raw)["id"] >= min_id:
                    out.append((arrived - began) * 1000)
                    break
                late += 1
        return out, late

    def dropped(self) -> int:
        """Sockets the server closed (the bench's clients never close one before the end)."""
        return sum(1 for ws in self.sockets if ws is not None and ws.close_code is not None)

    def duplicates(self) -> int:
        """Frames a client received twice (the same notification id)."""
        total = 0
        for frames in self.frames:
            ids = [json.loads(raw)["id"] for _, raw in frames]
            total += len(ids) - len(set(ids))
        return total


def summary(latencies: list[float], clients: int) -> dict[str, Any]:
    if not latencies:
        return {"delivered": 0, "clients": clients}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "delivered": len(latencies),
        "clients": clients,
        "p50_ms": round(cuts[49], 1),
        "p99_ms": round(cuts[98], 1),
        "max_ms": round(max(latencies), 1),
        "min_ms": round(min(latencies), 1),
    }


async def run_rounds(fleet: Fleet, rounds: int, fire) -> list[dict[str, Any]]:
    results = []
    for r in range(rounds):
        before = [len(f) for f in fleet.frames]
        fleet.expect(len(fleet.frames))
        fired = await fire(r)
        complete = await fleet.wait(ROUND_TIMEOUT_S)
        await asyncio.sleep(0.2)  # anything extra (a duplicate) would show up now
        latencies, late = fleet.latencies_ms(fired["t0"], before, fired["min_id"])
        stats = summary(latencies, len(fleet.frames))
        after_commit: list[float] = []
        if fired.get("push_at"):
            # Each client's clock restarted when its chunk's push began (its rows committed): what the
            # channel layer, the hub and the sockets add, comparable with the bare broadcast.
            per_client = [at for at, n in fired["push_at"] for _ in range(n)]
            after_commit, _ = fleet.latencies_ms(per_client, before, fired["min_id"])
        stats.update(
            round=r + 1,
            complete=complete,
            late_frames=late,
            fanout_call_ms=fired.get("call_ms"),
            push_ms=fired.get("push_ms"),
        )
        print(f"    round {r + 1}: {stats}")
        stats["latencies_ms"] = latencies  # pooled over the rounds below, then dropped
        stats["after_commit_latencies_ms"] = after_commit
        results.append(stats)
    return results


# ---------------------------------------------------------------------------------------------
# The service


def service_env(settings_module: str) -> dict[str, str]:
    """The server's and the fan-out process's: the bench database (``benchdb.setup`` put it in
    this process's environment), the bench Redis, ``settings_module``."""
    env = dict(os.environ)
    env.update(REDIS_URL=REDIS_URL, DEBUG="0", LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE=settings_module)
    return env


async def bench_service(user_ids: list[int], rounds: int, workers: int, settings_module: str) -> dict[str, Any]:
    from accounts.models import User
    from accounts.tokens import access_token_for

    port = free_port()
    log_path = OUT_FILE.parent / f"ws_broadcast.{settings_module}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "config.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--lifespan", "off", "--no-access-log", "--log-level", "warning",
        ],
        cwd=REPO_ROOT,
        env=service_env(settings_module),
        stderr=log,
    )
    fleet = Fleet()
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/v1/health")
        users = await asyncio.to_thread(lambda: list(User.objects.filter(pk__in=user_ids).order_by("pk")))
        urls = [f"ws://127.0.0.1:{port}/ws/notifications/?token={access_token_for(u)}" for u in users]
        connect_s = await fleet.open(urls)
        print(f"    {len(urls)} websockets open in {connect_s:.1f} s")
        ids_file = REPO_ROOT / "bench" / "out" / f".ws_broadcast_ids_{os.getpid()}.json"
        ids_file.write_text(json.dumps(user_ids))

        async def fire(r: int) -> dict[str, Any]:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(Path(__file__).resolve()), "fire", str(ids_file),
                cwd=REPO_ROOT, env=service_env(settings_module), stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await proc.communicate()
            if proc.returncode != 0:
                raise SystemExit("the fan-out process failed")
            return json.loads(out.decode().strip().splitlines()[-1])

        try:
            results = await run_rounds(fleet, rounds, fire)
        finally:
            ids_file.unlink(missing_ok=True)
        during = log_path.read_text().count("Exception in ASGI application")
        dropped = fleet.dropped()
    finally:
        await fleet.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    errors = log_path.read_text()
    return {
        "settings": settings_module,
        "connect_s": round(connect_s, 2),
        "rounds": results,
        "duplicates": fleet.duplicates(),
        "sockets_dropped_by_server": dropped,
        "server_errors": during,
        "server_errors_at_disconnect": errors.count("Exception in ASGI application") - during,
        "server_error_kinds": {
            kind: errors.count(kind) for kind in ("Timeout reading from", "Too many connections") if kind in errors
        },
    }


def fire_main(ids_file: str) -> None:
    """The worker's side of one round (a separate process): fan one `problem.posted` out."""
    import django

    django.setup()  # DJANGO_SETTINGS_MODULE and DATABASE_URL come from the parent
    from django.db import connection

    from notifications import services
    from notifications.tasks import notify_many_task

    pushes: list[float] = []
    push_at: list[tuple[float, int]] = []  # when each chunk's push began, and its recipients
    push = services._push

    def timed_push(messages):
        push_at.append((time.time(), len(messages)))
        started = time.perf_counter()
        push(messages)
        pushes.append((time.perf_counter() - started) * 1000)

    services._push = timed_push  # to split the call's time into writing and pushing
    connection.ensure_connection()  # a worker's connection is open already
    # A worker has run tasks before: warm this process up on someone who is not listening, so that the
    # round times a warm fan-out, not a fresh process's first (imports, type adapters: ~100 ms more).
    from accounts.models import Role, User

    idle, _ = User.objects.get_or_create(
        phone=WARM_UP_PHONE, defaults={"name": "压测预热", "role": Role.COMMISSIONER, "area_id": "451002"}
    )
    notify_many_task([idle.pk], "problem.posted", PAYLOAD, key=f"bench-warm:{uuid.uuid4()}",
                     extras={str(idle.pk): {"distance_km": 1.0}})
    pushes.clear()
    push_at.clear()
    ids = json.loads(Path(ids_file).read_text())
    extras = {str(uid): {"distance_km": round(1 + (uid % 300) / 10, 2)} for uid in ids}
    key = f"bench:{uuid.uuid4()}"
    t0 = time.time()
    started = time.perf_counter()
    created = notify_many_task(ids, "problem.posted", PAYLOAD, key=key, extras=extras)
    call_ms = (time.perf_counter() - started) * 1000
    from django.db.models import Min

    from notifications.models import Notification

    min_id = Notification.objects.filter(key=key).aggregate(first=Min("id"))["first"]
    print(json.dumps({"t0": t0, "call_ms": round(call_ms, 1), "push_ms": round(sum(pushes), 1),
                      "created": created, "min_id": min_id, "push_at": push_at}))


# ---------------------------------------------------------------------------------------------
# The bare websockets server


def bare_server_main(port: int) -> None:
    """A minimal broadcast server: clients connect to `/`; a message on `/fire` broadcasts."""
    import websockets
    from websockets.asyncio.server import serve

    clients: set = set()
    serial = {"n": 0}

    async def handler(ws) -> None:
        if ws.request.path == "/fire":
            async for _ in ws:
                serial["n"] += 1
                t0 = time.time()
                started = time.perf_counter()
                message = json.dumps(
                    {
                        "id": serial["n"],
                        "type": "problem.posted",
                        "payload": {**PAYLOAD, "distance_km": 12.3},
                        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t0)),
                    },
                    ensure_ascii=False,
                )
                websockets.broadcast(clients, message)
                call_ms = (time.perf_counter() - started) * 1000
                await ws.send(json.dumps({"t0": t0, "call_ms": round(call_ms, 1), "min_id": serial["n"]}))
            return
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None):
            await asyncio.Future()

    asyncio.run(main())


async def bench_bare(clients: int, rounds: int) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    port = free_port()
    server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "bare-server", str(port)], cwd=REPO_ROOT)
    fleet = Fleet()
    try:
        wait_for_port(port)
        connect_s = await fleet.open([f"ws://127.0.0.1:{port}/"] * clients)
        print(f"    {clients} websockets open in {connect_s:.1f} s")
        # Registration happens in the server's handler, just after the handshake: let it finish.
        await asyncio.sleep(0.5)
        async with connect(f"ws://127.0.0.1:{port}/fire", ping_interval=None) as control:

            async def fire(r: int) -> dict[str, Any]:
                await control.send("fire")
                return json.loads(await control.recv())

            results = await run_rounds(fleet, rounds, fire)
        return {"connect_s": round(connect_s, 2), "rounds": results, "duplicates": fleet.duplicates()}
    finally:
        await fleet.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


# ---------------------------------------------------------------------------------------------


def pooled(result: dict[str, Any]) -> dict[str, Any]:
    """Percentiles over every delivery of every round; the fan-out call's median."""
    rounds = result["rounds"]
    latencies = [ms for r in rounds for ms in r.pop("latencies_ms")]
    stats = summary(latencies, sum(r["clients"] for r in rounds))
    after_commit = summary([ms for r in rounds for ms in r.pop("after_commit_latencies_ms", [])], 0)
    return {
        "p50_ms": stats.get("p50_ms"),
        "p99_ms": stats.get("p99_ms"),
        "max_ms": stats.get("max_ms"),
        "after_commit_p50_ms": after_commit.get("p50_ms"),
        "after_commit_p99_ms": after_commit.get("p99_ms"),
        "fanout_call_ms": statistics.median(r["fanout_call_ms"] for r in rounds),
        "push_ms": statistics.median(r["push_ms"] for r in rounds) if rounds[0]["push_ms"] is not None else None,
        "delivered": f"{sum(r['delivered'] for r in rounds)}/{sum(r['clients'] for r in rounds)}",
        "late_frames": sum(r["late_frames"] for r in rounds),
        "duplicates": result["duplicates"],
        "connect_s": result["connect_s"],
        "dropped": result.get("sockets_dropped_by_server", 0),
        "server_errors": result.get("server_errors", 0),
    }


def table(rows: dict[str, dict[str, Any]]) -> str:
    head = ("", "p50 ms", "p99 ms", "max ms", "after commit: p50 ms", "p99 ms", "fan-out call ms", "of which push",
            "delivered in round", "late", "duplicates", "connect s", "sockets dropped", "server errors")
    keys = ("p50_ms", "p99_ms", "max_ms", "after_commit_p50_ms", "after_commit_p99_ms", "fanout_call_ms", "push_ms",
            "delivered", "late_frames", "duplicates", "connect_s", "dropped", "server_errors")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in rows.items():
        lines.append("| " + " | ".join([name, *(str(row[k]) for k in keys)]) + " |")
    return "\n".join(lines)


def prepare(args: argparse.Namespace) -> list[int]:
    limit = raise_open_files_limit(4 * args.clients + 1024)
    print(f"open-files limit {limit}")
    print("setting up the bench database and Redis")
    django_setup()
    flush_bench_redis()
    return seed(args.clients)


async def bench(args: argparse.Namespace, ids: list[int]) -> None:
    started = time.perf_counter()
    services = {}
    for name in args.configs:
        module = SETTINGS[name]
        print(f"service, {name} ({module}): uvicorn x{args.workers} + Redis + PostgreSQL, {len(ids)} clients")
        await asyncio.to_thread(flush_bench_redis)
        services[name] = await bench_service(ids, args.rounds, args.workers, module)
    print(f"bare: websockets.broadcast, {args.clients} clients")
    bare = await bench_bare(args.clients, args.rounds)
    rows = {f"service, {name}": pooled(result) for name, result in services.items()}
    rows["bare websockets"] = pooled(bare)
    print()
    print(f"One message to {args.clients} websockets, {args.rounds} rounds (latency: from just before the "
          "fan-out call to arrival at each client, over every delivery of every round; 'after commit': from when "
          "the recipient's chunk was committed and its push began):")
    print(table(rows))
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(
        json.dumps(
            {
                "clients": args.clients,
                "rounds": args.rounds,
                "workers": args.workers,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
                "service": services,
                "bare": bare,
                "summary": rows,
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"\nwrote {OUT_FILE.relative_to(REPO_ROOT)}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "fire":
        fire_main(sys.argv[2])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "bare-server":
        bare_server_main(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes for the service")
    parser.add_argument(
        "--configs",
        nargs="+",
        choices=list(SETTINGS),
        default=list(SETTINGS),
        metavar="CONFIG",
        help=f"which service configurations to run: {', '.join(repr(k) for k in SETTINGS)} (default: all)",
    )
    args = parser.parse_args()
    ids = prepare(args)  # Django's ORM is sync: set up before the loop starts
    asyncio.run(bench(args, ids))


if __name__ == "__main__":
    main()
