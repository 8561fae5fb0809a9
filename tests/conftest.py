"""Shared test setup: Baise's areas loaded once per test database, fast hashing, API helpers."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

ON_POSTGRES = bool(os.environ.get("DATABASE_URL", "").startswith("postgres"))
ON_REDIS = bool(os.environ.get("REDIS_URL"))


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("django") and settings.configured:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        # Tasks run in-process unless a test is about the worker (those start one and say so).
        settings.CELERY_TASK_ALWAYS_EAGER = True
        # The test client speaks plain HTTP; production's TLS redirect is tested in test_security.py.
        settings.SECURE_SSL_REDIRECT = False
        from config.celery import app

        app.conf.task_always_eager = True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis (set REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not ON_REDIS:
            item.add_marker(skip_redis)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real divisions and categories once; per-test transactions roll back above them."""
    from villages.services import areas_import, categories_seed

    with django_db_blocker.unblock():
        areas_import()
        categories_seed()


@pytest.fixture
def baise(db):
    """The Baise areas, (re)loaded if a transactional test flushed them."""
    from villages.models import Area
    from villages.services import areas_import, categories_seed

    if not Area.objects.filter(level="village").exists():
        areas_import()
        categories_seed()


@pytest.fixture
def api():
    """An API client; the cache (rate-limit counters among others) starts empty for each test."""
    from django.core.cache import cache

    from tests.client import ApiClient

    cache.clear()
    return ApiClient()


@pytest.fixture(autouse=True)
def _fresh_channel_layer(request):
    """Channels caches one layer per process, bound to the event loop that first used it; an async
    test's loop ends with the test, so the next test gets a layer (and a push hub) of its own.

    On a Redis run only the tests marked `redis` (and the fault tests, which bring their own servers) use
    the Redis layer; the rest use the in-memory one. A test's event loop closes by cancelling every task
    it has at once, and a push hub then blocked in channels_redis's receive could keep the loop from
    closing, and the test run from ending (seen on main too: about one run in three of eight websocket
    tests). In production a hub lives as long as its server process."""
    if ON_REDIS and "redis" not in request.keywords and not request.node.nodeid.startswith("tests/faults/"):
        request.getfixturevalue("settings").CHANNEL_LAYERS = {
            "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    yield
    from channels.layers import channel_layers

    from notifications.hub import hubs_stop

    hubs_stop()
    channel_layers.backends.clear()
