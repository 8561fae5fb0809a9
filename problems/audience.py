"""Who a problem is for: the one audience `problem.posted` is sent to and matching ranks.

Available, active commissioners with the problem's category in their expertise, whose home lies within
``settings.PROBLEM_REACH_KM`` of it. Matching's read model (commissioners.MatchingCandidate) holds
exactly the available, active commissioners with a home, one row per field of expertise, so the audience
is one index range per grid row of the category, no joins. Whoever matching may propose for a problem
has heard of it, and nobody hears of a problem matching would never propose them for.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings

from commissioners.models import MatchingCandidate
from commissioners.selectors import HOME
from geo.near import NearArrays, arrays_near
from notifications.tasks import notify_many_task

from .models import Problem


def problem_audience(problem: Problem, *, fields: tuple[str, ...] = ("commissioner_id",)) -> NearArrays:
    """The audience as numpy columns (``fields`` of the read model), nearest first."""
    candidates = MatchingCandidate.objects.filter(category_id=problem.category_id)
    return arrays_near(candidates, problem.lat, problem.lng, settings.PROBLEM_REACH_KM, HOME, fields=fields)


def problem_audience_km(problem: Problem) -> list[tuple[int, float]]:
    """The audience as ``(user id, distance in km)``, nearest first."""
    found = problem_audience(problem)
    km = np.where(np.isnan(found.exact_km), found.km, found.exact_km)
    return [(user_id, round(d, 2))
            for user_id, d in zip(found.values["commissioner_id"].tolist(), km.tolist(), strict=True)]


def problem_posted_fanout(problem_id: int) -> int:
    """Tell a new problem's audience, each with their distance. Off the request, after the post
    committed; written in chunks that commit one by one, and keyed, so a rerun creates nothing twice."""
    problem = Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        return 0
    audience = problem_audience_km(problem)
    if not audience:
        return 0
    payload = {"problem_id": problem.pk, "title": problem.title, "category": problem.category_id,
               "village_code": problem.village_id, "urgency": problem.urgency}
    extras = {str(uid): {"distance_km": km} for uid, km in audience}
    # Called as a function: this already runs off the request (in problem_posted_fanout_task).
    return notify_many_task([uid for uid, _ in audience], "problem.posted", payload,
                            key=f"problem.posted:{problem.pk}", extras=extras)
