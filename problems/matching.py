"""Matching: which commissioners should take up a problem, and why.

Hard filters: the problem's audience (problems/audience.py: active, available, expertise covering
the problem's category — the category itself or the field it belongs to, as the read model holds it —,
home within `PROBLEM_REACH_KM`), the same people `problem.posted` told.
Then a score in [0, 1], the weighted sum of components each in [0, 1] (weights and their reasons
in settings.MATCHING). Every component goes back in `reasons`, so staff can see why someone ranks
where they do.

The ranking is exact: the same as scoring everyone within reach. What keeps that fast at national
scale (bench/matching) is the read model (commissioners' MatchingCandidate, kept by
commissioners/candidates.py, on PostgreSQL in (category, home cell) order): its rows have the hard
filters applied and carry each candidate's workload and track record, so the candidates are one index
range per grid row of the category (the one near selector, geo/near.py, as numpy columns) with no
per-candidate query, and scoring is vectorised. And the search is best first (`_people`): candidates
within a first ring, plus the problem's county and recent servers wherever they live, and only when
the tenth best could still be beaten from beyond the ring, a wider one. Who served the village lately
and who referred the problem is one query. Three queries when the first ring decides (most problems),
one more for each wider ring (two at most); the results' names are read as values.

Teams are ranked beside people (`ranked_for`, what `/problems/{id}/matches` answers): problems/team_matching.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Q, Value
from django.utils import timezone

from accounts.scoping import area_q
from commissioners.models import Checkin, CommissionerProfile, Dispatch, MatchingCandidate
from geo.cells import bbox_around
from geo.distance import geodesic_many_m
from geo.near import NearArrays
from teams.models import Membership
from villages.models import Area

from .audience import problem_audience
from .models import Claim, ClaimStatus, Problem, ProblemStatus
from .team_matching import TeamMatch, team_matches_for

# Best first (`_people`): the first ring read around a problem. At national scale (bench/matching) 40 km
# decided 52 % of problems, 60 km 76 %, 100 km 88 %: a wider ring is one more query, more than the few dozen
# extra candidates a wider first ring reads.
_FIRST_RING_KM = 60.0
# Read wherever they live, so they bound nobody's score: the problem's county, recent service in the village.
_READ_ANYWHERE = ("distance", "same_county", "recent_service")
# Scoring measures haversine km, within 1 % of the geodesic distance a ring is read by (geo/near.py).
_HAVERSINE_LOW = 0.99
# Scores are rounded to 4 decimals: one unit more than the bound, so a rounded tie never depends on it.
_MARGIN = 1e-4

# The two kinds of rows `_recent_and_barred` reads in one query.
_SERVED, _BARRED = 0, 1

_FIELDS = ("commissioner_id", "county_code", "active_problems", "resolved_count", "rating_sum", "rating_count",
           "via_field")


@dataclass
class Match:
    commissioner_id: int
    score: float
    distance_km: float
    reasons: dict[str, Any]
    # Loaded for the results only: the name, and the county of the registered area (never the home).
    name: str = ""
    county_code: str = ""


def _weights() -> dict[str, float]:
    return settings.MATCHING


def _recent_and_barred(problem: Problem) -> tuple[set[int], set[int]]:
    """Who served the problem's village lately (an accepted claim there, a check-in, or a dispatch), and who
    referred the problem (their own claim, or their team's): they said they cannot solve it and may not
    claim it again (problems/claims.py), so they are not proposed for it either. One query."""
    since = timezone.now() - timedelta(days=_weights()["recent_days"])
    served, barred = Value(_SERVED), Value(_BARRED)
    village = problem.village_id
    claims = Claim.objects.filter(status=ClaimStatus.ACCEPTED, problem__village_id=village, decided_at__gte=since)
    visits = Checkin.objects.filter(village_id=village, occurred_at__gte=since)
    dispatched = Dispatch.objects.filter(village_id=village, starts_on__gte=timezone.localdate(since))
    referred = Claim.objects.filter(problem_id=problem.pk, status=ClaimStatus.REFERRED)
    members = Membership.objects.filter(team_id__in=referred.filter(team__isnull=False).values("team_id"))
    parts = [qs.order_by().values_list("commissioner_id", served) for qs in (claims, visits, dispatched)]
    parts += [referred.order_by().values_list("commissioner_id", barred),
              members.order_by().values_list("user_id", barred)]
    found: dict[int, set[int]] = {_SERVED: set(), _BARRED: set()}
    for user_id, why in parts[0].union(*parts[1:]):
        found[why].add(user_id)
    return found[_SERVED], found[_BARRED]


class _Ranking:
    """Every candidate scored as numpy columns, best first; ``match(rank)`` builds one result."""

    def __init__(self, problem: Problem, found: NearArrays, recent: set[int]) -> None:
        w = _weights()
        self.weights = w["weights"]
        self.category = problem.category_id
        self.found = found
        self.order = np.empty(0, dtype=int)
        if not len(found):
            return
        v = found.values
        self.recent = np.isin(v["commissioner_id"], list(recent)) if recent else np.zeros(len(found), dtype=bool)
        self.same_county = v["county_code"] == problem.village.county_code
        count = v["rating_count"].astype(float)
        self.rating = np.divide(v["rating_sum"], count, out=np.full(len(found), np.nan), where=count > 0)
        self.components = {
            "distance": np.exp(-found.km / w["distance_decay_km"]),
            "same_county": self.same_county.astype(float),
            "workload": 1.0 / (1.0 + v["active_problems"]),
            "track_record": 1.0 - np.exp(-v["resolved_count"] / w["resolved_scale"]),
            "rating": np.where(np.isnan(self.rating), 0.5, (self.rating - 1.0) / 4.0),
            "recent_service": self.recent.astype(float),
        }
        self.score = np.round(sum(self.weights[name] * c for name, c in self.components.items()), 4)
        # best score first, then nearer, then the lower id: a stable, reproducible order
        self.order = np.lexsort((v["commissioner_id"], found.km, -self.score))

    def __len__(self) -> int:
        return len(self.order)

    def score_at(self, rank: int) -> float:
        return float(self.score[self.order[rank]])

    def match(self, rank: int) -> Match:
        i = int(self.order[rank])
        v = self.found.values
        km = float(self.found.km[i])
        rating = None if np.isnan(self.rating[i]) else float(self.rating[i])
        reasons = {
            "distance_km": round(km, 3),
            "same_county": bool(self.same_county[i]),
            "active_problems": int(v["active_problems"][i]),
            "resolved_count": int(v["resolved_count"][i]),
            "average_rating": round(rating, 2) if rating is not None else None,
            "recent_village_service": bool(self.recent[i]),
            # The expertise that covers the problem: its own category (芒果), or the field above it (果树).
            "expertise": str(v["via_field"][i]) or self.category,
            "components": {name: round(float(c[i]), 4) for name, c in self.components.items()},
            "weights": self.weights,
        }
        return Match(int(v["commissioner_id"][i]), float(self.score[i]), km, reasons)


def _rest_at_best() -> float:
    """What a candidate not read can score besides distance: every component not read wherever they live
    at its best (1)."""
    return sum(v for name, v in _weights()["weights"].items() if name not in _READ_ANYWHERE)


def _bound_beyond(ring_km: float) -> float:
    """The best score a candidate not read with ring ``ring_km`` can have: farther than the ring, of another
    county, without recent service in the village (those are read wherever they live), every other
    component at its best (1)."""
    w = _weights()
    return w["weights"]["distance"] * math.exp(-_HAVERSINE_LOW * ring_km / w["distance_decay_km"]) + _rest_at_best()


def _ring_for(score: float) -> float:
    """The smallest ring beyond which nobody scores ``score`` or more (the reach when no ring can say so)."""
    reach = settings.PROBLEM_REACH_KM
    w = _weights()
    weights = w["weights"]
    room = score - _MARGIN - _rest_at_best()
    if room <= 0:
        return reach
    if room >= weights["distance"]:
        return 0.0
    return min(reach, -w["distance_decay_km"] * math.log(room / weights["distance"]) / _HAVERSINE_LOW * 1.001)


def _validated(ranking: _Ranking, barred: set[int], limit: int) -> list[tuple[Match, float, float]]:
    """The best ``limit`` of ``ranking`` whose commissioner is still matchable and did not refer the problem,
    with their homes."""
    top: list[tuple[Match, float, float]] = []
    rank = 0
    while len(top) < limit and rank < len(ranking):
        # Only the results are loaded, as values. A row whose commissioner changed behind the read
        # model's back (deactivated in the admin, say) is skipped, never shown.
        batch = [ranking.match(r) for r in range(rank, min(rank + limit - len(top), len(ranking)))]
        rank += len(batch)
        people = {row[0]: row for row in CommissionerProfile.objects.filter(
            user_id__in=[m.commissioner_id for m in batch if m.commissioner_id not in barred],
            available=True, user__is_active=True, home_cell__isnull=False,
        ).values_list("user_id", "home_lat", "home_lng", "user__name", "user__area_id")}
        for match in batch:
            if match.commissioner_id in people:
                _, lat, lng, match.name, area = people[match.commissioner_id]
                match.county_code = area[:6]
                top.append((match, lat, lng))
    return top


def _people(problem: Problem, recent: set[int], barred: set[int], limit: int) -> list[Match]:
    """The best ``limit`` of the audience, best first: exactly as if everyone within reach were scored.

    Best first: read the candidates within a first ring (and, wherever they live, those of the problem's
    county and those with recent service in the village), score them, and stop when the ``limit``-th best
    beats anyone not read (``_bound_beyond``); else read the ring that score needs, or the whole reach.
    Most problems stop at the first ring, a sixth of the reach's area (bench/matching)."""
    reach = settings.PROBLEM_REACH_KM
    ring = min(_FIRST_RING_KM, reach)
    while True:
        also = None
        if ring < reach:
            also = Q(county_code=problem.village.county_code)
            if recent:
                also |= Q(commissioner_id__in=recent)
        ranking = _Ranking(problem, problem_audience(problem, fields=_FIELDS, read_km=ring, also=also), recent)
        if ring < reach:
            if len(ranking) < limit:
                ring = reach
                continue
            kth = ranking.score_at(limit - 1)
            if kth < _bound_beyond(ring) + _MARGIN:
                ring = min(reach, max(_ring_for(kth), ring * 2))
                continue
        top = _validated(ranking, barred, limit)
        if ring >= reach or (len(top) == limit and top[-1][0].score >= _bound_beyond(ring) + _MARGIN):
            break
        ring = reach
    # What people see is measured on the ellipsoid.
    metres = geodesic_many_m(problem.lat, problem.lng, [lat for _, lat, _ in top], [lng for _, _, lng in top])
    for (match, _, _), m in zip(top, metres.tolist(), strict=True):
        match.distance_km = match.reasons["distance_km"] = round(m / 1000, 3)
    return [match for match, _, _ in top]


def matches_for(problem: Problem, *, limit: int = 10) -> list[Match]:
    """The best ``limit`` commissioners for ``problem``."""
    return _people(problem, *_recent_and_barred(problem), limit)


def ranked_for(problem: Problem, *, limit: int = 10) -> list[Match | TeamMatch]:
    """Commissioners and teams on one scale (the same weights; problems/team_matching.py), best first."""
    recent, barred = _recent_and_barred(problem)
    people = _people(problem, recent, barred, limit)
    teams = team_matches_for(problem, recent=recent, limit=limit)
    both: list[Match | TeamMatch] = [*people, *teams]
    both.sort(key=lambda m: (-m.score, m.distance_km if m.distance_km is not None else float("inf"),
                             isinstance(m, TeamMatch)))
    return both[:limit]


def matchable_for_open_problems(area: Area) -> set[int]:
    """Commissioners matching ranks for at least one open problem of ``area``: a candidate of the
    problem's category (the read model already holds only the active, available ones with a home)
    whose home is within ``PROBLEM_REACH_KM`` of it (problems/audience.py, for many problems at once).
    Two queries whatever the number of problems (the problems; the candidates of their categories
    inside the box that holds every reach).

    Township staff may list these people (accounts/scoping.py): they are the ones the township's
    match lists may name."""
    problems = list(
        Problem.objects.filter(area_q(area, "village"), status=ProblemStatus.OPEN)
        .order_by().values_list("category_id", "lat", "lng")
    )
    if not problems:
        return set()
    reach = settings.PROBLEM_REACH_KM
    boxes = [bbox_around(lat, lng, reach) for _, lat, lng in problems]
    rows = list(
        MatchingCandidate.objects.filter(
            category_id__in={category for category, _, _ in problems},
            home_lat__range=(min(b[0] for b in boxes), max(b[2] for b in boxes)),
            home_lng__range=(min(b[1] for b in boxes), max(b[3] for b in boxes)),
        ).order_by().values_list("commissioner_id", "category_id", "home_lat", "home_lng")
    )
    if not rows:
        return set()
    ids, categories, lats, lngs = (np.array(column) for column in zip(*rows, strict=True))
    found: set[int] = set()
    for category, lat, lng in problems:
        mine = np.flatnonzero(categories == category)
        if not len(mine):
            continue
        # Exact, as matching decides it: the geodesic, not the sphere.
        metres = geodesic_many_m(lat, lng, lats[mine].astype(float), lngs[mine].astype(float))
        found.update(int(i) for i in ids[mine][metres <= reach * 1000])
    return found
