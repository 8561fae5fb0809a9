"""Writing what people typed into spreadsheets as text, never as something a spreadsheet runs.

openpyxl turns any str starting with "=" into a formula, so a commissioner named
`=HYPERLINK("http://…","点此")` would become a live link (or `=1+1` a 2) in the bureau's workbook.
Every workbook writer builds its cells through `text_or_value`; a CSV writer passes each field
through `csv_field`.
"""

from __future__ import annotations

from typing import Any

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
