"""Writes for stats: the plan's targets, added and edited by the bureau (API and admin)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.errors import Invalid
from villages.models import Area, AreaLevel

from .errors import TargetExists
from .models import Target, TargetRule
from .rules import RULES

CITY_CODE = "451000"


@dataclass(frozen=True)
class Baseline:
    """Where a plan starts from: the previous plan's figure and its period's name (十三五)."""

    value: int
    period_label: str


# Baise's 2021-2025 S&T plan (百色市"十四五"科技发展规划): the two figures this service tallies, each
# with its 十三五 (2016-2020) result as the baseline: 1,724 人次 dispatched (into 899 poverty
# villages), 400,000 trainee 人次.
SHISANWU = "十三五"
PLAN_TARGETS = (
    dict(code="commissioner_dispatches", name="科技特派员选派", unit="人次", value=2000,
         rule=TargetRule.DISPATCHES_COUNTED, sort_order=1, baseline_value=1724, baseline_label=SHISANWU),
    dict(code="trainees_served", name="培训服务", unit="人次", value=600_000,
         rule=TargetRule.TRAINING_HEADCOUNT_SUMMED, sort_order=2, baseline_value=400_000, baseline_label=SHISANWU),
)


@transaction.atomic
def targets_seed(city_code: str = CITY_CODE) -> int:
    """Create the plan's targets that are missing, and give the plan's targets their 十三五 baseline
    where none is recorded; never changes anything the bureau set. Returns how many were created."""
    created = 0
    for spec in PLAN_TARGETS:
        target, was_created = Target.objects.get_or_create(
            code=spec["code"],
            defaults={**spec, "area_id": city_code, "period_start": date(2021, 1, 1), "period_end": date(2025, 12, 31)},
        )
        created += was_created
        if not was_created and target.baseline_value is None:
            # Databases set up before baselines existed.
            Target.objects.filter(pk=target.pk, baseline_value__isnull=True).update(
                baseline_value=spec["baseline_value"], baseline_label=spec["baseline_label"])
    return created


def target_check(*, rule: str, area_code: str | None, period_start: date, period_end: date) -> Area:
    """Validate a target's counting rule, area and period (all at once, so every field's error is
    reported); returns the area. Invalid (422) with per-field reasons otherwise."""
    fields: dict[str, Any] = {}
    if rule not in RULES:
        fields["rule"] = _("one of %(values)s") % {"values": ", ".join(RULES)}
    area = Area.objects.filter(code=area_code or CITY_CODE).first()
    if area is None or area.level not in (AreaLevel.CITY, AreaLevel.COUNTY):
        fields["area_code"] = _("the city (451000) or one of its counties")
    if period_end < period_start:
        fields["period_end"] = _("must be on or after period_start")
    if fields:
        raise Invalid(_("The target is invalid."), fields=fields)
    return area


def _baseline_columns(baseline: Baseline | Mapping[str, Any] | None) -> dict[str, Any]:
    if baseline is None:
        return {"baseline_value": None, "baseline_label": ""}
    if isinstance(baseline, Mapping):
        baseline = Baseline(value=baseline["value"], period_label=baseline["period_label"])
    return {"baseline_value": baseline.value, "baseline_label": baseline.period_label.strip()}


@transaction.atomic
def target_create(*, code: str, name: str, value: int, period_start: date, period_end: date, rule: str,
                  unit: str = "人次", area_code: str | None = None,
                  baseline: Baseline | Mapping[str, Any] | None = None) -> Target:
    """A new target (a later plan's, or a county's own). TargetExists when the code is taken."""
    area = target_check(rule=rule, area_code=area_code, period_start=period_start, period_end=period_end)
    if Target.objects.filter(code=code).exists():
        raise TargetExists()
    target = Target(code=code, name=name.strip(), unit=unit.strip(), value=value, period_start=period_start,
                    period_end=period_end, rule=rule, area=area, **_baseline_columns(baseline),
                    sort_order=(Target.objects.order_by("-sort_order").values_list("sort_order", flat=True).first()
                                or 0) + 1)
    try:
        with transaction.atomic():  # a concurrent create of the same code: the unique index decides
            target.save()
    except IntegrityError as exc:
        raise TargetExists() from exc
    return target


TARGET_EDITABLE = ("name", "unit", "value", "period_start", "period_end", "rule", "area_code", "baseline")


@transaction.atomic
def target_update(*, target: Target, changes: Mapping[str, Any]) -> Target:
    """Change the given fields of a target (its code never changes); ``baseline: None`` removes the
    baseline. The result is validated whole, as a new target would be."""
    target = Target.objects.select_for_update().get(pk=target.pk)
    unknown = set(changes) - set(TARGET_EDITABLE)
    if unknown:
        raise Invalid(fields={name: _("cannot be changed") for name in sorted(unknown)})
    merged = {
        "rule": changes.get("rule", target.rule),
        "area_code": changes.get("area_code") or target.area_id,
        "period_start": changes.get("period_start") or target.period_start,
        "period_end": changes.get("period_end") or target.period_end,
    }
    target.area = target_check(**merged)
    target.rule, target.period_start, target.period_end = merged["rule"], merged["period_start"], merged["period_end"]
    for name in ("name", "unit"):
        if changes.get(name) is not None:
            setattr(target, name, changes[name].strip())
    if changes.get("value") is not None:
        target.value = changes["value"]
    if "baseline" in changes:
        for column, value in _baseline_columns(changes["baseline"]).items():
            setattr(target, column, value)
    target.save()
    return target
