"""Time importing a roster of 1,000 people (contract v1.1 `POST /users/import`), dry run and real.

One command (Issue 18):

    .venv/bin/python bench/people_import/run.py [--people 1000] [--rounds 3]

Against its own database ``kjtpy_bench_people`` (``BENCH_PEOPLE_DATABASE_URL`` to change it), migrated and
loaded with Baise's areas and categories when missing. Builds an .xlsx roster in memory (commissioners
across the city's counties with one or two fields of expertise, a tenth township staff), then per round:
the dry run, the real import (the production password hasher: PBKDF2, temporary passwords at the reduced
iteration count accounts/services.py explains), the same sheet again (nothing created), and removes the
people it created. Everything `roster_import` does but HTTP (reading the sheet, checking, writing).
Prints a markdown table; writes ``bench/out/people_import.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import log  # noqa: E402
from bench.datasets import benchdb  # noqa: E402

OUT_DIR = REPO_ROOT / "bench" / "out"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kjtpy_bench_people"
PHONE_BASE = 17700000000  # a block no seed or test uses


def roster(people: int, seed: int) -> bytes:
    from openpyxl import Workbook

    from villages.models import Area, Category

    rng = random.Random(seed)
    counties = list(Area.objects.filter(level="county").values_list("code", flat=True))
    townships = list(Area.objects.filter(level="township").values_list("code", flat=True))
    categories = list(Category.objects.values_list("name", flat=True))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["手机号", "姓名", "角色", "区划代码", "专长"])
    for i in range(people):
        phone = str(PHONE_BASE + i)
        if i % 10 == 9:
            sheet.append([phone, f"乡镇干部{i}", "乡镇工作人员", rng.choice(townships), ""])
        else:
            expertise = "、".join(rng.sample(categories, rng.choice((1, 2))))
            sheet.append([phone, f"特派员{i}", "科技特派员", rng.choice(counties), expertise])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def timed(function):
    started = time.perf_counter()
    answer = function()
    return time.perf_counter() - started, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    benchdb.setup(os.environ.get("BENCH_PEOPLE_DATABASE_URL") or DEFAULT_URL, log=log)
    from django.contrib.auth.hashers import get_hasher
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Role, User
    from accounts.roster import roster_import
    from villages.models import Area
    from villages.services import areas_import, categories_seed

    if not Area.objects.filter(level="village").exists():
        areas_import()
    categories_seed()
    bureau = User.objects.filter(phone="17699999999").first() or User.objects.create_user(
        "17699999999", None, name="基准测试", role=Role.BUREAU, area_id="451000")
    phones = [str(PHONE_BASE + i) for i in range(args.people)]
    User.objects.filter(phone__in=phones).delete()
    data = roster(args.people, args.seed)
    log(f"roster: {args.people} rows, {len(data) / 1024:.0f} KiB; hasher {get_hasher().algorithm}")

    def run(dry_run: bool) -> dict:
        return roster_import(actor=bureau, upload=SimpleUploadedFile("roster.xlsx", data), dry_run=dry_run)

    rounds = []
    for number in range(1, args.rounds + 1):
        dry_s, dry = timed(lambda: run(True))
        real_s, real = timed(lambda: run(False))
        again_s, again = timed(lambda: run(False))
        assert (dry["created"], real["created"], again["created"], again["updated"]) == (
            args.people, args.people, 0, args.people), (dry, real, again)
        User.objects.filter(phone__in=phones).delete()
        rounds.append({"dry_run_s": dry_s, "import_s": real_s, "again_s": again_s})
        log(f"round {number}: dry run {dry_s:.2f} s, import {real_s:.2f} s, same sheet again {again_s:.2f} s")

    full_s, _ = timed(lambda: get_hasher().encode("x" * 12, get_hasher().salt()))
    best = {key: min(r[key] for r in rounds) for key in rounds[0]}
    table = [
        f"| {args.people} people (.xlsx) | best of {args.rounds} |",
        "| --- | ---: |",
        f"| dry run (read + check) | {best['dry_run_s']:.2f} s |",
        f"| import (read + check + write, one transaction) | {best['import_s']:.2f} s |",
        f"| the same sheet again (0 created, {args.people} updated, nothing changed) | {best['again_s']:.2f} s |",
        f"| for scale: one full-strength password hash | {full_s:.2f} s (×{args.people} = "
        f"{full_s * args.people:.0f} s) |",
    ]
    log("\n".join(table))
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "people_import.json").write_text(json.dumps(
        {"people": args.people, "rounds": rounds, "best": best, "full_hash_s": full_s}, indent=2))


if __name__ == "__main__":
    main()
