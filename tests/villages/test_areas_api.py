import pytest

from geo.datums import wgs84_to_gcj02
from tests.client import error_code
from tests.factories import CommissionerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api):
    return api.as_user(CommissionerFactory())


def test_lists_exactly_the_twelve_counties(client):
    body = client.get("/areas", level="county").json()
    assert body["count"] == 12
    assert {a["code"] for a in body["items"]} >= {"451002", "451003", "451082"}
    assert set(body["items"][0]) >= {"code", "name", "level", "parent", "lat", "lng"}


def test_counts_per_level_match_the_divisions(client):
    assert client.get("/areas", level="township").json()["count"] == 135
    assert client.get("/areas", level="village").json()["count"] == 1897


def test_children_of_a_township(client):
    body = client.get("/areas", parent="451002001", limit=200).json()
    assert body["count"] > 0
    assert all(a["code"].startswith("451002001") and a["level"] == "village" for a in body["items"])


def test_pagination_walks_every_village_once(client):
    seen = []
    offset = 0
    while True:
        items = client.get("/areas", level="village", limit=200, offset=offset).json()["items"]
        if not items:
            break
        seen += [a["code"] for a in items]
        offset += 200
    assert len(seen) == len(set(seen)) == 1897


def test_the_list_costs_a_fixed_number_of_queries(client, django_assert_num_queries):
    # user lookup, count, page
    with django_assert_num_queries(3):
        client.get("/areas", level="village", limit=200)


def test_one_area_with_its_boundary(client):
    body = client.get("/areas/451002", geometry=1).json()
    assert body["name"] == "右江区"
    assert body["geometry"]["type"] == "MultiPolygon"
    assert "geometry" not in client.get("/areas/451002").json() or client.get("/areas/451002").json()[
        "geometry"
    ] is None


def test_positions_are_answered_in_the_asked_datum(client):
    wgs = client.get("/areas/451002").json()
    gcj = client.get("/areas/451002", crs="gcj02").json()
    expected = wgs84_to_gcj02(wgs["lat"], wgs["lng"])
    assert gcj["lat"] == pytest.approx(expected[0], abs=1e-6)
    assert gcj["lng"] == pytest.approx(expected[1], abs=1e-6)


def test_unknown_area_is_404_in_the_error_shape(client):
    response = client.get("/areas/999999")
    assert response.status_code == 404
    assert error_code(response) == "area_not_found"


def test_bad_level_is_422(client):
    response = client.get("/areas", level="province")
    assert response.status_code == 422
    assert "level" in response.json()["error"]["fields"]


def test_categories(client):
    body = client.get("/categories").json()
    assert body["count"] == 19
    assert {"code": "tea", "name": "茶叶", "name_en": "Tea", "parent": None} in body["items"]


def test_areas_need_a_token(api):
    response = api.anonymous().get("/areas")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
