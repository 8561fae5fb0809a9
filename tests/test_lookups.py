"""``__any``: membership in a list as one array parameter (core/lookups.py)."""

from __future__ import annotations

import pytest

from accounts.models import User
from notifications.models import Notification
from notifications.services import notify
from tests.factories import CommissionerFactory

pytestmark = pytest.mark.django_db


def test_any_finds_what_in_finds():
    people = [CommissionerFactory() for _ in range(4)]
    wanted = [people[0].pk, people[2].pk, 10**9]
    assert set(User.objects.filter(pk__any=wanted)) == set(User.objects.filter(pk__in=wanted)) == {people[0], people[2]}
    assert not User.objects.filter(pk__any=[]).exists()


def test_any_follows_a_foreign_key():
    a, b = CommissionerFactory(), CommissionerFactory()
    notify(recipients=[a, b], type="claim.accepted", payload={"problem_id": 1, "claim_id": 1})
    assert set(Notification.objects.filter(recipient__any=[a.pk]).values_list("recipient_id", flat=True)) == {a.pk}


@pytest.mark.postgres
def test_on_postgresql_the_statement_is_the_same_for_any_length():
    compiled = [
        User.objects.filter(pk__any=list(range(1, n + 1))).values("pk").query.get_compiler(using="default").as_sql()
        for n in (1, 3, 1000)
    ]
    assert len({sql for sql, _ in compiled}) == 1
    assert "= ANY(" in compiled[0][0]
    assert [len(params) for _, params in compiled] == [1, 1, 1]
