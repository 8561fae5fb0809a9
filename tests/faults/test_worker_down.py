"""Celery worker down: tasks wait in the broker and run when a worker comes; a worker killed in the
middle of a task has it redelivered (acks_late); a worker whose database connections were dropped,
between tasks or in the middle of one, still gets the work done.

The broker is a private redis-server run as docker-compose runs it (append-only file on), the
workers are real ``celery -A config worker`` processes on the test database, and nothing is eager.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from media.models import Photo, PhotoOwner
from media.services import photo_attach
from notifications.models import Notification
from notifications.tasks import fanout_on_commit
from problems.services import problem_post
from tests.factories import TownshipStaffFactory
from tests.fixtures_problems import VILLAGE, make_commissioner
from tests.media.images import jpeg_bytes, upload
from villages.models import Area

from .conftest import (
    Worker,
    admin_connection,
    backends_of,
    celery_on,
    service_env,
    subprocess_database_url,
    terminate_backends,
    wait_until,
)
from .worker_app import VISIBILITY_TIMEOUT_S

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

QUEUE = "celery"  # Celery's default queue: a Redis list of that name on the broker


@pytest.fixture
def broker(durable_redis, settings):
    """This process publishes to the private Redis, for real."""
    with celery_on(durable_redis.url(0), settings):
        yield durable_redis


@pytest.fixture
def world(baise):
    village = Area.objects.get(code=VILLAGE)
    return {
        "village": village,
        "staff": TownshipStaffFactory(),
        "near": [make_commissioner(village, km_north=1.0), make_commissioner(village, km_north=3.0)],
        # The right place, the wrong expertise: not in the audience.
        "other": make_commissioner(village, expertise=("livestock",)),
    }


def _post(world) -> int:
    """Post a problem as the API does: its fan-out task is enqueued when the transaction commits."""
    with transaction.atomic():
        posted = problem_post(staff=world["staff"], client_id=uuid.uuid4(), village=world["village"],
                              category_code="fruit-trees", title="芒果炭疽病", description="果园大面积出现黑斑。")
    return posted.problem.pk


def _posted_to(user, problem_id: int) -> int:
    return Notification.objects.filter(recipient=user, type="problem.posted", payload__problem_id=problem_id).count()


def _worker_env(broker, media_root, name: str) -> dict[str, str]:
    return service_env(
        DATABASE_URL=subprocess_database_url(application_name=name),
        REDIS_URL=broker.url(0),
        MEDIA_ROOT=str(media_root),
    )


def test_tasks_wait_in_the_broker_while_no_worker_runs_and_run_when_one_starts(
    broker, world, workers, settings, tmp_path, baise
):
    settings.MEDIA_ROOT = tmp_path / "media"
    redis = broker.client()

    # No worker: the problem's fan-out and a photo's thumbnail are queued, and nothing happens.
    problem_id = _post(world)
    photo, _ = photo_attach(owner_kind=PhotoOwner.PROBLEM, owner_id=problem_id, uploaded_by=world["staff"],
                            upload=upload(jpeg_bytes(size=(1600, 1200))))
    assert redis.llen(QUEUE) == 2
    time.sleep(1)
    assert redis.llen(QUEUE) == 2
    assert not Notification.objects.filter(type="problem.posted").exists()
    assert not Photo.objects.get(pk=photo.pk).thumbnail

    # The broker restarts meanwhile (a clean restart; the append-only file keeps the queue).
    broker.stop()
    broker.start()
    assert broker.client().llen(QUEUE) == 2

    # A worker starts: both tasks run.
    started = time.monotonic()
    worker = workers(_worker_env(broker, settings.MEDIA_ROOT, "faults-worker"))
    wait_until(
        lambda: all(_posted_to(u, problem_id) for u in world["near"]) and Photo.objects.get(pk=photo.pk).thumbnail,
        timeout=60, what="the worker to run the fan-out and the thumbnail",
    )
    print(f"[faults] worker started and ran both waiting tasks in {time.monotonic() - started:.2f} s")
    assert [_posted_to(u, problem_id) for u in world["near"]] == [1, 1]
    assert _posted_to(world["other"], problem_id) == 0
    wait_until(lambda: broker.client().llen(QUEUE) == 0, timeout=10, what="the queue to drain")

    # The database drops the worker's idle connections between two tasks (a restart, a failover):
    # the next task runs anyway, on a fresh connection (the pool checks each one at checkout).
    with admin_connection() as admin:
        dropped = terminate_backends(admin, "faults-worker")
    near = world["near"][0]
    with transaction.atomic():
        fanout_on_commit(recipient_ids=[near.pk], type="claim.accepted", payload={"problem_id": problem_id,
                                                                                   "claim_id": 1})
    wait_until(lambda: Notification.objects.filter(recipient=near, type="claim.accepted").exists(),
               timeout=30, what="the task after the dropped connections")
    print(f"[faults] worker: {len(dropped)} idle database session(s) dropped between tasks; the next task ran")
    assert "Traceback" not in worker.log() and "Retry in" not in worker.log(), worker.log()[-3000:]


@contextlib.contextmanager
def _inbox_locked(user) -> Iterator[Any]:
    """Hold one recipient's inbox lock (services._inboxes_lock takes the user row FOR NO KEY UPDATE)
    from a session of our own, so that a fan-out to them stops at a known point. Released at the end."""
    with admin_connection() as locker:
        locker.autocommit = False
        locker.execute("SELECT 1 FROM accounts_user WHERE id = %s FOR UPDATE", [user.pk])
        try:
            yield locker
        finally:
            locker.rollback()


def _wait_blocked(name: str) -> int:
    """The pid of the worker's database session once it waits on a lock: the worker is mid-task."""
    with admin_connection() as admin:
        return wait_until(
            lambda: admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'", [name]
            ).fetchone(),
            timeout=60, what="the worker to block on the lock, mid-task",
        )[0]


def _drop_mid_fanout(enqueue, broker, world, workers) -> Worker:
    """Start a fan-out to the nearby commissioners, stop it on the first one's inbox lock, and have the
    database terminate the worker's session right there (a failover, a restart, an idle-killer)."""
    with _inbox_locked(world["near"][0]):
        enqueue()
        worker = workers(_worker_env(broker, "/nonexistent", "faults-worker"))
        pid = _wait_blocked("faults-worker")
        with admin_connection() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    return worker


def test_a_fanout_whose_database_connection_drops_mid_task_is_retried(broker, world, workers, baise):
    """notify_many_task catches the DatabaseError and retries from the chunk that failed."""
    problem_id = 4242

    def enqueue() -> None:
        with transaction.atomic():  # as a service does: enqueued when the change commits
            fanout_on_commit(recipient_ids=[u.pk for u in world["near"]], type="problem.posted",
                             payload={"problem_id": problem_id, "title": "芒果炭疽病", "category": "fruit-trees",
                                      "village_code": VILLAGE, "urgency": "high"},
                             key=f"problem.posted:{problem_id}",
                             extras={u.pk: {"distance_km": 1.0} for u in world["near"]})

    worker = _drop_mid_fanout(enqueue, broker, world, workers)
    wait_until(lambda: all(_posted_to(u, problem_id) for u in world["near"]), timeout=30,
               what="the retried fan-out")
    assert [_posted_to(u, problem_id) for u in world["near"]] == [1, 1]
    assert "retry: Retry in" in worker.log()  # it was the task's retry, not luck


def test_a_problem_fanout_whose_database_connection_drops_mid_task_still_notifies(broker, world, workers, baise):
    problem_ids = []
    _drop_mid_fanout(lambda: problem_ids.append(_post(world)), broker, world, workers)
    wait_until(lambda: all(_posted_to(u, problem_ids[0]) for u in world["near"]), timeout=20,
               what="the problem.posted notifications after the dropped connection")


def test_a_task_whose_worker_is_killed_mid_task_is_redelivered_to_the_next_worker(broker, world, workers, baise):
    """acks_late: the message is acknowledged only when the task returns. The worker is SIGKILLed (an
    out-of-memory kill, a lost node) while the fan-out waits on a row lock the test holds, so the
    point of death is known. The Redis transport gives an unacknowledged message back to the queue
    once it is older than ``visibility_timeout``: production keeps kombu's default of one hour, this
    test's worker app shortens it to a few seconds (tests/faults/worker_app.py)."""
    redis = broker.client()
    env = _worker_env(broker, "/nonexistent", "faults-worker")
    with _inbox_locked(world["near"][0]):
        problem_id = _post(world)
        first = workers(env, app="tests.faults.worker_app")
        _wait_blocked("faults-worker")
        assert redis.llen(QUEUE) == 0 and redis.hlen("unacked") == 1  # taken, not acknowledged
        first.kill()
    with admin_connection() as admin:
        wait_until(lambda: not backends_of(admin, "faults-worker"), timeout=10, what="the dead worker's session")
    assert not Notification.objects.filter(type="problem.posted").exists()  # its transaction died with it

    started = time.monotonic()
    workers(env, app="tests.faults.worker_app")
    wait_until(lambda: all(_posted_to(u, problem_id) for u in world["near"]), timeout=VISIBILITY_TIMEOUT_S + 60,
               what="the redelivered fan-out")
    assert [_posted_to(u, problem_id) for u in world["near"]] == [1, 1]
    print(f"[faults] killed worker's task redelivered and run {time.monotonic() - started:.2f} s after the "
          f"next worker was started (visibility_timeout {VISIBILITY_TIMEOUT_S} s)")
    wait_until(lambda: redis.hlen("unacked") == 0, timeout=10, what="the redelivered message to be acknowledged")
