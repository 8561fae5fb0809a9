"""What the benchmarks share: PostGIS for the anchors, interleaved timing, percentiles."""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import time
from collections.abc import Callable, Sequence

import numpy as np


def log(message: str) -> None:
    print(message, flush=True)


def ensure_postgis(install: bool) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        available = cur.fetchone() is not None
        cur.execute("SHOW server_version_num")
        major = int(cur.fetchone()[0]) // 10000
    if not available:
        package = f"postgresql-{major}-postgis-3"
        if not install:
            raise SystemExit(f"PostGIS is not installed; install {package} or run without --no-install")
        log(f"PostGIS is not available to PostgreSQL {major}: installing Debian's {package}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
            log("  $ " + " ".join(command))
            started = time.perf_counter()
            subprocess.run(command, check=True, env=env)
            log(f"    done in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            if cur.fetchone() is None:
                raise SystemExit(f"{package} is installed here but the server does not see it: is PostgreSQL "
                                 "running on another host?")
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        version = cur.fetchone()[0]
    log(f"PostGIS {version} in {connection.settings_dict['NAME']}")
    return version


class FullCollections:
    """CPython's full (generation 2) garbage collections while active, by the contender running."""

    def __init__(self) -> None:
        self.pauses_ms: dict[str | None, list[float]] = {}
        self.current: str | None = None
        self._started = 0

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter_ns()
        else:
            self.pauses_ms.setdefault(self.current, []).append((time.perf_counter_ns() - self._started) / 1e6)

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)

    def summary(self, name: str) -> dict:
        pauses = self.pauses_ms.get(name, [])
        return {"count": len(pauses), "median_ms": float(np.median(pauses)) if pauses else 0.0}


def measure(contenders: dict[str, tuple[Callable, Callable]], points: list, warmup: list,
            interleave: bool) -> tuple[dict[str, np.ndarray], dict[str, list], dict[str, dict]]:
    """Time every contender on every point (a tuple of arguments: ``fn(*point)``).

    Interleaved (the default): for each point every contender runs once, in an order rotated
    from point to point, so that anything else the machine does, or drifts, hits all of them
    alike. Blocks: each contender runs all points in turn.
    """
    names = list(contenders)
    if interleave:
        schedule = [(i, names[(i + k) % len(names)]) for i in range(len(points)) for k in range(len(names))]
    else:
        schedule = [(i, name) for name in names for i in range(len(points))]
    for name in names:
        for args in warmup:
            contenders[name][0](*args)
    times: dict[str, list[int]] = {name: [0] * len(points) for name in names}
    results: dict[str, list] = {name: [None] * len(points) for name in names}
    clock = time.perf_counter_ns
    with FullCollections() as collections:
        for i, name in schedule:
            fn, post = contenders[name]
            args = points[i]
            collections.current = name
            started = clock()
            result = fn(*args)
            times[name][i] = clock() - started
            collections.current = None
            results[name][i] = post(result)
    return ({name: np.array(t, dtype=float) / 1e6 for name, t in times.items()}, results,
            {name: collections.summary(name) for name in names})


ANCHOR_META_DDL = """
CREATE TABLE IF NOT EXISTS bench_anchor_meta (
    name text PRIMARY KEY,
    build_id text NOT NULL,
    build_seconds double precision NOT NULL
)
"""


def ensure_anchor_tables(name: str, build_id: str, tables: Sequence[str], statements: Sequence[str]) -> dict:
    """The PostGIS copies a benchmark compares against: ``statements`` create ``tables`` (their
    indexes too) from the data set ``build_id`` names. They are built once per build and reused while
    that build stands and every table exists; each is dropped first and analysed after."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(ANCHOR_META_DDL)
        cur.execute("SELECT build_id, build_seconds FROM bench_anchor_meta WHERE name = %s", [name])
        meta = cur.fetchone()
        present = True
        for table in tables:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
            present = present and cur.fetchone()[0]
        if meta and meta[0] == build_id and present:
            log(f"{name}: reusing {', '.join(tables)} (built in {meta[1]:.1f} s)")
            return {"build_seconds": meta[1], "built_now": False}
        log(f"{name}: copying into {', '.join(tables)} under GiST ...")
        started = time.perf_counter()
        for table in tables:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in statements:
            cur.execute(statement)
        for table in tables:
            cur.execute(f"VACUUM (ANALYZE) {table}")
        elapsed = time.perf_counter() - started
        cur.execute("INSERT INTO bench_anchor_meta VALUES (%s, %s, %s) ON CONFLICT (name) DO UPDATE"
                    " SET build_id = excluded.build_id, build_seconds = excluded.build_seconds",
                    [name, build_id, elapsed])
    log(f"  built in {elapsed:.1f} s")
    return {"build_seconds": elapsed, "built_now": True}


def data_set_once(meta_table: str, build_id: str, fill: Callable[[], None]) -> dict:
    """The data set ``build_id`` names, built once: ``fill()`` runs only when ``meta_table`` records another
    build (or none), and the time it took is recorded there for the runs that reuse it."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {meta_table} (build_id text, seconds double precision)")
        cur.execute(f"SELECT build_id, seconds FROM {meta_table}")
        meta = cur.fetchone()
    if meta and meta[0] == build_id:
        log(f"reusing the data set {build_id} (built in {meta[1]:.0f} s)")
        return {"build_id": build_id, "build_seconds": meta[1], "built_now": False}
    log(f"building {build_id} ...")
    started = time.perf_counter()
    fill()
    elapsed = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {meta_table}")
        cur.execute(f"INSERT INTO {meta_table} VALUES (%s, %s)", [build_id, elapsed])
    log(f"  built in {elapsed:.0f} s")
    return {"build_id": build_id, "build_seconds": elapsed, "built_now": True}


def summarize(ms: np.ndarray) -> dict:
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
        "min_ms": float(ms.min()),
        "max_ms": float(ms.max()),
        "throughput_qps": float(len(ms) / (ms.sum() / 1000.0)),
    }


def machine() -> dict:
    from django.db import connection

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        pg = cur.fetchone()[0]
        cur.execute("SELECT postgis_lib_version(), postgis_geos_version(), postgis_proj_version()")
        postgis = cur.fetchone()
        cur.execute("SHOW shared_buffers")
        shared_buffers = cur.fetchone()[0]
    import django
    import geopy
    import psycopg

    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gb": round(ram_kb / 1024 / 1024, 1),
        "postgresql": pg,
        "postgresql_shared_buffers": shared_buffers,
        "postgis": {"lib": postgis[0], "geos": postgis[1], "proj": postgis[2]},
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "numpy": np.__version__,
        "geopy": geopy.__version__,
        "kernel": platform.release(),
    }
