"""/api/v1/docs in a real browser with no internet: Debian's chromium, headless, through Debian's
chromedriver (as tests/dashboard/test_browser.py), every host but the live server unreachable.

Before the docs were served from ninja's own static files the page loaded Swagger UI from a CDN and
stayed blank here. A screenshot is kept under tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES

CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
BACKEND = "postgres" if ON_POSTGRES else "sqlite"
WAIT_S = 60

selenium = pytest.importorskip("selenium", reason="selenium is in the dev extra: pip install -e '.[dev]'")
pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason=f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): "
           "apt-get install chromium chromium-driver (CI's .ci/run does)",
)


@pytest.fixture
def offline_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="docs-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1280,1600", f"--user-data-dir={profile}",
                 # No internet: every name but the live server's address resolves to nothing, and every
                 # connection but to the live server goes to a proxy that is not there (port 9, discard).
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT_S)
    # And the CDNs Swagger UI is usually loaded from are refused outright (the live server is plain http).
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["https://*", "*cdn*", "*unpkg*", "*jsdelivr*"]})
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_the_docs_show_the_operations_with_the_network_blocked(live_server, offline_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # Given a browser that reaches nothing but the service (the fixture)
    # When it opens the API docs
    # (by address: "localhost" is a name, and no name resolves)
    offline_browser.get(live_server.url.replace("localhost", "127.0.0.1") + "/api/v1/docs")

    # Then Swagger UI renders the operations of the schema
    WebDriverWait(offline_browser, WAIT_S).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) > 20)
    summaries = [e.text for e in offline_browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")]
    assert "/api/v1/auth/token" in summaries
    assert "百色市科技特派员服务 API" in offline_browser.find_element(By.CSS_SELECTOR, ".info .title").text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"api-docs-offline-{BACKEND}.png"
    assert offline_browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    errors = [e for e in offline_browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
