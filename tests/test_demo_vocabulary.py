"""The demo speaks the plan's vocabulary: industries, the pests the plan names, modes and programmes."""

import pytest

from commissioners.models import Dispatch
from demo.activity import demo_activity_seed
from problems.models import Problem
from trainings.models import Training

pytestmark = pytest.mark.django_db
PESTS = {"芒果瘿蚊": "mango", "芒果炭疽病": "mango", "柑桔黄龙病": "citrus", "香蕉枯萎病": "banana",
         "油茶炭疽病": "oil-tea", "八角炭疽病": "star-anise"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        # Made once for the module, rolled back at its end.
        from tests.factories import BureauFactory

        with transaction.atomic():
            BureauFactory()  # the demo's dispatcher
            demo_activity_seed(commissioners=30, scale=0.05)
            yield
            transaction.set_rollback(True)


def test_problems_and_trainings_are_filed_under_the_industries(demo):
    for code in ("mango", "citrus"):
        assert Problem.objects.filter(category_id=code).exists()
        assert Training.objects.filter(category_id=code).exists()


@pytest.mark.parametrize(("pest", "category"), PESTS.items())
def test_the_plans_pests_are_example_topics_under_their_industry(demo, pest, category):
    topics = list(Training.objects.filter(category_id=category).values_list("topic", flat=True))
    topics += list(Problem.objects.filter(category_id=category).values_list("title", flat=True))
    assert any(pest in t for t in topics)


def test_trainings_use_every_mode_and_most_record_households(demo):
    assert set(Training.objects.values_list("mode", flat=True)) == {"lecture", "field", "countryside",
                                                                    "popular_science"}
    recorded = Training.objects.filter(households__isnull=False).count()
    assert recorded > Training.objects.count() / 2


def test_dispatches_use_every_programme_with_a_sending_unit(demo):
    assert set(Dispatch.objects.values_list("programme", flat=True)) == {"commissioner", "three_regions",
                                                                         "legal_entity"}
    assert not Dispatch.objects.filter(sending_unit="").exists()


def test_closed_demo_problems_carry_their_closing_time(demo):
    """The library of solved problems lists them by it (problems/library.py)."""
    assert Problem.objects.filter(status="closed").exists()
    assert not Problem.objects.filter(status="closed", closed_at__isnull=True).exists()
