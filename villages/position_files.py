"""Reading a file of surveyed positions: CSV, Excel or GeoJSON, into rows the import judges one by one.

Only the file's shape is checked here (a readable file, the columns it needs, not too many rows); each
row's values are judged in `villages/services.py: positions_import`, so one bad row never sinks the file.
Row numbers are the ones a person sees: a sheet's row (the header is row 1, so data start at 2), or a
GeoJSON feature's place in the collection (from 1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from core.errors import Invalid, TooLarge
from core.sheets import Unreadable, csv_table, xlsx_table

# A city has ~2,000 villages and townships, a province ~20,000: room for a province in one file.
MAX_ROWS = 50_000
MAX_BYTES = 8 * 1024 * 1024

# The headers a county's sheet may use for each column (compared stripped and lower-cased).
HEADERS = {
    "code": ("区划代码", "统计用区划代码", "代码", "code", "adcode"),
    "lat": ("lat", "纬度", "latitude"),
    "lng": ("lng", "lon", "经度", "longitude"),
    "crs": ("crs", "坐标系", "datum"),
    "accuracy_m": ("accuracy_m", "精度", "精度(米)", "精度（米）", "accuracy"),
}
REQUIRED = ("code", "lat", "lng")


@dataclass(frozen=True)
class PositionRow:
    row: int
    code: str
    lat: Any
    lng: Any
    crs: str
    accuracy_m: Any


def positions_from_upload(upload: UploadedFile) -> list[PositionRow]:
    """Every data row of an uploaded positions file; 422 (or 413) for a file that cannot be read at all."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise TooLarge(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooLarge(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    name = (upload.name or "").lower()
    if data.startswith(b"PK") or name.endswith(".xlsx"):
        rows = _sheet_rows(_xlsx_table(data))
    elif name.endswith((".geojson", ".json")) or data.lstrip()[:1] == b"{":
        rows = _geojson_rows(data)
    else:
        rows = _sheet_rows(_csv_table(data))
    if not rows:
        raise Invalid(_("The file has no rows."), fields={"file": _("no data rows")})
    if len(rows) > MAX_ROWS:
        raise Invalid(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS},
                      fields={"file": _("too many rows")})
    return rows


def _unreadable() -> Invalid:
    return Invalid(_("The file is not a CSV, Excel (.xlsx) or GeoJSON file that can be read."),
                   fields={"file": _("expected .csv, .xlsx or .geojson")})


def _csv_table(data: bytes) -> list[list[Any]]:
    try:
        return [row for row in csv_table(data) if any(cell.strip() for cell in row)]
    except Unreadable as exc:
        raise _unreadable() from exc


def _xlsx_table(data: bytes) -> list[list[Any]]:
    try:
        return xlsx_table(data, max_rows=MAX_ROWS, skip_blank=True)
    except Unreadable as exc:
        raise _unreadable() from exc


def _column_map(header: list[Any]) -> dict[str, int]:
    names = [str(h or "").strip().lower() for h in header]
    found = {}
    for key, aliases in HEADERS.items():
        for i, name in enumerate(names):
            if name in aliases:
                found[key] = i
                break
    missing = [HEADERS[k][0] for k in REQUIRED if k not in found]
    if missing:
        raise Invalid(_("The first row must name the columns 区划代码, lat and lng (missing: %(missing)s).")
                      % {"missing": ", ".join(missing)}, fields={"file": _("missing columns")})
    return found


def code_text(value: Any) -> str:
    """A statistical code as typed: Excel keeps a 12-digit code as a number (451002001001.0)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet_rows(table: list[list[Any]]) -> list[PositionRow]:
    if not table:
        return []
    columns = _column_map(table[0])

    def cell(values: list[Any], key: str) -> Any:
        i = columns.get(key)
        value = values[i] if i is not None and i < len(values) else None
        return value.strip() if isinstance(value, str) else value

    return [
        PositionRow(row=n, code=code_text(cell(values, "code")), lat=cell(values, "lat"), lng=cell(values, "lng"),
                    crs=str(cell(values, "crs") or "").strip().lower(), accuracy_m=cell(values, "accuracy_m"))
        for n, values in enumerate(table[1 : MAX_ROWS + 2], start=2)
    ]


def _geojson_rows(data: bytes) -> list[PositionRow]:
    try:
        collection = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _unreadable() from exc
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" \
            or not isinstance(collection.get("features"), list):
        raise Invalid(_("A GeoJSON file must be a FeatureCollection of Points."),
                      fields={"file": _("expected a FeatureCollection")})
    rows = []
    for n, feature in enumerate(collection["features"][: MAX_ROWS + 1], start=1):
        feature = feature if isinstance(feature, dict) else {}
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        geometry = feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {}
        coords = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        # RFC 7946 orders a position [longitude, latitude]; anything else is left for the row check.
        lng, lat = (coords[0], coords[1]) if isinstance(coords, list) and len(coords) >= 2 else (None, None)
        code = props.get("code", props.get("区划代码"))
        rows.append(PositionRow(row=n, code=code_text(code), lat=lat, lng=lng,
                                crs=str(props.get("crs") or "").strip().lower(),
                                accuracy_m=props.get("accuracy_m")))
    return rows
