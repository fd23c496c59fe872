"""Results analytics: direction-aware levels, trends and comparisons; coverage and the LeTCI hint."""

from __future__ import annotations

import copy

import pytest

from support.documents import full_document, sample_paths
from qkit import KPI, from_data, load, load_rubric, score
from qkit.analytics import (
    FAVOURABLE, FLAT, LEADING, LEVEL, MIN_KPIS, SUMMARY_COLUMNS, TRAILING, UNFAVOURABLE, VALUE_COLUMNS,
    analyze_kpi, analyze_results, kpi_summary_frame, kpi_values_frame, localize_columns,
)

MANUFACTURING = load_rubric("hubei-manufacturing")
INDIVIDUAL = load_rubric("wuhan-individual")


def kpi(values, better="higher", target=None, **comparisons) -> KPI:
    return KPI("5.2.4", "指标", "%", better, target, dict(values), {k: dict(v) for k, v in comparisons.items()})


def doc_with(results: list[dict], rubric=MANUFACTURING):
    data = full_document(rubric, 60)
    data["results"] = results
    return from_data(data)


def strong(clause="5.2.4", n=5) -> list[dict]:
    """KPIs that meet their targets, improve every year and lead their comparisons."""
    return [{"clause": clause, "name": f"强{i}", "better": "higher", "target": 10,
             "values": {2021: 8, 2022: 9, 2023: 10, 2024: 11},
             "comparisons": {"行业标杆": {2023: 9, 2024: 10.5}}} for i in range(n)]


def weak(clause="5.2.4", n=5) -> list[dict]:
    """KPIs short of target, two years of data, behind the benchmark."""
    return [{"clause": clause, "name": f"弱{i}", "better": "higher", "target": 10,
             "values": {2023: 8, 2024: 7},
             "comparisons": {"行业标杆": {2024: 9}}} for i in range(n)]


# --- one KPI -----------------------------------------------------------------

def test_falling_values_are_a_favourable_trend_when_lower_is_better():
    falling = {2021: 5.1, 2022: 4.2, 2023: 3.3, 2024: 2.5}
    assert analyze_kpi(kpi(falling, "lower")).trend == FAVOURABLE
    assert analyze_kpi(kpi(falling, "higher")).trend == UNFAVOURABLE
    rising = {y: -v for y, v in falling.items()}
    assert analyze_kpi(kpi(rising, "lower")).trend == UNFAVOURABLE
    assert analyze_kpi(kpi(rising, "higher")).trend == FAVOURABLE


def test_slope_is_per_year_and_keeps_the_sign_of_the_data():
    a = analyze_kpi(kpi({2020: 0, 2022: 4, 2024: 8}, "lower"))
    assert a.slope == pytest.approx(2.0)  # 8 over 4 years, not 4 per point
    assert a.trend == UNFAVOURABLE


def test_a_series_that_ends_where_it_began_has_no_slope_at_all():
    assert analyze_kpi(kpi({2023: 1.0, 2024: 0.0, 2025: 1.0})).slope == 0.0  # not -1.1e-13 from float noise
    assert analyze_kpi(kpi({2021: 3, 2022: 2, 2023: 4, 2024: 2, 2025: 3})).trend == FLAT


@pytest.mark.slow  # a fresh Python
def test_the_hint_needs_neither_pandas_nor_numpy():
    """The web form shows the hint under every results clause: it must not load pandas (0.4 s, 40 MB a page)."""
    import subprocess
    import sys

    code = ("import sys; from qkit import load, load_rubric; from qkit.analytics import analyze_results\n"
            "doc = load(sys.argv[1]); assert analyze_results(doc, load_rubric(doc.rubric))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'numpy')))")
    done = subprocess.run([sys.executable, "-c", code, str(sample_paths()[1])], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_fewer_than_three_years_is_not_a_trend():
    for values in ({2024: 3.0}, {2023: 1.0, 2024: 9.0}):
        a = analyze_kpi(kpi(values))
        assert a.trend is None and a.slope is None and not a.has_trend
    two = analyze_kpi(kpi({2023: 1.0, 2024: 9.0}))
    assert (two.favourable_changes, two.changes) == (1, 1)
    assert analyze_kpi(kpi({2022: 1.0, 2023: 5.0, 2024: 9.0})).trend == FAVOURABLE


def test_unchanged_values_are_a_flat_trend():
    assert analyze_kpi(kpi({2022: 99.9, 2023: 99.9, 2024: 99.9})).trend == FLAT


def test_favourable_changes_count_year_on_year_in_the_good_direction():
    a = analyze_kpi(kpi({2024: 3.0, 2021: 5.0, 2022: 4.0, 2023: 4.5}, "lower"))  # order of entry is irrelevant
    assert (a.favourable_changes, a.changes) == (2, 3)
    b = analyze_kpi(kpi({2021: 5.0, 2022: 4.0, 2023: 4.5, 2024: 3.0}, "higher"))
    assert (b.favourable_changes, b.changes) == (1, 3)


def test_level_against_target_is_direction_aware():
    higher = analyze_kpi(kpi({2023: 50, 2024: 51.3}, target=52))
    assert (higher.latest_year, higher.latest, higher.met) == (2024, 51.3, False)
    assert higher.gap == pytest.approx(-0.7)
    lower = analyze_kpi(kpi({2023: 2.5, 2024: 1.9}, "lower", target=2.0))
    assert lower.met is True and lower.gap == pytest.approx(0.1)
    assert analyze_kpi(kpi({2024: 2.0}, "lower", target=2.0)).met is True  # on target counts as met
    assert analyze_kpi(kpi({2024: 2.1}, "lower", target=2.0)).met is False
    untargeted = analyze_kpi(kpi({2024: 2.0}))
    assert untargeted.met is None and untargeted.gap is None


def test_comparisons_lead_or_trail_by_direction_at_the_latest_common_year():
    a = analyze_kpi(kpi({2023: 10, 2024: 12, 2025: 14}, "higher",
                        标杆={2024: 13, 2025: 15}, 对手={2023: 11, 2024: 11.5, 2026: 99}, 同行={2025: 14}))
    by = {c.series: c for c in a.comparisons}
    assert (by["标杆"].year, by["标杆"].ours, by["标杆"].theirs, by["标杆"].standing) == (2025, 14, 15, TRAILING)
    assert (by["对手"].year, by["对手"].standing) == (2024, LEADING)  # 2026 has no value of ours
    assert by["同行"].standing == LEVEL
    assert a.standing == "mixed"
    lower = analyze_kpi(kpi({2024: 3.0}, "lower", 平均={2024: 4.0}, 标杆={2024: 2.5}))
    assert {c.series: c.standing for c in lower.comparisons} == {"平均": LEADING, "标杆": TRAILING}
    assert analyze_kpi(kpi({2024: 3.0}, "lower", 平均={2024: 4.0})).standing == LEADING
    assert analyze_kpi(kpi({2024: 3.0}, "higher", 平均={2024: 4.0})).standing == TRAILING


def test_a_series_without_a_common_year_is_not_a_comparison():
    a = analyze_kpi(kpi({2024: 3.0}, 标杆={2022: 4.0}))
    assert a.comparisons == () and a.standing is None and a.lead_share == 0


# --- clauses -------------------------------------------------------------------

def test_coverage_counts_kpis_trends_comparisons_and_targets():
    doc = doc_with([
        {"clause": "5.2.4", "name": "甲", "target": 10, "values": {2022: 8, 2023: 9, 2024: 10},
         "comparisons": {"标杆": {2024: 9}}},
        {"clause": "5.2.4", "name": "乙", "better": "lower", "target": 1, "values": {2022: 3, 2023: 2, 2024: 2},
         "comparisons": {"标杆": {2024: 1}, "平均": {2024: 3}}},
        {"clause": "5.2.4", "name": "丙", "values": {2023: 5, 2024: 4}},
        {"clause": "5.3.4", "name": "丁", "target": 1, "values": {2024: 1}},
    ])
    by = {c.id: c for c in analyze_results(doc, MANUFACTURING)}
    cov = by["5.2.4"].coverage
    assert (cov.kpis, cov.with_target, cov.met, cov.trended, cov.favourable, cov.unfavourable) == (3, 2, 1, 2, 2, 0)
    assert (cov.compared, cov.leading, cov.trailing) == (2, 1, 0)
    assert by["5.3.4"].coverage.kpis == 1 and by["5.3.4"].coverage.met == 1
    assert by["5.4.4"].coverage.kpis == 0
    assert [c.id for c in by.values()] == [c.id for c in MANUFACTURING.clauses if c.kind == "results"]


def test_hint_sentences_state_the_evidence():
    results = strong(n=4) + weak(n=1)
    results[0]["comparisons"] = {}
    zh = {c.id: c for c in analyze_results(doc_with(results), MANUFACTURING)}["5.2.4"].hint.sentences
    assert "5 项指标中 4 项达到目标值" in zh
    assert "4 项指标有 3 年以上数据，其中 4 项趋势有利" in zh
    assert "4 项指标有对比数据，其中 3 项领先于全部对比对象，1 项落后于全部对比对象" in zh
    en = analyze_results(doc_with(results), MANUFACTURING, "en")[0].hint.sentences
    assert "4 of 5 KPIs meet their target" in en
    one = weak(n=1)
    one[0]["comparisons"] = {"行业标杆": {2024: 9}}
    single = analyze_results(doc_with(one), MANUFACTURING)[0]
    assert "仅 1 项指标有对比数据，且落后于行业标杆" in single.hint.sentences
    assert "没有指标有 3 年以上数据，尚不能判断趋势" in single.hint.sentences
    empty = analyze_results(doc_with([]), MANUFACTURING)[0]
    assert empty.hint.sentences == ("尚未报告支持该条款的指标数据",)
    assert empty.hint.band.key == "0-5"


def test_strong_data_suggests_a_higher_band_than_weak_data():
    def band(results):
        return analyze_results(doc_with(results), MANUFACTURING)[0].hint.band

    top, bottom = band(strong()), band(weak())
    assert (top.key, bottom.key) == ("90-100", "0-5")
    mixed = band(strong(n=3) + weak(n=2))
    assert bottom.min < mixed.min < top.min
    assert mixed.key == "50-65"  # 3 of 5 is 60 % for Le, T and C alike


def test_one_or_two_kpis_cannot_look_complete():
    bands = [analyze_results(doc_with(strong(n=n)), MANUFACTURING)[0].hint.band.min for n in (1, 2, MIN_KPIS)]
    assert bands == sorted(bands) and bands[0] < bands[1] < bands[2] == 90


def test_hint_factors_follow_their_own_evidence():
    results = strong()
    for r in results:
        r["comparisons"] = {}
    hint = analyze_results(doc_with(results), MANUFACTURING)[0].hint
    assert hint.factors["Le"].key == hint.factors["T"].key == "90-100"
    assert hint.factors["C"].key == "0-5"
    assert hint.band.key == "90-100"  # median of the three


def test_individual_award_hints_use_its_own_bands():
    doc = doc_with(strong("2.1", 3) + weak("2.3", 3), INDIVIDUAL)
    by = {c.id: c for c in analyze_results(doc, INDIVIDUAL)}
    assert sorted(by) == ["2.1", "2.3"]  # only indicators with KPIs
    assert by["2.1"].hint.band in INDIVIDUAL.bands and by["2.1"].hint.band.key == "90-100"
    assert by["2.3"].hint.band is None  # below the lowest described band


def test_analysis_never_changes_a_score_or_the_document():
    for results in (strong(), weak()):
        doc = doc_with(results)
        before_doc, before_card = copy.deepcopy(doc.to_data()), score(doc, MANUFACTURING).to_dict()
        analyze_results(doc, MANUFACTURING)
        kpi_summary_frame(doc)
        assert doc.to_data() == before_doc
        assert score(doc, MANUFACTURING).to_dict() == before_card
    assert score(doc_with(strong()), MANUFACTURING).total == score(doc_with(weak()), MANUFACTURING).total


# --- frames and the sample applicants ------------------------------------------

@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: p.stem)
def test_sample_applicants(path):
    doc = load(path)
    rubric = load_rubric(doc.rubric)
    clauses = analyze_results(doc, rubric)
    if rubric.kind == "organization":
        assert [c.id for c in clauses] == [c.id for c in rubric.clauses if c.kind == "results"]
        bands = rubric.guidelines.results.bands
    else:
        assert [c.id for c in clauses] == sorted({k.clause for k in doc.results}, key=[c.id for c in rubric.clauses].index)
        bands = rubric.bands
    assert sum(c.coverage.kpis for c in clauses) == len(doc.results)
    for c in clauses:
        assert c.hint.band is None or c.hint.band in bands
        assert len(c.hint.sentences) == 4 and all(c.hint.sentences)
        assert c.coverage.met <= c.coverage.with_target <= c.coverage.kpis

    values = kpi_values_frame(doc)
    assert list(values.columns) == VALUE_COLUMNS
    assert len(values) == sum(len(k.values) + sum(map(len, k.comparisons.values())) for k in doc.results)
    own = values[values.series == "本组织"]
    assert len(own) == sum(len(k.values) for k in doc.results)
    first = doc.results[0]
    assert dict(zip(own[own.kpi_no == 1].year, own[own.kpi_no == 1].value)) == first.values

    summary = kpi_summary_frame(doc)
    assert list(summary.columns) == SUMMARY_COLUMNS and len(summary) == len(doc.results)
    assert summary.met.sum() == sum(c.coverage.met for c in clauses)
    assert (summary.trend == "有利").sum() == sum(c.coverage.favourable for c in clauses)
    assert "目标值" in localize_columns(summary).columns
    assert "target" in localize_columns(kpi_summary_frame(doc, "en"), "en").columns
    assert set(kpi_values_frame(doc, "en").series) >= {"Our organization"}
