import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from demo.people import DEMO_USERS
from villages.models import Area

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Area.objects.order_by("code").values_list("code", "name", "lat", "lng")),
        list(User.objects.order_by("phone").values_list("phone", "password", "role", "area_id")),
    )


def test_seed_demo_creates_one_user_of_every_role():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    roles = set(User.objects.filter(phone__in=[d.phone for d in DEMO_USERS]).values_list("role", flat=True))
    assert roles == {"bureau", "county_staff", "township_staff", "commissioner"}


def test_seed_demo_twice_changes_nothing(capsys):
    call_command("seed_demo")
    before = snapshot()
    call_command("seed_demo")
    assert snapshot() == before
    assert "already present" in capsys.readouterr().out


def test_adduser_creates_a_commissioner_with_expertise():
    call_command("adduser", phone="13612345678", password="a-good-passphrase", role="commissioner",
                 area="451002", expertise="tea,forestry", name="新特派员", stdout=open("/dev/null", "w"))  # noqa: SIM115
    user = User.objects.get(phone="13612345678")
    assert user.name == "新特派员"
    assert sorted(user.commissioner.expertise.values_list("code", flat=True)) == ["forestry", "tea"]


def test_adduser_refuses_a_wrong_level_clearly():
    with pytest.raises(CommandError, match="township"):
        call_command("adduser", phone="13612345678", password="a-good-passphrase", role="township_staff",
                     area="451002")
