from celery import shared_task
from django.db import DatabaseError

from core.queueing import enqueue_on_commit

from .candidates import candidates_recluster
from .checkins import checkins_rejudge


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def checkins_rejudge_task(village_code: str) -> int:
    """A village's position changed: judge its check-ins again against it (after the change committed).

    Chunks commit one by one; a database error retries the whole task, which is safe because judging
    is idempotent (a chunk already done is rewritten with the same values, or not at all)."""
    return checkins_rejudge(village_code=village_code)


def checkins_rejudge_on_commit(village_code: str) -> None:
    """villages/hooks.py: a village's position changed; judge its check-ins again once that commits."""
    enqueue_on_commit(checkins_rejudge_task, village_code)


@shared_task(acks_late=True)
def matching_recluster_task() -> bool:
    """Nightly: matching's read model back in the order of its (category, home_cell) index
    (commissioners/candidates.py, ``candidates_recluster``)."""
    return candidates_recluster()
