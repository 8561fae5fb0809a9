"""The village map tells surveyed positions from generated ones (a real browser, as test_browser.py)."""

from __future__ import annotations

import pytest

from tests.dashboard.test_browser import (  # noqa: F401  (fixtures)
    _console_problems,
    _log_in,
    _screenshot,
    _wait_for_map,
    activity,
    browser,
    pytestmark,
    server,
)

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
