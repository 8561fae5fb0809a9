"""Figures per shared service team (`/stats/teams`, the workbook's 团队 sheet) and a member's team work.

A team's work in a window is its members' work for it:

- service_days: distinct (member, Asia/Shanghai day) pairs with a verified check-in either in the team's
  service area (a served village, or a village of a served township) or against a problem the team's claim
  was accepted on: three members in a village one day are three service days, as for three people;
- trainings, trainees: the members' trainings in the service area (sessions, and their headcount 人次);
- problems_resolved, rating_avg: problems resolved in the window on the team's accepted claims, and the
  villages' average rating of those rated.

Six queries whatever the number of teams: the members' rows are aggregated in SQL by (member, village)
and shared out to their teams here (a member may be in several teams: their work in an area two of
their teams serve counts for both).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from commissioners.models import Checkin
from core.periods import SHANGHAI, days_window, in_window
from problems.models import Claim, ClaimStatus
from teams.models import Membership, ServiceArea, Team
from teams.selectors import serving_q
from trainings.models import Training
from villages.models import Area


def _teams(within: Area, county: str | None, team_id: int | None = None) -> QuerySet[Team]:
    """The teams whose figures a reader of ``within`` sees: the city's, all; a county's, the teams of that
    county and those serving a township or village of it (what its staff see of teams)."""
    qs = Team.objects.all() if team_id is None else Team.objects.filter(pk=team_id)
    if within.level != "city":
        qs = qs.filter(Q(home_county_id=within.code) | serving_q(within))
    if county:
        qs = qs.filter(Q(home_county_id=county) | Q(pk__in=ServiceArea.objects.filter(
            area__county_code=county).values("team_id")))
    return qs.order_by("home_county_id", "name", "id")


def team_figures(*, within: Area, start: date | None, end: date | None, county: str | None = None,
                 team_id: int | None = None) -> list[dict[str, Any]]:
    """The teams of ``within`` (of or serving ``county``; only ``team_id`` when given), with their figures for
    the days ``start``..``end``."""
    since, until = days_window(start, end)
    teams = list(_teams(within, county, team_id).values("pk", "name", "home_county_id", "industry_id", "active"))
    ids = [t["pk"] for t in teams]
    members: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in Membership.objects.filter(team_id__in=ids).values_list("team_id", "user_id"):
        members[team_id].add(user_id)
    areas: dict[int, set[str]] = defaultdict(set)
    for team_id, code in ServiceArea.objects.filter(team_id__in=ids).values_list("team_id", "area_id"):
        areas[team_id].add(code)
    people = sorted(set().union(*members.values())) if members else []

    accepted = Claim.objects.filter(team_id__in=ids, status=ClaimStatus.ACCEPTED)
    team_problems: dict[int, int] = dict(accepted.values_list("problem_id", "team_id"))

    def serves(team_id: int, village: str, township: str, problem_id: int | None = None) -> bool:
        return village in areas[team_id] or township in areas[team_id] or team_problems.get(problem_id) == team_id

    visits = (in_window(Checkin.objects.filter(commissioner_id__in=people, verified=True), "occurred_at", since, until)
              .values_list("commissioner_id", "village_id", "village__township_code", "problem_id",
                           TruncDate("occurred_at", tzinfo=SHANGHAI)).distinct().order_by())
    days: dict[int, set[tuple[int, Any]]] = defaultdict(set)
    teams_of: dict[int, list[int]] = defaultdict(list)
    for team_id, users in members.items():
        for user_id in users:
            teams_of[user_id].append(team_id)
    for user_id, village, township, problem_id, day in visits:
        for team_id in teams_of[user_id]:
            if serves(team_id, village, township, problem_id):
                days[team_id].add((user_id, day))

    trained: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    sessions = (in_window(Training.objects.filter(commissioner_id__in=people), "started_at", since, until)
                .values("commissioner_id", "village_id", "village__township_code")
                .annotate(n=Count("id"), people=Sum("headcount")).order_by())
    for row in sessions:
        for team_id in teams_of[row["commissioner_id"]]:
            if serves(team_id, row["village_id"], row["village__township_code"]):
                trained[team_id][0] += row["n"]
                trained[team_id][1] += row["people"] or 0

    resolved = {
        r["team_id"]: (r["n"], r["rating"])
        for r in in_window(accepted.filter(problem__resolved_at__isnull=False), "problem__resolved_at", since, until)
        .values("team_id").annotate(n=Count("id"), rating=Avg("problem__rating")).order_by()
    }
    rows = []
    for team in teams:
        pk = team["pk"]
        n_resolved, rating = resolved.get(pk, (0, None))
        rows.append({
            "id": pk, "name": team["name"], "county_code": team["home_county_id"], "industry": team["industry_id"],
            "active": team["active"], "members": len(members[pk]), "service_days": len(days[pk]),
            "trainings": trained[pk][0], "trainees": trained[pk][1], "problems_resolved": n_resolved,
            "rating_avg": round(float(rating), 2) if rating is not None else None,
        })
    return rows


def team_work_of(ids: list[int], start: date | None, end: date | None) -> dict[int, tuple[int, int]]:
    """member -> (teams they belong to, problems their teams resolved in the window on a claim another member
    made): what the commissioner assessment adds for a member's team work. Two queries."""
    since, until = days_window(start, end)
    teams_of: dict[int, set[int]] = defaultdict(set)
    for user_id, team_id in Membership.objects.filter(user_id__in=ids).values_list("user_id", "team_id"):
        teams_of[user_id].add(team_id)
    claims = list(in_window(Claim.objects.filter(status=ClaimStatus.ACCEPTED, problem__resolved_at__isnull=False,
                                                 team_id__in=set().union(*teams_of.values()) if teams_of else []),
                            "problem__resolved_at", since, until).values_list("team_id", "commissioner_id"))
    claimants: dict[int, list[int]] = defaultdict(list)
    for team_id, by in claims:
        claimants[team_id].append(by)
    return {pk: (len(teams_of[pk]), sum(1 for team_id in teams_of[pk] for by in claimants[team_id] if by != pk))
            for pk in ids}
