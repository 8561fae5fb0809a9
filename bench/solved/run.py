"""The library of solved problems at national scale: search and "similar" on PostgreSQL (Issue 16).

One command:

    .venv/bin/python bench/solved/run.py [--problems 100000] [--queries 300] [--seed 1]

1. Its own database ``kjtpy_bench_solved`` (created and migrated when missing): Baise's areas and
   categories, one township staff member and one commissioner, and ``--problems`` closed problems with
   realistic Chinese titles, descriptions and resolutions (bench/solved/corpus.py: the plan's
   industries and their pests and diseases — 芒果炭疽病, 柑橘黄龙病, 香蕉枯萎病, 油茶炭疽病, 八角炭疽病,
   生猪疫病 … — and noise text), plus a tenth as many open ones. Copied in with ``COPY`` and reused while
   the seed and size match.
2. Times, per query class, ``--queries`` calls of the selectors the endpoints call (everything but HTTP and
   JSON, including loading the page's problems): ``solved_search(q=…, limit=20)`` for 2-character terms
   (the LIKE fallback: no trigram index can serve them), 3-character terms and 4+-character terms, each
   also with a category; ``solved_similar(problem, limit=5)`` for open problems (what `/similar` answers;
   the detail asks for 3). Then, through the real URL stack (as the bureau), ``GET /api/v1/problems/solved?q=`` and
   ``GET /api/v1/problems/{id}/similar`` for a share of them.
3. Prints a markdown table; writes ``bench/out/solved.md`` and ``bench/out/solved.json``, with the
   plans of one query of each class and the database's LC_CTYPE.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import data_set_once, log, summarize  # noqa: E402
from bench.datasets import benchdb  # noqa: E402
from bench.solved.corpus import INDUSTRIES, solved_problems  # noqa: E402

OUT_DIR = REPO_ROOT / "bench" / "out"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kjtpy_bench_solved"
GOAL_MS = 50.0

TWO = ["炭疽", "黄龙", "枯萎", "疫病", "芒果", "柑橘", "香蕉", "油茶", "八角", "生猪", "红蜘", "溃疡", "落果", "发黄"]
THREE = ["炭疽病", "黄龙病", "枯萎病", "溃疡病", "红蜘蛛", "白粉病", "蓝耳病", "霜霉病", "小绿叶", "微粒子",
         "新城疫", "茶饼病", "根腐病", "软腐病"]
LONG = ["芒果炭疽病", "柑橘黄龙病", "香蕉枯萎病", "油茶炭疽病", "八角炭疽病", "生猪疫病", "沃柑溃疡病",
        "家蚕微粒子病", "甘蔗黑穗病", "茶树小绿叶蝉", "林下鸡新城疫", "喷施咪鲜胺", "叶片出现黑褐色斑点"]


def build(count: int, seed: int) -> dict:
    """The data set, built once per (count, seed); returns how it was built."""
    from django.db import connection

    from accounts.models import Role, User
    from problems.models import Problem
    from villages.models import Area
    from villages.services import areas_import, categories_seed

    build_id = f"solved:{count}:{seed}"

    def fill() -> None:
        table = Problem._meta.db_table
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {table} CASCADE")
        if not Area.objects.filter(level="village").exists():
            areas_import()
        categories_seed()
        staff, _ = User.objects.get_or_create(phone="13900000001", defaults={
            "name": "乡镇工作人员", "role": Role.TOWNSHIP_STAFF, "area_id": "451002001"})
        villages = list(Area.objects.filter(level="village").values_list("code", "lat", "lng", "cell"))
        rng = random.Random(seed)
        first = datetime(2021, 1, 1, tzinfo=UTC)
        columns = ["client_id", "posted_by_id", "village_id", "category_id", "title", "description", "urgency",
                   "lat", "lng", "cell", "status", "resolution_summary", "resolved_at", "rating", "rating_comment",
                   "closed_at", "created_at", "updated_at"]
        opened = count // 10
        with connection.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for i, (category, title, description, resolution, rating) in enumerate(
                    solved_problems(count + opened, seed)):
                code, lat, lng, cell = rng.choice(villages)
                created = first + timedelta(minutes=25 * i)
                closing = i < count
                done = created + timedelta(days=rng.randint(1, 20))
                copy.write_row([uuid.UUID(int=rng.getrandbits(128)), staff.pk, code, category, title, description,
                                "normal", lat, lng, cell, "closed" if closing else "open",
                                resolution if closing else "", done if closing else None, rating if closing else None,
                                "", done if closing else None, created, done])
        with connection.cursor() as cur:
            cur.execute(f"VACUUM (ANALYZE) {table}")

    return data_set_once("bench_solved_meta", build_id, fill)


def timed(fn, args_list) -> np.ndarray:
    times = []
    for args in args_list:
        started = time.perf_counter_ns()
        fn(*args)
        times.append((time.perf_counter_ns() - started) / 1e6)
    return np.array(times)


def plans(queries: dict[str, str]) -> dict[str, str]:
    from django.db import connection

    from problems.library import _pg_search

    out = {}
    for label, q in queries.items():
        sql, params = _pg_search([q], None)
        with connection.cursor() as cur:
            cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql} LIMIT 20 OFFSET 0", params)
            out[label] = "\n".join(row[0] for row in cur.fetchall())
    return out


def database_facts() -> dict:
    from django.db import connection

    from problems.models import Problem

    table = Problem._meta.db_table
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        version = cur.fetchone()[0]
        cur.execute("SELECT datctype, datcollate FROM pg_database WHERE datname = current_database()")
        ctype, collate = cur.fetchone()
        cur.execute("SELECT array_length(show_trgm('芒果炭疽病'), 1)")
        trigrams = cur.fetchone()[0]
        cur.execute("SELECT indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_index "
                    "WHERE indrelid = %s::regclass ORDER BY 1", [table])
        indexes = dict(cur.fetchall())
        cur.execute(f"SELECT pg_size_pretty(pg_relation_size('{table}')), COUNT(*) FILTER (WHERE status = 'closed'), "
                    f"COUNT(*) FROM {table}")
        heap, closed, rows = cur.fetchone()
        cur.execute("SHOW max_parallel_workers_per_gather")
        parallel = cur.fetchone()[0]
    return {"postgresql": version, "lc_ctype": ctype, "lc_collate": collate, "trigrams_of_芒果炭疽病": trigrams,
            "indexes": indexes, "table_size": heap, "closed": closed, "rows": rows,
            "max_parallel_workers_per_gather": parallel, "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--http", type=int, default=100, help="requests per class through the URL stack")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    benchdb.setup(DEFAULT_URL, log=log)
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["*"]
    from django.test import Client

    from accounts.models import User
    from accounts.tokens import access_token_for
    from problems.library import solved_search, solved_similar
    from problems.models import Problem

    load_before = os.getloadavg()
    built = build(args.problems, args.seed)
    facts = database_facts()
    log(f"{facts['closed']:,} closed of {facts['rows']:,} problems; LC_CTYPE {facts['lc_ctype']}; "
        f"pg_trgm makes {facts['trigrams_of_芒果炭疽病']} trigrams of 芒果炭疽病")

    rng = random.Random(args.seed + 7)
    n = args.queries
    categories = sorted(INDUSTRIES)
    probes = list(Problem.objects.filter(status="open").select_related("village").order_by("?")[:n])
    def category_of(term: str) -> str:
        """A category whose crops or troubles hold the term, as a user who picked one would have."""
        holding = [code for code, crops in INDUSTRIES.items()
                   if any(term in crop + "".join(troubles) for crop, troubles in crops)]
        return rng.choice(holding or categories)

    pairs = [(crop, trouble) for crops in INDUSTRIES.values() for crop, troubles in crops for trouble in troubles]

    def two_terms() -> str:
        crop, trouble = rng.choice(pairs)
        return f"{trouble} {crop[:2]}"  # 炭疽病 芒果: a trouble and a crop, as typed

    classes = {
        "2 characters (LIKE fallback)": [(rng.choice(TWO), None) for _ in range(n)],
        "2 characters + its category": [(t, category_of(t)) for t in (rng.choice(TWO) for _ in range(n))],
        "3 characters (trigram index)": [(rng.choice(THREE), None) for _ in range(n)],
        "3 characters + its category": [(t, category_of(t)) for t in (rng.choice(THREE) for _ in range(n))],
        "4+ characters (trigram index)": [(rng.choice(LONG), None) for _ in range(n)],
        "2 terms (a trouble and a crop)": [(two_terms(), None) for _ in range(n)],
        "no query, a category (most recent)": [("", rng.choice(categories)) for _ in range(n)],
    }
    results = {}
    for label, calls in classes.items():
        for q, c in calls[:10]:
            solved_search(q=q, category=c, limit=20)  # warm the caches
        counts = [solved_search(q=q, category=c, limit=20)[0] for q, c in calls[:30]]
        ms = timed(lambda q, c: solved_search(q=q, category=c, limit=20), calls)
        results[label] = {**summarize(ms), "n": len(ms), "median_matches": float(np.median(counts))}
        log(f"  {label}: p50 {results[label]['p50_ms']:.1f} ms, p99 {results[label]['p99_ms']:.1f} ms "
            f"(median {results[label]['median_matches']:.0f} matches)")
    for limit, label in ((5, "similar (limit 5, /similar)"), (3, "similar (limit 3, in the detail)")):
        for p in probes[:10]:
            solved_similar(p, limit=limit)
        found = [len(solved_similar(p, limit=limit)) for p in probes[:30]]
        ms = timed(lambda p, limit=limit: solved_similar(p, limit=limit), [(p,) for p in probes])
        results[label] = {**summarize(ms), "n": len(ms), "median_matches": float(np.median(found))}
        log(f"  {label}: p50 {results[label]['p50_ms']:.1f} ms, p99 {results[label]['p99_ms']:.1f} ms")

    # Through the URL stack (authentication, validation, JSON), in process.
    bureau, _ = User.objects.get_or_create(phone="13900000002", defaults={
        "name": "市科技局", "role": "bureau", "area_id": "451000"})  # sees every problem's similar ones
    client = Client(HTTP_AUTHORIZATION=f"Bearer {access_token_for(bureau)}")
    http = {}
    for label, paths in (
        ("GET /problems/solved?q= (2 characters)", [f"/api/v1/problems/solved?q={rng.choice(TWO)}"
                                                     for _ in range(args.http)]),
        ("GET /problems/solved?q= (3 characters)", [f"/api/v1/problems/solved?q={rng.choice(THREE)}"
                                                     for _ in range(args.http)]),
        ("GET /problems/solved?q= (4+ characters)", [f"/api/v1/problems/solved?q={rng.choice(LONG)}"
                                                      for _ in range(args.http)]),
        ("GET /problems/{id}/similar", [f"/api/v1/problems/{p.pk}/similar" for p in probes[: args.http]]),
    ):
        for path in paths[:5]:
            assert client.get(path).status_code == 200
        ms = timed(lambda path: client.get(path), [(p,) for p in paths])
        http[label] = {**summarize(ms), "n": len(ms)}
        log(f"  {label}: p50 {http[label]['p50_ms']:.1f} ms, p99 {http[label]['p99_ms']:.1f} ms")

    explained = plans({"2 characters": "炭疽", "3 characters": "炭疽病", "5 characters": "芒果炭疽病"})
    report = {"args": vars(args), "built": built, "database": facts, "selectors": results, "http": http,
              "plans": explained, "goal_ms": GOAL_MS, "nproc": os.cpu_count(),
              "load_average": {"before": load_before, "after": os.getloadavg()}}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "solved.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    md = markdown(report)
    (OUT_DIR / "solved.md").write_text(md, encoding="utf-8")
    print(md)


def markdown(report: dict) -> str:
    facts = report["database"]
    lines = [
        f"# The library of solved problems: {facts['closed']:,} closed problems ({facts['rows']:,} in all)",
        "",
        f"{facts['postgresql'].split(' on ')[0]}, LC_CTYPE `{facts['lc_ctype']}` (pg_trgm makes "
        f"{facts['trigrams_of_芒果炭疽病']} trigrams of 芒果炭疽病), table {facts['table_size']}, "
        f"max_parallel_workers_per_gather {facts['max_parallel_workers_per_gather']}. {report['nproc']} CPUs, "
        f"load average {report['load_average']['before'][0]:.1f} before and "
        f"{report['load_average']['after'][0]:.1f} after (other work on the machine slows every figure). "
        f"Goal: p50 and p99 under {report['goal_ms']:.0f} ms.",
        "",
        "| selector call (no HTTP) | n | median matches | p50 ms | p95 ms | p99 ms | max ms | goal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, r in report["selectors"].items():
        ok = "met" if r["p50_ms"] < report["goal_ms"] and r["p99_ms"] < report["goal_ms"] else "**missed**"
        lines.append(f"| {label} | {r['n']} | {r['median_matches']:,.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {ok} |")
    lines += ["", "| through the URL stack (in process) | n | p50 ms | p95 ms | p99 ms |",
              "| --- | --- | --- | --- | --- |"]
    for label, r in report["http"].items():
        lines.append(f"| {label} | {r['n']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} |")
    lines += ["", "Indexes: " + ", ".join(f"`{name}` {size}" for name, size in facts["indexes"].items()), ""]
    for label, plan in report["plans"].items():
        lines += [f"Plan, {label}:", "", "```", plan, "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
