"""The page's query parameters, checked before any figure is computed: bad input is a 422, never a 500."""

from __future__ import annotations

import re
from datetime import date

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from core.errors import Invalid
from stats.selectors import Window
from villages.models import AreaLevel

LEVELS = (AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
# Wide enough for any plan; narrow enough that a day's arithmetic never leaves the calendar
# (9999-12-31 plus one day would overflow).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _day(params: QueryDict, name: str, errors: dict[str, str]) -> date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw) if _ISO_DAY.match(raw) else None
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        errors[name] = _("must be a date YYYY-MM-DD from %(earliest)s to %(latest)s") % {
            "earliest": EARLIEST, "latest": LATEST}
        return None
    return day


def coverage_params(params: QueryDict) -> tuple[str, Window]:
    """``level`` (county | township | village, default county) and the ``from``/``to`` window."""
    errors: dict[str, str] = {}
    level = params.get("level", AreaLevel.COUNTY)
    if level not in LEVELS:
        errors["level"] = _("one of %(values)s") % {"values": ", ".join(LEVELS)}
    start, end = _day(params, "from", errors), _day(params, "to", errors)
    if start and end and end < start:
        errors["to"] = _("the end date may not be before the start date")
    if errors:
        raise Invalid(_("The filters are invalid."), fields=errors)
    return level, Window(start, end)


def team_params(params: QueryDict) -> tuple[int, Window]:
    """``team`` (a team's id, required) and the ``from``/``to`` window."""
    errors: dict[str, str] = {}
    raw = params.get("team", "").strip()
    team_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    if team_id is None:
        errors["team"] = _("must be the id of a team")
    start, end = _day(params, "from", errors), _day(params, "to", errors)
    if start and end and end < start:
        errors["to"] = _("the end date may not be before the start date")
    if errors:
        raise Invalid(_("The filters are invalid."), fields=errors)
    return team_id, Window(start, end)
