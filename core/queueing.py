"""Enqueueing a task after commit without ever failing the request that committed.

The change is in the database already; if the broker is unreachable the work runs here and now
(the request is slower, nothing is lost), rather than raising a 500 for a write that succeeded.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnreachable

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any, **kwargs: Any) -> None:
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except BrokerUnreachable:
        logger.exception("Could not enqueue %s; running it inline.", task.name)
        task.apply(args=args, kwargs=kwargs)


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(partial(enqueue, task, *args, **kwargs))
