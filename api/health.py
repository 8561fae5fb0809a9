"""`GET /health`: really touches the database, cache, channel layer and broker."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema, Status

router = Router(tags=["operations"])
CHANNEL_LAYER_TIMEOUT_S = 5.0


class HealthOut(Schema):
    db: str
    cache: str
    channel_layer: str
    broker: str


def _check_db() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return "ok" if ok else "error: value not read back"


def _check_channel_layer() -> str:
    if get_channel_layer() is None:
        return "error: no channel layer configured"

    async def roundtrip() -> bool:
        # A layer instance of its own: the process's shared one receives on the server's event loop
        # (the push hub), and channels_redis refuses a receive from a second loop at the same time.
        layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        try:
            async with asyncio.timeout(CHANNEL_LAYER_TIMEOUT_S):  # a hung Redis must not keep the thread
                channel = await layer.new_channel()
                await layer.send(channel, {"type": "health.ping"})
                message = await layer.receive(channel)
            return message.get("type") == "health.ping"
        finally:
            if hasattr(layer, "close_pools"):
                await layer.close_pools()

    return "ok" if async_to_sync(roundtrip)() else "error: message not received"


def _check_broker() -> str:
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        return "eager"  # no broker configured: the embedded default runs tasks in-process
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


CHECKS = {"db": _check_db, "cache": _check_cache, "channel_layer": _check_channel_layer, "broker": _check_broker}


# The Redis-backed checks run side by side, each bounded, so a hung Redis answers in ~3 s, not 3×
# that. The database is checked on the request's own connection (bounded by the pool's timeout).
CHECK_TIMEOUT_S = 3.0


def _run(check) -> str:
    try:
        return check()
    except Exception as exc:  # a health check reports failures, it does not raise them
        return f"error: {exc.__class__.__name__}"


@router.get("/health", response={200: HealthOut, 503: HealthOut}, summary="Are the services reachable?")
def health(request: HttpRequest):
    pool = ThreadPoolExecutor(max_workers=len(CHECKS) - 1, thread_name_prefix="health")
    futures = {name: pool.submit(_run, check) for name, check in CHECKS.items() if name != "db"}
    report: dict[str, str] = {"db": _run(_check_db)}
    for name, future in futures.items():
        try:
            report[name] = future.result(timeout=CHECK_TIMEOUT_S)
        except FuturesTimeout:
            report[name] = "error: timeout"
    pool.shutdown(wait=False, cancel_futures=True)  # a hung check must not hold the answer
    healthy = all(v in ("ok", "eager") for v in report.values())
    return Status(200 if healthy else 503, report)
