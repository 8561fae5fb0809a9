"""A thumbnail URL never answers the original; photos and thumbnails carry caching headers."""

import io

import pytest
from PIL import Image

from media.decoding import decode_slot
from media.models import Photo
from tests.client import error_code
from tests.factories import TownshipStaffFactory
from tests.fixtures_problems import problem_payload

from .images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return TownshipStaffFactory()


@pytest.fixture
def photo(api, staff, settings, tmp_path):
    """A 3000×2000 photo whose thumbnail task has not run (the worker is behind)."""
    settings.MEDIA_ROOT = tmp_path
    problem = api.as_user(staff).post("/problems", problem_payload()).json()
    body = api.upload(f"/problems/{problem['id']}/photos", {"photo": upload(jpeg_bytes(size=(3000, 2000)))}).json()
    assert not Photo.objects.get(pk=body["id"]).thumbnail
    return body


def fetch(api, url, **headers):
    response = api.client.get(url, **api._headers(), **headers)
    data = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return response, data


def test_a_thumbnail_not_yet_made_is_made_on_demand_not_the_original(api, photo):
    response, data = fetch(api, photo["thumbnail_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(data)).size) == 640


def test_a_thumbnail_made_on_demand_is_kept_and_made_once(api, photo, monkeypatch):
    import media.thumbnails

    made = []
    real = media.thumbnails.thumbnail_of
    monkeypatch.setattr(media.thumbnails, "thumbnail_of", lambda *a, **k: made.append(1) or real(*a, **k))
    first, first_data = fetch(api, photo["thumbnail_url"])
    second, second_data = fetch(api, photo["thumbnail_url"])
    assert (first.status_code, second.status_code) == (200, 200)
    assert made == [1]
    assert first_data == second_data
    assert Photo.objects.get(pk=photo["id"]).thumbnail


def test_with_every_decoder_busy_a_missing_thumbnail_is_503_not_the_original(api, photo, settings):
    settings.PHOTO_DECODES_PER_PROCESS = 1
    settings.PHOTO_DECODE_WAIT_S = 0.05
    with decode_slot():
        response, _ = fetch(api, photo["thumbnail_url"])
    assert response.status_code == 503
    assert error_code(response) == "overloaded"
    assert int(response["Retry-After"]) >= 1


@pytest.mark.parametrize("which", ["url", "thumbnail_url"])
def test_photos_and_thumbnails_carry_an_etag_and_are_cached_as_immutable(api, photo, which):
    response, _ = fetch(api, photo[which])
    assert response.status_code == 200
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "immutable", "max-age=31536000"} <= cache_control


def test_the_photo_and_its_thumbnail_have_different_etags(api, photo):
    full, _ = fetch(api, photo["url"])
    thumb, _ = fetch(api, photo["thumbnail_url"])
    assert full["ETag"] != thumb["ETag"]


@pytest.mark.parametrize("which", ["url", "thumbnail_url"])
def test_a_matching_if_none_match_is_304_without_the_bytes(api, photo, which):
    etag = fetch(api, photo[which])[0]["ETag"]
    response, data = fetch(api, photo[which], HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert data == b""
    assert response["ETag"] == etag


def test_a_304_is_only_for_those_who_may_see_the_photo(api, photo):
    etag = fetch(api, photo["url"])[0]["ETag"]
    outsider = TownshipStaffFactory(area_id="451003100")
    response, _ = fetch(api.as_user(outsider), photo["url"], HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 403
