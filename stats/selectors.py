"""The bureau's figures: targets, coverage, commissioner assessment.

Every figure is aggregated in SQL, grouped by the area code at the level asked, so a report costs a
fixed number of queries whatever the number of areas. Days and years are Asia/Shanghai's. Targets and
coverage read the rollup (stats/rollup.py: a row per village and day, month and year), not the records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear, TruncDate
from django.utils import timezone

from accounts.models import Role, User
from accounts.scoping import area_q
from commissioners.models import Checkin, Dispatch, Programme
from core.periods import SHANGHAI, days_window, in_window
from problems.models import Claim, ClaimStatus, Problem, ProblemStatus
from trainings.models import Training, TrainingMode
from villages.models import Area, AreaLevel

from .models import BaselineMeasure, PlanBaseline, Target
from .rollup import code_at, inside, rollup_sums, villages_served
from .rules import counting_rule
from .teams import team_work_of

LEVEL_FIELD = {AreaLevel.COUNTY: "county_code", AreaLevel.TOWNSHIP: "township_code", AreaLevel.VILLAGE: "code"}


@dataclass(frozen=True)
class Window:
    start: date | None = None
    end: date | None = None


def _within(area: Area, path: str) -> Q:
    return area_q(area, path)


# -- targets ----------------------------------------------------------------------------------


def target_progress(target: Target, *, within: Area, year: int | None = None,
                    today: date | None = None) -> dict[str, Any]:
    """Achieved, percent, by year, by county and the projection at the current pace. Three queries for a
    period of whole years (the rollup's by year and by county, the county names), more for one that starts
    or ends mid-year (a query per piece of the window: core.periods.calendar_pieces).

    ``by_county`` lists the counties inside ``within``, the reader's area (stats_area_for): the bureau
    sees every county's figure, county staff their own county's only."""
    today = today or timezone.localdate()
    measure = counting_rule(target.rule)
    start, end = target.period_start, target.period_end
    if year:
        start, end = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
    by_year = {y: f[measure] for y, f in rollup_sums(target.area, target.period_start, target.period_end,
                                                      ExtractYear("day"), measure).items()}
    whole_achieved = sum(by_year.values())
    # A year's figure is its row of by_year: the rollup's days are Shanghai days, as the years are.
    achieved = by_year.get(year, 0) if year else whole_achieved
    names = dict(Area.objects.filter(_within(within, ""), level=AreaLevel.COUNTY, parent=target.area_id)
                 .values_list("code", "name")) if target.area.level == AreaLevel.CITY else {}
    by_county_rows = {code: f[measure] for code, f in rollup_sums(target.area, start, end, code_at("county"),
                                                                  measure).items()}
    by_county = [
        {"code": code, "name": name, "achieved": by_county_rows.get(code, 0)} for code, name in sorted(names.items())
    ]
    return {
        "code": target.code, "name": target.name, "unit": target.unit, "target": target.value,
        "achieved": achieved, "percent": round(100 * achieved / target.value, 2),
        "period_start": target.period_start, "period_end": target.period_end, "area_code": target.area_id,
        "rule": target.rule, "year": year, "status": target_status(target, today),
        "baseline": ({"value": target.baseline_value, "period_label": target.baseline_label}
                     if target.baseline_value is not None else None),
        "by_year": [
            {"year": y, "achieved": by_year.get(y, 0)}
            for y in range(target.period_start.year, target.period_end.year + 1)
        ],
        "by_county": by_county,
        "projection": projection(whole_achieved, target.value, target.period_start, target.period_end, today),
    }


def target_status(target: Target, today: date) -> str:
    """"upcoming", "current" or "ended": where ``today`` (Shanghai) falls against the target's period."""
    if today < target.period_start:
        return "upcoming"
    return "ended" if today > target.period_end else "current"


def targets_visible(within: Area) -> QuerySet:
    """The targets a reader whose area is ``within`` sees: the city's plan, and any area's own target
    inside or around theirs (the bureau sees every county's own target, a county its own)."""
    return Target.objects.select_related("area").filter(
        Q(area__level=AreaLevel.CITY) | Q(area_id__in=[within.code, within.code[:6]]) | _within(within, "area"))


def projection(achieved: int, value: int, start: date, end: date, today: date) -> dict[str, Any]:
    """Where the current pace ends: achieved so far per elapsed day, times the whole period."""
    total_days = (end - start).days + 1
    elapsed = min(max((today - start).days + 1, 0), total_days)
    projected = round(achieved * total_days / elapsed) if elapsed else 0
    return {
        "as_of": min(today, end), "elapsed_days": elapsed, "total_days": total_days,
        "projected": projected, "projected_percent": round(100 * projected / value, 2),
        "on_track": projected >= value,
    }


def targets_progress(*, within: Area, year: int | None = None) -> list[dict[str, Any]]:
    """Every target's progress, its by-county figures limited to ``within`` (the reader's area)."""
    return [target_progress(t, within=within, year=year) for t in targets_visible(within)]


# -- coverage ---------------------------------------------------------------------------------


def _counted_by(qs: QuerySet, level: str) -> dict[str, int]:
    """{area code at ``level``: rows of ``qs``}, grouped on the village code's prefix (no join)."""
    rows = qs.annotate(code=code_at(level)).values("code").annotate(n=Count("id")).order_by()
    return {r["code"]: r["n"] for r in rows}


def coverage(*, level: str, window: Window, within: Area) -> list[dict[str, Any]]:
    """Per area at ``level`` inside ``within``: the contract's figures. Four queries for a window of whole
    years or months: the rollup's sums (check-ins, trainings, trainees, problems resolved; a query per piece
    of the window), the dispatches that overlap the window and the problems open at its end (live: neither
    adds up by day), and the areas."""
    in_area = inside(within)
    dispatches = Dispatch.objects.filter(in_area)
    open_problems = Problem.objects.filter(in_area, status=ProblemStatus.OPEN)
    if window.start:
        dispatches = dispatches.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=window.start))
    if window.end:
        dispatches = dispatches.filter(starts_on__lte=window.end)
        open_problems = open_problems.filter(created_at__lt=days_window(None, window.end)[1])
    summed = rollup_sums(within, window.start, window.end, code_at(level), *_SUMMED)
    dispatched, open_now = _counted_by(dispatches, level), _counted_by(open_problems, level)
    none = dict.fromkeys(_SUMMED, 0)
    rows = []
    # One dict per area, built at once: a province's village map is 17,754 of them.
    for code, name, lat, lng, source in (Area.objects.filter(inside(within, "code"), level=level).order_by("code")
                                         .values_list("code", "name", "lat", "lng", "position_source")):
        sums, sent = summed.get(code, none), dispatched.get(code, 0)
        rows.append({"code": code, "name": name, "lat": lat, "lng": lng, "position_source": source,
                     "checkins": sums["checkins"], "dispatches": sent, "trainings": sums["trainings"],
                     "trainees": sums["trainees"], "problems_open": open_now.get(code, 0),
                     "problems_resolved": sums["problems_resolved"],
                     "served": bool(sums["checkins"] or sent or sums["trainings"])})
    return rows


_SUMMED = ("checkins", "trainings", "trainees", "problems_resolved")


# -- commissioner assessment (考核) -------------------------------------------------------------

ASSESSMENT_SORTS = ("service_days", "dispatches", *(f"dispatches_{p}" for p in Programme.values), "trainings",
                    "trainees", "problems_claimed",
                    "problems_resolved", "average_rating", "flagged_checkins", "teams",
                    "team_problems_resolved", "name")


def commissioner_assessment(*, window: Window, within: Area, sort: str = "-service_days") -> list[dict[str, Any]]:
    """Per commissioner whose home is inside ``within``: service days (distinct Shanghai days with a
    verified check-in: a multi-day trip counts every day), dispatches, trainings and trainees,
    problems claimed and resolved, average rating and flagged check-ins. Dispatches are also counted by
    programme (``dispatches_three_regions``…), with the units that sent the person (派出单位). Their team work:
    the teams they belong to, and the problems their teams resolved on a claim another member made (their own
    claims for a team are in problems_claimed/resolved already). Nine queries."""
    since, until = days_window(window.start, window.end)
    people = User.objects.filter(_within(within, "area"), role=Role.COMMISSIONER).order_by("pk")
    ids = list(people.values_list("pk", flat=True))

    def timed(qs: QuerySet, field: str) -> QuerySet:
        return in_window(qs, field, since, until)

    checkins = timed(Checkin.objects.filter(commissioner_id__in=ids), "occurred_at")
    service_days = dict(
        checkins.filter(verified=True).values_list("commissioner_id")
        .annotate(n=Count(TruncDate("occurred_at", tzinfo=SHANGHAI), distinct=True)).order_by()
    )
    flagged = dict(checkins.filter(verified=False).values_list("commissioner_id").annotate(n=Count("id")).order_by())
    dispatches = Dispatch.objects.filter(commissioner_id__in=ids)
    if window.start:
        dispatches = dispatches.filter(starts_on__gte=window.start)
    if window.end:
        dispatches = dispatches.filter(starts_on__lte=window.end)
    by_programme = {p: Count("id", filter=Q(programme=p)) for p in Programme.values}
    dispatched = {
        r["commissioner_id"]: r
        for r in dispatches.values("commissioner_id").annotate(n=Count("id"), **by_programme).order_by()
    }
    units: dict[int, list[str]] = {}
    named = dispatches.exclude(sending_unit="").order_by().values_list("commissioner_id", "sending_unit")
    for pk, unit in named.distinct():
        units.setdefault(pk, []).append(unit)
    for names in units.values():
        names.sort()  # by code point, the same on every database (collations differ)
    trained = {
        r["commissioner_id"]: (r["n"], r["people"] or 0)
        for r in timed(Training.objects.filter(commissioner_id__in=ids), "started_at")
        .values("commissioner_id").annotate(n=Count("id"), people=Sum("headcount")).order_by()
    }
    claimed = dict(timed(Claim.objects.filter(commissioner_id__in=ids), "created_at")
                   .values_list("commissioner_id").annotate(n=Count("id")).order_by())
    resolved = {
        r["commissioner_id"]: (r["n"], r["rating"])
        for r in timed(Claim.objects.filter(commissioner_id__in=ids, status=ClaimStatus.ACCEPTED,
                                            problem__resolved_at__isnull=False), "problem__resolved_at")
        .values("commissioner_id").annotate(n=Count("id"), rating=Avg("problem__rating")).order_by()
    }
    team_work = team_work_of(ids, window.start, window.end)
    rows = []
    for pk, name, area in people.values_list("pk", "name", "area_id"):
        n_trainings, trainees = trained.get(pk, (0, 0))
        n_resolved, rating = resolved.get(pk, (0, None))
        sent = dispatched.get(pk, {})
        n_teams, team_resolved = team_work[pk]
        rows.append({
            "commissioner_id": pk, "name": name, "area_code": area, "county_code": area[:6],
            "service_days": service_days.get(pk, 0), "dispatches": sent.get("n", 0),
            **{f"dispatches_{p}": sent.get(p, 0) for p in Programme.values},
            "sending_units": units.get(pk, []),
            "trainings": n_trainings, "trainees": trainees, "problems_claimed": claimed.get(pk, 0),
            "problems_resolved": n_resolved, "average_rating": round(float(rating), 2) if rating is not None else None,
            "flagged_checkins": flagged.get(pk, 0), "teams": n_teams, "team_problems_resolved": team_resolved,
        })
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    rows.sort(key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0, r["commissioner_id"]),
              reverse=descending)
    if descending:  # keep "no rating" last either way
        rows.sort(key=lambda r: r[key] is None)
    return rows


# -- how the work was done: trainings by mode, dispatches by programme ----------------------------


def trainings_by_mode(*, window: Window, within: Area) -> list[dict[str, Any]]:
    """Per training mode (all four, in the plan's order): sessions, trainees (Σ headcount, 人次) and
    households (Σ 户数 where recorded, with how many sessions recorded it). One query."""
    since, until = days_window(window.start, window.end)
    qs = in_window(Training.objects.filter(_within(within, "village")), "started_at", since, until)
    found = {
        r["mode"]: {"trainings": r["n"], "trainees": r["people"], "households": r["homes"],
                    "households_recorded": r["recorded"]}
        for r in qs.values("mode").annotate(
            n=Count("id"), people=Sum("headcount"), homes=Sum("households"), recorded=Count("households"),
        ).order_by()
    }
    figures = ("trainings", "trainees", "households", "households_recorded")
    return [
        {"mode": mode, "name": label, **{key: found.get(mode, {}).get(key) or 0 for key in figures}}
        for mode, label in TrainingMode.choices
    ]


def dispatches_by_programme(*, window: Window, within: Area) -> list[dict[str, Any]]:
    """Per programme (all three): dispatches (人次, counted in the window their start falls in, as the
    target counts them), the distinct people sent and the distinct sending units named. One query."""
    qs = Dispatch.objects.filter(_within(within, "village"))
    if window.start:
        qs = qs.filter(starts_on__gte=window.start)
    if window.end:
        qs = qs.filter(starts_on__lte=window.end)
    found = {
        r["programme"]: r
        for r in qs.values("programme").annotate(
            dispatches=Count("id"), people=Count("commissioner", distinct=True),
            sending_units=Count("sending_unit", distinct=True, filter=~Q(sending_unit="")),
        ).order_by()
    }
    figures = ("dispatches", "people", "sending_units")
    return [
        {"programme": programme, "name": label, **{key: found.get(programme, {}).get(key) or 0 for key in figures}}
        for programme, label in Programme.choices
    ]


# -- the previous plan's results beside today's ---------------------------------------------------


def _todays_figures(window: Window, within: Area) -> dict[str, int]:
    """Each baseline measure counted in the window inside ``within``: three queries for a window of whole years
    or months (the rollup's sums, the villages served, the “三区” people)."""
    sums = rollup_sums(within, window.start, window.end, None)[None]
    three_regions = Dispatch.objects.filter(inside(within), programme=Programme.THREE_REGIONS)
    if window.start:
        three_regions = three_regions.filter(starts_on__gte=window.start)
    if window.end:
        three_regions = three_regions.filter(starts_on__lte=window.end)
    return {
        BaselineMeasure.DISPATCHES: sums["dispatches"],
        # Served as the coverage map says: any verified check-in, dispatch or training in the window.
        BaselineMeasure.VILLAGES_SERVED: villages_served(within, window.start, window.end),
        BaselineMeasure.THREE_REGIONS_PEOPLE: three_regions.aggregate(n=Count("commissioner", distinct=True))["n"],
        BaselineMeasure.TRAININGS: sums["trainings"],
        BaselineMeasure.TRAINEES: sums["trainees"],
        BaselineMeasure.PROBLEMS_RESOLVED: sums["problems_resolved"],
    }


def baselines_beside(*, window: Window, within: Area) -> list[dict[str, Any]]:
    """The previous plan's results (PlanBaseline), each with today's figure of its measure counted in
    ``window`` inside ``within`` (the reader's area: a county compares its own figure with the city's
    past). The baselines are the city's; ``current`` is the reader's."""
    baselines = list(PlanBaseline.objects.all())
    today = _todays_figures(window, within) if baselines else {}
    return [
        {"code": b.code, "name": b.name, "value": b.value, "unit": b.unit, "at_least": b.at_least,
         "period_label": b.period_label, "measure": b.measure, "current": today[b.measure]}
        for b in baselines
    ]


def stats_area_for(user: User) -> Area:
    """The area whose figures a user may see: the bureau its city, county staff their county."""
    return user.area


