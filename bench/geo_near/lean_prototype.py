"""What-if for the near selector: the service's answers, with fewer calls to the exact geodesic.

Not the service's code and not part of the benchmark's table: a measured sketch of the changes
suggested in docs/benchmarks.md, so that whoever changes geo/near.py knows what each is worth.
Run after bench/geo_near/run.py has built the data set:

    .venv/bin/python bench/geo_near/lean_prototype.py [--queries 500]

On the benchmark's query points (top 10 within 30 km, then the page's objects), with the start-up
objects frozen out of the garbage collector for every variant so GC pauses do not decide it:

* **service**: ``with_objects(qs, nearest_page(rows_near(qs, ...), ...))`` as it is;
* **geographiclib**: the same code with ``geo.near.geodesic_m`` swapped, in this process only, for
  ``Geodesic.WGS84.Inverse(..., Geodesic.DISTANCE)`` (what geopy calls underneath; same metres);
* **vectorised ellipsoid**: Vincenty's inverse formula in numpy for every candidate decides the
  radius and the order; Karney's (geographiclib) is called only for rows within 1 mm of the radius,
  the page's rows and rows within 1 mm of the page's last one, so the page and its distances are
  the service's exactly;
* **fetch only**: the candidate query alone (the floor for this index design).

Every variant's page (codes and distances) and total count are checked against the service's.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.datasets import benchdb  # noqa: E402

RADIUS_KM = 30.0
LIMIT = 10
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
WGS84_B = WGS84_A * (1 - WGS84_F)
DECIDE_M = 1e-3  # Vincenty is within 0.1 mm of Karney here; anything closer than 1 mm is re-measured


def vincenty_m(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray, iterations: int = 8) -> np.ndarray:
    """Vincenty's inverse on WGS-84, vectorised; fine for the short, non-antipodal distances here."""
    f = WGS84_F
    u1 = np.arctan((1 - f) * np.tan(np.radians(lat)))
    u2 = np.arctan((1 - f) * np.tan(np.radians(lats)))
    sin_u1, cos_u1, sin_u2, cos_u2 = np.sin(u1), np.cos(u1), np.sin(u2), np.cos(u2)
    big_l = np.radians(lngs - lng)
    lam = big_l
    for _ in range(iterations):
        sin_lam, cos_lam = np.sin(lam), np.cos(lam)
        sin_sigma = np.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = np.arctan2(sin_sigma, cos_sigma)
        safe = np.where(sin_sigma == 0, 1.0, sin_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / safe
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = np.where(cos2_alpha == 0, 0.0, cos_sigma - 2 * sin_u1 * sin_u2 / np.where(cos2_alpha == 0, 1.0,
                                                                                          cos2_alpha))
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2)))
    u_sq = cos2_alpha * (WGS84_A**2 - WGS84_B**2) / WGS84_B**2
    a_coef = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    b_coef = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = b_coef * sin_sigma * (cos_2sm + b_coef / 4 * (
        cos_sigma * (-1 + 2 * cos_2sm**2) - b_coef / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)))
    return np.where(sin_sigma == 0, 0.0, WGS84_B * a_coef * (sigma - delta_sigma))


def main() -> None:
    parser = argparse.ArgumentParser(description="Time leaner variants of the near selector against the service's.")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    benchdb.setup(migrate=False)

    from geographiclib.geodesic import Geodesic

    import geo.near as near
    from bench.geo_near.run import query_points, village_qs

    wgs84 = Geodesic.WGS84

    def karney_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
        return wgs84.Inverse(lat1, lng1, lat2, lng2, Geodesic.DISTANCE)["s12"]

    def service(lat: float, lng: float):
        qs = village_qs()
        hits = near.rows_near(qs, lat, lng, RADIUS_KM)
        page = near.with_objects(qs, near.nearest_page(hits, lat, lng, 0, LIMIT))
        return len(hits), [(h.obj.code, h.distance_km) for h in page]

    def service_geographiclib(lat: float, lng: float):
        original = near.geodesic_m
        near.geodesic_m = karney_m
        try:
            return service(lat, lng)
        finally:
            near.geodesic_m = original

    def candidates(lat: float, lng: float) -> list:
        qs = village_qs().filter(near.near_filter(lat, lng, RADIUS_KM)).order_by()
        return list(qs.values_list("pk", "lat", "lng"))

    stats = {"karney_calls": 0, "max_vincenty_error_m": 0.0}

    def vectorised(lat: float, lng: float):
        rows = candidates(lat, lng)
        if not rows:
            return 0, []
        pks = [r[0] for r in rows]
        lats = np.array([r[1] for r in rows])
        lngs = np.array([r[2] for r in rows])
        d = vincenty_m(lat, lng, lats, lngs)
        radius_m = RADIUS_KM * 1000.0
        exact: dict[int, float] = {}
        inside = d <= radius_m - DECIDE_M
        for i in np.nonzero(np.abs(d - radius_m) < DECIDE_M)[0].tolist():
            exact[i] = karney_m(lat, lng, lats[i], lngs[i])
            inside[i] = exact[i] <= radius_m
        idx = np.nonzero(inside)[0]
        if not len(idx):
            return 0, []
        order = idx[np.argsort(d[idx], kind="stable")]
        end = min(LIMIT, len(order))
        cutoff = d[order[end - 1]] + DECIDE_M
        last = end
        while last < len(order) and d[order[last]] <= cutoff:
            last += 1
        page = []
        for i in order[:last].tolist():
            if i not in exact:
                exact[i] = karney_m(lat, lng, lats[i], lngs[i])
            stats["max_vincenty_error_m"] = max(stats["max_vincenty_error_m"], abs(exact[i] - d[i]))
            page.append((exact[i], pks[i]))
        stats["karney_calls"] += len(exact)
        page.sort()
        page = page[:LIMIT]
        objects = village_qs().in_bulk([pk for _, pk in page])  # what with_objects does
        return len(idx), [(objects[pk].code, m / 1000.0) for m, pk in page]

    points = query_points(args.seed, 20 + args.queries)
    warmup, points = points[:20], points[20:]
    gc.collect()
    gc.freeze()

    def same(a: tuple, b: tuple) -> bool:  # same count, same page, distances equal to a micrometre
        if a[0] != b[0] or [c for c, _ in a[1]] != [c for c, _ in b[1]]:
            return False
        return all(abs(x - y) < 1e-9 for (_, x), (_, y) in zip(a[1], b[1], strict=True))

    expected = [service(lat, lng) for lat, lng in points]
    variants = (
        ("service: rows_near + nearest_page + with_objects", service),
        ("service, geodesic via geographiclib directly", service_geographiclib),
        ("vectorised Vincenty decides, Karney for the page only", vectorised),
        ("fetch only: the candidate query", candidates),
    )
    print(f"{len(points)} queries, top {LIMIT} within {RADIUS_KM:g} km, gc frozen after start-up\n")
    print("| variant | p50 ms | p95 ms | p99 ms | answers differing from the service's |")
    print("|---|---:|---:|---:|---:|")
    for name, fn in variants:
        for lat, lng in warmup:
            fn(lat, lng)
        stats["karney_calls"] = 0
        ms, answers = [], []
        for lat, lng in points:
            started = time.perf_counter_ns()
            answers.append(fn(lat, lng))
            ms.append((time.perf_counter_ns() - started) / 1e6)
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        differing = "—" if fn is candidates else str(sum(not same(a, e) for a, e in zip(answers, expected,
                                                                                          strict=True)))
        print(f"| {name} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {differing} |")
        if fn is vectorised:
            karney_per_query = stats["karney_calls"] / len(points)
    print(f"\nvectorised: {karney_per_query:.1f} Karney calls a query, "
          f"largest |Vincenty - Karney| {stats['max_vincenty_error_m'] * 1000:.4f} mm")


if __name__ == "__main__":
    main()
