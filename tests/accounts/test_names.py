"""A person's name is bounded where users are created: trimmed, at most 50 characters, no control
characters (issue 14, point 2). Through POST /users and the adduser command."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from tests.client import error_code
from tests.factories import BureauFactory

pytestmark = pytest.mark.django_db

# NUL is not here: api/parsers.py already refuses it in any JSON string (400); adduser checks it below.
BAD_NAMES = [
    pytest.param("王" * 51, id="51-characters"),
    pytest.param("王\n=1+1", id="newline"),
    pytest.param("王\x1b[31m", id="escape"),
    pytest.param("王\u202etxt.exe", id="right-to-left-override"),
    pytest.param("王\u2028特派", id="line-separator"),
    pytest.param("   ", id="only-spaces"),
]


def new_user(name: str) -> dict:
    return {"phone": "13712345678", "password": "a-good-passphrase", "name": name, "role": "commissioner",
            "area_code": "451002"}


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_name_out_of_bounds_is_422_naming_the_name(api, name):
    response = api.as_user(BureauFactory()).post("/users", new_user(name))
    assert response.status_code == 422
    assert error_code(response) == "invalid"
    assert set(response.json()["error"]["fields"]) == {"name"}
    assert not User.objects.filter(phone="13712345678").exists()


def test_a_name_of_50_characters_is_accepted(api):
    response = api.as_user(BureauFactory()).post("/users", new_user("王" * 50))
    assert response.status_code == 201
    assert User.objects.get(phone="13712345678").name == "王" * 50


def test_a_name_is_stored_trimmed(api):
    response = api.as_user(BureauFactory()).post("/users", new_user("  王特派 \t"))
    assert response.status_code == 201
    assert User.objects.get(phone="13712345678").name == "王特派"


def test_a_name_that_looks_like_a_formula_is_kept_as_typed(api):
    # Bounded, not censored: the workbook writes it as text (tests/stats/test_export_text.py).
    response = api.as_user(BureauFactory()).post("/users", new_user("=1+1"))
    assert response.status_code == 201


@pytest.mark.parametrize("name", [*BAD_NAMES, pytest.param("王特派\x00", id="nul")])
def test_adduser_refuses_a_name_out_of_bounds(name):
    with pytest.raises(CommandError, match="name"):
        call_command("adduser", phone="13712345678", password="a-good-passphrase", role="commissioner",
                     area="451002", name=name, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not User.objects.filter(phone="13712345678").exists()


def test_adduser_stores_the_name_trimmed():
    call_command("adduser", phone="13712345678", password="a-good-passphrase", role="commissioner",
                 area="451002", name=" 王特派 ", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert User.objects.get(phone="13712345678").name == "王特派"
