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


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _months_and_days(start: date, end: date) -> list[tuple[str, date, date]]:
    """[start, end] (both known) as its whole months and the days at either edge."""
    first = start if start.day == 1 else _next_month(start)  # where the first whole month begins
    # The day after the last whole month: the first day whole months do not cover.
    after = _next_month(end) if _next_month(end) - timedelta(days=1) == end else date(end.year, end.month, 1)
    if first >= after:  # no whole month inside
        return [("day", start, end)]
    pieces = [("day", start, first - timedelta(days=1))] if start < first else []
    pieces.append(("month", first, _last_month_start(after)))
    if after <= end:
        pieces.append(("day", after, end))
    return pieces


def _last_month_start(after: date) -> date:
    """The first day of the month before ``after`` (itself the first day of a month)."""
    before = after - timedelta(days=1)
    return date(before.year, before.month, 1)


def calendar_pieces(start: date | None, end: date | None) -> list[tuple[str, date | None, date | None]]:
    """The days [start, end] (inclusive; ``None`` is open) as the fewest whole years, then months, then days:
    ``(span, first, last)`` where ``first``/``last`` are the first days of the first and last period of that
    span (``None``: unbounded). A whole plan is one piece of years, a calendar year one year, a month one month."""
    year_first = start if start is None or (start.month, start.day) == (1, 1) else date(start.year + 1, 1, 1)
    year_last = end if end is None or (end.month, end.day) == (12, 31) else date(end.year - 1, 12, 31)
    if year_first is not None and year_last is not None and year_first > year_last:
        return _months_and_days(start, end)
    pieces: list[tuple[str, date | None, date | None]] = []
    if start is not None and start < year_first:
        pieces += _months_and_days(start, year_first - timedelta(days=1))
    pieces.append(("year", year_first, date(year_last.year, 1, 1) if year_last else None))
    if end is not None and year_last < end:
        pieces += _months_and_days(year_last + timedelta(days=1), end)
    return pieces
