"""Spreadsheet renderers for list endpoints: `?format=csv` and `?format=xlsx`.

A row per object, a column per field (nested objects as `parent.child`, lists joined with
"; "), in the order the serializer gives them.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from rest_framework.renderers import BaseRenderer

SPREADSHEET_FORMATS = ("csv", "xlsx")


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, list):
            out[name] = "; ".join(str(v) for v in value)
        else:
            out[name] = value
    return out


def table(data: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and rows of a list response (paginated or not) or of one object."""
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    rows = [_flat(r) for r in (data if isinstance(data, list) else [data])]
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    return header, rows


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):  # type: ignore[no-untyped-def]
        header, rows = table(data)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        # With a byte-order mark, Excel opens the file as UTF-8 (names with diacritics).
        return ("\ufeff" + out.getvalue()).encode("utf-8")


class XLSXRenderer(BaseRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):  # type: ignore[no-untyped-def]
        header, rows = table(data)
        book = Workbook()
        sheet = book.active
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(name) for name in header])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
