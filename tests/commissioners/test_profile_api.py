import pytest

from accounts.models import ConsentKind
from accounts.services import consent_record
from geo.datums import gcj02_to_wgs84
from tests.client import error_code
from tests.factories import CommissionerFactory, CountyStaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commissioner():
    return CommissionerFactory()


def consent(user):
    consent_record(user=user, kind=ConsentKind.LOCATION, version="2025-01")


def test_a_position_without_location_consent_is_refused(api, commissioner):
    response = api.as_user(commissioner).patch("/commissioners/me", {"home_lat": 23.9, "home_lng": 106.6})
    assert response.status_code == 403
    assert error_code(response) == "consent_required"
    commissioner.commissioner.refresh_from_db()
    assert commissioner.commissioner.home_lat is None


def test_recording_consent_then_setting_home_in_gcj02_stores_wgs84(api, commissioner):
    api.as_user(commissioner)
    assert api.post("/me/consents", {"kind": "location", "version": "2025-01"}).status_code == 201
    response = api.patch("/commissioners/me", {"home_lat": 23.9, "home_lng": 106.6, "crs": "gcj02"})
    assert response.status_code == 200
    profile = commissioner.commissioner
    profile.refresh_from_db()
    expected = gcj02_to_wgs84(23.9, 106.6)
    assert (profile.home_lat, profile.home_lng) == pytest.approx(expected, abs=1e-9)
    # and it is answered in the datum the request spoke
    assert response.json()["home_lat"] == pytest.approx(23.9, abs=1e-6)


def test_availability_and_expertise_need_no_consent(api, commissioner):
    response = api.as_user(commissioner).patch("/commissioners/me", {"available": False, "expertise": ["tea"]})
    assert response.status_code == 200
    assert response.json()["available"] is False
    assert response.json()["expertise"] == ["tea"]


def test_only_commissioners_patch_a_commissioner_profile(api):
    assert api.as_user(CountyStaffFactory()).patch("/commissioners/me", {"available": False}).status_code == 403


def test_staff_find_commissioners_near_a_point_nearest_first(api):
    far, near = CommissionerFactory(), CommissionerFactory()
    for user, (lat, lng) in ((far, (24.10, 106.60)), (near, (23.91, 106.61))):
        consent(user)
        api.as_user(user).patch("/commissioners/me", {"home_lat": lat, "home_lng": lng})
    body = api.as_user(CountyStaffFactory()).get("/commissioners", near="23.90,106.60", radius_km=50).json()
    assert [c["id"] for c in body["items"]] == [near.pk, far.pk]
    assert body["items"][0]["distance_km"] < body["items"][1]["distance_km"]


def test_commissioners_cannot_list_commissioners(api, commissioner):
    assert api.as_user(commissioner).get("/commissioners").status_code == 403


def test_the_list_query_count_does_not_grow_with_the_page(api, django_assert_max_num_queries):
    for _ in range(15):
        CommissionerFactory()
    staff = CountyStaffFactory()
    api.as_user(staff)
    # user, count, page, expertise, whole phones, the audit row
    with django_assert_max_num_queries(6):
        body = api.get("/commissioners", limit=15).json()
    assert len(body["items"]) == 15
