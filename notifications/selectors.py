"""Reads: a person's inbox, the websocket's replay, and who hears of a new problem."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db.models import Max, OuterRef, QuerySet, Subquery

from accounts.models import User
from commissioners.models import MatchingCandidate
from commissioners.selectors import HOME
from core.instants import instant_text
from geo.near import arrays_near

from .models import Notification

REPLAY_BATCH = 500


def notification_message(notification: Notification) -> dict[str, Any]:
    """The websocket message for one row: JSON values only (it crosses Redis as msgpack), with
    ``created_at`` written exactly as the REST API writes it."""
    return {
        "id": notification.pk,
        "type": notification.type,
        "payload": notification.payload,
        "created_at": instant_text(notification.created_at),
    }


def notifications_for(*, user_id: int, unread: bool = False) -> QuerySet[Notification]:
    """A person's inbox, newest first."""
    qs = Notification.objects.filter(recipient_id=user_id)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-id")


def notifications_after(*, user_id: int, after_id: int, limit: int = REPLAY_BATCH) -> list[dict[str, Any]]:
    """Up to ``limit`` of a person's notifications with id > ``after_id``, oldest first, as messages."""
    rows = (
        Notification.objects.filter(recipient_id=user_id, id__gt=after_id)
        .order_by("id")
        .only("id", "type", "payload", "created_at")[:limit]
    )
    return [notification_message(n) for n in rows]


def inbox_cursor(*, user_id: int) -> int:
    """The id of a person's latest notification (0 for an empty inbox)."""
    return Notification.objects.filter(recipient_id=user_id).aggregate(last=Max("id"))["last"] or 0


def inboxes_last_ids(*, user_ids: list[int]) -> dict[int, int]:
    """Each person's latest notification id; people with an empty inbox are left out.

    One index probe per person (the newest entry of their ``(recipient, id)`` range), not a scan
    of their whole inbox as ``GROUP BY ... MAX(id)`` would do.
    """
    last = Notification.objects.filter(recipient_id=OuterRef("pk")).order_by("-id").values("id")[:1]
    return dict(
        User.objects.filter(pk__any=user_ids)
        .annotate(last=Subquery(last))
        .filter(last__isnull=False)
        .values_list("pk", "last")
    )


def commissioner_audience(*, lat: float, lng: float, radius_km: float, category: str) -> list[tuple[int, float]]:
    """`problem.posted`'s audience: available, active commissioners with ``category`` in their
    expertise whose home lies within ``radius_km`` of the point, nearest first, as
    ``(user id, distance in km)``."""
    # Matching's read model holds exactly the available, active commissioners with a home, one row
    # per field of expertise: one index range per grid row of the category, no joins.
    candidates = MatchingCandidate.objects.filter(category_id=category)
    found = arrays_near(candidates, lat, lng, radius_km, HOME, fields=("commissioner_id",))
    km = np.where(np.isnan(found.exact_km), found.km, found.exact_km)
    return [(user_id, round(d, 2)) for user_id, d in zip(found.values["commissioner_id"].tolist(), km.tolist(),
                                                           strict=True)]


def commissioners_to_notify(*, lat: float, lng: float, radius_km: float, category: str) -> list[int]:
    """The user ids of `commissioner_audience`, nearest first."""
    return [user_id for user_id, _ in commissioner_audience(lat=lat, lng=lng, radius_km=radius_km, category=category)]
