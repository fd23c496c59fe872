"""The web form's model: validation as typed, live partial scores, saving, stale refusal, KPI editing."""

from __future__ import annotations

import asyncio
import io

import openpyxl
import pytest
import yaml

from support.documents import full_document, sample_paths
from qkit import load, load_rubric, score
from qkit.analytics import analyze_kpi, draft_hint
from qkit.errors import QkitError
from qkit.excel import write_workbook
from qkit.web.kpi_import import read_kpis
from qkit.web.session import Session

RUBRIC = "hubei-manufacturing"


def open_session(store, token, **kwargs) -> Session:
    return Session.open(load_rubric(RUBRIC), str(store.dir), f"key={token}", **kwargs)


@pytest.fixture
def applicant(store):
    return store.add_applicant("华科精密", RUBRIC)


def test_the_key_opens_only_its_own_applicant_in_its_own_workbook(store, applicant):
    _, token = applicant
    assert open_session(store, token).name == "华科精密"
    assert open_session(store, "not-a-key") is None
    assert Session.open(load_rubric(RUBRIC), str(store.dir), "") is None
    assert Session.open(load_rubric("hubei-service"), str(store.dir), f"key={token}") is None


def test_problems_as_typed_are_those_of_qkit_validate(store, applicant, tmp_path, cli):
    """The same problems as qkit validate; the form names each field as it shows it, the CLI by its path."""
    session = open_session(store, applicant[1])
    session.set(("applicant", "name"), "")
    session.set(("applicant", "employees"), "很多")
    session.append(("clauses", "5.2.2", "strengths"), "")
    assert session.messages(("applicant", "name")) == ["申报单位 · 名称：缺少必填字段"]
    assert session.messages(("clauses", "5.2.2", "strengths", 0)) == []  # just added: not called empty yet
    session.set(("clauses", "5.2.3", "notes"), "另一条款的备注")  # the person has moved on
    assert session.messages(("clauses", "5.2.2", "strengths", 0)) == ["5.2.2 引领发展 · 优势第 1 条：内容为空，请填写或删除此行"]
    path = tmp_path / "typed.yaml"
    path.write_text(session.yaml(), encoding="utf-8")
    code, _, err = cli("validate", path)
    assert code == 1
    for problem in session.problems:
        assert problem.render("zh") in err  # the CLI keeps its field paths
    assert "clauses/5.2.2/strengths/1：内容为空" in err
    assert len(session.all_messages()) == len(session.problems) == 3
    assert not [m for m in session.all_messages() if "/" in m.split("：")[0]]
    assert session.messages(("applicant", "employees"), "en") == ['Applicant · employees: must be a whole number (got "很多")']


def test_the_total_stays_live_while_other_fields_are_wrong(store, applicant):
    session = open_session(store, applicant[1])
    session.set(("applicant", "name"), "")
    session.set(("results",), [{"clause": "5.2.4", "name": "营业收入", "values": {2025: "五十"}}])
    session.set(("clauses", "5.2.2", "score"), 60)
    session.set(("clauses", "5.2.4", "score"), 55)
    assert session.problems
    card = session.scorecard
    assert card.total == 60 * 50 / 100 + 55 * 80 / 100
    assert "5.2.2" not in card.missing and "5.2.3" in card.missing
    session.set(("clauses", "5.2.2", "score"), None)
    assert session.scorecard.total == 55 * 80 / 100


def test_what_was_typed_is_saved_and_reloaded_even_when_wrong(store, applicant):
    session = open_session(store, applicant[1])
    session.add_kpi("5.2.4")
    session.set(("results", 0, "name"), "营业收入")
    year = session.add_year(0)
    session.set(("results", 0, "values", year), "约五十")
    session.set(("clauses", "5.2.2", "strengths", 0), "<script>alert(1)</script>")
    assert session.messages(("results", 0, "values", year)) == [
        f"指标“营业收入” · {year} 年：应为数字（当前值：“约五十”）"]
    assert session.dirty and session.save()
    again = open_session(store, applicant[1])
    assert again.value(("results", 0, "values", year)) == "约五十"
    assert again.value(("clauses", "5.2.2", "strengths")) == ["<script>alert(1)</script>"]
    assert again.base == session.base == 2 and not session.dirty
    assert session.status()[0] == "saved"


def test_edits_to_different_fields_from_an_older_revision_merge(store, applicant):
    applicant_row, token = applicant
    first, second = open_session(store, token), open_session(store, token)
    first.set(("clauses", "5.2.2", "score"), 70)
    assert first.save()
    second.set(("clauses", "5.3.2", "score"), 40)
    second.set(("profile", "a"), "我们的组织概况")
    assert second.save()  # started from revision 1, merged with revision 2
    latest = store.latest(applicant_row.id)
    assert latest.number == 3 and latest.parent == 2
    assert latest.data["clauses"]["5.2.2"]["score"] == 70 and latest.data["clauses"]["5.3.2"]["score"] == 40
    assert second.value(("clauses", "5.2.2", "score")) == 70  # the page took in the other change
    assert second.status()[0] == "saved" and second.base == 3


def test_the_same_field_changed_twice_is_a_choice_and_nothing_is_lost(store, applicant):
    applicant_row, token = applicant
    first, second = open_session(store, token), open_session(store, token)
    first.set(("clauses", "5.2.2", "score"), 70)
    assert first.save()
    second.set(("clauses", "5.2.2", "score"), 40)
    second.set(("profile", "a"), "我们的组织概况")
    assert not second.save()
    state, text = second.status()
    assert state == "conflict" and "第 2 版" in text and "1 处" in text
    assert second.status("en")[1].endswith("your edits are still on this page")
    [conflict] = second.conflicts
    assert (conflict.path, conflict.theirs, conflict.mine) == (("clauses", "5.2.2", "score"), 70, 40)
    assert second.value(("profile", "a")) == "我们的组织概况" and second.value(("clauses", "5.2.2", "score")) == 40
    assert store.latest(applicant_row.id).number == 2  # nothing saved until the person chooses
    second.choose(0, "mine")
    latest = store.latest(applicant_row.id)
    assert latest.number == 3 and latest.data["clauses"]["5.2.2"]["score"] == 40
    assert latest.data["profile"]["a"] == "我们的组织概况"
    assert store.history(applicant_row.id)[1].data["clauses"]["5.2.2"]["score"] == 70  # the other version stays
    assert second.status()[0] == "saved" and not second.conflicts


def test_conflicting_texts_can_be_combined(store, applicant):
    applicant_row, token = applicant
    first, second = open_session(store, token), open_session(store, token)
    first.set(("clauses", "5.2.2", "notes"), "评审组意见甲")
    assert first.save()
    second.set(("clauses", "5.2.2", "notes"), "评审组意见乙")
    assert not second.save()
    second.choose(0, "both")
    assert store.latest(applicant_row.id).data["clauses"]["5.2.2"]["notes"] == "评审组意见甲\n评审组意见乙"


def test_overwrite_keeps_this_page_for_every_conflict(store, applicant):
    applicant_row, token = applicant
    first, second = open_session(store, token), open_session(store, token)
    first.set(("clauses", "5.2.2", "score"), 70)
    first.set(("clauses", "5.2.3", "score"), 75)
    assert first.save()
    second.set(("clauses", "5.2.2", "score"), 40)
    second.set(("clauses", "5.2.3", "score"), 45)
    assert not second.save() and len(second.conflicts) == 2
    assert second.save(overwrite=True)
    data = store.latest(applicant_row.id).data["clauses"]
    assert (data["5.2.2"]["score"], data["5.2.3"]["score"]) == (40, 45)


def test_a_page_without_edits_takes_in_what_others_saved(store, applicant):
    applicant_row, token = applicant
    first, second = open_session(store, token), open_session(store, token)
    seen = []
    second.observe(seen.append)
    assert not second.refresh()
    first.set(("clauses", "5.4.2", "score"), 65)
    assert first.save()
    assert second.refresh() and seen[-1] == ()
    assert second.value(("clauses", "5.4.2", "score")) == 65 and second.base == 2
    second.set(("clauses", "5.4.3", "score"), 50)
    first.set(("clauses", "5.4.2", "score"), 70)
    assert first.save()
    assert not second.refresh()  # unsaved edits: they are merged when saved, not overwritten now
    assert second.save() and store.latest(applicant_row.id).data["clauses"]["5.4.2"]["score"] == 70


def test_autosave_waits_for_a_pause_then_saves_once(store, applicant):
    applicant_row, token = applicant

    async def edit() -> None:
        session = open_session(store, token, autosave_delay=1.0)  # a pause long enough for a busy machine
        for value in (10, 20, 30):
            session.set(("clauses", "5.3.2", "score"), value)
            await asyncio.sleep(0.05)
        assert store.latest(applicant_row.id).number == 1
        await asyncio.sleep(2.0)
        assert not session.dirty

    asyncio.run(edit())
    history = store.history(applicant_row.id)
    assert [r.number for r in history] == [2, 1]
    assert history[0].data["clauses"]["5.3.2"]["score"] == 30


def test_years_and_series_move_with_their_values(store, applicant):
    session = open_session(store, applicant[1])
    kpi = session.add_kpi("5.3.4")
    first = session.add_year(kpi)
    second = session.add_year(kpi)
    assert second == first - 1  # each new year is the one before
    session.set(("results", kpi, "values", first), 12.5)
    series = session.add_series(kpi, "行业标杆")
    assert session.add_series(kpi, "行业标杆") == "行业标杆 2"
    session.set(("results", kpi, "comparisons", series, first), 14)
    assert session.set_year(kpi, first, "2019") is None
    raw = session.value(("results", kpi))
    assert raw["values"][2019] == 12.5 and raw["comparisons"]["行业标杆"] == {2019: 14}
    refused = session.set_year(kpi, 2019, str(second))
    assert refused.code == "duplicate_year" and raw["values"][2019] == 12.5
    assert session.rename_series(kpi, "行业标杆", "行业标杆 2").code == "series_name"
    assert session.rename_series(kpi, "行业标杆", "标杆企业") is None
    assert list(session.value(("results", kpi, "comparisons"))) == ["标杆企业", "行业标杆 2"]


def test_kpis_round_trip_through_the_excel_export(store, applicant, tmp_path):
    sample = next(p for p in sample_paths() if p.name.startswith(RUBRIC))
    doc = load(sample)
    exported = write_workbook(score(doc, load_rubric(RUBRIC)), tmp_path / "报告.xlsx")
    session = open_session(store, applicant[1])
    added, updated = session.import_kpis(read_kpis(exported.name, exported.read_bytes()))
    assert (added, updated) == (len(doc.results), 0)
    imported = {(k["clause"], k["name"]): k for k in session.value(("results",))}
    for kpi in doc.results:
        got = imported[(kpi.clause, kpi.name)]
        assert got["values"] == kpi.values and got.get("comparisons", {}) == kpi.comparisons
        assert got["better"] == kpi.better and got.get("unit", "") == kpi.unit
    assert not [p for p in session.problems if p.field.startswith("results")]


def test_a_title_row_above_the_headings_is_skipped(store, applicant):
    book = openpyxl.Workbook()
    book.active.append(["2025年结果数据"])
    book.active.append(["clause", "KPI", "unit", "better", "2024", "2025"])
    book.active.append(["5.5.4", "员工满意度", "%", "higher is better", 86.5, 88])
    buffer = io.BytesIO()
    book.save(buffer)
    kpis = read_kpis("kpi.xlsx", buffer.getvalue())
    assert kpis == [{"clause": "5.5.4", "name": "员工满意度", "unit": "%", "better": "higher",
                     "values": {2024: 86.5, 2025: 88}}]


def test_a_wide_gbk_csv_updates_a_kpi_and_keeps_bad_cells(store, applicant):
    session = open_session(store, applicant[1])
    session.set(("results",), [{"clause": "5.2.4", "name": "营业收入", "unit": "亿元", "values": {2023: 45.0}}])
    table = ("条款,指标,单位,方向,目标值,数据系列,2023年,2024年,2025\n"
             "5.2.4,营业收入,亿元,越高越好,52,,45.5,48.9,51.3\n"
             "5.2.4,营业收入,亿元,越高越好,,行业标杆,60.1,62,64.5\n"
             "5.2.4,单位产值能耗,吨标准煤/万元,越低越好,,,0.06,n/a,\n")
    added, updated = session.import_kpis(read_kpis("kpi.csv", table.encode("gb18030")))
    assert (added, updated) == (1, 1)
    revenue, energy = session.value(("results",))
    assert revenue["values"] == {2023: 45.5, 2024: 48.9, 2025: 51.3} and revenue["target"] == 52
    assert revenue["comparisons"] == {"行业标杆": {2023: 60.1, 2024: 62, 2025: 64.5}}
    assert energy["better"] == "lower" and energy["values"] == {2023: 0.06, 2024: "n/a"}
    assert session.messages(("results", 1, "values", 2024)) == ["指标“单位产值能耗” · 2024 年：应为数字（当前值：“n/a”）"]


def test_unreadable_imports_say_what_is_wrong():
    from qkit.errors import QkitError

    with pytest.raises(QkitError) as wrong_type:
        read_kpis("kpi.pdf", b"%PDF")
    assert ".csv、.xlsx" in wrong_type.value.render("zh")
    with pytest.raises(QkitError) as no_header:
        read_kpis("kpi.csv", "a,b\n1,2\n".encode())
    assert "条款、指标" in no_header.value.render("zh")
    with pytest.raises(QkitError) as broken:
        read_kpis("kpi.xlsx", b"not a zip")
    assert broken.value.problems[0].code == "import_unreadable"


def test_the_exported_yaml_is_the_tidy_document_when_valid(store, applicant):
    sample = next(p for p in sample_paths() if p.name.startswith(RUBRIC))
    data = yaml.safe_load(sample.read_text(encoding="utf-8"))
    session = Session(load_rubric(RUBRIC), data)
    assert not session.problems
    assert yaml.safe_load(session.yaml()) == load(sample).to_data()
    assert session.scorecard.total == score(load(sample), load_rubric(RUBRIC)).total


def test_flush_saves_pending_edits_but_never_over_a_newer_revision(store, applicant):
    applicant_row, token = applicant
    first, second = open_session(store, token), open_session(store, token)
    first.set(("clauses", "5.2.2", "notes"), "评审组一致意见")
    first.flush()
    assert store.latest(applicant_row.id).data["clauses"]["5.2.2"]["notes"] == "评审组一致意见"
    first.flush()
    assert store.latest(applicant_row.id).number == 2  # nothing pending, nothing written
    second.set(("clauses", "5.2.2", "notes"), "另一窗口")
    second.flush()
    second.flush()
    assert second.conflicts and store.latest(applicant_row.id).number == 2


def test_a_clause_score_and_its_data_hint_come_from_the_session(store, applicant):
    session = open_session(store, applicant[1])
    assert session.clause_score("5.2.2").score is None
    session.set(("clauses", "5.2.2", "score"), 60)
    assert (session.clause_score("5.2.2").score, session.clause_score("5.2.2").earned) == (60, 30)
    assert session.clause_score("9.9.9") is None
    assert session.data_hint("5.2.2") is None  # a process clause: no data hint
    empty = session.data_hint("5.2.4")  # a results clause without KPIs: sentences saying so, no band
    assert empty.band is None and empty.sentences
    session.set(("results",), [{"clause": "5.2.4", "name": "营业收入", "unit": "亿元", "target": 50,
                                "values": {2023: 40, 2024: 45, 2025: 52}}])
    hint = session.data_hint("5.2.4", "en")
    kpis = session.document.kpis("5.2.4")
    assert hint == draft_hint([analyze_kpi(k) for k in kpis], session.rubric, "en") and hint.band is not None


def test_an_individual_award_indicator_gets_a_hint_only_with_kpis():
    rubric = load_rubric("wuhan-individual")
    indicator = rubric.clauses[0].id
    session = Session(rubric, full_document(rubric), autosave_delay=None)
    assert session.data_hint(indicator) is None
    session.add_kpi(indicator)
    session.set(("results", 0, "name"), "带教人数")
    session.set(("results", 0, "values"), {2024: 3, 2025: 5})
    assert session.data_hint(indicator).sentences


def test_exports_are_files_that_open(store, applicant):
    sample = next(p for p in sample_paths() if p.name.startswith(RUBRIC))
    session = Session(load_rubric(RUBRIC), yaml.safe_load(sample.read_text(encoding="utf-8")), autosave_delay=None)
    session.set(("applicant", "short_name"), "华科/精密 集团")
    assert session.file_stem() == "华科-精密-集团-2026自评"  # the name people keep, the assessment's year, no id
    assert session.file_stem("en") == "华科-精密-集团-self-assessment-2026"
    name, content, mime = session.export("yaml")
    assert (name, mime) == ("华科-精密-集团-2026自评.yaml", "application/x-yaml")
    assert yaml.safe_load(content) == yaml.safe_load(session.yaml())
    name, content, mime = session.export("excel")
    assert name == "华科-精密-集团-2026自评.xlsx" and mime.endswith("spreadsheetml.sheet")
    assert len(openpyxl.load_workbook(io.BytesIO(content)).sheetnames) >= 5
    session.set(("applicant", "name"), "")
    session.settle()  # the person moved on from the name left empty
    with pytest.raises(QkitError) as refused:  # a report needs a document without problems
        session.export("report")
    assert [session.describe(p) for p in refused.value.problems] == session.all_messages()
    assert yaml.safe_load(session.export("yaml")[1])["applicant"].get("name") is None  # as typed, still given
    with pytest.raises(ValueError):
        session.export("pdf")
