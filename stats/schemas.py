from __future__ import annotations

from datetime import date
from typing import Any, Literal

from ninja import Schema
from pydantic import Field


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
    by_year: list[YearValue]
    by_county: list[CountyValue]
    projection: ProjectionOut


class TargetsOut(Schema):
    targets: list[TargetOut]


# Report windows become Shanghai instants (a day's 00:00+08:00, the day after `to`); at the ends of the
# calendar that arithmetic overflows, so days are held to the years `year` accepts.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


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


class AssessmentIn(WindowIn):
    county: str | None = Field(None, pattern=r"^[0-9]{6}$")
    sort: str = Field("-service_days", description="A column, `-` for descending: service_days, trainees, …")


class AssessmentOut(Schema):
    commissioner_id: int
    name: str
    area_code: str
    county_code: str
    service_days: int = Field(..., description="Distinct Asia/Shanghai days with a verified check-in.")
    dispatches: int
    trainings: int
    trainees: int
    problems_claimed: int
    problems_resolved: int
    average_rating: float | None = None
    flagged_checkins: int


class AssessmentPage(Schema):
    count: int
    items: list[AssessmentOut]
