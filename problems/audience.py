"""Who a problem is for: the one audience `problem.posted` is sent to and matching ranks.

Available, active commissioners with the problem's category in their expertise, whose home lies within
``settings.PROBLEM_REACH_KM`` of it. Matching's read model (commissioners.MatchingCandidate) holds
exactly the available, active commissioners with a home, one row per field of expertise, so the audience
is one index range per grid row of the category, no joins. Whoever matching may propose for a problem
has heard of it, and nobody hears of a problem matching would never propose them for.

The members of the active teams of the problem's industry (or of the field above it) whose service area
covers the village hear of it too (with `team_ids`), wherever they live: matching ranks those teams
(problems/team_matching.py).
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db.models import Q

from accounts.models import User
from commissioners.models import MatchingCandidate
from commissioners.selectors import HOME
from core.near import arrays_near
from geo.distance import geodesic_many_m
from geo.near import NearArrays
from notifications.tasks import notify_many_task
from teams.models import TeamCandidate

from .models import Problem
from .team_matching import teams_covering_q


def problem_audience(problem: Problem, *, fields: tuple[str, ...] = ("commissioner_id",),
                     read_km: float | None = None, also: Q | None = None) -> NearArrays:
    """The audience as numpy columns (``fields`` of the read model), nearest first. With ``read_km``, only
    the part of it within that distance and the rows ``also`` names (core/near.py, ``arrays_near``)."""
    candidates = MatchingCandidate.objects.filter(category_id=problem.category_id)
    return arrays_near(candidates, problem.lat, problem.lng, settings.PROBLEM_REACH_KM, HOME, fields=fields,
                       read_km=read_km, also=also)


def problem_audience_km(problem: Problem) -> list[tuple[int, float]]:
    """The audience as ``(user id, distance in km)``, nearest first."""
    found = problem_audience(problem)
    km = np.where(np.isnan(found.exact_km), found.km, found.exact_km)
    return [(user_id, round(d, 2))
            for user_id, d in zip(found.values["commissioner_id"].tolist(), km.tolist(), strict=True)]


def team_audience(problem: Problem) -> dict[int, list[int]]:
    """Members (active) of the active teams taking up the problem's category (its industry's, or the field's
    above it) whose service area covers the village (the village or its township): user id -> those teams'
    ids. One query, on the teams' read model (teams.TeamCandidate)."""
    rows = (TeamCandidate.objects.filter(teams_covering_q(problem.village), category_id=problem.category_id)
            .order_by("member_id", "team_id").values_list("member_id", "team_id"))
    found: dict[int, list[int]] = {}
    for user_id, team_id in rows:
        found.setdefault(user_id, []).append(team_id)
    return found


def _km_from_home_or_area(problem: Problem, user_ids: list[int]) -> dict[int, float]:
    """Team members outside the audience: the distance from their home, or else their registered area."""
    points = {}
    for pk, home_lat, home_lng, area_lat, area_lng in User.objects.filter(pk__in=user_ids).values_list(
            "pk", "commissioner__home_lat", "commissioner__home_lng", "area__lat", "area__lng"):
        lat, lng = (home_lat, home_lng) if home_lat is not None else (area_lat, area_lng)
        if lat is not None:
            points[pk] = (lat, lng)
    if not points:
        return {}
    metres = geodesic_many_m(problem.lat, problem.lng, [p[0] for p in points.values()],
                             [p[1] for p in points.values()])
    return {pk: round(m / 1000, 2) for pk, m in zip(points, metres.tolist(), strict=True)}


def problem_posted_fanout(problem_id: int) -> int:
    """Tell a new problem's audience, each with their distance. Off the request, after the post
    committed; written in chunks that commit one by one, and keyed, so a rerun creates nothing twice."""
    problem = Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        return 0
    audience = problem_audience_km(problem)
    teams = team_audience(problem)
    heard = {uid for uid, _ in audience}
    audience += sorted(_km_from_home_or_area(problem, [uid for uid in teams if uid not in heard]).items())
    if not audience:
        return 0
    payload = {"problem_id": problem.pk, "title": problem.title, "category": problem.category_id,
               "village_code": problem.village_id, "urgency": problem.urgency}
    extras = {str(uid): {"distance_km": km, **({"team_ids": teams[uid]} if uid in teams else {})}
              for uid, km in audience}
    # Called as a function: this already runs off the request (in problem_posted_fanout_task).
    return notify_many_task([uid for uid, _ in audience], "problem.posted", payload,
                            key=f"problem.posted:{problem.pk}", extras=extras)
