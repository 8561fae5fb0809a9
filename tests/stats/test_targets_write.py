"""The bureau adds and edits targets (a later plan's, or a county's own) with their counting rule,
period, area and baseline; the plan's targets carry their 十三五 baselines."""

from datetime import date

import pytest

from commissioners.models import Dispatch
from problems.models import Problem
from stats.models import Target, TargetRule
from stats.rules import RULES
from stats.services import target_create, targets_seed
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory

pytestmark = pytest.mark.django_db

NEXT = {
    "code": "commissioner_dispatches_2030", "name": "科技特派员选派（十五五）", "unit": "人次", "value": 2500,
    "period_start": "2026-01-01", "period_end": "2030-12-31", "rule": "dispatches_counted",
    "baseline": {"value": 2000, "period_label": "十四五"},
}


@pytest.fixture
def bureau(api):
    return api.as_user(BureauFactory())


def dispatch(village: str, day: date) -> None:
    Dispatch.objects.create(commissioner=CommissionerFactory(), village_id=village, starts_on=day,
                            dispatched_by=TownshipStaffFactory())


def listed(api) -> dict[str, dict]:
    return {t["code"]: t for t in api.get("/stats/targets").json()["targets"]}


def test_every_rule_the_model_allows_has_a_counting_function():
    assert set(RULES) == set(TargetRule.values)


def test_the_bureau_adds_a_target_with_its_baseline(bureau):
    response = bureau.post("/targets", NEXT)
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["target"], body["area_code"], body["rule"]) == (
        "commissioner_dispatches_2030", 2500, "451000", "dispatches_counted")
    assert body["baseline"] == {"value": 2000, "period_label": "十四五"}
    target = Target.objects.get(code="commissioner_dispatches_2030")
    assert (target.baseline_value, target.baseline_label) == (2000, "十四五")


def test_an_added_target_counts_by_its_rule(bureau):
    bureau.post("/targets", NEXT)
    dispatch("451002001001", date(2026, 3, 1))
    dispatch("451002001001", date(2025, 12, 31))  # the previous plan's
    assert listed(bureau)["commissioner_dispatches_2030"]["achieved"] == 1


def test_an_unknown_rule_is_422(bureau):
    response = bureau.post("/targets", {**NEXT, "rule": "villages_hugged"})
    assert response.status_code == 422
    assert error_code(response) == "invalid"
    assert "rule" in response.json()["error"]["fields"]
    assert not Target.objects.filter(code=NEXT["code"]).exists()


def test_a_period_ending_before_it_starts_is_422(bureau):
    response = bureau.post("/targets", {**NEXT, "period_end": "2025-12-31"})
    assert response.status_code == 422
    assert "period_end" in response.json()["error"]["fields"]


def test_a_village_is_not_a_targets_area(bureau):
    response = bureau.post("/targets", {**NEXT, "area_code": "451002001001"})
    assert response.status_code == 422
    assert "area_code" in response.json()["error"]["fields"]


def test_a_taken_code_is_a_conflict(bureau):
    assert bureau.post("/targets", NEXT).status_code == 201
    response = bureau.post("/targets", NEXT)
    assert response.status_code == 409
    assert error_code(response) == "target_exists"


@pytest.mark.parametrize("factory", [CountyStaffFactory, TownshipStaffFactory, CommissionerFactory])
def test_only_the_bureau_adds_targets(api, factory):
    assert api.as_user(factory()).post("/targets", NEXT).status_code == 403
    assert not Target.objects.filter(code=NEXT["code"]).exists()


def test_a_countys_own_target_counts_only_its_county(bureau):
    response = bureau.post("/targets", {**NEXT, "code": "youjiang_dispatches", "area_code": "451002"})
    assert response.status_code == 201
    dispatch("451002001001", date(2026, 3, 1))
    dispatch("451003100001", date(2026, 3, 1))  # 田阳区
    assert listed(bureau)["youjiang_dispatches"]["achieved"] == 1


def test_a_countys_own_target_is_seen_by_that_county_not_another(api, bureau):
    bureau.post("/targets", {**NEXT, "code": "youjiang_dispatches", "area_code": "451002"})
    assert "youjiang_dispatches" in listed(api.as_user(CountyStaffFactory(area_id="451002")))
    assert "youjiang_dispatches" not in listed(api.as_user(CountyStaffFactory(area_id="451003")))


def test_patch_changes_only_the_fields_sent(bureau):
    bureau.post("/targets", NEXT)
    response = bureau.patch("/targets/commissioner_dispatches_2030", {"value": 3000})
    assert response.status_code == 200
    target = Target.objects.get(code="commissioner_dispatches_2030")
    assert (target.value, target.name, target.baseline_value) == (3000, NEXT["name"], 2000)


def test_patch_with_a_null_baseline_removes_it(bureau):
    bureau.post("/targets", NEXT)
    body = bureau.patch("/targets/commissioner_dispatches_2030", {"baseline": None}).json()
    assert body["baseline"] is None
    assert Target.objects.get(code="commissioner_dispatches_2030").baseline_label == ""


def test_patch_validates_the_result_whole(bureau):
    bureau.post("/targets", NEXT)
    response = bureau.patch("/targets/commissioner_dispatches_2030", {"period_start": "2031-01-01"})
    assert response.status_code == 422
    assert Target.objects.get(code="commissioner_dispatches_2030").period_start == date(2026, 1, 1)


def test_patch_of_an_unknown_code_is_404(bureau):
    assert bureau.patch("/targets/no-such-target", {"value": 1}).status_code == 404


def test_patch_by_county_staff_is_403(api, bureau):
    bureau.post("/targets", NEXT)
    assert api.as_user(CountyStaffFactory()).patch("/targets/commissioner_dispatches_2030",
                                                   {"value": 1}).status_code == 403


def test_the_plans_targets_carry_their_shisanwu_baselines(bureau):
    targets_seed()
    targets = listed(bureau)
    assert targets["commissioner_dispatches"]["baseline"] == {"value": 1724, "period_label": "十三五"}
    assert targets["trainees_served"]["baseline"] == {"value": 400_000, "period_label": "十三五"}


def test_seeding_gives_an_older_database_its_baselines_and_keeps_the_bureaus(bureau):
    targets_seed()
    Target.objects.filter(code="commissioner_dispatches").update(baseline_value=None, baseline_label="")
    Target.objects.filter(code="trainees_served").update(baseline_value=1, baseline_label="自定")
    targets_seed()
    assert Target.objects.get(code="commissioner_dispatches").baseline_value == 1724
    assert Target.objects.get(code="trainees_served").baseline_value == 1


def test_an_ended_plans_target_says_so_and_a_current_one_too(bureau):
    targets_seed()
    bureau.post("/targets", {**NEXT, "period_end": "2099-12-31"})
    targets = listed(bureau)
    assert targets["commissioner_dispatches"]["status"] == "ended"
    assert targets["commissioner_dispatches_2030"]["status"] == "current"


def test_problems_resolved_counted_counts_problems_resolved_in_the_period(bureau):
    import uuid
    from datetime import datetime
    from zoneinfo import ZoneInfo

    bureau.post("/targets", {**NEXT, "code": "solved_2030", "rule": "problems_resolved_counted", "unit": "个"})
    staff = TownshipStaffFactory()
    sh = ZoneInfo("Asia/Shanghai")
    for status, resolved_at in [("resolved", datetime(2026, 1, 1, 0, 30, tzinfo=sh)),
                                ("closed", datetime(2027, 5, 1, tzinfo=sh)),
                                ("resolved", datetime(2025, 12, 31, 23, 30, tzinfo=sh)),  # before the period
                                ("open", None)]:
        Problem.objects.create(client_id=uuid.uuid4(), posted_by=staff, village_id="451002001001",
                               category_id="tea", title="t", description="d", lat=23.9, lng=106.6, cell=0,
                               status=status, resolved_at=resolved_at, rating=5 if status == "closed" else None)
    target = listed(bureau)["solved_2030"]
    assert target["achieved"] == 2
    assert {y["year"]: y["achieved"] for y in target["by_year"]}[2026] == 1


def test_the_service_function_serves_the_admin_too():
    target = target_create(code="trainings_2030", name="培训场次", unit="场", value=1200,
                           period_start=date(2026, 1, 1), period_end=date(2030, 12, 31),
                           rule="trainings_counted", baseline={"value": 1000, "period_label": "十三五"})
    assert (target.area_id, target.baseline_value) == ("451000", 1000)


def test_the_workbook_shows_each_targets_baseline(bureau):
    import io

    from openpyxl import load_workbook

    targets_seed()
    wb = load_workbook(io.BytesIO(bureau.get("/stats/export.xlsx").content))
    header, *rows = list(wb["目标"].values)[2:]
    columns = {name: i for i, name in enumerate(header)}
    by_code = {row[columns["代码"]]: row for row in rows}
    dispatches = by_code["commissioner_dispatches"]
    assert (dispatches[columns["基线"]], dispatches[columns["基线时期"]]) == (1724, "十三五")
