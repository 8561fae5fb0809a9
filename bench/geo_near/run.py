"""Benchmark the "near" selector (core/near.py and geo/near.py) against PostGIS on the same rows.

One command (Issue 3):

    .venv/bin/python bench/geo_near/run.py [--points 490000] [--queries 500] [--radius-km 30] [--seed 1]

1. Installs PostGIS into the local PostgreSQL if it is missing (``apt-get install
   postgresql-<major>-postgis-3``) and creates the extension in the bench database only; the
   service itself never needs it.
2. Builds (or reuses) the synthetic national data set: ``--points`` villages clustered around
   ≈2,800 county seats (bench/datasets/national.py) in ``villages_area`` of ``kjtpy_bench``.
3. Copies the same village rows into ``bench_area_geog(code, geog geography)`` under a GiST
   index (once per data set build).
4. Times, on the same deterministic query points (a random village plus up to 10 km of jitter),
   through the same Django connection, interleaved per point (``--blocks``: one after another):
     - ours, top 10: ``with_values(qs, nearest_page_of(arrays_near(qs, ...), ..., 0, 10), ("name",))`` as the
       service's paged lists call them;
     - PostGIS, top 10: ``ST_DWithin`` + ``ORDER BY geog <-> q LIMIT 10`` (KNN; sphere order),
       the same with ``ORDER BY ST_Distance`` (spheroid order, exact), and plain KNN without radius;
     - ours, all within the radius: ``rows_near`` alone; PostGIS: ``ST_DWithin`` ordered by ``<->``.
   checks ours against PostGIS's spheroid answer (ties within 1 mm allowed), counts CPython's
   full garbage collections inside each timed block, breaks our time down by stage (SQL compile,
   database, ORM rows, refine, page, page objects; cProfile), and re-times ours after ``gc.freeze()``
   as a what-if.
5. Prints a markdown table; writes ``bench/out/geo_near.json`` and ``bench/out/geo_near.md``.

Runs against ``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/kjtpy_bench).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import ensure_anchor_tables, ensure_postgis, log, machine, measure, summarize  # noqa: E402
from bench.datasets import benchdb  # noqa: E402

OUT_DIR = REPO_ROOT / "bench" / "out"
TIE_TOLERANCE_M = 1e-3
JITTER_KM = 10.0
Q = "ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326)::geography"
SQL_KNN_RADIUS = (
    f"SELECT code, ST_Distance(geog, {Q}) FROM bench_area_geog WHERE ST_DWithin(geog, {Q}, %(radius_m)s)"
    f" ORDER BY geog <-> {Q} LIMIT %(limit)s"
)
SQL_EXACT = (
    f"SELECT code, ST_Distance(geog, {Q}) AS d FROM bench_area_geog WHERE ST_DWithin(geog, {Q}, %(radius_m)s)"
    " ORDER BY d, code LIMIT %(limit)s"
)
SQL_KNN = f"SELECT code, ST_Distance(geog, {Q}) FROM bench_area_geog ORDER BY geog <-> {Q} LIMIT %(limit)s"
SQL_ALL = (
    f"SELECT code, geog <-> {Q} AS d FROM bench_area_geog WHERE ST_DWithin(geog, {Q}, %(radius_m)s) ORDER BY d"
)


# --- setup ---------------------------------------------------------------------------------


def ensure_geog_table(build_id: str) -> dict:
    """bench_area_geog: every village row of villages_area as a geography point, under GiST."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM villages_area WHERE level = 'village' AND lat IS NOT NULL")
        villages = cur.fetchone()[0]
    # Rebuilt when the village rows change too (another benchmark imports Baise's into this database).
    built = ensure_anchor_tables("geo_near", f"{build_id}:{villages}", ["bench_area_geog"], [
        "CREATE TABLE bench_area_geog AS SELECT code::text AS code,"
        " ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography(Point, 4326) AS geog"
        " FROM villages_area WHERE level = 'village' AND lat IS NOT NULL ORDER BY code",
        "ALTER TABLE bench_area_geog ADD PRIMARY KEY (code)",
        "CREATE INDEX bench_area_geog_gist ON bench_area_geog USING gist (geog)",
    ])
    return {"rows": villages, **built}


def query_points(seed: int, count: int) -> list[tuple[float, float]]:
    """Deterministic points near random villages: a village's position plus up to 10 km.

    Drawn from the synthetic set only, so other rows in the shared bench database (another
    benchmark imports Baise's real areas) do not move them; both contenders still see every row.
    """
    from django.db import connection

    from bench.datasets.national import CODE_PREFIX

    with connection.cursor() as cur:
        cur.execute("SELECT lat, lng FROM villages_area WHERE level = 'village' AND lat IS NOT NULL"
                    " AND code LIKE %s ORDER BY code", [CODE_PREFIX + "%"])
        positions = np.array(cur.fetchall(), dtype=float)
    rng = np.random.default_rng([seed, 3])
    idx = rng.integers(0, len(positions), count)
    r_km = JITTER_KM * np.sqrt(rng.random(count))
    theta = rng.random(count) * 2 * np.pi
    lat = positions[idx, 0] + r_km * np.sin(theta) / 111.32
    lng = positions[idx, 1] + r_km * np.cos(theta) / (111.32 * np.cos(np.radians(positions[idx, 0])))
    return [(round(a, 6), round(b, 6)) for a, b in zip(lat.tolist(), lng.tolist(), strict=True)]


# --- contenders ----------------------------------------------------------------------------


def village_qs():
    """The queryset the benchmark gives the selector: every village (code and position)."""
    from villages.models import Area

    return Area.objects.filter(level="village").only("code", "lat", "lng", "cell")


def ours_top_call(radius_km: float, limit: int) -> Callable[[float, float], list]:
    """The service's paged "near" call (problems/selectors.py: problems_list and friends)."""
    from core.near import arrays_near, with_values
    from geo.near import nearest_page_of

    def ours_top(lat: float, lng: float) -> list:
        qs = village_qs()
        found = arrays_near(qs, lat, lng, radius_km)
        return with_values(qs, nearest_page_of(found, lat, lng, 0, limit), ("name",))

    return ours_top


def make_contenders(radius_km: float, limit: int) -> dict[str, tuple[Callable, Callable]]:
    """name -> (the timed call, a conversion to plain (code, metres) rows done after the clock stops).

    Converting outside the clock and dropping the results' objects keeps the timed calls free of
    the garbage collector's full passes over everything the benchmark retains.
    """
    from django.db import connection

    from core.near import rows_near

    def ours_all(lat: float, lng: float) -> list:
        # The fan-out path (notifications, matching): light hits, no model instances.
        return rows_near(village_qs(), lat, lng, radius_km)

    def sql(statement: str) -> Callable[[float, float], list]:
        def run(lat: float, lng: float) -> list:
            with connection.cursor() as cur:
                cur.execute(statement, {"lat": lat, "lng": lng, "radius_m": radius_km * 1000.0, "limit": limit})
                return cur.fetchall()

        return run

    def page_rows(hits: list) -> list:
        return [(h.pk, h.distance_km * 1000.0) for h in hits]

    def all_codes(hits: list) -> list:
        return [h.pk for h in hits]

    def as_is(rows: list) -> list:
        return rows

    return {
        "ours_top": (ours_top_call(radius_km, limit), page_rows),
        "postgis_knn_radius": (sql(SQL_KNN_RADIUS), as_is),
        "postgis_exact": (sql(SQL_EXACT), as_is),
        "postgis_knn": (sql(SQL_KNN), as_is),
        "ours_all": (ours_all, all_codes),
        "postgis_all": (sql(SQL_ALL), as_is),
    }


LABELS = {
    "ours_top": "ours: arrays_near + nearest_page_of + with_values (top {limit} with names, exact geodesic order)",
    "postgis_knn_radius": "PostGIS: ST_DWithin + ORDER BY <-> LIMIT {limit} (KNN, sphere order)",
    "postgis_exact": "PostGIS: ST_DWithin + ORDER BY ST_Distance LIMIT {limit} (spheroid order)",
    "postgis_knn": "PostGIS: ORDER BY <-> LIMIT {limit}, no radius (plain KNN)",
    "ours_all": "ours: rows_near, all within {radius:g} km",
    "postgis_all": "PostGIS: ST_DWithin, all within {radius:g} km, ORDER BY <->",
}


# --- correctness ---------------------------------------------------------------------------


def same_ranking(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    """Equal lists of (code, metres), except that rows within 1 mm of each other may swap."""
    if len(a) != len(b):
        return False
    return all(ca == cb or abs(da - db) < TIE_TOLERANCE_M for (ca, da), (cb, db) in zip(a, b, strict=True))


def spheroid_distances(lat: float, lng: float, codes: list[str]) -> dict[str, float]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT code, ST_Distance(geog, {Q}) FROM bench_area_geog WHERE code = ANY(%(codes)s)",
                    {"lat": lat, "lng": lng, "codes": codes})
        return dict(cur.fetchall())


def check(points, results, radius_km: float) -> dict:
    top_mismatch, knn_vs_exact, distance_err = [], 0, 0.0
    for i, (ours, exact, knn) in enumerate(zip(results["ours_top"], results["postgis_exact"],
                                              results["postgis_knn_radius"], strict=True)):
        mine = ours
        theirs = [(code, d) for code, d in exact]
        if not same_ranking(mine, theirs):
            top_mismatch.append({"query": i, "point": points[i], "ours": mine, "postgis": theirs})
        ref = dict(theirs)
        for code, d in mine:
            if code in ref:
                distance_err = max(distance_err, abs(d - ref[code]))
        if not same_ranking([(c, d) for c, d in knn], theirs):
            knn_vs_exact += 1

    all_mismatch, boundary_ties = [], 0
    radius_m = radius_km * 1000.0
    for i, (ours, theirs) in enumerate(zip(results["ours_all"], results["postgis_all"], strict=True)):
        mine = set(ours)
        other = {code for code, _ in theirs}
        diff = sorted(mine ^ other)
        if not diff:
            continue
        lat, lng = points[i]
        exact = spheroid_distances(lat, lng, diff)
        bad = [c for c in diff if abs(exact[c] - radius_m) >= TIE_TOLERANCE_M]
        boundary_ties += len(diff) - len(bad)
        if bad:
            all_mismatch.append({"query": i, "point": points[i], "codes": {c: exact[c] for c in bad}})
    return {
        "top_mismatches": len(top_mismatch),
        "top_mismatch_examples": top_mismatch[:5],
        "max_distance_difference_m": distance_err,
        "postgis_knn_vs_spheroid_order_differences": knn_vs_exact,
        "all_within_mismatches": len(all_mismatch),
        "all_within_mismatch_examples": all_mismatch[:5],
        "all_within_boundary_ties": boundary_ties,
    }


# --- where our time goes -------------------------------------------------------------------


def explain_ms(statement: str, params) -> tuple[float, str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params)
        plan = cur.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + statement, params)
        text = "\n".join(r[0] for r in cur.fetchall())
    return float(plan[0]["Execution Time"]), text


def profile(points: list, radius_km: float, limit: int) -> dict:
    """Time each stage of one call of ours, separately, on the same points."""
    from django.db import connection

    import core.near as db_near
    import geo.near as near
    from geo.distance import geodesic_m

    clock = time.perf_counter_ns
    stages: dict[str, list[float]] = {k: [] for k in (
        "compile_sql", "db_execute_fetch", "orm_fetch", "arrays_near", "nearest_page_of", "with_values",
        "server_execution_ours", "server_execution_postgis_knn_radius")}
    geodesic_calls = {"arrays_near": [], "nearest_page_of": []}
    counter = {"n": 0}
    original = near.geodesic_many_m

    def counting(lat, lng, lats, lngs):
        counter["n"] += len(lats)  # points measured on the ellipsoid, in one vectorised call
        return original(lat, lng, lats, lngs)

    def candidates(lat: float, lng: float):
        # The candidate query arrays_near runs (core/near.py), built the same way.
        return village_qs().filter(db_near.near_filter(lat, lng, radius_km)).order_by().values_list("pk", "lat", "lng")

    plans = {}
    near.geodesic_many_m = counting  # counting only, in this process, for this profile
    try:
        for lat, lng in points:
            query = candidates(lat, lng)
            t0 = clock()
            sql, params = query.query.sql_with_params()
            t1 = clock()
            with connection.cursor() as cur:
                cur.execute(sql, params)
                cur.fetchall()
            t2 = clock()
            list(candidates(lat, lng))
            t3 = clock()
            counter["n"] = 0
            qs = village_qs()
            found = db_near.arrays_near(qs, lat, lng, radius_km)
            t4 = clock()
            geodesic_calls["arrays_near"].append(counter["n"])
            counter["n"] = 0
            page = near.nearest_page_of(found, lat, lng, 0, limit)
            t5 = clock()
            geodesic_calls["nearest_page_of"].append(counter["n"])
            db_near.with_values(qs, page, ("name",))
            t6 = clock()
            stages["compile_sql"].append((t1 - t0) / 1e6)
            stages["db_execute_fetch"].append((t2 - t1) / 1e6)
            stages["orm_fetch"].append((t3 - t2) / 1e6)
            stages["arrays_near"].append((t4 - t3) / 1e6)
            stages["nearest_page_of"].append((t5 - t4) / 1e6)
            stages["with_values"].append((t6 - t5) / 1e6)
            ms, text = explain_ms(sql, params)
            stages["server_execution_ours"].append(ms)
            plans.setdefault("ours", text)
            pg_params = {"lat": lat, "lng": lng, "radius_m": radius_km * 1000.0, "limit": limit}
            ms, text = explain_ms(SQL_KNN_RADIUS, pg_params)
            stages["server_execution_postgis_knn_radius"].append(ms)
            plans.setdefault("postgis_knn_radius", text)
            plans.setdefault("ours_sql", connection.ops.compose_sql(sql, params))
    finally:
        near.geodesic_many_m = original

    started = clock()
    for _ in range(2000):
        geodesic_m(24.0, 106.5, 24.1, 106.6)
    geodesic_us = (clock() - started) / 2000 / 1e3
    from geographiclib.geodesic import Geodesic

    started = clock()
    for _ in range(2000):
        Geodesic.WGS84.Inverse(24.0, 106.5, 24.1, 106.6, Geodesic.DISTANCE)
    geographiclib_us = (clock() - started) / 2000 / 1e3

    # cProfile of the whole call, as the service makes it, to name the hot functions.
    profiler = cProfile.Profile()
    profiler.enable()
    ours_top = ours_top_call(radius_km, limit)
    for lat, lng in points:
        ours_top(lat, lng)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    top = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:15]
    hot = [
        {"function": f"{Path(f).name}:{line}({name})", "calls_per_query": nc / len(points),
         "self_ms_per_query": tt * 1000 / len(points), "self_share": tt / total}
        for (f, line, name), (_cc, nc, tt, _ct, _callers) in top
    ]

    med = {k: float(np.median(v)) for k, v in stages.items()}
    return {
        "queries": len(points),
        "median_ms": med,
        "derived_median_ms": {
            "orm_rows": med["orm_fetch"] - med["compile_sql"] - med["db_execute_fetch"],
            "refine_after_fetch": med["arrays_near"] - med["orm_fetch"],
            "driver_and_network": med["db_execute_fetch"] - med["server_execution_ours"],
        },
        "geodesic_points_mean": {k: float(np.mean(v)) for k, v in geodesic_calls.items()},
        "geodesic_us_per_call": geodesic_us,
        "geographiclib_direct_us_per_call": geographiclib_us,
        "cprofile_top_self_time": hot,
        "plans": plans,
    }


# --- report --------------------------------------------------------------------------------


def markdown(report: dict) -> str:
    cfg, res = report["config"], report["results"]
    lines = [
        f"{report['dataset']['villages']:,} villages (synthetic national set, seed {cfg['seed']}), "
        f"{cfg['queries']} queries after {cfg['warmup']} warm-up, radius {cfg['radius_km']:g} km, "
        f"one client, one connection, contenders {cfg['order']}.",
        "",
        "| query | p50 ms | p95 ms | p99 ms | mean ms | queries/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, label in LABELS.items():
        s = res[key]
        lines.append(f"| {label.format(limit=cfg['limit'], radius=cfg['radius_km'])} | {s['p50_ms']:.2f} | "
                     f"{s['p95_ms']:.2f} | {s['p99_ms']:.2f} | {s['mean_ms']:.2f} | {s['throughput_qps']:.0f} |")
    lines += ["", "| ratio ours / PostGIS | p50 | p95 | p99 |", "|---|---:|---:|---:|"]
    for key, r in report["ratios"].items():
        lines.append(f"| {key} | {r['p50']:.2f}× | {r['p95']:.2f}× | {r['p99']:.2f}× |")
    c, a = report["correctness"], report["averages"]
    lines += [
        "",
        f"- candidates fetched per query (ours, cell ranges + bbox): {a['candidates']:.0f}; "
        f"within {cfg['radius_km']:g} km: {a['within_radius']:.0f}; top-{cfg['limit']} page: {a['page']:.2f} rows",
        f"- top-{cfg['limit']} mismatches vs PostGIS spheroid order: {c['top_mismatches']} "
        f"(max distance difference {c['max_distance_difference_m'] * 1000:.4f} mm)",
        f"- all-within mismatches vs ST_DWithin: {c['all_within_mismatches']} "
        f"(boundary ties within 1 mm: {c['all_within_boundary_ties']})",
        f"- PostGIS KNN (sphere order) differs from its own spheroid order on "
        f"{c['postgis_knn_vs_spheroid_order_differences']} of {cfg['queries']} queries",
    ]
    gcs = report["full_gc_during_timing"]
    lines.append(
        f"- CPython full GC passes while timing ours: top {cfg['limit']} {gcs['ours_top']['count']} "
        f"(median {gcs['ours_top']['median_ms']:.0f} ms), all within {gcs['ours_all']['count']} "
        f"(median {gcs['ours_all']['median_ms']:.0f} ms); PostGIS rows: "
        f"{sum(v['count'] for k, v in gcs.items() if k.startswith('postgis'))}"
    )
    frozen = (report.get("profile") or {}).get("what_if_gc_freeze")
    if frozen:
        lines.append(
            "- what-if `gc.freeze()` after start-up: ours top "
            f"{cfg['limit']} p50/p95/p99 {frozen['ours_top']['p50_ms']:.2f}/{frozen['ours_top']['p95_ms']:.2f}/"
            f"{frozen['ours_top']['p99_ms']:.2f} ms, all within {frozen['ours_all']['p50_ms']:.2f}/"
            f"{frozen['ours_all']['p95_ms']:.2f}/{frozen['ours_all']['p99_ms']:.2f} ms"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=490_000, help="villages in the data set (the national set)")
    parser.add_argument("--counties", type=int, default=2_800, help="county seats the villages cluster around")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--radius-km", type=float, default=30.0)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile-queries", type=int, default=100)
    parser.add_argument("--no-install", action="store_true", help="fail instead of apt-get installing PostGIS")
    parser.add_argument("--blocks", action="store_true",
                        help="time each contender on all points in turn instead of interleaving them per point")
    args = parser.parse_args()
    run_started = time.perf_counter()
    load_before = os.getloadavg()
    if load_before[0] > 0.5:
        log(f"warning: load average {load_before[0]:.2f} before the run; other work will skew the timings")

    url = benchdb.setup(log=log)
    log(f"bench database: {url}")
    postgis_version = ensure_postgis(install=not args.no_install)

    from bench.datasets.national import ensure_national

    dataset = ensure_national(args.seed, args.points, args.counties, log=log)
    geog = ensure_geog_table(dataset.build_id)

    points = query_points(args.seed, args.warmup + args.queries)
    warmup, points = points[: args.warmup], points[args.warmup :]
    contenders = make_contenders(args.radius_km, args.limit)
    log(f"timing {', '.join(contenders)} on {len(points)} points "
        f"({'interleaved' if not args.blocks else 'one contender after another'}) ...")
    times, results, full_gc = measure(contenders, points, warmup, interleave=not args.blocks)
    log("checking answers against PostGIS ...")
    correctness = check(points, results, args.radius_km)

    from core.near import near_filter
    from villages.models import Area

    candidates = [Area.objects.filter(level="village").filter(near_filter(lat, lng, args.radius_km)).count()
                  for lat, lng in points]
    averages = {
        "candidates": float(np.mean(candidates)),
        "within_radius": float(np.mean([len(r) for r in results["ours_all"]])),
        "within_radius_p99": float(np.percentile([len(r) for r in results["ours_all"]], 99)),
        "page": float(np.mean([len(r) for r in results["ours_top"]])),
        "queries_with_fewer_than_limit": int(sum(len(r) < args.limit for r in results["ours_top"])),
    }
    summary = {name: summarize(ms) for name, ms in times.items()}

    def ratio(a: str, b: str) -> dict:
        return {p: summary[a][f"{p}_ms"] / summary[b][f"{p}_ms"] for p in ("p50", "p95", "p99")}

    ratios = {
        f"top {args.limit}: ours / PostGIS KNN + radius": ratio("ours_top", "postgis_knn_radius"),
        f"top {args.limit}: ours / PostGIS spheroid order": ratio("ours_top", "postgis_exact"),
        f"all within {args.radius_km:g} km: ours / PostGIS ST_DWithin": ratio("ours_all", "postgis_all"),
    }
    profile_report = None
    headline = next(iter(ratios.values()))
    log(f"profiling ours on {args.profile_queries} queries (ratio p50 {headline['p50']:.1f}×) ...")
    profile_report = profile(points[: args.profile_queries], args.radius_km, args.limit)

    # What-if, after everything else (it changes this process for good): the start-up objects
    # frozen out of the collector, as a service worker could do once after django.setup().
    log("what-if: ours again after gc.freeze() ...")
    gc.collect()
    gc.freeze()
    ours_only = {name: contenders[name] for name in ("ours_top", "ours_all")}
    ms, _results, collections = measure(ours_only, points, warmup, interleave=not args.blocks)
    frozen = {name: {**summarize(ms[name]), "full_gc": collections[name]} for name in ours_only}
    gc.unfreeze()
    profile_report["what_if_gc_freeze"] = frozen

    report = {
        "benchmark": "geo_near",
        "config": {"points": args.points, "counties": args.counties, "queries": len(points),
                   "warmup": len(warmup), "radius_km": args.radius_km, "limit": args.limit, "seed": args.seed,
                   "jitter_km": JITTER_KM, "tie_tolerance_m": TIE_TOLERANCE_M,
                   "order": "blocks" if args.blocks else "interleaved"},
        "machine": machine(),
        "postgis_extension": postgis_version,
        "dataset": {**dataset.__dict__, "geog_table": geog},
        "results": summary,
        "full_gc_during_timing": full_gc,
        "samples_ms": {name: [round(float(v), 4) for v in ms] for name, ms in times.items()},
        "ratios": ratios,
        "averages": averages,
        "correctness": correctness,
        "profile": profile_report,
        "labels": {k: v.format(limit=args.limit, radius=args.radius_km) for k, v in LABELS.items()},
        "run_seconds": time.perf_counter() - run_started,
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    table = markdown(report)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "geo_near.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    (OUT_DIR / "geo_near.md").write_text(table + "\n", encoding="utf-8")
    log("")
    log(table)
    prof = profile_report["median_ms"]
    der = profile_report["derived_median_ms"]
    calls = profile_report["geodesic_points_mean"]
    log("")
    log("where ours spends its time (median per query, ms): "
        f"compile SQL {prof['compile_sql']:.2f}, database+driver {prof['db_execute_fetch']:.2f} "
        f"(server {prof['server_execution_ours']:.2f}), ORM rows {der['orm_rows']:.2f}, "
        f"refine {der['refine_after_fetch']:.2f}, page {prof['nearest_page_of']:.2f}, "
        f"page values {prof['with_values']:.2f}; "
        f"points measured on the ellipsoid (vectorised) {calls['arrays_near']:.1f} + {calls['nearest_page_of']:.1f}; "
        f"one geodesic_m call {profile_report['geodesic_us_per_call']:.0f} µs")
    m = report["machine"]
    log(f"machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gb']} GB RAM; {m['postgresql'].split(' on ')[0]}; "
        f"PostGIS {m['postgis']['lib']}")
    log(f"wrote {OUT_DIR / 'geo_near.json'} in {report['run_seconds']:.0f} s total")


if __name__ == "__main__":
    main()
