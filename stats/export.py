"""The bureau's Excel workbook: the same figures as the API, one sheet per level, Chinese headers,
ready to print.

An official prints it, so every sheet carries its own print setup: A4 landscape, fitted to one page
wide (columns never split across pages), the header row repeated on every page, a title with the
period and the time it was made, a page footer naming the sheet and the page, a total row, thousands
separators and column widths measured from the text. Names stand beside codes. Every cell is built by
`core.sheets.text_or_value`, so what people typed stays text (no formula, not even in the totals:
those are computed here and written as values).
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.db.models import Min
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from accounts.scoping import area_q
from core.periods import SHANGHAI
from core.sheets import text_or_value
from villages.models import Area, AreaLevel, Category

from .models import Target
from .selectors import (
    Window,
    commissioner_assessment,
    coverage,
    dispatches_by_programme,
    targets_progress,
    trainings_by_mode,
)
from .teams import team_figures


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    # text | count (summed, #,##0) | distinct (#,##0, not summed: one person may be in two rows)
    # | decimal (0.00, not summed) | flag (是/否, served counted)
    kind: str = "text"


COUNTS = (
    Column("checkins", "有效签到次数", "count"), Column("dispatches", "选派人次", "count"),
    Column("trainings", "培训场次", "count"), Column("trainees", "培训人次", "count"),
    Column("problems_open", "待解决问题", "count"), Column("problems_resolved", "已解决问题", "count"),
    Column("served", "是否已服务", "flag"),
)
LEVEL_COLUMNS = {
    AreaLevel.COUNTY: (Column("code", "区划代码"), Column("name", "县区"), *COUNTS),
    AreaLevel.TOWNSHIP: (Column("code", "区划代码"), Column("name", "乡镇"), Column("county_name", "所属县区"),
                         *COUNTS),
    AreaLevel.VILLAGE: (Column("code", "区划代码"), Column("name", "村（社区）"), Column("county_name", "所属县区"),
                        Column("township_name", "所属乡镇"), *COUNTS),
}
LEVEL_SHEETS = ((AreaLevel.COUNTY, "县区"), (AreaLevel.TOWNSHIP, "乡镇"), (AreaLevel.VILLAGE, "村"))
ASSESSMENT_COLUMNS = (
    Column("commissioner_id", "特派员编号"), Column("name", "姓名"), Column("county_code", "县区代码"),
    Column("county_name", "所属县区"), Column("service_days", "服务天数", "count"),
    Column("dispatches", "选派人次", "count"), Column("dispatches_commissioner", "其中：科技特派员", "count"),
    Column("dispatches_three_regions", "其中：“三区”人才", "count"),
    Column("dispatches_legal_entity", "其中：法人科技特派员", "count"), Column("sending_units", "派出单位"),
    Column("trainings", "培训场次", "count"),
    Column("trainees", "培训人次", "count"), Column("problems_claimed", "揭榜数", "count"),
    Column("problems_resolved", "解决问题数", "count"), Column("average_rating", "平均评分", "decimal"),
    Column("flagged_checkins", "存疑签到数", "count"), Column("teams", "所在团队数", "count"),
    Column("team_problems_resolved", "团队解决问题数（他人揭榜）", "count"),
)
TEAM_COLUMNS = (
    Column("id", "团队编号"), Column("name", "团队名称"), Column("county_name", "所属县区"),
    Column("industry_name", "产业"), Column("members", "成员数", "count"),
    Column("service_days", "服务天数", "count"), Column("trainings", "培训场次", "count"),
    Column("trainees", "培训人次", "count"), Column("problems_resolved", "解决问题数", "count"),
    Column("rating_avg", "平均评分", "decimal"),
)
TARGET_COLUMNS = (
    Column("name", "目标"), Column("unit", "单位"), Column("target", "目标值", "count"),
    Column("achieved", "已完成", "count"), Column("percent", "完成率%", "decimal"),
    Column("period_start", "起始日期"), Column("period_end", "截止日期"),
    Column("projected", "按当前进度预计", "count"), Column("projected_percent", "预计完成率%", "decimal"),
    Column("baseline_value", "基线", "count"), Column("baseline_label", "基线时期"),
    Column("code", "代码"),
)
MODE_COLUMNS = (
    Column("name", "培训方式"), Column("trainings", "培训场次", "count"), Column("trainees", "培训人次", "count"),
    Column("households", "培训户数", "count"), Column("households_recorded", "填报户数的场次", "count"),
    Column("mode", "代码"),
)
PROGRAMME_COLUMNS = (
    Column("name", "选派类别"), Column("dispatches", "选派人次", "count"), Column("people", "人数", "distinct"),
    Column("sending_units", "派出单位数", "distinct"), Column("programme", "代码"),
)
NUMBER_FORMATS = {"count": "#,##0", "distinct": "#,##0", "decimal": "#,##0.00"}
TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 1, 2, 3
WIDEST = 40  # characters; a longer text wraps rather than widening the page
LINE_HEIGHT = 15  # points, one line of the default 11-point font
THIN = Side(style="thin", color="999999")


@dataclass(frozen=True)
class Period:
    """The days a workbook counts, both ends real dates (Asia/Shanghai), and when it was made."""

    start: date
    end: date
    made: datetime

    @property
    def window(self) -> Window:
        return Window(self.start, self.end)

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


def report_period(window: Window, *, now: datetime | None = None) -> Period:
    """The asked window with open ends closed: from the plan's start (the earliest target's first day)
    to today in Shanghai. The title and the file name then say which days were counted, and the
    figures are counted over exactly those days."""
    made = (now or datetime.now(tz=SHANGHAI)).astimezone(SHANGHAI)
    end = window.end or max(made.date(), window.start or made.date())
    plan_start = Target.objects.aggregate(first=Min("period_start"))["first"] or end
    start = window.start or min(plan_start, end)
    return Period(start, end, made)


def report_title(within: Area) -> str:
    return f"{within.name}科技特派员统计"


def content_disposition(within: Area, period: Period) -> str:
    """An attachment header with the Chinese name (RFC 5987 `filename*`) and an ASCII `filename` for
    clients that do not read it."""
    days = f"{period.start.isoformat()}-{period.end.isoformat()}"
    fallback = f"baise-kjtpy-{within.code}-{days}.xlsx"
    name = f"{report_title(within)}-{days}.xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _display_width(value: Any, kind: str) -> int:
    """Characters a value takes on screen: CJK counts two, numbers as formatted (thousands separators)."""
    if value is None:
        return 0
    if kind in ("count", "distinct") and isinstance(value, int):
        return len(f"{value:,}")
    if kind == "decimal" and isinstance(value, int | float):
        return len(f"{value:,.2f}")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def _print_setup(ws: Worksheet, *, title: str, period: Period, last_column: str, header_row: int | None) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    # One page wide, as many pages tall as the rows need.
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_options.horizontalCentered = True
    ws.print_options.gridLines = True
    ws.print_area = f"A1:{last_column}{ws.max_row}"
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"
    made = period.made.strftime("%Y-%m-%d %H:%M")
    # "&" starts a code in a page header ("&P" is the page number); a name's own "&" is doubled.
    ws.oddHeader.center.text = f"{title.replace('&', '&&')}　统计区间：{period.label}"
    ws.oddHeader.center.size = 10
    # The sheet's name in brackets on every page: a reader (and the print test) can tell the sheets apart.
    ws.oddFooter.left.text = "【&A】"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.right.text = f"制表时间：{made}（北京时间）"
    for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
        part.size = 9


def _sheet(wb: Workbook, name: str, columns: tuple[Column, ...], rows: list[dict[str, Any]], *,
           title: str, period: Period, total: bool = True) -> Worksheet:
    ws = wb.create_sheet(name)
    last = get_column_letter(len(columns))
    made = period.made.strftime("%Y-%m-%d %H:%M")
    ws.append([text_or_value(ws, f"{title}——{name}")])
    ws.append([text_or_value(ws, f"统计区间：{period.label}（北京时间）　制表时间：{made}")])
    ws.append([text_or_value(ws, c.header) for c in columns])
    for row in rows:
        ws.append([text_or_value(ws, ("是" if row[c.key] else "否") if c.kind == "flag" else row[c.key])
                   for c in columns])
    if total:
        ws.append([text_or_value(ws, v) for v in _total_row(columns, rows)])
    ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    ws.merge_cells(f"A{SUBTITLE_ROW}:{last}{SUBTITLE_ROW}")
    ws[f"A{TITLE_ROW}"].font = Font(bold=True, size=14)
    ws[f"A{TITLE_ROW}"].alignment = Alignment(horizontal="center")
    ws[f"A{SUBTITLE_ROW}"].alignment = Alignment(horizontal="center")
    for cell in ws[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=THIN, top=THIN)
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        if column.kind in NUMBER_FORMATS:
            for (cell,) in ws.iter_rows(min_row=HEADER_ROW + 1, min_col=i, max_col=i):
                cell.number_format = NUMBER_FORMATS[column.kind]
        elif column.kind == "flag":
            for (cell,) in ws.iter_rows(min_row=HEADER_ROW + 1, min_col=i, max_col=i):
                cell.alignment = Alignment(horizontal="center")
        widths = [_display_width(column.header, "text") + 1]  # bold headers are a little wider
        widths += [_display_width(row[column.key], column.kind) for row in rows]
        ws.column_dimensions[letter].width = min(max(widths) + 2, WIDEST)
        if max(widths) + 2 > WIDEST:
            for n, (cell,) in enumerate(ws.iter_rows(min_row=HEADER_ROW + 1, min_col=i, max_col=i)):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                # Spreadsheets keep a row's height as written: a wrapped text needs its lines said.
                lines = -(-widths[n + 1] // (WIDEST - 2)) if n < len(rows) else 1
                if lines > 1:
                    height = ws.row_dimensions[cell.row].height or 0
                    ws.row_dimensions[cell.row].height = max(height, LINE_HEIGHT * lines)
    if total:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
            cell.border = Border(top=THIN)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + len(rows)}"
    _print_setup(ws, title=title, period=period, last_column=last, header_row=HEADER_ROW)
    return ws


def _total_row(columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> list[Any]:
    """合计: counts summed, areas served counted; codes, names and averages left empty."""
    out: list[Any] = []
    for i, column in enumerate(columns):
        if i == 0:
            out.append("合计")
        elif column.kind == "count":
            out.append(sum(row[column.key] or 0 for row in rows))
        elif column.kind == "flag":
            out.append(f"{sum(1 for row in rows if row[column.key]):,} / {len(rows):,}")
        else:
            out.append(None)
    return out


def _area_names(within: Area) -> dict[str, str]:
    """County and township names by code, inside ``within``: the names the sheets set beside codes."""
    return dict(Area.objects.filter(area_q(within, ""), level__in=(AreaLevel.COUNTY, AreaLevel.TOWNSHIP))
                .values_list("code", "name"))


def _info_sheet(wb: Workbook, *, title: str, within: Area, period: Period) -> None:
    info = wb.active
    info.title = "说明"
    made = period.made.strftime("%Y-%m-%d %H:%M")
    lines = [
        [title, None],
        ["范围", f"{within.name}（{within.code}）"],
        ["统计区间（北京时间）", period.label],
        ["制表时间（北京时间）", made],
        ["各表", "目标；县区、乡镇、村的覆盖情况（末行为合计）；培训方式；选派类别；特派员考核（末行为合计）"],
        ["说明", "乡镇、村的位置与乡镇范围为推算值（无公开测绘数据），待实测数据替换。"],
    ]
    for row in lines:
        info.append([text_or_value(info, v) for v in row])
    info.merge_cells("A1:B1")
    info["A1"].font = Font(bold=True, size=14)
    for (cell,) in info.iter_rows(min_row=2, max_col=1):
        cell.font = Font(bold=True)
    for (cell,) in info.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 80
    _print_setup(info, title=title, period=period, last_column="B", header_row=None)


def workbook(*, period: Period, within: Area) -> bytes:
    title = report_title(within)
    wb = Workbook()
    _info_sheet(wb, title=title, within=within, period=period)

    targets = [{**t, "period_start": t["period_start"].isoformat(), "period_end": t["period_end"].isoformat(),
                "projected": t["projection"]["projected"],
                "projected_percent": t["projection"]["projected_percent"],
                "baseline_value": t["baseline"]["value"] if t["baseline"] else None,
                "baseline_label": t["baseline"]["period_label"] if t["baseline"] else ""}
               for t in targets_progress(within=within)]
    # Targets have different units: a sum across them would mean nothing.
    _sheet(wb, "目标", TARGET_COLUMNS, targets, title=title, period=period, total=False)

    names = _area_names(within)
    for level, sheet in LEVEL_SHEETS:
        rows = coverage(level=level, window=period.window, within=within)
        for row in rows:
            row["county_name"] = names.get(row["code"][:6], "")
            row["township_name"] = names.get(row["code"][:9], "")
        _sheet(wb, sheet, LEVEL_COLUMNS[level], rows, title=title, period=period)

    _sheet(wb, "培训方式", MODE_COLUMNS, trainings_by_mode(window=period.window, within=within),
           title=title, period=period)
    # 人数 and 派出单位数 are not summed: one person (or unit) may have gone under two programmes.
    _sheet(wb, "选派类别", PROGRAMME_COLUMNS, dispatches_by_programme(window=period.window, within=within),
           title=title, period=period)

    people = commissioner_assessment(window=period.window, within=within)
    for row in people:
        row["county_name"] = names.get(row["county_code"], "")
        row["sending_units"] = "、".join(row["sending_units"])
    _sheet(wb, "特派员考核", ASSESSMENT_COLUMNS, people, title=title, period=period)

    teams = team_figures(within=within, start=period.start, end=period.end)
    industries = dict(Category.objects.values_list("code", "name"))
    for row in teams:
        row["county_name"] = names.get(row["county_code"], "") or row["county_code"]
        row["industry_name"] = industries.get(row["industry"], row["industry"])
    _sheet(wb, "共享团队", TEAM_COLUMNS, teams, title=title, period=period)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
