"""Photos, with real files: what is accepted, what is refused, what is kept and what is served."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from media.models import Photo
from tests.client import error_code
from tests.factories import CommissionerFactory, TownshipStaffFactory
from tests.fixtures_problems import problem_payload

from .images import bomb_png_bytes, gif_bytes, heic_bytes, jpeg_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(api, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return api.as_user(staff).post("/problems", problem_payload()).json()


@pytest.fixture
def staff():
    return TownshipStaffFactory()


def send(api, problem, data, name="photo.jpg", content_type="image/jpeg"):
    return api.upload(f"/problems/{problem['id']}/photos", {"photo": upload(data, name, content_type)})


def served(api, url):
    response = api.client.get(url, **api._headers())
    return response, b"".join(response.streaming_content) if response.status_code == 200 else b""


def test_a_jpeg_with_gps_is_kept_as_evidence_and_served_without_exif(api, problem, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(api, problem, jpeg_bytes(gps=(23.9036, 106.6144)))
    assert response.status_code == 201, response.content
    body = response.json()
    photo = Photo.objects.get(pk=body["id"])
    assert (photo.exif_lat, photo.exif_lng) == pytest.approx((23.9036, 106.6144), abs=1e-4)
    assert photo.exif_taken_at == datetime(2025, 3, 1, 10, 20, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    response, data = served(api, body["url"])
    assert response.status_code == 200
    copy = Image.open(io.BytesIO(data))
    assert copy.format == "JPEG"
    assert dict(copy.getexif()) == {}
    assert b"Exif" not in data[:200]


def test_the_thumbnail_is_at_most_640_pixels(api, problem, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = send(api, problem, jpeg_bytes(size=(3000, 2000))).json()
    _, data = served(api, body["thumbnail_url"])
    assert max(Image.open(io.BytesIO(data)).size) == 640


def test_exif_orientation_is_applied(api, problem):
    body = send(api, problem, jpeg_bytes(size=(800, 600), orientation=6)).json()
    assert (body["width"], body["height"]) == (600, 800)


def test_a_png_named_jpg_is_taken_for_what_it_is(api, problem):
    response = send(api, problem, png_bytes(), name="photo.jpg", content_type="image/jpeg")
    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"


def test_heic_is_accepted_and_stored_as_jpeg(api, problem):
    response = send(api, problem, heic_bytes(), name="IMG_0001.HEIC", content_type="image/heic")
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image/jpeg"


def test_a_decompression_bomb_is_refused_before_decoding(api, problem):
    data = bomb_png_bytes()
    assert len(data) < 2_000_000
    response = send(api, problem, data, name="bomb.png", content_type="image/png")
    assert response.status_code == 413
    assert error_code(response) == "image_too_large"
    assert not Photo.objects.exists()


def test_a_truncated_jpeg_is_refused(api, problem):
    data = jpeg_bytes(size=(1200, 900))
    response = send(api, problem, data[: len(data) // 2])
    assert response.status_code == 422
    assert error_code(response) == "corrupt_image"


def test_a_text_file_is_not_an_image(api, problem):
    response = send(api, problem, b"hello, this is not a photo", name="x.jpg")
    assert response.status_code == 422
    assert error_code(response) == "not_an_image"


def test_a_gif_is_an_unsupported_format(api, problem):
    response = send(api, problem, gif_bytes(), name="x.gif", content_type="image/gif")
    assert response.status_code == 415
    assert error_code(response) == "unsupported_image"


def test_an_oversize_upload_is_413(api, problem, settings):
    settings.PHOTO_MAX_BYTES = 10_000
    response = send(api, problem, jpeg_bytes(size=(2000, 2000)) + b"\0" * 20_000)
    assert response.status_code == 413
    assert error_code(response) == "photo_too_large"


def test_a_missing_photo_field_is_422(api, problem):
    response = api.upload(f"/problems/{problem['id']}/photos", {"picture": upload(jpeg_bytes())})
    assert response.status_code == 422


def test_sending_the_same_photo_again_returns_the_first(api, problem):
    data = jpeg_bytes()
    first = send(api, problem, data)
    again = send(api, problem, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Photo.objects.count() == 1


def test_photos_are_served_only_within_scope(api, staff, problem):
    body = send(api, problem, jpeg_bytes()).json()
    outsider = TownshipStaffFactory(area_id="451003100")
    response, _ = served(api.as_user(outsider), body["url"])
    assert response.status_code == 403
    # any commissioner may see an open problem, and so its photos
    response, _ = served(api.as_user(CommissionerFactory()), body["url"])
    assert response.status_code == 200
    response, _ = served(api.anonymous(), body["url"])
    assert response.status_code == 401


def test_other_townships_cannot_add_photos(api, problem):
    outsider = TownshipStaffFactory(area_id="451003100")
    response = send(api.as_user(outsider), problem, jpeg_bytes())
    assert response.status_code == 403


def test_the_problem_detail_lists_its_photos(api, problem):
    send(api, problem, jpeg_bytes())
    send(api, problem, png_bytes())
    photos = api.get(f"/problems/{problem['id']}").json()["photos"]
    assert len(photos) == 2
    assert all(p["url"].startswith("/api/v1/photos/") for p in photos)
