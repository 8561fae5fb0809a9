"""One way to insert a phone's write exactly once.

Every write from a phone carries a ``client_id``, unique per author in the database. A retry that
arrives after the first write committed is found by the service's own lookup and answered with the
first result. A retry racing the original (both looked, neither found) is settled by the unique
constraint: one insert wins, the other fails, and the loser answers with the winner's record. That
second half is this helper.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import TypeVar

from django.db import IntegrityError, transaction

T = TypeVar("T")


def insert_once(insert: Callable[[], T], find: Callable[[], T | None], *,
                one_statement: bool = False) -> tuple[T, bool]:
    """``(insert(), True)``; or, when the database refuses the insert as a duplicate, ``(find(), False)``:
    the record of the same write that won the race. A refusal with nothing to find (another constraint
    broke) is raised as it came.

    ``insert`` runs in a transaction (a savepoint inside an enclosing one), so what it writes beside the
    record goes or stays with it. ``one_statement=True`` says it is one INSERT, atomic on its own: outside
    a transaction it then runs as it is, saving the two round trips of BEGIN and COMMIT; inside one it
    still gets the savepoint that keeps the enclosing transaction usable after a duplicate."""
    alone = one_statement and transaction.get_autocommit()
    try:
        with nullcontext() if alone else transaction.atomic():
            return insert(), True
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found, False
