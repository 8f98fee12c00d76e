"""Reading a day's bookings from a CSV or Excel file (``wartemarke appointments import`` and the
admin's upload).

The first row names the columns, in German or English, in any order: ``Datum``/``day``,
``Uhrzeit``/``time``, ``Dienst``/``service`` (its number, letter or name), optionally
``Buchungscode``/``code`` (made up when empty) and ``Name``/``name``. CSV may be separated by
``;`` or ``,``, in UTF-8 (with or without BOM) or Windows-1252 as Excel writes it. Dates as
``2026-03-30`` or ``30.03.2026``; times as ``09:20`` or ``9.20``; Excel's own date and time cells
are understood too. Rows are numbered as the spreadsheet shows them (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

from .domain.model import Invalid

COLUMNS = {
    "day": ("day", "date", "datum", "tag"),
    "slot": ("time", "slot", "uhrzeit", "zeit", "termin"),
    "service": ("service", "dienst", "anliegen", "dienstleistung"),
    "code": ("code", "buchungscode", "booking code", "buchungsnummer"),
    "name": ("name", "nachname"),
}
MAX_ROWS = 5000


def _day(value) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return text  # checked (and reported with its line) when booking


def _slot(value) -> str:
    if isinstance(value, datetime):
        value = value.time()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    text = str(value or "").strip().replace(".", ":")
    if len(text) == 4 and text[1] == ":":
        text = "0" + text
    return text


def _header(cells: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = str(cell or "").strip().casefold()
        for key, names in COLUMNS.items():
            if name in names and key not in found:
                found[key] = index
    missing = [k for k in ("day", "slot", "service") if k not in found]
    if missing:
        raise Invalid(
            "The first row must name the columns Datum, Uhrzeit and Dienst "
            f"(missing: {', '.join(missing)}).",
            field="file",
        )
    return found


def _rows(table: list[list]) -> list[tuple[int, dict]]:
    if not table:
        raise Invalid("The file is empty.", field="file")
    header = _header(table[0])
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(str(c or "").strip() for c in cells):
            continue  # blank lines are no bookings

        def cell(key, cells=cells):
            index = header.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        rows.append(
            (
                line,
                {
                    "day": _day(cell("day")),
                    "slot": _slot(cell("slot")),
                    "service": cell("service"),
                    "code": str(cell("code") or "").strip() or None,
                    "name": str(cell("name") or "").strip() or None,
                },
            )
        )
    if len(rows) > MAX_ROWS:
        raise Invalid(f"More than {MAX_ROWS} bookings in one file.", field="file")
    return rows


def read_csv(data: bytes) -> list[tuple[int, dict]]:
    text = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:  # neither: Latin-1 reads any byte, and a wrong letter shows in a row
        text = data.decode("latin-1")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return _rows(list(csv.reader(io.StringIO(text), delimiter=delimiter)))


def read_xlsx(data: bytes) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any reason: it is no Excel file we can read
        raise Invalid("The file is not an Excel workbook (.xlsx).", field="file") from None
    sheet = book.worksheets[0]
    return _rows([list(row) for row in sheet.iter_rows(values_only=True)])


def read_bookings(data: bytes, filename: str) -> list[tuple[int, dict]]:
    """(line, fields) for every booking of a .csv or .xlsx file."""
    name = filename.lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        return read_xlsx(data)
    if name.endswith((".csv", ".txt")) or not name:
        return read_csv(data)
    raise Invalid("Give a .csv or .xlsx file.", field="file")
