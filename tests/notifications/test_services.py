import json
import logging

import pytest
from django.db import transaction
from django.test import override_settings
from kombu.exceptions import OperationalError as BrokerUnreachable

from core.errors import NotFound
from notifications.models import Notification
from notifications.services import notification_mark_read, notifications_mark_all_read, notify
from notifications.tasks import fanout_on_commit, notify_many_task
from tests.factories import CommissionerFactory, TownshipStaffFactory

from .conftest import accepted

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
    }
}


@pytest.fixture
def pushed(monkeypatch):
    """Every notification pushed, as (recipient id, prev, message); each push goes to the hubs' group,
    its message as the JSON text a socket sends."""
    from channels.layers import get_channel_layer

    sent: list[tuple[int, int, dict]] = []

    async def spy(group, message):
        assert (group, message["type"]) == ("notifications.fanout", "notifications.fanout")
        for recipient_id, prev, notification_id, text in message["pushes"]:
            parsed = json.loads(text)
            assert parsed["id"] == notification_id
            sent.append((recipient_id, prev, parsed))

    monkeypatch.setattr(get_channel_layer(), "group_send", spy)
    return sent


def test_notify_writes_one_row_per_recipient_once():
    a, b = CommissionerFactory(), CommissionerFactory()
    rows = notify(recipients=[a, b.pk, a], type="claim.accepted", payload=accepted())
    assert [r.recipient_id for r in rows] == [a.pk, b.pk]
    assert Notification.objects.filter(type="claim.accepted", payload=accepted()).count() == 2
    assert all(r.pk for r in rows)


def test_an_unknown_type_is_a_programming_error_and_writes_nothing():
    user = CommissionerFactory()
    with pytest.raises(ValueError, match="Unknown notification type"):
        notify(recipients=[user], type="problem.exploded", payload={})
    assert not Notification.objects.exists()


def test_a_payload_that_does_not_fit_its_type_is_a_programming_error():
    user = CommissionerFactory()
    with pytest.raises(ValueError, match="claim_id"):
        notify(recipients=[user], type="claim.accepted", payload={"problem_id": 1})
    assert not Notification.objects.exists()


def test_the_push_waits_for_the_commit(pushed, django_capture_on_commit_callbacks):
    user = CommissionerFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = notify(recipients=[user], type="claim.accepted", payload=accepted())[0]
    assert pushed == []
    for callback in callbacks:
        callback()
    assert pushed == [
        (
            user.pk,
            0,
            {"id": row.pk, "type": "claim.accepted", "payload": accepted(), "created_at": pushed[0][2]["created_at"]},
        )
    ]


def test_a_pushed_message_reads_as_its_replay(pushed, django_capture_on_commit_callbacks):
    from notifications.selectors import notification_message

    user = CommissionerFactory()
    payload = {"problem_id": 7, "title": "柑橘黄龙病", "category": "fruit-trees",
               "village_code": "451002001001", "urgency": "high"}
    with django_capture_on_commit_callbacks(execute=True):
        notify_many_task([user.pk], "problem.posted", payload, extras={str(user.pk): {"distance_km": 2.5}})
    [(_, _, message)] = pushed
    assert message == notification_message(Notification.objects.get(pk=message["id"]))
    assert message["payload"]["distance_km"] == 2.5


def test_nothing_is_pushed_or_kept_when_the_transaction_rolls_back(pushed, django_capture_on_commit_callbacks):
    user = CommissionerFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(recipients=[user], type="claim.accepted", payload=accepted())
        raise RuntimeError("the change being reported failed")
    assert callbacks == []
    assert pushed == []
    assert not Notification.objects.exists()


def test_the_push_names_the_recipients_previous_notification(pushed, django_capture_on_commit_callbacks):
    user = CommissionerFactory()
    first = notify(recipients=[user], type="claim.accepted", payload=accepted())[0]
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[user], type="claim.declined", payload=accepted())
    assert pushed[-1][1] == first.pk


def test_created_at_is_iso_8601_with_an_offset(pushed, django_capture_on_commit_callbacks):
    from datetime import datetime

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[CommissionerFactory()], type="claim.accepted", payload=accepted())
    stamp = pushed[0][2]["created_at"]
    assert datetime.fromisoformat(stamp).utcoffset() is not None


@override_settings(CHANNEL_LAYERS=DEAD_REDIS, NOTIFICATIONS_PUSH_TIMEOUT=5)
def test_notify_succeeds_and_keeps_the_rows_when_redis_is_down(django_capture_on_commit_callbacks, caplog):
    user = CommissionerFactory()
    with (
        caplog.at_level(logging.WARNING, logger="notifications.services"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        rows = notify(recipients=[user], type="claim.accepted", payload=accepted())
    assert len(callbacks) == 1
    assert Notification.objects.filter(pk=rows[0].pk, recipient=user).exists()
    assert "wait in the inbox" in caplog.text


def test_a_key_makes_a_repeated_notify_create_nothing():
    a, b = CommissionerFactory(), CommissionerFactory()
    notify(recipients=[a], type="claim.accepted", payload=accepted(), key="claim.accepted:1")
    again = notify(recipients=[a, b], type="claim.accepted", payload=accepted(), key="claim.accepted:1")
    assert [r.recipient_id for r in again] == [b.pk]
    assert Notification.objects.filter(recipient=a).count() == 1


def test_recipients_that_no_longer_exist_are_skipped():
    user = CommissionerFactory()
    rows = notify(recipients=[user.pk, 999_999_999], type="claim.accepted", payload=accepted())
    assert [r.recipient_id for r in rows] == [user.pk]


def test_extras_add_per_recipient_fields():
    near, far = CommissionerFactory(), CommissionerFactory()
    payload = {"problem_id": 7, "title": "柑橘黄龙病", "category": "fruit-trees",
               "village_code": "451002001001", "urgency": "high"}
    notify(recipients=[near, far], type="problem.posted", payload=payload,
           extras={near.pk: {"distance_km": 1.5}, far.pk: {"distance_km": 12.0}})
    assert Notification.objects.get(recipient=near).payload["distance_km"] == 1.5
    assert Notification.objects.get(recipient=far).payload["distance_km"] == 12.0


def test_marking_read_twice_keeps_the_first_read_time():
    user = CommissionerFactory()
    row = notify(recipients=[user], type="claim.accepted", payload=accepted())[0]
    first = notification_mark_read(user=user, notification_id=row.pk).read_at
    second = notification_mark_read(user=user, notification_id=row.pk).read_at
    assert first is not None
    assert second == first


def test_someone_elses_notification_cannot_be_marked_read():
    owner, other = CommissionerFactory(), CommissionerFactory()
    row = notify(recipients=[owner], type="claim.accepted", payload=accepted())[0]
    with pytest.raises(NotFound):
        notification_mark_read(user=other, notification_id=row.pk)
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_all_read_marks_only_mine_and_counts_them():
    me, other = CommissionerFactory(), CommissionerFactory()
    notify(recipients=[me, other], type="claim.accepted", payload=accepted())
    notify(recipients=[me], type="claim.declined", payload=accepted())
    assert notifications_mark_all_read(user=me) == 2
    assert notifications_mark_all_read(user=me) == 0
    assert Notification.objects.get(recipient=other).read_at is None


@override_settings(NOTIFICATIONS_FANOUT_CHUNK=2)
def test_the_fanout_task_writes_in_chunks(monkeypatch):
    users = [CommissionerFactory() for _ in range(5)]
    calls = []
    real_notify = notify

    def counting_notify(**kwargs):
        calls.append(list(kwargs["recipients"]))
        return real_notify(**kwargs)

    monkeypatch.setattr("notifications.tasks.notify", counting_notify)
    created = notify_many_task([u.pk for u in users], "claim.accepted", accepted())
    assert created == 5
    assert [len(c) for c in calls] == [2, 2, 1]
    assert Notification.objects.count() == 5


def test_fanout_runs_after_commit_and_not_before(eager_celery, django_capture_on_commit_callbacks):
    users = [CommissionerFactory() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fanout_on_commit(recipient_ids=[u.pk for u in users], type="claim.accepted", payload=accepted())
    assert not Notification.objects.exists()
    for callback in callbacks:
        callback()  # eager Celery: the task runs here
    assert Notification.objects.count() == 3


def test_fanout_checks_the_payload_in_the_request_not_the_worker(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(ValueError):
        fanout_on_commit(recipient_ids=[1], type="claim.accepted", payload={"claim_id": 1})
    assert callbacks == []


def test_fanout_carries_extras_through_the_task(eager_celery, django_capture_on_commit_callbacks):
    near = CommissionerFactory()
    payload = {"problem_id": 7, "title": "桑蚕病害", "category": "mulberry-silkworm",
               "village_code": "451002001001", "urgency": "normal"}
    with django_capture_on_commit_callbacks(execute=True):
        fanout_on_commit(recipient_ids=[near.pk], type="problem.posted", payload=payload,
                         key="problem.posted:7", extras={near.pk: {"distance_km": 3.25}})
    assert Notification.objects.get(recipient=near).payload["distance_km"] == 3.25


def test_fanout_is_delivered_inline_when_the_broker_is_unreachable(monkeypatch, django_capture_on_commit_callbacks):
    user = TownshipStaffFactory()

    def unreachable(*args, **kwargs):
        raise BrokerUnreachable("connection refused")

    monkeypatch.setattr(notify_many_task, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        fanout_on_commit(recipient_ids=[user.pk], type="claim.accepted", payload=accepted())
    assert Notification.objects.filter(recipient=user).count() == 1
