"""Importing Baise's 1,897 surveyed village positions, timed, on a fresh database (Issue 18).

One command:

    .venv/bin/python bench/positions/run.py [--backend sqlite|postgres] [--checkins 20000] [--seed 1]

1. A fresh database: SQLite in a temporary folder, or PostgreSQL ``kjtpy_bench_positions`` (dropped and
   created again), migrated; Baise's areas and categories imported (what ``start_pilot`` will do).
2. A realistic survey file made from the real divisions: every village's generated position moved 30-400 m
   (seeded), given in GCJ-02 as Chinese survey apps record it, with an accuracy of 3-30 m; written as
   ``bench/out/baise-village-positions.csv`` and ``.xlsx``.
3. ``--checkins`` check-ins recorded beforehand across the villages (at their generated positions, as
   commissioners would have done while positions were generated).
4. Through the real URL stack (``POST /api/v1/areas/positions/import`` as the bureau), times: a dry run of
   the CSV, a dry run of the .xlsx, the real import of the .xlsx, and the same file again (all unchanged).
   The re-judging the import enqueues on commit is collected and then timed on its own (the worker's part).
5. One real check-in at a surveyed village, verified. Prints a markdown table and writes
   ``bench/out/positions-<backend>.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

OUT_DIR = REPO_ROOT / "bench" / "out"
PG_URL = "postgres://postgres@127.0.0.1:5432/kjtpy_bench_positions"


def setup(backend: str) -> None:
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-for-anything-real-0123456789")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    if backend == "postgres":
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS kjtpy_bench_positions")
            conn.execute("CREATE DATABASE kjtpy_bench_positions")
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="kjtpy-bench-positions-")
    import django

    django.setup()
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # made-up people only
    settings.ALLOWED_HOSTS = ["*"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def survey_rows(seed: int) -> list[tuple[str, float, float, float]]:
    """Every village's generated position moved 30-400 m, in GCJ-02, with a survey's accuracy."""
    from geo.datums import wgs84_to_gcj02
    from villages.models import Area

    rng = random.Random(seed)
    rows = []
    for code, lat, lng in Area.objects.filter(level="village").order_by("code").values_list("code", "lat", "lng"):
        metres, bearing = rng.uniform(30, 400), rng.uniform(0, 2 * math.pi)
        d_lat = metres * math.cos(bearing) / 111_200
        d_lng = metres * math.sin(bearing) / (111_200 * math.cos(math.radians(lat)))
        g_lat, g_lng = wgs84_to_gcj02(lat + d_lat, lng + d_lng)
        rows.append((code, round(g_lat, 7), round(g_lng, 7), round(rng.uniform(3, 30), 1)))
    return rows


def write_files(rows) -> tuple[bytes, bytes]:
    from openpyxl import Workbook

    csv_text = "区划代码,lat,lng,crs,accuracy_m\n" + "".join(f"{c},{a},{b},gcj02,{m}\n" for c, a, b, m in rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["区划代码", "纬度", "经度", "坐标系", "精度"])
    for code, lat, lng, accuracy in rows:
        sheet.append([code, lat, lng, "gcj02", accuracy])
    buffer = io.BytesIO()
    workbook.save(buffer)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "baise-village-positions.csv").write_text(csv_text, encoding="utf-8")
    (OUT_DIR / "baise-village-positions.xlsx").write_bytes(buffer.getvalue())
    return csv_text.encode(), buffer.getvalue()


def old_checkins(n: int, seed: int) -> int:
    from django.utils import timezone

    from commissioners.checkins import fence_flags
    from commissioners.models import FLAGS_THAT_MATTER, Checkin
    from tests.factories import CommissionerFactory
    from villages.models import Area

    rng = random.Random(seed + 1)
    people = [CommissionerFactory() for _ in range(10)]
    villages = list(Area.objects.filter(level="village").order_by("code"))
    now = timezone.now()
    made = []
    for i in range(n):
        village = villages[i % len(villages)]
        lat = village.lat + rng.uniform(-0.01, 0.01)
        lng = village.lng + rng.uniform(-0.01, 0.01)
        distance, flags = fence_flags(village, lat, lng, 15.0)
        made.append(Checkin(client_id=uuid.uuid4(), commissioner=people[i % len(people)], village=village, lat=lat,
                            lng=lng, accuracy_m=15.0, occurred_at=now - timedelta(days=rng.uniform(1, 300)),
                            distance_m=distance, flags=sorted(flags), flag_details=flags,
                            verified=not (set(flags) & FLAGS_THAT_MATTER)))
    Checkin.objects.bulk_create(made, batch_size=2000)
    return n


def timed(label: str, results: dict, fn):
    start = time.perf_counter()
    out = fn()
    results[label] = round(time.perf_counter() - start, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--checkins", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    setup(args.backend)

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    import villages.services as services
    from accounts.models import ConsentKind
    from accounts.services import consent_record
    from accounts.tokens import access_token_for
    from commissioners.models import Checkin
    from commissioners.tasks import checkins_rejudge_task
    from tests.factories import BureauFactory, CommissionerFactory
    from villages.models import Area, AreaPositionChange
    from villages.services import areas_import, categories_seed

    seconds: dict[str, float] = {}
    timed("areas and categories imported (fresh database)", seconds, lambda: (areas_import(), categories_seed()))
    rows = survey_rows(args.seed)
    csv_bytes, xlsx_bytes = write_files(rows)
    timed(f"{args.checkins:,} earlier check-ins recorded", seconds, lambda: old_checkins(args.checkins, args.seed))
    before = {"verified": Checkin.objects.filter(verified=True).count(),
              "position_unverified": sum("position_unverified" in flags
                                         for flags in Checkin.objects.values_list("flags", flat=True))}

    bureau = BureauFactory()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {access_token_for(bureau)}")
    queued: list[str] = []
    services.enqueue_on_commit = lambda task, code: queued.append(code)  # the worker's part, timed apart

    def post(data: bytes, name: str, dry: bool) -> dict:
        url = "/api/v1/areas/positions/import" + ("?dry_run=1" if dry else "")
        response = client.post(url, {"file": SimpleUploadedFile(name, data)})
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        return {k: body[k] for k in ("updated", "unchanged", "invalid")}

    answers = {
        "dry run, .csv": timed("dry run, .csv (1,897 rows)", seconds, lambda: post(csv_bytes, "p.csv", True)),
        "dry run, .xlsx": timed("dry run, .xlsx (1,897 rows)", seconds, lambda: post(xlsx_bytes, "p.xlsx", True)),
        "import, .xlsx": timed("import, .xlsx (1,897 rows stored)", seconds, lambda: post(xlsx_bytes, "p.xlsx", False)),
    }
    n_queued = len(queued)
    timed(f"re-judging the check-ins of {n_queued:,} moved villages (worker)", seconds,
          lambda: [checkins_rejudge_task(code) for code in queued])
    answers["same file again"] = timed("the same .xlsx again (all unchanged)", seconds,
                                       lambda: post(xlsx_bytes, "p.xlsx", False))
    after = {"verified": Checkin.objects.filter(verified=True).count(),
             "surveyed villages": Area.objects.filter(level="village", position_source="surveyed").count(),
             "trail rows": AreaPositionChange.objects.count()}

    # The pilot's last step: a real check-in at a surveyed village is verified.
    village = Area.objects.get(code="451002001001")
    person = CommissionerFactory()
    consent_record(user=person, kind=ConsentKind.LOCATION, version="2025-01")
    from django.utils import timezone

    phone = Client(HTTP_AUTHORIZATION=f"Bearer {access_token_for(person)}")
    checkin = phone.post("/api/v1/checkins", {
        "client_id": str(uuid.uuid4()), "village_code": village.code, "lat": village.lat + 0.001,
        "lng": village.lng, "accuracy_m": 12, "occurred_at": timezone.now().isoformat()},
        content_type="application/json").json()

    result = {"backend": args.backend, "seconds": seconds, "answers": answers, "checkins_before": before,
              "after": after, "real_checkin": {k: checkin.get(k) for k in ("verified", "distance_m", "flags")}}
    (OUT_DIR / f"positions-{args.backend}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"\n| step ({args.backend}) | seconds |\n| --- | ---: |")
    for label, s in seconds.items():
        print(f"| {label} | {s:.3f} |")
    print("\n" + json.dumps({k: v for k, v in result.items() if k != "seconds"}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
