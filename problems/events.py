"""A problem's history: every transition, by whom, from which status to which."""

from __future__ import annotations

from accounts.models import User

from .models import Problem, ProblemEvent


def problem_event_record(
    *, problem: Problem, kind: str, actor: User | None, from_status: str = "", note: str = ""
) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem, kind=kind, actor=actor, from_status=from_status, to_status=problem.status, note=note
    )
