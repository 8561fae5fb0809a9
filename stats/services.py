"""Writes for stats: the plan's targets."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from .models import Target, TargetRule

# Baise's 2021-2025 S&T plan (百色市"十四五"科技发展规划): the two figures this service tallies.
PLAN_TARGETS = (
    dict(code="commissioner_dispatches", name="科技特派员选派", unit="人次", value=2000,
         rule=TargetRule.DISPATCHES_COUNTED, sort_order=1),
    dict(code="trainees_served", name="培训服务", unit="人次", value=600_000,
         rule=TargetRule.TRAINING_HEADCOUNT_SUMMED, sort_order=2),
)


@transaction.atomic
def targets_seed(city_code: str = "451000") -> int:
    """Create the plan's targets that are missing (never changes existing rows); returns how many."""
    created = 0
    for spec in PLAN_TARGETS:
        _, was_created = Target.objects.get_or_create(
            code=spec["code"],
            defaults={**spec, "area_id": city_code, "period_start": date(2021, 1, 1), "period_end": date(2025, 12, 31)},
        )
        created += was_created
    return created
