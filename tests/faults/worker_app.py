"""The project's Celery app, for the one fault test that kills a worker in the middle of a task.

Only the Redis transport's redelivery clock differs from production: an unacknowledged message
(acks_late) whose worker died goes back to the queue once it is older than ``visibility_timeout``,
found by a sweep every ``unacked_restore_interval`` x ``unacked_restore_throttle`` seconds. Production
keeps kombu's defaults (one hour; a sweep every 100 s); the test cannot wait that long.
Run: ``celery -A tests.faults.worker_app worker``.
"""

from config.celery import app

VISIBILITY_TIMEOUT_S = 5

app.conf.broker_transport_options = {
    "visibility_timeout": VISIBILITY_TIMEOUT_S,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

__all__ = ["app"]
