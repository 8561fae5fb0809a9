"""`start_pilot` prepares a database for a real county: areas, categories, the plan's targets and
their 十三五 baselines, and no demo row (what seed_demo put there is removed, after a prompt or --yes)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Consent, User
from commissioners.models import Checkin, CommissionerProfile, Dispatch
from demo.activity import MARK, demo_activity_seed
from demo.people import demo_users_seed
from problems.models import Claim, Problem, ProblemEvent
from stats.models import Target
from teams.models import Membership, Team
from trainings.models import Training
from villages.models import Area, Category

pytestmark = pytest.mark.django_db


def marked() -> dict[str, int]:
    """Every model seed_demo writes, counted by its own mark (not by demo/cleanup.py's query)."""
    people = User.objects.filter(name__startswith="演示-")
    return {
        "users": people.count(),
        "profiles": CommissionerProfile.objects.filter(user__name__startswith="演示-").count(),
        "consents": Consent.objects.filter(user__name__startswith="演示-").count(),
        "dispatches": Dispatch.objects.filter(note__startswith=MARK).count(),
        "trainings": Training.objects.filter(topic__startswith=MARK).count(),
        "checkins": Checkin.objects.filter(note__startswith=MARK).count(),
        "problems": Problem.objects.filter(title__startswith=MARK).count(),
        "problem_events": ProblemEvent.objects.filter(problem__title__startswith=MARK).count(),
        "claims": Claim.objects.filter(message=MARK).count(),
        "teams": Team.objects.filter(name__startswith=MARK).count(),
        "team_memberships": Membership.objects.filter(user__name__startswith="演示-").count(),
    }


def pilot(*args: str) -> str:
    out = StringIO()
    call_command("start_pilot", *args, stdout=out)
    return out.getvalue()


def small_demo() -> None:
    demo_users_seed()
    demo_activity_seed(commissioners=8, scale=0.02)


def test_start_pilot_after_seed_demo_leaves_no_demo_row():
    call_command("seed_demo", stdout=StringIO())
    before = marked()
    assert all(before.values()), before  # seed_demo wrote every kind of row this test counts
    pilot("--yes")
    assert marked() == dict.fromkeys(before, 0)


def test_start_pilot_keeps_areas_categories_and_targets_with_baselines():
    call_command("seed_demo", "--no-activity", stdout=StringIO())
    areas, categories = Area.objects.count(), Category.objects.count()
    pilot("--yes")
    assert (Area.objects.count(), Category.objects.count()) == (areas, categories)
    baselines = dict(Target.objects.values_list("code", "baseline_value"))
    assert baselines == {"commissioner_dispatches": 1724, "trainees_served": 400_000}


def test_start_pilot_keeps_real_people_and_their_work():
    from tests.factories import CommissionerFactory, TownshipStaffFactory

    small_demo()
    real = CommissionerFactory(name="黄真人")
    Dispatch.objects.create(commissioner=real, village_id="451002001001", starts_on=date(2026, 1, 5),
                            dispatched_by=TownshipStaffFactory(), note="2026年选派")
    pilot("--yes")
    assert User.objects.filter(pk=real.pk).exists()
    assert Dispatch.objects.filter(commissioner=real).count() == 1


def test_start_pilot_asks_and_keeps_everything_when_the_answer_is_no(monkeypatch):
    small_demo()
    before = marked()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError):
        pilot()
    assert marked() == before


def test_start_pilot_removes_demo_data_when_the_answer_is_yes(monkeypatch):
    small_demo()
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    pilot()
    assert not any(marked().values())


def test_start_pilot_on_a_fresh_database_asks_nothing(monkeypatch):
    def no_prompt(prompt):
        raise AssertionError("asked")

    monkeypatch.setattr("builtins.input", no_prompt)
    assert "demo data: none" in pilot()
    assert Target.objects.count() == 2


def test_start_pilot_twice_changes_nothing():
    small_demo()
    pilot("--yes")
    counts = (User.objects.count(), Target.objects.count(), Area.objects.count(), Category.objects.count())
    out = pilot("--yes")
    assert "targets: 0 created" in out and "demo data: none" in out
    assert (User.objects.count(), Target.objects.count(), Area.objects.count(), Category.objects.count()) == counts
