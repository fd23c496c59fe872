"""What every Word file qkit writes holds to: its properties, tables whose numbers stay on one line, captions that
keep with what they caption."""

from __future__ import annotations

import datetime as dt
import io

from docx.oxml.ns import qn
from PIL import Image

from qkit import word
from qkit.markup import east_asian


def cell_widths(table) -> list[float]:
    return [table.rows[0].cells[i].width.cm for i in range(len(table.columns))]


def needed(text: str, size: float) -> float:
    """The cm a number needs on one line at a font size, as the table sizes it (a Chinese character is two)."""
    return word.HALF_WIDTH * size / word.TABLE_SIZE.pt * sum(2 if east_asian(c) else 1 for c in text) + word.CELL_PADDING


def sizes(table) -> set[float]:
    return {run.font.size.pt for row in table.rows for cell in row.cells for p in cell.paragraphs for run in p.runs}


def test_a_wide_table_of_numbers_gets_a_smaller_font_and_never_a_narrower_number_column():
    doc = word.new_document("zh")
    years = [str(y) for y in range(2020, 2026)]
    header = ["指标", "单位", *years, "目标值"]
    rows = [["营业收入（含新能源汽车配套产品）", "万元", *["1,234,567"] * 6, "1,300,000"],
            ["　行业标杆", "万元", *["-345,678"] * 6, ""]]
    numeric = set(range(2, len(header)))
    table = word.table(doc, header, rows, numeric)
    (size,) = sizes(table)
    assert size < word.TABLE_SIZE.pt and size >= word.MIN_TABLE_SIZE  # smaller than 五号, so it fits
    widths = cell_widths(table)
    for i in numeric:
        longest = max([header[i]] + [r[i] for r in rows], key=len)
        assert widths[i] >= needed(longest, size) - 0.01, header[i]
        assert all(row.cells[i]._tc.tcPr.find(qn("w:noWrap")) is not None for row in table.rows)
    assert sum(widths) <= word.TEXT_WIDTH + 0.01
    assert not any(row.cells[0]._tc.tcPr.find(qn("w:noWrap")) is not None for row in table.rows)  # text wraps
    order = [child.tag for child in table.rows[1].cells[3]._tc.tcPr]  # as Word's schema orders a cell's properties
    assert order.index(qn("w:noWrap")) < order.index(qn("w:vAlign"))


def test_a_table_that_fits_keeps_its_size_and_one_too_wide_even_when_small_keeps_its_numbers_whole():
    doc = word.new_document("zh")
    narrow = word.table(doc, ["条款", "得分"], [["5.2.2 引领发展", "70%"]], {1})
    assert sizes(narrow) == {word.TABLE_SIZE.pt}
    huge = [f"{10 ** 14 + i:,}" for i in range(12)]
    wide = word.table(doc, ["指标", *[f"列{i}" for i in range(12)]], [["名称", *huge]], set(range(1, 13)))
    assert sizes(wide) == {word.MIN_TABLE_SIZE}
    widths = cell_widths(wide)
    assert all(widths[i] >= needed(huge[0], word.MIN_TABLE_SIZE) - 0.01 for i in range(1, 13))
    assert sum(widths) > word.TEXT_WIDTH  # into the margin rather than a number broken in two


def test_captions_keep_with_what_they_caption():
    doc = word.new_document("zh")
    assert doc.styles["Caption"].paragraph_format.keep_with_next  # a table's caption, above it
    word.caption(doc, "表5.7-1 质量提升的结果：关键绩效指标")
    word.table(doc, ["指标", "2025"], [["准时交付率", "98.2"]], {1})
    png = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(png, format="PNG")
    word.picture(doc, png.getvalue(), "图5.7-1 准时交付率")
    picture, figure_caption = doc.paragraphs[-2], doc.paragraphs[-1]
    assert picture.paragraph_format.keep_with_next and figure_caption.style.name == "Caption"  # a figure, then below it


def test_properties_name_the_applicant_and_the_day_of_writing():
    doc = word.new_document("zh")
    written = dt.datetime(2026, 3, 9, 8, 30, tzinfo=dt.timezone.utc)
    word.properties(doc, "自评报告", "湖北华科精密制造股份有限公司", "湖北省长江质量奖评定标准", written)
    props = doc.core_properties
    assert (props.title, props.author, props.last_modified_by, props.subject) == (
        "自评报告", "湖北华科精密制造股份有限公司", "湖北华科精密制造股份有限公司", "湖北省长江质量奖评定标准")
    assert props.created == props.modified == written
    assert props.comments == "" and "python-docx" not in (props.author + props.comments + props.last_modified_by)
    word.properties(doc, "组织概述", "某单位")
    assert props.created.date() >= dt.date(2025, 1, 1)  # written now when no day is given
