"""Matching for teams: which shared service teams should take up a problem, and why.

A team is a candidate when it is active, its industry is the problem's category or the field above it
(a field's team takes its industries' problems, as a person's expertise does), and either its service
area covers the village (the village itself or its township) or one of its active members is within
`PROBLEM_REACH_KM` of the problem (their home, else their registered area: the team's industry is the
expertise that counts). It is scored with the weights individuals are scored with (settings.MATCHING),
each component in [0, 1]:

- distance: its nearest member's (exp(-d / decay)); a member without a home counts from their area;
- service_area (the weight of `same_county`): the team's service area covers the village;
- workload, track_record, rating: the team's own claims (in progress; resolved; the villages' ratings);
- recent_service: a member served the village lately (an accepted claim, a check-in or a dispatch).

Every figure goes back in `reasons`, in words a staff member reads (industry, covers the village,
members and their distances, workload, record). The candidates come from the teams' read model
(teams.TeamCandidate, kept by teams/candidates.py: a row per active team, category it takes up and active
member, with the member's point and the team's record), so the category's teams are one index range with
no joins. Every candidate is scored as numpy columns (haversine for the ranking, as for people; the
geodesic for what is shown), and names are loaded for the results only: four queries whatever the number
of teams (the service areas holding the village, the category's rows, and the results' teams and members).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Q

from geo.cells import bbox_around
from geo.distance import geodesic_many_m
from geo.near import haversine_many_km
from teams.models import Membership, ServiceArea, Team, TeamCandidate
from villages.models import Area

from .models import Claim, ClaimStatus, Problem

# The component that weighs a team's service area takes the weight of an individual's same county:
# both say "this is their patch", and one set of weights keeps people and teams on one scale.
_WEIGHT_OF = {"distance": "distance", "service_area": "same_county", "workload": "workload",
              "track_record": "track_record", "rating": "rating", "recent_service": "recent_service"}


@dataclass
class TeamMatch:
    team: Team
    score: float
    distance_km: float | None
    reasons: dict[str, Any]
    members: list[dict[str, Any]] = field(default_factory=list)


def teams_covering_q(village: Area) -> Q:
    """Rows (of a model with a ``team``) of the teams whose service area holds the village or its township."""
    return Q(team_id__in=ServiceArea.objects.filter(area_id__in=[village.code, village.township_code])
             .values("team_id"))


def team_matches_for(problem: Problem, *, recent: set[int], limit: int = 10) -> list[TeamMatch]:
    """The best ``limit`` teams for ``problem``, scored (module docstring). ``recent``: who served the village
    lately (as matching computed it for people)."""
    covering = set(ServiceArea.objects.filter(area_id__in=[problem.village_id, problem.village.township_code])
                   .values_list("team_id", flat=True))
    # The read model's rows of the category: the members that could be within reach (in the box around the
    # reach), and every member of the teams covering the village. A member outside the box is beyond reach:
    # leaving them out changes a team's distance component by less than exp(-reach / decay).
    box = bbox_around(problem.lat, problem.lng, settings.PROBLEM_REACH_KM)
    near = Q(lat__range=(box[0], box[2]), lng__range=(box[1], box[3]))
    referred = Claim.objects.filter(problem=problem, status=ClaimStatus.REFERRED, team__isnull=False)
    rows = list(TeamCandidate.objects.filter(near | Q(team_id__in=covering), category_id=problem.category_id)
                .exclude(team_id__in=referred.values("team_id"))  # a team that said it cannot: not proposed again
                .order_by("team_id", "member_id")
                .values_list("team_id", "member_id", "lat", "lng", "active_problems", "resolved_count",
                             "rating_sum", "rating_count"))
    if not rows:
        return []
    columns = np.array(rows, dtype=float)  # None (no point) becomes nan
    team = columns[:, 0].astype(np.int64)
    user = columns[:, 1].astype(np.int64)
    lat, lng = columns[:, 2], columns[:, 3]
    km = haversine_many_km(problem.lat, problem.lng, lat, lng)
    km = np.where(np.isnan(km), np.inf, km)
    starts = np.flatnonzero(np.r_[True, team[1:] != team[:-1]])  # rows are grouped by team
    teams = team[starts]
    nearest = np.minimum.reduceat(km, starts)
    within = np.add.reduceat((km <= settings.PROBLEM_REACH_KM).astype(int), starts)
    covers = np.isin(teams, list(covering))
    candidate = covers | (within > 0)
    if not candidate.any():
        return []
    served = np.add.reduceat(np.isin(user, list(recent)).astype(int), starts) > 0 if recent else np.zeros(
        len(teams), dtype=bool)
    record = columns[starts, 4:8]  # the team's record, the same on each of its rows
    rating = np.divide(record[:, 2], record[:, 3], out=np.full(len(teams), np.nan), where=record[:, 3] > 0)
    w = settings.MATCHING
    weights = {name: w["weights"][key] for name, key in _WEIGHT_OF.items()}
    components = {
        "distance": np.where(np.isfinite(nearest), np.exp(-nearest / w["distance_decay_km"]), 0.0),
        "service_area": covers.astype(float),
        "workload": 1.0 / (1.0 + record[:, 0]),
        "track_record": 1.0 - np.exp(-record[:, 1] / w["resolved_scale"]),
        "rating": np.where(np.isnan(rating), 0.5, (rating - 1.0) / 4.0),
        "recent_service": served.astype(float),
    }
    score = np.round(sum(weights[name] * c for name, c in components.items()), 4)
    order = np.lexsort((teams, nearest, -score))
    top = order[candidate[order]][:limit]
    return _results(problem, top, teams=teams, score=score, components=components, weights=weights, covers=covers,
                    within=within, served=served, record=record, rating=rating)


def _results(problem: Problem, top: np.ndarray, *, teams, score, components, weights, covers, within, served,
             record, rating) -> list[TeamMatch]:
    """The chosen teams with all their active members (two queries), distances on the ellipsoid."""
    chosen = [int(teams[i]) for i in top]
    found = Team.objects.in_bulk(chosen)
    members: dict[int, list[tuple]] = {}
    for row in (Membership.objects.filter(team_id__in=chosen, user__is_active=True).order_by("team_id", "role", "id")
                .values_list("team_id", "user_id", "user__name", "user__area_id", "role",
                             "user__commissioner__home_lat", "user__commissioner__home_lng", "user__area__lat",
                             "user__area__lng")):
        members.setdefault(row[0], []).append(row)
    out = []
    for i in top:
        team_id = int(teams[i])
        rows = members.get(team_id, [])
        known = [r for r in rows if (r[5] if r[5] is not None else r[7]) is not None]
        metres = geodesic_many_m(problem.lat, problem.lng,
                                 np.array([r[5] if r[5] is not None else r[7] for r in known], dtype=float),
                                 np.array([r[6] if r[6] is not None else r[8] for r in known], dtype=float))
        exact = {r[1]: round(float(d) / 1000, 3) for r, d in zip(known, metres.tolist(), strict=True)}
        nearest = min(exact.values()) if exact else None
        rate = None if np.isnan(rating[i]) else round(float(rating[i]), 2)
        reasons = {
            "industry": found[team_id].industry_id,
            "service_area_covers_village": bool(covers[i]),
            "members": len(rows),
            "nearest_member_km": nearest,
            "members_within_reach": int(within[i]),
            # Whole kilometres, members within reach only: a team's match names no more of a person's home
            # than a person's own match does (docs/security.md).
            "member_distances_km": {str(r[1]): round(exact[r[1]]) for r in rows
                                    if exact.get(r[1]) is not None and exact[r[1]] <= settings.PROBLEM_REACH_KM},
            "active_problems": int(record[i, 0]),
            "resolved_count": int(record[i, 1]),
            "average_rating": rate,
            "recent_village_service": bool(served[i]),
            "components": {name: round(float(c[i]), 4) for name, c in components.items()},
            "weights": weights,
        }
        out.append(TeamMatch(found[team_id], float(score[i]), nearest, reasons,
                             [{"id": r[1], "name": r[2], "area_code": r[3], "role": r[4]} for r in rows]))
    return out
