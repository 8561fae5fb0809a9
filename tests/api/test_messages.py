"""Every error message a person can see is Chinese by default and English with `Accept-Language: en`.

The codes are enumerated, not listed by hand: every DomainError subclass (imported from each app), the
codes services pass explicitly, the HTTP fallbacks of api/errors.py and the middlewares' own. Each is
triggered through the API where that is cheap, or rendered by the real handler otherwise.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import io
import json
import re
from pathlib import Path

import polib
import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from api.api import api as ninja_api
from api.asgi_limits import BodySizeLimit
from api.errors import _HTTP_CODES, _VALIDATION_MESSAGES, overloaded_response, validation_message
from api.middleware import _shaped
from core.errors import DomainError, RateLimited
from media.errors import PhotoRejected
from tests.factories import BureauFactory, CommissionerFactory, TownshipStaffFactory

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# Where the domain errors live: each app's errors.py, and the few defined beside their service.
for module in ("accounts.errors", "problems.errors", "media.errors", "trainings.errors",
               "stats.errors", "commissioners.checkins"):
    importlib.import_module(module)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


DOMAIN_ERRORS = sorted({DomainError, *_subclasses(DomainError)}, key=lambda c: (c.__module__, c.__name__))


def _instance(cls: type) -> DomainError:
    if issubclass(cls, RateLimited):
        return cls(retry_after=30)
    if issubclass(cls, PhotoRejected):  # always raised with the image check's message (tested through the API)
        from django.utils.translation import gettext_lazy

        return cls(gettext_lazy("The upload is not an image."), code="not_an_image", status=422)
    return cls()


def _rendered(cls: type, language: str) -> dict:
    request = RequestFactory().get("/api/v1/anything")
    with translation.override(language):
        response = ninja_api.on_exception(request, _instance(cls))
    return json.loads(response.content)["error"]


def _is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda c: f"{c.__name__}:{c.code}")
def test_every_domain_error_is_chinese_by_default(cls):
    error = _rendered(cls, "zh-hans")

    assert _is_chinese(error["message"]), error


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda c: f"{c.__name__}:{c.code}")
def test_every_domain_error_is_english_when_asked(cls):
    error = _rendered(cls, "en")

    assert error["message"] and not _is_chinese(error["message"]), error


@pytest.mark.parametrize("status", sorted(s for s in _HTTP_CODES if s < 500))
def test_every_http_fallback_is_chinese_by_default_and_english_when_asked(status):
    request = RequestFactory().get("/api/v1/anything")
    for language, chinese in (("zh-hans", True), ("en", False)):
        with translation.override(language):
            error = json.loads(_shaped(request, HttpResponse(status=status)).content)["error"]
        assert error["code"] == _HTTP_CODES[status]
        assert _is_chinese(error["message"]) is chinese, error


def test_overloaded_is_chinese_by_default_and_english_when_asked():
    for language, chinese in (("zh-hans", True), ("en", False)):
        with translation.override(language):
            error = json.loads(overloaded_response().content)["error"]
        assert error["code"] == "overloaded"
        assert _is_chinese(error["message"]) is chinese, error


@pytest.mark.parametrize("kind", sorted(_VALIDATION_MESSAGES))
def test_every_validation_detail_is_translated(kind):
    ctx = {"min_length": 1, "max_length": 2, "lt": 3, "le": 4, "gt": 5, "ge": 6, "multiple_of": 7,
           "expected": "'a' or 'b'", "expected_tags": "'a'"}
    for language, chinese in (("zh-hans", True), ("en", False)):
        with translation.override(language):
            message = validation_message({"type": kind, "ctx": ctx})
        assert _is_chinese(message) is chinese, (kind, message)
        assert "%(" not in message


# (how to trigger it through the API, the code it answers)
def _api_cases():
    return {
        "not_authenticated": lambda api, **h: api.anonymous().client.get("/api/v1/me", **h),
        "invalid_token": lambda api, **h: api.client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer x.y.z", **h),
        "invalid_credentials": lambda api, **h: api.client.post(
            "/api/v1/auth/token", {"phone": "13800009999", "password": "wrong-password"},
            content_type="application/json", **h),
        "malformed_body": lambda api, **h: api.client.post("/api/v1/auth/token", "{nope",
                                                           content_type="application/json", **h),
        "not_found": lambda api, **h: api.client.get("/api/v1/no-such-endpoint", **h),
        "method_not_allowed": lambda api, **h: api.as_user(CommissionerFactory()).client.delete(
            "/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {api.token}", **h),
        "area_not_found": lambda api, **h: api.as_user(BureauFactory()).client.get(
            "/api/v1/areas/999999999999", HTTP_AUTHORIZATION=f"Bearer {api.token}", **h),
        "problem_not_found": lambda api, **h: api.as_user(BureauFactory()).client.get(
            "/api/v1/problems/987654", HTTP_AUTHORIZATION=f"Bearer {api.token}", **h),
        "training_not_found": lambda api, **h: api.as_user(BureauFactory()).client.get(
            "/api/v1/trainings/987654", HTTP_AUTHORIZATION=f"Bearer {api.token}", **h),
        "checkin_not_found": lambda api, **h: api.as_user(BureauFactory()).client.get(
            "/api/v1/checkins/987654", HTTP_AUTHORIZATION=f"Bearer {api.token}", **h),
        "photo_not_found": lambda api, **h: api.as_user(BureauFactory()).client.get(
            "/api/v1/photos/987654", HTTP_AUTHORIZATION=f"Bearer {api.token}", **h),
        "village_not_found": lambda api, **h: api.as_user(TownshipStaffFactory()).client.post(
            "/api/v1/problems", {"client_id": "8f1d2c3a-0000-4000-8000-000000000002", "title": "t", "description": "d",
                                 "category": "fruit-trees", "village_code": "451002001999", "urgency": "normal"},
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api.token}", **h),
        "forbidden": lambda api, **h: api.as_user(CommissionerFactory()).client.get(
            "/api/v1/stats/targets", HTTP_AUTHORIZATION=f"Bearer {api.token}", **h),
        "invalid": lambda api, **h: api.as_user(BureauFactory()).client.get(
            "/api/v1/areas", {"limit": 500}, HTTP_AUTHORIZATION=f"Bearer {api.token}", **h),
    }


@pytest.mark.parametrize("code", sorted(_api_cases()))
def test_through_the_api_the_message_is_chinese_by_default(baise, api, code):
    response = _api_cases()[code](api)

    error = response.json()["error"]
    assert error["code"] == code
    assert _is_chinese(error["message"]), error
    assert all(_is_chinese(str(detail)) for detail in error["fields"].values()), error


@pytest.mark.parametrize("code", sorted(_api_cases()))
def test_through_the_api_the_message_is_english_when_asked(baise, api, code):
    response = _api_cases()[code](api, **EN)

    error = response.json()["error"]
    assert error["code"] == code
    assert not _is_chinese(json.dumps(error, ensure_ascii=False)), error


def test_a_pydantic_limit_is_said_in_chinese_with_its_value(baise, api):
    response = api.as_user(BureauFactory()).get("/areas", limit=500)

    assert response.json()["error"]["fields"] == {"limit": "须小于或等于 200。"}


def test_a_pydantic_limit_is_said_in_english_when_asked(baise, api):
    response = api.as_user(BureauFactory()).client.get("/api/v1/areas", {"limit": 500},
                                                       HTTP_AUTHORIZATION=f"Bearer {api.token}", **EN)

    assert response.json()["error"]["fields"] == {"limit": "Must be less than or equal to 200."}


def test_django_password_validators_answer_in_chinese(baise, api):
    body = {"phone": "13912345678", "password": "123", "name": "张三", "role": "commissioner",
            "area_code": "451002001"}

    response = api.as_user(BureauFactory()).post("/users", body)

    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert _is_chinese(error["message"]) and _is_chinese(error["fields"]["password"]), error


def test_a_photo_that_is_not_an_image_is_refused_in_chinese(baise, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from villages.models import Area

    village = Area.objects.filter(level="village", township_code="451002001").order_by("code").first()
    problem = api.as_user(TownshipStaffFactory()).post("/problems", {
        "client_id": "8f1d2c3a-0000-4000-8000-000000000001", "title": "芒果炭疽病", "description": "叶片发黑",
        "category": "fruit-trees", "village_code": village.code, "urgency": "normal"}).json()

    response = api.upload(f"/problems/{problem['id']}/photos",
                          {"photo": SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")})

    error = response.json()["error"]
    assert error["code"] == "not_an_image"
    assert _is_chinese(error["message"]), error


def _asgi_413(headers: list[tuple[bytes, bytes]]) -> dict:
    sent = []

    async def app(scope, receive, send):  # never reached: the declared length is over the cap
        raise AssertionError

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", b"999"), *headers]}
    asyncio.run(BodySizeLimit(app, max_bytes=10)(scope, None, send))
    return json.loads(sent[1]["body"])["error"]


def test_the_body_cap_before_django_answers_in_the_headers_language():
    assert _is_chinese(_asgi_413([])["message"])
    assert _is_chinese(_asgi_413([(b"accept-language", b"zh-CN,zh;q=0.9")])["message"])
    english = _asgi_413([(b"accept-language", b"en-US,en;q=0.9")])
    assert english == {"code": "too_large", "message": "The request body is too large.", "fields": {}}


def test_the_catalogue_has_no_untranslated_or_fuzzy_entry():
    catalogue = polib.pofile(str(CATALOGUE))

    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert len(catalogue.translated_entries()) >= 150


def test_the_compile_step_needs_only_python_and_makes_a_working_catalogue(tmp_path):
    import gettext
    import shutil

    spec = importlib.util.spec_from_file_location("compilemessages", ROOT / "scripts" / "compilemessages.py")
    compilemessages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compilemessages)
    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))

    written = compilemessages.compile_all(tmp_path / "locale")

    assert [p.relative_to(tmp_path).as_posix() for p in written] == ["locale/zh_Hans/LC_MESSAGES/django.mo"]
    catalogue = gettext.translation("django", localedir=tmp_path / "locale", languages=["zh_Hans"])
    assert catalogue.gettext("No such user.") == "用户不存在。"


@pytest.mark.parametrize(("path", "code"), [("/dashboard/data/targets.json", "not_authenticated"),
                                            ("/dashboard/data/coverage.json?level=nowhere", "invalid")])
def test_the_dashboards_data_errors_follow_the_language_too(baise, client, path, code):
    if code == "invalid":
        client.force_login(BureauFactory())

    chinese = client.get(path).json()["error"]
    english = client.get(path, **EN).json()["error"]

    assert chinese["code"] == english["code"] == code
    assert _is_chinese(json.dumps(chinese, ensure_ascii=False))
    assert not _is_chinese(json.dumps(english, ensure_ascii=False))


def test_an_unexpected_error_is_chinese_by_default_and_english_when_asked():
    request = RequestFactory().get("/api/v1/anything")
    for language, chinese in (("zh-hans", True), ("en", False)):
        with translation.override(language):
            error = json.loads(ninja_api.on_exception(request, RuntimeError("a bug")).content)["error"]
        assert error["code"] == "internal_error"
        assert _is_chinese(error["message"]) is chinese, error


def _gif() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    return out.getvalue()


def _jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size).save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.parametrize(("raw", "max_pixels", "code"), [
    (_gif(), 10_000, "unsupported_image"),
    (_jpeg(), 100, "image_too_large"),
    (b"plain text", 10_000, "not_an_image"),
    (_jpeg()[:200], 10_000, "corrupt_image"),
])
def test_every_image_refusal_is_chinese_by_default_and_english_when_asked(raw, max_pixels, code):
    from zoneinfo import ZoneInfo

    from media.images import ImageRejected, clean_image

    for language, chinese in (("zh-hans", True), ("en", False)):
        with translation.override(language):
            with pytest.raises(ImageRejected) as refused:
                clean_image(raw, max_pixels=max_pixels, default_tz=ZoneInfo("Asia/Shanghai"))
            message = str(refused.value)  # as media/services.py reads it, in the request's language
        assert refused.value.code == code
        assert _is_chinese(message) is chinese, message
