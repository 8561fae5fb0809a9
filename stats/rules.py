"""Counting rules: what counts toward a target. A target's ``rule`` is data that selects one of these.

Every rule sums one measure of the coverage rollup (stats/rollup.py: a row per village and Asia/Shanghai
day) over an area and the days of a period, so a target over a province reads thousands of rows. Each rule
is additive (a year's figures sum to the period's), which `stats.selectors.target_progress` relies on for
its projection. What a measure counts:

- dispatches: a dispatch is one 人次 on the day it starts (选派), whatever its length;
- trainees / trainings: Σ headcount / sessions, on the day the session started;
- problems_resolved: problems resolved by the commissioner (confirmed or not yet) that day; a withdrawn or
  rejected one never counts.
"""

from __future__ import annotations

from .models import TargetRule

RULES: dict[str, str] = {
    TargetRule.DISPATCHES_COUNTED: "dispatches",
    TargetRule.TRAINING_HEADCOUNT_SUMMED: "trainees",
    TargetRule.TRAININGS_COUNTED: "trainings",
    TargetRule.PROBLEMS_RESOLVED_COUNTED: "problems_resolved",
}


def counting_rule(code: str) -> str:
    """The rollup measure a rule sums; KeyError for a rule the service does not know."""
    return RULES[code]
