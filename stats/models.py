"""Targets are data: a later plan's targets are rows, not code."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class TargetRule(models.TextChoices):
    # What counts toward the target. Each rule is one aggregate in stats/selectors.py.
    DISPATCHES_COUNTED = "dispatches_counted", "选派人次（计数）"
    TRAINING_HEADCOUNT_SUMMED = "training_headcount_summed", "培训人次（求和）"


class Target(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=16, default="人次")
    value = models.PositiveIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    area = models.ForeignKey(
        "villages.Area", related_name="targets",
        # A target is set for an area; the area outlives any plan.
        on_delete=models.PROTECT,
    )
    rule = models.CharField(max_length=32, choices=TargetRule.choices)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(rule__in=TargetRule.values), name="stats_target_rule_valid"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="stats_target_period_ordered"),
            models.CheckConstraint(condition=Q(value__gt=0), name="stats_target_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.value}{self.unit}"
