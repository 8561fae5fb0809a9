"""The plan's targets by county follow the reader's scope: county staff see their own county's figure,
on the API and on the dashboard; the bureau sees every county's."""

from __future__ import annotations

from datetime import date

import pytest

from commissioners.models import Dispatch
from stats.services import targets_seed
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched():
    """One dispatch into 右江区 (451002) and one into 田阳区 (451003)."""
    targets_seed()
    staff = TownshipStaffFactory()
    for village in ("451002001001", "451003100001"):
        Dispatch.objects.create(commissioner=CommissionerFactory(), village_id=village, starts_on=date(2022, 3, 1),
                                dispatched_by=staff)


def _by_county(targets: list[dict]) -> dict[str, int]:
    (dispatches,) = [t for t in targets if t["code"] == "commissioner_dispatches"]
    return {c["code"]: c["achieved"] for c in dispatches["by_county"]}


def test_county_staff_see_their_own_countys_figure_only(api, dispatched):
    body = api.as_user(CountyStaffFactory(area_id="451002")).get("/stats/targets").json()
    assert _by_county(body["targets"]) == {"451002": 1}


def test_the_bureau_sees_every_countys_figure(api, dispatched):
    by_county = _by_county(api.as_user(BureauFactory()).get("/stats/targets").json()["targets"])
    assert len(by_county) == 12
    assert (by_county["451002"], by_county["451003"]) == (1, 1)


def test_the_dashboards_targets_follow_the_readers_scope(client, dispatched):
    client.force_login(CountyStaffFactory(area_id="451003"))
    body = client.get("/dashboard/data/targets.json").json()
    assert _by_county(body["targets"]) == {"451003": 1}
