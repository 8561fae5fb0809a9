"""The dashboard in a real browser: Debian's chromium, headless, driven by selenium through Debian's
chromedriver (both from apt: `.ci/run` installs them; nothing is downloaded at test time).

One test walks the page as the bureau would: log in, wait for the county map, check the target bars,
switch to villages, and keep a screenshot of each under tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

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


def _screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"dashboard-{BACKEND}-{name}.png"
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
    _screenshot(browser, "county")

    # When they switch to villages
    browser.find_element(By.CSS_SELECTOR, "#level-switch button[data-level=village]").click()

    # Then every village of the city is a marker, and the unserved ones are listed by name and township
    state = _wait_for_map(browser, "village")
    assert state["featureCount"] == 1897
    assert _interactive_shapes(browser) == 1897
    assert state["unservedCount"] == 1897 - 60
    rows = browser.find_elements(By.CSS_SELECTOR, "#unserved-list tr")
    assert len(rows) == 1897 - 60
    assert len(rows[0].find_elements(By.TAG_NAME, "td")) == 3
    assert "推算位置" in browser.find_element(By.ID, "map-note").text
    _screenshot(browser, "village")

    # And the page ran without a script error
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
