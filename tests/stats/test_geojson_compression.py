"""Large JSON answers are gzipped for clients that accept it; token answers never are (BREACH)."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.factories import PASSWORD, BureauFactory, CountyStaffFactory

pytestmark = pytest.mark.django_db
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


@pytest.fixture
def bureau(api, baise):
    return api.as_user(BureauFactory())


def _get(api, path: str, **headers):
    return api.client.get(f"/api/v1{path}", **api._headers(), **headers)


def test_the_village_map_is_gzipped_when_the_client_accepts_it(bureau):
    plain = _get(bureau, "/stats/coverage?level=village")
    packed = _get(bureau, "/stats/coverage?level=village", **GZIP)

    assert packed.status_code == 200
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert json.loads(gzip.decompress(packed.content)) == json.loads(plain.content)
    # Measured for docs/dashboard.md (`pytest -s` prints them).
    print(f"village map: {len(plain.content):,} bytes plain, {len(packed.content):,} gzipped")
    assert len(packed.content) < len(plain.content) / 5


def test_a_client_that_does_not_accept_gzip_gets_plain_json(bureau):
    response = _get(bureau, "/stats/coverage?level=village")

    assert not response.has_header("Content-Encoding")
    assert response.json()["type"] == "FeatureCollection"


def test_lists_are_gzipped_too(bureau):
    response = _get(bureau, "/areas?level=village&limit=200", **GZIP)

    assert response["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(response.content))["items"]) == 200


def test_token_answers_are_never_gzipped(api, baise):
    user = CountyStaffFactory()

    response = api.post("/auth/token", {"phone": user.phone, "password": PASSWORD}, **GZIP)

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert "access" in response.json()


def test_the_dashboards_feeds_are_gzipped(client, baise):
    client.force_login(BureauFactory())

    response = client.get("/dashboard/data/coverage.json?level=village", **GZIP)

    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["level"] == "village"


def test_html_pages_are_not_gzipped(client, baise):
    # The login page carries the CSRF token: HTML is left alone.
    response = client.get("/dashboard/login/", **GZIP)

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
