"""The dashboard page and its JSON feeds, through the real URL stack with Django's test client."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commissioners.models import Dispatch
from stats.services import targets_seed
from tests.client import error_code
from tests.factories import (
    PASSWORD,
    BureauFactory,
    CommissionerFactory,
    CountyStaffFactory,
    TownshipStaffFactory,
)
from trainings.models import Training
from villages.models import Area

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
V1 = "451002001001"  # 右江区 百城街道 百胜社区居委会
COVERAGE = "/dashboard/data/coverage.json"
TARGETS = "/dashboard/data/targets.json"


def _training(village: str, when: datetime, headcount: int = 30) -> Training:
    return Training.objects.create(client_id=uuid.uuid4(), commissioner=CommissionerFactory(), village_id=village,
                                   category_id="tea", topic="茶园管理", started_at=when, duration_hours=2,
                                   headcount=headcount)


def _config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="dashboard-config" type="application/json">') + len(
        '<script id="dashboard-config" type="application/json">')
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def bureau(client):
    client.force_login(BureauFactory())
    return client


@pytest.fixture
def county(client):
    client.force_login(CountyStaffFactory())
    return client


# -- login, logout, who may enter ----------------------------------------------------------------


def test_the_login_page_is_in_chinese(client):
    response = client.get("/dashboard/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "百色市科技特派员工作看板" in html
    assert "手机号" in html and "密码" in html


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/login/?next=/dashboard/"


def test_the_site_root_leads_to_the_dashboard(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_logging_in_with_phone_and_password_opens_the_dashboard(client):
    user = CountyStaffFactory()

    response = client.post("/dashboard/login/", {"username": user.phone, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "百色市科技特派员工作看板" in page.content.decode()
    assert _config(page)["area"] == {"code": "451002", "name": "右江区", "level": "county"}


def test_a_wrong_password_is_refused_in_chinese(client):
    user = BureauFactory()

    response = client.post("/dashboard/login/", {"username": user.phone, "password": "wrong-password"})

    assert response.status_code == 200
    assert "手机号或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_guessing_a_password_is_rate_limited_like_the_api_login(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_phone": (2, 900)}
    user = BureauFactory()
    for _ in range(2):
        client.post("/dashboard/login/", {"username": user.phone, "password": "wrong-password"})

    response = client.post("/dashboard/login/", {"username": user.phone, "password": PASSWORD})

    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("factory", [CommissionerFactory, TownshipStaffFactory], ids=["commissioner", "township"])
def test_roles_without_the_dashboard_get_a_friendly_403(client, factory):
    client.force_login(factory())

    page = client.get("/dashboard/")
    data = client.get(COVERAGE)

    assert page.status_code == 403
    assert "无权访问工作看板" in page.content.decode()
    assert data.status_code == 403
    assert error_code(data) == "forbidden"


def test_anonymous_data_requests_are_401_not_a_redirect(client):
    for url in (COVERAGE, TARGETS):
        response = client.get(url)

        assert response.status_code == 401
        assert error_code(response) == "not_authenticated"


def test_logging_out_is_a_post_and_ends_the_session(bureau):
    assert bureau.get("/dashboard/logout/").status_code == 405

    response = bureau.post("/dashboard/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/login/"
    assert bureau.get("/dashboard/").status_code == 302


# -- the page ---------------------------------------------------------------------------------------


def test_the_page_loads_nothing_from_outside_the_service(bureau):
    html = bureau.get("/dashboard/").content.decode()

    assert "/static/dashboard/vendor/leaflet/leaflet.js" in html
    assert "/static/dashboard/vendor/leaflet/leaflet.css" in html
    assert "https://" not in html and "http://" not in html
    assert _config(bureau.get("/dashboard/"))["tiles"]["url"] == ""


def test_leaflet_is_vendored_with_its_licence():
    leaflet = finders.find("dashboard/vendor/leaflet/leaflet.js")

    assert leaflet is not None
    with open(leaflet, encoding="utf-8") as f:
        assert "1.9.4" in f.read(400)
    assert finders.find("dashboard/vendor/leaflet/LICENSE") is not None
    assert finders.find("dashboard/vendor/leaflet/images/layers.png") is not None


def test_a_configured_tile_url_reaches_the_map(bureau, settings):
    settings.DASHBOARD_TILE_URL = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"

    config = _config(bureau.get("/dashboard/"))

    assert config["tiles"]["url"] == "https://tiles.example.gov.cn/{z}/{x}/{y}.png"


def test_the_date_filter_defaults_to_the_plan_period(bureau):
    targets_seed()

    config = _config(bureau.get("/dashboard/"))

    assert config["plan"] == {"from": "2021-01-01", "to": "2025-12-31"}


def test_the_bureau_opens_on_the_citys_counties(bureau):
    assert _config(bureau.get("/dashboard/"))["level"] == "county"


def test_county_staff_open_on_the_townships_of_their_county(county):
    # Their county alone at county level is one shape in one colour.
    assert _config(county.get("/dashboard/"))["level"] == "township"


# -- the feeds --------------------------------------------------------------------------------------


def test_the_bureau_sees_every_county_with_its_boundary(bureau):
    body = bureau.get(COVERAGE, {"level": "county"}).json()

    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 12
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in body["features"])
    assert {f["properties"]["geometry_source"] for f in body["features"]} == {"boundary"}
    assert body["area"]["code"] == "451000"


def test_county_staff_see_only_their_county(county):
    counties = county.get(COVERAGE, {"level": "county"}).json()["features"]
    villages = county.get(COVERAGE, {"level": "village"}).json()["features"]

    assert [f["id"] for f in counties] == ["451002"]
    assert len(villages) == Area.objects.filter(level="village", county_code="451002").count()
    assert all(f["id"].startswith("451002") for f in villages)


def test_village_features_name_their_township_and_say_their_position_is_derived(county):
    villages = county.get(COVERAGE, {"level": "village"}).json()["features"]

    first = next(f["properties"] for f in villages if f["id"] == V1)
    assert first["township_code"] == "451002001"
    assert first["township_name"] == Area.objects.get(code="451002001").name
    assert first["derived"] is True


def test_service_counts_only_inside_the_date_window(county):
    _training(V1, datetime(2023, 6, 1, 9, tzinfo=SH), headcount=45)

    inside = county.get(COVERAGE, {"level": "village", "from": "2023-01-01", "to": "2023-12-31"}).json()
    outside = county.get(COVERAGE, {"level": "village", "from": "2024-01-01", "to": "2024-12-31"}).json()

    served = {f["id"]: f["properties"] for f in inside["features"]}
    assert (served[V1]["served"], served[V1]["trainees"]) == (True, 45)
    assert inside["window"] == {"from": "2023-01-01", "to": "2023-12-31"}
    assert not next(f for f in outside["features"] if f["id"] == V1)["properties"]["served"]


@pytest.mark.parametrize("query", [
    {"level": "city"},
    {"level": "村"},
    {"from": "2021-13-01"},
    {"from": "20210101"},
    {"to": "9999-12-31"},
    {"from": "2024-01-01", "to": "2023-01-01"},
], ids=["level-city", "level-chinese", "bad-month", "compact-date", "calendar-edge", "to-before-from"])
def test_bad_filters_are_422_with_the_field_named(bureau, query):
    response = bureau.get(COVERAGE, query)

    assert response.status_code == 422
    assert error_code(response) == "invalid"
    assert set(response.json()["error"]["fields"]) <= {"level", "from", "to"}
    assert response.json()["error"]["fields"]


def test_the_data_feeds_refuse_writes(bureau):
    response = bureau.post(COVERAGE)

    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"
    assert response["Allow"] == "GET"


def test_targets_come_with_progress_and_projection(county):
    targets_seed()
    staff = TownshipStaffFactory()
    Dispatch.objects.create(commissioner=CommissionerFactory(), village_id=V1, starts_on=date(2022, 3, 1),
                            dispatched_by=staff)

    body = county.get(TARGETS).json()

    by_code = {t["code"]: t for t in body["targets"]}
    assert set(by_code) == {"commissioner_dispatches", "trainees_served"}
    dispatches = by_code["commissioner_dispatches"]
    assert (dispatches["target"], dispatches["achieved"], dispatches["percent"]) == (2000, 1, 0.05)
    assert set(dispatches["projection"]) >= {"projected", "projected_percent", "on_track", "as_of"}
    assert body["area_code"] == "451002"


def _queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("level", ["county", "township", "village"])
def test_coverage_costs_a_fixed_number_of_queries_whatever_the_activity(bureau, level):
    _queries(bureau, COVERAGE, {"level": level})  # the shapes are built once per process
    before = _queries(bureau, COVERAGE, {"level": level})
    for village in Area.objects.filter(level="village").order_by("code").values_list("code", flat=True)[:30]:
        _training(village, datetime(2023, 6, 1, 9, tzinfo=SH))

    after = _queries(bureau, COVERAGE, {"level": level})

    # session, user, user's area, the rollup's sums, the dispatches and open problems (live), the areas;
    # counties and townships add the shapes' fingerprint, villages the names of their townships (and draw
    # their own points)
    assert before == after == 8


def test_targets_cost_a_fixed_number_of_queries(bureau):
    targets_seed()
    before = _queries(bureau, TARGETS)
    _training(V1, datetime(2023, 6, 1, 9, tzinfo=SH))

    after = _queries(bureau, TARGETS)

    # session, user, the user's area (the reader's scope), the targets, three per target (by year, county
    # names, by county); the plan's span, the baselines and their three figures of today
    assert before == after == 15
