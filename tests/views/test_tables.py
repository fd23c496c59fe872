"""The scorecard as tables: the numbers every view shows (report, Excel, batch summary), with their headers."""

from __future__ import annotations

import math
import re

import pytest

from support.documents import full_document, sample_cards
from qkit import from_data, load_rubric, score
from qkit.i18n import fmt_band, tr
from qkit.sections import factor_heatmap
from qkit.tables import (clause_frame, factor_grids, feedback_frame, item_frame, maturity_label, priority_frame,
                         summary_frame)

CARDS = sample_cards()
STEMS = sorted(CARDS)


def empty(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def card_for(rubric_id: str, scores: dict | None = None, uniform: int | None = 50, fields: dict | None = None):
    """A hand-built document: every clause at ``uniform`` (None: unscored), then ``scores`` and other clause fields."""
    rubric = load_rubric(rubric_id)
    data = full_document(rubric, 0)
    for c in rubric.clauses:
        data["clauses"][c.id]["score"] = uniform
    for clause, value in (scores or {}).items():
        data["clauses"][clause]["score"] = value
    for clause, extra in (fields or {}).items():
        data["clauses"][clause].update(extra)
    return score(from_data(data), rubric)


# --- items -----------------------------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_item_rows_add_up_to_the_total_row(stem):
    card = CARDS[stem]
    frame = item_frame(card)
    rows, total = frame.iloc[:-1], frame.iloc[-1]
    assert list(rows.iloc[:, 0]) == [i.id for i in card.items]
    assert list(rows.iloc[:, 1]) == [i.name() for i in card.items]
    assert total.iloc[1] == tr("total") and total.iloc[0] == ""
    assert rows.iloc[:, 2].sum() == total.iloc[2] == card.max
    assert rows.iloc[:, 3].sum() == pytest.approx(total.iloc[3]) and total.iloc[3] == pytest.approx(card.total)
    assert list(rows.iloc[:, 3]) == pytest.approx([sum(c.earned or 0 for c in i.clauses) for i in card.items])
    assert list(frame.iloc[:, 4]) == [round(100 * e / p, 1) for e, p in zip(frame.iloc[:, 3], frame.iloc[:, 2])]
    assert all(frame[col].dtype.kind in "iuf" for col in frame.columns[2:])  # numbers, for Excel to sum


def test_item_headers_name_items_or_indicator_groups_in_either_language():
    organization, individual = CARDS["hubei-manufacturing-huake"], CARDS["wuhan-individual-chen"]
    assert list(item_frame(organization).columns) == ["条目", "名称", "分值", "得分", "得分率"]
    assert list(item_frame(organization, "en").columns) == ["item", "title", "points", "earned", "score"]
    assert list(item_frame(individual).columns)[0] == "一级指标"
    assert list(item_frame(individual, "en").columns)[0] == "group"
    english = item_frame(organization, "en")
    assert list(english.iloc[:-1, 1]) == [i.name("en") for i in organization.items]
    assert english.iloc[-1, 1] == "total"
    assert {i.name("en") for i in organization.items}.isdisjoint(item_frame(organization).iloc[:, 1])


def test_an_unscored_clause_adds_nothing_to_its_item():
    card = card_for("hubei-service", {"5.2.2": None}, uniform=60)
    row = item_frame(card).iloc[0]
    first = card.items[0]
    assert row.iloc[3] == pytest.approx(sum(c.points * 60 / 100 for c in first.clauses if c.id != "5.2.2"))


# --- clauses ---------------------------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_one_clause_row_per_clause_with_its_points(stem):
    card = CARDS[stem]
    frame = clause_frame(card)
    assert len(frame.columns) == 11
    ids = list(frame.iloc[:, 1])
    assert ids == [c.id for c in card.clauses]
    by_clause = {c.id: item.id for item in card.items for c in item.clauses}
    assert list(frame.iloc[:, 0]) == [by_clause[i] for i in ids]
    for (_, row), c in zip(frame.iterrows(), card.clauses):
        assert row.iloc[2] == c.name() and row.iloc[3] == tr(c.kind)
        assert (row.iloc[4], row.iloc[5]) == (c.points, c.score)
        assert row.iloc[6] == pytest.approx(c.score * c.points / 100)
        if c.suggestion:
            assert (row.iloc[7], row.iloc[8]) == (fmt_band(c.suggestion.band), c.suggestion.score)
        else:
            assert empty(row.iloc[7]) and empty(row.iloc[8])
    flagged = [i for i, flag in zip(ids, frame.iloc[:, 9]) if not empty(flag)]
    assert flagged == [c.id for c in card.flagged]


def test_the_flag_column_names_a_score_outside_its_suggested_band():
    band = {"A": "50-65", "D": "50-65", "L": "50-65", "I": "50-65"}
    card = card_for("hubei-service", {"5.2.2": 90, "5.2.3": 90, "5.3.2": 55},
                    fields={"5.2.2": {"factors": band},
                            "5.2.3": {"factors": band, "notes": "共识评审认为应给 90%"},
                            "5.3.2": {"factors": band}})
    frame = clause_frame(card).set_index(clause_frame(card).columns[1])
    flag, suggested, note = frame.columns[8], frame.columns[6], frame.columns[9]
    assert frame.loc["5.2.2", flag] == "超出建议段"
    assert frame.loc["5.2.3", flag] == "超出建议段（已说明）"
    assert frame.loc["5.2.3", note] == "共识评审认为应给 90%"
    assert frame.loc["5.2.2", suggested] == "50%–65%"
    assert empty(frame.loc["5.3.2", flag])  # 55 lies in 50–65
    assert empty(frame.loc["5.2.4", flag]) and empty(frame.loc["5.2.4", suggested])  # no factors rated, no band
    english = clause_frame(card, "en").set_index("clause")
    assert english.loc["5.2.2", "flag"] == "outside band"
    assert english.loc["5.2.3", "flag"] == "outside band (justified)"
    assert english.loc["5.2.2", "kind"] == "process" and english.loc["5.2.4", "kind"] == "results"


def test_an_individual_score_below_the_lowest_band_is_flagged_so():
    card = card_for("wuhan-individual", {"1.1": 20}, uniform=80)
    frame = clause_frame(card)
    flags = dict(zip(frame.iloc[:, 1], frame.iloc[:, 9]))
    assert flags.pop("1.1") == "低于最低档"
    assert all(empty(f) for f in flags.values())
    assert list(frame.columns[:2]) == ["一级指标", "指标"]
    assert list(clause_frame(card, "en").columns[:2]) == ["group", "indicator"]
    assert set(frame.iloc[:, 3]) == {tr("indicator")}


def test_unscored_clauses_have_empty_score_cells():
    card = card_for("wuhan-service", {"5.2.2": None})
    row = clause_frame(card).iloc[0]
    assert row.iloc[1] == "5.2.2" and empty(row.iloc[5]) and empty(row.iloc[6])


# --- strengths and OFIs ----------------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_every_strength_and_ofi_is_one_numbered_row(stem):
    card = CARDS[stem]
    frame = feedback_frame(card)
    expected = [(c.id, kind, n, text)
                for c in card.clauses
                for kind, texts in (("strengths", card.assessment.rating(c.id).strengths),
                                    ("ofis", card.assessment.rating(c.id).ofis))
                for n, text in enumerate(texts, 1)]
    assert len(expected) > 0
    assert [(r.iloc[0], r.iloc[2], r.iloc[3], r.iloc[4]) for _, r in frame.iterrows()] == [
        (cid, tr(kind), n, text) for cid, kind, n, text in expected]


def test_feedback_headers_and_kinds_follow_the_language():
    card = CARDS["hubei-service-jiangcheng"]
    assert list(feedback_frame(card).columns) == ["条款", "名称", "类型", "序号", "内容"]
    english = feedback_frame(card, "en")
    assert list(english.columns) == ["clause", "title", "kind", "no.", "text"]
    assert set(english["kind"]) == {"strengths", "OFIs"}


def test_a_document_without_feedback_has_an_empty_feedback_table():
    frame = feedback_frame(card_for("hubei-medical"))
    assert frame.empty and len(frame.columns) == 5


# --- priorities ------------------------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_priorities_are_ranked_by_points_at_stake(stem):
    card = CARDS[stem]
    frame = priority_frame(card)
    at_stake = list(frame.iloc[:, 5])
    assert list(frame.iloc[:, 0]) == list(range(1, len(frame) + 1))
    assert at_stake == sorted(at_stake, reverse=True) and min(at_stake) > 0
    expected = {c.id: (100 - c.score) * c.points / 100 for c in card.clauses if c.score < 100}
    assert dict(zip(frame.iloc[:, 1], at_stake)) == pytest.approx(expected)
    for _, row in frame.iterrows():
        ofis = card.assessment.rating(row.iloc[1]).ofis
        assert (row.iloc[6] or "") == "\n".join(ofis)


def test_priorities_leave_out_full_scores_and_break_ties_by_clause():
    points = {c.id: c.points for c in load_rubric("hubei-service").clauses}
    assert [points[i] for i in ("5.2.2", "5.2.3", "5.2.4", "5.3.4")] == [50, 50, 80, 80]
    card = card_for("hubei-service", {"5.3.4": 50, "5.2.4": 50, "5.2.2": None, "5.2.3": 0}, uniform=100,
                    fields={"5.2.3": {"ofis": ["补充治理评价", "建立继任计划"]}})
    frame = priority_frame(card)
    assert list(frame.iloc[:, 1]) == ["5.2.3", "5.2.4", "5.3.4"]  # every other clause scores 100%
    assert list(frame.iloc[:, 5]) == [50, 40, 40]  # 5.2.2 is unscored: not known yet, so not a priority
    rows = frame.set_index(frame.columns[1])
    assert rows.loc["5.2.3"].iloc[5] == "补充治理评价\n建立继任计划"
    assert empty(rows.loc["5.2.4"].iloc[5])
    perfect = priority_frame(card_for("hubei-service", uniform=100))
    assert perfect.empty and list(perfect.columns) == list(frame.columns)


# --- the cohort ------------------------------------------------------------------------


def test_summary_gives_each_standard_its_own_item_columns():
    stems = ["hubei-manufacturing-huake", "wuhan-individual-chen", "hubei-service-jiangcheng"]
    cards = [CARDS[s] for s in stems]
    files = [f"{s}.yaml" for s in stems]
    frame = summary_frame(cards, files)
    organization = [f"{i.id} {i.name()}" for i in cards[0].items]
    individual = [f"{i.id} {i.name()}" for i in cards[1].items]
    assert list(frame.columns) == ["文件", "申报单位", "评定标准", *organization, *individual,
                                   "总分", "总分值", "得分率", "成熟度", "未评分"]
    assert list(frame["文件"]) == files
    for (_, row), card in zip(frame.iterrows(), cards):
        own = {f"{i.id} {i.name()}": i.earned for i in card.items}
        assert row["申报单位"] == card.assessment.name and row["评定标准"] == card.rubric.title()
        for column in organization + individual:
            if column in own:
                assert row[column] == pytest.approx(own[column])
            else:
                assert empty(row[column]), (card.rubric.id, column)
        assert sum(row[c] for c in own) == pytest.approx(row["总分"]) and row["总分"] == pytest.approx(card.total)
        assert row["总分值"] == card.max and row["得分率"] == round(card.percent, 1)
        assert row["成熟度"] == maturity_label(card) and empty(row["未评分"])


def test_summary_lists_unscored_clauses_and_speaks_english():
    partial = card_for("wuhan-service", {"5.2.2": None, "5.3.3": None}, uniform=70)
    frame = summary_frame([partial], ["partial.yaml"])
    assert frame.iloc[0]["未评分"] == "5.2.2、5.3.3"
    english = summary_frame([partial], ["partial.yaml"], "en")
    assert list(english.columns[:3]) == ["file", "applicant", "standard"]
    assert list(english.columns[-5:]) == ["total", "total points", "score", "maturity", "unscored"]
    assert english.iloc[0]["unscored"] == "5.2.2, 5.3.3"
    assert english.iloc[0]["standard"] == partial.rubric.title("en")
    assert f"5.2 {partial.items[0].name('en')}" in english.columns


# --- maturity --------------------------------------------------------------------------


@pytest.mark.parametrize("uniform, zh, en", [
    (100, "90%–100%", "90%–100%"), (50, "50%–65%", "50%–65%"), (0, "0%–5%", "0%–5%")])
def test_maturity_label_of_an_organization_is_its_band(uniform, zh, en):
    card = card_for("hubei-education", uniform=uniform)
    assert (maturity_label(card), maturity_label(card, "en")) == (zh, en)


def test_maturity_label_of_an_individual_below_every_band_says_so():
    low = card_for("wuhan-individual", uniform=20)
    assert maturity_label(low) == "低于最低描述档次（30%–45%）"
    assert maturity_label(low, "en") == "below the lowest described level (30%–45%)"
    assert maturity_label(card_for("wuhan-individual", uniform=35)) == "30%–45%"


def test_sample_maturity_labels():
    assert {stem: maturity_label(card) for stem, card in CARDS.items()} == {
        "hubei-education-qingchuan": "30%–45%", "hubei-manufacturing-huake": "50%–65%",
        "hubei-medical-jingchu": "50%–65%", "hubei-service-jiangcheng": "30%–45%",
        "wuhan-individual-chen": "70%–85%", "wuhan-manufacturing-guanggu": "10%–25%",
        "wuhan-service-hanjiang": "50%–65%"}
    jingchu = CARDS["hubei-medical-jingchu"]
    assert 65 < jingchu.percent < 70  # between two bands: the lower one


def test_the_factor_grid_holds_each_clauses_factor_ratings_and_score_as_bands():
    card = CARDS["hubei-manufacturing-huake"]
    process, results = factor_grids(card)
    assert (process.kind, results.kind) == ("process", "results")
    assert process.columns == ["A 方法", "D 展开", "L 学习", "I 整合", tr("score")]
    assert [label for label, _ in process.rows] == [f"{c.id} {c.name('zh')}" for c in card.clauses if c.kind == "process"]
    rubric = card.rubric
    for (label, bands), clause in zip(results.rows, [c for c in card.clauses if c.kind == "results"]):
        dimension = rubric.dimension(clause)
        factors = card.assessment.rating(clause.id).factors
        assert bands[:-1] == [dimension.band(factors[f]) if f in factors else None for f in dimension.factor_ids]
        assert bands[-1] == dimension.band_of(clause.score)
    lowest, highest = process.scale[0], process.scale[-1]
    assert (process.shade(lowest), process.shade(highest)) == (0, len(process.scale) - 1)
    (individual,) = factor_grids(CARDS["wuhan-individual-chen"])  # no factors: each score's band
    assert individual.kind is None and individual.columns == [tr("chart_score_band")]


def test_the_reports_heatmap_colours_each_band_and_leaves_unrated_factors_blank():
    rubric = load_rubric("hubei-service")
    data = full_document(rubric, score=50)
    for c in rubric.clauses:
        data["clauses"][c.id]["factors"] = {f: "50-65" for f in rubric.dimension(c).factor_ids}
    data["clauses"][rubric.clauses[0].id]["factors"].pop("A")
    data["applicant"]["short_name"] = "<i>服务</i>"
    card = score(from_data(data), rubric)
    page = factor_heatmap(card).html
    assert "&lt;i&gt;服务&lt;/i&gt;" in page and "<i>" not in page
    assert page.count('<table class="qk-heat"') == 2
    first_row = page.split("<tbody>")[1].split("</tr>")[0]
    assert 'class="qk-heat-none">—</td>' in first_row  # A not rated
    steps = {int(n) for n in re.findall(r'data-step="(\d+)"', page)}
    assert len(steps) == 1  # every rating and score in the same band: one colour
