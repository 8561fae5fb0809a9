"""Counting rules: what counts toward a target. A target's ``rule`` is data that selects one of these.

Each rule says which rows count in an area between two Asia/Shanghai days (inclusive), how they add
up, and which Shanghai year each row falls in. Every rule here is additive (a year's figures sum to
the period's), which `stats.selectors.target_progress` relies on for its projection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import ExtractYear

from accounts.scoping import area_q
from commissioners.models import Dispatch
from core.periods import SHANGHAI, days_window
from problems.models import Problem, ProblemStatus
from trainings.models import Training
from villages.models import Area

from .models import TargetRule


def _within(area: Area, path: str):
    return area_q(area, path)


@dataclass(frozen=True)
class CountingRule:
    rows: Callable[[Area, date, date], QuerySet]
    measure: Callable[[], Any]
    year: Callable[[], Any]


def _dispatches(area: Area, start: date, end: date) -> QuerySet:
    # A dispatch is one 人次 in the year it starts (选派), whatever its length.
    return Dispatch.objects.filter(_within(area, "village"), starts_on__gte=start, starts_on__lte=end)


def _trainings(area: Area, start: date, end: date) -> QuerySet:
    since, until = days_window(start, end)
    return Training.objects.filter(_within(area, "village"), started_at__gte=since, started_at__lt=until)


def _problems_resolved(area: Area, start: date, end: date) -> QuerySet:
    since, until = days_window(start, end)
    # Resolved by the commissioner (confirmed or not yet); a withdrawn problem never counts.
    return Problem.objects.filter(_within(area, "village"), status__in=[ProblemStatus.RESOLVED, ProblemStatus.CLOSED],
                                  resolved_at__gte=since, resolved_at__lt=until)


RULES: dict[str, CountingRule] = {
    TargetRule.DISPATCHES_COUNTED: CountingRule(_dispatches, lambda: Count("id"), lambda: ExtractYear("starts_on")),
    TargetRule.TRAINING_HEADCOUNT_SUMMED: CountingRule(
        _trainings, lambda: Sum("headcount"), lambda: ExtractYear("started_at", tzinfo=SHANGHAI)),
    TargetRule.TRAININGS_COUNTED: CountingRule(
        _trainings, lambda: Count("id"), lambda: ExtractYear("started_at", tzinfo=SHANGHAI)),
    TargetRule.PROBLEMS_RESOLVED_COUNTED: CountingRule(
        _problems_resolved, lambda: Count("id"), lambda: ExtractYear("resolved_at", tzinfo=SHANGHAI)),
}


def counting_rule(code: str) -> CountingRule:
    """The counting function a rule names; KeyError for a rule the service does not know."""
    return RULES[code]
