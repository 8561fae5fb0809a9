"""The bureau's Excel workbook: the same figures as the API, one sheet per level, Chinese headers."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.periods import SHANGHAI
from core.sheets import text_or_value
from villages.models import Area

from .selectors import Window, commissioner_assessment, coverage, targets_progress

COVERAGE_COLUMNS = (
    ("code", "区划代码"), ("name", "名称"), ("checkins", "有效签到次数"), ("dispatches", "选派人次"),
    ("trainings", "培训场次"), ("trainees", "培训人次"), ("problems_open", "待解决问题"),
    ("problems_resolved", "已解决问题"), ("served", "是否已服务"),
)
ASSESSMENT_COLUMNS = (
    ("commissioner_id", "特派员编号"), ("name", "姓名"), ("county_code", "所属县区代码"), ("service_days", "服务天数"),
    ("dispatches", "选派人次"), ("trainings", "培训场次"), ("trainees", "培训人次"), ("problems_claimed", "揭榜数"),
    ("problems_resolved", "解决问题数"), ("average_rating", "平均评分"), ("flagged_checkins", "存疑签到数"),
)
LEVEL_SHEETS = (("county", "县区"), ("township", "乡镇"), ("village", "村"))


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    ws.append([text_or_value(ws, h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([text_or_value(ws, v) for v in row])
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(header) * 2 + 2)
    ws.freeze_panes = "A2"


def workbook(*, window: Window, within: Area) -> bytes:
    wb = Workbook()
    info = wb.active
    info.title = "说明"
    generated = datetime.now(tz=SHANGHAI).strftime("%Y-%m-%d %H:%M")
    for row in (["百色市科技特派员工作统计"], ["范围", f"{within.name}（{within.code}）"],
                ["统计区间（北京时间）", f"{window.start or '开始'} 至 {window.end or '至今'}"],
                ["生成时间（北京时间）", generated],
                ["说明", "乡镇、村的位置与乡镇范围为推算值（无公开测绘数据），待实测数据替换。"]):
        info.append([text_or_value(info, v) for v in row])

    targets = targets_progress()
    target_headers = ["代码", "名称", "单位", "目标值", "已完成", "完成率%", "起始日期", "截止日期",
                      "按当前进度预计", "预计完成率%"]
    _sheet(wb, "目标", target_headers,
           [[t["code"], t["name"], t["unit"], t["target"], t["achieved"], t["percent"],
             t["period_start"].isoformat(), t["period_end"].isoformat(), t["projection"]["projected"],
             t["projection"]["projected_percent"]] for t in targets])
    for level, title in LEVEL_SHEETS:
        rows = coverage(level=level, window=window, within=within)
        cells = [[("是" if r[k] else "否") if k == "served" else r[k] for k, _ in COVERAGE_COLUMNS] for r in rows]
        _sheet(wb, title, [h for _, h in COVERAGE_COLUMNS], cells)
    people = commissioner_assessment(window=window, within=within)
    cells = [[r[k] for k, _ in ASSESSMENT_COLUMNS] for r in people]
    _sheet(wb, "特派员考核", [h for _, h in ASSESSMENT_COLUMNS], cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
