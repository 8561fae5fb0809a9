"""Matching's read model for teams (teams.TeamCandidate) equals a recomputation from the source rows after
every write that changes it: team writes, a member's home, area or right to log in, a team claim's life,
and the industries under a field."""

import pytest
from django.db.models import Count, Q, Sum

from accounts.services import user_update
from commissioners.services import profile_update
from problems.claims import claim_accept, problem_resolve
from problems.closure import problem_refer
from problems.models import Claim, Problem
from problems.services import problem_confirm
from teams.candidates import team_candidates_rebuild
from teams.models import Membership, Team, TeamCandidate
from teams.services import team_update
from tests.factories import BureauFactory
from tests.fixtures_problems import make_commissioner
from villages.models import Category
from villages.services import categories_seed

from .helpers import BAICHENG, TIANZHOU, make_team

pytestmark = pytest.mark.django_db


def recomputed() -> set[tuple]:
    """The rows the read model must hold, straight from teams, memberships, members and claims."""
    done = ["resolved", "closed"]
    rated = Q(problem__status__in=done, problem__rating__isnull=False)
    records = {r["team_id"]: (r["a"], r["r"], r["s"] or 0, r["c"]) for r in Claim.objects.filter(
        status="accepted", team__isnull=False).values("team_id").annotate(
        a=Count("id", filter=Q(problem__status="in_progress")), r=Count("id", filter=Q(problem__status__in=done)),
        s=Sum("problem__rating", filter=rated), c=Count("id", filter=rated)).order_by()}
    rows = set()
    for team in Team.objects.filter(active=True):
        takes = [team.industry_id, *Category.objects.filter(parent_id=team.industry_id).values_list("code", flat=True)]
        for m in Membership.objects.filter(team=team, user__is_active=True).select_related("user__area",
                                                                                           "user__commissioner"):
            profile = getattr(m.user, "commissioner", None)
            home = (profile.home_lat, profile.home_lng) if profile and profile.home_lat is not None else None
            lat, lng = home or (m.user.area.lat, m.user.area.lng)
            rows |= {(team.pk, code, m.user_id, lat, lng, *records.get(team.pk, (0, 0, 0, 0))) for code in takes}
    return rows


def stored() -> set[tuple]:
    return set(TeamCandidate.objects.values_list("team_id", "category_id", "member_id", "lat", "lng",
                                                 "active_problems", "resolved_count", "rating_sum", "rating_count"))


def test_the_read_model_equals_a_recomputation_after_every_write(api, staff, village, post_problem):
    a, b, c = (make_commissioner(village, km_north=km) for km in (5, 40, 300))
    fruit = make_team([a, b], name="果树队", industry="fruit-trees", areas=(BAICHENG,))
    mango = make_team([b, c], name="芒果队", industry="mango", areas=(TIANZHOU,))
    assert stored() == recomputed()
    assert {r[1] for r in stored() if r[0] == fruit.pk} == {"fruit-trees", "mango", "citrus", "banana"}
    assert {r[1] for r in stored() if r[0] == mango.pk} == {"mango"}

    bureau = BureauFactory()
    team_update(staff=bureau, team=mango, member_ids=[b.pk, c.pk, a.pk], leader_id=c.pk)
    assert stored() == recomputed()
    profile_update(user=a, home=(village.lat + 0.5, village.lng))  # a member moves home
    assert stored() == recomputed()
    user_update(actor=bureau, user=c, area_code="451003100001", is_active=False)  # leaves the service
    assert stored() == recomputed() and not TeamCandidate.objects.filter(member=c).exists()

    # A team claim's life: accepted (workload), resolved and confirmed (record and rating), referred.
    pid = post_problem(category="mango")["id"]
    claim = api.as_user(b).post(f"/problems/{pid}/claims", {"team_id": fruit.pk}).json()["id"]
    problem = Problem.objects.get(pk=pid)
    claim_accept(staff=staff, problem=problem, claim_id=claim)
    assert stored() == recomputed() and TeamCandidate.objects.filter(team=fruit, active_problems=1).exists()
    problem_resolve(commissioner=a, problem=problem, summary="喷施咪鲜胺")
    problem_confirm(staff=staff, problem=problem, rating=4)
    assert stored() == recomputed()
    assert set(TeamCandidate.objects.filter(team=fruit).values_list("resolved_count", "rating_sum")) == {(1, 4)}
    other = post_problem(category="citrus")["id"]
    claim = api.as_user(a).post(f"/problems/{other}/claims", {"team_id": fruit.pk}).json()["id"]
    claim_accept(staff=staff, problem=Problem.objects.get(pk=other), claim_id=claim)
    problem_refer(user=a, problem=Problem.objects.get(pk=other), reason="需要植保站会诊")
    assert stored() == recomputed()

    # The industry changes, the team retires, a new industry appears under a field.
    team_update(staff=bureau, team=mango, industry="fruit-trees")
    assert stored() == recomputed()
    team_update(staff=bureau, team=fruit, active=False)
    assert stored() == recomputed() and not TeamCandidate.objects.filter(team=fruit).exists()
    Category.objects.filter(code="banana").delete()
    categories_seed()  # adds the missing industry back and tells its field
    assert stored() == recomputed()

    rows = stored()
    TeamCandidate.objects.all().delete()
    team_candidates_rebuild()
    assert stored() == rows
