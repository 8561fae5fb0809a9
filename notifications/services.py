"""Writes: notifying people, fanning out to many, marking read.

The inbox row is the notification; the websocket push is only a courtesy that makes it arrive at
once. So rows are written in the caller's transaction (a notification exists exactly when the
change it reports was committed), and the push runs after commit and may fail: a client that
missed it gets the row on its next ``ping`` or reconnect (``since``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.errors import NotFound

from .hub import FANOUT_GROUP, FANOUT_MESSAGE_TYPE
from .models import Notification
from .selectors import inboxes_last_ids, notification_message
from .types import payload_validated

logger = logging.getLogger(__name__)

def recipient_ids_of(recipients: Iterable[User | int]) -> list[int]:
    """Recipient ids, each once, in the order given."""
    return list(dict.fromkeys(r.pk if isinstance(r, User) else int(r) for r in recipients))


def payloads_for(
    ids: list[int], type: str, payload: Mapping[str, Any], extras: Mapping[int, Mapping[str, Any]] | None
) -> dict[int, dict[str, Any]]:
    if not extras:
        shared = payload_validated(type, dict(payload))
        return dict.fromkeys(ids, shared)
    return {uid: payload_validated(type, {**payload, **extras.get(uid, {})}) for uid in ids}


def _inboxes_lock(user_ids: list[int]) -> list[int]:
    """Lock the recipients' inboxes until the transaction ends; return the ids that exist.

    Why: the client's cursor is the highest id it has seen, so one person's notifications must
    commit in id order, or a reconnect with ``since`` would skip a row with a lower id that
    committed later. Holding the person's lock from allocating the id until commit makes a second
    writer for that person wait, and so allocate a higher id and commit after.
    On PostgreSQL the lock is the user row, ``FOR NO KEY UPDATE`` (it does not block inserts that
    reference the user, which take ``FOR KEY SHARE``), taken in id order so that two fan-outs
    cannot deadlock each other. SQLite lets one writer at a time in anyway (IMMEDIATE
    transactions), and ignores the clause.
    """
    return list(
        User.objects.select_for_update(no_key=True)
        .filter(pk__any=user_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User | int],
    type: str,
    payload: Mapping[str, Any],
    key: str | None = None,
    extras: Mapping[int, Mapping[str, Any]] | None = None,
) -> list[Notification]:
    """Put one notification in each recipient's inbox; push them to open websockets on commit.

    Call it inside the transaction of the change it reports. ``payload`` must fit the type's
    schema (`notifications.types`); ``extras`` adds per-recipient fields (``{user_id: {...}}``,
    e.g. each commissioner's ``distance_km``). With a ``key`` (the event's identity, e.g.
    ``"problem.posted:42"``) a recipient who already has a notification with that key gets no
    second one, so a retried fan-out is harmless. Recipients that no longer exist are skipped.
    An unknown type or a payload that does not fit raises ``ValueError``: that is a bug.
    If the channel layer is down the push is logged and dropped; the rows stay.
    """
    ids = recipient_ids_of(recipients)
    payloads = payloads_for(ids, type, payload, extras)
    if not ids:
        return []
    existing = set(_inboxes_lock(ids))
    if key:
        already = Notification.objects.filter(recipient__any=ids, key=key).values_list("recipient_id", flat=True)
        existing -= set(already)
    ids = [uid for uid in ids if uid in existing]
    if not ids:
        return []
    # A statement of its own, after the lock: under READ COMMITTED it sees what the writer we
    # may have waited for committed (the locking statement's snapshot predates the wait).
    previous = inboxes_last_ids(user_ids=ids)
    rows = _rows_insert(ids, type, payloads, key or "", timezone.now())
    # Each with the recipient's previous notification: a socket whose cursor is behind it missed
    # something and reads the inbox instead of trusting the push.
    pushes = [[row.recipient_id, previous.get(row.recipient_id, 0), notification_message(row)] for row in rows]
    transaction.on_commit(partial(_push, pushes), robust=True)
    return rows


# One statement for a chunk of rows, its parameters bound by the server: psycopg's client-side
# quoting (Django's default) of 1,000 JSON payloads took longer than PostgreSQL took to insert them.
_INSERT_SQL = (
    "INSERT INTO notifications_notification (recipient_id, type, payload, key, created_at, read_at) "
    "SELECT r, %s, p, %s, %s, NULL FROM unnest(%b::bigint[], %b::jsonb[]) WITH ORDINALITY AS t(r, p, n) "
    "ORDER BY n RETURNING id, recipient_id"
)


def _rows_insert(
    ids: list[int], type: str, payloads: Mapping[int, dict[str, Any]], key: str, now: Any
) -> list[Notification]:
    """Insert one row per recipient; returns them with their ids, in ``ids``' order."""
    if connection.vendor != "postgresql":
        return Notification.objects.bulk_create(
            [Notification(recipient_id=uid, type=type, payload=payloads[uid], key=key, created_at=now) for uid in ids]
        )
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg.types.json import Jsonb

    connection.ensure_connection()
    raw = ServerBindingCursor(connection.connection)
    with connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw) as cursor:
        cursor.execute(_INSERT_SQL, [type, key, now, ids, [Jsonb(payloads[uid]) for uid in ids]])
        inserted = sorted(cursor.fetchall())
    return [
        Notification(pk=pk, recipient_id=uid, type=type, payload=payloads[uid], key=key, created_at=now)
        for pk, uid in inserted
    ]


def _push(pushes: list[list[Any]]) -> None:
    """Send the pushes, as one message, to every server process's hub (`notifications.hub`).

    Never raises: the rows are already committed."""
    layer = get_channel_layer()
    if layer is None or not pushes:
        return
    timeout = float(getattr(settings, "NOTIFICATIONS_PUSH_TIMEOUT", 10.0))
    try:
        async_to_sync(_send_bounded)(layer, {"type": FANOUT_MESSAGE_TYPE, "pushes": pushes}, timeout)
    except Exception as exc:  # a push failure must never reach the caller
        logger.warning(
            "Pushing %d notifications failed (%s); they wait in the inbox for the next ping or reconnect.",
            len(pushes),
            exc.__class__.__name__,
            exc_info=True,
        )


async def _send_bounded(layer: Any, message: dict[str, Any], timeout: float) -> None:
    # A dead Redis must not hold the caller (a request, a worker) for long.
    async with asyncio.timeout(timeout):
        await layer.group_send(FANOUT_GROUP, message)


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read (again is fine: the first read time stays)."""
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
