"""Fan-out: one event to many inboxes, off the request."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from .services import notify

logger = logging.getLogger(__name__)


def fanout_chunk_size() -> int:
    # One transaction (and one lock per recipient, see services._inboxes_lock) per chunk: large
    # enough that the insert is one statement, small enough that no transaction is long.
    return int(getattr(settings, "NOTIFICATIONS_FANOUT_CHUNK", 1000))


@shared_task(bind=True, acks_late=True, max_retries=5, name="notifications.notify_many")
def notify_many_task(
    self,
    recipient_ids: list[int],
    type: str,
    payload: dict[str, Any],
    key: str | None = None,
    extras: dict[str, dict[str, Any]] | None = None,
    start: int = 0,
) -> int:
    """Notify ``recipient_ids`` in chunks; each chunk commits (and is pushed) before the next.

    A database error retries from the chunk that failed, so committed chunks are not written
    twice; a redelivery after a worker died starts over, which the ``key`` makes harmless.
    ``extras`` is keyed by the user id as a string (JSON). Returns how many rows it created.
    """
    per_recipient = {int(uid): fields for uid, fields in extras.items()} if extras else None
    chunk = fanout_chunk_size()
    created = 0
    for offset in range(start, len(recipient_ids), chunk):
        ids = recipient_ids[offset : offset + chunk]
        try:
            rows = notify(
                recipients=ids,
                type=type,
                payload=payload,
                key=key,
                extras={uid: per_recipient[uid] for uid in ids if uid in per_recipient} if per_recipient else None,
            )
        except DatabaseError as exc:
            logger.warning("Fan-out of %s failed at recipient %d of %d; retrying.", type, offset, len(recipient_ids))
            raise self.retry(
                exc=exc,
                countdown=2**self.request.retries,
                kwargs={"key": key, "extras": extras, "start": offset},
            ) from exc
        created += len(rows)
    return created
