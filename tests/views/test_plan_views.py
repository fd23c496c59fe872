"""The improvement plan as people read it: qkit plan (a table, JSON, CSV) and qkit plan draft, the comparison with
the next cycle (qkit compare and the report's 与上期比较), the workbook's 改进计划 sheet, the report's 改进计划 section
(roadmap, timeline, gain) and the Word feedback report, each of its edition."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import docx
import openpyxl
import pytest
import yaml

from qkit import from_data, load, load_rubric, score, sections
from qkit.docx_report import FEEDBACK, write_docx
from qkit.excel import write_workbook
from qkit.i18n import fmt_date, fmt_points
from qkit.plan import STATUSES, gain, plan_of
from qkit.tables import APPLICANT, Edition
from support.documents import FORMULA, HOSTILE, SAMPLES, write_yaml, HUAKE
from support.plans import two_cycles

DAY = "2026-04-16"  # huake's assessment date: one action (5.2.4-1, due 2026-03-31, in progress) is overdue
KEYS = {"clauses", "ofis", "action", "owner", "start", "due", "status", "target_score", "kpi", "overdue"}


@pytest.fixture(scope="module")
def huake():
    doc = load(HUAKE)
    return score(doc, load_rubric(doc.rubric))


# --- qkit plan ----------------------------------------------------------------------------------


def test_plan_json_gives_each_action_and_the_gain_with_overdue_judged_on_the_day_given(cli, huake):
    code, out, err = cli("plan", HUAKE, "--json", "--today", DAY)
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"actions", "gain"} and all(set(a) == KEYS for a in data["actions"])
    assert len(data["actions"]) == len(huake.assessment.improvements)
    assert {a["status"] for a in data["actions"]} == set(STATUSES)
    assert [a["clauses"] for a in data["actions"] if a["overdue"]] == [["5.2.4"]]
    first = data["actions"][1]
    assert first["due"] == "2026-03-31" and first["kpi"] == {"name": "利润总额", "target": 4.6, "year": 2026}
    assert data["gain"] == pytest.approx(gain(huake)) and data["gain"] > 0
    later = json.loads(cli("plan", HUAKE, "--json", "--today", "2026-12-01")[1])
    assert sum(a["overdue"] for a in later["actions"]) == 3


def test_plan_table_marks_what_is_overdue_and_says_the_gain(cli, huake):
    code, out, _ = cli("plan", HUAKE, "--today", DAY)
    assert code == 0
    assert "逾期" in out and "进行中" in out and "1 项已逾期" in out
    assert f"预计可提升 {fmt_points(gain(huake))} 分" in out
    english = cli("plan", HUAKE, "--today", DAY, "--lang", "en")[1]
    assert "in progress" in english and "1 of them overdue" in english


def test_plan_csv_has_a_row_per_action_and_keeps_typed_formulas_as_text(cli, tmp_path):
    data = yaml.safe_load(HUAKE.read_text(encoding="utf-8"))
    data["improvements"][0]["owner"] = FORMULA
    path = write_yaml(tmp_path / "华科.yaml", data)
    code, out, err = cli("plan", path, "--csv", "--today", DAY)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == [a["id"] for a in data["improvements"]]
    assert rows[0]["owner"] == f"'{FORMULA}" and rows[0]["clauses"] == "5.4.3;5.4.4"
    assert [r["id"] for r in rows if r["overdue"] == "true"] == ["5.2.4-1"]


def test_plan_of_a_document_without_one_says_how_to_draft_it(cli):
    code, out, _ = cli("plan", SAMPLES / "hubei-service-jiangcheng.yaml")
    assert code == 0 and "qkit plan draft" in out
    assert json.loads(cli("plan", SAMPLES / "hubei-service-jiangcheng.yaml", "--json")[1]) == {"actions": [], "gain": 0}


def test_plan_draft_writes_a_new_file_and_leaves_the_input_as_it_is(cli, tmp_path):
    source = tmp_path / "汉江水务.yaml"
    source.write_bytes((SAMPLES / "wuhan-service-hanjiang.yaml").read_bytes())
    before = source.read_bytes()
    target = tmp_path / "汉江水务-计划.yaml"
    code, out, err = cli("plan", "draft", source, "-o", target, "--top", "4")
    assert code == 0, err
    assert source.read_bytes() == before
    assert "已草拟 4 项改进措施" in out
    assert target.read_text(encoding="utf-8").startswith("# 示例自评文档")  # the file's comments kept
    drafted = load(target).improvements
    card = score(load(source), load_rubric("wuhan-service"))
    assert [a.clauses for a in drafted] == [(c.id,) for c in card.priorities(4)]
    assert cli("validate", target)[0] == 0


def test_plan_draft_refuses_to_overwrite_its_input_or_another_file(cli, tmp_path):
    source = write_yaml(tmp_path / "a.yaml", yaml.safe_load(HUAKE.read_text(encoding="utf-8")))
    before = source.read_bytes()
    code, _, err = cli("plan", "draft", source, "-o", source)
    assert code == 1 and "不能覆盖原文件" in err and source.read_bytes() == before
    other = tmp_path / "b.yaml"
    other.write_text("留着", encoding="utf-8")
    code, _, err = cli("plan", "draft", source, "-o", other, "--lang", "en")
    assert code == 1 and "--force" in err and other.read_text(encoding="utf-8") == "留着"
    assert cli("plan", "draft", source)[0] == 1  # no -o


def test_a_wrong_day_is_named(cli, tmp_path):
    code, _, err = cli("plan", HUAKE, "--today", "2026-02-30")
    assert code == 1 and err.startswith("--today：应为日期") and "Traceback" not in err
    for command in ("report", "batch"):  # named before any report runs
        code, _, err = cli(command, HUAKE if command == "report" else SAMPLES, "-o", tmp_path / command, "--no-pdf",
                           "--today", "2026-02-30")
        assert code == 1 and err.startswith("--today：应为日期") and "Traceback" not in err
        assert not (tmp_path / command).exists()


# --- the comparison with the next cycle -------------------------------------------------------------


@pytest.fixture
def cycles(tmp_path):
    old, new = two_cycles()
    return write_yaml(tmp_path / "2026.yaml", old), write_yaml(tmp_path / "2027.yaml", new)


def test_qkit_compare_says_what_the_completed_actions_did(cli, cycles):
    code, out, err = cli("compare", *cycles)
    assert code == 0, err
    said = out[out.index("改进措施的效果"):]
    assert re.search(r"5\.7\.4 质量提升的结果（5\.7\.4-1）：70% → 80% 上升", said)
    assert re.search(r"5\.6\.4 创新驱动的结果（5\.6\.4-1）：70% → 65% 下降", said)
    assert "设备综合效率（OEE）：2026年达到 84：85 已达成" in said and "利润总额：2026年达到 4.6：4.5 未达成" in said
    data = json.loads(cli("compare", *cycles, "--json")[1])
    assert {c["clause"]: c["moved"] for c in data["plan"]["clauses"]} == {"5.6.4": "down", "5.7.4": "up"}


def test_the_reports_comparison_section_shows_them_too(cycles):
    old, new = cycles
    parts = sections.comparison(sections.load_scorecard(new), old, "zh")
    html = parts[-1].html
    assert "改进措施的效果" in html and "指标目标达成情况" in html
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    cells = [re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", r, re.S) for r in rows]
    assert ["5.7.4", "质量提升的结果", "5.7.4-1 在两条转向节产线开展OEE提升六西格玛项目，关键工序导入在线检测", "70%", "80%",
            "+10", "上升"] in cells
    assert any(c[:2] == ["5.2.4", "利润总额"] and c[-1] == "未达成" for c in cells)
    bands = sections.comparison(sections.load_scorecard(new), old, "zh", edition=Edition(bands_only=True))[-1].html
    assert "70%–85%" in bands and "上升" not in bands and "+10" not in bands


# --- the workbook, the report and the Word file ------------------------------------------------------


def test_the_workbook_has_a_plan_sheet_with_dates_and_the_overdue_action_marked(huake, tmp_path):
    book = openpyxl.load_workbook(write_workbook(huake, tmp_path / "华科.xlsx", today=DAY))
    assert book.sheetnames.index("改进计划") == book.sheetnames.index("改进优先级") + 1
    sheet = book["改进计划"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [r["编号"] for r in rows] == [a.id for a in huake.assessment.improvements]
    assert all(isinstance(r["截止日期"], dt.datetime) for r in rows)
    assert [r["编号"] for r in rows if r["逾期"]] == ["5.2.4-1"]
    assert rows[1]["目标得分率"] == 70 and rows[1]["进展"].startswith("一季度")
    english = openpyxl.load_workbook(write_workbook(huake, tmp_path / "en.xlsx", "en", today=DAY))
    assert "Improvement plan" in english.sheetnames
    applicant = openpyxl.load_workbook(write_workbook(huake, tmp_path / "app.xlsx", edition=Edition(APPLICANT)))
    assert "进展" not in [c.value for c in applicant["改进计划"][1]]


@pytest.mark.slow
def test_qkit_report_reads_the_plan_on_the_day_given_in_every_file(cli, tmp_path):
    """A report made months after the assessment still reads the plan on the day given: the HTML's 改进计划, the
    Excel sheet and the Word feedback report mark what was overdue on --today, and only that."""
    def made(day: str):
        out = tmp_path / day
        code, _, err = cli("report", HUAKE, "-o", out, "--no-pdf", "--docx", "feedback", "--today", day)
        assert code == 0, err
        html = (out / f"{HUAKE.stem}.html").read_text(encoding="utf-8")
        sheet = openpyxl.load_workbook(out / f"{HUAKE.stem}.xlsx")["改进计划"]
        header = [c.value for c in sheet[1]]
        overdue = [r[header.index("编号")] for r in sheet.iter_rows(min_row=2, values_only=True)
                   if r[header.index("逾期")]]
        (word,) = out.glob("*.docx")
        table = next(t for t in docx.Document(word).tables if t.rows[0].cells[0].text == "编号")
        rows = [[c.text for c in r.cells] for r in table.rows]
        in_word = [r[0] for r in rows[1:] if r[rows[0].index("逾期")] == "逾期"]
        return html, overdue, in_word

    html, overdue, in_word = made(DAY)
    assert f"截至 {fmt_date(DAY, 'zh')}" in html and "其中 1 项已逾期" in html
    assert overdue == in_word == ["5.2.4-1"]
    html, overdue, in_word = made("2025-12-31")  # before any action was due
    assert f"截至 {fmt_date('2025-12-31', 'zh')}" in html and "其中 0 项已逾期" in html
    assert overdue == in_word == []


def test_the_report_section_has_the_roadmap_the_gain_and_a_timeline_coloured_by_status(huake):
    parts = sections.plan(huake, "zh", today=DAY)
    html = "".join(p.html for p in parts)
    assert "截至 2026年4月16日，共 7 项措施（未开始 2、进行中 3、已完成 1、已取消 1），其中 1 项已逾期" in html
    assert f"预计可提升 {fmt_points(plan_of(huake).gain)} 分" in html
    roadmap = re.search(r'<table class="qk-table qk-roadmap">(.*?)</table>', html, re.S).group(1)
    assert all(f">{item.id}<" in roadmap for item in huake.items)
    bars = re.findall(r'<g class="qk-timeline-row" data-status="([^"]+)" data-overdue="(\w+)"', html)
    assert len(bars) == 7 and {s for s, _ in bars} == set(STATUSES)
    assert [o for _, o in bars].count("true") == 1
    fills = set(re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="12" rx="2" fill="(#\w+)"', html))
    assert len(fills) == 4  # a colour per status
    assert html.count('class="qk-overdue"') == 1
    assert sections.plan(sections.load_scorecard(SAMPLES / "hubei-service-jiangcheng.yaml")) == []


def test_the_report_section_with_bands_only_gives_bands_and_no_gain(huake):
    html = "".join(p.html for p in sections.plan(huake, "zh", Edition(bands_only=True), DAY))
    assert "预计可提升" not in html and "可提升”未列出" in html
    roadmap = re.search(r'<table class="qk-table qk-roadmap">(.*?)</table>', html, re.S).group(1)
    assert "当前分数段" in roadmap and "119.5" not in roadmap


def test_what_a_team_typed_into_the_plan_stays_text(huake):
    data = yaml.safe_load(HUAKE.read_text(encoding="utf-8"))
    data["improvements"][0]["action"] = HOSTILE
    card = score(from_data(data), huake.rubric)
    html = "".join(p.html for p in sections.plan(card, today=DAY))
    assert HOSTILE not in html and "&lt;script&gt;" in html


def test_the_word_feedback_report_has_the_plan_by_due_day(huake, tmp_path):
    (path,) = write_docx(huake, HUAKE, tmp_path, FEEDBACK, today=DAY)
    document = docx.Document(path)
    assert "改进计划" in [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "编号")
    rows = [[c.text for c in r.cells] for r in table.rows]
    header = rows[0]
    dues = [dt.date(*map(int, re.findall(r"\d+", r[header.index("截止日期")]))) for r in rows[1:]]
    assert dues == sorted(dues) and len(dues) == 7
    assert [r[0] for r in rows[1:] if r[header.index("逾期")] == "逾期"] == ["5.2.4-1"]
    texts = [p.text for p in document.paragraphs]
    assert any(t.startswith("全部目标得分达成时，预计可提升") for t in texts)
    (tmp_path / "app").mkdir()
    (applicant,) = write_docx(huake, HUAKE, tmp_path / "app", FEEDBACK, edition=Edition(APPLICANT), today=DAY)
    notes = huake.assessment.improvements[1].notes
    assert notes in "".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert notes not in "".join(c.text for t in docx.Document(applicant).tables for r in t.rows for c in r.cells)
