"""National scale: every benchmark on one synthetic national data set, each beside its anchor (Issue 9).

One command:

    .venv/bin/python bench/national/run.py [--seed 1] [--queries 300] [--quick] [--skip PART ...]
        [--before CHECKOUT | --before-json FILE]

``--before CHECKOUT`` first runs this command as another checkout has it (e.g. a worktree of the commit
before a change) on the same data set, then this tree's, and prints one table with every row before and
after; ``--before-json`` prints beside an earlier run's report instead of running it again.

1. Builds or reuses, in ``kjtpy_bench`` (PostgreSQL, PostGIS for the anchors only), deterministic from
   the seed: 490,000 villages around 2,800 county seats with Voronoi county boundaries, the first city
   province-sized (99 counties, ≈17,800 villages); 300,000 commissioners; 100,000 open problems,
   3,000,000 check-ins, 1,000,000 trainings, ≈500,000 dispatches (bench/datasets/).
2. Measures in this process, interleaved with each anchor on one connection:
   - problems near a commissioner (30 km, first page of 20): ``problems_list`` vs PostGIS
     ``ST_DWithin`` + KNN over the same open problems;
   - locate a point (county, nearest village): ``area_index().locate`` vs PostGIS ``ST_Covers`` on the
     county polygons + KNN among that county's villages; plus the index's build time and memory;
   - targets and coverage for the province-sized area, county and village level, whole plan and one
     year: the selectors and the coverage map (GeoJSON) as the endpoints build them.
3. Runs, as their own processes, the other benchmarks on the same database or their own:
   bench/matching (matches vs PostGIS nearest-10), bench/geo_near (villages near a point),
   bench/checkin_load (check-in throughput over HTTP vs a bare django-ninja endpoint),
   bench/ws_broadcast at 1,000 and 5,000 clients (vs a bare ``websockets`` broadcast).
4. Peak memory: a real uvicorn web worker (production settings, this database) serving locate,
   matches, nearby problems and the province's coverage map; a real Celery worker running the
   ``problem.posted`` fan-out of national problems. Peak RSS (VmHWM) of each, read from /proc.
5. Writes ``bench/out/national.json`` and ``bench/out/national.md``: one table, figures beside anchors.

``--quick`` shortens the subprocess benchmarks (fewer queries, shorter load, no 5,000-client round) to
check the command end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import ensure_anchor_tables, ensure_postgis, log, machine, measure, summarize  # noqa: E402
from bench.datasets import benchdb  # noqa: E402

OUT_DIR = REPO_ROOT / "bench" / "out"
PY = sys.executable
Q = "ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326)"
SQL_PROBLEMS_NEAR = (
    f"SELECT id, ST_Distance(geog, {Q}::geography) FROM bench_problem_geog"
    f" WHERE ST_DWithin(geog, {Q}::geography, %(radius_m)s) ORDER BY geog <-> {Q}::geography LIMIT 20"
)
SQL_LOCATE = (
    f"SELECT c.code, v.code FROM (SELECT code FROM bench_county_geom WHERE ST_Covers(geom, {Q})"
    " ORDER BY code LIMIT 1) c"
    f" LEFT JOIN LATERAL (SELECT code FROM bench_village_geog WHERE county_code = c.code"
    f" ORDER BY geog <-> {Q}::geography LIMIT 1) v ON true"
)
def ensure_national_anchors(build_id: str) -> None:
    """PostGIS copies of the open problems, county polygons and villages (once per data set build)."""
    ensure_anchor_tables("national", build_id, ["bench_problem_geog", "bench_county_geom", "bench_village_geog"], [
        "CREATE TABLE bench_problem_geog AS SELECT id, ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography AS geog"
        " FROM problems_problem WHERE status = 'open'",
        "CREATE INDEX ON bench_problem_geog USING gist (geog)",
        "CREATE TABLE bench_county_geom AS SELECT code,"
        " ST_SetSRID(ST_GeomFromGeoJSON(geometry::text), 4326) AS geom FROM villages_area"
        " WHERE level = 'county' AND geometry IS NOT NULL",
        "CREATE INDEX ON bench_county_geom USING gist (geom)",
        "CREATE TABLE bench_village_geog AS SELECT code, county_code,"
        " ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography AS geog FROM villages_area"
        " WHERE level = 'village' AND lat IS NOT NULL",
        "CREATE INDEX ON bench_village_geog USING gist (geog)",
        "CREATE INDEX ON bench_village_geog (county_code)",
    ])


def village_points(seed: int, count: int, jitter_km: float, stream: int) -> list[tuple[float, float]]:
    from django.db import connection

    from bench.datasets.national import CODE_PREFIX

    with connection.cursor() as cur:
        cur.execute("SELECT lat, lng FROM villages_area WHERE level = 'village' AND code LIKE %s ORDER BY code",
                    [CODE_PREFIX + "%"])
        positions = np.array(cur.fetchall(), dtype=float)
    rng = np.random.default_rng([seed, stream])
    idx = rng.integers(0, len(positions), count)
    r = jitter_km * np.sqrt(rng.random(count)) / 111.32
    theta = rng.random(count) * 2 * np.pi
    lat = positions[idx, 0] + r * np.sin(theta)
    lng = positions[idx, 1] + r * np.cos(theta) / np.cos(np.radians(positions[idx, 0]))
    return [(round(a, 6), round(b, 6)) for a, b in zip(lat.tolist(), lng.tolist(), strict=True)]


def rss_mb(pid: int | None = None) -> dict:
    """Current and peak resident memory (VmRSS, VmHWM) of a process, in MB."""
    out = {}
    with open(f"/proc/{pid or os.getpid()}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mb": out.get("VmRSS"), "peak_rss_mb": out.get("VmHWM")}


def timed_pair(ours, anchor, points, warmup: int) -> dict:
    times, results, _ = measure({"ours": (ours, lambda r: r), "anchor": (anchor, lambda r: r)},
                                points[warmup:], points[:warmup], True)
    res = {name: summarize(ms) for name, ms in times.items()}
    res["ratio"] = {q: res["ours"][f"{q}_ms"] / res["anchor"][f"{q}_ms"] for q in ("p50", "p95", "p99")}
    return res, results


def bench_problems_near(seed: int, queries: int) -> dict:
    from django.db import connection

    from accounts.models import User
    from bench.datasets.commissioners import PHONE_PREFIX
    from problems.selectors import problems_list

    user = User.objects.filter(phone__startswith=PHONE_PREFIX).order_by("pk").first()
    points = [(lat, lng) for lat, lng in village_points(seed, queries + 20, 10.0, 21)]

    def ours(lat, lng):
        _count, page = problems_list(user=user, status="open", near=(lat, lng), radius_km=30.0, limit=20)
        return [(row["id"], km) for row, km in page]

    def anchor(lat, lng):
        with connection.cursor() as cur:
            cur.execute(SQL_PROBLEMS_NEAR, {"lat": lat, "lng": lng, "radius_m": 30_000.0})
            return cur.fetchall()

    res, results = timed_pair(ours, anchor, points, 20)
    differ = sum(1 for a, b in zip(results["ours"], results["anchor"], strict=True)
                 if [x for x, _ in a] != [x for x, _ in b])
    res["pages_differing_from_postgis"] = differ  # PostGIS orders on the sphere, ours on the ellipsoid
    res["mean_page_rows"] = float(np.mean([len(r) for r in results["ours"]]))
    return res


def bench_locate(seed: int, queries: int) -> dict:
    from django.db import connection

    from villages import selectors

    before = rss_mb()
    selectors.area_index_reset()
    started = time.perf_counter()
    index = selectors.area_index()
    build_s = time.perf_counter() - started
    after = rss_mb()
    points = village_points(seed, queries + 20, 5.0, 22)

    def ours(lat, lng):
        found = index.locate(lat, lng)
        return (found.county[0] if found.county else None, found.village[0] if found.village else None)

    def anchor(lat, lng):
        with connection.cursor() as cur:
            cur.execute(SQL_LOCATE, {"lat": lat, "lng": lng})
            row = cur.fetchone()
            return tuple(row) if row else (None, None)

    res, results = timed_pair(ours, anchor, points, 20)
    res["county_mismatches"] = sum(1 for a, b in zip(results["ours"], results["anchor"], strict=True)
                                   if a[0] != b[0])
    res["village_mismatches"] = sum(1 for a, b in zip(results["ours"], results["anchor"], strict=True)
                                    if a != b)
    res["index_build_s"] = round(build_s, 2)
    res["index_memory_mb"] = round(after["rss_mb"] - before["rss_mb"], 1)
    return res


def bench_stats(repeats: int) -> dict:
    from datetime import date

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.datasets.national import PROVINCE_CITY
    from stats.models import Target, TargetRule
    from stats.schemas import coverage_features
    from stats.selectors import Window, coverage, target_progress
    from villages.models import Area

    province = Area.objects.get(code=PROVINCE_CITY)
    with connection.cursor() as cursor:
        # As autovacuum leaves it after the rollup's migration filled it (a no-op when it already has).
        cursor.execute("VACUUM (ANALYZE) stats_coverageperiod")
    targets = []
    for rule, value in ((TargetRule.DISPATCHES_COUNTED, 100_000), (TargetRule.TRAINING_HEADCOUNT_SUMMED, 30_000_000)):
        target, _ = Target.objects.update_or_create(
            code=f"bench-province-{rule}", defaults={
                "name": f"bench {rule}", "value": value, "period_start": date(2021, 1, 1),
                "period_end": date(2025, 12, 31), "area": province, "rule": rule})
        targets.append(target)
    cases = {}
    whole, year = Window(), Window(date(2025, 1, 1), date(2025, 12, 31))
    for level in ("county", "village"):
        for label, window in (("whole plan", whole), ("2025", year)):
            cases[f"coverage {level}, {label} (selector)"] = lambda lv=level, w=window: coverage(
                level=lv, window=w, within=province)
            cases[f"coverage map {level}, {label} (GeoJSON, as the endpoint)"] = lambda lv=level, w=window: (
                coverage_features(level=lv, window=w, within=province))
    for target in targets:
        cases[f"target progress: {target.rule}"] = lambda t=target: target_progress(t, within=t.area)
    out = {}
    for name, fn in cases.items():
        ms = []
        with CaptureQueriesContext(connection) as ctx:
            for _ in range(repeats):
                started = time.perf_counter()
                result = fn()
                ms.append((time.perf_counter() - started) * 1000)
        rows = len(result["features"]) if isinstance(result, dict) and "features" in result else (
            len(result) if isinstance(result, list) else 1)
        out[name] = {"first_ms": round(ms[0], 1), "median_ms": round(float(np.median(ms)), 1),
                     "max_ms": round(max(ms), 1), "rows": rows, "queries_per_call": len(ctx.captured_queries) / repeats}
        log(f"  {name}: first {ms[0]:.0f} ms, median {np.median(ms):.0f} ms, {rows} rows")
    return out


# --- subprocess benchmarks ---------------------------------------------------------------------------


def run_sub(args: list[str], out_json: str, timeout: int) -> dict:
    log("$ " + " ".join(args))
    started = time.perf_counter()
    proc = subprocess.run([PY, *args], cwd=REPO_ROOT, timeout=timeout, capture_output=True, text=True)
    (OUT_DIR / f"national.{Path(out_json).stem}.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        log(f"  failed ({proc.returncode}); see bench/out/national.{Path(out_json).stem}.log")
        return {"failed": proc.returncode}
    log(f"  done in {time.perf_counter() - started:.0f} s")
    return json.loads((OUT_DIR / out_json).read_text())


# --- peak memory of real workers -------------------------------------------------------------------------


def worker_env() -> dict:
    return {**os.environ, "DATABASE_URL": benchdb.bench_url(),
            "REDIS_URL": "redis://127.0.0.1:6379/6", "DEBUG": "0", "SECRET_KEY": os.environ["SECRET_KEY"],
            "DJANGO_SETTINGS_MODULE": "config.settings", "ALLOWED_HOSTS": "127.0.0.1,localhost"}


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def bench_web_memory(seed: int, requests: int) -> dict:
    import httpx

    from accounts.models import User
    from accounts.tokens import access_token_for
    from bench.datasets.activity import STAFF_PHONE
    from problems.models import Problem

    bureau = User.objects.get(phone=STAFF_PHONE)
    token = access_token_for(bureau)
    problems = list(Problem.objects.filter(village__code__startswith="9000", status="open")
                    .order_by("pk").values_list("pk", flat=True)[:requests])
    port = 18765
    server = subprocess.Popen(
        [PY, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--log-level", "warning"], cwd=REPO_ROOT, env=worker_env(), start_new_session=True)
    timings: dict[str, list[float]] = {}
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=120,
                              headers={"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"})
        for _ in range(100):
            try:
                if client.get("/health").status_code in (200, 503):
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        calls = []
        for (lat, lng), pid in zip(village_points(seed, requests, 5.0, 23), problems, strict=False):
            calls += [("locate", f"/geo/locate?lat={lat}&lng={lng}"), ("matches", f"/problems/{pid}/matches"),
                      ("problems near", f"/problems?near={lat},{lng}&radius_km=30")]
        year = "&from=2025-01-01&to=2025-12-31"
        for level in ("county", "village"):
            calls += [(f"coverage map, {level}", f"/stats/coverage?level={level}")] * 5
            calls += [(f"coverage map, {level}, 2025", f"/stats/coverage?level={level}{year}")] * 5
        calls += [("targets", "/stats/targets")] * 3
        statuses: dict[int, int] = {}
        for name, url in calls:
            started = time.perf_counter()
            resp = client.get(url)
            timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
        workers = children(server.pid) or [server.pid]
        memory = {str(pid): rss_mb(pid) for pid in workers}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {"requests": len(calls), "statuses": statuses, "worker_memory": memory,
            "peak_rss_mb": max(m["peak_rss_mb"] for m in memory.values()),
            "http_ms": {k: {"median": round(float(np.median(v)), 1), "max": round(max(v), 1), "n": len(v)}
                        for k, v in timings.items()}}


def bench_celery_memory(problems: int) -> dict:
    import redis

    from problems.models import Problem

    env = worker_env()
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    ids = list(Problem.objects.filter(status="open", village__code__startswith="9").order_by("pk")
               .values_list("pk", flat=True)[:problems])
    worker = subprocess.Popen([PY, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel",
                               "warning", "--without-gossip", "--without-mingle"], cwd=REPO_ROOT, env=env,
                              start_new_session=True)
    try:
        code = ("import sys, django; django.setup(); from problems.tasks import problem_posted_fanout_task as t;"
                " [t.delay(int(i)) for i in sys.argv[1:]]")
        started = time.perf_counter()
        subprocess.run([PY, "-c", code, *map(str, ids)], cwd=REPO_ROOT, env=env, check=True, timeout=300)
        # Done when the queue is empty and nothing is unacknowledged (the tasks ack late, after running).
        broker = redis.Redis.from_url(env["REDIS_URL"])
        while broker.llen("celery") or broker.hlen("unacked"):
            if time.perf_counter() - started > 1800:
                raise TimeoutError("the Celery worker did not finish the fan-outs in 30 minutes")
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        memory = rss_mb(worker.pid)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    from notifications.models import Notification

    made = Notification.objects.filter(type="problem.posted", payload__problem_id__in=ids)
    notifications = made.count()
    made.delete()
    return {"tasks": len(ids), "notifications": notifications, "seconds": round(elapsed, 1), **memory}


# --- report --------------------------------------------------------------------------------------


def _pct(s: dict) -> str:
    return f"p50 {s['p50_ms']:.2f} / p95 {s['p95_ms']:.2f} / p99 {s['p99_ms']:.2f} ms"


def table_rows(r: dict) -> list[dict]:
    """The table's rows of one report: ``key`` (to pair a row with the same row of another run), ``what``,
    ``ours``, ``anchor`` and ``ratio`` (with the goal). Rows the report lacks are left out."""
    d = r["dataset"]
    rows = []

    def add(key, what, ours, anchor="—", ratio="—"):
        rows.append({"key": key, "what": what, "ours": ours, "anchor": anchor, "ratio": ratio})

    m = r.get("matching", {})
    if "results" in m:
        ratio = m["ratios"]["ours / postgis_knn_filtered"]
        add("matching", "matches, top 10", _pct(m["results"]["ours"]),
            f"PostGIS nearest 10 available with the category: {_pct(m['results']['postgis_knn_filtered'])}",
            f"{ratio['p50']:.1f}× p50, {ratio['p99']:.1f}× p99 (3×)")
    pn = r["problems_near"]
    add("problems_near", "problems near a commissioner, 30 km, page of 20", _pct(pn["ours"]),
        f"PostGIS ST_DWithin + KNN: {_pct(pn['anchor'])}",
        f"{pn['ratio']['p50']:.1f}× p50, {pn['ratio']['p99']:.1f}× p99 (3×)")
    g = r.get("geo_near", {})
    if "results" in g:
        ratios = list(g["ratios"].values())
        add("geo_near", "villages near a point, 30 km, top 10", _pct(g["results"]["ours_top"]),
            f"PostGIS KNN: {_pct(g['results']['postgis_knn_radius'])}; exact-order "
            f"{_pct(g['results']['postgis_exact'])}",
            f"{ratios[0]['p50']:.1f}× KNN, {ratios[1]['p50']:.1f}× exact (3×)")
    lo = r["locate"]
    add("locate", "locate (county + nearest village)",
        f"{_pct(lo['ours'])}; index built in {lo['index_build_s']} s, {lo['index_memory_mb']} MB",
        f"PostGIS ST_Covers + KNN: {_pct(lo['anchor'])}", f"{lo['ratio']['p50']:.2f}× p50 (—)")
    c = r.get("checkin_load", {})
    if "throughput" in c:
        t = c["throughput"]
        add("checkin_load", "check-in throughput over HTTP", f"{t['checkin']['rps']} req/s",
            f"bare django-ninja: {t['bare']['rps']} req/s", f"{t['ratio_checkin_to_bare']:.2f} (≥ 0.40)")
    for n, ws in sorted(r.get("ws", {}).items(), key=lambda kv: int(kv[0])):
        if "summary" not in ws:
            continue
        svc = next((v for k, v in ws["summary"].items() if k.startswith("service, as configured")), None)
        bare = ws["summary"].get("bare websockets")
        if svc and bare:
            add(f"ws {n}", f"websocket delivery, {n} clients",
                f"p50 {svc['p50_ms']} / p99 {svc['p99_ms']} ms, {svc.get('delivered', '')}",
                f"bare websockets: p50 {bare['p50_ms']} / p99 {bare['p99_ms']} ms",
                f"{svc['p99_ms'] / bare['p99_ms']:.1f}× p99 (3×)")
            if svc.get("after_commit_p99_ms"):
                add(f"ws {n} after commit", f"websocket delivery, {n} clients, after the rows committed",
                    f"p50 {svc['after_commit_p50_ms']} / p99 {svc['after_commit_p99_ms']} ms",
                    "the same bare broadcast", f"{svc['after_commit_p99_ms'] / bare['p99_ms']:.1f}× p99")
    for name, s in r["stats"].items():
        goal = "(< 300 ms)" if "coverage map" in name else "(well under 1 s)"
        add(f"stats {name}", f"province ({d['province_counties']} counties, {d['province_villages']:,} villages): "
            f"{name}", f"first {s['first_ms']} ms, then median {s['median_ms']} ms ({s['rows']} rows)", ratio=goal)
    wm, cm = r.get("web_memory", {}), r.get("celery_memory", {})
    for name, h in wm.get("http_ms", {}).items():
        if name.startswith("coverage map"):
            add(f"http {name}", f"province {name}, over HTTP (uvicorn)", f"median {h['median']} / max {h['max']} ms "
                f"({h['n']} requests)", ratio="(< 500 ms)")
    if "peak_rss_mb" in wm:
        add("web_memory", f"peak memory, web worker ({wm['requests']} requests)", f"{wm['peak_rss_mb']} MB")
    if "peak_rss_mb" in cm:
        add("celery_memory", f"peak memory, Celery worker ({cm['tasks']} problem.posted fan-outs)",
            f"{cm['peak_rss_mb']} MB")
    return rows


def markdown(r: dict, before: dict | None = None) -> str:
    d = r["dataset"]
    lines = [
        f"National synthetic set (seed {r['seed']}): {d['villages']:,} villages, {d['counties']:,} counties, "
        f"{d['commissioners']:,} commissioners, {d['problems']:,} open problems, {d['checkins']:,} check-ins, "
        f"{d['trainings']:,} trainings, {d['dispatches']:,} dispatches. Machine: {r['machine']['nproc']} CPUs "
        f"({r['machine']['cpu_model']}), PostgreSQL 15, PostGIS {r['machine']['postgis']['lib']}.",
        "",
    ]
    rows = table_rows(r)
    if before is None:
        lines += ["| what | ours | anchor | ratio (goal) |", "|---|---|---|---|"]
        lines += [f"| {x['what']} | {x['ours']} | {x['anchor']} | {x['ratio']} |" for x in rows]
        return "\n".join(lines) + "\n"
    earlier = {x["key"]: x for x in table_rows(before)}
    lines += [f"Before: {before.get('code', 'the earlier run')}; after: {r.get('code', 'this tree')}. Each ratio is to "
              "the anchor measured in the same run.", "",
              "| what | before | after | anchor (after's run) | ratio before → after (goal) |", "|---|---|---|---|---|"]
    for x in rows:
        was = earlier.pop(x["key"], None)
        lines.append(f"| {x['what']} | {was['ours'] if was else '—'} | {x['ours']} | {x['anchor']} | "
                     f"{was['ratio'].split(' (')[0] if was else '—'} → {x['ratio']} |")
    lines += [f"| {x['what']} | {x['ours']} | — | {x['anchor']} | {x['ratio']} → — |" for x in earlier.values()]
    return "\n".join(lines) + "\n"


def run_before(checkout: Path, argv: list[str]) -> dict:
    """This command as another checkout has it (the code before a change), on the same data set; its report."""
    log(f"before: {checkout} ...")
    subprocess.run([PY, "bench/national/run.py", *argv], cwd=checkout, check=True,
                   env={**os.environ, "PYTHONPATH": str(checkout)})
    report = json.loads((checkout / "bench" / "out" / "national.json").read_text())
    report["code"] = _code_of(checkout)
    (OUT_DIR / "national.before.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    return report


def _code_of(checkout: Path) -> str:
    proc = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=checkout, capture_output=True, text=True)
    return proc.stdout.strip()[:80] or str(checkout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="short runs, to check the command end to end")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["matching", "geo_near", "checkin_load", "ws", "web_memory", "celery_memory"])
    parser.add_argument("--before", type=Path, metavar="CHECKOUT",
                        help="first run this command in another checkout (the code before), then this tree, and "
                             "print both in one table")
    parser.add_argument("--before-json", type=Path, metavar="FILE",
                        help="the report of an earlier run (e.g. bench/out/national.before.json) to print beside")
    args = parser.parse_args()
    started = time.perf_counter()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    argv = ["--seed", str(args.seed), "--queries", str(args.queries), *(["--quick"] if args.quick else []),
            *(["--skip", *args.skip] if args.skip else [])]
    before = (run_before(args.before.resolve(), argv) if args.before
              else json.loads(args.before_json.read_text()) if args.before_json else None)
    benchdb.setup(log=log)
    from bench.datasets.activity import ensure_activity
    from bench.datasets.commissioners import ensure_commissioners
    from bench.datasets.national import PROVINCE_CITY, ensure_national
    from villages.models import Area

    ensure_postgis(install=True)
    national = ensure_national(args.seed, log=log)
    people = ensure_commissioners(national, args.seed, log=log)
    activity = ensure_activity(people, args.seed, log=log)
    ensure_national_anchors(activity.build_id)
    queries = 60 if args.quick else args.queries
    report: dict = {"seed": args.seed, "quick": args.quick, "dataset": {
        "villages": national.villages, "counties": national.counties, "commissioners": people.count,
        "problems": activity.problems, "checkins": activity.checkins, "trainings": activity.trainings,
        "dispatches": activity.dispatches,
        "province_counties": Area.objects.filter(level="county", parent_id=PROVINCE_CITY).count(),
        "province_villages": Area.objects.filter(level="village", code__startswith=PROVINCE_CITY[:4]).count(),
    }}
    log("problems near a commissioner ...")
    report["problems_near"] = bench_problems_near(args.seed, queries)
    log("locate ...")
    report["locate"] = bench_locate(args.seed, queries)
    log("targets and coverage for the province ...")
    report["stats"] = bench_stats(3 if args.quick else 5)
    report["machine"] = machine()
    seed = ["--seed", str(args.seed)]
    if "matching" not in args.skip:
        report["matching"] = run_sub(["bench/matching/run.py", "--queries", str(queries), *seed], "matching.json",
                                     3600)
    if "geo_near" not in args.skip:
        report["geo_near"] = run_sub(["bench/geo_near/run.py", "--queries", str(queries), *seed], "geo_near.json",
                                     3600)
    if "checkin_load" not in args.skip:
        duration = ["--duration", "20", "--tp-seconds", "10"] if args.quick else ["--duration", "60"]
        report["checkin_load"] = run_sub(["bench/checkin_load/run.py", *duration, *seed], "checkin_load.json", 1800)
    if "ws" not in args.skip:
        report["ws"] = {}
        for clients in (1000,) if args.quick else (1000, 5000):
            report["ws"][clients] = run_sub(["bench/ws_broadcast/run.py", "--clients", str(clients), "--configs",
                                             "as configured"], "ws_broadcast.json", 900)
    if "web_memory" not in args.skip:
        log("peak memory: a uvicorn web worker serving national requests ...")
        report["web_memory"] = bench_web_memory(args.seed, 20 if args.quick else 100)
    if "celery_memory" not in args.skip:
        log("peak memory: a Celery worker running problem.posted fan-outs ...")
        report["celery_memory"] = bench_celery_memory(20 if args.quick else 200)
    report["run_seconds"] = round(time.perf_counter() - started)
    report["code"] = _code_of(REPO_ROOT)
    (OUT_DIR / "national.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    text = markdown(report, before)
    (OUT_DIR / "national.md").write_text(text)
    print(text)
    log(f"wrote bench/out/national.json and national.md in {report['run_seconds']} s")


if __name__ == "__main__":
    main()
