from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from villages.models import Area, AreaLevel

from .geometry import geometries, village_points
from .selectors import Window, coverage

# Report windows become Shanghai instants (a day's 00:00+08:00, the day after `to`); at the ends of the
# calendar that arithmetic overflows, so days are held to the years `year` accepts.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


class YearValue(Schema):
    year: int
    achieved: int


class CountyValue(Schema):
    code: str
    name: str
    achieved: int


class ProjectionOut(Schema):
    as_of: date
    elapsed_days: int
    total_days: int
    projected: int = Field(..., description="At the pace so far, the figure at the end of the period.")
    projected_percent: float
    on_track: bool


class BaselineOut(Schema):
    value: int = Field(..., description="The previous plan's figure, e.g. 1724 (人次).")
    period_label: str = Field(..., description="Its period, e.g. 十三五 (2016–2020).")


class TargetOut(Schema):
    code: str
    name: str
    unit: str
    target: int
    achieved: int
    percent: float
    period_start: date
    period_end: date
    area_code: str
    rule: str
    year: int | None = None
    status: Literal["upcoming", "current", "ended"] = Field(
        ..., description="Where today (Asia/Shanghai) falls against the period; an ended target's figures are final.")
    baseline: BaselineOut | None = None
    by_year: list[YearValue]
    by_county: list[CountyValue]
    projection: ProjectionOut


class TargetsOut(Schema):
    targets: list[TargetOut]


TARGET_CODE = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class BaselineIn(Schema):
    value: int = Field(..., ge=0, le=2_000_000_000)
    period_label: str = Field(..., min_length=1, max_length=32, description="e.g. 十三五")


class TargetIn(Schema):
    code: str = Field(..., pattern=TARGET_CODE, description="Stable identifier, e.g. commissioner_dispatches_2030.")
    name: str = Field(..., min_length=1, max_length=120)
    unit: str = Field("人次", min_length=1, max_length=16)
    value: int = Field(..., ge=1, le=2_000_000_000)
    period_start: date = Field(..., ge=FIRST_DAY, le=LAST_DAY)
    period_end: date = Field(..., ge=FIRST_DAY, le=LAST_DAY)
    rule: str = Field(..., max_length=64, description="A counting rule: dispatches_counted, training_headcount_summed, "
                                                       "trainings_counted, problems_resolved_counted.")
    area_code: str | None = Field(None, description="The city (default) or a county, whose own target counts only it.")
    baseline: BaselineIn | None = None


class TargetPatchIn(Schema):
    """Only the fields sent change; `baseline: null` removes the baseline. The code never changes."""

    name: str | None = Field(None, min_length=1, max_length=120)
    unit: str | None = Field(None, min_length=1, max_length=16)
    value: int | None = Field(None, ge=1, le=2_000_000_000)
    period_start: date | None = Field(None, ge=FIRST_DAY, le=LAST_DAY)
    period_end: date | None = Field(None, ge=FIRST_DAY, le=LAST_DAY)
    rule: str | None = Field(None, max_length=64)
    area_code: str | None = None
    baseline: BaselineIn | None = None


class WindowIn(Schema):
    start: date | None = Field(None, alias="from", ge=FIRST_DAY, le=LAST_DAY,
                               description="First Asia/Shanghai day, inclusive (2000–2100).")
    end: date | None = Field(None, alias="to", ge=FIRST_DAY, le=LAST_DAY,
                             description="Last Asia/Shanghai day, inclusive (2000–2100).")


class CoverageIn(WindowIn):
    level: Literal["county", "township", "village"] = "county"


class CoverageProperties(Schema):
    code: str
    name: str
    level: str
    checkins: int = Field(..., description="Verified check-ins in the window.")
    dispatches: int = Field(..., description="Dispatches whose period overlaps the window.")
    trainings: int
    trainees: int = Field(..., description="Training headcount (人次).")
    problems_open: int = Field(..., description="Problems open now that were posted before the window's end.")
    problems_resolved: int = Field(..., description="Problems resolved in the window.")
    served: bool = Field(..., description="Any check-in, dispatch or training in the window.")
    geometry_source: str = Field(..., description="boundary | derived_voronoi | generated | surveyed | none")
    derived: bool = Field(..., description="True when the geometry is not a surveyed boundary or position.")


class Feature(Schema):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any] | None
    properties: CoverageProperties


class FeatureCollection(Schema):
    """Coverage as GeoJSON (RFC 7946): coordinates are always WGS-84 longitude, latitude; no `crs` applies."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


class TeamFiguresIn(WindowIn):
    county: str | None = Field(None, pattern=r"^[0-9]{6}$", description="Teams of this county or serving it.")


class TeamFiguresOut(Schema):
    id: int
    name: str
    county_code: str = Field(..., description="The team's home county.")
    industry: str
    active: bool
    members: int
    service_days: int = Field(..., description="Distinct (member, Asia/Shanghai day) pairs with a verified check-in "
                                               "in the service area or against the team's problems.")
    trainings: int = Field(..., description="The members' trainings in the service area.")
    trainees: int = Field(..., description="Their headcount (人次).")
    problems_resolved: int = Field(..., description="Resolved in the window on the team's accepted claims.")
    rating_avg: float | None = Field(None, description="The villages' average rating of those, 1–5.")


class TeamFiguresPage(Schema):
    count: int
    items: list[TeamFiguresOut]


class AssessmentIn(WindowIn):
    county: str | None = Field(None, pattern=r"^[0-9]{6}$")
    sort: str = Field("-service_days", description="A column, `-` for descending: service_days, trainees, …")


class AssessmentOut(Schema):
    commissioner_id: int
    name: str
    area_code: str
    county_code: str
    service_days: int = Field(..., description="Distinct Asia/Shanghai days with a verified check-in.")
    dispatches: int = Field(..., description="Dispatches starting in the window, all programmes (人次).")
    dispatches_commissioner: int = Field(..., description="Of them, as a 科技特派员.")
    dispatches_three_regions: int = Field(..., description="Of them, as a “三区” talent.")
    dispatches_legal_entity: int = Field(..., description="Of them, as a 法人科技特派员.")
    sending_units: list[str] = Field(..., description="The units that sent them (派出单位), as typed: text.")
    trainings: int
    trainees: int
    problems_claimed: int
    problems_resolved: int
    average_rating: float | None = None
    flagged_checkins: int
    teams: int = Field(..., description="The shared service teams they belong to.")
    team_problems_resolved: int = Field(..., description="Problems their teams resolved in the window on a claim "
                                                         "another member made: a member's team work counts for them.")


class AssessmentPage(Schema):
    count: int
    items: list[AssessmentOut]


class TrainingModeRow(Schema):
    mode: str = Field(..., description="lecture | field | countryside | popular_science")
    name: str = Field(..., description="集中授课, 现场指导, 科技下乡, 科普")
    trainings: int
    trainees: int = Field(..., description="Σ headcount (人次).")
    households: int = Field(..., description="Σ households (户数) over the sessions that recorded it.")
    households_recorded: int = Field(..., description="Sessions that recorded their households.")


class TrainingModesOut(Schema):
    by_mode: list[TrainingModeRow]


class ProgrammeRow(Schema):
    programme: str = Field(..., description="commissioner | three_regions | legal_entity")
    name: str = Field(..., description="科技特派员, “三区”人才, 法人科技特派员")
    dispatches: int = Field(..., description="Dispatches (人次) starting in the window.")
    people: int = Field(..., description="Distinct people sent.")
    sending_units: int = Field(..., description="Distinct sending units (派出单位) named.")


class ProgrammesOut(Schema):
    by_programme: list[ProgrammeRow]


class PlanBaselineOut(Schema):
    code: str
    name: str = Field(..., description="e.g. 选派科技特派员")
    value: int = Field(..., description="The previous plan's result, e.g. 1724.")
    unit: str
    at_least: bool = Field(..., description="The figure is a floor (1,000 余场), not exact.")
    period_label: str = Field(..., description="e.g. 十三五")
    measure: str = Field(..., description="dispatches | villages_served | three_regions_people | trainings | "
                                          "trainees | problems_resolved")
    current: int = Field(..., description="The same measure today: counted in the window, inside the reader's area.")


class PlanBaselinesOut(Schema):
    items: list[PlanBaselineOut]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a map's objects are made (a province's village map is ≈100,000
    dicts and lists, none in a cycle): the collections their making triggers scanned the whole heap, ≈100 ms
    of a 300 ms map (bench/national). On again after, unless someone else had it off."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def coverage_features(*, level: str, window: Window, within: Area) -> dict:
    """The coverage map as GeoJSON: one feature per area of ``level`` inside ``within``, with its counts."""
    with _collector_paused():
        return _features(coverage(level=level, window=window, within=within), level)


def _features(rows: list[dict[str, Any]], level: str) -> dict:
    # A village is drawn as its point, which the coverage rows carry; counties and townships as shapes.
    if level == AreaLevel.VILLAGE:
        drawn = village_points(rows)
    else:
        shapes = geometries(level)
        drawn = [shapes.get(row["code"], (None, "none")) for row in rows]
    features = []
    for row, (geometry, source) in zip(rows, drawn, strict=True):
        features.append({"type": "Feature", "id": row["code"], "geometry": geometry, "properties": {
            "code": row["code"], "name": row["name"], "level": level, "checkins": row["checkins"],
            "dispatches": row["dispatches"], "trainings": row["trainings"], "trainees": row["trainees"],
            "problems_open": row["problems_open"], "problems_resolved": row["problems_resolved"],
            "served": row["served"], "geometry_source": source, "derived": source not in _DRAWN_AS_IS}})
    return {"type": "FeatureCollection", "features": features}


# Where a shape or point is what the area really is (a boundary, a surveyed position), not derived.
_DRAWN_AS_IS = ("boundary", "surveyed")
