"""Benchmark matching (GET /problems/{id}/matches) at national scale against PostGIS's nearest-10.

One command (Issue 5):

    .venv/bin/python bench/matching/run.py [--commissioners 300000] [--queries 300] [--seed 1]

1. Installs PostGIS into the local PostgreSQL if it is missing (for the anchor only; the
   service never needs it), builds or reuses the synthetic national area set (490,000 villages
   around 2,800 county seats, bench/datasets/national.py) and 300,000 synthetic commissioners
   (bench/datasets/commissioners.py) in ``kjtpy_bench``.
2. Copies the same commissioners into ``bench_commissioner_geog(user_id, category_id, available,
   geog)``, one row per field of expertise, under a GiST index (once per data set build).
   Then puts matching's read model in (category, home cell) order, as the nightly
   ``matching_recluster_task`` leaves it (commissioners/candidates.py), ≈10 s.
3. For ``--queries`` problems (a random village of the national set, a random category; built
   in memory with their village, as the endpoint has them after ``problem_get``), times,
   interleaved per problem on the same Django connection:
     - ours: ``matches_for(problem, limit=10)`` + ``expertise_of`` (everything the endpoint does
       but HTTP and JSON): hard filters, a best-first search scoring the candidates it reads, the top ten's names;
     - PostGIS, the anchor: the nearest 10 available commissioners with the category,
       ``WHERE available AND category_id = c ORDER BY geog <-> q LIMIT 10`` (GiST KNN);
     - PostGIS, plain: the nearest 10 commissioners, no filter at all.
4. Checks every one of ours against PostGIS (available, has the category, within reach, the
   distance reported) and counts the queries and candidates ours costs.
5. Prints a markdown table; writes ``bench/out/matching.json`` and ``bench/out/matching.md``.

Runs against ``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/kjtpy_bench).
"""

from __future__ import annotations

import argparse
import json
import os
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
Q = "ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326)::geography"
SQL_ANCHOR = (
    f"SELECT user_id, ST_Distance(geog, {Q}) FROM bench_commissioner_geog"
    f" WHERE available AND category_id = %(category)s ORDER BY geog <-> {Q} LIMIT 10"
)
SQL_PLAIN = (
    f"SELECT user_id, ST_Distance(geog, {Q}) FROM bench_commissioner_geog ORDER BY geog <-> {Q} LIMIT 10"
)
SQL_CHECK = (
    f"SELECT user_id, ST_Distance(geog, {Q}, true) FROM bench_commissioner_geog"
    f" WHERE available AND category_id = %(category)s AND user_id = ANY(%(ids)s)"
)
LABELS = {
    "ours": "ours: matches_for + expertise_of (the endpoint without HTTP), top 10",
    "postgis_knn_filtered": "PostGIS: nearest 10 available with the category (GiST KNN)",
    "postgis_knn_plain": "PostGIS: nearest 10 commissioners, no filter (GiST KNN)",
}


def ensure_geog_table(build_id: str) -> dict:
    """bench_commissioner_geog: each (commissioner, expertise) as a geography point, under GiST."""
    return ensure_anchor_tables("matching", build_id, ["bench_commissioner_geog"], [
        "CREATE TABLE bench_commissioner_geog AS SELECT p.user_id, e.category_id::text AS category_id,"
        " p.available, ST_SetSRID(ST_MakePoint(p.home_lng, p.home_lat), 4326)::geography(Point, 4326) AS geog"
        " FROM commissioners_commissionerprofile p"
        " JOIN commissioners_commissionerprofile_expertise e ON e.commissionerprofile_id = p.user_id"
        " JOIN accounts_user u ON u.id = p.user_id"
        " WHERE u.is_active AND p.home_lat IS NOT NULL ORDER BY p.user_id",
        "CREATE INDEX bench_commissioner_geog_gist ON bench_commissioner_geog USING gist (geog)",
    ])


def make_problems(seed: int, count: int) -> list:
    """Unsaved problems at random villages of the national set, with their village loaded."""
    from bench.datasets.national import CODE_PREFIX
    from problems.models import Problem
    from villages.models import Area
    from villages.services import CATEGORIES

    codes = list(Area.objects.filter(level="village", code__startswith=CODE_PREFIX).order_by("code")
                 .values_list("code", flat=True))
    rng = np.random.default_rng([seed, 11])
    picked = [codes[i] for i in rng.integers(0, len(codes), count)]
    villages = Area.objects.in_bulk(picked)
    categories = [c[0] for c in CATEGORIES]
    problems = []
    for code, k in zip(picked, rng.integers(0, len(categories), count).tolist(), strict=True):
        village = villages[code]
        problems.append(Problem(pk=None, village=village, category_id=categories[k], lat=village.lat,
                                lng=village.lng, cell=village.cell, title="bench", description="bench"))
    return problems


def make_contenders() -> dict:
    from django.db import connection

    from commissioners.selectors import expertise_of
    from problems.matching import matches_for

    def ours(problem):
        found = matches_for(problem, limit=10)
        expertise_of([m.commissioner_id for m in found])
        return found

    def sql(statement: str):
        def run(problem):
            with connection.cursor() as cur:
                cur.execute(statement, {"lat": problem.lat, "lng": problem.lng, "category": problem.category_id})
                return cur.fetchall()

        return run

    def ours_rows(found: list) -> list:
        return [(m.commissioner_id, m.distance_km, m.score) for m in found]

    def as_is(rows: list) -> list:
        return rows

    return {
        "ours": (ours, ours_rows),
        "postgis_knn_filtered": (sql(SQL_ANCHOR), as_is),
        "postgis_knn_plain": (sql(SQL_PLAIN), as_is),
    }


def check(problems: list, results: dict, max_km: float) -> dict:
    """Every match is an available expert within reach at the distance reported (PostGIS spheroid)."""
    from django.db import connection

    bad, distance_err, empty, nearest_in_top = [], 0.0, 0, 0
    for i, problem in enumerate(problems):
        ours = results["ours"][i]
        if not ours:
            empty += 1
            continue
        ids = [cid for cid, _, _ in ours]
        with connection.cursor() as cur:
            cur.execute(SQL_CHECK, {"lat": problem.lat, "lng": problem.lng, "category": problem.category_id,
                                    "ids": ids})
            truth = {uid: d / 1000.0 for uid, d in cur.fetchall()}
        for cid, km, _ in ours:
            if cid not in truth or truth[cid] > max_km + 1e-6:
                bad.append({"query": i, "commissioner": cid, "reported_km": km, "postgis_km": truth.get(cid)})
            else:
                distance_err = max(distance_err, abs(truth[cid] - km))
        nearest = results["postgis_knn_filtered"][i]
        if nearest and nearest[0][0] in ids:
            nearest_in_top += 1
    return {"invalid_matches": len(bad), "invalid_examples": bad[:5], "queries_without_match": empty,
            "max_distance_difference_m": distance_err * 1000.0, "nearest_expert_in_our_top10": nearest_in_top}


def costs(problems: list) -> dict:
    """Queries and candidates per call of ours (a separate pass: counting costs time)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import near
    from problems import audience, matching

    seen: list[int] = []
    original = near.arrays_near

    def counting(*args, **kwargs):
        found = original(*args, **kwargs)
        seen.append(len(found))
        return found

    queries = []
    audience.arrays_near = counting
    try:
        for problem in problems:
            with CaptureQueriesContext(connection) as ctx:
                matching.matches_for(problem, limit=10)
            queries.append(len(ctx.captured_queries))
    finally:
        audience.arrays_near = original
    return {"queries_per_call": {"min": min(queries), "max": max(queries)},
            "candidates_scored": {"mean": float(np.mean(seen)), "p50": float(np.percentile(seen, 50)),
                                  "max": int(max(seen))},
            "near_calls_per_match": len(seen) / len(problems)}


def markdown(report: dict) -> str:
    cfg, res = report["config"], report["results"]
    lines = [
        f"{report['dataset']['commissioners']:,} commissioners ({report['dataset']['expertise_rows']:,} fields of "
        f"expertise) over {report['dataset']['villages']:,} villages (synthetic national set, seed {cfg['seed']}); "
        f"{cfg['queries']} problems at random villages and categories after {cfg['warmup']} warm-up; one client, "
        f"one connection, interleaved; reach (max_km) {cfg['max_km']:g} km.",
        "",
        "| query | p50 ms | p95 ms | p99 ms | mean ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in LABELS.items():
        s = res[key]
        lines.append(f"| {label} | {s['p50_ms']:.2f} | {s['p95_ms']:.2f} | {s['p99_ms']:.2f} | {s['mean_ms']:.2f} |")
    lines += ["", "| ratio ours / PostGIS | p50 | p95 | p99 |", "|---|---:|---:|---:|"]
    for key, r in report["ratios"].items():
        lines.append(f"| {key} | {r['p50']:.2f}× | {r['p95']:.2f}× | {r['p99']:.2f}× |")
    c, k = report["correctness"], report["costs"]
    lines += [
        "",
        f"- queries per call of ours: {k['queries_per_call']['min']}-{k['queries_per_call']['max']}; candidates "
        f"scored per call: mean {k['candidates_scored']['mean']:.0f}, p50 {k['candidates_scored']['p50']:.0f}, "
        f"max {k['candidates_scored']['max']}",
        f"- invalid matches (not available, lacking the category, out of reach, per PostGIS): {c['invalid_matches']}; "
        f"max distance difference vs PostGIS spheroid: {c['max_distance_difference_m']:.4f} m; problems without "
        f"any match: {c['queries_without_match']}",
        f"- PostGIS's nearest available expert is in our top 10 on {c['nearest_expert_in_our_top10']} of "
        f"{cfg['queries']} problems (the rest rank others higher on workload, record or county)",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--commissioners", type=int, default=300_000)
    parser.add_argument("--villages", type=int, default=490_000)
    parser.add_argument("--counties", type=int, default=2_800)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-install", action="store_true", help="fail instead of installing PostGIS")
    args = parser.parse_args()

    url = benchdb.setup(log=log)
    from django.conf import settings

    from bench.datasets.commissioners import ensure_commissioners
    from bench.datasets.national import ensure_national
    from commissioners.candidates import candidates_recluster

    postgis = ensure_postgis(install=not args.no_install)
    national = ensure_national(args.seed, args.villages, args.counties, log=log)
    people = ensure_commissioners(national, args.seed, args.commissioners, log=log)
    geog = ensure_geog_table(people.build_id)
    # The read model as the nightly maintenance leaves it: in (category, home cell) order.
    started = time.perf_counter()
    candidates_recluster()
    recluster_s = time.perf_counter() - started
    log(f"matching's read model reclustered in {recluster_s:.1f} s")
    problems = make_problems(args.seed, args.queries + args.warmup)
    warmup, timed = problems[: args.warmup], problems[args.warmup :]
    log(f"timing {len(timed)} problems x {len(LABELS)} contenders ...")
    load_before = os.getloadavg()
    times, results, gcs = measure(make_contenders(), [(p,) for p in timed], [(p,) for p in warmup], True)
    load_after = os.getloadavg()
    res = {name: summarize(ms) for name, ms in times.items()}
    ratios = {
        f"ours / {anchor}": {q: res["ours"][f"{q}_ms"] / res[anchor][f"{q}_ms"] for q in ("p50", "p95", "p99")}
        for anchor in ("postgis_knn_filtered", "postgis_knn_plain")
    }
    report = {
        "benchmark": "matching",
        "database": url.rsplit("@", 1)[-1],
        "config": {"seed": args.seed, "queries": len(timed), "warmup": len(warmup), "limit": 10,
                   "max_km": settings.PROBLEM_REACH_KM},
        "dataset": {"villages": national.villages, "counties": national.counties,
                    "commissioners": people.count, "expertise_rows": people.expertise_rows,
                    "postgis_table_build_seconds": geog["build_seconds"],
                    "read_model_recluster_seconds": round(recluster_s, 1)},
        "results": res,
        "ratios": ratios,
        "correctness": check(timed, results, settings.PROBLEM_REACH_KM),
        "costs": costs(timed[:100]),
        "full_gc_during_timing": gcs,
        "machine": {**machine(), "postgis_extension": postgis},
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "matching.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    text = markdown(report)
    (OUT_DIR / "matching.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
