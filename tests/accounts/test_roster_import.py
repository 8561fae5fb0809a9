"""Importing a county's roster (contract v1.1 `POST /users/import`): dry run, per-row results, all or
nothing, idempotent, and the template to fill in."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from accounts.models import AuditEvent, User
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory

pytestmark = pytest.mark.django_db

HEADER = ["手机号", "姓名", "角色", "区划代码", "专长"]
GOOD = [
    ["13700000001", "韦一", "科技特派员", "451002", "tea、sugarcane"],
    ["13700000002", "黄二", "township_staff", "451002001", ""],
]
BAD = [
    ["12345", "坏号码", "科技特派员", "451002", ""],                  # row 4: phone
    ["13700000003", "", "科技特派员", "451002", ""],                   # row 5: name
    ["13700000004", "王四", "村长", "451002", ""],                     # row 6: role
    ["13700000005", "王五", "乡镇工作人员", "451002", ""],             # row 7: level
    ["13700000006", "王六", "科技特派员", "451002", "占星"],           # row 8: expertise
    ["13700000001", "重复", "科技特派员", "451002", ""],               # row 9: duplicate of row 2
]


def xlsx(rows, header=HEADER) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("roster.xlsx", out.getvalue())


def csv_file(rows, encoding="utf-8-sig", header=HEADER) -> SimpleUploadedFile:
    text = "\n".join(",".join(f'"{c}"' for c in row) for row in [header, *rows]) + "\n"
    return SimpleUploadedFile("roster.csv", text.encode(encoding))


def upload(api, user, file, dry_run=False):
    path = "/users/import?dry_run=1" if dry_run else "/users/import"
    return api.as_user(user).upload(path, {"file": file})


def test_a_dry_run_answers_each_row_and_writes_nothing(api):
    response = upload(api, CountyStaffFactory(), xlsx(GOOD + BAD), dry_run=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["invalid"]) == (2, 0, 6)
    assert [r["status"] for r in body["rows"]] == ["created", "created"] + ["invalid"] * 6
    assert not User.objects.filter(phone__startswith="137000000").exists()
    assert all(r.get("temporary_password") is None for r in body["rows"])


def test_each_invalid_row_names_the_column_and_the_reason(api):
    body = upload(api, BureauFactory(), xlsx(GOOD + BAD), dry_run=True).json()
    errors = {r["row"]: r["errors"] for r in body["rows"] if r["status"] == "invalid"}
    assert set(errors[4]) == {"phone"}
    assert set(errors[5]) == {"name"}
    assert set(errors[6]) == {"role"}
    assert set(errors[7]) == {"area_code"}
    assert set(errors[8]) == {"expertise"}
    assert set(errors[9]) == {"phone"} and "2" in errors[9]["phone"]


def test_a_real_import_stores_the_valid_rows_and_reports_the_rest(api):
    body = upload(api, CountyStaffFactory(), xlsx(GOOD + BAD)).json()
    assert (body["created"], body["updated"], body["invalid"]) == (2, 0, 6)
    commissioner = User.objects.get(phone="13700000001")
    assert (commissioner.name, commissioner.role, commissioner.area_id) == ("韦一", "commissioner", "451002")
    assert sorted(commissioner.commissioner.expertise.values_list("code", flat=True)) == ["sugarcane", "tea"]
    staff = User.objects.get(phone="13700000002")
    assert (staff.role, staff.area_id) == ("township_staff", "451002001")
    assert not User.objects.filter(phone__in=["13700000003", "13700000004", "13700000005", "13700000006"]).exists()


def test_created_people_log_in_with_their_temporary_password_and_must_change_it(api):
    body = upload(api, CountyStaffFactory(), xlsx(GOOD)).json()
    row = body["rows"][0]
    login = api.anonymous().post("/auth/token", {"phone": row["phone"], "password": row["temporary_password"]})
    assert login.status_code == 200
    assert login.json()["user"]["password_change_required"] is True


def test_importing_the_same_sheet_twice_creates_no_one_the_second_time(api):
    staff = CountyStaffFactory()
    upload(api, staff, xlsx(GOOD + BAD))
    before = User.objects.count()
    body = upload(api, staff, xlsx(GOOD + BAD)).json()
    assert (body["created"], body["updated"], body["invalid"]) == (0, 2, 6)
    assert all(r["changed"] == [] for r in body["rows"] if r["status"] == "updated")
    assert User.objects.count() == before


def test_a_second_import_does_not_reset_passwords(api):
    staff = CountyStaffFactory()
    first = upload(api, staff, xlsx(GOOD)).json()["rows"][0]["temporary_password"]
    upload(api, staff, xlsx(GOOD))
    assert User.objects.get(phone="13700000001").check_password(first)


def test_a_row_for_an_existing_person_updates_their_name_area_and_expertise(api):
    person = CommissionerFactory(phone="13700000001", name="旧名", area_id="451002")
    rows = [["13700000001", "新名", "科技特派员", "451002001", "tea"]]
    body = upload(api, CountyStaffFactory(), xlsx(rows)).json()
    assert body["rows"][0]["status"] == "updated"
    assert body["rows"][0]["changed"] == ["name", "area_code", "expertise"]
    person.refresh_from_db()
    assert (person.name, person.area_id) == ("新名", "451002001")
    assert list(person.commissioner.expertise.values_list("code", flat=True)) == ["tea"]


def test_a_row_never_changes_an_existing_persons_role(api):
    CountyStaffFactory(phone="13700000001")
    body = upload(api, BureauFactory(), xlsx([["13700000001", "韦一", "科技特派员", "451002", ""]])).json()
    assert body["rows"][0]["status"] == "invalid" and "role" in body["rows"][0]["errors"]
    assert User.objects.get(phone="13700000001").role == "county_staff"


def test_county_staff_cannot_import_people_of_another_county(api):
    rows = [["13700000001", "韦一", "科技特派员", "451003", ""], ["13700000002", "黄二", "市科技局", "451000", ""]]
    body = upload(api, CountyStaffFactory(), xlsx(rows)).json()
    assert body["invalid"] == 2
    assert not User.objects.filter(phone__in=["13700000001", "13700000002"]).exists()


def test_county_staff_cannot_rename_someone_of_another_county_through_a_sheet(api):
    CommissionerFactory(phone="13700000001", name="别县的人", area_id="451003")
    body = upload(api, CountyStaffFactory(), xlsx([["13700000001", "改名", "科技特派员", "451002", ""]])).json()
    assert body["rows"][0]["status"] == "invalid"
    assert User.objects.get(phone="13700000001").name == "别县的人"


def test_nothing_is_half_written_when_a_write_fails(api):
    staff = CountyStaffFactory()
    # The last write: the apps keeping records of people (a commissioner's profile) change theirs.
    with mock.patch("accounts.hooks.people_changed", side_effect=RuntimeError("boom")):
        response = upload(api, staff, xlsx(GOOD))
    assert response.status_code == 500
    assert not User.objects.filter(phone__startswith="137000000").exists()


def test_a_phone_taken_between_check_and_write_is_a_conflict_with_nothing_written(api):
    from accounts import roster

    real_check = roster.roster_check

    def check_then_race(actor, rows):
        results = real_check(actor, rows)
        CommissionerFactory(phone="13700000002")  # someone else's POST /users, in between
        return results

    with mock.patch.object(roster, "roster_check", check_then_race):
        response = upload(api, BureauFactory(), xlsx(GOOD))
    assert response.status_code == 409 and error_code(response) == "import_conflict"
    assert not User.objects.filter(phone="13700000001").exists()


def test_a_csv_in_gbk_from_chinese_excel_is_read(api):
    body = upload(api, BureauFactory(), csv_file(GOOD, encoding="gb18030"), dry_run=True).json()
    assert body["created"] == 2


def test_a_utf8_csv_with_a_bom_is_read(api):
    body = upload(api, BureauFactory(), csv_file(GOOD), dry_run=True).json()
    assert body["created"] == 2


def test_phones_and_codes_typed_as_numbers_in_excel_are_read(api):
    rows = [[13700000001, "韦一", "科技特派员", 451002, "茶叶"]]
    body = upload(api, BureauFactory(), xlsx(rows), dry_run=True).json()
    assert body["rows"][0]["status"] == "created", body


def test_expertise_takes_names_and_codes_separated_by_commas_or_dunhao(api):
    rows = [["13700000001", "韦一", "科技特派员", "451002", "茶叶, sugarcane"]]
    upload(api, BureauFactory(), xlsx(rows))
    codes = User.objects.get(phone="13700000001").commissioner.expertise.values_list("code", flat=True)
    assert sorted(codes) == ["sugarcane", "tea"]


def test_a_sheet_without_the_required_columns_is_422_naming_the_file(api):
    response = upload(api, BureauFactory(), xlsx(GOOD, header=["电话", "名字", "角色", "区划代码", "专长"]))
    assert response.status_code == 422
    assert "file" in response.json()["error"]["fields"]


def test_a_file_that_is_not_a_sheet_is_422(api):
    response = upload(api, BureauFactory(), SimpleUploadedFile("roster.xlsx", b"PK\x03\x04 not really a zip"))
    assert response.status_code == 422 and error_code(response) == "invalid"


def test_names_typed_in_a_sheet_are_bounded_like_any_other(api):
    rows = [["13700000001", "王\u202e五", "科技特派员", "451002", ""],
            ["13700000002", "长" * 51, "科技特派员", "451002", ""]]
    body = upload(api, BureauFactory(), xlsx(rows), dry_run=True).json()
    assert [set(r["errors"]) for r in body["rows"]] == [{"name"}, {"name"}]


@pytest.mark.parametrize("factory", [TownshipStaffFactory, CommissionerFactory])
def test_other_roles_may_not_import(api, factory):
    response = upload(api, factory(), xlsx(GOOD))
    assert response.status_code == 403
    assert not User.objects.filter(phone__startswith="137000000").exists()


def test_a_real_import_is_in_the_audit_trail(api):
    staff = CountyStaffFactory()
    upload(api, staff, xlsx(GOOD + BAD))
    event = AuditEvent.objects.get(subject="users.import")
    assert event.actor == staff
    assert (event.detail["created"], event.detail["invalid"]) == (2, 6)


def test_the_template_has_the_columns_and_names_the_roles(api):
    response = api.as_user(CountyStaffFactory()).get("/users/import/template.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook.worksheets[0][1]] == HEADER
    guide = [row[0] for row in workbook["说明"].iter_rows(values_only=True)]
    assert {"科技特派员", "乡镇工作人员", "县级科技部门", "市科技局"} <= set(guide)


def test_the_filled_in_template_imports(api):
    staff = CountyStaffFactory()
    template = api.as_user(staff).get("/users/import/template.xlsx").content
    body = upload(api, staff, SimpleUploadedFile("模板.xlsx", template), dry_run=True).json()
    assert body["invalid"] == 0 and body["created"] == 2, body
