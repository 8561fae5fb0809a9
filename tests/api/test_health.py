import pytest

from tests.conftest import ON_POSTGRES, ON_REDIS

pytestmark = pytest.mark.django_db


def test_health_checks_every_service(api):
    response = api.get("/health")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["db"] == body["cache"] == body["channel_layer"] == "ok"
    assert body["broker"] == ("ok" if ON_REDIS else "eager")


@pytest.mark.skipif(not ON_POSTGRES, reason="checks the PostgreSQL backend is really in use")
def test_the_suite_really_runs_on_postgresql():
    from django.db import connection

    assert connection.vendor == "postgresql"


@pytest.mark.redis
def test_the_suite_really_uses_redis():
    from channels.layers import get_channel_layer
    from django.core.cache import caches

    assert type(get_channel_layer()).__module__.startswith("channels_redis")
    assert "Redis" in type(caches["default"]).__name__


def test_an_unreachable_service_is_reported_as_503(api, monkeypatch):
    from api import health

    def broken():
        raise ConnectionError("down")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    response = api.get("/health")
    assert response.status_code == 503
    assert response.json()["cache"] == "error: ConnectionError"
