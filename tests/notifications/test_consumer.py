"""The websocket, through the project's ASGI application and whichever channel layer is configured
(in-memory on the embedded default, Redis when REDIS_URL is set)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from accounts.tokens import access_token_for
from config.asgi import application
from notifications import consumers
from notifications.models import Notification
from notifications.services import notify
from tests.conftest import ON_REDIS
from tests.factories import CommissionerFactory

from .conftest import accepted, expired_token, ws_path

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TIMEOUT = 3


@pytest.fixture
def me(baise):
    return CommissionerFactory()


@pytest.fixture
def other(baise):
    return CommissionerFactory()


@database_sync_to_async
def send(user, claim_id: int = 1) -> int:
    """Notify ``user`` as a service would (commit, then push); returns the id."""
    return notify(recipients=[user], type="claim.accepted", payload=accepted(claim_id=claim_id))[0].pk


@database_sync_to_async
def send_without_push(user, claim_id: int = 1) -> int:
    """A notification whose push was lost (Redis was down when it committed)."""
    from unittest import mock

    with mock.patch("notifications.services._push"):
        return notify(recipients=[user], type="claim.accepted", payload=accepted(claim_id=claim_id))[0].pk


async def connect(path: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def received_ids(communicator: WebsocketCommunicator, n: int) -> list[int]:
    return [(await communicator.receive_json_from(timeout=TIMEOUT))["id"] for _ in range(n)]


async def assert_refused_with(path: str, code: int) -> None:
    communicator = WebsocketCommunicator(application, path)
    await communicator.connect(timeout=TIMEOUT)
    closing = await communicator.receive_output(timeout=TIMEOUT)
    assert closing == {"type": "websocket.close", "code": code}
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_no_token_is_refused_with_4401(me):
    await assert_refused_with(ws_path(), 4401)


async def test_a_bad_token_is_refused_with_4401(me):
    await assert_refused_with(ws_path(token="not.a.jwt"), 4401)


async def test_an_expired_token_is_refused_with_4401(me):
    await send(me)
    await assert_refused_with(ws_path(token=expired_token(me), since=0), 4401)


async def test_an_inactive_users_token_is_refused_with_4401(me):
    me.is_active = False
    await database_sync_to_async(me.save)()
    await assert_refused_with(ws_path(me), 4401)


async def test_a_token_from_before_logging_out_everywhere_is_refused_with_4401(me):
    from accounts.tokens import sessions_end_everywhere

    old_token = access_token_for(me, now=timezone.now() - timedelta(seconds=10))
    await database_sync_to_async(sessions_end_everywhere)(me)
    await assert_refused_with(ws_path(token=old_token), 4401)


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "+3", "9" * 30])
async def test_a_since_that_is_not_a_cursor_is_refused_with_4400(me, since):
    await assert_refused_with(ws_path(me, since=since), 4400)


async def test_since_replays_every_later_notification_in_order(me, other):
    ids = [await send(me, claim_id=i) for i in range(5)]
    await send(other)
    communicator = await connect(ws_path(me, since=ids[1]))
    assert await received_ids(communicator, 3) == ids[2:]
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_a_replayed_message_has_exactly_the_contracts_fields(me):
    notification_id = await send(me)
    communicator = await connect(ws_path(me, since=0))
    message = await communicator.receive_json_from(timeout=TIMEOUT)
    assert set(message) == {"id", "type", "payload", "created_at"}
    assert message["id"] == notification_id
    assert message["type"] == "claim.accepted"
    assert message["payload"] == accepted()
    await communicator.disconnect()


async def test_reconnecting_with_since_gets_exactly_what_was_missed(me):
    first = await send(me, claim_id=1)
    communicator = await connect(ws_path(me, since=0))
    assert await received_ids(communicator, 1) == [first]
    await communicator.disconnect()
    missed = [await send(me, claim_id=i) for i in (2, 3)]
    communicator = await connect(ws_path(me, since=first))
    assert await received_ids(communicator, 2) == missed
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_a_live_notification_follows_the_replay(me):
    old = await send(me, claim_id=1)
    communicator = await connect(ws_path(me, since=0))
    live = await send(me, claim_id=2)
    assert await received_ids(communicator, 2) == [old, live]
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_without_since_nothing_is_replayed_and_live_ones_arrive(me):
    await send(me, claim_id=1)
    communicator = await connect(ws_path(me))
    assert await communicator.receive_nothing()
    live = await send(me, claim_id=2)
    assert await received_ids(communicator, 1) == [live]
    await communicator.disconnect()


async def test_a_notification_committed_during_the_replay_arrives_once(me, monkeypatch):
    """Committed after the consumer joined its group but before its replay query: the replay reads
    it and its push arrives afterwards. It must be sent once."""
    old = await send(me, claim_id=1)
    real = consumers.notifications_after
    raced = []

    def racing_replay(**kwargs):
        if not raced:
            raced.append(notify(recipients=[me], type="claim.accepted", payload=accepted(claim_id=2))[0].pk)
        return real(**kwargs)

    monkeypatch.setattr(consumers, "notifications_after", racing_replay)
    communicator = await connect(ws_path(me, since=0))
    assert await received_ids(communicator, 2) == [old, raced[0]]
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_a_notification_committed_after_the_replay_query_arrives_once_after_it(me, monkeypatch):
    old = await send(me, claim_id=1)
    real = consumers.notifications_after
    raced = []

    def racing_replay(**kwargs):
        rows = real(**kwargs)
        if not raced:
            raced.append(notify(recipients=[me], type="claim.accepted", payload=accepted(claim_id=2))[0].pk)
        return rows

    monkeypatch.setattr(consumers, "notifications_after", racing_replay)
    communicator = await connect(ws_path(me, since=0))
    assert await received_ids(communicator, 2) == [old, raced[0]]
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_a_lost_push_is_caught_up_before_the_next_one_in_order(me):
    communicator = await connect(ws_path(me))
    lost = await send_without_push(me, claim_id=1)
    live = await send(me, claim_id=2)
    assert await received_ids(communicator, 2) == [lost, live]
    await communicator.disconnect()


async def test_ping_answers_pong(me):
    communicator = await connect(ws_path(me))
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await communicator.disconnect()


async def test_ping_first_delivers_what_a_lost_push_missed(me):
    communicator = await connect(ws_path(me))
    lost = await send_without_push(me)
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["id"] == lost
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await communicator.disconnect()


async def test_ack_marks_that_notification_read(me):
    first, second = await send(me, claim_id=1), await send(me, claim_id=2)
    communicator = await connect(ws_path(me))
    await communicator.send_json_to({"type": "ack", "id": second})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "acked", "id": second}
    read = await database_sync_to_async(
        lambda: dict(Notification.objects.filter(recipient=me).values_list("id", "read_at"))
    )()
    assert read[second] is not None
    assert read[first] is None  # an ack is for that one id, not "everything up to it"
    await communicator.disconnect()


async def test_acking_someone_elses_notification_changes_nothing(me, other):
    theirs = await send(other)
    communicator = await connect(ws_path(me))
    await communicator.send_json_to({"type": "ack", "id": theirs})
    answer = await communicator.receive_json_from(timeout=TIMEOUT)
    assert (answer["type"], answer["code"]) == ("error", "not_found")
    row = await database_sync_to_async(Notification.objects.get)(pk=theirs)
    assert row.read_at is None
    await communicator.disconnect()


@pytest.mark.parametrize(
    "frame",
    [{"type": "subscribe"}, {"type": "ack", "id": "7"}, {"type": "ack", "id": True}, ["ping"], "ping"],
)
async def test_a_message_it_does_not_understand_gets_an_error_not_a_crash(me, frame):
    communicator = await connect(ws_path(me))
    await communicator.send_json_to(frame)
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "error"
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await communicator.disconnect()


async def test_text_that_is_not_json_gets_an_error(me):
    communicator = await connect(ws_path(me))
    await communicator.send_to(text_data="{nope")
    # Chinese: the handshake sends no Accept-Language.
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {
        "type": "error", "code": "invalid_message", "message": "消息不是 JSON。",
    }
    await communicator.disconnect()


async def test_the_connection_ends_with_4401_when_its_token_expires(me):
    # A token with one second left.
    token = access_token_for(me, now=timezone.now() - settings.JWT_ACCESS_TTL + timedelta(seconds=1))
    communicator = await connect(ws_path(token=token))
    closing = await communicator.receive_output(timeout=4)
    assert closing == {"type": "websocket.close", "code": 4401}
    await communicator.disconnect()


async def test_two_sockets_of_one_person_both_receive(me):
    phone, tablet = await connect(ws_path(me)), await connect(ws_path(me))
    live = await send(me)
    assert await received_ids(phone, 1) == [live]
    assert await received_ids(tablet, 1) == [live]
    await asyncio.gather(phone.disconnect(), tablet.disconnect())


async def test_one_fanout_reaches_each_recipients_socket_and_nobody_elses(baise, monkeypatch):
    """A fan-out is one channel-layer message for the whole process; its hub hands each socket its own."""
    from channels.layers import get_channel_layer

    people = [await database_sync_to_async(CommissionerFactory)() for _ in range(3)]
    bystander = await database_sync_to_async(CommissionerFactory)()
    sockets = [await connect(ws_path(p)) for p in people]
    watching = await connect(ws_path(bystander))
    layer = get_channel_layer()
    sends = []
    real_group_send = layer.group_send

    async def counting(group, message):
        sends.append(group)
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", counting)
    rows = await database_sync_to_async(notify)(
        recipients=people, type="claim.accepted", payload=accepted(), extras=None
    )
    assert sends == ["notifications.fanout"]
    for socket, row in zip(sockets, rows, strict=True):
        assert await received_ids(socket, 1) == [row.pk]
        assert await socket.receive_nothing()
    assert await watching.receive_nothing()
    await asyncio.gather(*(s.disconnect() for s in [*sockets, watching]))


async def test_pushes_wait_for_the_replay_and_follow_it_in_order(me, monkeypatch):
    """Pushes that arrive while the replay is still being read are sent after it, once each."""
    old = await send(me, claim_id=1)
    real = consumers.notifications_after
    raced: list[int] = []

    def slow_replay(**kwargs):
        if not raced:
            raced.extend(notify(recipients=[me], type="claim.accepted", payload=accepted(claim_id=i))[0].pk
                         for i in (2, 3))
        return real(**kwargs)

    monkeypatch.setattr(consumers, "notifications_after", slow_replay)
    communicator = await connect(ws_path(me, since=0))
    assert await received_ids(communicator, 3) == [old, *raced]
    assert await communicator.receive_nothing()
    await communicator.disconnect()


@pytest.mark.skipif(ON_REDIS, reason="fakes the failure on the in-memory layer; tests/faults crashes a real Redis")
async def test_after_losing_its_subscription_the_hub_has_each_socket_read_what_it_missed(me, monkeypatch):
    from channels.layers import get_channel_layer

    from notifications.hub import FANOUT_GROUP

    communicator = await connect(ws_path(me))
    await _hub_joined()
    lost = await send_without_push(me)  # pushed while the subscription was down: reached nobody
    layer = get_channel_layer()
    real_receive = layer.receive
    failed: list[str] = []

    async def fails_once(channel):
        if not failed:
            failed.append(channel)
            raise ConnectionError("Redis went away")
        return await real_receive(channel)

    monkeypatch.setattr(layer, "receive", fails_once)
    await layer.group_send(FANOUT_GROUP, {"type": "something.else"})  # wakes the hub: its next read fails
    assert await received_ids(communicator, 1) == [lost]
    assert failed
    live = await send(me, claim_id=2)
    assert await received_ids(communicator, 1) == [live]
    await communicator.disconnect()


async def _hub_joined():
    from notifications.hub import hub

    for _ in range(150):  # the hub joins in the background (a Redis round trip or two)
        if hub().joined:
            return hub()
        await asyncio.sleep(0.02)
    raise AssertionError("the hub did not join")


async def test_a_subscription_lost_without_an_error_is_noticed_and_the_socket_catches_up(me, monkeypatch):
    """Redis flushed or failed over: the group forgot this process and nothing raised."""
    from channels.layers import get_channel_layer

    from notifications import hub as hub_module

    monkeypatch.setattr(hub_module, "BEAT_S", 0.05)
    monkeypatch.setattr(hub_module, "REFRESH_S", 0.3)
    communicator = await connect(ws_path(me))
    joined = await _hub_joined()
    await get_channel_layer().group_discard(hub_module.FANOUT_GROUP, joined._channel)
    lost = await send(me)  # its push reaches nobody
    assert await received_ids(communicator, 1) == [lost]  # within a refresh or two
    live = await send(me, claim_id=2)
    assert await received_ids(communicator, 1) == [live]
    await communicator.disconnect()


@pytest.mark.skipif(ON_REDIS, reason="fakes the failure on the in-memory layer; tests/faults crashes a real Redis")
async def test_after_heartbeats_failed_the_socket_catches_up_once_one_gets_through(me, monkeypatch):
    """Redis down under the pub/sub layer: the subscription's receive raises nothing, pushes fail."""
    from channels.layers import get_channel_layer

    from notifications import hub as hub_module

    monkeypatch.setattr(hub_module, "BEAT_S", 0.05)
    communicator = await connect(ws_path(me))
    await _hub_joined()
    layer = get_channel_layer()
    real_group_send = layer.group_send
    down = asyncio.Event()
    down.set()
    failed: list[int] = []

    async def beats_fail_while_down(group, message):
        if message["type"] == hub_module.HEARTBEAT_MESSAGE_TYPE and down.is_set():
            failed.append(message["beat"])
            raise ConnectionError("Redis went away")
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", beats_fail_while_down)
    for _ in range(100):
        if failed:
            break
        await asyncio.sleep(0.01)
    assert failed
    lost = await send_without_push(me)  # its push failed too: reached nobody
    down.clear()
    assert await received_ids(communicator, 1) == [lost]  # once a beat got through
    live = await send(me, claim_id=2)
    assert await received_ids(communicator, 1) == [live]
    await communicator.disconnect()


async def test_a_connection_that_ends_by_an_error_leaves_the_hub(me, monkeypatch):
    def broken_ack(user, notification_id):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(consumers, "_ack", broken_ack)
    communicator = await connect(ws_path(me))
    joined = await _hub_joined()
    assert me.pk in joined.sockets
    await communicator.send_json_to({"type": "ack", "id": 1})
    with pytest.raises(RuntimeError):
        await communicator.receive_output(timeout=TIMEOUT)
    assert me.pk not in joined.sockets
