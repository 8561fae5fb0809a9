from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from notifications.selectors import commissioner_audience
from notifications.tasks import notify_many_task

from .models import Problem
from .problems import problem_escalate, problems_due_for_escalation


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def problem_posted_fanout_task(problem_id: int) -> int:
    """Tell the available commissioners with the right expertise near a new problem.

    Runs on the worker, after the post committed: the audience is chosen here (the near
    selector), then written in chunks. A database error retries the whole task (the inner call
    cannot retry itself when called as a function); the key makes a rerun create nothing twice.
    """
    problem = Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        return 0
    audience = commissioner_audience(
        lat=problem.lat, lng=problem.lng, radius_km=settings.PROBLEM_NOTIFY_RADIUS_KM, category=problem.category_id
    )
    if not audience:
        return 0
    payload = {"problem_id": problem.pk, "title": problem.title, "category": problem.category_id,
               "village_code": problem.village_id, "urgency": problem.urgency}
    extras = {str(uid): {"distance_km": km} for uid, km in audience}
    # Called as a function: this task already runs off the request; the chunks commit one by one.
    return notify_many_task([uid for uid, _ in audience], "problem.posted", payload,
                            key=f"problem.posted:{problem.pk}", extras=extras)


@shared_task(acks_late=True)
def problems_escalate_task() -> int:
    """Beat: escalate every problem that is due, each in its own transaction."""
    return sum(problem_escalate(problem_id=pk) for pk in problems_due_for_escalation())
