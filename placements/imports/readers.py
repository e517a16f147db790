"""Spreadsheets → rows of text cells, numbered as the user sees them (header is row 1).

CSV (UTF-8, with or without BOM; comma, semicolon or tab separated) and XLSX (first sheet,
header row first). Every cell comes out as a stripped string, so the importers parse one
format whatever the source: Excel's numbers and dates are turned into the text a user
would have typed (`3511`, `24.5`, `2026-09-07`).

No Django imports here: this is pure parsing, testable alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

XLSX_MAGIC = b"PK\x03\x04"
# The old binary Excel format (.xls) starts with an OLE2 header; openpyxl cannot read it.
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class Row:
    number: int  # as in the spreadsheet: the header is row 1, the first data row is row 2
    values: dict[str, str]


@dataclass(frozen=True)
class FileProblem:
    """A problem with the file as a whole, or with its header row."""

    code: str
    message: str
    column: str | None = None


@dataclass
class Sheet:
    """The header (normalised column names, in file order) and the non-empty data rows."""

    columns: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


class FileRejected(Exception):
    """The file cannot be read at all (format, encoding, size, row limit)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_column(name: str) -> str:
    """`Home postcode ` / `home-postcode` / `HOME_POSTCODE` → `home_postcode`."""
    name = name.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", name)


def cell_text(value: object) -> str:
    """One cell (from CSV or openpyxl) as the text a user would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        # Excel stores dates as datetimes at midnight.
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # repr gives the shortest text that reads back as the same float (24.5, not 24.499…).
        return format(Decimal(repr(value)), "f")
    return str(value).strip()


def read_file(
    data: bytes, filename: str = "", *, max_rows: int, max_bytes: int | None = None
) -> Sheet:
    """Read an uploaded CSV or XLSX. Raises FileRejected when nothing can be read."""
    if max_bytes is not None and len(data) > max_bytes:
        raise FileRejected(
            "too_large", f"The file is larger than {max_bytes // 1024} KB; split it into parts."
        )
    if not data.strip():
        raise FileRejected("empty_file", "The file is empty.")
    name = filename.lower()
    if data.startswith(XLS_MAGIC) or name.endswith(".xls"):
        raise FileRejected(
            "unsupported_format",
            "Old Excel files (.xls) are not supported; save the sheet as .xlsx or as CSV UTF-8.",
        )
    if data.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return _sheet(_xlsx_records(data), max_rows)
    return _sheet(_csv_records(data), max_rows)


def _csv_records(data: bytes) -> Iterator[list[object]]:
    try:
        # utf-8-sig drops the byte order mark Excel writes in front of "CSV UTF-8" files.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            "bad_encoding",
            "The file is not UTF-8 text. In Excel choose 'Save as' → 'CSV UTF-8', or upload "
            "the .xlsx file itself.",
        ) from exc
    first_line = text.split("\n", 1)[0]
    # Dutch Excel writes semicolons, most other tools commas; the header row tells which.
    delimiter = max((";", ",", "\t"), key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise FileRejected("unreadable_file", f"The CSV file cannot be read: {exc}.") from exc


def _xlsx_records(data: bytes) -> Iterator[list[object]]:
    import openpyxl  # imported here: CSV imports should not pay for it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise FileRejected("unreadable_file", "The file is not a readable .xlsx workbook.") from exc
    try:
        if not workbook.worksheets:
            raise FileRejected("empty_file", "The workbook has no sheets.")
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()


def _sheet(records: Iterator[list[object]], max_rows: int) -> Sheet:
    sheet = Sheet()
    header: list[str] | None = None
    nameless: dict[int, int] = {}  # column index → first row with a value under it
    for number, record in enumerate(records, start=1):
        cells = [cell_text(value) for value in record]
        if header is None:
            if not any(cells):
                raise FileRejected(
                    "missing_header", "Row 1 must be the header row with the column names."
                )
            header = _header(cells, sheet)
            continue
        if not any(cells):
            continue  # blank lines (often at the end of a sheet) are not rows
        if len(sheet.rows) >= max_rows:
            raise FileRejected(
                "too_many_rows",
                f"The file has more than {max_rows} rows; split it into parts of at most "
                f"{max_rows} rows.",
            )
        values: dict[str, str] = {}
        for index, text in enumerate(cells):
            column = header[index] if index < len(header) else ""
            if column:
                values.setdefault(column, text)
            elif text:
                nameless.setdefault(index, number)
        sheet.rows.append(Row(number=number, values=values))
    if header is None:
        raise FileRejected("empty_file", "The file is empty.")
    # Each nameless column is reported once, however many rows use it.
    for index, first_row in sorted(nameless.items()):
        sheet.problems.append(
            FileProblem(
                "missing_header",
                f"Column {index + 1} has values (first in row {first_row}) but no name in the "
                "header row.",
            )
        )
    return sheet


def _header(cells: list[str], sheet: Sheet) -> list[str]:
    header = [normalise_column(cell) for cell in cells]
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            sheet.problems.append(
                FileProblem("duplicate_column", f"Column '{column}' appears twice.", column)
            )
        seen.add(column)
    sheet.columns = [c for c in dict.fromkeys(header) if c]
    return header
