"""The coverage rollup: per village and Asia/Shanghai day, month and year, what the maps and targets count.

The triggers of stats/migrations/0004 keep ``CoveragePeriod`` in step with its sources on every write. This
module reads it by area and window — a window as its whole years, then months, then days
(core.periods.calendar_pieces), one query per piece — and says whether it still equals the live count
(``rollup_differences``) and puts it right if not (``rollup_rebuild``: idempotent, for after a load that
bypassed the triggers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Expression, F, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncDate

from commissioners.models import Checkin, Dispatch
from core.periods import SHANGHAI, calendar_pieces
from problems.models import Problem, ProblemStatus
from trainings.models import Training
from villages.models import Area

from .models import CoveragePeriod, Span

MEASURES = ("checkins", "trainings", "trainees", "problems_resolved", "dispatches")
# How long the area's code is at each level: a county is its village codes' first six digits.
PREFIX = {"city": 4, "county": 6, "township": 9, "village": 12}
Figures = dict[str, int]


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


def code_at(level: str) -> F | Substr:
    """The code of a row's area at ``level``, from its village code (``village_id``) alone."""
    return F("village_id") if level == "village" else Substr("village_id", 1, PREFIX[level])


def rollup_pieces(area: Area, start: date | None = None, end: date | None = None) -> list[QuerySet]:
    """The rollup rows of the villages inside ``area`` that make up the Shanghai days [start, end] (inclusive;
    either open): one queryset per piece of the window, whole years first (no row is in two)."""
    pieces = []
    for span, first, last in calendar_pieces(start, end):
        rows = CoveragePeriod.objects.filter(inside(area), span=span)
        if first:
            rows = rows.filter(day__gte=first)
        if last:
            rows = rows.filter(day__lte=last)
        pieces.append(rows)
    return pieces


def rollup_sums(area: Area, start: date | None, end: date | None, key: Expression | None,
                *measures: str) -> dict[Any, Figures]:
    """The ``measures`` (all when none is named) summed over the window inside ``area``, grouped by ``key``
    (e.g. ``code_at("county")``, ``ExtractYear("day")``; ``None``: one total under the key ``None``)."""
    measures = measures or MEASURES
    sums = {m: Sum(m) for m in measures}
    out: dict[Any, Figures] = defaultdict(lambda: dict.fromkeys(measures, 0))
    for rows in rollup_pieces(area, start, end):
        found = ([{"key": None, **rows.aggregate(**sums)}] if key is None
                 else rows.annotate(key=key).values("key").annotate(**sums).order_by())
        for row in found:
            figures = out[row["key"]]
            for m in measures:
                figures[m] += row[m] or 0
    return out


def villages_served(area: Area, start: date | None, end: date | None) -> int:
    """Villages inside ``area`` with a verified check-in, a training or a dispatch starting in the window."""
    served = Q(checkins__gt=0) | Q(trainings__gt=0) | Q(dispatches__gt=0)
    codes: set[str] = set()
    for rows in rollup_pieces(area, start, end):
        codes.update(rows.filter(served).values_list("village_id", flat=True).distinct())
    return len(codes)


# -- the live count, and the proof ------------------------------------------------------------------------


def _live_parts() -> Iterator[tuple[QuerySet, dict[str, Any]]]:
    day = TruncDate("at", tzinfo=SHANGHAI)
    yield Checkin.objects.filter(verified=True).annotate(at=F("occurred_at"), day=day), {"checkins": Count("id")}
    yield Training.objects.annotate(at=F("started_at"), day=day), {
        "trainings": Count("id"), "trainees": Sum("headcount")}
    yield Problem.objects.filter(
        status__in=[ProblemStatus.RESOLVED, ProblemStatus.CLOSED], resolved_at__isnull=False,
    ).annotate(at=F("resolved_at"), day=day), {"problems_resolved": Count("id")}
    yield Dispatch.objects.annotate(day=F("starts_on")), {"dispatches": Count("id")}


def _first_day(span: str, day: date) -> date:
    return day if span == Span.DAY else day.replace(day=1) if span == Span.MONTH else day.replace(month=1, day=1)


def live_periods() -> dict[tuple[str, str, date], Figures]:
    """{(span, village, first day): measures} counted from the source tables now, only what counts."""
    out: dict[tuple[str, str, date], Figures] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for rows, measures in _live_parts():
        for row in rows.values("village_id", "day").annotate(**measures).order_by():
            for span in Span.values:
                figures = out[(span, row["village_id"], _first_day(span, row["day"]))]
                for m in measures:
                    figures[m] += row[m] or 0
    return dict(out)


def rollup_periods() -> dict[tuple[str, str, date], Figures]:
    """{(span, village, first day): measures} as the rollup holds them, leaving out rows that sum to nothing."""
    return {(r["span"], r["village_id"], r["day"]): {m: r[m] for m in MEASURES}
            for r in CoveragePeriod.objects.values("span", "village_id", "day", *MEASURES).iterator(chunk_size=10_000)
            if any(r[m] for m in MEASURES)}


def rollup_differences(limit: int = 20) -> list[dict[str, Any]]:
    """Where the rollup and the live count disagree (at most ``limit``): empty when they are equal."""
    live, held = live_periods(), rollup_periods()
    out = []
    for key in sorted(live.keys() | held.keys()):
        if live.get(key) != held.get(key):
            out.append({"span": key[0], "village": key[1], "day": key[2], "live": live.get(key),
                        "rollup": held.get(key)})
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
                cursor.execute(f"LOCK TABLE {CoveragePeriod._meta.db_table} IN EXCLUSIVE MODE")
        CoveragePeriod.objects.all().delete()
        rows = [CoveragePeriod(span=span, village_id=village, day=day, **figures)
                for (span, village, day), figures in live_periods().items()]
        CoveragePeriod.objects.bulk_create(rows, batch_size=5_000)
    return len(rows)
