"""What commissioners need to know from the problems app, without importing it.

Problems sit above commissioners (problems → commissioners → villages): a check-in may name a problem,
and matching's read model carries each commissioner's track record on problems. The problems app
registers both answers in its ``AppConfig.ready()``; this module holds them. Without a registration
a check-in may name no problem and everyone's track record is empty. The teams app, above too, hears which
commissioners' matching rows were recomputed (``register_commissioners_changed``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from core.errors import NotFound

if TYPE_CHECKING:
    from accounts.models import User

# (commissioner, problem id) -> None, or raises the DomainError that refuses the reference.
ProblemReferenceCheck = Callable[["User", int], None]
# commissioner ids -> {id: (active problems, resolved count, rating sum, rating count)}
TrackRecords = Callable[[list[int]], dict[int, tuple[int, int, int, int]]]


def _no_problems(user: User, problem_id: int) -> None:
    raise NotFound(_("No problem %(id)s.") % {"id": problem_id}, code="problem_not_found")


_hooks: dict[str, Callable] = {"problem_reference": _no_problems, "track_records": lambda ids: {}}


# commissioner ids whose matching rows were just recomputed (their home, availability, area, right to log in
# or record may have changed): the teams app refreshes its own read model for their teams.
CommissionersChanged = Callable[[list[int]], None]
_changed: list[CommissionersChanged] = []


def register_commissioners_changed(callback: CommissionersChanged) -> None:
    if callback not in _changed:
        _changed.append(callback)


def commissioners_changed(ids: list[int]) -> None:
    for callback in _changed:
        callback(ids)


def register_problem_reference_check(check: ProblemReferenceCheck) -> None:
    _hooks["problem_reference"] = check


def register_track_records(reader: TrackRecords) -> None:
    _hooks["track_records"] = reader


def ensure_may_reference_problem(user: User, problem_id: int) -> None:
    """A check-in may name only a problem its commissioner may see (404 unknown, 403 not theirs)."""
    _hooks["problem_reference"](user, problem_id)


def track_records(ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    return _hooks["track_records"](ids)
