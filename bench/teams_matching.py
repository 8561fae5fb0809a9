"""Matching with shared service teams at Baise's scale, on PostgreSQL (Issue 17).

One command:

    .venv/bin/python bench/teams_matching.py [--commissioners 20000] [--teams 20000] [--problems 190] [--seed 1]

1. Its own database ``kjtpy_bench_teams`` (created and migrated when missing): Baise's 1,897 villages and
   the categories, ``--commissioners`` commissioners (half at their county seat, half in a village, 1–3
   fields of expertise, 85% available; matching's read model filled by ``candidates_rebuild``),
   ``--teams`` teams of 3 members from anywhere in the city serving 2 townships each (industries: the twelve
   fields, a fifth of the teams an industry under one), a record for them (4,000 problems claimed by teams:
   a third in progress, the rest closed, rated), and ``--problems`` open problems of every category (fields
   and industries) in random villages. Built through ``COPY``/``bulk_create`` and reused while the sizes and
   seed match (the team read model is rebuilt each run, so a run measures the code checked out).
2. Times, interleaved, ``matches_for`` (people only), ``team_matches_for`` (teams only) and ``ranked_for``
   (both: what ``GET /problems/{id}/matches`` answers, less HTTP and JSON) for every problem, three rounds.
3. Prints p50/p95/p99 and the ratio of both to people only; writes ``bench/out/teams_matching.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import data_set_once, log, summarize  # noqa: E402
from bench.datasets import benchdb  # noqa: E402

OUT_DIR = REPO_ROOT / "bench" / "out"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kjtpy_bench_teams"
PHONE_PREFIX = "1971"
HISTORY = 4_000


def build(commissioners: int, teams: int, problems: int, seed: int) -> dict:
    """The data set, built once per sizes and seed."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from commissioners.candidates import candidates_rebuild
    from commissioners.models import CommissionerProfile
    from geo.cells import cell_of
    from problems.models import Claim, ClaimStatus, Problem, ProblemStatus
    from teams.models import MemberRole, Membership, ServiceArea, Team
    from villages.models import Area, Category
    from villages.services import areas_import, categories_seed

    build_id = f"teams:{commissioners}:{teams}:{problems}:{seed}"

    def fill() -> None:
        if not Area.objects.filter(level="village").exists():
            areas_import()
        categories_seed()
        rng = random.Random(seed)
        villages = list(Area.objects.filter(level="village").values_list("code", "county_code", "lat", "lng", "cell",
                                                                         "parent_id"))
        seats = {code: (lat, lng) for code, lat, lng in Area.objects.filter(level="county").values_list(
            "code", "lat", "lng")}
        townships = list(Area.objects.filter(level="township").values_list("code", flat=True))
        fields = list(Category.objects.filter(parent__isnull=True).values_list("code", flat=True))
        industries = list(Category.objects.filter(parent__isnull=False).values_list("code", flat=True))
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("TRUNCATE problems_claim, problems_problem, teams_servicearea, teams_membership, teams_team,"
                        " commissioners_matchingcandidate, commissioners_commissionerprofile_expertise,"
                        " commissioners_commissionerprofile CASCADE")
            cur.execute("DELETE FROM accounts_user")
            staff = User.objects.create(phone="13900000001", name="区县工作人员", role=Role.COUNTY_STAFF,
                                        area_id="451002")
            people, homes = [], []
            for i in range(commissioners):
                code, county, lat, lng, _cell, _t = rng.choice(villages)
                if rng.random() < 0.5:
                    area, (lat, lng), spread = county, seats[county], 4.0
                else:
                    area, spread = code, 1.4
                homes.append((round(lat + rng.gauss(0, spread) / 111.2, 6),
                              round(lng + rng.gauss(0, spread) / 104.0, 6)))
                people.append(User(phone=f"{PHONE_PREFIX}{i:07d}", name=f"特派员{i:05d}", role=Role.COMMISSIONER,
                                   area_id=area, password="!bench"))
            people = User.objects.bulk_create(people, batch_size=2_000)
            first = people[0].pk
            assert people[-1].pk == first + commissioners - 1
            CommissionerProfile.objects.bulk_create(
                [CommissionerProfile(user=u, home_lat=lat, home_lng=lng, home_cell=cell_of(lat, lng),
                                     available=rng.random() < 0.85)
                 for u, (lat, lng) in zip(people, homes, strict=True)],
                batch_size=2_000)
            CommissionerProfile.expertise.through.objects.bulk_create(
                [CommissionerProfile.expertise.through(commissionerprofile_id=u.pk, category_id=code)
                 for u in people for code in rng.sample(fields, rng.choice((1, 1, 1, 2, 2, 3)))], batch_size=5_000)
            made = Team.objects.bulk_create(
                [Team(name=f"团队{i:05d}",
                      industry_id=rng.choice(industries) if rng.random() < 0.2 else rng.choice(fields),
                      home_county_id=rng.choice(list(seats)), created_by=staff) for i in range(teams)],
                batch_size=2_000)
            members: dict[int, list[int]] = {}
            memberships, areas = [], []
            for team in made:
                ids = rng.sample(range(first, first + commissioners), 3)
                members[team.pk] = ids
                memberships += [Membership(team=team, user_id=pk,
                                           role=MemberRole.LEADER if n == 0 else MemberRole.MEMBER)
                                for n, pk in enumerate(ids)]
                areas += [ServiceArea(team=team, area_id=code) for code in rng.sample(townships, 2)]
            Membership.objects.bulk_create(memberships, batch_size=5_000)
            ServiceArea.objects.bulk_create(areas, batch_size=5_000)
            categories = fields + industries
            rows, claims = [], []
            for i in range(HISTORY + problems):
                code, _county, lat, lng, cell, _t = rng.choice(villages)
                history = i < HISTORY
                status = (ProblemStatus.IN_PROGRESS if i % 3 == 0 else ProblemStatus.CLOSED) if history else \
                    ProblemStatus.OPEN
                closed = status == ProblemStatus.CLOSED
                rows.append(Problem(client_id=uuid.UUID(int=rng.getrandbits(128)), posted_by=staff, village_id=code,
                                    category_id=rng.choice(categories), title=f"问题{i}", description="果园出现病害。",
                                    urgency="normal", lat=lat, lng=lng, cell=cell, status=status,
                                    resolved_at=now if closed else None, closed_at=now if closed else None,
                                    rating=rng.randint(1, 5) if closed else None,
                                    created_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=i)))
            Problem.objects.bulk_create(rows, batch_size=2_000)
            for problem in rows[:HISTORY]:
                team = rng.choice(made)
                claims.append(Claim(problem=problem, commissioner_id=members[team.pk][0], team=team,
                                    status=ClaimStatus.ACCEPTED, decided_at=now))
            Claim.objects.bulk_create(claims, batch_size=2_000)
        candidates_rebuild()
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")

    return data_set_once("bench_teams_meta", build_id, fill)


def refresh_read_model() -> float:
    """Rebuild the teams' read model when the checked-out code has one (seconds, or 0)."""
    try:
        from teams.candidates import team_candidates_rebuild
    except ImportError:
        return 0.0
    started = time.perf_counter()
    team_candidates_rebuild()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commissioners", type=int, default=20_000)
    parser.add_argument("--teams", type=int, default=20_000)
    parser.add_argument("--problems", type=int, default=190)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    benchdb.setup(DEFAULT_URL, log=log)
    from problems.matching import matches_for, ranked_for
    from problems.models import Problem, ProblemStatus
    from problems.team_matching import team_matches_for

    load_before = os.getloadavg()
    built = build(args.commissioners, args.teams, args.problems, args.seed)
    rebuild_s = refresh_read_model()
    if rebuild_s:
        log(f"teams' read model rebuilt in {rebuild_s:.1f} s")
    probes = list(Problem.objects.filter(status=ProblemStatus.OPEN).select_related("village").order_by("pk"))
    contenders = {
        "people (matches_for)": lambda p: matches_for(p, limit=10),
        "teams (team_matches_for)": lambda p: team_matches_for(p, recent=set(), limit=10),
        "people and teams (ranked_for)": lambda p: ranked_for(p, limit=10),
    }
    for problem in probes[:10]:  # warm up
        for fn in contenders.values():
            fn(problem)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    found_teams = 0
    for _ in range(args.rounds):
        for problem in probes:
            for name, fn in contenders.items():
                started = time.perf_counter_ns()
                result = fn(problem)
                times[name].append((time.perf_counter_ns() - started) / 1e6)
                if name.startswith("teams"):
                    found_teams += len(result)
    results = {name: summarize(np.array(ms)) for name, ms in times.items()}
    people, both = results["people (matches_for)"], results["people and teams (ranked_for)"]
    report = {
        "data": built, "commissioners": args.commissioners, "teams": args.teams, "problems": len(probes),
        "rounds": args.rounds, "teams_per_problem": found_teams / (len(probes) * args.rounds),
        "read_model_rebuild_s": rebuild_s, "load_before": load_before, "load_after": os.getloadavg(),
        "results": results, "ratio_p50": both["p50_ms"] / people["p50_ms"],
        "ratio_p95": both["p95_ms"] / people["p95_ms"],
    }
    log("| | p50 ms | p95 ms | p99 ms |\n| --- | --- | --- | --- |")
    for name, r in results.items():
        log(f"| {name} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} |")
    log(f"both / people: p50 ×{report['ratio_p50']:.2f}, p95 ×{report['ratio_p95']:.2f}; "
        f"load {load_before[0]:.1f} → {report['load_after'][0]:.1f}")
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "teams_matching.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
