"""Login limits keep guessing bounded (per phone and address, per address, per phone across addresses)
without letting a stranger lock the owner out; they hold with Redis down and on every login door."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from core import ratelimits
from tests.client import error_code
from tests.factories import PASSWORD, BureauFactory, CommissionerFactory

pytestmark = pytest.mark.django_db

OWNER_ADDRESS, STRANGER_ADDRESS = "10.0.0.1", "10.66.0.66"


def login(api, phone, password=PASSWORD, address=OWNER_ADDRESS, **extra):
    return api.post("/auth/token", {"phone": phone, "password": password}, REMOTE_ADDR=address, **extra)


@pytest.fixture(autouse=True)
def empty_local_counters():
    ratelimits._local.clear()
    yield
    ratelimits._local.clear()


def test_a_stranger_guessing_cannot_lock_the_owner_out(api):
    owner = CommissionerFactory()
    codes = [login(api, owner.phone, "wrong-guess", STRANGER_ADDRESS).status_code for _ in range(11)]
    assert codes[-1] == 429
    assert login(api, owner.phone).status_code == 200


def test_a_stranger_is_stopped_after_the_phone_and_address_limit(api):
    owner = CommissionerFactory()
    codes = [login(api, owner.phone, "wrong-guess", STRANGER_ADDRESS).status_code for _ in range(10)]
    assert codes == [401] * 10
    blocked = login(api, owner.phone, PASSWORD, STRANGER_ADDRESS)  # even the right password waits now
    assert blocked.status_code == 429 and error_code(blocked) == "rate_limited"
    assert 1 <= int(blocked["Retry-After"]) <= 900


def test_a_blocked_strangers_hammering_does_not_count_toward_the_phones_ceiling(api):
    owner = CommissionerFactory()
    for _ in range(60):  # far past the phone's ceiling of 30, all from one address
        login(api, owner.phone, "wrong-guess", STRANGER_ADDRESS)
    assert login(api, owner.phone, PASSWORD, "10.0.0.99").status_code == 200  # a new address of the owner's


def test_guesses_spread_over_many_addresses_hit_the_phones_ceiling(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_phone": (5, 900)}
    owner = CommissionerFactory()
    codes = [login(api, owner.phone, "wrong-guess", f"10.1.0.{i}").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]


def test_an_address_the_owner_logged_in_from_is_exempt_from_the_phones_ceiling(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_phone": (5, 900)}
    owner = CommissionerFactory()
    assert login(api, owner.phone).status_code == 200
    for i in range(10):
        login(api, owner.phone, "wrong-guess", f"10.1.0.{i}")
    assert login(api, owner.phone, "wrong-guess", "10.1.0.99").status_code == 429
    assert login(api, owner.phone).status_code == 200


def test_successful_logins_are_not_counted_as_guesses(api):
    owner = CommissionerFactory()
    assert {login(api, owner.phone).status_code for _ in range(15)} == {200}


def test_one_address_trying_many_phones_is_limited(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_ip": (5, 900)}
    codes = [login(api, f"1390000{i:04d}", "x", STRANGER_ADDRESS).status_code for i in range(6)]
    assert codes == [401] * 5 + [429]


def test_x_forwarded_for_does_not_change_the_address_without_trusted_proxies(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_ip": (3, 900)}
    codes = [login(api, f"1390000{i:04d}", "x", "127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.9.0.{i}").status_code
             for i in range(4)]
    assert codes == [401] * 3 + [429]


def test_behind_one_trusted_proxy_the_address_it_saw_is_limited(api, settings):
    settings.NUM_PROXIES = 1
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_ip": (3, 900)}
    codes = [login(api, f"1390000{i:04d}", "x", "10.0.0.250",
                   HTTP_X_FORWARDED_FOR=f"10.9.0.{i}, 172.16.0.5").status_code for i in range(4)]
    assert codes == [401] * 3 + [429]


def test_the_limits_hold_in_process_when_redis_is_down(api):
    owner = CommissionerFactory()
    down = RedisConnectionError("Redis is down")
    with mock.patch.object(ratelimits.cache, "add", side_effect=down), \
            mock.patch.object(ratelimits.cache, "incr", side_effect=down), \
            mock.patch.object(ratelimits.cache, "decr", side_effect=down), \
            mock.patch.object(ratelimits.cache, "get", side_effect=down), \
            mock.patch.object(ratelimits.cache, "set", side_effect=down):
        codes = [login(api, owner.phone, "wrong-guess", STRANGER_ADDRESS).status_code for _ in range(11)]
        assert codes == [401] * 10 + [429]
        assert login(api, owner.phone).status_code == 200


def test_the_admin_login_is_limited_like_the_api_login(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_phone_address": (3, 900)}
    staff = BureauFactory(is_staff=True, is_superuser=True)
    browser = Client(REMOTE_ADDR=STRANGER_ADDRESS)
    for _ in range(3):
        browser.post("/admin/login/", {"username": staff.phone, "password": "wrong-guess"})
    response = browser.post("/admin/login/", {"username": staff.phone, "password": PASSWORD})
    assert "尝试次数过多" in response.content.decode()
    assert "_auth_user_id" not in browser.session


def test_dashboard_guesses_count_against_the_same_allowance_as_the_api(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_phone_address": (3, 900)}
    staff = BureauFactory()
    browser = Client(REMOTE_ADDR=STRANGER_ADDRESS)
    for _ in range(3):
        browser.post("/dashboard/login/", {"username": staff.phone, "password": "wrong-guess"})
    assert login(api, staff.phone, PASSWORD, STRANGER_ADDRESS).status_code == 429


def test_with_redis_down_a_login_asks_it_once_then_counts_in_process(api):
    owner = CommissionerFactory()
    down = mock.Mock(side_effect=RedisConnectionError("Redis is hung"))
    with mock.patch.object(ratelimits.cache, "add", down), mock.patch.object(ratelimits.cache, "get", down), \
            mock.patch.object(ratelimits.cache, "set", down), mock.patch.object(ratelimits.cache, "decr", down):
        assert login(api, owner.phone).status_code == 200
        assert login(api, owner.phone).status_code == 200
    assert down.call_count == 1  # each call would have waited for the socket timeout


def test_guessing_the_current_password_with_a_stolen_token_is_limited(api):
    owner = CommissionerFactory()
    api.as_user(owner)
    codes = [api.post("/me/password", {"old_password": "wrong-guess", "new_password": "another-pass-123"},
                      REMOTE_ADDR=STRANGER_ADDRESS).status_code for _ in range(11)]
    assert codes == [422] * 10 + [429]


def test_a_weak_new_password_is_not_counted_as_a_guess(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_phone_address": (2, 900)}
    owner = CommissionerFactory()
    api.as_user(owner)
    for _ in range(3):
        assert api.post("/me/password", {"old_password": PASSWORD, "new_password": "123"}).status_code == 422
    assert api.post("/me/password", {"old_password": PASSWORD, "new_password": "another-pass-123"}).status_code == 200
