"""Shared, database-free fixtures for the geo tests: the real Baise division data.

Everything is session-scoped because the data never changes during a run and placing
all 2,032 townships and villages, while fast, need not happen once per test.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# `pytest -p no:django` skips pytest-django, which is what normally puts the project root
# on sys.path; the geo tests must run without it.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from geo.lookup import AreaIndex, CountyShape, PlacePoint  # noqa: E402
from geo.placement import place_areas  # noqa: E402

DIVISIONS_PATH = REPO_ROOT / "villages" / "data" / "baise-divisions.json"


@pytest.fixture(scope="session")
def divisions() -> dict[str, Any]:
    return json.loads(DIVISIONS_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def townships_by_county(divisions: dict[str, Any]) -> dict[str, list[tuple[str, list[str]]]]:
    """``county code -> [(township code, [village codes])]``, the shape place_areas takes."""
    villages_by_township: dict[str, list[str]] = defaultdict(list)
    for village in divisions["villages"]:
        villages_by_township[village["township_code"]].append(village["code"])
    grouped: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for township in divisions["townships"]:
        grouped[township["county_adcode"]].append((township["code"], villages_by_township[township["code"]]))
    return dict(grouped)


@pytest.fixture(scope="session")
def placed(divisions: dict[str, Any], townships_by_county) -> dict[str, tuple[float, float]]:
    positions: dict[str, tuple[float, float]] = {}
    for county in divisions["counties"]:
        positions.update(place_areas(county["geometry"], townships_by_county[county["adcode"]]))
    return positions


@pytest.fixture(scope="session")
def make_area_index(divisions: dict[str, Any], placed) -> Callable[..., AreaIndex]:
    """Build an AreaIndex from the real data; tests may reorder counties or drop villages."""

    def make(counties: list[dict[str, Any]] | None = None, with_villages: bool = True) -> AreaIndex:
        counties = divisions["counties"] if counties is None else counties
        return AreaIndex(
            counties=[CountyShape(c["adcode"], c["name"], c["geometry"]) for c in counties],
            townships=[
                PlacePoint(t["code"], t["name"], t["county_adcode"], *placed[t["code"]]) for t in divisions["townships"]
            ],
            villages=[
                PlacePoint(v["code"], v["name"], v["township_code"], *placed[v["code"]])
                for v in divisions["villages"]
                if with_villages
            ],
        )

    return make


@pytest.fixture(scope="session")
def area_index(make_area_index) -> AreaIndex:
    return make_area_index()
