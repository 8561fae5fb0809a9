import json

import pytest

from geo.datums import wgs84_to_bd09
from tests.client import error_code
from tests.factories import CommissionerFactory
from villages.models import Area
from villages.services import DIVISIONS_PATH

pytestmark = pytest.mark.django_db

SEATS = [(c["adcode"], c["seat"]) for c in json.loads(DIVISIONS_PATH.read_text(encoding="utf-8"))["counties"]]


@pytest.fixture
def client(api):
    return api.as_user(CommissionerFactory())


@pytest.mark.parametrize(("county", "seat"), SEATS)
def test_every_county_seat_locates_to_its_county(client, county, seat):
    body = client.get("/geo/locate", lat=seat[1], lng=seat[0]).json()
    assert body["county"]["code"] == county
    village = Area.objects.get(code=body["village"]["code"])
    assert village.county_code == county
    assert body["township"]["code"] == village.township_code
    assert body["distance_m"] >= 0


def test_a_point_given_in_bd09_is_converted_first(client):
    lng, lat = SEATS[0][1]
    bd_lat, bd_lng = wgs84_to_bd09(lat, lng)
    wgs = client.get("/geo/locate", lat=lat, lng=lng).json()
    bd = client.get("/geo/locate", lat=bd_lat, lng=bd_lng, crs="bd09").json()
    assert bd["village"] == wgs["village"]
    assert bd["distance_m"] == pytest.approx(wgs["distance_m"], abs=0.5)


def test_a_point_outside_baise_is_legal_but_in_no_county(client):
    body = client.get("/geo/locate", lat=39.9042, lng=116.4074).json()
    assert body == {"county": None, "township": None, "village": None, "distance_m": None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 91, "lng": 106}, "lat"),
        ({"lat": 23, "lng": -181}, "lng"),
        ({"lat": "nan", "lng": 106}, "lat"),
        ({"lat": 23, "lng": 106, "crs": "utm"}, "crs"),
        ({"lat": 23}, "lng"),
    ],
)
def test_bad_points_are_422_naming_the_field(client, params, field):
    response = client.get("/geo/locate", **params)
    assert response.status_code == 422
    assert error_code(response) == "invalid"
    assert field in response.json()["error"]["fields"]
