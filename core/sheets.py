"""Spreadsheets in and out: reading an uploaded CSV or Excel table, and writing what people typed as
text, never as something a spreadsheet runs.

openpyxl turns any str starting with "=" into a formula, so a commissioner named
`=HYPERLINK("http://…","点此")` would become a live link (or `=1+1` a 2) in the bureau's workbook.
Every workbook writer builds its cells through `text_or_value`; a CSV writer passes each field
through `csv_field`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

# OWASP "CSV injection": a field a spreadsheet would read as a formula starts with one of these.
CSV_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def text_or_value(ws: Worksheet, value: Any) -> Cell:
    """A cell for ``ws``: a str is stored as a string cell, exactly as typed; anything else as itself."""
    cell = Cell(ws, value=value)
    if isinstance(value, str):
        # Setting the value already chose "f" for a leading "="; a string cell keeps the text as it was
        # typed (no added quote) and Excel and LibreOffice show it, and never evaluate it.
        cell.data_type = "s"
    return cell


def csv_field(value: Any) -> Any:
    """A CSV field a spreadsheet opening the file will not evaluate: OWASP's rule, a leading quote."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_LEADS):
        return "'" + value
    return value


class Unreadable(ValueError):
    """The bytes are not a table of the kind asked for; ``reason`` says why (``encoding``, ``nul``, ``csv``,
    ``xlsx``), for the caller's own message."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def csv_table(data: bytes) -> list[list[str]]:
    """An uploaded CSV's rows, blank ones included (row numbers are the sheet's). Excel on a Chinese
    Windows saves "CSV" in GB18030 (GBK); everything else sends UTF-8, often with a BOM."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost any byte string
        raise Unreadable("encoding")
    if "\x00" in text:
        raise Unreadable("nul")
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise Unreadable("csv") from exc


def xlsx_table(data: bytes, *, max_rows: int, skip_blank: bool = False) -> list[list[Any]]:
    """The first sheet's rows (values, not formulas); reading stops once more than ``max_rows`` rows
    follow the header, so a huge sheet costs no more than the caller would accept."""
    # A damaged or hostile file makes openpyxl raise a zoo of errors (BadZipFile, KeyError, XML errors):
    # each is the sender's mistake.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise Unreadable("xlsx") from exc
    try:
        rows = []
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            if skip_blank and all(v in (None, "") for v in values):
                continue
            rows.append(list(values))
            if len(rows) > max_rows + 1:
                break
        return rows
    except Exception as exc:
        raise Unreadable("xlsx") from exc
    finally:
        workbook.close()
