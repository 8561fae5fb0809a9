"""The previous plan's results (十三五) as data, each beside the same figure of today."""

import uuid
from datetime import date, datetime

import pytest

from commissioners.models import Checkin, Dispatch
from core.periods import SHANGHAI
from stats.models import PlanBaseline
from stats.selectors import Window, baselines_beside
from stats.services import plan_baselines_seed, targets_seed
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory
from tests.trainings.factories import TrainingFactory
from villages.models import Area

pytestmark = pytest.mark.django_db
V1, V1B = "451002001001", "451002001002"  # 右江区
V2 = "451003100001"  # 田阳区


@pytest.fixture
def work():
    """In 2023: two dispatches (one “三区”) and a training in 右江区, a check-in in 田阳区."""
    targets_seed()
    bureau, person, other = BureauFactory(), CommissionerFactory(area_id="451002"), CommissionerFactory()
    Dispatch.objects.create(commissioner=person, village_id=V1, starts_on=date(2023, 3, 1), dispatched_by=bureau,
                            programme="three_regions", sending_unit="广西大学")
    Dispatch.objects.create(commissioner=other, village_id=V1, starts_on=date(2023, 4, 1), dispatched_by=bureau)
    TrainingFactory(commissioner=person, village_id=V1B, headcount=45,
                    started_at=datetime(2023, 5, 1, 9, tzinfo=SHANGHAI))
    Checkin.objects.create(client_id=uuid.uuid4(), commissioner=person, village_id=V2, lat=23.7, lng=106.9,
                           occurred_at=datetime(2023, 6, 1, 9, tzinfo=SHANGHAI), distance_m=0, verified=True)
    return bureau


def test_the_plans_shisanwu_figures_are_seeded_once():
    targets_seed()
    assert {b.code: (b.value, b.unit, b.at_least) for b in PlanBaseline.objects.all()} == {
        "shisanwu_dispatches": (1724, "人次", False), "shisanwu_poverty_villages": (899, "个", False),
        "shisanwu_three_regions": (83, "人", False), "shisanwu_trainings": (1000, "场", True),
        "shisanwu_trainees": (400_000, "人次", False), "shisanwu_problems_resolved": (4500, "项", True)}
    assert plan_baselines_seed() == 0


def test_seeding_keeps_what_the_bureau_edited():
    targets_seed()
    PlanBaseline.objects.filter(code="shisanwu_trainings").update(value=1032, at_least=False)
    targets_seed()
    assert PlanBaseline.objects.get(code="shisanwu_trainings").value == 1032


def test_each_baseline_stands_beside_todays_figure(api, work):
    response = api.as_user(work).get("/stats/baselines", **{"from": "2021-01-01", "to": "2025-12-31"})
    assert response.status_code == 200, response.content
    items = {b["measure"]: b for b in response.json()["items"]}
    assert items["dispatches"] == {"code": "shisanwu_dispatches", "name": "选派科技特派员", "value": 1724,
                                   "unit": "人次", "at_least": False, "period_label": "十三五",
                                   "measure": "dispatches", "current": 2}
    assert {m: b["current"] for m, b in items.items()} == {
        "dispatches": 2, "villages_served": 3, "three_regions_people": 1, "trainings": 1, "trainees": 45,
        "problems_resolved": 0}


def test_todays_figures_keep_to_the_window(api, work):
    items = api.as_user(work).get("/stats/baselines", **{"from": "2024-01-01", "to": "2024-12-31"}).json()["items"]
    assert all(b["current"] == 0 for b in items)


def test_county_staff_count_their_county_beside_the_citys_past(api, work):
    items = {b["measure"]: b for b in api.as_user(CountyStaffFactory(area_id="451003")).get("/stats/baselines")
             .json()["items"]}
    assert (items["dispatches"]["value"], items["dispatches"]["current"]) == (1724, 0)
    assert items["villages_served"]["current"] == 1


def test_commissioners_may_not_read_baselines(api):
    response = api.as_user(CommissionerFactory()).get("/stats/baselines")
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


def test_the_baselines_cost_a_fixed_number_of_queries(work, django_assert_num_queries):
    city = Area.objects.get(code="451000")
    with django_assert_num_queries(4):
        baselines_beside(window=Window(date(2021, 1, 1), date(2025, 12, 31)), within=city)


def test_no_baselines_costs_one_query(django_assert_num_queries):
    PlanBaseline.objects.all().delete()
    city = Area.objects.get(code="451000")
    with django_assert_num_queries(1):
        assert baselines_beside(window=Window(), within=city) == []


def test_the_bureau_corrects_a_baseline_in_the_back_office():
    from accounts.models import AuditEvent
    from tests.accounts.test_back_office import browser, operator

    targets_seed()
    client = browser(operator())
    assert client.get("/admin/stats/planbaseline/").status_code == 200
    response = client.post("/admin/stats/planbaseline/shisanwu_trainings/change/", {
        "code": "shisanwu_trainings", "name": "举办培训", "value": 1032, "unit": "场", "period_label": "十三五",
        "measure": "trainings", "sort_order": 3})
    assert response.status_code == 302, response.content
    assert PlanBaseline.objects.get(code="shisanwu_trainings").value == 1032
    assert AuditEvent.objects.filter(subject="admin.stats.planbaseline").exists()
