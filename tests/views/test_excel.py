"""The Excel workbook: one sheet per table, numbers as numbers, typed text never a formula, a usable header."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from support.documents import FORMULA, HOSTILE, markup_data, sample_cards
from qkit import from_data, score
from qkit.excel import csv_safe, write_sheets, write_workbook
from qkit.tables import clause_frame, feedback_frame, priority_frame

CARDS = sample_cards()
SHEETS = {
    "zh": ["得分", "条目得分", "优势与改进机会", "改进优先级", "KPI数据", "KPI分析"],
    "en": ["Scores", "Items", "Strengths and OFIs", "Priorities", "KPI data", "KPI analysis"],
}


def rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(min_row=2, values_only=True))


def header(sheet) -> list:
    return [c.value for c in sheet[1]]


@pytest.fixture(scope="module")
def huake(tmp_path_factory):
    card = CARDS["hubei-manufacturing-huake"]
    return card, openpyxl.load_workbook(write_workbook(card, tmp_path_factory.mktemp("xlsx") / "huake.xlsx"))


@pytest.fixture(scope="module")
def markup(tmp_path_factory):
    """A document whose strength is a formula and whose texts hold markup."""
    data = markup_data()
    data["clauses"]["5.2.2"]["strengths"].append(FORMULA)
    data["clauses"]["5.2.3"]["strengths"][0] = "+86 27 8888 0000"
    data["clauses"]["5.2.4"]["notes"] = "@SUM(A1:A9)"
    card = score(from_data(data), CARDS["hubei-manufacturing-huake"].rubric)
    path = write_workbook(card, tmp_path_factory.mktemp("xlsx") / "markup.xlsx")
    return card, path


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("stem", ["hubei-service-jiangcheng", "wuhan-individual-chen"])
def test_one_sheet_per_table_named_in_the_language(tmp_path, stem, lang):
    book = openpyxl.load_workbook(write_workbook(CARDS[stem], tmp_path / "book.xlsx", lang))
    card = CARDS[stem]
    own = {"zh": ["因素评级", "证据", "自评报告"], "en": ["Factor ratings", "Evidence", "Self-assessment report"]}[lang]
    present = [card.rubric.profile is not None, any(card.assessment.rating(c.id).evidence for c in card.clauses),
               any(card.assessment.rating(c.id).narrative for c in card.clauses) or any(card.assessment.profile.values())]
    assert book.sheetnames == SHEETS[lang][:4] + [n for n, p in zip(own, present) if p] + SHEETS[lang][4:]
    scores = book[SHEETS[lang][0]]
    assert header(scores) == list(clause_frame(CARDS[stem], lang).columns)
    assert len(rows(scores)) == len(CARDS[stem].clauses)


def test_scores_and_points_stay_numbers(huake):
    card, book = huake
    scores = book["得分"]
    head = header(scores)
    cells = {row[1].value: row for row in scores.iter_rows(min_row=2)}
    assert list(cells) == [c.id for c in card.clauses]
    for c in card.clauses:
        for column, value in (("分值", c.points), ("得分率", c.score / 100), ("得分", c.earned)):
            cell = cells[c.id][head.index(column)]
            assert cell.data_type == "n" and cell.value == pytest.approx(value), (c.id, column)
        assert cells[c.id][head.index("得分率")].number_format == "0%"  # 70%, a share Excel can sum and sort
    items = rows(book["条目得分"])
    assert [r[0] for r in items[:-1]] == [i.id for i in card.items]
    assert items[-1][2:4] == (card.max, pytest.approx(card.total))
    assert sum(r[3] for r in items[:-1]) == pytest.approx(card.total)


def test_priorities_and_feedback_sheets_hold_the_tables(huake):
    card, book = huake
    priorities = rows(book["改进优先级"])
    expected = priority_frame(card)
    assert [(r[0], r[1], r[5]) for r in priorities] == [
        (rank, cid, pytest.approx(at_stake)) for rank, cid, at_stake in expected.iloc[:, [0, 1, 5]].itertuples(index=False)]
    feedback = rows(book["优势与改进机会"])
    assert [r[4] for r in feedback] == list(feedback_frame(card).iloc[:, 4])


def test_kpi_sheets_have_one_row_per_value_and_per_kpi(huake):
    card, book = huake
    doc = card.assessment
    values = rows(book["KPI数据"])
    assert len(values) == sum(len(k.values) + sum(len(s) for s in k.comparisons.values()) for k in doc.results)
    assert {r[4] for r in values} <= {"越高越好", "越低越好"}  # the direction in words, not higher/lower
    first = doc.results[0]
    own = {r[6]: r[7] for r in values if r[0] == 1 and r[5] == "本组织"}
    assert own == first.values and not any(isinstance(v, str) for v in own.values())
    summary = book["KPI分析"]
    assert len(rows(summary)) == len(doc.results)
    assert [r[2] for r in rows(summary)] == [k.name for k in doc.results]


def test_formula_like_text_stays_a_string_never_a_formula(markup):
    card, path = markup
    book = openpyxl.load_workbook(path)
    feedback = book["优势与改进机会"]
    cells = {row[4].value: row[4] for row in feedback.iter_rows(min_row=2)}
    for text in (FORMULA, f"强项 {HOSTILE}", "+86 27 8888 0000"):
        assert cells[text].data_type == "s", text
    assert cells[FORMULA].value == FORMULA
    notes = {row[1].value: row[10] for row in book["得分"].iter_rows(min_row=2)}
    assert (notes["5.2.4"].value, notes["5.2.4"].data_type) == ("@SUM(A1:A9)", "s")
    with zipfile.ZipFile(path) as archive:  # not one cell of any sheet is stored as a formula
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode("utf-8") and "<f " not in archive.read(name).decode("utf-8")


def test_header_row_is_frozen_styled_and_filtered(huake):
    _, book = huake
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == sheet.dimensions, sheet.title
        for cell in sheet[1]:
            assert cell.font.b and cell.font.color.rgb.endswith("FFFFFF"), (sheet.title, cell.value)
            assert cell.fill.fgColor.rgb.endswith("1D3557"), (sheet.title, cell.value)
        for row in sheet.iter_rows(min_row=2, max_row=3):
            assert not any(cell.font.b for cell in row)


def test_column_widths_fit_chinese_text_and_long_text_wraps(huake):
    _, book = huake
    scores = book["得分"]
    widths = {col: scores.column_dimensions[col].width for col in "ABCK"}
    assert widths["C"] > widths["B"]  # 品牌影响的结果 (7 CJK) is wider than 5.2.4
    assert widths["C"] >= 2 * max(len(str(c.value)) for c in scores["C"] if c.value)
    assert widths["K"] == 60  # the assessor's notes: capped
    assert all(c.alignment.wrap_text for c in scores["K"][1:] if c.value)
    feedback = book["优势与改进机会"]
    assert feedback.column_dimensions["E"].width == 60 and feedback["E2"].alignment.wrap_text


def test_write_sheets_keeps_the_given_order_and_values(tmp_path):
    frames = {"二": pd.DataFrame({"名称": ["=1+1", "甲"], "数": [1.5, -2]}), "one": pd.DataFrame({"x": [None, 3]})}
    book = openpyxl.load_workbook(write_sheets(tmp_path / "s.xlsx", frames))
    assert book.sheetnames == ["二", "one"]
    assert [(c.value, c.data_type) for c in book["二"]["A"][1:]] == [("=1+1", "s"), ("甲", "s")]
    assert [c.value for c in book["二"]["B"][1:]] == [1.5, -2]
    assert [c.value for c in book["one"]["A"]] == ["x", None, 3]


def test_csv_safe_quotes_only_text_a_spreadsheet_would_run():
    frame = pd.DataFrame({
        "text": ["=HYPERLINK(\"x\")", "+1", "-2 项", "@SUM(A1)", "\tTAB", "\rCR", "普通文字", "a=b", ""],
        "number": [-5, 0, 1.5, -0.25, 3, 4, 5, 6, 7],
    })
    safe = csv_safe(frame)
    assert list(safe["text"]) == ["'=HYPERLINK(\"x\")", "'+1", "'-2 项", "'@SUM(A1)", "'\tTAB", "'\rCR", "普通文字",
                                  "a=b", ""]
    assert list(safe["number"]) == [-5, 0, 1.5, -0.25, 3, 4, 5, 6, 7]  # negative numbers are numbers, not text
    assert frame["text"][0] == "=HYPERLINK(\"x\")"  # the given frame is left as it was


def test_every_sheet_prints_on_a4_across_with_its_header_on_each_page(huake):
    _, book = huake
    for sheet in book:
        setup = sheet.page_setup
        assert (int(setup.paperSize), setup.orientation) == (9, "landscape"), sheet.title  # 9: A4
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0) and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"


def test_percentages_are_percentages_and_met_reads_yes_or_no_in_the_sheets_language(huake, tmp_path):
    card, book = huake
    items = book["条目得分"]
    share = [r for r in items.iter_rows(min_row=2)][0][4]
    assert share.number_format == "0.0%" and share.value == pytest.approx(round(card.items[0].percent, 1) / 100)
    met = header(book["KPI分析"]).index("达标")
    values = {r[met] for r in rows(book["KPI分析"])}
    assert values <= {"是", "否", None} and "是" in values  # never TRUE / FALSE
    english = openpyxl.load_workbook(write_workbook(card, tmp_path / "en.xlsx", "en"))
    assert {r[met] for r in rows(english["KPI analysis"])} <= {"yes", "no", None}


def test_the_applicants_workbook_holds_the_teams_factor_ratings_evidence_and_text(tmp_path):
    from qkit.tables import Edition

    card = CARDS["hubei-manufacturing-huake"]
    book = openpyxl.load_workbook(write_workbook(card, tmp_path / "applicant.xlsx", edition=Edition("applicant")))
    factors = {r[0]: r for r in rows(book["因素评级"])}
    rated = card.assessment.rating("5.2.2").factors
    assert header(book["因素评级"])[3:7] == ["A 方法", "D 展开", "L 学习", "I 整合"]
    assert factors["5.2.2"][3] == f"{rated['A'].replace('-', '%–')}%"
    evidence = rows(book["证据"])
    assert [r[3] for r in evidence if r[0] == "5.2.2"] == [str(e) for e in card.assessment.rating("5.2.2").evidence]
    text = {r[0]: r for r in rows(book["自评报告"])}
    assert text["5.2.2"][2] == card.assessment.rating("5.2.2").narrative and text["5.2.2"][3] > 100
