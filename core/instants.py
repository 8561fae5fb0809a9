"""How the service writes an instant, everywhere it answers one (REST bodies, websocket messages).

RFC 3339 (ISO 8601) in China Standard Time, to the millisecond: `2025-03-01T08:30:00.000+08:00`.
One form whatever the phone sent (`Z`, `+06:00`, microseconds): a replayed write must answer the
first body field for field, and clients compare and sort the strings they are given. The bureau
reads its times in Shanghai; milliseconds are what phones' clocks and JavaScript's `Date` carry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

# A fixed UTC+08:00 rather than the Asia/Shanghai zone: China has kept UTC+8 since 1991, but the zone's
# history (summer time in 1986–1991, local mean time +08:05:43 before 1901) would answer the odd offset
# for a phone whose clock was reset to 1970, and `+08:05:43` is not an RFC 3339 offset.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")

INSTANT_FORMAT = (
    "Every date-time the service answers is RFC 3339 in China Standard Time with milliseconds, "
    "e.g. `2025-03-01T08:30:00.000+08:00`, whatever offset the request used. Dates stay `YYYY-MM-DD`."
)


def instant_text(value: datetime) -> str:
    """`value` as the API writes it. A naive value is taken as UTC, the zone the database stores."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_STANDARD_TIME).isoformat(timespec="milliseconds")
