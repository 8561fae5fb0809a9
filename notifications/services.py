"""Writes: notifying people, fanning out to many, marking read.

The inbox row is the notification; the websocket push is only a courtesy that makes it arrive at
once. So rows are written in the caller's transaction (a notification exists exactly when the
change it reports was committed), and the push runs after commit and may fail: a client that
missed it gets the row on its next ``ping`` or reconnect (``since``).
"""

from __future__ import annotations

import asyncio
import json
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
from core.instants import instant_text

from .hub import FANOUT_GROUP, FANOUT_MESSAGE_TYPE
from .models import Notification
from .selectors import inboxes_last_ids, notification_text
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
    ids = [uid for uid in ids if uid in existing]
    if not ids:
        return []
    now = timezone.now()
    # Each payload is written as JSON once (one for all when they share it): that text goes into the
    # row and, unchanged, into the websocket message, which crosses Redis and reaches every socket
    # without being encoded again.
    texts = _payloads_json(payloads)
    written = _rows_insert(ids, type, payloads, texts, key or "", now)
    # Each with the recipient's previous notification: a socket whose cursor is behind it missed
    # something and reads the inbox instead of trusting the push.
    type_json, created_json = json.dumps(type), json.dumps(instant_text(now))
    pushes = [
        [uid, prev, pk, notification_text(pk, type_json, texts[uid], created_json)]
        for pk, uid, prev in written
    ]
    transaction.on_commit(partial(_push, pushes), robust=True)
    fields = ("id", "recipient_id", "type", "payload", "key", "created_at", "read_at")
    return [
        Notification.from_db(None, fields, (pk, uid, type, payloads[uid], key or "", now, None))
        for pk, uid, _ in written
    ]


def _payloads_json(payloads: Mapping[int, dict[str, Any]]) -> dict[int, str]:
    """Each recipient's payload as JSON text, each payload object encoded once (without ``extras``
    every recipient shares one)."""
    encoded: dict[int, str] = {}
    texts = {}
    for uid, payload in payloads.items():
        text = encoded.get(id(payload))
        if text is None:
            text = encoded[id(payload)] = json.dumps(payload, ensure_ascii=False)
        texts[uid] = text
    return texts


# One statement for a chunk of rows, its parameters bound by the server: psycopg's client-side
# quoting (Django's default) of 1,000 JSON payloads took longer than PostgreSQL took to insert them.
# It skips the recipients who have the key already and answers each one's previous notification;
# being a statement of its own after the lock, it sees under READ COMMITTED what a writer we may
# have waited for committed (the locking statement's snapshot predates the wait). The inserted rows
# are not visible to the statement that inserts them, so `prev` is the one before.
_INSERT_SQL = """
WITH new AS (
    SELECT t.r, t.p, t.n, (
        SELECT o.id FROM notifications_notification o WHERE o.recipient_id = t.r ORDER BY o.id DESC LIMIT 1
    ) AS prev
    FROM unnest(%(ids)b::bigint[], %(payloads)b::text[]) WITH ORDINALITY AS t(r, p, n)
    WHERE %(key)s::text = '' OR NOT EXISTS (
        SELECT 1 FROM notifications_notification k WHERE k.recipient_id = t.r AND k.key = %(key)s::text
    )
), inserted AS (
    INSERT INTO notifications_notification (recipient_id, type, payload, key, created_at, read_at)
    SELECT r, %(type)s, p::jsonb, %(key)s, %(now)s, NULL FROM new ORDER BY n
    RETURNING id, recipient_id
)
SELECT inserted.id, inserted.recipient_id, coalesce(new.prev, 0) FROM inserted JOIN new ON new.r = inserted.recipient_id
ORDER BY inserted.id
"""


def _rows_insert(
    ids: list[int], type: str, payloads: Mapping[int, Any], texts: Mapping[int, str], key: str, now: Any
) -> list[tuple[int, int, int]]:
    """Insert one row per recipient of ``ids`` (locked) who has no notification with ``key``;
    returns ``(id, recipient, recipient's previous id or 0)`` for each, in id order."""
    if connection.vendor != "postgresql":
        if key:
            already = set(
                Notification.objects.filter(recipient__any=ids, key=key).values_list("recipient_id", flat=True)
            )
            ids = [uid for uid in ids if uid not in already]
        previous = inboxes_last_ids(user_ids=ids)
        rows = Notification.objects.bulk_create(
            [Notification(recipient_id=uid, type=type, payload=payloads[uid], key=key, created_at=now)
             for uid in ids]
        )
        return [(row.pk, row.recipient_id, previous.get(row.recipient_id, 0)) for row in rows]
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = ServerBindingCursor(connection.connection)
    params = {"ids": ids, "payloads": [texts[uid] for uid in ids], "key": key, "type": type, "now": now}
    with connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw) as cursor:
        cursor.execute(_INSERT_SQL, params)
        return cursor.fetchall()


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
