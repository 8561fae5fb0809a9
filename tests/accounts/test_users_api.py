import pytest
from django.db import IntegrityError

from accounts.models import User
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory

pytestmark = pytest.mark.django_db


def new_user(**overrides):
    data = {"phone": "13712345678", "password": "a-good-passphrase", "name": "王特派", "role": "commissioner",
            "area_code": "451002"}
    data.update(overrides)
    return data


def test_county_staff_create_a_commissioner_in_their_county(api):
    response = api.as_user(CountyStaffFactory()).post("/users", new_user(expertise=["tea", "sugarcane"]))
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "commissioner"
    assert sorted(body["expertise"]) == ["sugarcane", "tea"]
    user = User.objects.get(phone="13712345678")
    assert user.check_password("a-good-passphrase")
    assert sorted(user.commissioner.expertise.values_list("code", flat=True)) == ["sugarcane", "tea"]


def test_county_staff_cannot_create_outside_their_county(api):
    response = api.as_user(CountyStaffFactory()).post("/users", new_user(area_code="451003"))
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"
    assert not User.objects.filter(phone="13712345678").exists()


def test_county_staff_cannot_create_bureau_users(api):
    response = api.as_user(CountyStaffFactory()).post("/users", new_user(role="bureau", area_code="451000"))
    assert response.status_code == 403


@pytest.mark.parametrize("factory", [TownshipStaffFactory, CommissionerFactory])
def test_other_roles_cannot_create_users(api, factory):
    response = api.as_user(factory()).post("/users", new_user())
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


def test_the_bureau_creates_anywhere(api):
    response = api.as_user(BureauFactory()).post("/users", new_user(role="township_staff", area_code="451003100"))
    assert response.status_code == 201


def test_a_role_must_sit_at_its_level(api):
    response = api.as_user(BureauFactory()).post("/users", new_user(role="township_staff", area_code="451003"))
    assert response.status_code == 422
    assert "area_code" in response.json()["error"]["fields"]


def test_a_taken_phone_is_a_conflict(api):
    existing = CommissionerFactory()
    response = api.as_user(BureauFactory()).post("/users", new_user(phone=existing.phone))
    assert response.status_code == 409
    assert error_code(response) == "phone_taken"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "mayor"}, "role"),
        ({"phone": "12345"}, "phone"),
        ({"password": "12345678"}, "password"),
        ({"area_code": "999999"}, "area_code"),
        ({"expertise": ["astrology"]}, "expertise"),
        ({"role": "county_staff", "expertise": ["tea"]}, "expertise"),
    ],
)
def test_invalid_users_are_422_naming_the_field(api, overrides, field):
    response = api.as_user(BureauFactory()).post("/users", new_user(**overrides))
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert not User.objects.filter(phone=new_user(**overrides)["phone"]).exists()


def test_the_database_refuses_a_malformed_phone():
    user = CommissionerFactory.build(phone="not-a-phone")
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([user])


def test_the_database_refuses_an_unknown_role():
    user = CommissionerFactory.build(role="mayor")
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([user])
