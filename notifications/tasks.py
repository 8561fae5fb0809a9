"""Fan-out: one event to many inboxes, off the request."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, transaction

from core.queueing import enqueue

from .services import notify, payloads_for, recipient_ids_of

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


def fanout_on_commit(
    *,
    recipient_ids: Iterable[int],
    type: str,
    payload: Mapping[str, Any],
    key: str | None = None,
    extras: Mapping[int, Mapping[str, Any]] | None = None,
) -> None:
    """After the current transaction commits, notify many people from a Celery worker.

    For audiences too large to write inside a request (`problem.posted`). The payload is checked
    now, so a bad one fails the request that made it rather than a worker later. Give a ``key``:
    the task is delivered at least once, and the key makes a second delivery create nothing.
    """
    ids = recipient_ids_of(recipient_ids)
    payloads_for(ids, type, payload, extras)
    if not ids:
        return
    # Celery's JSON turns int keys into strings: send them as strings, the task turns them back.
    extras_json = {str(uid): dict(fields) for uid, fields in extras.items()} if extras else None
    transaction.on_commit(partial(_fanout_enqueue, ids, type, dict(payload), key, extras_json))


def _fanout_enqueue(
    ids: list[int], type: str, payload: dict[str, Any], key: str | None, extras: dict[str, dict] | None
) -> None:
    # An unreachable broker runs the fan-out inline: slower for this request, nothing lost.
    enqueue(notify_many_task, ids, type, payload, key=key, extras=extras)
