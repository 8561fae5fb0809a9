"""The workbook speaks the plan's vocabulary: trainings by mode, dispatches by programme, units as text."""

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from commissioners.models import Dispatch
from core.periods import SHANGHAI
from tests.factories import BureauFactory, CommissionerFactory
from tests.trainings.factories import TrainingFactory

pytestmark = pytest.mark.django_db
V1 = "451002001001"
FORMULA_UNIT = '=HYPERLINK("http://evil.example","广西大学")'


@pytest.fixture
def workbook(api):
    bureau = BureauFactory()
    person = CommissionerFactory(area_id="451002", name="农志强")
    for day, programme, unit in ((date(2024, 3, 1), "three_regions", FORMULA_UNIT),
                                 (date(2024, 4, 1), "legal_entity", "百色国家农业科技园区"),
                                 (date(2024, 5, 1), "commissioner", "")):
        Dispatch.objects.create(commissioner=person, village_id=V1, starts_on=day, dispatched_by=bureau,
                                programme=programme, sending_unit=unit)
    when = datetime(2024, 6, 1, 9, tzinfo=SHANGHAI)
    TrainingFactory(commissioner=person, mode="field", headcount=30, households=12, started_at=when)
    TrainingFactory(commissioner=person, mode="popular_science", headcount=80, households=None, started_at=when)
    response = api.as_user(bureau).get("/stats/export.xlsx", **{"from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def _table(ws):
    rows = list(ws.values)[2:]
    return rows[0], rows[1:]


def test_the_modes_sheet_counts_trainings_trainees_and_households(workbook):
    headers, rows = _table(workbook["培训方式"])
    assert headers == ("培训方式", "培训场次", "培训人次", "培训户数", "填报户数的场次", "代码")
    assert [r[0] for r in rows] == ["集中授课", "现场指导", "科技下乡", "科普", "合计"]
    assert rows[1][:5] == ("现场指导", 1, 30, 12, 1)
    assert rows[3][:5] == ("科普", 1, 80, 0, 0)
    assert rows[-1][:5] == ("合计", 2, 110, 12, 1)


def test_the_programmes_sheet_counts_dispatches_and_leaves_people_unsummed(workbook):
    headers, rows = _table(workbook["选派类别"])
    assert headers == ("选派类别", "选派人次", "人数", "派出单位数", "代码")
    assert [r[:4] for r in rows] == [("科技特派员", 1, 1, 0), ("“三区”人才", 1, 1, 1), ("法人科技特派员", 1, 1, 1),
                                     ("合计", 3, None, None)]


def test_the_assessment_sheet_splits_dispatches_by_programme_and_names_the_units(workbook):
    headers, rows = _table(workbook["特派员考核"])
    row = dict(zip(headers, next(r for r in rows if r[1] == "农志强"), strict=True))
    split = ("选派人次", "其中：科技特派员", "其中：“三区”人才", "其中：法人科技特派员")
    assert [row[h] for h in split] == [3, 1, 1, 1]
    assert row["派出单位"] == f"{FORMULA_UNIT}、百色国家农业科技园区"


def test_a_sending_unit_that_looks_like_a_formula_stays_text(workbook):
    cells = [c for row in workbook["特派员考核"].iter_rows() for c in row if isinstance(c.value, str)
             and "HYPERLINK" in c.value]
    assert [c.data_type for c in cells] == ["s"]
