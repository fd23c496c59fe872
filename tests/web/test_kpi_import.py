"""KPI uploads within the size limits cost bounded work: widths, sheets and rows are read only as far as needed."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from qkit.errors import QkitError
from qkit.web.kpi_import import (MAX_CELLS, MAX_COLUMNS, MAX_KPIS, MAX_ROWS, MAX_UNPACKED, MAX_UPLOAD,
                                 MAX_YEAR_COLUMNS, read_kpis)
from qkit.web.form.kpis import KpiEditor
from qkit.web.form.workbook import Workbook

from support.widgets import blank_session, walk

MB = 1024 * 1024
HEADINGS = ["条款", "指标", "单位", "数据系列", "年份", "数值"]


def long_rows(kpis: int, years: int) -> list[list]:
    """A long table: one row per KPI and year, the KPI's own values."""
    return [["5.2.4", f"指标{k}", "%", "", 2026 - years + y, 80 + y] for k in range(kpis) for y in range(years)]


def xlsx(*sheets: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for i, rows in enumerate(sheets):
        sheet = book.active if i == 0 else book.create_sheet(f"表{i + 1}")
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def declaring(content: bytes, ref: str) -> bytes:
    """The same workbook with every sheet declaring the size ``ref`` (as a crafted file may)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), data)
            target.writestr(item, data)
    return out.getvalue()


def peak_of(read, *args):
    """What ``read`` returned (or the error it raised) and the most memory it held at once, in bytes."""
    tracemalloc.start()
    try:
        try:
            result = read(*args)
        except QkitError as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def within_limits(content: bytes) -> None:
    assert len(content) < MAX_UPLOAD
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sum(item.file_size for item in archive.infolist()) < MAX_UNPACKED


@pytest.mark.parametrize("how", ["declared", "written"])
def test_a_sheet_declaring_column_xfd_is_read_only_as_wide_as_its_headings(how):
    rows = [HEADINGS] + long_rows(kpis=30, years=60)  # 1,800 rows
    if how == "written":  # a stray cell far to the right of the table, under no heading
        rows[-1] = rows[-1] + [None] * (16384 - len(rows[-1]) - 1) + ["备注"]
        content = xlsx(rows)
    else:  # the sheet only says it is that wide
        content = declaring(xlsx(rows), "A1:XFD5000")
    within_limits(content)
    kpis, peak = peak_of(read_kpis, "kpi.xlsx", content)
    assert len(kpis) == 30 and kpis[0]["values"] == {year: 80 + year - 1966 for year in range(1966, 2026)}
    assert peak < 40 * MB  # padded to column XFD, every row held 16,384 cells: some 240 MB


def test_headings_wider_than_the_limit_are_refused_and_named():
    content = xlsx([HEADINGS + [None] * (16384 - len(HEADINGS) - 1) + ["x"], ["5.2.4", "营业收入", "亿元", "", 2025, 1]])
    refused, peak = peak_of(read_kpis, "宽表.xlsx", content)
    assert isinstance(refused, QkitError) and refused.problems[0].code == "import_columns_many"
    assert f"表头超过 {MAX_COLUMNS} 列" in refused.render("zh") and f"{MAX_YEAR_COLUMNS} 个年份列" in refused.render("zh")
    assert f"more than {MAX_COLUMNS} columns" in refused.render("en")
    assert peak < 40 * MB
    named = "条款,指标,单位,方向,目标值,数据系列,"
    years = ",".join(str(1900 + y) for y in range(MAX_COLUMNS - named.count(",") + 1))
    with pytest.raises(QkitError) as csv_refused:
        read_kpis("宽表.csv", f"{named}{years}\n5.2.4,营业收入\n".encode())
    assert csv_refused.value.problems[0].code == "import_columns_many"
    assert read_kpis("kpi.csv", f"{named}{years[:years.rindex(',')]}\n5.2.4,营业收入,,,,,3\n".encode())[0]["values"] == {
        1900: 3}


def test_only_the_sheet_with_the_headings_is_read():
    notes = [["说明"]] + [[f"第 {i} 行说明", "x" * 40] for i in range(MAX_ROWS + 500)]  # longer than any table
    raw = [["原始数据"] + [f"列{c}" for c in range(30)]] + [[i] * 31 for i in range(1600)]
    table = [HEADINGS] + long_rows(kpis=20, years=5)
    content = declaring(xlsx(notes, raw, table), "A1:XFD1600")
    within_limits(content)
    kpis, peak = peak_of(read_kpis, "kpi.xlsx", content)
    assert [k["name"] for k in kpis] == [f"指标{k}" for k in range(20)]  # the long sheets before it are not counted
    assert peak < 40 * MB


def test_a_table_past_a_limit_is_refused_at_the_row_that_passes_it():
    many = [["5.2.4", f"指标{k}", "", "", 2025, 1] for k in range(MAX_KPIS + 1)]
    with pytest.raises(QkitError) as kpis:
        read_kpis("kpi.xlsx", xlsx([HEADINGS] + many))
    assert f"超过 {MAX_KPIS} 项" in kpis.value.render("zh") and f"第 {MAX_KPIS + 2} 行" in kpis.value.render("zh")
    assert f"more than {MAX_KPIS} KPIs" in kpis.value.render("en")
    assert len(read_kpis("kpi.xlsx", xlsx([HEADINGS] + many[:MAX_KPIS]))) == MAX_KPIS
    # one KPI, a comparison series per row: its year grid grows a column each row
    series = "条款,指标,数据系列,2024,2025\n" + "".join(f"5.2.4,营业收入,对手{i},1,2\n" for i in range(MAX_CELLS))
    with pytest.raises(QkitError) as cells:
        read_kpis("kpi.csv", series.encode())
    assert f"超过 {MAX_CELLS:,} 个" in cells.value.render("zh") and f"{MAX_CELLS:,} cells" in cells.value.render("en")
    years = long_rows(kpis=MAX_KPIS, years=MAX_CELLS // MAX_KPIS - 1)  # a year grid row per value: just fits
    assert len(read_kpis("kpi.xlsx", xlsx([HEADINGS] + years))) == MAX_KPIS


def test_a_5000_line_csv_of_kpis_is_refused_by_the_form_at_once():
    content = ("条款,指标,单位,方向,2023,2024,2025\n"
               + "".join(f"5.2.4,指标{i},亿元,越高越好,1,2,3\n" for i in range(MAX_ROWS - 1))).encode()
    book = Workbook(blank_session(), "zh")
    book.tabs.selected_index = book._results_tab
    editor = next(x for x in walk(book.widget) if isinstance(x, KpiEditor))
    started = time.monotonic()
    editor.upload.value = ({"name": "kpi.csv", "type": "text/csv", "size": len(content),
                            "content": memoryview(content), "last_modified": dt.datetime.now()},)
    assert time.monotonic() - started < 30  # a guard against a hang: it took over ten minutes
    assert f"表格中的指标超过 {MAX_KPIS} 项" in editor.import_note.value
    assert book.session.value(("results",)) in (None, [])
