"""Reads: a person's inbox and the websocket's replay."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, OuterRef, QuerySet, Subquery

from accounts.models import User
from core.instants import instant_text

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


def notification_text(notification_id: int, type_json: str, payload_json: str, created_at_json: str) -> str:
    """`notification_message` as the JSON text a socket sends, from parts already written as JSON
    (a fan-out writes the type and time once, and each payload once for its row and its message)."""
    return (
        f'{{"id": {notification_id}, "type": {type_json}, "payload": {payload_json}, '
        f'"created_at": {created_at_json}}}'
    )


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
