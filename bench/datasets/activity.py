"""Synthetic national activity on top of the areas and commissioners: what a few years of the
programme leave in the database, for the benchmarks that read it (coverage, targets, near problems).

Default sizes (Issue 9): 100,000 open problems, 3,000,000 check-ins, 1,000,000 trainings and
500,000 dispatches. Deterministic from a seed:

* villages are reached unevenly, as in the demo data: two in three get any service, a few get most
  of it (Pareto weights); the commissioner of each row is drawn at random;
* check-ins, trainings and dispatches fall between 2021-01-01 and today (Asia/Shanghai), 90 % of
  check-ins verified; trainings have 5-80 trainees; dispatches last 30-180 days and are once per
  (commissioner, village, start day), as the database requires;
* open problems were posted in the last 60 days, at their village's position, one of the twelve
  categories, by one synthetic bureau user (``19800000000``), who also dispatches.

Rows go in with ``COPY`` in the columns the services write (flags, cell, client ids included).
``ensure_activity()`` records the build in ``bench_dataset`` (name ``activity``) keyed on the
commissioners' build; the same arguments reuse it, anything else replaces it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from bench.datasets.commissioners import CommissionerSet
from bench.datasets.national import CODE_PREFIX, PROVINCE_CITY
from geo.cells import cell_of

GENERATOR_VERSION = 1
DATASET_NAME = "activity"
STAFF_PHONE = "19800000000"
SHANGHAI_OFFSET = timedelta(hours=8)
PLAN_START = date(2021, 1, 1)


@dataclass(frozen=True)
class ActivitySet:
    problems: int
    checkins: int
    trainings: int
    dispatches: int
    staff_id: int
    build_id: str
    build_seconds: float
    built_now: bool


def delete_activity(cursor) -> int:
    """Remove every synthetic activity row (they all sit in synthetic villages, codes ``9...``)."""
    like = [CODE_PREFIX + "%"]
    deleted = 0
    for table in ("commissioners_checkin", "trainings_training", "commissioners_dispatch"):
        cursor.execute(f"DELETE FROM {table} WHERE village_id LIKE %s", like)
        deleted += cursor.rowcount
    synthetic_problems = "SELECT id FROM problems_problem WHERE village_id LIKE %s"
    for table in ("problems_problemevent", "problems_claim"):
        cursor.execute(f"DELETE FROM {table} WHERE problem_id IN ({synthetic_problems})", like)
    cursor.execute("DELETE FROM problems_problem WHERE village_id LIKE %s", like)
    deleted += cursor.rowcount
    cursor.execute("DELETE FROM accounts_user WHERE phone = %s", [STAFF_PHONE])
    cursor.execute("DELETE FROM bench_dataset WHERE name = %s", [DATASET_NAME])
    return deleted


def _existing(cursor, people: CommissionerSet, seed: int, sizes: tuple[int, int, int, int]) -> ActivitySet | None:
    cursor.execute("SELECT generator_version, seed, build_id, build_seconds, cities, counties, townships, villages"
                   " FROM bench_dataset WHERE name = %s", [DATASET_NAME])
    row = cursor.fetchone()
    # bench_dataset's columns reused: cities = problems, counties = check-ins, townships = trainings,
    # villages = dispatches; the commissioners' build_id is embedded in ours.
    if row is None or row[0] != GENERATOR_VERSION or row[1] != seed or tuple(row[4:8]) != sizes:
        return None
    if not row[2].startswith(people.build_id + ":"):
        return None
    cursor.execute("SELECT id FROM accounts_user WHERE phone = %s", [STAFF_PHONE])
    staff = cursor.fetchone()
    if staff is None:
        return None
    return ActivitySet(*sizes, staff[0], row[2], row[3], built_now=False)


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.bytes(16 * n)
    return [str(uuid.UUID(bytes=raw[i * 16:(i + 1) * 16], version=4)) for i in range(n)]


def _instants(rng: np.random.Generator, n: int, start: datetime, end: datetime) -> np.ndarray:
    """n instants uniform in [start, end), as numpy datetime64[s] in UTC."""
    lo, hi = np.datetime64(start.replace(tzinfo=None), "s"), np.datetime64(end.replace(tzinfo=None), "s")
    return lo + (rng.random(n) * (hi - lo).astype(np.int64)).astype("timedelta64[s]")


def ensure_activity(people: CommissionerSet, seed: int = 1, problems: int = 100_000, checkins: int = 3_000_000,
                    trainings: int = 1_000_000, dispatches: int = 500_000, *,
                    log: Callable[[str], None] = print) -> ActivitySet:
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.datasets.national import _MARKER_DDL
    from villages.services import CATEGORIES

    sizes = (problems, checkins, trainings, dispatches)
    with connection.cursor() as cursor:
        cursor.execute(_MARKER_DDL)
        found = _existing(cursor, people, seed, sizes)
    if found is not None:
        log(f"activity: reusing {problems:,} problems, {checkins:,} check-ins, {trainings:,} trainings, "
            f"{dispatches:,} dispatches (built in {found.build_seconds:.0f} s)")
        return found

    started = time.perf_counter()
    log(f"activity: generating {problems:,} problems, {checkins:,} check-ins, {trainings:,} trainings, "
        f"{dispatches:,} dispatches ...")
    rng = np.random.default_rng([seed, 13])
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, lat, lng FROM villages_area WHERE level = 'village' AND code LIKE %s"
                       " ORDER BY code", [CODE_PREFIX + "%"])
        rows = cursor.fetchall()
    codes = np.array([r[0] for r in rows])
    v_lat, v_lng = np.array([r[1] for r in rows]), np.array([r[2] for r in rows])
    reached = rng.permutation(len(codes))[: len(codes) * 2 // 3]
    weights = rng.pareto(1.5, len(reached)) + 1.0
    weights /= weights.sum()
    categories = np.array([c[0] for c in CATEGORIES])
    now = timezone.now()
    plan_start = datetime(2021, 1, 1) - SHANGHAI_OFFSET  # 2021-01-01 00:00 in Shanghai, as UTC
    commissioners = people.first_id + np.arange(people.count)

    def villages_for(n: int) -> np.ndarray:
        return reached[rng.choice(len(reached), size=n, p=weights)]

    with transaction.atomic(), connection.cursor() as cursor:
        removed = delete_activity(cursor)
        if removed:
            log(f"  deleted {removed:,} synthetic activity rows of a previous build")
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, phone, name, role, is_active, is_staff, date_joined,"
            " area_id, session_version, password_change_required)"
            " VALUES ('!bench-synthetic', false, %s, '合成科技局', 'bureau', true, false, now(), %s, 0, false)"
            " RETURNING id", [STAFF_PHONE, PROVINCE_CITY])
        staff_id = cursor.fetchone()[0]
        copy = cursor.cursor.copy

        # Check-ins.
        t0 = time.perf_counter()
        idx = villages_for(checkins)
        who = rng.choice(commissioners, checkins)
        at = _instants(rng, checkins, plan_start, now)
        d = rng.gamma(2.0, 300.0, checkins)
        lat = np.round(v_lat[idx] + rng.normal(0, 0.002, checkins), 6)
        lng = np.round(v_lng[idx] + rng.normal(0, 0.002, checkins), 6)
        verified = rng.random(checkins) < 0.9
        outside = json.dumps(["outside_fence"])
        details = json.dumps({"outside_fence": {"distance_m": 3500}})
        with copy("COPY commissioners_checkin (client_id, lat, lng, accuracy_m, occurred_at, note, distance_m, flags,"
                  " flag_details, verified, created_at, commissioner_id, village_id, position_coarsened)"
                  " FROM STDIN") as cp:
            for i, cid in enumerate(_uuids(rng, checkins)):
                ok = bool(verified[i])
                when = f"{at[i]}+00"
                cp.write_row((cid, float(lat[i]), float(lng[i]), 15.0, when, "", float(d[i]) if ok else 3500.0,
                              "[]" if ok else outside, "{}" if ok else details, ok, when, int(who[i]),
                              codes[idx[i]], False))
        log(f"  {checkins:,} check-ins in {time.perf_counter() - t0:.0f} s")

        # Trainings.
        t0 = time.perf_counter()
        idx = villages_for(trainings)
        who = rng.choice(commissioners, trainings)
        at = _instants(rng, trainings, plan_start, now)
        heads = rng.integers(5, 81, trainings)
        female = (heads * rng.uniform(0.2, 0.6, trainings)).astype(int)
        poor = (heads * rng.uniform(0.0, 0.3, trainings)).astype(int)
        hours = rng.choice([1.0, 1.5, 2.0, 3.0, 4.0], trainings)
        cats = categories[rng.integers(0, len(categories), trainings)]
        with copy("COPY trainings_training (client_id, topic, started_at, duration_hours, headcount, female_count,"
                  " poverty_household_count, lat, lng, created_at, category_id, commissioner_id, village_id, mode)"
                  " FROM STDIN") as cp:
            for i, cid in enumerate(_uuids(rng, trainings)):
                when = f"{at[i]}+00"
                cp.write_row((cid, "合成培训", when, float(hours[i]), int(heads[i]), int(female[i]), int(poor[i]),
                              float(v_lat[idx[i]]), float(v_lng[idx[i]]), when, str(cats[i]), int(who[i]),
                              codes[idx[i]], "lecture"))
        log(f"  {trainings:,} trainings in {time.perf_counter() - t0:.0f} s")

        # Dispatches: once per (commissioner, village, start day).
        t0 = time.perf_counter()
        idx = villages_for(dispatches)
        who = rng.choice(commissioners, dispatches)
        days = (now.date() - PLAN_START).days
        starts = rng.integers(0, days, dispatches)
        keys = np.unique(np.stack([who, idx, starts], axis=1), axis=0)
        lengths = rng.integers(30, 181, len(keys))
        with copy("COPY commissioners_dispatch (starts_on, ends_on, note, created_at, commissioner_id,"
                  " dispatched_by_id, village_id, programme, sending_unit) FROM STDIN") as cp:
            for (c, v, s), n in zip(keys.tolist(), lengths.tolist(), strict=True):
                start = PLAN_START + timedelta(days=s)
                cp.write_row((start, start + timedelta(days=n), "", now, c, staff_id, codes[v], "commissioner", ""))
        dispatches_made = len(keys)
        log(f"  {dispatches_made:,} dispatches in {time.perf_counter() - t0:.0f} s")

        # Open problems, posted in the last 60 days.
        t0 = time.perf_counter()
        idx = rng.integers(0, len(codes), problems)  # problems come from anywhere, served or not
        at = _instants(rng, problems, now - timedelta(days=60), now)
        cats = categories[rng.integers(0, len(categories), problems)]
        urgency = rng.choice(["low", "normal", "normal", "high"], problems)
        with copy("COPY problems_problem (client_id, title, description, urgency, lat, lng, cell, status,"
                  " resolution_summary, rating_comment, created_at, updated_at, category_id, posted_by_id,"
                  " village_id) FROM STDIN") as cp:
            for i, cid in enumerate(_uuids(rng, problems)):
                la, ln = float(v_lat[idx[i]]), float(v_lng[idx[i]])
                when = f"{at[i]}+00"
                cp.write_row((cid, "合成难题", "合成", str(urgency[i]), la, ln, cell_of(la, ln), "open", "", "",
                              when, when, str(cats[i]), staff_id, codes[idx[i]]))
        log(f"  {problems:,} problems in {time.perf_counter() - t0:.0f} s")

        build_id = f"{people.build_id}:{uuid.uuid4().hex}"
        # The marker records the sizes asked for (a second call with them reuses the set).
        cursor.execute(
            "INSERT INTO bench_dataset (name, generator_version, seed, cities, counties, townships, villages,"
            " build_id, build_seconds) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0)",
            [DATASET_NAME, GENERATOR_VERSION, seed, *sizes, build_id])
    with connection.cursor() as cursor:
        for table in ("commissioners_checkin", "trainings_training", "commissioners_dispatch", "problems_problem",
                      "stats_coverageperiod"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        elapsed = time.perf_counter() - started
        cursor.execute("UPDATE bench_dataset SET build_seconds = %s WHERE name = %s", [elapsed, DATASET_NAME])
    log(f"  activity built in {elapsed:.0f} s")
    return ActivitySet(problems, checkins, trainings, dispatches_made, staff_id, build_id, elapsed, built_now=True)
