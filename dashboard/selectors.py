"""The few reads the page needs beyond the bureau's figures in stats/."""

from __future__ import annotations

from datetime import date

from django.db.models import Max, Min

from accounts.scoping import area_q
from stats.models import Target
from villages.models import Area, AreaLevel

# The 十四五 plan, for a database that has no targets yet.
DEFAULT_PLAN = (date(2021, 1, 1), date(2025, 12, 31))


def plan_period() -> tuple[date, date]:
    """The span of the targets on record: the date filter's default window. One query."""
    span = Target.objects.aggregate(start=Min("period_start"), end=Max("period_end"))
    if span["start"] is None:
        return DEFAULT_PLAN
    return span["start"], span["end"]


def township_names(within: Area) -> dict[str, str]:
    """{township code: name} inside ``within``, to name a village's township in the unserved list. One query."""
    return dict(Area.objects.filter(area_q(within), level=AreaLevel.TOWNSHIP).values_list("code", "name"))
