"""Racing threads against the real database, for the tests that prove "exactly one effect"."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection

from core.errors import DomainError


def race(n: int, action: Callable[[int], Any]) -> tuple[list[Any], list[DomainError]]:
    """Run ``action(i)`` in n threads released at once; returns (results, domain errors)."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[DomainError] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results.append(action(i))
        except DomainError as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors
