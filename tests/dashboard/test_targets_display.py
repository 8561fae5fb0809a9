"""The dashboard's targets carry what the page needs to show every current target, each ended plan's
final result and the baseline beside each (the page itself: tests/dashboard/test_browser.py)."""

from datetime import date

import pytest

from stats.services import target_create, targets_seed
from tests.factories import BureauFactory

pytestmark = pytest.mark.django_db


def test_the_dashboards_targets_carry_status_and_baseline(client):
    targets_seed()
    target_create(code="dispatches_2030", name="科技特派员选派（十五五）", value=2500, rule="dispatches_counted",
                  period_start=date(2026, 1, 1), period_end=date(2099, 12, 31),
                  baseline={"value": 2000, "period_label": "十四五"})
    client.force_login(BureauFactory())
    by_code = {t["code"]: t for t in client.get("/dashboard/data/targets.json").json()["targets"]}
    assert by_code["commissioner_dispatches"]["status"] == "ended"
    assert by_code["commissioner_dispatches"]["baseline"] == {"value": 1724, "period_label": "十三五"}
    assert by_code["dispatches_2030"]["status"] == "current"
    assert by_code["dispatches_2030"]["baseline"] == {"value": 2000, "period_label": "十四五"}
