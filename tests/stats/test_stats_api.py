"""The bureau's figures against hand-computed expectations."""

import io
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from commissioners.models import Checkin, Dispatch
from problems.models import Claim, ClaimStatus, Problem, ProblemStatus
from stats.selectors import projection
from stats.services import targets_seed
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from trainings.models import Training
from villages.models import Area

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
V1 = "451002001001"  # 右江区
V2 = "451003100001"  # 田阳区


@pytest.fixture
def world():
    """Two commissioners' work in two counties, at the edges of days and years."""
    targets_seed()
    staff = TownshipStaffFactory()
    a, b = CommissionerFactory(area_id="451002"), CommissionerFactory(area_id="451003")
    v2 = Area.objects.filter(county_code="451003", level="village").order_by("code").first()

    def dispatch(user, village, day):
        Dispatch.objects.create(commissioner=user, village_id=village, starts_on=day, dispatched_by=staff)

    def training(user, village, when, headcount):
        Training.objects.create(client_id=uuid.uuid4(), commissioner=user, village_id=village, category_id="tea",
                                topic="t", started_at=when, duration_hours=2, headcount=headcount)

    def checkin(user, village, when, verified=True):
        Checkin.objects.create(client_id=uuid.uuid4(), commissioner=user, village_id=village, lat=23, lng=106,
                               occurred_at=when, distance_m=0, verified=verified,
                               flags=[] if verified else ["outside_fence"])

    dispatch(a, V1, date(2021, 3, 1))
    dispatch(a, V1, date(2022, 3, 1))
    dispatch(b, v2.code, date(2022, 12, 31))
    dispatch(b, v2.code, date(2026, 1, 1))  # after the plan: not counted
    # 2021-12-31 23:30 in Shanghai is 15:30 UTC the same day: counts for 2021.
    training(a, V1, datetime(2021, 12, 31, 23, 30, tzinfo=SH), 40)
    training(a, V1, datetime(2022, 1, 1, 0, 30, tzinfo=SH), 60)
    training(b, v2.code, datetime(2023, 6, 1, 9, tzinfo=SH), 100)
    # a: two verified check-ins on one Shanghai day, one on the next (a two-day trip), one flagged
    checkin(a, V1, datetime(2023, 5, 1, 9, tzinfo=SH))
    checkin(a, V1, datetime(2023, 5, 1, 23, 50, tzinfo=SH))
    checkin(a, V1, datetime(2023, 5, 2, 0, 10, tzinfo=SH))
    checkin(a, V1, datetime(2023, 5, 3, 10, tzinfo=SH), verified=False)
    open_p = Problem.objects.create(client_id=uuid.uuid4(), posted_by=staff, village_id=V1, category_id="tea",
                                    title="p", description="d", lat=23, lng=106, cell=0,
                                    created_at=datetime(2023, 4, 1, tzinfo=SH))
    done = Problem.objects.create(client_id=uuid.uuid4(), posted_by=staff, village_id=V1, category_id="tea",
                                  title="q", description="d", lat=23, lng=106, cell=0, status=ProblemStatus.CLOSED,
                                  rating=4, resolved_at=datetime(2023, 5, 2, 12, tzinfo=SH))
    Claim.objects.create(problem=done, commissioner=a, status=ClaimStatus.ACCEPTED)
    Claim.objects.create(problem=open_p, commissioner=b)
    return {"a": a, "b": b, "v2": v2.code}


@pytest.fixture
def bureau(api):
    return api.as_user(BureauFactory())


def test_targets_count_dispatches_and_sum_headcounts_by_year_and_county(bureau, world):
    targets = {t["code"]: t for t in bureau.get("/stats/targets").json()["targets"]}
    dispatches, trainees = targets["commissioner_dispatches"], targets["trainees_served"]
    assert (dispatches["target"], dispatches["achieved"]) == (2000, 3)
    assert dispatches["percent"] == 0.15
    assert [y["achieved"] for y in dispatches["by_year"]] == [1, 2, 0, 0, 0]
    by_county = {c["code"]: c["achieved"] for c in dispatches["by_county"]}
    assert (by_county["451002"], by_county["451003"], by_county["451082"]) == (2, 1, 0)
    assert len(dispatches["by_county"]) == 12
    assert trainees["achieved"] == 200
    assert [y["achieved"] for y in trainees["by_year"]] == [40, 60, 100, 0, 0]
    assert (trainees["period_start"], trainees["period_end"]) == ("2021-01-01", "2025-12-31")


def test_a_year_narrows_the_achieved_figure(bureau, world):
    targets = {t["code"]: t for t in bureau.get("/stats/targets", year=2022).json()["targets"]}
    assert targets["commissioner_dispatches"]["achieved"] == 2
    assert targets["trainees_served"]["achieved"] == 60


def test_the_projection_extrapolates_the_pace():
    # 100 in the first 73 days of a 365-day period: 500 at that pace.
    p = projection(100, 400, date(2021, 1, 1), date(2021, 12, 31), date(2021, 3, 14))
    assert (p["elapsed_days"], p["projected"], p["on_track"]) == (73, 500, True)
    after = projection(100, 400, date(2021, 1, 1), date(2021, 12, 31), date(2030, 1, 1))
    assert (after["projected"], after["on_track"]) == (100, False)


def test_targets_are_data(bureau, world):
    from stats.models import Target

    Target.objects.create(code="problems_next_plan", name="下一规划", value=10, period_start=date(2026, 1, 1),
                          period_end=date(2030, 12, 31), area_id="451000", rule="dispatches_counted", sort_order=3)
    codes = [t["code"] for t in bureau.get("/stats/targets").json()["targets"]]
    assert codes == ["commissioner_dispatches", "trainees_served", "problems_next_plan"]
    assert bureau.get("/stats/targets").json()["targets"][2]["achieved"] == 1


def features(api, **params):
    body = api.get("/stats/coverage", **params).json()
    assert body["type"] == "FeatureCollection"
    return {f["id"]: f for f in body["features"]}


def test_coverage_by_village_in_a_window(bureau, world):
    by_code = features(bureau, level="village", **{"from": "2023-05-01", "to": "2023-05-02"})
    assert len(by_code) == 1897
    v1 = by_code[V1]["properties"]
    assert v1 == {**v1, "checkins": 3, "dispatches": 2, "trainings": 0, "problems_open": 1,
                  "problems_resolved": 1, "served": True, "derived": True, "geometry_source": "generated"}
    assert by_code[V1]["geometry"]["type"] == "Point"
    assert by_code[world["v2"]]["properties"]["served"] is True  # dispatched from 2022-12-31, open-ended
    assert sum(f["properties"]["served"] for f in by_code.values()) == 2


def test_coverage_by_county_has_real_boundaries_and_sums(bureau, world):
    by_code = features(bureau, level="county")
    assert len(by_code) == 12
    yj = by_code["451002"]
    assert yj["geometry"]["type"] == "MultiPolygon" and yj["properties"]["derived"] is False
    assert (yj["properties"]["trainees"], yj["properties"]["trainings"], yj["properties"]["checkins"]) == (100, 2, 3)
    assert by_code["451003"]["properties"]["trainees"] == 100


def test_townships_have_derived_shapes_that_say_so(bureau, world):
    by_code = features(bureau, level="township")
    assert len(by_code) == 135
    shape = by_code["451002001"]
    assert shape["properties"]["geometry_source"] == "derived_voronoi"
    assert shape["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_the_shanghai_day_boundary(bureau, world):
    # The 23:30 training of 2021-12-31 (Shanghai) is in 2021, not in 2022.
    assert features(bureau, level="village", **{"from": "2021-12-31", "to": "2021-12-31"})[V1]["properties"][
        "trainees"] == 40
    assert features(bureau, level="village", **{"from": "2022-01-01", "to": "2022-01-01"})[V1]["properties"][
        "trainees"] == 60


@pytest.mark.parametrize("level", ["county", "township", "village"])
def test_coverage_costs_a_fixed_number_of_queries(bureau, world, level, django_assert_max_num_queries):
    features(bureau, level=level)  # warm the per-process geometry cache
    # user, 6 aggregates, the areas, the geometry fingerprint
    with django_assert_max_num_queries(9):
        features(bureau, level=level)


def test_county_staff_see_their_county_only(api, world):
    by_code = features(api.as_user(CountyStaffFactory()), level="village")
    assert all(code.startswith("451002") for code in by_code)


@pytest.mark.parametrize("factory", [TownshipStaffFactory, CommissionerFactory])
def test_stats_are_for_county_staff_and_the_bureau(api, factory):
    response = api.as_user(factory()).get("/stats/coverage")
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


def test_the_assessment_counts_service_days_not_check_ins(bureau, world):
    items = {r["commissioner_id"]: r for r in bureau.get("/stats/commissioners").json()["items"]}
    a = items[world["a"].pk]
    assert a["service_days"] == 2  # 05-01 twice and 05-02: two Shanghai days
    assert (a["flagged_checkins"], a["dispatches"], a["trainings"], a["trainees"]) == (1, 2, 2, 100)
    assert (a["problems_claimed"], a["problems_resolved"], a["average_rating"]) == (1, 1, 4.0)
    b = items[world["b"].pk]
    assert (b["problems_claimed"], b["problems_resolved"], b["average_rating"]) == (1, 0, None)


def test_the_assessment_sorts_and_filters_by_county(bureau, world):
    ordered = bureau.get("/stats/commissioners", sort="-trainees").json()["items"]
    assert [r["trainees"] for r in ordered][:2] == [100, 100]
    only_b = bureau.get("/stats/commissioners", county="451003").json()["items"]
    assert [r["commissioner_id"] for r in only_b] == [world["b"].pk]
    assert bureau.get("/stats/commissioners", sort="height").status_code == 422


def test_a_county_cannot_assess_another_county(api, world):
    assert api.as_user(CountyStaffFactory()).get("/stats/commissioners", county="451003").status_code == 403


def test_a_backwards_window_is_422(bureau):
    response = bureau.get("/stats/coverage", **{"from": "2024-01-02", "to": "2024-01-01"})
    assert response.status_code == 422
    assert "to" in response.json()["error"]["fields"]


def test_the_workbook_has_a_sheet_per_level_and_the_targets_with_chinese_headers(bureau, world):
    response = bureau.get("/stats/export.xlsx", **{"from": "2021-01-01", "to": "2025-12-31"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["说明", "目标", "县区", "乡镇", "村", "培训方式", "选派类别", "特派员考核", "共享团队"]
    # Rows 1-2 are the sheet's title and period; row 3 the headers (tests/stats/test_export.py).
    targets = list(wb["目标"].values)[2:]
    assert targets[0][:4] == ("目标", "单位", "目标值", "已完成")
    assert targets[1][:4] == ("科技特派员选派", "人次", 2000, 3)
    villages = {row[0]: row for row in list(wb["村"].values)[2:]}
    assert villages["区划代码"][:2] == ("区划代码", "村（社区）")
    assert villages[V1][10] == "是"
    assert len(villages) == 1 + 1897 + 1  # headers, villages, 合计
    people = list(wb["特派员考核"].values)[2:]
    assert people[0][4] == "服务天数"
    assert "2021-01-01 至 2025-12-31" in [c for row in wb["说明"].values for c in row if c]
