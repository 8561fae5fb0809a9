"""Synthetic commissioners at national scale, on top of the national area set (national.py).

China has about 300,000 science-and-technology commissioners. This places them the way
programmes do: about half based in a county seat (a county bureau, an agricultural
extension station: N(seat, 4 km)), the other half in a village (within 2 km of it). Each has
1 to 3 fields of expertise drawn from the contract's twelve categories (field crops and
livestock commoner than e-commerce), and 85% are available. Deterministic from a seed.

Rows go in as the service writes them: a ``commissioner`` user (phone ``1970`` + 7 digits,
an unusable password, ``area`` = the village or county they are based in) with a
``CommissionerProfile`` whose ``home_lat``/``home_lng``/``home_cell`` are all set, and the
expertise through table. Loading uses ``COPY`` (300,000 people in well under a minute).

``ensure_commissioners()`` records what it built in ``bench_dataset`` under the name
``commissioners``, keyed on the national set's ``build_id``: a second call with the same
arguments reuses the rows; a new national set or another size replaces them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bench.datasets.national import CODE_PREFIX, KM_PER_DEG_LAT, NationalDataset
from geo.cells import cell_of

GENERATOR_VERSION = 3  # 2: matching's read model (MatchingCandidate) filled too; 3: with the fields' industries
DATASET_NAME = "commissioners"
PHONE_PREFIX = "1970"  # + 7 digits: room for 10 million, and never a demo or test number
UNUSABLE_PASSWORD = "!bench-synthetic"
AVAILABLE_SHARE = 0.85
EXPERTISE_COUNTS = (1, 2, 3)
EXPERTISE_COUNT_P = (0.5, 0.35, 0.15)
# Relative frequency of each contract category among commissioners' fields (order of CATEGORIES).
CATEGORY_WEIGHTS = (1.4, 1.0, 0.6, 1.6, 0.7, 0.8, 0.6, 1.5, 1.0, 0.8, 0.4, 0.9)

_USER_COLUMNS = ("id", "password", "is_superuser", "phone", "name", "role", "is_active", "is_staff", "date_joined",
                 "area_id", "session_version", "password_change_required")
_PROFILE_COLUMNS = ("user_id", "home_lat", "home_lng", "home_cell", "available", "updated_at")


@dataclass(frozen=True)
class CommissionerSet:
    count: int
    first_id: int  # ids are first_id .. first_id + count - 1
    expertise_rows: int
    build_id: str
    build_seconds: float
    built_now: bool


def _generate(seed: int, count: int, villages: np.ndarray, seats: dict[str, tuple[float, float]]):
    """(area codes, lat, lng, available, expertise lists) for ``count`` commissioners."""
    from villages.services import CATEGORIES

    rng = np.random.default_rng([seed, 7])
    pick = rng.integers(0, len(villages), count)
    at_seat = rng.random(count) < 0.5
    area = np.empty(count, dtype=object)
    lat = np.empty(count)
    lng = np.empty(count)
    for i, (v, seat_based) in enumerate(zip(pick.tolist(), at_seat.tolist(), strict=True)):
        code, county, vlat, vlng = villages[v]
        if seat_based:
            area[i] = county
            lat[i], lng[i] = seats[county]
        else:
            area[i] = code
            lat[i], lng[i] = vlat, vlng
    spread_km = np.where(at_seat, 4.0, 2.0 / 1.4)  # ~N(seat, 4 km) or within ~2 km of the village
    lat = np.round(lat + rng.normal(0, spread_km) / KM_PER_DEG_LAT, 6)
    lng = np.round(lng + rng.normal(0, spread_km) / (KM_PER_DEG_LAT * np.cos(np.radians(lat))), 6)
    available = rng.random(count) < AVAILABLE_SHARE
    weights = np.array(CATEGORY_WEIGHTS) / sum(CATEGORY_WEIGHTS)
    codes = [c[0] for c in CATEGORIES]
    n_fields = rng.choice(EXPERTISE_COUNTS, size=count, p=EXPERTISE_COUNT_P)
    expertise = [[codes[j] for j in rng.choice(len(codes), size=k, replace=False, p=weights)] for k in n_fields]
    return area, lat, lng, available, expertise


def _existing(cursor, national: NationalDataset, seed: int, count: int) -> CommissionerSet | None:
    cursor.execute("SELECT generator_version, seed, villages, build_id, build_seconds, cities, townships"
                   " FROM bench_dataset WHERE name = %s", [DATASET_NAME])
    row = cursor.fetchone()
    # The marker reuses bench_dataset's columns: villages = commissioners, cities = first id,
    # townships = expertise rows, and the national set's build_id is embedded in ours.
    if row is None or row[0] != GENERATOR_VERSION or row[1] != seed or row[2] != count:
        return None
    if not row[3].startswith(national.build_id + ":"):
        return None
    cursor.execute("SELECT count(*) FROM accounts_user WHERE phone LIKE %s", [PHONE_PREFIX + "%"])
    if cursor.fetchone()[0] != count:
        return None
    return CommissionerSet(count, row[5], row[6], row[3], row[4], built_now=False)


def ensure_commissioners(national: NationalDataset, seed: int = 1, count: int = 300_000, *,
                         log: Callable[[str], None] = print) -> CommissionerSet:
    """Make the bench database hold exactly these synthetic commissioners (reusing them when it does)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.datasets.national import _MARKER_DDL
    from villages.services import categories_seed

    categories_seed()
    with connection.cursor() as cursor:
        cursor.execute(_MARKER_DDL)
        found = _existing(cursor, national, seed, count)
    if found is not None:
        log(f"commissioners: reusing {count} (built in {found.build_seconds:.1f} s)")
        return found

    started = time.perf_counter()
    log(f"commissioners: generating {count} with seed={seed} ...")
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, county_code, lat, lng FROM villages_area WHERE level = 'village'"
                       " AND code LIKE %s ORDER BY code", [CODE_PREFIX + "%"])
        villages = np.array(cursor.fetchall(), dtype=object)
        cursor.execute("SELECT code, lat, lng FROM villages_area WHERE level = 'county' AND code LIKE %s",
                       [CODE_PREFIX + "%"])
        seats = {code: (lat, lng) for code, lat, lng in cursor.fetchall()}
    area, lat, lng, available, expertise = _generate(seed, count, villages, seats)
    now = timezone.now()

    with transaction.atomic(), connection.cursor() as cursor:
        _delete_previous(cursor, log)
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM accounts_user")
        first_id = cursor.fetchone()[0]
        with cursor.cursor.copy(f"COPY accounts_user ({', '.join(_USER_COLUMNS)}) FROM STDIN") as copy:
            for i in range(count):
                copy.write_row((first_id + i, UNUSABLE_PASSWORD, False, f"{PHONE_PREFIX}{i:07d}",
                                f"合成特派员{i:06d}", "commissioner", True, False, now, area[i], 0, False))
        with cursor.cursor.copy(f"COPY commissioners_commissionerprofile ({', '.join(_PROFILE_COLUMNS)})"
                                " FROM STDIN") as copy:
            for i in range(count):
                la, ln = float(lat[i]), float(lng[i])
                copy.write_row((first_id + i, la, ln, cell_of(la, ln), bool(available[i]), now))
        rows = 0
        with cursor.cursor.copy("COPY commissioners_commissionerprofile_expertise"
                                " (commissionerprofile_id, category_id) FROM STDIN") as copy:
            for i, fields in enumerate(expertise):
                for code in fields:
                    copy.write_row((first_id + i, code))
                    rows += 1
        # Matching's read model, as commissioners/candidates.py derives it (nobody has claims yet): a row
        # per field of expertise and per industry under it (the synthetic expertise names fields only).
        cursor.execute(
            "INSERT INTO commissioners_matchingcandidate (commissioner_id, category_id, home_lat, home_lng, home_cell,"
            " county_code, active_problems, resolved_count, rating_sum, rating_count, via_field)"
            " SELECT p.user_id, c.code, p.home_lat, p.home_lng, p.home_cell, left(u.area_id, 6), 0, 0, 0, 0,"
            " CASE WHEN c.code = e.category_id THEN '' ELSE e.category_id END"
            " FROM commissioners_commissionerprofile p JOIN accounts_user u ON u.id = p.user_id"
            " JOIN commissioners_commissionerprofile_expertise e ON e.commissionerprofile_id = p.user_id"
            " JOIN villages_category c ON c.code = e.category_id OR c.parent_id = e.category_id"
            " WHERE u.phone LIKE %s AND p.available AND u.is_active",
            [PHONE_PREFIX + "%"],
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'),"
                       " (SELECT max(id) FROM accounts_user))")
        build_id = f"{national.build_id}:{uuid.uuid4().hex}"
        cursor.execute("DELETE FROM bench_dataset WHERE name = %s", [DATASET_NAME])
        cursor.execute(
            "INSERT INTO bench_dataset (name, generator_version, seed, cities, counties, townships, villages,"
            " build_id, build_seconds) VALUES (%s, %s, %s, %s, 0, %s, %s, %s, 0)",
            [DATASET_NAME, GENERATOR_VERSION, seed, first_id, rows, count, build_id],
        )
    with connection.cursor() as cursor:
        for table in ("accounts_user", "commissioners_commissionerprofile",
                      "commissioners_commissionerprofile_expertise", "commissioners_matchingcandidate"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        elapsed = time.perf_counter() - started
        cursor.execute("UPDATE bench_dataset SET build_seconds = %s WHERE name = %s", [elapsed, DATASET_NAME])
    log(f"  {count} commissioners, {rows} expertise rows in {elapsed:.1f} s")
    return CommissionerSet(count, first_id, rows, build_id, elapsed, built_now=True)


def _delete_previous(cursor, log: Callable[[str], None]) -> None:
    from bench.datasets.activity import delete_activity  # the activity of these people goes first

    if delete_activity(cursor):
        log("  deleted the synthetic activity built on them")
    synthetic = "SELECT id FROM accounts_user WHERE phone LIKE %s"
    like = [PHONE_PREFIX + "%"]
    cursor.execute(f"DELETE FROM commissioners_matchingcandidate WHERE commissioner_id IN ({synthetic})", like)
    cursor.execute(f"DELETE FROM commissioners_commissionerprofile_expertise WHERE commissionerprofile_id IN"
                   f" ({synthetic})", like)
    cursor.execute(f"DELETE FROM commissioners_commissionerprofile WHERE user_id IN ({synthetic})", like)
    cursor.execute("DELETE FROM accounts_user WHERE phone LIKE %s", like)
    if cursor.rowcount:
        log(f"  deleted {cursor.rowcount} synthetic commissioners of a previous build")
