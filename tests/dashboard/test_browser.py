"""The dashboard in a real browser: Debian's chromium, headless, driven by selenium through Debian's
chromedriver (both from apt: `.ci/run` installs them; nothing is downloaded at test time).

One test walks the page as the bureau would: log in, wait for the county map, check the target bars,
switch to villages, and keep a screenshot of each under tests/artifacts/ (git-ignored). Another opens
the page as the bureau and as county staff on a phone (390 px) and a laptop (1366 px), checks the
layout (one-line area badge, a legend that leaves the map visible, a page of finite length) and keeps
a screenshot of each. A third picks a shared service team (issue 17) at both widths, as the bureau and
as county staff: its service area drawn over the map, its figures beside the area's. Each checks that the
browser logged no error and no CSP violation.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ON_POSTGRES
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
BACKEND = "postgres" if ON_POSTGRES else "sqlite"
SH = ZoneInfo("Asia/Shanghai")
# Rendering 1,897 village markers and three GeoJSON feeds takes a few seconds on a slow CI machine.
WAIT_S = 90

selenium = pytest.importorskip("selenium", reason="selenium is in the dev extra: pip install -e '.[dev]'")
pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason=f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
           "apt-get install chromium chromium-driver (CI's .ci/run does)",
)


PHONE, LAPTOP = (390, 844), (1366, 768)
PAGE_SIZE = 50  # unserved villages listed at a time


@pytest.fixture
def activity(transactional_db, baise):
    """The plan's targets and a little service in three counties, so the map has colour and the list
    of unserved villages is not the whole city."""
    from commissioners.models import Dispatch
    from stats.services import targets_seed
    from tests.factories import BureauFactory, CommissionerFactory, TownshipStaffFactory
    from trainings.models import Training
    from villages.models import Area

    targets_seed()
    staff = TownshipStaffFactory()
    commissioner = CommissionerFactory()
    for i, county in enumerate(("451002", "451024", "451081")):
        for village in Area.objects.filter(level="village", county_code=county).order_by("code")[: 10 * (i + 1)]:
            Training.objects.create(client_id=uuid.uuid4(), commissioner=commissioner, village=village,
                                    category_id="tea", topic="茶园管理", started_at=datetime(2023, 5, 1, 9, tzinfo=SH),
                                    duration_hours=2, headcount=40 * (i + 1))
            Dispatch.objects.create(commissioner=commissioner, village=village, starts_on=date(2022, 3, 1),
                                    dispatched_by=staff)
    return BureauFactory()


@pytest.fixture
def county_staff(activity):
    from tests.factories import CommissionerFactory, CountyStaffFactory
    from trainings.models import Training
    from villages.models import Area

    # Trainings in several of 右江区's townships, of different sizes, so that its map has a scale.
    commissioner = CommissionerFactory()
    townships = Area.objects.filter(level="township", county_code="451002").order_by("code")
    for i, township in enumerate(townships[1:7]):
        village = Area.objects.filter(level="village", township_code=township.code).order_by("code").first()
        Training.objects.create(client_id=uuid.uuid4(), commissioner=commissioner, village=village,
                                category_id="tea", topic="芒果修剪", started_at=datetime(2024, 3, 1, 9, tzinfo=SH),
                                duration_hours=2, headcount=25 * (i + 1))
    return CountyStaffFactory()  # 右江区


def _single_threaded(self, connections_override=None):
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import QuietWSGIRequestHandler

    return WSGIServer((self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False)


@pytest.fixture
def server(activity, settings, monkeypatch):
    """A live server started after tests/dashboard/conftest.py turned off the HTTPS redirect (the
    session-wide `live_server` may have built its middleware before that), over the transactional
    database so that the server thread sees the rows this test wrote.

    Single-threaded: on the embedded default the test database is an in-memory SQLite whose one
    connection the server shares; the page fetches its data in parallel, and two request threads on
    that one connection deadlocked (seen in CI). One thread serves them in turn (Connection: close).
    """
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    monkeypatch.setattr(LiveServerThread, "_create_server", _single_threaded)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    live = LiveServer("127.0.0.1:0")
    yield live
    live.stop()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="dashboard-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--lang=zh-CN", "--window-size=1440,900", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT_S)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait_for_map(driver, level: str) -> dict:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script(
        "var m = document.getElementById('map');"
        "return m && m.dataset.level === arguments[0] && (m.dataset.state === 'ready' || m.dataset.state === 'error');",
        level,
    ))
    state = driver.execute_script("return window.dashboardState")
    assert state["error"] is None, state["error"]
    return state


def _interactive_shapes(driver) -> int:
    # Leaflet draws each feature as one SVG path; the county outlines underneath are not interactive.
    return driver.execute_script(
        "return document.querySelectorAll('#map .leaflet-overlay-pane path.leaflet-interactive').length")


def _log_in(driver, server, user) -> None:
    from selenium.webdriver.common.by import By

    driver.get(server.url + "/dashboard/login/")
    driver.find_element(By.NAME, "username").send_keys(user.phone)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()


def _viewport(driver, width: int, height: int) -> None:
    # A phone's viewport as the page sees it (width, touch, the viewport meta honoured), not just a
    # narrow desktop window.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def _box(driver, selector: str) -> dict:
    return driver.execute_script(
        "var r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {x: r.left, y: r.top, width: r.width, height: r.height};", selector)


def _overlap(a: dict, b: dict) -> float:
    dx = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    dy = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(dx, 0) * max(dy, 0)


def _console_problems(driver) -> list[dict]:
    # Errors, and the CSP's refusals (Chromium reports those on the console too).
    return [e for e in driver.get_log("browser")
            if e["level"] == "SEVERE" or "Content Security Policy" in e.get("message", "")]


def _screenshot(driver, name: str, *, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"dashboard-{BACKEND}-{name}.png"
    if full_page:  # the whole page, below the fold too: what a phone user scrolls through
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(shot["data"]))
    else:
        assert driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def test_the_bureau_logs_in_sees_the_map_and_switches_to_villages(server, browser, activity):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # Given the login page the dashboard sends an anonymous visitor to
    browser.get(server.url + "/dashboard/")
    assert "/dashboard/login/" in browser.current_url
    assert "百色市科技特派员工作看板" in browser.page_source

    # When the bureau logs in with the phone and password of the apps
    browser.find_element(By.NAME, "username").send_keys(activity.phone)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login-submit").click()

    # Then the county map shows Baise's twelve counties, and both targets have their bars
    state = _wait_for_map(browser, "county")
    assert state["featureCount"] == 12
    assert _interactive_shapes(browser) == 12
    assert browser.find_element(By.ID, "legend").text.startswith("培训人次")
    WebDriverWait(browser, WAIT_S).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#target-list .target")) == 2)
    bars = browser.find_elements(By.CSS_SELECTOR, "#target-list .target .bar[role=progressbar]")
    # 60 dispatches of 2,000; 5,600 trainees of 600,000
    assert [b.get_attribute("aria-valuenow") for b in bars] == ["3", "0.93"]
    assert all(p.text for p in browser.find_elements(By.CSS_SELECTOR, "#target-list .projection"))
    # The 十四五 plan has ended (2025-12-31): its final results under their own heading, each beside its
    # 十三五 baseline, and the current plan's heading says no target is recorded yet
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#target-list .target-group h3")]
    assert headings == ["当前规划目标", "已结束规划的最终结果"]
    baselines = [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#target-list .target-ended .baseline")]
    assert baselines[0].startswith("基线（十三五）：1,724 人次")
    assert baselines[1].startswith("基线（十三五）：400,000 人次")
    # And the plan's 十三五 results stand beside the same figures of the 十四五 plan: 60 dispatches, 5,600 trainees
    rows = {r.get_attribute("data-measure"): [c.text for c in r.find_elements(By.CSS_SELECTOR, "th, td")]
            for r in browser.find_elements(By.CSS_SELECTOR, "#baseline-rows tr")}
    assert rows["dispatches"] == ["选派科技特派员", "1,724 人次", "60 人次"]
    assert rows["villages_served"] == ["服务贫困村", "899 个", "60 个"]
    assert rows["trainees"] == ["培训农民", "400,000 人次", "5,600 人次"]
    assert rows["trainings"][1:] == ["1,000+ 场", "60 场"]
    assert browser.find_element(By.ID, "baselines-past").text == "十三五"
    _screenshot(browser, "county")

    # When they switch to villages
    browser.find_element(By.CSS_SELECTOR, "#level-switch button[data-level=village]").click()

    # Then every village of the city is a marker, and the unserved ones are listed by name and township
    state = _wait_for_map(browser, "village")
    assert state["featureCount"] == 1897
    assert _interactive_shapes(browser) == 1897
    assert state["unservedCount"] == 1897 - 60
    rows = browser.find_elements(By.CSS_SELECTOR, "#unserved-list tr")
    assert len(rows) == PAGE_SIZE
    assert len(rows[0].find_elements(By.TAG_NAME, "td")) == 3
    assert browser.find_element(By.ID, "unserved-page").text == f"1–{PAGE_SIZE} / {1897 - 60:,}"

    # And the list pages on
    first = rows[0].text
    browser.find_element(By.ID, "unserved-next").click()
    assert browser.find_element(By.ID, "unserved-page").text == f"{PAGE_SIZE + 1}–{2 * PAGE_SIZE} / {1897 - 60:,}"
    assert browser.find_elements(By.CSS_SELECTOR, "#unserved-list tr")[0].text != first
    assert "推算位置" in browser.find_element(By.ID, "map-note").text
    _screenshot(browser, "village")

    # And the page ran without a script error or a CSP violation
    assert _console_problems(browser) == []


@pytest.mark.parametrize("who", ["bureau", "county"])
def test_the_page_fits_a_phone_and_a_laptop(server, browser, activity, county_staff, who):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # Given the bureau, or county staff of 右江区
    user = activity if who == "bureau" else county_staff
    _log_in(browser, server, user)
    # Then the bureau opens on the counties, county staff on the townships of their county
    level = "county" if who == "bureau" else "township"
    state = _wait_for_map(browser, level)
    if who == "county":
        assert state["featureCount"] == 9  # 右江区's townships
        # with a colour scale, not one colour: 0 and at least two classes of served townships
        assert len(browser.find_elements(By.CSS_SELECTOR, "#legend .swatch")) >= 3

    for width, height in (LAPTOP, PHONE):
        fits = browser.execute_script("return window.dashboardState.fits")
        _viewport(browser, width, height)
        browser.execute_script("window.dispatchEvent(new Event('resize'))")
        # The page fits the user's area to the new size
        WebDriverWait(browser, WAIT_S).until(
            lambda d, before=fits: d.execute_script("return window.dashboardState.fits") > before)
        state = _wait_for_map(browser, level)
        _screenshot(browser, f"{who}-{width}", full_page=True)
        # The area badge stays on one line
        badge = _box(browser, "#area-name")
        assert badge["height"] < 30, badge
        # The legend leaves most of the map to see
        legend, map_box = _box(browser, "#legend"), _box(browser, "#map")
        assert legend["height"] > 0
        assert _overlap(legend, map_box) < (0.1 if width > 600 else 0.01) * map_box["width"] * map_box["height"]
        # The unserved villages come a page at a time: the page has an end
        assert len(browser.find_elements(By.CSS_SELECTOR, "#unserved-list tr")) <= PAGE_SIZE
        page_height = browser.execute_script("return document.documentElement.scrollHeight")
        assert page_height < 4 * height, page_height

    assert _console_problems(browser) == []


SURVEYED = ("451002001001", "451002001002", "451024100001")


@pytest.fixture
def surveyed(activity):
    from villages.models import Area

    Area.objects.filter(code__in=SURVEYED).update(position_source="surveyed", position_accuracy_m=8)
    return activity


def test_surveyed_villages_are_solid_dots_and_generated_ones_hollow_rings(server, browser, surveyed):
    from selenium.webdriver.common.by import By

    # Given three villages surveyed, when the bureau opens the village map
    _log_in(browser, server, surveyed)
    _wait_for_map(browser, "county")
    browser.find_element(By.CSS_SELECTOR, "#level-switch button[data-level=village]").click()
    _wait_for_map(browser, "village")

    # Then those three are drawn as surveyed, every other village as a generated (推算) position
    def count(selector: str) -> int:
        return browser.execute_script(f"return document.querySelectorAll('#map path.village{selector}').length")

    assert (count(".surveyed"), count(".generated")) == (3, 1897 - 3)
    note = browser.find_element(By.ID, "map-note").text
    assert "实测 3 个" in note and "推算位置 1,894 个" in note
    assert "推算位置 1,894" in browser.find_element(By.ID, "legend").text
    _screenshot(browser, "village-positions")
    assert _console_problems(browser) == []


TEAM_VILLAGE = "451002001001"  # 百城街道, which the demo-like mango team serves


@pytest.fixture
def team(activity):
    """A mango team of 右江区 serving 百城街道 (右江区) and 田州镇 (田阳区), with a training of 30 and a
    day's check-in in its service area during the plan."""
    from commissioners.models import Checkin
    from tests.factories import CommissionerFactory
    from tests.teams.helpers import BAICHENG, TIANDONG, TIANYANG, TIANZHOU, YOUJIANG, make_team
    from trainings.models import Training

    members = [CommissionerFactory(area_id=YOUJIANG), CommissionerFactory(area_id=TIANYANG),
               CommissionerFactory(area_id=TIANDONG)]
    team = make_team(members, areas=(BAICHENG, TIANZHOU))
    Training.objects.create(client_id=uuid.uuid4(), commissioner=members[0], village_id=TEAM_VILLAGE,
                            category_id="fruit-trees", topic="芒果修剪", started_at=datetime(2024, 4, 2, 9, tzinfo=SH),
                            duration_hours=2, headcount=30)
    Checkin.objects.create(client_id=uuid.uuid4(), commissioner=members[1], village_id=TEAM_VILLAGE, lat=23.9,
                           lng=106.6, occurred_at=datetime(2024, 4, 2, 10, tzinfo=SH), distance_m=0, verified=True)
    return team


def _pick_team(driver, team_id: int | None, level: str) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    Select(driver.find_element(By.ID, "team")).select_by_value(str(team_id or ""))
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script(
        "var m = document.getElementById('map');"
        "return m.dataset.team === arguments[0] && m.dataset.state !== 'loading';", str(team_id or "")))
    return _wait_for_map(driver, level)


@pytest.mark.parametrize("who, size", [("bureau", LAPTOP), ("bureau", PHONE), ("county", LAPTOP), ("county", PHONE)],
                         ids=["bureau-1366", "bureau-390", "county-1366", "county-390"])
def test_staff_pick_a_team_and_see_its_area_and_figures(server, browser, activity, county_staff, team, who, size):
    from selenium.webdriver.common.by import By

    # Given the bureau, or 右江区's staff, on a laptop or a phone
    user = activity if who == "bureau" else county_staff
    _viewport(browser, *size)
    _log_in(browser, server, user)
    level = "county" if who == "bureau" else "township"
    _wait_for_map(browser, level)
    assert not browser.find_element(By.ID, "team-card").is_displayed()

    # When they pick the mango team
    state = _pick_team(browser, team.pk, level)

    # Then its service area is drawn over the map: 右江区 and 田阳区 for the bureau; 百城街道 among
    # 右江区's townships (田州镇 is in 田阳区, outside their map)
    assert state["teamHighlighted"] == (2 if who == "bureau" else 1)
    assert browser.execute_script("return document.querySelectorAll('#map path.team-area').length") == \
        state["teamHighlighted"]
    assert "团队服务范围" in browser.find_element(By.ID, "legend").text
    # And its figures stand beside the reader's area's
    card = browser.find_element(By.ID, "team-card")
    assert card.is_displayed()
    assert browser.find_element(By.ID, "team-name").text == "芒果技术服务共享团队"
    rows = {r.get_attribute("data-figure"): [c.text for c in r.find_elements(By.CSS_SELECTOR, "th, td")]
            for r in browser.find_elements(By.CSS_SELECTOR, "#team-rows tr")}
    assert rows["members"] == ["团队成员", "3 人", "–"]
    assert rows["service_days"] == ["服务天数", "1 人天", "–"]
    # the city: 5,600 trainees of the activity, 525 of 右江区's townships, the team's 30; 右江区: 400 + 525 + 30
    area_trainees = 6155 if who == "bureau" else 955
    assert rows["trainees"] == ["培训人次", f"30 人次（{100 * 30 / area_trainees:.1f}%）", f"{area_trainees:,} 人次"]
    assert browser.find_element(By.ID, "team-area-head").text == ("全市" if who == "bureau" else "右江区")
    assert "百城街道" in browser.find_element(By.ID, "team-areas").text

    # And at village level the team's villages are ringed (every village of 百城街道, and 田州镇's for the bureau)
    browser.find_element(By.CSS_SELECTOR, "#level-switch button[data-level=village]").click()
    state = _wait_for_map(browser, "village")
    assert state["teamHighlighted"] > 1
    width, height = size
    _screenshot(browser, f"team-{who}-{width}", full_page=True)
    if width < 600:  # the picked team's card makes the phone's page longer, but it still has an end
        assert browser.execute_script("return document.documentElement.scrollHeight") < 5 * height

    # When they go back to no team, the card and the highlight go
    state = _pick_team(browser, None, "village")
    assert state["teamHighlighted"] == 0
    assert not browser.find_element(By.ID, "team-card").is_displayed()
    assert _console_problems(browser) == []
