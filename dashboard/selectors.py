"""The few reads the page needs beyond the bureau's figures in stats/."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Max, Min
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.scoping import area_q
from core.errors import OutsideScope
from stats.models import Target
from teams.errors import TeamNotFound
from teams.models import ServiceArea, Team
from teams.selectors import teams_visible_q
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


def visible_teams(viewer: User) -> list[dict[str, Any]]:
    """The shared service teams the page's team filter offers: those the viewer may see (the bureau all,
    county staff their county's and those serving it: teams.selectors.teams_visible_q). One query."""
    rows = (Team.objects.filter(teams_visible_q(viewer)).order_by("home_county_id", "name", "id")
            .values("pk", "name", "active", "home_county__name"))
    return [{"id": r["pk"], "name": r["name"], "active": r["active"], "county_name": r["home_county__name"]}
            for r in rows]


def visible_team(viewer: User, team_id: int) -> dict[str, Any]:
    """One team for the filter: 404 unknown, 403 outside what the viewer may see. One query (two when refused)."""
    row = (Team.objects.filter(teams_visible_q(viewer), pk=team_id)
           .values("pk", "name", "active", "home_county_id", "home_county__name", "industry_id", "industry__name")
           .first())
    if row is None:
        if not Team.objects.filter(pk=team_id).exists():
            raise TeamNotFound()
        raise OutsideScope(_("This team is outside what you may see."))
    return {"id": row["pk"], "name": row["name"], "active": row["active"], "county_code": row["home_county_id"],
            "county_name": row["home_county__name"], "industry": row["industry_id"],
            "industry_name": row["industry__name"]}


def team_service_area(team_id: int) -> dict[str, Any]:
    """The townships and villages a team serves, and what to highlight on the map at each level: the
    villages it serves (named, or in a township it serves), their townships and counties. Two queries."""
    served = list(ServiceArea.objects.filter(team_id=team_id).order_by("area_id")
                  .values_list("area_id", "area__name", "area__level"))
    townships = [code for code, _name, level in served if level == AreaLevel.TOWNSHIP]
    villages = {code for code, _name, level in served if level == AreaLevel.VILLAGE}
    if townships:
        villages.update(Area.objects.filter(level=AreaLevel.VILLAGE, township_code__in=townships)
                        .values_list("code", flat=True))
    return {
        "service_area": [{"code": code, "name": name, "level": level} for code, name, level in served],
        "highlight": {
            "county": sorted({code[:6] for code, _name, _level in served}),
            "township": sorted({*townships, *(code[:9] for code in villages)}),
            "village": sorted(villages),
        },
    }
