"""Every error answers in the contract's shape; no bad input gives a 500."""

import pytest

from tests.client import error_code
from tests.factories import CommissionerFactory

pytestmark = pytest.mark.django_db


def test_an_unknown_route_is_404_in_shape(api):
    response = api.get("/no-such-thing")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_a_wrong_method_is_405_in_shape(api):
    response = api.as_user(CommissionerFactory()).delete("/me")
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"


def test_malformed_json_is_400_in_shape(api):
    response = api.client.post("/api/v1/auth/token", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "malformed_body"


def test_an_oversize_body_is_413_in_shape(api):
    response = api.client.post("/api/v1/auth/token", "x" * (2 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert error_code(response) == "too_large"


def test_a_missing_field_is_422_naming_it(api):
    response = api.post("/auth/token", {"phone": "13800000000"})
    assert response.status_code == 422
    assert error_code(response) == "invalid"
    assert "password" in response.json()["error"]["fields"]


def test_no_token_is_401_in_shape(api):
    response = api.get("/me")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/auth/token", []),
        ("post", "/auth/token", "null"),
        ("post", "/auth/token", {"phone": None, "password": 5}),
        ("post", "/auth/token", {"phone": "1" * 100000, "password": "x"}),
        ("post", "/auth/refresh", {"refresh": ""}),
        ("post", "/auth/token", {"phone": "138\u0000", "password": "x"}),
        ("get", "/areas?parent=45%00", None),
        ("post", "/users", {"phone": {"$gt": ""}}),
        ("get", "/areas?limit=-1", None),
        ("get", "/areas?limit=99999999999999999999", None),
        ("get", "/areas?offset=abc", None),
        ("get", "/areas/%00", None),
        ("get", "/areas/" + "9" * 500, None),
        ("get", "/commissioners?near=abc", None),
        ("get", "/commissioners?near=91,200", None),
        ("get", "/commissioners?near=nan,nan", None),
        ("get", "/commissioners?radius_km=-5", None),
        ("get", "/me?crs=utm", None),
        ("patch", "/commissioners/me", {"home_lat": "x"}),
        ("patch", "/commissioners/me", {"home_lat": 1e400, "home_lng": 1}),
        ("patch", "/commissioners/me", {"expertise": "tea"}),
    ],
)
def test_bad_input_is_a_4xx_in_shape_never_a_500(api, method, path, body):
    api.as_user(CommissionerFactory())
    if method == "get":
        response = api.client.get(f"/api/v1{path}", **api._headers())
    else:
        payload = body if isinstance(body, str) else __import__("json").dumps(body)
        response = getattr(api.client, method)(
            f"/api/v1{path}", payload, content_type="application/json", **api._headers()
        )
    assert 400 <= response.status_code < 500, response.content
    error_code(response)
