"""A KPI's year grid in the web form: years going back, rows that stay put, pasted rows, flagged years."""

from __future__ import annotations

import datetime as dt

import ipywidgets as w

from support.widgets import blank_session, walk
from qkit.web.form.kpis import KpiEditor, KpiGrid
from qkit.web.form.workbook import Workbook


def grid_of(book: Workbook) -> KpiGrid:
    book.tabs.selected_index = book._results_tab
    return next(x for x in walk(book.widget) if isinstance(x, KpiGrid))


def test_new_years_go_back_from_the_assessment_year_filling_gaps():
    session = blank_session()
    kpi = session.add_kpi("5.2.4")
    assert [session.add_year(kpi) for _ in range(4)] == [2025, 2024, 2023, 2022]
    session.remove_year(kpi, 2024)
    assert session.add_year(kpi) == 2024  # the latest year missing
    undated = blank_session(date=None)
    assert undated.add_year(undated.add_kpi("5.2.4")) == dt.date.today().year - 1


def test_a_year_after_the_assessment_is_flagged_and_an_empty_row_once_left():
    session = blank_session()
    kpi = session.add_kpi("5.2.4")
    session.set(("results", kpi, "name"), "顾客满意度指数")
    year = session.add_year(kpi)
    assert session.messages(("results", kpi, "years", year)) == []  # just added: not nagged yet
    session.set(("results", kpi, "unit"), "分")  # still filling in this KPI
    assert session.messages(("results", kpi, "years", year)) == []
    session.set(("applicant", "short_name"), "长江服务")  # the person moves on
    assert session.messages(("results", kpi, "years", year)) == [
        "指标“顾客满意度指数” · 2025 年：这一年还没有任何数值：请填写，或用右侧的删除按钮删去这一年"]
    session.set_kpi_value(kpi, ("values",), year, "82.1")
    assert session.messages(("results", kpi, "years", year)) == []
    session.set_year(kpi, year, "2027")
    assert session.messages(("results", kpi, "years", 2027)) == [
        "指标“顾客满意度指数” · 2027 年：年份晚于本次自评（2026 年）：请核对；如为预测值，请在相关条款的备注中说明"]
    session.set_kpi_value(kpi, ("values",), 2027, "")  # cleared: the year stays, flagged, never dropped
    session.settle()
    assert 2027 in session.value(("results", kpi, "values"))
    assert any("这一年还没有任何数值" in m for m in session.messages(("results", kpi, "years", 2027)))


def test_a_row_pasted_from_excel_fills_the_years_below_or_the_latest_years_never_a_future_one():
    session = blank_session()
    kpi = session.add_kpi("5.2.4")
    for _ in range(3):
        session.add_year(kpi)
    assert session.paste_row(kpi, ("values",), [2024, 2025], "80.1\t82.1\r\n") == [2024, 2025]  # rows enough
    filled = session.paste_row(kpi, ("values",), [2024, 2025], "78.2\t80.1\t82.1\r\n")
    assert filled == [2023, 2024, 2025]  # more values than rows below: the latest years, up to the last row's
    assert session.value(("results", kpi, "values")) == {2025: 82.1, 2024: 80.1, 2023: 78.2}
    assert not [p for p in session.shown_problems if p.code == "future_year"]
    assert session.paste_row(kpi, ("values",), [2023], "77.5") is None  # one value: typed, not pasted
    session.add_series(kpi, "行业标杆")
    session.paste_row(kpi, ("comparisons", "行业标杆"), [2023, 2024], "85 86")  # a column pasted into one line
    assert session.value(("results", kpi, "comparisons", "行业标杆")) == {2023: 85, 2024: 86}


def test_the_only_row_takes_a_pasted_row_as_the_years_up_to_it_and_a_row_pasted_with_its_years_lands_on_them():
    """The person adds 2025 and pastes four years of values: 2022–2025, not 2025–2028 flagged as the future."""
    session = blank_session()
    kpi = session.add_kpi("5.2.4")
    session.set(("results", kpi, "name"), "顾客满意度指数")
    year = session.add_year(kpi)
    assert year == session.assessment_year() - 1 == 2025
    assert session.paste_row(kpi, ("values",), [year], "78.2\t80.1\t82.1\t89.2\r\n") == [2022, 2023, 2024, 2025]
    assert session.value(("results", kpi, "values")) == {2022: 78.2, 2023: 80.1, 2024: 82.1, 2025: 89.2}
    session.add_series(kpi, "行业标杆")
    pasted = session.paste_row(kpi, ("comparisons", "行业标杆"), [2022], "2019\t2020\t2021\r\n85\t86\t87\r\n")
    assert pasted == [2019, 2020, 2021]  # a row of years over the row of values
    assert session.paste_row(kpi, ("values",), [2022], "2020年\t70\n2021年\t72\n") == [2020, 2021]  # a column
    assert session.value(("results", kpi, "comparisons", "行业标杆")) == {2019: 85, 2020: 86, 2021: 87}
    assert session.value(("results", kpi, "values"))[2021] == 72
    assert not [p for p in session.shown_problems if p.code == "future_year"]


def test_rows_stay_put_while_a_year_is_retyped_and_values_follow_the_row():
    session = blank_session()
    kpi = session.add_kpi("5.2.4")
    for _ in range(4):
        session.add_year(kpi)
    book = Workbook(session, "zh")
    grid = grid_of(book)
    assert [row.year for row in grid.rows] == [2022, 2023, 2024, 2025]
    third = grid.rows[2]
    third.year_box.value = "2020"  # typed over 2024, the box left
    assert [row.year for row in grid.rows] == [2022, 2023, 2020, 2025]  # the row did not move
    third.cells[0].value = "80.5"
    assert session.value(("results", kpi, "values")) == {2025: None, 2023: None, 2022: None, 2020: 80.5}
    grid.rows[0].year_box.value = "2025"  # a year that has a row already: refused, said, nothing moved
    assert "该年份已有一行数据" in grid.note.value and grid.rows[0].year == 2022
    grid.rows[0].cells[0].value = "78.2"
    assert session.value(("results", kpi, "values", 2022)) == 78.2
    [button for button in walk(grid) if getattr(button, "description", "") == "添加年份"][0].click()
    assert [row.year for row in grid.rows] == [2020, 2022, 2023, 2024, 2025]  # in order when drawn again


def test_a_comparison_gets_a_name_box_offering_the_usual_series():
    session = blank_session()
    kpi = session.add_kpi("5.2.4")
    session.add_year(kpi)
    book = Workbook(session, "zh")
    grid = grid_of(book)
    add_series = [b for b in walk(grid) if getattr(b, "description", "") == "添加对比系列"][0]
    add_series.click()
    add_series = [b for b in walk(grid) if getattr(b, "description", "") == "添加对比系列"][0]
    add_series.click()
    boxes = [x for x in walk(grid) if isinstance(x, w.Combobox)]
    assert [b.value for b in boxes] == ["行业标杆", "主要竞争对手"]
    assert boxes[0].options == ("行业标杆", "主要竞争对手", "行业平均") and not boxes[0].ensure_option
    grid.rows[0].cells[1].value = "88"
    boxes[1].value = "行业平均"
    grid.rows[0].cells[2].value = "70"
    assert session.value(("results", kpi, "comparisons")) == {"行业标杆": {2025: 88}, "行业平均": {2025: 70}}
    english = Workbook(blank_session(), "en")
    assert english.session.series_names("en") == ["industry benchmark", "main competitor", "industry average"]


def test_the_import_button_is_ready_for_the_next_file():
    book = Workbook(blank_session(), "zh")
    book.tabs.selected_index = book._results_tab
    editor = next(x for x in walk(book.widget) if isinstance(x, KpiEditor))
    table = "条款,指标,单位,方向,2024年,2025年\n5.2.4,营业收入,亿元,越高越好,48.9,51.3\n".encode("utf-8")
    editor.upload.value = ({"name": "kpi.csv", "type": "text/csv", "size": len(table), "content": memoryview(table),
                            "last_modified": dt.datetime.now()},)
    assert editor.upload.value == ()  # no "(1)" left on the button
    assert "新增 1 项指标" in editor.import_note.value
