"""A county's roster in one go: people imported from the Excel sheet (or CSV) the county already keeps.

Columns 手机号, 姓名, 角色, 区划代码, 专长 (contract v1.1, `POST /users/import`). Every row is checked
first, all rows with a few queries in all (areas, categories, existing people); then the valid rows are
written in one transaction, or none of them. The phone is the key: a row whose phone exists updates that
person (name, area, expertise), so importing the same sheet twice creates no one the second time.
A row never changes a person's role, password or whether they may log in: those are decisions made
one person at a time (`PATCH /users/{id}`, reset-password, the admin).

Created people get a temporary password each, answered once in the import's result, that they must
change at their first login (`password_change_required`).
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.errors import Invalid
from core.sheets import Unreadable, csv_table, text_or_value, xlsx_table

from . import hooks
from .errors import ImportForbidden, ImportRaced
from .hooks import PersonWrite
from .models import PHONE_REGEX, Role, User
from .names import NameInvalid, person_name_clean
from .scoping import ROLE_AREA_LEVEL, area_contains, may_create_user
from .services import temporary_password, temporary_password_hash

# A county's roster is a few hundred rows; the city's whole programme a few thousand. Beyond that it is
# not a roster, and one request should not hold a transaction that long.
MAX_ROWS = 5_000
MAX_BYTES = 2 * 1024 * 1024

# Sheet header → field. The Chinese headers are the template's; the English ones are accepted too.
COLUMNS = {"手机号": "phone", "姓名": "name", "角色": "role", "区划代码": "area_code", "专长": "expertise"}
_ALIASES = {"phone": "phone", "name": "name", "role": "role", "area_code": "area_code", "expertise": "expertise",
            "手机": "phone", "手机号码": "phone", "行政区划代码": "area_code", "统计用区划代码": "area_code"}
REQUIRED = ("phone", "name", "role", "area_code")
_EXPERTISE_SEPARATORS = (",", "，", "、", ";", "；")

ROLE_BY_LABEL = {**{value: value for value in Role.values}, **{str(label): value for value, label in Role.choices}}


@dataclass
class RowResult:
    row: int
    status: str  # created | updated | invalid
    phone: str | None = None
    errors: dict[str, str] | None = None
    changed: list[str] | None = None
    temporary_password: str | None = None
    # What to write, for a valid row.
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    user: User | None = field(default=None, repr=False)

    def out(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"row": self.row, "status": self.status, "phone": self.phone}
        if self.errors:
            answer["errors"] = self.errors
        if self.changed is not None:
            answer["changed"] = self.changed
        if self.temporary_password:
            answer["temporary_password"] = self.temporary_password
        return answer


def _cell_text(value: Any) -> str:
    """A cell as the text a person typed: Excel stores 13800000001 as a number, sometimes a float; full-width
    digits and spaces from a Chinese input method become plain ones (NFKC)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def _file_invalid(message: str) -> Invalid:
    return Invalid(message, fields={"file": message})


_CSV_UNREADABLE = {
    "nul": _("The CSV file is not text."),
    "encoding": _("The CSV file is neither UTF-8 nor GBK text."),
}


def _read_xlsx(data: bytes) -> list[list[Any]]:
    try:
        return xlsx_table(data, max_rows=MAX_ROWS)
    except Unreadable as exc:
        raise _file_invalid(_("The file is not a readable .xlsx workbook.")) from exc


def _read_csv(data: bytes) -> list[list[Any]]:
    try:
        return csv_table(data)
    except Unreadable as exc:
        raise _file_invalid(_CSV_UNREADABLE.get(exc.reason, _("The CSV file is not text."))) from exc


def roster_read(upload: UploadedFile) -> list[tuple[int, dict[str, str]]]:
    """The sheet's rows as (row number, {field: text}), blank rows skipped; the header is row 1."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise _file_invalid(_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    data = upload.read(MAX_BYTES + 1)
    name = (upload.name or "").lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        table = _read_xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt") or not name:
        table = _read_csv(data)
    else:
        raise _file_invalid(_("Send a .xlsx or .csv file."))
    if not table:
        raise _file_invalid(_("The file is empty."))
    header = [_cell_text(v) for v in table[0]]
    columns: dict[int, str] = {}
    for index, title in enumerate(header):
        key = COLUMNS.get(title) or _ALIASES.get(title.lower())
        if key and key not in columns.values():
            columns[index] = key
    missing = [title for title, key in COLUMNS.items() if key in REQUIRED and key not in columns.values()]
    if missing:
        raise _file_invalid(_("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})
    if len(table) - 1 > MAX_ROWS:
        raise _file_invalid(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    rows = []
    for number, values in enumerate(table[1:], start=2):
        record = {key: _cell_text(values[index]) if index < len(values) else "" for index, key in columns.items()}
        if any(record.values()):
            rows.append((number, record))
    return rows


def _expertise_codes(text: str, categories: dict[str, str]) -> tuple[list[str], list[str]]:
    """(codes, unknown words) for a 专长 cell: codes or names, separated by `,` or `、`."""
    for separator in _EXPERTISE_SEPARATORS[1:]:
        text = text.replace(separator, ",")
    words = [w.strip() for w in text.split(",") if w.strip()]
    codes, unknown = [], []
    for word in words:
        code = categories.get(word) or categories.get(word.lower())
        (codes if code else unknown).append(code or word)
    return list(dict.fromkeys(codes)), unknown


def roster_check(actor: User, rows: list[tuple[int, dict[str, str]]]) -> list[RowResult]:
    """Judge every row (nothing written): four queries whatever the number of rows."""
    if actor.role not in (Role.COUNTY_STAFF, Role.BUREAU):
        raise ImportForbidden()
    phone_pattern = re.compile(PHONE_REGEX)
    areas = hooks.areas_by_code({r["area_code"] for _n, r in rows})
    categories: dict[str, str] = {}
    for code, name, name_en in hooks.categories():
        categories.update({code: code, name: code})
        if name_en:
            categories[name_en.lower()] = code
    phones = {r["phone"] for _n, r in rows}
    existing = {u.phone: u for u in User.objects.filter(phone__in=phones).select_related("area")}
    expertise_now = hooks.expertise_of([u.pk for u in existing.values() if u.role == Role.COMMISSIONER])

    results: list[RowResult] = []
    first_row_of: dict[str, int] = {}
    for number, record in rows:
        errors: dict[str, str] = {}
        phone = record.get("phone", "")
        if not phone_pattern.match(phone):
            errors["phone"] = _("not an 11-digit mainland mobile number")
        elif phone in first_row_of:
            errors["phone"] = _("repeats row %(row)d") % {"row": first_row_of[phone]}
        else:
            first_row_of[phone] = number
        try:
            name = person_name_clean(record.get("name", ""))
        except NameInvalid as exc:
            errors["name"] = str(exc)
            name = ""
        role = ROLE_BY_LABEL.get(record.get("role", ""))
        if role is None:
            errors["role"] = _("one of %(values)s") % {"values": "、".join(str(label) for label in Role.labels)}
        area = areas.get(record.get("area_code", ""))
        if area is None:
            errors["area_code"] = _("unknown area code")
        elif role and ROLE_AREA_LEVEL.get(role) and area.level != ROLE_AREA_LEVEL[role]:
            errors["area_code"] = _("must be a %(level)s code for role %(role)s") % {
                "level": ROLE_AREA_LEVEL[role], "role": role}
        codes, unknown = _expertise_codes(record.get("expertise", ""), categories)
        if unknown:
            errors["expertise"] = _("unknown: %(words)s") % {"words": "、".join(unknown)}
        elif codes and role and role != Role.COMMISSIONER:
            errors["expertise"] = _("commissioners only")

        user = existing.get(phone)
        if not errors:
            if user is None:
                if not may_create_user(actor, role, area):
                    errors["area_code"] = _("outside your area")
            elif user.role != role:
                errors["role"] = _("this phone belongs to a %(role)s; change a role one person at a time") % {
                    "role": user.get_role_display()}
            elif (user.is_superuser and not actor.is_superuser) or not area_contains(actor.area, user.area):
                errors["phone"] = _("this phone belongs to a person outside your area")
            elif area.code != user.area_id and not may_create_user(actor, role, area):
                errors["area_code"] = _("outside your area")
        if errors:
            results.append(RowResult(row=number, status="invalid", phone=phone or None, errors=errors))
            continue
        data = {"phone": phone, "name": name, "role": role, "area": area, "expertise": codes}
        if user is None:
            results.append(RowResult(row=number, status="created", phone=phone, data=data))
            continue
        changed = []
        if name != user.name:
            changed.append("name")
        if area.code != user.area_id:
            changed.append("area_code")
        # An empty 专长 cell leaves a commissioner's expertise as it is: a roster often leaves it blank.
        if codes and set(codes) != set(expertise_now.get(user.pk, [])):
            changed.append("expertise")
        results.append(RowResult(row=number, status="updated", phone=phone, changed=changed, data=data, user=user))
    return results


def roster_write(results: list[RowResult]) -> None:
    """Store the valid rows of a checked roster, all or none. Passwords are hashed before the transaction
    opens (it is the slow part), so the transaction holds its locks for the writes only. The apps that
    keep records of people (a commissioner's profile) add or change theirs in the same transaction."""
    creates = [r for r in results if r.status == "created"]
    updates = [r for r in results if r.status == "updated" and r.changed]
    for result in creates:
        result.temporary_password = temporary_password()
        result.data["password"] = temporary_password_hash(result.temporary_password)
    try:
        with transaction.atomic():
            User.objects.bulk_create([
                User(phone=r.data["phone"], name=r.data["name"], role=r.data["role"], area=r.data["area"],
                     password=r.data["password"], password_change_required=True) for r in creates
            ])
            created = {u.phone: u for u in User.objects.filter(phone__in=[r.phone for r in creates])}
            hooks.people_created([PersonWrite(created[r.phone], r.data["expertise"]) for r in creates])
            changed = []
            for result in updates:
                user = User.objects.select_for_update().get(pk=result.user.pk)
                user.name, user.area = result.data["name"], result.data["area"]
                user.save(update_fields=["name", "area"])
                expertise = result.data["expertise"] if "expertise" in result.changed else None
                changed.append(PersonWrite(user, expertise))
            hooks.people_changed(changed)
    except IntegrityError as exc:  # a concurrent import or POST /users took one of these phones
        for result in creates:
            result.temporary_password = None
        raise ImportRaced() from exc


def roster_import(*, actor: User, upload: UploadedFile, dry_run: bool) -> dict[str, Any]:
    """Check a roster and, unless ``dry_run``, store its valid rows. The answer counts and lists every row."""
    results = roster_check(actor, roster_read(upload))
    if not dry_run:
        roster_write(results)
    counts = {status: sum(1 for r in results if r.status == status) for status in ("created", "updated", "invalid")}
    return {"dry_run": dry_run, **counts, "rows": [r.out() for r in results]}


TEMPLATE_EXAMPLES = [
    ["13800000001", "张三", "科技特派员", "451002", "果树、茶叶"],
    ["13800000002", "李四", "乡镇工作人员", "451002001", ""],
]


def roster_template() -> bytes:
    """The sheet to fill in: the columns, two example rows, and a second sheet naming the roles and
    expertise a cell may hold. Codes and phones are text cells, so Excel keeps their leading digits."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "人员"
    sheet.append([text_or_value(sheet, title) for title in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in TEMPLATE_EXAMPLES:
        sheet.append([text_or_value(sheet, value) for value in example])
    for column, width in zip("ABCDE", (16, 12, 16, 16, 30), strict=True):
        sheet.column_dimensions[column].width = width
        for row in range(2, 1002):
            sheet[f"{column}{row}"].number_format = "@"
    guide = workbook.create_sheet("说明")
    guide.append([text_or_value(guide, "角色"), text_or_value(guide, "代码")])
    for value, label in Role.choices:
        guide.append([text_or_value(guide, str(label)), text_or_value(guide, value)])
    guide.append([])
    guide.append([text_or_value(guide, "专长"), text_or_value(guide, "代码")])
    for code, name, _name_en in hooks.categories():
        guide.append([text_or_value(guide, name), text_or_value(guide, code)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
