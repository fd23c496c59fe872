"""Results data (KPIs) from a CSV or Excel table, as raw document entries.

Two layouts are read, with headings in Chinese or English:

- long, as ``qkit.analytics.kpi_values_frame`` and the Excel export write it:
  one row per KPI, series and year (条款, 指标, 单位, 方向, 数据系列, 年份, 数值);
- wide, as people usually keep them: one row per KPI and series, one column
  per year (2021, 2022年, …).

A 目标值/target column is optional in both. Cells are kept as written when
they are not numbers, so the document check names the cell and nothing typed
is silently dropped.

An upload may be built to exhaust the server, so its work is bounded, not only
its bytes: the heading row is looked for first, among the first rows; only the
sheet that has it is read, and only as far right as its last heading; what the
table adds to the form (KPIs, cells of the year grids) is counted row by row,
and a table past a limit is refused at that row, with the limit named.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from pathlib import PurePath
from typing import Any, Iterable, Sequence

from ..errors import Problem, QkitError
from ..i18n import LABELS, fmt_bytes, tr
from .session import parse_number, parse_year

COLUMNS = ("clause", "kpi", "unit", "better", "series", "year", "value", "target")
REQUIRED = ("clause", "kpi")
BETTER_WORDS = {"higher": "higher", "lower": "lower"} | {
    word: key for key in ("higher", "lower") for word in (*LABELS["better_" + key], key)
}

# Upload limits: a real KPI table has tens of rows and is a few KB (the shipped samples have at most 36 KPIs,
# filling 456 cells of the form's year grids, under 10 KB as CSV); these leave room for far more and refuse
# a file built to exhaust the server. The form draws each cell as an input (450 take over a second).
MAX_UPLOAD = 2 * 1024 * 1024  # bytes of the uploaded file
MAX_UNPACKED = 20 * 1024 * 1024  # bytes an .xlsx (a zip) may unpack to
MAX_ROWS = 5000
MAX_YEAR_COLUMNS = 60
MAX_COLUMNS = len(COLUMNS) + MAX_YEAR_COLUMNS  # the heading row's, up to its last heading
MAX_KPIS = 100  # one import's: the form draws a card for each
MAX_CELLS = 2000  # of the year grids one import fills, (years + 1) × (series + 1) a KPI: each is an input
HEADING_ROWS = 10  # the heading row is one of the first rows (a title may stand above it)
SHEET_COLUMNS = 16384  # Excel's widest sheet (A … XFD): a sheet's declared size is not trusted


def read_kpis(filename: str, content: bytes) -> list[dict[str, Any]]:
    """The KPIs of an uploaded .csv or .xlsx file, merged by clause and name."""
    if len(content) > MAX_UPLOAD:
        raise QkitError(Problem(filename, "import_too_big", params={"size": fmt_bytes(len(content)),
                                                                    "limit": fmt_bytes(MAX_UPLOAD)}))
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise QkitError(Problem(filename, "import_type", params={"allowed": [".csv", ".xlsx"]}))
    try:
        return _xlsx_kpis(content, filename) if suffix == ".xlsx" else _csv_kpis(content, filename)
    except QkitError:
        raise
    except Exception as exc:  # any unreadable upload is the user's file, never a crash of the form
        raise QkitError(Problem(filename, "import_unreadable", params={"detail": str(exc) or type(exc).__name__})) from None


def _csv_kpis(content: bytes, filename: str) -> list[dict[str, Any]]:
    rows = csv.reader(io.StringIO(_decode(content)))
    head = list(itertools.islice(rows, HEADING_ROWS))
    found = _heading(head, filename)
    if found is None:
        raise _no_heading(filename)
    at, heading = found
    return _kpis(heading, enumerate(itertools.chain(head[at + 1:], rows), start=at + 2), filename)


def _xlsx_kpis(content: bytes, filename: str) -> list[dict[str, Any]]:
    """The first sheet with KPI headings (the Excel export keeps them on a later sheet); no other is read."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(content)) as archive:  # sizes as the zip declares them, nothing unpacked yet
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_UNPACKED:
        raise QkitError(Problem(filename, "import_too_big", params={"size": fmt_bytes(unpacked),
                                                                    "limit": fmt_bytes(MAX_UNPACKED)}))
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            head = list(sheet.iter_rows(max_row=HEADING_ROWS, max_col=SHEET_COLUMNS, values_only=True))
            found = _heading(head, filename)
            if found is not None:
                at, heading = found
                rows = sheet.iter_rows(min_row=at + 2, max_row=MAX_ROWS + 1, max_col=len(heading), values_only=True)
                return _kpis(heading, enumerate(rows, start=at + 2), filename)
    finally:
        book.close()
    raise _no_heading(filename)


def _heading(rows: list[Sequence[Any]], filename: str) -> tuple[int, list[Any]] | None:
    """The heading row among the first rows: its position and its cells up to the last one filled."""
    for at, row in enumerate(rows):
        if _columns(row[:MAX_COLUMNS])[0].keys() >= set(REQUIRED):
            heading = list(row[:_width(row)])
            if len(heading) > MAX_COLUMNS:
                raise QkitError(Problem(filename, "import_columns_many",
                                        params={"limit": MAX_COLUMNS, "years": MAX_YEAR_COLUMNS}))
            return at, heading
    return None


def _no_heading(filename: str) -> QkitError:
    allowed = [tr("col_" + c, "zh") for c in REQUIRED]
    return QkitError(Problem(filename, "import_columns", params={"allowed": allowed}))


def _kpis(heading: list[Any], rows: Iterable[tuple[int, Sequence[Any]]], filename: str) -> list[dict[str, Any]]:
    """The KPIs of the rows below the heading (numbered as in the file), counted against the limits as they come."""
    columns, years = _columns(heading)
    kpis: dict[tuple[str, str], dict[str, Any]] = {}
    kpi_years: dict[tuple[str, str], set[Any]] = {}  # of all the KPI's series: the rows of its year grid
    cells = 0
    for number, row in rows:
        if number > MAX_ROWS:
            raise QkitError(Problem(filename, "import_rows", params={"limit": f"{MAX_ROWS:,}"}))
        cell = lambda name: _cell(row, columns.get(name))  # noqa: E731
        key = clause, name = _text(cell("clause")), _text(cell("kpi"))
        if not clause and not name:
            continue
        if key not in kpis:
            if len(kpis) == MAX_KPIS:
                raise QkitError(Problem(filename, "import_kpis", params={"limit": MAX_KPIS, "row": number}))
            kpis[key], kpi_years[key] = {"clause": clause, "name": name}, set()
        kpi = kpis[key]
        grid_before = _grid_cells(kpi, kpi_years[key])
        for field in ("unit", "better"):
            if text := _text(cell(field)):
                kpi[field] = BETTER_WORDS.get(text, text) if field == "better" else text
        if cell("target") not in (None, ""):
            kpi["target"] = _number(cell("target"))
        series = _text(cell("series"))
        own = not series or series in LABELS["own_series"]
        points = kpi.setdefault("values", {}) if own else kpi.setdefault("comparisons", {}).setdefault(series, {})
        if "year" in columns:
            found = [(parse_year(_text(cell("year"))), cell("value"))] if cell("year") not in (None, "") else []
        else:
            found = [(year, _cell(row, index)) for year, index in years.items()]
        for year, value in found:
            if value not in (None, ""):
                points[year] = _number(value)
                kpi_years[key].add(year)
        cells += _grid_cells(kpi, kpi_years[key]) - grid_before
        if cells > MAX_CELLS:
            raise QkitError(Problem(filename, "import_cells", params={"limit": f"{MAX_CELLS:,}", "row": number}))
    return list(kpis.values())


def _grid_cells(kpi: dict[str, Any], years: set[Any]) -> int:
    """The cells of a KPI's year grid in the form: a row per year and one of headings, a column per series."""
    return (len(years) + 1) * (len(kpi.get("comparisons", {})) + 1)


def _width(row: Sequence[Any]) -> int:
    """The row's length without its empty cells on the right."""
    end = len(row)
    while end and _text(row[end - 1]) == "":
        end -= 1
    return end


def _decode(content: bytes) -> str:
    """UTF-8, or GB18030 as Excel in Chinese saves CSV files."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def _columns(row: Sequence[Any]) -> tuple[dict[str, int], dict[int, int]]:
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


def _cell(row: Sequence[Any], index: int | None) -> Any:
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
