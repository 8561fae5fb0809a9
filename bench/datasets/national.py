"""A synthetic national hierarchy of areas for benchmarks: ≈2,800 counties, ≈490,000 villages.

China has about 2,800 county-level divisions, 38,000 townships and 490,000 administrative
villages. No public source gives their positions, so this generates a stand-in with the same
shape, deterministically from a seed:

* county seats are drawn from weighted boxes over China's populated extent (lat 18-48,
  lng 75-134): dense in the North China Plain, the Yangtze valley, the south and the Sichuan
  basin, sparse in the north-west and on the plateau;
* counties are grouped, by position, into cities of 5-11 counties, except the first (``900000``),
  which gets 99 neighbouring counties and stands for a province;
* each county's boundary is the Voronoi cell of its seat (clipped to China's extent);
* each county gets a share of the villages (log-normal weights), split into townships of about
  12 villages; townships are scattered around the seat and villages around their township, so
  villages lie about N(seat, sigma) with sigma 15-25 km per county.

Rows go into ``villages_area`` exactly as ``villages/services.py`` writes real ones: code
shapes per level (city and county 6 digits, township 9, village 12), ``parent``,
``county_code``, ``township_code``, ``lat``/``lng`` rounded to 6 decimals, ``cell`` from
``geo.cells.cell_of``. Every synthetic code starts with ``9``, which no real division code does
(provinces are 11-82), so they can never collide with Baise's ``4510xx`` rows.

``ensure_national()`` builds the set once per (seed, counties, villages) and records it in a
marker table ``bench_dataset``; a second call with the same arguments only checks the marker
and the row count. Asking for another size replaces the synthetic rows (one national set per
database). Loading uses PostgreSQL ``COPY`` (≈500k rows in well under a minute).

Use it after ``bench.datasets.benchdb.setup()``; the Django default database is the bench one.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import MultiPoint, box, mapping

from geo.cells import cell_of

# Bump when the generation changes: an old set in a database is then rebuilt, not reused.
GENERATOR_VERSION = 2  # 2: the first city is province-sized
PROVINCE_COUNTIES = 99
PROVINCE_CITY = "900000"
DATASET_NAME = "national"
CODE_PREFIX = "9"

KM_PER_DEG_LAT = 111.32
CHINA_EXTENT = (73.0, 18.0, 135.5, 54.0)  # min lng, min lat, max lng, max lat
VILLAGES_PER_TOWNSHIP = 12.5
SEAT_SIGMA_KM = (15.0, 25.0)

# (min_lat, max_lat, min_lng, max_lng, share of county seats). Rough, not a map: enough that
# density varies as it does in China (some 30 km circles hold 1,000 villages, some a handful).
BOXES: tuple[tuple[float, float, float, float, float], ...] = (
    (34.0, 40.5, 110.5, 122.5, 0.22),  # North China Plain: Hebei, Shandong, Henan, Shanxi
    (27.5, 34.0, 108.5, 122.0, 0.24),  # Yangtze: Jiangsu, Anhui, Hubei, Zhejiang, Jiangxi, Hunan
    (21.5, 27.5, 104.5, 119.5, 0.16),  # South: Guangdong, Guangxi, Fujian
    (28.0, 32.5, 102.5, 108.5, 0.08),  # Sichuan basin, Chongqing
    (22.5, 28.0, 98.0, 104.5, 0.08),  # Yunnan, Guizhou
    (40.5, 48.0, 121.0, 131.5, 0.08),  # North-east
    (33.0, 40.0, 102.0, 110.5, 0.06),  # Loess plateau: Shaanxi, Gansu, Ningxia
    (40.5, 45.0, 106.0, 121.0, 0.03),  # Inner Mongolia
    (36.5, 46.5, 75.0, 90.0, 0.03),  # Xinjiang oases
    (29.0, 37.0, 85.0, 102.0, 0.015),  # Tibet, Qinghai
    (18.3, 20.0, 108.7, 111.0, 0.005),  # Hainan
)

_COLUMNS = ("code", "name", "level", "parent_id", "county_code", "township_code", "lat", "lng",
            "position_source", "cell", "geometry")


@dataclass(frozen=True)
class NationalDataset:
    seed: int
    cities: int
    counties: int
    townships: int
    villages: int
    build_id: str  # changes on every rebuild: derived tables (e.g. PostGIS copies) key on it
    build_seconds: float
    built_now: bool


@dataclass
class _Generated:
    cities: list[tuple]
    counties: list[tuple]
    townships: list[tuple]
    villages: list[tuple]

    county_shapes: dict[str, str] = field(default_factory=dict)  # code -> GeoJSON text

    def rows(self) -> Iterator[tuple]:
        # Parents before children; the FK is deferred anyway, this just reads naturally.
        for row in self.cities:
            yield (*row, None)
        for row in self.counties:
            yield (*row, self.county_shapes.get(row[0]))
        for row in (*self.townships, *self.villages):
            yield (*row, None)


def _offset(lat: np.ndarray, lng: np.ndarray, dy_km: np.ndarray, dx_km: np.ndarray):
    new_lat = np.clip(lat + dy_km / KM_PER_DEG_LAT, -89.9, 89.9)
    new_lng = lng + dx_km / (KM_PER_DEG_LAT * np.cos(np.radians(lat)))
    return np.round(new_lat, 6), np.round(new_lng, 6)


def generate(seed: int, villages: int, counties: int) -> _Generated:
    """The rows of the national set, without touching the database. Deterministic in the seed."""
    if counties < 1 or villages < 0:
        raise ValueError("need at least one county and a non-negative number of villages")
    rng = np.random.default_rng(seed)

    # County seats.
    shares = np.array([b[4] for b in BOXES])
    box = rng.choice(len(BOXES), size=counties, p=shares / shares.sum())
    lo_lat, hi_lat, lo_lng, hi_lng = (np.array([b[i] for b in BOXES])[box] for i in range(4))
    seat_lat = np.round(lo_lat + rng.random(counties) * (hi_lat - lo_lat), 6)
    seat_lng = np.round(lo_lng + rng.random(counties) * (hi_lng - lo_lng), 6)

    # Cities: neighbouring seats (1-degree latitude bands, then west to east), 5-11 at a time.
    order = np.lexsort((seat_lng, np.floor(seat_lat)))
    # The first city is province-sized (99 counties, the most its codes allow; Guangxi has 111):
    # the figures "for one province" are measured on it.
    sizes: list[int] = [min(PROVINCE_COUNTIES, counties)]
    while sum(sizes) < counties:
        sizes.append(int(rng.integers(5, 12)))
    sizes[-1] -= sum(sizes) - counties
    if len(sizes) > 999:
        raise ValueError(f"{counties} counties need {len(sizes)} cities; codes allow 999")

    # Villages per county, townships per county.
    weights = rng.lognormal(0.0, 0.45, counties)
    per_county = rng.multinomial(villages, weights / weights.sum())
    sigma_km = rng.uniform(*SEAT_SIGMA_KM, counties)

    gen = _Generated([], [], [], [])
    start = 0
    for ci, size in enumerate(sizes):
        members = order[start : start + size]
        start += size
        city_code = f"{CODE_PREFIX}{ci:03d}00"
        c_lat, c_lng = round(float(seat_lat[members].mean()), 6), round(float(seat_lng[members].mean()), 6)
        gen.cities.append((city_code, f"合成市{ci:03d}", "city", None, "", "", c_lat, c_lng, "centroid",
                           cell_of(c_lat, c_lng)))
        for k, county in enumerate(members, start=1):
            code = f"{CODE_PREFIX}{ci:03d}{k:02d}"
            lat, lng = float(seat_lat[county]), float(seat_lng[county])
            gen.counties.append((code, f"合成县{code}", "county", city_code, code, "", lat, lng, "seat",
                                 cell_of(lat, lng)))
            _county_children(gen, rng, code, lat, lng, int(per_county[county]), float(sigma_km[county]))

    # One cell_of per village, as the service stores it (vectorising it would risk disagreeing).
    gen.villages = [(*row, cell_of(row[6], row[7])) for row in gen.villages]
    gen.county_shapes = _county_shapes(gen.counties)
    return gen


def _county_shapes(counties: list[tuple]) -> dict[str, str]:
    """County boundaries: the Voronoi cell of each seat, clipped to China's extent. Neighbours share
    their borders exactly, as surveyed boundaries do, so the locate benchmark has real polygons."""
    seats = [(row[7], row[6]) for row in counties]  # (lng, lat)
    extent = box(*CHINA_EXTENT)
    cells = shapely.voronoi_polygons(MultiPoint(seats), extend_to=extent, ordered=True)
    shapes = {}
    for row, cell in zip(counties, shapely.get_parts(cells), strict=True):
        shapes[row[0]] = json.dumps(mapping(shapely.set_precision(cell.intersection(extent), 1e-6)))
    return shapes


def _county_children(gen: _Generated, rng: np.random.Generator, county_code: str, lat: float, lng: float,
                     n_villages: int, sigma_km: float) -> None:
    n_town = round(n_villages / VILLAGES_PER_TOWNSHIP * rng.uniform(0.75, 1.25))
    n_town = max(1, min(n_town, n_villages, 999))
    # Townships N(seat, 0.8 sigma), villages N(township, 0.6 sigma): villages N(seat, sigma).
    t_lat, t_lng = _offset(np.full(n_town, lat), np.full(n_town, lng),
                           rng.normal(0.0, 0.8 * sigma_km, n_town), rng.normal(0.0, 0.8 * sigma_km, n_town))
    per_town = np.ones(n_town, dtype=int) * (1 if n_villages else 0)
    if n_villages > n_town:
        share = rng.gamma(2.0, size=n_town)
        per_town += rng.multinomial(n_villages - n_town, share / share.sum())
    if per_town.max(initial=0) > 999:
        raise ValueError(f"county {county_code}: a township would have more than 999 villages")
    for ti in range(n_town):
        t_code = f"{county_code}{ti + 1:03d}"
        tl, tg = float(t_lat[ti]), float(t_lng[ti])
        gen.townships.append((t_code, f"合成镇{t_code}", "township", county_code, county_code, t_code, tl, tg,
                              "generated", cell_of(tl, tg)))
        m = int(per_town[ti])
        if not m:
            continue
        v_lat, v_lng = _offset(np.full(m, tl), np.full(m, tg),
                               rng.normal(0.0, 0.6 * sigma_km, m), rng.normal(0.0, 0.6 * sigma_km, m))
        for vi, (vl, vg) in enumerate(zip(v_lat.tolist(), v_lng.tolist(), strict=True), start=1):
            v_code = f"{t_code}{vi:03d}"
            # cell is appended in generate(), in one pass.
            gen.villages.append((v_code, f"合成村{v_code}", "village", t_code, county_code, t_code, vl, vg,
                                 "generated"))


_MARKER_DDL = """
CREATE TABLE IF NOT EXISTS bench_dataset (
    name text PRIMARY KEY,
    generator_version integer NOT NULL,
    seed bigint NOT NULL,
    cities integer NOT NULL,
    counties integer NOT NULL,
    townships integer NOT NULL,
    villages integer NOT NULL,
    build_id text NOT NULL,
    build_seconds double precision NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now()
)
"""


def _existing(cursor, seed: int, villages: int, counties: int) -> NationalDataset | None:
    cursor.execute(
        "SELECT generator_version, seed, cities, counties, townships, villages, build_id, build_seconds"
        " FROM bench_dataset WHERE name = %s",
        [DATASET_NAME],
    )
    row = cursor.fetchone()
    if row is None or tuple(row[:2]) != (GENERATOR_VERSION, seed) or row[3] != counties or row[5] != villages:
        return None
    cursor.execute("SELECT count(*) FROM villages_area WHERE level = 'village' AND code LIKE %s",
                   [CODE_PREFIX + "%"])
    if cursor.fetchone()[0] != villages:
        return None  # someone deleted or added rows: rebuild rather than benchmark something else
    return NationalDataset(seed, row[2], row[3], row[4], row[5], row[6], row[7], built_now=False)


def ensure_national(seed: int = 1, villages: int = 490_000, counties: int = 2_800, *,
                    log: Callable[[str], None] = print) -> NationalDataset:
    """Make the bench database hold exactly this national set (reusing it when it already does)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(_MARKER_DDL)
        found = _existing(cursor, seed, villages, counties)
    if found is not None:
        log(f"national data set: reusing seed={seed} counties={counties} villages={villages} "
            f"(built in {found.build_seconds:.1f} s)")
        return found

    started = time.perf_counter()
    log(f"national data set: generating seed={seed} counties={counties} villages={villages} ...")
    gen = generate(seed, villages, counties)
    generated = time.perf_counter()
    log(f"  generated {len(gen.cities)} cities, {len(gen.counties)} counties, {len(gen.townships)} townships, "
        f"{len(gen.villages)} villages in {generated - started:.1f} s")

    with transaction.atomic(), connection.cursor() as cursor:
        # Synthetic people live in these areas: they go with them (and are rebuilt on demand).
        from bench.datasets.commissioners import DATASET_NAME as PEOPLE
        from bench.datasets.commissioners import _delete_previous

        _delete_previous(cursor, log)
        cursor.execute("DELETE FROM bench_dataset WHERE name IN (%s, %s)", [DATASET_NAME, PEOPLE])
        cursor.execute("DELETE FROM villages_area WHERE code LIKE %s", [CODE_PREFIX + "%"])
        deleted = cursor.rowcount
        if deleted:
            log(f"  deleted {deleted} rows of a previous synthetic set")
        copy_sql = f"COPY villages_area ({', '.join(_COLUMNS)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for row in gen.rows():
                copy.write_row(row)
        loaded = time.perf_counter()
        log(f"  COPY of {len(gen.cities) + len(gen.counties) + len(gen.townships) + len(gen.villages)} rows "
            f"in {loaded - generated:.1f} s")
        build_id = uuid.uuid4().hex
        cursor.execute(
            "INSERT INTO bench_dataset (name, generator_version, seed, cities, counties, townships, villages,"
            " build_id, build_seconds) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0)",
            [DATASET_NAME, GENERATOR_VERSION, seed, len(gen.cities), len(gen.counties), len(gen.townships),
             len(gen.villages), build_id],
        )
    committed = time.perf_counter()
    log(f"  commit (deferred parent checks) in {committed - loaded:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) villages_area")
        elapsed = time.perf_counter() - started
        cursor.execute("UPDATE bench_dataset SET build_seconds = %s WHERE name = %s", [elapsed, DATASET_NAME])
    log(f"  vacuum/analyze in {time.perf_counter() - committed:.1f} s; data set built in {elapsed:.1f} s")
    return NationalDataset(seed, len(gen.cities), len(gen.counties), len(gen.townships), len(gen.villages),
                           build_id, elapsed, built_now=True)


if __name__ == "__main__":
    import argparse
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.datasets import benchdb

    parser = argparse.ArgumentParser(description="Build (or reuse) the synthetic national area set.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--villages", type=int, default=490_000)
    parser.add_argument("--counties", type=int, default=2_800)
    args = parser.parse_args()
    benchdb.setup()
    print(ensure_national(args.seed, args.villages, args.counties))
