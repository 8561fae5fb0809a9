"""The coverage rollup: per village and Asia/Shanghai day, what the maps and the targets count.

The triggers of stats/migrations/0004 keep ``CoverageDay`` in step with its sources on every write. This
module reads it by area, and says whether it still equals the live count (``rollup_differences``) and puts
it right if not (``rollup_rebuild``: idempotent, for after a load that bypassed the triggers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncDate

from commissioners.models import Checkin, Dispatch
from core.periods import SHANGHAI
from problems.models import Problem, ProblemStatus
from trainings.models import Training
from villages.models import Area

from .models import CoverageDay

MEASURES = ("checkins", "trainings", "trainees", "problems_resolved", "dispatches")
# How long the area's code is at each level: a county is its village codes' first six digits.
PREFIX = {"city": 4, "county": 6, "township": 9, "village": 12}


def code_range(prefix: str, field: str = "village_id") -> Q:
    """Rows whose area code (``field``: a village code by default) starts with the digits ``prefix``, as a
    range that an index led by that code serves in any collation (a LIKE needs a C collation or a pattern
    index, and a city's villages are found by prefix)."""
    bound = str(int(prefix) + 1).zfill(len(prefix))
    within = Q(**{f"{field}__gte": prefix})
    # "9999" has no next prefix of its length: nothing above it to leave out.
    return within & Q(**{f"{field}__lt": bound}) if len(bound) == len(prefix) else within


def inside(area: Area, field: str = "village_id") -> Q:
    """Rows whose area code (``field``) lies inside ``area``: its code's prefix at its level, as a range."""
    return code_range(area.code[:PREFIX[area.level]], field)


def rollup_in(area: Area, start: date | None = None, end: date | None = None) -> QuerySet:
    """The rollup rows of the villages inside ``area`` between two Shanghai days (inclusive; either open)."""
    rows = CoverageDay.objects.filter(inside(area))
    if start:
        rows = rows.filter(day__gte=start)
    if end:
        rows = rows.filter(day__lte=end)
    return rows


def code_at(level: str) -> F | Substr:
    """The code of a row's area at ``level``, from its village code (``village_id``) alone."""
    return F("village_id") if level == "village" else Substr("village_id", 1, PREFIX[level])


def by_level(rows: QuerySet, level: str, *measures: str) -> QuerySet:
    """``rows`` grouped by the code of their area at ``level`` (as ``code``), the ``measures`` (all when
    none is named) summed."""
    sums = {m: Sum(m) for m in measures or MEASURES}
    return rows.annotate(code=code_at(level)).values("code").annotate(**sums).order_by()


# -- the live count, and the proof ------------------------------------------------------------------------


def _live_parts() -> Iterator[tuple[str, QuerySet, dict[str, Any]]]:
    day = TruncDate("at", tzinfo=SHANGHAI)
    yield "checkins", Checkin.objects.filter(verified=True).annotate(at=F("occurred_at")).annotate(day=day), {
        "checkins": Count("id")}
    yield "trainings", Training.objects.annotate(at=F("started_at")).annotate(day=day), {
        "trainings": Count("id"), "trainees": Sum("headcount")}
    yield "problems", Problem.objects.filter(
        status__in=[ProblemStatus.RESOLVED, ProblemStatus.CLOSED], resolved_at__isnull=False,
    ).annotate(at=F("resolved_at")).annotate(day=day), {"problems_resolved": Count("id")}
    yield "dispatches", Dispatch.objects.annotate(day=F("starts_on")), {"dispatches": Count("id")}


def live_days() -> dict[tuple[str, date], dict[str, int]]:
    """{(village, day): measures} counted from the source tables now, the rows that count only."""
    out: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for _name, rows, measures in _live_parts():
        for row in rows.values("village_id", "day").annotate(**measures).order_by():
            figures = out[(row["village_id"], row["day"])]
            for m in measures:
                figures[m] += row[m] or 0
    return dict(out)


def rollup_days() -> dict[tuple[str, date], dict[str, int]]:
    """{(village, day): measures} as the rollup holds them, leaving out rows that sum to nothing."""
    return {(r["village_id"], r["day"]): {m: r[m] for m in MEASURES}
            for r in CoverageDay.objects.values("village_id", "day", *MEASURES).iterator(chunk_size=10_000)
            if any(r[m] for m in MEASURES)}


def rollup_differences(limit: int = 20) -> list[dict[str, Any]]:
    """Where the rollup and the live count disagree (at most ``limit``): empty when they are equal."""
    live, held = live_days(), rollup_days()
    out = []
    for key in sorted(live.keys() | held.keys()):
        if live.get(key) != held.get(key):
            out.append({"village": key[0], "day": key[1], "live": live.get(key), "rollup": held.get(key)})
            if len(out) >= limit:
                break
    return out


def rollup_rebuild() -> int:
    """Recount the whole rollup from its sources (idempotent); returns the rows written. On PostgreSQL the
    rollup table is locked first: a write meanwhile waits in its trigger and adds its part after this
    commits, to rows that then hold everything it could not see (SQLite has one writer at a time)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {CoverageDay._meta.db_table} IN EXCLUSIVE MODE")
        CoverageDay.objects.all().delete()
        rows = [CoverageDay(village_id=village, day=day, **figures) for (village, day), figures in live_days().items()]
        CoverageDay.objects.bulk_create(rows, batch_size=5_000)
    return len(rows)
