"""Redis stopped mid-run: writes still succeed, and the inbox replays what the sockets missed.

One private redis-server plays production's one Redis in all three roles (channel layer, cache,
Celery broker); the test kills it (SIGKILL: a crash, nothing flushed), writes, and starts it again
on the same port. The database is the real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from accounts.tokens import access_token_for
from config.asgi import application
from notifications.models import Notification
from notifications.services import notify
from problems.models import Problem
from problems.services import problem_post
from tests.client import ApiClient
from tests.factories import PASSWORD, CommissionerFactory, TownshipStaffFactory
from tests.fixtures_problems import VILLAGE, make_commissioner, problem_payload
from tests.media.images import jpeg_bytes, upload
from villages.models import Area

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# Every write below must answer within this while Redis is down (the push gives up after 2 s).
WRITE_BOUND_S = 6.0
# With Redis hung, every request must still answer (an error will do) within this: slow, not stuck.
HUNG_BOUND_S = 30.0


def _world() -> dict:
    """A township's staff member, two commissioners nearby and an open problem, posted while Redis is up."""
    village = Area.objects.get(code=VILLAGE)
    staff = TownshipStaffFactory()
    problem = problem_post(
        staff=staff, client_id=uuid.uuid4(), village=village, category_code="fruit-trees", title="芒果炭疽病",
        description="果园大面积出现黑斑。", urgency="high",
    ).problem
    return {
        "staff": staff, "problem": problem, "staff_token": access_token_for(staff),
        "a": make_commissioner(village), "b": make_commissioner(village, km_north=2.0),
    }


def _claim(commissioner, problem) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = ApiClient().as_user(commissioner).post(f"/problems/{problem.pk}/claims", {"message": "明天到"})
    return response.status_code, response.json(), time.monotonic() - started


def _health() -> tuple[int, dict, float]:
    started = time.monotonic()
    response = ApiClient().get("/health")
    return response.status_code, response.json(), time.monotonic() - started


def _inbox_after(user, after_id: int) -> list[tuple[int, str]]:
    return list(
        Notification.objects.filter(recipient=user, pk__gt=after_id).order_by("pk").values_list("pk", "type")
    )


async def _socket(token: str, since: int | None = None) -> WebsocketCommunicator:
    path = f"/ws/notifications/?token={token}" + ("" if since is None else f"&since={since}")
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _reconnect(token: str, since: int) -> tuple[WebsocketCommunicator, int]:
    """As a phone does after a dropped socket: retry the handshake a few times. Returns the socket and
    how many handshakes failed first."""
    for failed in range(5):
        try:
            return await _socket(token, since), failed
        except Exception:  # the server ended the handshake with an error (the app raised)
            await asyncio.sleep(0.2)
    raise AssertionError("the websocket was refused 5 times")


async def _through_a_crash(redis, world) -> tuple[WebsocketCommunicator, int]:
    """Redis up, a socket gets a push; then Redis crashes. Returns the socket and the last id it saw."""
    socket = await _socket(world["staff_token"])
    status, body, _ = await database_sync_to_async(_claim)(world["a"], world["problem"])
    assert status == 201, body
    pushed = await socket.receive_json_from(timeout=5)
    assert (pushed["type"], pushed["payload"]["claim_id"]) == ("claim.created", body["id"])
    redis.kill()
    return socket, pushed["id"]


# The hub retries its subscription at most this far apart (notifications.hub.RETRY_S), then the
# sockets read their inboxes.
REJOIN_BOUND_S = 10.0


@pytest.mark.asyncio
async def test_writes_succeed_while_redis_is_down_and_open_sockets_catch_up_once_it_is_back(redis_everywhere, baise):
    redis = redis_everywhere
    world = await database_sync_to_async(_world)()
    staff, problem = world["staff"], world["problem"]

    socket, last_seen = await _through_a_crash(redis, world)

    # Writes that notify still succeed, quickly: the rows commit, the pushes are logged and dropped.
    started = time.monotonic()
    direct = await database_sync_to_async(notify)(
        recipients=[staff], type="claim.accepted", payload={"problem_id": problem.pk, "claim_id": 9999}
    )
    took_notify = time.monotonic() - started
    assert took_notify < WRITE_BOUND_S
    status, body, took = await database_sync_to_async(_claim)(world["b"], problem)
    assert status == 201, body
    assert took < WRITE_BOUND_S
    print(f"[faults] Redis down: notify() {took_notify:.2f} s, claim via the API {took:.2f} s")
    missed = await database_sync_to_async(_inbox_after)(staff, last_seen)
    assert missed[0] == (direct[0].pk, "claim.accepted")
    assert [kind for _, kind in missed] == ["claim.accepted", "claim.created"]

    # The load balancer sees which component failed; the database is fine.
    status, report, took = await database_sync_to_async(_health)()
    assert status == 503, report
    assert report["db"] == "ok"
    assert all(report[name].startswith("error") for name in ("cache", "channel_layer", "broker")), report
    assert took < 15, f"/health took {took:.1f} s with Redis down"
    print(f"[faults] Redis down: /health 503 in {took:.2f} s: {report}")

    # The socket stayed open and got nothing live. Redis is back (empty: it kept nothing): the
    # process's hub rejoins and the socket gets exactly what it missed, in order, then live pushes.
    assert await socket.receive_nothing(timeout=0.5)
    redis.start()
    started = time.monotonic()
    caught_up = [(await socket.receive_json_from(timeout=REJOIN_BOUND_S))["id"] for _ in missed]
    print(f"[faults] Redis back: the open socket caught up in {time.monotonic() - started:.2f} s")
    assert caught_up == [pk for pk, _ in missed]
    assert await socket.receive_nothing(timeout=0.5)
    live = await database_sync_to_async(notify)(
        recipients=[staff], type="claim.accepted", payload={"problem_id": problem.pk, "claim_id": 10000}
    )
    assert (await socket.receive_json_from(timeout=5))["id"] == live[0].pk
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()

    # A phone whose socket dropped meanwhile reconnects with the last id it saw: the same, replayed.
    again, failed = await _reconnect(world["staff_token"], last_seen)
    assert failed == 0
    replayed = [(await again.receive_json_from(timeout=5))["id"] for _ in range(len(missed) + 1)]
    assert replayed == [pk for pk, _ in missed] + [live[0].pk]
    await again.disconnect()
    status, report, _ = await database_sync_to_async(_health)()
    assert status == 200, report


@pytest.mark.asyncio
async def test_a_websocket_opened_while_redis_is_down_is_accepted_and_replayed(redis_everywhere, baise):
    world = await database_sync_to_async(_world)()
    socket, last_seen = await _through_a_crash(redis_everywhere, world)
    await socket.disconnect()
    missed = await database_sync_to_async(notify)(
        recipients=[world["staff"]], type="claim.accepted", payload={"problem_id": world["problem"].pk, "claim_id": 1}
    )
    # The handshake reads only the database: the inbox is there without Redis.
    again, failed = await _reconnect(world["staff_token"], last_seen)
    assert failed == 0
    assert (await again.receive_json_from(timeout=5))["id"] == missed[0].pk
    redis_everywhere.start()
    live = await database_sync_to_async(notify)(
        recipients=[world["staff"]], type="claim.accepted", payload={"problem_id": world["problem"].pk, "claim_id": 2}
    )
    assert (await again.receive_json_from(timeout=REJOIN_BOUND_S))["id"] == live[0].pk
    await again.disconnect()


def test_posting_a_problem_while_redis_is_down_answers_201_and_notifies_the_commissioners(redis_everywhere, baise):
    village = Area.objects.get(code=VILLAGE)
    staff = TownshipStaffFactory()
    near = make_commissioner(village)
    redis_everywhere.kill()
    payload = problem_payload()
    started = time.monotonic()
    response = ApiClient().as_user(staff).post("/problems", payload)
    took = time.monotonic() - started
    assert Problem.objects.filter(client_id=payload["client_id"]).exists()  # saved, whatever the answer
    assert took < WRITE_BOUND_S
    assert response.status_code == 201, response.content
    assert Notification.objects.filter(recipient=near, type="problem.posted").count() == 1


def test_uploading_a_photo_while_redis_is_down_answers_201(redis_everywhere, baise, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    village = Area.objects.get(code=VILLAGE)
    staff = TownshipStaffFactory()
    problem = problem_post(staff=staff, client_id=uuid.uuid4(), village=village, category_code="fruit-trees",
                           title="芒果炭疽病", description="黑斑。").problem
    redis_everywhere.kill()
    started = time.monotonic()
    response = ApiClient().as_user(staff).upload(f"/problems/{problem.pk}/photos", {"photo": upload(jpeg_bytes())})
    assert response.status_code == 201, response.content
    assert time.monotonic() - started < WRITE_BOUND_S


def test_logging_in_while_redis_is_down_answers_200(redis_everywhere, baise):
    user = CommissionerFactory()
    redis_everywhere.kill()
    response = ApiClient().post("/auth/token", {"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 200, response.content


# --- Redis hung: it accepts connections and never answers (SIGSTOP; a partition looks the same) ---


class _Call(threading.Thread):
    """A request made from a thread of its own, so that the test can give up waiting on it."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.fn = fn
        self.result: Any = None
        self.took: float | None = None

    def run(self) -> None:
        started = time.monotonic()
        try:
            self.result = self.fn()
        except Exception as exc:
            self.result = exc
        finally:
            self.took = time.monotonic() - started
            connections.close_all()


def _while_frozen(redis, calls: list[_Call], bound: float) -> list[bool]:
    """Freeze Redis, make the calls, wait up to ``bound`` seconds, thaw Redis, let them all finish.
    Returns, for each call, whether it had answered before Redis was thawed."""
    redis.freeze()
    try:
        deadline = time.monotonic() + bound
        for call in calls:
            call.start()
        for call in calls:
            call.join(max(0.0, deadline - time.monotonic()))
        answered = [not call.is_alive() for call in calls]
    finally:
        redis.thaw()
        for call in calls:
            call.join(60)
    return answered


def test_a_write_that_notifies_answers_within_the_push_timeout_while_redis_hangs(redis_everywhere, baise):
    world = _world()
    claim = _Call(lambda: _claim(world["a"], world["problem"]))
    assert _while_frozen(redis_everywhere, [claim], bound=WRITE_BOUND_S + 10) == [True]
    status, body, took = claim.result
    assert status == 201, body
    assert took < WRITE_BOUND_S
    print(f"[faults] Redis hung: claim via the API {took:.2f} s")
    assert Notification.objects.filter(recipient=world["staff"], type="claim.created").count() == 1


def test_posting_a_problem_and_health_answer_within_bounds_while_redis_hangs(redis_everywhere, baise):
    staff = TownshipStaffFactory()
    ApiClient().get("/health")  # the broker connection exists before Redis hangs
    post = _Call(lambda: ApiClient().as_user(staff).post("/problems", problem_payload()).status_code)
    health = _Call(lambda: ApiClient().get("/health").status_code)
    answered = _while_frozen(redis_everywhere, [post, health], bound=HUNG_BOUND_S)
    assert answered == [True, True], f"still waiting after {HUNG_BOUND_S:.0f} s: " + ", ".join(
        name for name, done in zip(["the post", "/health"], answered, strict=True) if not done)
