"""Surveyed positions: set on site from a phone, or imported from a county's file (CSV, Excel, GeoJSON)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from geo.datums import from_wgs84, wgs84_to_gcj02
from tests.client import error_code
from tests.factories import BureauFactory, CommissionerFactory, CountyStaffFactory, TownshipStaffFactory
from villages.models import Area, AreaPositionChange

pytestmark = pytest.mark.django_db

VILLAGE = "451002001001"  # 百胜社区居委会, 百城街道, 右江区: downtown Baise
OTHER_TOWNSHIP_VILLAGE = "451002002001"  # 右江区, another township
OTHER_COUNTY_VILLAGE = "451003100001"  # 田阳区
DOWNTOWN = (23.903877, 106.614819)  # 右江区's seat (WGS-84), where 百城街道 really is
CSV_HEADER = "区划代码,lat,lng,crs\n"


def put(api, user, code=VILLAGE, **body):
    return api.as_user(user).client.put(f"/api/v1/areas/{code}/position", json.dumps(body),
                                        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api.token}")


def csv_file(text: str, encoding: str = "utf-8", name: str = "positions.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def import_file(api, user, upload, **query):
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return api.as_user(user).upload(f"/areas/positions/import{'?' + suffix if suffix else ''}", {"file": upload})


def near(code: str, km_north: float = 0.3) -> tuple[float, float]:
    area = Area.objects.get(code=code)
    return round(area.lat + km_north / 111.2, 6), area.lng


# On site, from a phone ----------------------------------------------------------------------------


def test_township_staff_survey_a_village_of_their_township_on_site(api):
    staff = TownshipStaffFactory()
    response = put(api, staff, lat=DOWNTOWN[0], lng=DOWNTOWN[1], accuracy_m=12.5)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["position_source"], body["lat"], body["lng"], body["position_accuracy_m"]) == (
        "surveyed", DOWNTOWN[0], DOWNTOWN[1], 12.5)
    village = Area.objects.get(code=VILLAGE)
    assert (village.position_source, village.lat, village.lng) == ("surveyed", DOWNTOWN[0], DOWNTOWN[1])
    assert abs(village.position_updated_at - timezone.now()) < timedelta(minutes=1)


def test_setting_a_position_leaves_a_trail_of_who_from_where_and_how(api):
    staff = TownshipStaffFactory()
    before = Area.objects.get(code=VILLAGE)
    put(api, staff, lat=DOWNTOWN[0], lng=DOWNTOWN[1], accuracy_m=8)
    change = AreaPositionChange.objects.get(area_id=VILLAGE)
    assert (change.actor_id, change.via, change.from_source, change.from_lat, change.from_lng) == (
        staff.pk, "phone", "generated", before.lat, before.lng)
    assert (change.lat, change.lng, change.accuracy_m, change.crs) == (DOWNTOWN[0], DOWNTOWN[1], 8, "wgs84")


def test_a_phone_position_in_gcj02_is_stored_in_wgs84(api):
    lat, lng = wgs84_to_gcj02(*DOWNTOWN)
    response = put(api, TownshipStaffFactory(), lat=lat, lng=lng, crs="gcj02")
    assert response.status_code == 200
    assert response.json()["crs"] == "gcj02"
    village = Area.objects.get(code=VILLAGE)
    assert village.lat == pytest.approx(DOWNTOWN[0], abs=1e-6)
    assert village.lng == pytest.approx(DOWNTOWN[1], abs=1e-6)


def test_setting_the_same_position_again_leaves_one_trail_row(api):
    staff = TownshipStaffFactory()
    put(api, staff, lat=DOWNTOWN[0], lng=DOWNTOWN[1], accuracy_m=10)
    again = put(api, staff, lat=DOWNTOWN[0], lng=DOWNTOWN[1], accuracy_m=10)
    assert again.status_code == 200
    assert AreaPositionChange.objects.filter(area_id=VILLAGE).count() == 1


def test_township_staff_cannot_set_another_townships_village(api):
    response = put(api, TownshipStaffFactory(), code=OTHER_TOWNSHIP_VILLAGE, lat=DOWNTOWN[0], lng=DOWNTOWN[1])
    assert response.status_code == 403
    assert error_code(response) == "outside_scope"
    assert Area.objects.get(code=OTHER_TOWNSHIP_VILLAGE).position_source == "generated"


def test_township_staff_cannot_move_their_township_itself(api):
    response = put(api, TownshipStaffFactory(), code="451002001", lat=DOWNTOWN[0], lng=DOWNTOWN[1])
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


def test_a_commissioner_cannot_set_a_position(api):
    response = put(api, CommissionerFactory(), lat=DOWNTOWN[0], lng=DOWNTOWN[1])
    assert response.status_code == 403


def test_county_staff_set_a_township_of_their_county(api):
    response = put(api, CountyStaffFactory(), code="451002001", lat=DOWNTOWN[0], lng=DOWNTOWN[1])
    assert response.status_code == 200
    assert Area.objects.get(code="451002001").position_source == "surveyed"


def test_a_county_position_is_not_set_this_way(api):
    response = put(api, BureauFactory(), code="451002", lat=DOWNTOWN[0], lng=DOWNTOWN[1])
    assert response.status_code == 422
    assert "code" in response.json()["error"]["fields"]


def test_a_position_far_outside_the_county_is_refused_naming_lat(api):
    # lat and lng swapped is the classic slip; here simply 2° north of Baise
    response = put(api, TownshipStaffFactory(), lat=DOWNTOWN[0] + 2, lng=DOWNTOWN[1])
    assert response.status_code == 422
    assert error_code(response) == "invalid"
    assert "lat" in response.json()["error"]["fields"]
    assert Area.objects.get(code=VILLAGE).position_source == "generated"


def test_an_accuracy_worse_than_a_survey_is_refused(api):
    response = put(api, TownshipStaffFactory(), lat=DOWNTOWN[0], lng=DOWNTOWN[1], accuracy_m=2000)
    assert response.status_code == 422
    assert "accuracy_m" in response.json()["error"]["fields"]


# From a county's file -----------------------------------------------------------------------------


def _mixed_csv() -> str:
    a, b = near(VILLAGE), near("451002001002")
    return (CSV_HEADER
            + f"{VILLAGE},{a[0]},{a[1]},wgs84\n"          # row 2: good
            + f"451002001002,{b[0]},{b[1]},\n"             # row 3: good, crs defaults to the file's
            + "451002001999,23.9,106.6,wgs84\n"            # row 4: no such area
            + f"{VILLAGE},{a[0]},{a[1]},wgs84\n"          # row 5: repeats row 2
            + "451002001003,north,106.6,wgs84\n"           # row 6: lat not a number
            + f"451002001004,{b[0]},{b[1]},mars\n")        # row 7: unknown datum


def test_a_dry_run_answers_every_row_and_writes_nothing(api):
    response = import_file(api, BureauFactory(), csv_file(_mixed_csv()), dry_run=1)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"], body["invalid"], body["dry_run"]) == (0, 2, 0, 4, True)
    assert [(r["row"], r["status"]) for r in body["rows"]] == [
        (2, "updated"), (3, "updated"), (4, "invalid"), (5, "invalid"), (6, "invalid"), (7, "invalid")]
    errors = {r["row"]: r["errors"] for r in body["rows"] if r["errors"]}
    assert set(errors[4]) == {"code"} and set(errors[5]) == {"code"}
    assert set(errors[6]) == {"lat"} and set(errors[7]) == {"crs"}
    assert not Area.objects.filter(position_source="surveyed").exists()
    assert not AreaPositionChange.objects.exists()


def test_an_import_stores_the_valid_rows_and_reports_the_invalid_ones(api):
    sent = {VILLAGE: near(VILLAGE), "451002001002": near("451002001002")}
    body = import_file(api, BureauFactory(), csv_file(_mixed_csv())).json()
    assert (body["updated"], body["invalid"], body["dry_run"]) == (2, 4, False)
    surveyed = {a.code: (a.lat, a.lng) for a in Area.objects.filter(position_source="surveyed")}
    assert surveyed == sent
    assert AreaPositionChange.objects.filter(via="import").count() == 2


def test_importing_the_same_sheet_again_changes_nothing(api):
    bureau = BureauFactory()
    text = _mixed_csv()
    import_file(api, bureau, csv_file(text))
    again = import_file(api, bureau, csv_file(text)).json()
    assert (again["updated"], again["unchanged"], again["invalid"]) == (0, 2, 4)
    assert AreaPositionChange.objects.count() == 2


def test_an_excel_sheet_with_codes_kept_as_numbers_imports(api):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["区划代码", "纬度", "经度", "精度"])
    lat, lng = near(VILLAGE)
    sheet.append([int(VILLAGE), lat, lng, 6.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("点位.xlsx", buffer.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    body = import_file(api, BureauFactory(), upload).json()
    assert body["rows"] == [{"row": 2, "code": VILLAGE, "status": "updated", "errors": None}]
    village = Area.objects.get(code=VILLAGE)
    assert (village.lat, village.lng, village.position_accuracy_m) == (lat, lng, 6.5)


def test_a_geojson_collection_of_points_imports_in_its_datum(api):
    lat, lng = near(VILLAGE)
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [g_lng, g_lat]},
         "properties": {"code": VILLAGE, "crs": "gcj02"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[106, 23], [106.1, 23.1]]},
         "properties": {"code": "451002001002"}},
    ]}
    upload = SimpleUploadedFile("villages.geojson", json.dumps(collection).encode(),
                                content_type="application/geo+json")
    body = import_file(api, BureauFactory(), upload).json()
    assert [(r["row"], r["status"]) for r in body["rows"]] == [(1, "updated"), (2, "invalid")]
    village = Area.objects.get(code=VILLAGE)
    assert village.lat == pytest.approx(lat, abs=1e-6) and village.lng == pytest.approx(lng, abs=1e-6)


def test_a_csv_saved_by_excel_in_gb18030_imports(api):
    lat, lng = near(VILLAGE)
    upload = csv_file(f"区划代码,纬度,经度\n{VILLAGE},{lat},{lng}\n", encoding="gb18030")
    body = import_file(api, BureauFactory(), upload).json()
    assert body["updated"] == 1


def test_the_files_datum_applies_to_rows_that_name_none(api):
    lat, lng = near(VILLAGE)
    b_lat, b_lng = from_wgs84(lat, lng, "bd09")
    import_file(api, BureauFactory(), csv_file(f"区划代码,lat,lng\n{VILLAGE},{b_lat},{b_lng}\n"), crs="bd09")
    village = Area.objects.get(code=VILLAGE)
    assert village.lat == pytest.approx(lat, abs=1e-6)


def test_county_staff_rows_outside_their_county_are_invalid(api):
    a, b = near(VILLAGE), near(OTHER_COUNTY_VILLAGE)
    text = CSV_HEADER + f"{VILLAGE},{a[0]},{a[1]},\n{OTHER_COUNTY_VILLAGE},{b[0]},{b[1]},\n"
    body = import_file(api, CountyStaffFactory(), csv_file(text)).json()
    assert [(r["row"], r["status"]) for r in body["rows"]] == [(2, "updated"), (3, "invalid")]
    assert Area.objects.get(code=OTHER_COUNTY_VILLAGE).position_source == "generated"


def test_township_staff_do_not_import_files(api):
    response = import_file(api, TownshipStaffFactory(), csv_file(CSV_HEADER + f"{VILLAGE},23.9,106.6,\n"))
    assert response.status_code == 403


def test_a_file_without_the_columns_is_refused(api):
    response = import_file(api, BureauFactory(), csv_file("名称,经度\n百胜,106.6\n"))
    assert response.status_code == 422
    assert "file" in response.json()["error"]["fields"]


def test_a_file_that_is_no_table_is_refused(api):
    upload = SimpleUploadedFile("positions.xlsx", b"PK\x03\x04 not really a workbook", content_type="application/zip")
    response = import_file(api, BureauFactory(), upload)
    assert response.status_code == 422
    assert error_code(response) == "invalid"


def test_a_refused_row_says_why_in_chinese_by_default_and_in_english_when_asked(api):
    text = CSV_HEADER + "451002001999,23.9,106.6,\n"
    chinese = import_file(api, BureauFactory(), csv_file(text)).json()["rows"][0]["errors"]
    english = api.client.post("/api/v1/areas/positions/import", {"file": csv_file(text)},
                              HTTP_AUTHORIZATION=f"Bearer {api.token}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert chinese == {"code": "没有该区划代码"}
    assert english["rows"][0]["errors"] == {"code": "no area with this code"}
