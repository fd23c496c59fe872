"""What the web form calls each field: messages in the person's words, in both languages; the CLI keeps paths."""

from __future__ import annotations

import pytest

from support.widgets import blank_session
from qkit.errors import Problem
from qkit.web.places import path_of, place
from qkit.web.session import Session


@pytest.fixture
def session() -> Session:
    s = blank_session()
    s.set(("assessment", "date"), "2026-10-15")
    kpi = s.add_kpi("5.2.4")
    s.set(("results", kpi, "name"), "顾客满意度指数")
    s.add_series(kpi, "行业/协会标杆")  # a name with a slash still finds its way back
    return s


@pytest.mark.parametrize("path, zh, en", [
    (("applicant", "name"), "申报单位 · 名称", "Applicant · name"),
    (("assessment", "date"), "本次自评 · 自评日期", "This assessment · date"),
    (("profile", "a"), "5.1 组织环境 · a）组织概况", "5.1 Organizational profile · a) Organizational description"),
    (("clauses", "5.2.2"), "5.2.2 引领发展", "5.2.2 Leading development"),
    (("clauses", "5.2.2", "score"), "5.2.2 引领发展 · 得分率", "5.2.2 Leading development · score"),
    (("clauses", "5.2.2", "factors", "A"), "5.2.2 引领发展 · 方法（A）", "5.2.2 Leading development · Approach (A)"),
    (("clauses", "5.2.2", "strengths", 0), "5.2.2 引领发展 · 优势第 1 条", "5.2.2 Leading development · strength 1"),
    (("clauses", "5.2.4", "ofis", 2), "5.2.4 领导作用的结果 · 改进机会第 3 条", "5.2.4 Leadership results · OFI 3"),
    (("clauses", "5.2.2", "evidence", 1), "5.2.2 引领发展 · 证据第 2 条", "5.2.2 Leading development · evidence 2"),
    (("clauses", "5.2.2", "notes"), "5.2.2 引领发展 · 备注", "5.2.2 Leading development · notes"),
    (("results", 0, "values", 2025), "指标“顾客满意度指数” · 2025 年", "KPI “顾客满意度指数” · 2025"),
    (("results", 0, "values", 20252025), "指标“顾客满意度指数” · 年份“20252025”",
     "KPI “顾客满意度指数” · year “20252025”"),
    (("results", 0, "values"), "指标“顾客满意度指数” · 本组织", "KPI “顾客满意度指数” · Our organization"),
    (("results", 0, "comparisons", "行业/协会标杆", 2024), "指标“顾客满意度指数” · 行业/协会标杆 · 2024 年",
     "KPI “顾客满意度指数” · 行业/协会标杆 · 2024"),
    (("results", 0, "target"), "指标“顾客满意度指数” · 目标值", "KPI “顾客满意度指数” · target"),
    (("results", 0, "years", 2027), "指标“顾客满意度指数” · 2027 年", "KPI “顾客满意度指数” · 2027"),
])
def test_each_field_is_named_as_the_form_shows_it(session, path, zh, en):
    assert place(session.rubric, session.data, path, "zh") == zh
    assert place(session.rubric, session.data, path, "en") == en


def test_a_kpi_without_a_name_is_named_by_its_number(session):
    kpi = session.add_kpi("5.3.4")
    assert session.place(("results", kpi, "name")) == "第 2 项指标 · 指标名称"
    assert session.place(("results", kpi, "name"), "en") == "KPI 2 · KPI name"


def test_a_problem_field_leads_back_to_the_keys_of_the_document(session):
    session.set_kpi_value(0, ("comparisons", "行业/协会标杆"), 2024, "88")
    session.set(("results", 0, "values"), {"2025年": "约五", 2024: 1})
    assert path_of("clauses/5.2.2/strengths/1", session.data) == ("clauses", "5.2.2", "strengths", 0)
    assert path_of("results/1/comparisons/行业/协会标杆/2024", session.data) == (
        "results", 0, "comparisons", "行业/协会标杆", 2024)
    assert path_of("results/1/values/2025", session.data) == ("results", 0, "values", "2025年")
    assert path_of("results/1/values/2024", session.data) == ("results", 0, "values", 2024)
    assert path_of("", session.data) == ()


def test_every_message_the_form_shows_names_its_field_without_a_path(session):
    session.set(("applicant", "name"), "")
    session.set(("applicant", "employees"), "很多")
    session.set_kpi_value(0, ("values",), 2025, "约五")
    session.set_year(0, 2025, "20252025")
    session.append(("clauses", "5.2.2", "ofis"), "")
    session.settle()
    for lang in ("zh", "en"):
        messages = session.all_messages(lang)
        assert len(messages) == 4
        for message in messages:
            where = message.split("：" if lang == "zh" else ": ")[0]
            assert not any(f"{top}/" in where for top in ("applicant", "clauses", "results", "assessment")), message
    assert "5.2.2 引领发展 · 改进机会第 1 条：内容为空，请填写或删除此行" in session.all_messages()
    assert "指标“顾客满意度指数” · 年份“20252025”：年份应为四位数的年份（例如 2025）（当前值：“20252025”）" in (
        session.all_messages())
    problem = Problem("results/1/values/20252025", "year", 20252025)
    assert problem.render() == "results/1/values/20252025：年份应为四位数的年份（例如 2025）（当前值：20252025）"  # the CLI


def test_the_off_band_flag_speaks_of_the_notes_box_as_the_form_labels_it(session):
    for factor in "ADLI":
        session.set(("clauses", "5.2.2", "factors", factor), "50-65")
    session.set(("clauses", "5.2.2", "score"), 90)
    assert session.flag_text("5.2.2") == "所选得分不在建议分数段 50%–65% 内，请在下方“备注”中说明理由"
    assert "Notes below" in session.flag_text("5.2.2", "en") and "notes" not in session.flag_text("5.2.2", "en")
    assert "请在 notes 中说明理由" in session.clause_score("5.2.2").flag.message()  # qkit score keeps the field name
    session.set(("clauses", "5.2.2", "notes"), "共识评审")
    assert session.flag_text("5.2.2") == "所选得分不在建议分数段 50%–65% 内（已说明理由）"
    session.set(("clauses", "5.2.2", "score"), 55)
    assert session.flag_text("5.2.2") == ""


def test_an_entry_is_called_empty_only_once_the_person_has_left_it():
    s = blank_session()
    s.append(("clauses", "5.2.2", "strengths"), "")
    assert s.messages(("clauses", "5.2.2", "strengths", 0)) == []
    s.set(("clauses", "5.2.2", "strengths", 0), "高层")
    s.set(("clauses", "5.2.2", "strengths", 0), "")  # cleared while still in the box
    assert s.messages(("clauses", "5.2.2", "strengths", 0)) == []
    assert any(p.code == "empty_text" for p in s.problems)  # the check itself still sees it (exports, reports)
    s.settle()  # another tab
    assert s.messages(("clauses", "5.2.2", "strengths", 0)) == ["5.2.2 引领发展 · 优势第 1 条：内容为空，请填写或删除此行"]


def test_a_jump_puts_the_cursor_in_the_field_though_the_page_saves_meanwhile():
    """The cursor goes where the person asked, a moment later (once the browser has drawn the field), unless the
    person edited something meanwhile. An autosave in that moment is not the person going on: it used to keep
    the cursor away when a jump came about a second after typing."""
    import asyncio

    from qkit.web.form.workbook import Workbook

    s = blank_session()
    s.append(("clauses", "5.2.2", "ofis"), "")
    s.settle()
    book = Workbook(s, "zh")
    book.tabs.selected_index = 1  # 5.2

    async def jump(meanwhile) -> list[str]:
        target = book.form.input_for(("clauses", "5.2.2", "ofis", 0))
        focused = []
        target.focus = lambda: focused.append("ofi")
        book.jump("clauses/5.2.2/ofis/1")
        meanwhile()
        await asyncio.sleep(0.5)
        return focused

    assert asyncio.run(jump(lambda: s._notify_saved())) == ["ofi"]  # the page saved the last typing
    assert asyncio.run(jump(lambda: s.set(("clauses", "5.2.2", "notes"), "另写一处"))) == []  # they went on
