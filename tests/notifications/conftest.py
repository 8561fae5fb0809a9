"""Helpers for the notification tests: valid payloads, a fresh in-memory channel layer, sockets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tokens import access_token_for
from tests.conftest import ON_REDIS


def accepted(problem_id: int = 1, claim_id: int = 1) -> dict[str, Any]:
    """A valid `claim.accepted` payload: the smallest type, for tests about delivery not content."""
    return {"problem_id": problem_id, "claim_id": claim_id}


def ws_path(user=None, *, token: str | None = None, since: int | str | None = None) -> str:
    if token is None and user is not None:
        token = access_token_for(user)
    query = []
    if token is not None:
        query.append(f"token={token}")
    if since is not None:
        query.append(f"since={since}")
    return "/ws/notifications/" + ("?" + "&".join(query) if query else "")


def expired_token(user) -> str:
    return access_token_for(user, now=timezone.now() - settings.JWT_ACCESS_TTL - timedelta(seconds=5))


@pytest.fixture(autouse=True)
def fresh_in_memory_layer():
    """Each test gets its own in-memory channel layer (groups joined by an earlier test's
    sockets would otherwise linger). The Redis layer is left alone: its groups expire on their own."""
    from channels.layers import channel_layers

    if not ON_REDIS:
        channel_layers.backends.pop("default", None)
    yield
    if not ON_REDIS:
        channel_layers.backends.pop("default", None)


@pytest.fixture(autouse=True)
def close_async_connections():
    """Async code reaches the database from asgiref's one shared thread; close what it opened, or
    PostgreSQL refuses to drop the test database at the end ("accessed by other users")."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)


@pytest.fixture
def eager_celery():
    """Run Celery tasks in-process even where a broker is configured (REDIS_URL set)."""
    from config.celery import app

    was = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was
