"""The bureau's workbook as an official prints it (issue 15): real dates, totals, widths, names beside
codes, a print setup on every sheet. How LibreOffice actually prints it: test_export_print.py."""

import functools
import io
import uuid
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from openpyxl import Workbook, load_workbook

from commissioners.models import Dispatch
from core.periods import SHANGHAI
from stats.export import report_period
from stats.selectors import Window
from stats.services import targets_seed
from tests.client import ApiClient
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from trainings.models import Training

# The module's rows live in `shared_rows`; the mark also has pytest-django create the test database.
pytestmark = pytest.mark.django_db
EXPORT = "/stats/export.xlsx"
V1 = "451002001001"  # 右江区 百城街道 百胜社区居委会
DATA_SHEETS = ("目标", "县区", "乡镇", "村", "特派员考核", "共享团队")
LEVEL_SHEETS = ("县区", "乡镇", "村")
LONG_NAME = "长" * 50  # the longest name accounts/names.py accepts
WINDOW_2024 = {"from": "2024-01-01", "to": "2024-12-31"}


@pytest.fixture(scope="module")
def shared_rows(django_db_setup, django_db_blocker):
    """One transaction for the rows a module's tests share, rolled back after its last test: a workbook
    of 1,897 villages takes seconds to build, so each module asks for it once."""
    from django.core.cache import cache

    with django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def exports(shared_rows):
    """The plan's targets and one commissioner's work in 右江区 (a dispatch, trainings for 1,234 people),
    exported by the bureau for the open window and for 2024, and by 右江区's staff for 2024."""
    targets_seed()
    person = CommissionerFactory(area_id="451002", name="韦特派")
    CommissionerFactory(area_id="451003", name=LONG_NAME)
    Dispatch.objects.create(commissioner=person, village_id=V1, starts_on=date(2024, 3, 1),
                            dispatched_by=TownshipStaffFactory())
    for day, headcount in ((2, 300), (3, 300), (4, 300), (5, 300), (6, 34)):
        Training.objects.create(client_id=uuid.uuid4(), commissioner=person, village_id=V1, category_id="tea",
                                topic="t", started_at=datetime(2024, 3, day, 9, tzinfo=SHANGHAI),
                                duration_hours=2, headcount=headcount)
    bureau, county = ApiClient().as_user(BureauFactory()), ApiClient().as_user(CountyStaffFactory())
    responses = {"open": bureau.get(EXPORT), "2024": bureau.get(EXPORT, **WINDOW_2024),
                 "county": county.get(EXPORT, **WINDOW_2024)}
    assert {r.status_code for r in responses.values()} == {200}
    return {"person": person, **responses}


def _book(response) -> Workbook:
    return _loaded(response.content)


@functools.cache
def _loaded(content: bytes) -> Workbook:
    # Read-only by the tests; loading 1,897 villages once per export is enough.
    return load_workbook(io.BytesIO(content))


def _table(ws) -> list[tuple]:
    """The sheet's header row and the rows below it (rows 1-2 are the title and the period)."""
    return list(ws.values)[2:]


def _today() -> str:
    return datetime.now(tz=SHANGHAI).date().isoformat()


def test_without_from_and_to_the_period_runs_from_the_plan_start_to_today(exports):
    wb = _book(exports["open"])
    period = f"2021-01-01 至 {_today()}"
    assert period in [c for row in wb["说明"].values for c in row if c]
    for name in DATA_SHEETS:
        assert period in wb[name]["A2"].value
        assert period in wb[name].oddHeader.center.text


def test_no_sheet_says_start_or_now_instead_of_a_date(exports):
    wb = _book(exports["open"])
    texts = [c for ws in wb for row in ws.values for c in row if isinstance(c, str)]
    assert not [t for t in texts if "开始" in t or "至今" in t]


def test_the_file_is_named_for_the_period_in_chinese_with_an_ascii_fallback(exports):
    disposition = exports["open"]["Content-Disposition"]
    days = f"2021-01-01-{_today()}"
    assert disposition.startswith("attachment; ")
    assert f'filename="baise-kjtpy-451000-{days}.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote(f'百色市科技特派员统计-{days}.xlsx')}" in disposition


def test_a_window_asked_for_names_the_file_and_the_title(exports):
    response = exports["2024"]
    assert 'filename="baise-kjtpy-451000-2024-01-01-2024-12-31.xlsx"' in response["Content-Disposition"]
    assert "2024-01-01 至 2024-12-31" in _book(response)["村"]["A2"].value


def test_a_county_workbook_is_titled_and_named_for_the_county(exports):
    response = exports["county"]
    assert quote("右江区科技特派员统计-2024-01-01-2024-12-31.xlsx") in response["Content-Disposition"]
    assert _book(response)["县区"]["A1"].value.startswith("右江区科技特派员统计")


def test_every_sheet_prints_on_a4_landscape_one_page_wide(exports):
    for ws in _book(exports["open"]):
        setup = ws.page_setup
        assert (ws.title, setup.orientation, int(setup.paperSize)) == (ws.title, "landscape", 9)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)


def test_every_table_repeats_its_header_row_on_each_printed_page(exports):
    wb = _book(exports["open"])
    for name in DATA_SHEETS:
        assert wb[name].print_title_rows == "$3:$3"


def test_every_printed_page_names_its_sheet_the_page_and_when_it_was_made(exports):
    for ws in _book(exports["open"]):
        assert ws.oddFooter.left.text == "【&A】"
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert ws.oddFooter.right.text.startswith(f"制表时间：{_today()}")


def test_each_level_and_the_assessment_end_with_a_total_row(exports):
    wb = _book(exports["2024"])
    for name in (*LEVEL_SHEETS, "特派员考核"):
        *_, total = _table(wb[name])
        assert total[0] == "合计"
    headers, *villages, total = _table(wb["村"])
    trainees = headers.index("培训人次")
    assert total[trainees] == sum(row[trainees] for row in villages) == 1234
    assert total[headers.index("是否已服务")] == "1 / 1,897"


def test_the_assessment_total_sums_the_counts_and_leaves_the_average_empty(exports):
    headers, *_, total = _table(_book(exports["2024"])["特派员考核"])
    assert total[headers.index("培训人次")] == 1234
    assert total[headers.index("选派人次")] == 1
    assert total[headers.index("平均评分")] is None


def test_counts_carry_thousands_separators(exports):
    ws = _book(exports["2024"])["县区"]
    formats = {cell.number_format for row in ws.iter_rows(min_row=4, min_col=3, max_col=8) for cell in row}
    assert formats == {"#,##0"}


def test_columns_are_wide_enough_for_the_longest_name(exports):
    wb = _book(exports["open"])
    # Widths are in characters; a Chinese character takes two.
    assert wb["村"].column_dimensions["B"].width >= 2 * len("华润百色希望小镇社区居委会")
    assert wb["县区"].column_dimensions["B"].width >= 2 * len("隆林各族自治县")
    assert wb["乡镇"].column_dimensions["B"].width >= 2 * len("足别瑶族苗族乡")
    assert wb["村"].column_dimensions["A"].width >= len(V1)


def test_township_and_village_rows_carry_their_county_and_township_names(exports):
    wb = _book(exports["open"])
    headers, *townships = _table(wb["乡镇"])
    assert headers[:3] == ("区划代码", "乡镇", "所属县区")
    assert dict((r[0], r[1:3]) for r in townships)["451002001"] == ("百城街道", "右江区")
    headers, *villages = _table(wb["村"])
    assert headers[:4] == ("区划代码", "村（社区）", "所属县区", "所属乡镇")
    assert dict((r[0], r[1:4]) for r in villages)[V1] == ("百胜社区居委会", "右江区", "百城街道")


def test_the_assessment_names_the_county_beside_its_code(exports):
    headers, *people = _table(_book(exports["open"])["特派员考核"])
    assert headers[:4] == ("特派员编号", "姓名", "县区代码", "所属县区")
    person = exports["person"].pk
    assert [r[:4] for r in people if r[0] == person] == [(person, "韦特派", "451002", "右江区")]


def test_a_long_name_wraps_in_a_column_of_at_most_40_characters(exports):
    ws = _book(exports["open"])["特派员考核"]
    assert ws.column_dimensions["B"].width == 40
    [cell] = [row[1] for row in ws.iter_rows(min_row=4) if row[1].value == LONG_NAME]
    assert cell.alignment.wrap_text
    assert ws.row_dimensions[cell.row].height == 3 * 15  # 100 characters wide, 38 to a line


NOW = datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI)


def test_an_open_end_is_today_in_shanghai():
    period = report_period(Window(date(2024, 1, 1), None), now=NOW.astimezone(ZoneInfo("UTC")))
    assert (period.start, period.end) == (date(2024, 1, 1), date(2026, 11, 30))


def test_an_open_end_after_a_start_in_the_future_is_that_start():
    period = report_period(Window(date(2030, 1, 1), None), now=NOW)
    assert (period.start, period.end) == (date(2030, 1, 1), date(2030, 1, 1))


def test_an_open_start_is_the_plans_first_day_unless_the_end_comes_before_it():
    targets_seed()
    assert report_period(Window(None, date(2024, 6, 30)), now=NOW).start == date(2021, 1, 1)
    assert report_period(Window(None, date(2020, 6, 30)), now=NOW).start == date(2020, 6, 30)
