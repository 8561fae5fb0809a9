"""Who may see and who may manage a problem: the one rule every read, write and hook asks."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scoping import area_in_scope, ensure_area_in_scope
from core.errors import OutsideScope

from .models import ClaimStatus, Problem, ProblemStatus
from .selectors import problem_get, works_on_q


def ensure_can_manage(staff: User, problem: Problem) -> None:
    """Staff manage the problems of villages in their area (township, county, city)."""
    ensure_area_in_scope(staff, problem.village)


def may_see_problem(user: User, problem: Problem) -> bool:
    """Commissioners: an open problem, or one they work on (their claim, or their team's, accepted). A
    declined or withdrawn claimant has no business with it once it is no longer open. Staff: their area's.
    (The same rule, as a queryset: selectors.problems_visible_to.)"""
    if user.role == Role.COMMISSIONER:
        return problem.status == ProblemStatus.OPEN or problem.claims.filter(
            works_on_q(user), status=ClaimStatus.ACCEPTED).exists()
    return area_in_scope(user, problem.village)


def may_see_problem_id(user: User, problem_id: int) -> bool:
    """media/access.py's checker for a problem's photos."""
    problem = Problem.objects.select_related("village").filter(pk=problem_id).first()
    return problem is not None and may_see_problem(user, problem)


def visible_problem(user: User, problem_id: int) -> Problem:
    """The problem the path names, if this user may see it (404 unknown, 403 otherwise)."""
    problem = problem_get(problem_id)
    if not may_see_problem(user, problem):
        raise OutsideScope(_("This problem is outside your area."))
    return problem


def ensure_may_reference_problem(user: User, problem_id: int) -> None:
    """commissioners/hooks.py's check for a check-in naming a problem: otherwise a check-in would tie a
    commissioner to (and probe for) any problem by its id."""
    if not may_see_problem(user, problem_get(problem_id)):
        raise OutsideScope(_("You may check in only against a problem you can see."))
