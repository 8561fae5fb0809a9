"""Targets are data: a later plan's targets are rows, not code."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class TargetRule(models.TextChoices):
    # What counts toward the target. Each rule selects one counting function in stats/rules.py;
    # a new rule is a member here (the constraint below follows) and an entry there.
    DISPATCHES_COUNTED = "dispatches_counted", "选派人次（计数）"
    TRAINING_HEADCOUNT_SUMMED = "training_headcount_summed", "培训人次（求和）"
    TRAININGS_COUNTED = "trainings_counted", "培训场次（计数）"
    PROBLEMS_RESOLVED_COUNTED = "problems_resolved_counted", "解决问题（计数）"


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
    # Where the plan starts from: the previous plan's figure (e.g. 1,724 人次 in 十三五), shown beside
    # the progress. Not counted: the service holds no rows from before it existed.
    baseline_value = models.PositiveIntegerField(null=True, blank=True)
    baseline_label = models.CharField(max_length=32, blank=True, help_text="The baseline's period, e.g. 十三五.")

    class Meta:
        ordering = ["sort_order", "period_start", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(rule__in=TargetRule.values), name="stats_target_rule_valid"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="stats_target_period_ordered"),
            models.CheckConstraint(condition=Q(value__gt=0), name="stats_target_value_positive"),
            # A baseline names its period, and a period label without a figure means nothing.
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True, baseline_label="")
                | (Q(baseline_value__isnull=False) & ~Q(baseline_label="")),
                name="stats_target_baseline_labelled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.value}{self.unit}"


class BaselineMeasure(models.TextChoices):
    # Which of today's figures a past result stands beside; each is counted in stats/selectors.py
    # (baselines_beside). A new measure is a member here and a line there.
    DISPATCHES = "dispatches", "选派人次"
    VILLAGES_SERVED = "villages_served", "服务村数"
    THREE_REGIONS_PEOPLE = "three_regions_people", "“三区”人才人数"
    TRAININGS = "trainings", "培训场次"
    TRAINEES = "trainees", "培训人次"
    PROBLEMS_RESOLVED = "problems_resolved", "解决问题数"


class PlanBaseline(models.Model):
    """A previous plan's result the programme starts from (十三五: 1,724 人次 into 899 poverty villages,
    83 “三区” talents…), shown beside today's figure of the same measure. Data, never counted: the
    service holds no rows from before it existed. A target's own baseline is ``Target.baseline_value``;
    these are the plan's figures, with or without a target."""

    code = models.SlugField(primary_key=True, max_length=64)
    name = models.CharField(max_length=60)
    value = models.PositiveIntegerField()
    unit = models.CharField(max_length=16)
    # "1,000 余场": the plan gives a floor, not an exact figure.
    at_least = models.BooleanField(default=False, help_text="The figure is a floor (1,000+), not exact.")
    period_label = models.CharField(max_length=32, help_text="e.g. 十三五")
    measure = models.CharField(max_length=24, choices=BaselineMeasure.choices)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(measure__in=BaselineMeasure.values),
                                   name="stats_planbaseline_measure_valid"),
            models.CheckConstraint(condition=~Q(period_label=""), name="stats_planbaseline_period_labelled"),
        ]

    def __str__(self) -> str:
        return f"{self.period_label} {self.name} {self.value:,}{self.unit}"


class Span(models.TextChoices):
    DAY = "day", "日"
    MONTH = "month", "月"
    YEAR = "year", "年"


class CoveragePeriod(models.Model):
    """What happened in one village in one Asia/Shanghai day, month or year, summed: the rollup that coverage
    maps and target progress read (stats/rollup.py). A window is read as its whole years, then months, then
    days (core.periods.calendar_pieces): a province's whole plan is its villages' year rows, not millions of
    records.

    Kept in step by database triggers on the four source tables (stats/migrations/0004), in the same
    transaction as the write, whatever wrote it: a service, a replay, the re-judging of check-ins after a
    village moved, the admin or a bulk UPDATE. `manage.py coverage_rollup --check` compares it with the
    live count, `--rebuild` recomputes it."""

    village = models.ForeignKey(
        "villages.Area", related_name="+",
        # Derived data: it goes with its village (which cannot go while records point at it).
        on_delete=models.CASCADE, db_index=False,
    )
    span = models.CharField(max_length=5, choices=Span.choices)
    day = models.DateField(help_text="The period's first day.")
    checkins = models.IntegerField(default=0, help_text="Verified check-ins.")
    trainings = models.IntegerField(default=0, help_text="Training sessions started.")
    trainees = models.IntegerField(default=0, help_text="Σ headcount of those sessions (人次).")
    problems_resolved = models.IntegerField(default=0, help_text="Problems resolved, and still resolved or closed.")
    dispatches = models.IntegerField(default=0, help_text="Dispatches starting (选派人次).")

    class Meta:
        constraints = [
            # One row per span, village and period: what the triggers' upsert relies on. Led by the span and
            # the village code, so that a county's or a city's rows are one index range (on PostgreSQL the
            # index also carries the measures: an index-only scan, stats/migrations/0004).
            models.UniqueConstraint(fields=["span", "village", "day"], name="stats_coverage_span_village_day"),
            models.CheckConstraint(condition=models.Q(span__in=Span.values), name="stats_coverage_span_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.span} {self.day}"
