"""Results data (KPIs) from a CSV or Excel table, as raw document entries.

Two layouts are read, with headings in Chinese or English:

- long, as ``qkit.analytics.kpi_values_frame`` and the Excel export write it:
  one row per KPI, series and year (条款, 指标, 单位, 方向, 数据系列, 年份, 数值);
- wide, as people usually keep them: one row per KPI and series, one column
  per year (2021, 2022年, …).

A 目标值/target column is optional in both. Cells are kept as written when
they are not numbers, so the document check names the cell and nothing typed
is silently dropped.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import PurePath
from typing import Any

from ..errors import Problem, QkitError
from ..i18n import LABELS, fmt_bytes, tr
from .session import parse_number, parse_year

# Upload limits: a real KPI table has tens of rows and is a few KB (the shipped samples' largest is under
# 10 KB as CSV); these leave room for far more and refuse a file built to exhaust the server.
MAX_UPLOAD = 2 * 1024 * 1024  # bytes of the uploaded file
MAX_UNPACKED = 20 * 1024 * 1024  # bytes an .xlsx (a zip) may unpack to
MAX_ROWS = 5000

COLUMNS = ("clause", "kpi", "unit", "better", "series", "year", "value", "target")
REQUIRED = ("clause", "kpi")
BETTER_WORDS = {"higher": "higher", "lower": "lower"} | {
    word: key for key in ("higher", "lower") for word in (*LABELS["better_" + key], key)
}


def read_kpis(filename: str, content: bytes) -> list[dict[str, Any]]:
    """The KPIs of an uploaded .csv or .xlsx file, merged by clause and name."""
    rows = _table(filename, content)
    header_at = next((i for i, row in enumerate(rows) if _columns(row)[0].keys() >= set(REQUIRED)), None)
    if header_at is None:
        allowed = [tr("col_" + c, "zh") for c in REQUIRED]
        raise QkitError(Problem(filename, "import_columns", params={"allowed": allowed}))
    columns, years = _columns(rows[header_at])
    kpis: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows[header_at + 1:]:
        cell = lambda name: _cell(row, columns.get(name))  # noqa: E731
        clause, name = _text(cell("clause")), _text(cell("kpi"))
        if not clause and not name:
            continue
        kpi = kpis.setdefault((clause, name), {"clause": clause, "name": name})
        for key, column in (("unit", "unit"), ("better", "better")):
            if _text(cell(column)):
                text = _text(cell(column))
                kpi[key] = BETTER_WORDS.get(text, text) if key == "better" else text
        if cell("target") not in (None, ""):
            kpi["target"] = _number(cell("target"))
        series = _text(cell("series"))
        own = not series or series in LABELS["own_series"]
        points = kpi.setdefault("values", {}) if own else kpi.setdefault("comparisons", {}).setdefault(series, {})
        if "year" in columns:
            if cell("year") not in (None, "") and cell("value") not in (None, ""):
                points[parse_year(_text(cell("year")))] = _number(cell("value"))
        else:
            for year, index in years.items():
                if _cell(row, index) not in (None, ""):
                    points[year] = _number(_cell(row, index))
    return list(kpis.values())


def _table(filename: str, content: bytes) -> list[list[Any]]:
    suffix = PurePath(filename).suffix.lower()
    if len(content) > MAX_UPLOAD:
        raise QkitError(Problem(filename, "import_too_big", params={"size": fmt_bytes(len(content)),
                                                                    "limit": fmt_bytes(MAX_UPLOAD)}))
    try:
        if suffix == ".xlsx":
            return _xlsx_rows(content, filename)
        if suffix == ".csv":
            return _limited(csv.reader(io.StringIO(_decode(content))), filename)
    except QkitError:
        raise
    except Exception as exc:  # any unreadable upload is the user's file, never a crash of the form
        raise QkitError(Problem(filename, "import_unreadable", params={"detail": str(exc) or type(exc).__name__})) from None
    raise QkitError(Problem(filename, "import_type", params={"allowed": [".csv", ".xlsx"]}))


def _xlsx_rows(content: bytes, filename: str) -> list[list[Any]]:
    """The first sheet that has KPI headings (the Excel export keeps them on a later sheet)."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(content)) as archive:  # sizes as the zip declares them, nothing unpacked yet
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_UNPACKED:
        raise QkitError(Problem(filename, "import_too_big", params={"size": fmt_bytes(unpacked),
                                                                    "limit": fmt_bytes(MAX_UNPACKED)}))
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    sheets = [_limited(sheet.iter_rows(values_only=True), filename) for sheet in book.worksheets]
    for rows in sheets:
        if any(_columns(row)[0].keys() >= set(REQUIRED) for row in rows[:10]):
            return rows
    return sheets[0] if sheets else []


def _limited(rows, filename: str) -> list[list[Any]]:
    """At most MAX_ROWS rows, read one by one: a longer table is refused before it is all in memory."""
    out = []
    for row in rows:
        if len(out) == MAX_ROWS:
            raise QkitError(Problem(filename, "import_rows", params={"limit": f"{MAX_ROWS:,}"}))
        out.append(list(row))
    return out


def _decode(content: bytes) -> str:
    """UTF-8, or GB18030 as Excel in Chinese saves CSV files."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def _columns(row: list[Any]) -> tuple[dict[str, int], dict[int, int]]:
    """Known headings by column position, and the year headings of a wide table."""
    names = {word.strip().lower(): key for key in COLUMNS for word in LABELS["col_" + key]}
    names.update({key: key for key in COLUMNS} | {"name": "kpi"})
    columns, years = {}, {}
    for index, heading in enumerate(row):
        text = _text(heading).lower()
        if text in names:
            columns.setdefault(names[text], index)
        elif isinstance(year := parse_year(text), int) and 1900 <= year <= 2100:
            years[year] = index
    return columns, years


def _cell(row: list[Any], index: int | None) -> Any:
    return row[index] if index is not None and index < len(row) else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return parse_number(_text(value))
