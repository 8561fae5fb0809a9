"""`GET /health`: really touches the database, cache, channel layer and broker."""

from __future__ import annotations

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema, Status

router = Router(tags=["operations"])


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
    layer = get_channel_layer()
    if layer is None:
        return "error: no channel layer configured"

    async def roundtrip() -> bool:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        message = await layer.receive(channel)
        return message.get("type") == "health.ping"

    return "ok" if async_to_sync(roundtrip)() else "error: message not received"


def _check_broker() -> str:
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        return "eager"  # no broker configured: the embedded default runs tasks in-process
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


CHECKS = {"db": _check_db, "cache": _check_cache, "channel_layer": _check_channel_layer, "broker": _check_broker}


@router.get("/health", response={200: HealthOut, 503: HealthOut}, summary="Are the services reachable?")
def health(request: HttpRequest):
    report: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as exc:  # a health check reports failures, it does not raise them
            report[name] = f"error: {exc.__class__.__name__}"
    healthy = all(v in ("ok", "eager") for v in report.values())
    return Status(200 if healthy else 503, report)
