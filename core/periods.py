"""Time windows as the bureau means them: whole days in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def day_start(day: date) -> datetime:
    """The instant a Shanghai day begins (00:00+08:00)."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def days_window(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start 00:00, the day after end 00:00) in Shanghai: `to` includes that whole day."""
    return (day_start(start) if start else None, day_start(end + timedelta(days=1)) if end else None)


def in_window(queryset, field: str, since: datetime | None, until: datetime | None):
    """Rows whose ``field`` lies in [since, until); either end may be open."""
    if since:
        queryset = queryset.filter(**{f"{field}__gte": since})
    if until:
        queryset = queryset.filter(**{f"{field}__lt": until})
    return queryset
