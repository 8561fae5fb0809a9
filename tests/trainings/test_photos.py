"""Photos of a training: added by its commissioner, served to them and to staff in scope, hidden from others."""

import pytest

from media.models import Photo, PhotoOwner
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from tests.media.images import jpeg_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def training(record, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return record()


def send(api, training, data, name="photo.jpg", content_type="image/jpeg"):
    return api.upload(f"/trainings/{training['id']}/photos", {"photo": upload(data, name, content_type)})


def served(api, url):
    return api.client.get(url, **api._headers()).status_code


def test_the_commissioner_adds_a_photo(api, commissioner, training):
    response = send(api.as_user(commissioner), training, jpeg_bytes())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == f"/api/v1/photos/{body['id']}"
    photo = Photo.objects.get(pk=body["id"])
    assert (photo.owner_kind, photo.owner_id, photo.uploaded_by) == (PhotoOwner.TRAINING, training["id"], commissioner)


def test_sending_the_same_photo_again_returns_the_first(api, commissioner, training):
    data = jpeg_bytes()
    first = send(api.as_user(commissioner), training, data)
    again = send(api, training, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Photo.objects.count() == 1


def test_the_detail_lists_its_photos_and_the_list_counts_them(api, commissioner, training):
    api.as_user(commissioner)
    send(api, training, jpeg_bytes())
    send(api, training, png_bytes(), name="p.png", content_type="image/png")
    detail = api.get(f"/trainings/{training['id']}").json()
    assert len(detail["photos"]) == 2
    assert detail["photo_count"] == 2
    assert api.get("/trainings").json()["items"][0]["photo_count"] == 2


def test_staff_in_scope_cannot_add_photos(api, training):
    response = send(api.as_user(TownshipStaffFactory()), training, jpeg_bytes())
    assert response.status_code == 403
    assert error_code(response) == "not_your_training"
    assert not Photo.objects.exists()


def test_another_commissioner_cannot_add_photos(api, training):
    assert send(api.as_user(CommissionerFactory()), training, jpeg_bytes()).status_code == 403


@pytest.mark.parametrize("viewer", ["commissioner", "township", "county", "bureau"])
def test_photos_are_served_to_the_commissioner_and_staff_in_scope(api, commissioner, training, viewer):
    url = send(api.as_user(commissioner), training, jpeg_bytes()).json()["url"]
    user = {
        "commissioner": lambda: commissioner,
        "township": lambda: TownshipStaffFactory(area_id="451002001"),
        "county": lambda: CountyStaffFactory(area_id="451002"),
        "bureau": BureauFactory,
    }[viewer]()
    assert served(api.as_user(user), url) == 200


@pytest.mark.parametrize("outsider", ["other_township", "other_county", "other_commissioner"])
def test_photos_are_403_to_outsiders(api, commissioner, training, outsider):
    url = send(api.as_user(commissioner), training, jpeg_bytes()).json()["url"]
    user = {
        "other_township": lambda: TownshipStaffFactory(area_id="451002002"),
        "other_county": lambda: CountyStaffFactory(area_id="451003"),
        "other_commissioner": CommissionerFactory,
    }[outsider]()
    assert served(api.as_user(user), url) == 403
