"""Abuse limits, ending sessions, personal information (PIPL), deploy safety."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, RefreshToken
from accounts.privacy import masked_phone, phone_for
from accounts.retention import personal_data_retention_apply
from commissioners.models import Checkin
from media.models import Photo
from tests.client import error_code
from tests.factories import PASSWORD, BureauFactory, CommissionerFactory, CountyStaffFactory

pytestmark = pytest.mark.django_db


def login(api, phone, password=PASSWORD, **extra):
    return api.post("/auth/token", {"phone": phone, "password": password}, **extra)


def test_guessing_one_phones_password_is_rate_limited_with_retry_after(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_phone": (3, 900)}
    user = CommissionerFactory()
    statuses = [login(api, user.phone, "wrong-guess").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    blocked = login(api, user.phone)  # even the right password waits now
    assert blocked.status_code == 429
    assert error_code(blocked) == "rate_limited"
    assert 1 <= int(blocked["Retry-After"]) <= 900


def test_one_address_trying_many_phones_is_rate_limited(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_ip": (5, 900)}
    codes = [login(api, f"1390000{i:04d}", "x", REMOTE_ADDR="10.0.0.7").status_code for i in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    assert login(api, "13900009999", "x", REMOTE_ADDR="10.0.0.8").status_code == 401  # another address


def test_photo_uploads_are_rate_limited_per_user(api, settings, tmp_path):
    from tests.factories import TownshipStaffFactory
    from tests.fixtures_problems import problem_payload
    from tests.media.images import jpeg_bytes, upload

    settings.MEDIA_ROOT = tmp_path
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload_user": (2, 3600)}
    api.as_user(TownshipStaffFactory())
    problem = api.post("/problems", problem_payload()).json()
    codes = [api.upload(f"/problems/{problem['id']}/photos", {"photo": upload(jpeg_bytes(size=(50 + i, 50)))})
             .status_code for i in range(3)]
    assert codes == [201, 201, 429]


def test_logout_revokes_this_devices_refresh_token(api):
    user = CommissionerFactory()
    tokens = login(api, user.phone).json()
    assert api.post("/auth/logout", {"refresh": tokens["refresh"]}).json() == {"revoked": 1}
    assert api.post("/auth/refresh", {"refresh": tokens["refresh"]}).status_code == 401


def test_logout_everywhere_ends_every_session_and_its_access_tokens(api):
    user = CommissionerFactory()
    phone_a, phone_b = login(api, user.phone).json(), login(api, user.phone).json()
    api.post("/auth/logout", {"refresh": phone_a["refresh"], "everywhere": True})
    assert api.post("/auth/refresh", {"refresh": phone_b["refresh"]}).status_code == 401
    user.refresh_from_db()
    user.tokens_valid_after += timedelta(seconds=1)  # the same second would still pass
    user.save()
    api.token = phone_b["access"]
    assert error_code(api.get("/me")) == "invalid_token"


def test_a_password_change_ends_other_sessions_and_keeps_this_one(api):
    user = CommissionerFactory()
    other = login(api, user.phone).json()
    api.as_user(user)
    response = api.post("/me/password", {"old_password": PASSWORD, "new_password": "a-brand-new-passphrase"})
    assert response.status_code == 200
    assert api.post("/auth/refresh", {"refresh": other["refresh"]}).status_code == 401
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exclude(
        jti__in=RefreshToken.objects.filter(user=user).order_by("-issued_at").values("jti")[:1]).exists()
    assert login(api, user.phone, "a-brand-new-passphrase").status_code == 200


def test_a_wrong_old_password_changes_nothing(api):
    user = CommissionerFactory()
    response = api.as_user(user).post("/me/password", {"old_password": "nope", "new_password": "another-pass-123"})
    assert response.status_code == 422
    assert "old_password" in response.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_phone_numbers_are_masked_for_all_but_the_person_the_bureau_and_their_county(api):
    commissioner = CommissionerFactory(area_id="451002")
    outsider = CountyStaffFactory(area_id="451003")
    county = api.as_user(CountyStaffFactory(area_id="451002")).get("/commissioners").json()["items"]
    bureau = api.as_user(BureauFactory()).get("/commissioners").json()["items"]
    own = api.as_user(commissioner).get("/me").json()
    assert [c["phone"] for c in county if c["id"] == commissioner.pk] == [commissioner.phone]
    assert phone_for(outsider, commissioner.pk, commissioner.phone) == masked_phone(commissioner.phone)
    assert masked_phone("13688888888") == "136****8888"
    assert [c["phone"] for c in bureau if c["id"] == commissioner.pk] == [commissioner.phone]
    assert own["phone"] == commissioner.phone


def test_reads_of_personal_details_and_exports_are_audited(api):
    staff = CountyStaffFactory()
    api.as_user(staff).get("/commissioners")
    api.get("/checkins")
    api.get("/stats/export.xlsx")
    trail = list(AuditEvent.objects.filter(actor=staff).order_by("id").values_list("action", "subject"))
    assert trail == [("personal_read", "commissioners.list"), ("personal_read", "checkins.list"),
                     ("export", "stats.export")]


def test_a_commissioner_reading_their_own_checkins_is_not_audited(api):
    api.as_user(CommissionerFactory()).get("/checkins")
    assert not AuditEvent.objects.exists()


def test_retention_erases_old_exif_and_coarsens_old_tracks(settings, tmp_path):
    settings.RETENTION_PHOTO_EXIF_DAYS, settings.RETENTION_CHECKIN_TRACK_DAYS = 30, 60
    user = CommissionerFactory()
    old, new = timezone.now() - timedelta(days=90), timezone.now() - timedelta(days=1)
    photos = [Photo.objects.create(owner_kind="checkin", owner_id=1, uploaded_by=user, file="x.jpg",
                                   content_type="image/jpeg", width=1, height=1, bytes=1, sha256="0",
                                   exif_lat=23.123456, exif_lng=106.654321, exif_taken_at=when, created_at=when)
              for when in (old, new)]
    checkins = [Checkin.objects.create(client_id=uuid.uuid4(), commissioner=user, village_id="451002001001",
                                       lat=23.123456, lng=106.654321, accuracy_m=8, occurred_at=when,
                                       distance_m=0, verified=True) for when in (old, new)]
    assert personal_data_retention_apply() == {"checkins_coarsened": 1, "photos_erased": 1}
    for row in (*photos, *checkins):
        row.refresh_from_db()
    assert (photos[0].exif_lat, photos[0].exif_taken_at) == (None, None)
    assert photos[1].exif_lat == 23.123456
    assert (checkins[0].lat, checkins[0].lng, checkins[0].accuracy_m) == (23.12, 106.65, None)
    assert checkins[0].verified is True  # the verdict the figures use stays
    assert checkins[1].lat == 23.123456
    assert personal_data_retention_apply()["checkins_coarsened"] == 0


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DEBUG="0", SECRET_KEY="x" * 64 + "-production-like-secret-key", ALLOWED_HOSTS="kjtpy.example.cn",
               DATABASE_URL="postgres://u:p@127.0.0.1:5432/never_connected", DJANGO_SETTINGS_MODULE="config.settings",
               STATIC_ROOT=str(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DEBUG="0", DATABASE_URL="postgres://u:p@127.0.0.1:5432/x", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run([sys.executable, "manage.py", "check"], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_security_headers_are_sent(api):
    response = api.get("/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_cors_origins_are_configurable(api, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.kjtpy.example.cn"]
    allowed = api.client.get("/api/v1/health", HTTP_ORIGIN="https://app.kjtpy.example.cn")
    other = api.client.get("/api/v1/health", HTTP_ORIGIN="https://evil.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.kjtpy.example.cn"
    assert "Access-Control-Allow-Origin" not in other


def test_production_redirects_plain_http_but_not_the_health_check(api, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
    assert api.client.get("/api/v1/areas").status_code == 301
    assert api.client.get("/api/v1/health").status_code == 200
    assert api.client.get("/api/v1/health", HTTP_X_FORWARDED_PROTO="https").status_code == 200
