"""Photo work is bounded: a repeat is not decoded, the pixel budget fits phones, the re-encode is
plain, and decodes are bounded per process and per person."""

import io
import threading
import time

import pytest
from PIL import Image

from media.decoding import decode_slot
from media.models import Photo
from tests.client import error_code
from tests.factories import TownshipStaffFactory
from tests.fixtures_problems import problem_payload

from .images import jpeg_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return TownshipStaffFactory()


@pytest.fixture
def problem(api, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return api.as_user(staff).post("/problems", problem_payload()).json()


def send(api, problem, data, name="photo.jpg", content_type="image/jpeg"):
    return api.upload(f"/problems/{problem['id']}/photos", {"photo": upload(data, name, content_type)})


def solid_png(size) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (90, 160, 40)).save(buf, "PNG")
    return buf.getvalue()


def test_the_same_bytes_again_are_recognised_without_decoding(api, problem, monkeypatch):
    data = jpeg_bytes()
    first = send(api, problem, data)
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(1) or real_open(*a, **k))
    again = send(api, problem, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert opened == []


def test_a_repeat_is_answered_even_while_the_sender_has_a_photo_decoding(api, staff, problem):
    data = jpeg_bytes()
    first = send(api, problem, data)
    with decode_slot(staff.pk):
        again = send(api, problem, data)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


def test_an_image_over_48_megapixels_is_refused_from_its_header(api, problem):
    data = solid_png((7000, 7000))  # 49 MP, ≈ 200 kB on the wire
    response = send(api, problem, data, name="big.png", content_type="image/png")
    assert response.status_code == 413
    assert error_code(response) == "image_too_large"
    assert not Photo.objects.exists()


def test_a_48_megapixel_phone_photo_is_accepted(api, problem):
    response = send(api, problem, jpeg_bytes(size=(8000, 6000), taken=None))
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (8000, 6000)


def test_the_stored_copy_is_encoded_once_without_an_optimisation_pass(api, problem, monkeypatch):
    data = png_bytes()
    saves = []
    real_save = Image.Image.save
    monkeypatch.setattr(Image.Image, "save", lambda self, fp, format=None, **kw: saves.append((format, kw))
                        or real_save(self, fp, format, **kw))
    response = send(api, problem, data, name="p.png", content_type="image/png")
    assert response.status_code == 201
    stored = [(fmt, kw) for fmt, kw in saves if fmt == "PNG"]
    assert len(stored) == 1
    assert not stored[0][1].get("optimize")


def test_a_second_photo_while_the_first_decodes_is_429_with_retry_after(api, staff, problem):
    with decode_slot(staff.pk):
        response = send(api, problem, jpeg_bytes())
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert not Photo.objects.exists()


def test_another_persons_decode_does_not_hold_up_an_upload(api, problem):
    other = TownshipStaffFactory()
    with decode_slot(other.pk):
        response = send(api, problem, jpeg_bytes())
    assert response.status_code == 201


def test_with_every_decoder_of_the_process_busy_an_upload_waits_then_answers_503(api, problem, settings):
    settings.PHOTO_DECODES_PER_PROCESS = 1
    settings.PHOTO_DECODE_WAIT_S = 0.05
    with decode_slot():
        response = send(api, problem, jpeg_bytes())
    assert response.status_code == 503
    assert error_code(response) == "overloaded"
    assert int(response["Retry-After"]) >= 1


def test_a_decoder_freed_while_waiting_serves_the_upload(api, problem, settings):
    settings.PHOTO_DECODES_PER_PROCESS = 1
    settings.PHOTO_DECODE_WAIT_S = 5
    held, release = threading.Event(), threading.Event()

    def holder():
        with decode_slot():
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    threading.Timer(0.2, release.set).start()
    response = send(api, problem, jpeg_bytes())
    thread.join()
    assert response.status_code == 201


def test_a_person_waiting_for_a_decoder_counts_against_their_own_bound(staff, settings):
    from media.errors import PhotoUploadsInProgress

    settings.PHOTO_DECODES_PER_PROCESS = 1
    settings.PHOTO_DECODE_WAIT_S = 2
    held, release, waiting = threading.Event(), threading.Event(), threading.Event()

    def holder():
        with decode_slot():
            held.set()
            release.wait(5)

    def waiter():
        waiting.set()
        with decode_slot(staff.pk):
            pass

    threads = [threading.Thread(target=holder), threading.Thread(target=waiter)]
    threads[0].start()
    held.wait(5)
    threads[1].start()
    waiting.wait(5)
    time.sleep(0.1)  # the waiter is queued for the one slot
    with pytest.raises(PhotoUploadsInProgress), decode_slot(staff.pk):
        pass
    release.set()
    for thread in threads:
        thread.join()
