from celery import shared_task
from django.db import DatabaseError

from .audience import problem_posted_fanout
from .escalation import problems_escalate_due


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def problem_posted_fanout_task(problem_id: int) -> int:
    """Tell the commissioners a new problem is for (problems/audience.py), after the post committed.

    A database error retries the whole task (the inner notify_many_task cannot retry itself when called
    as a function); its key makes a rerun create nothing twice."""
    return problem_posted_fanout(problem_id)


@shared_task(acks_late=True)
def problems_escalate_task() -> int:
    """Beat: escalate every problem that is due, each in its own transaction."""
    return problems_escalate_due()
