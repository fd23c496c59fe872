"""Scoring invariants, the suggested band, maturity and gaps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.documents import full_document, RUBRIC_IDS
from qkit import from_data, load_rubric, score, suggest

BANDS = ["0-5", "10-25", "30-45", "50-65", "70-85", "90-100"]
SCORES = st.sampled_from(range(0, 101, 5))
RUBRICS = {rid: load_rubric(rid) for rid in RUBRIC_IDS}


def card_for(rubric, scores: dict[str, int | None], factors: dict | None = None):
    data = full_document(rubric)
    data["clauses"] = {cid: {"score": s} for cid, s in scores.items()}
    for cid, f in (factors or {}).items():
        data["clauses"][cid]["factors"] = f
    return score(from_data(data), rubric)


@pytest.mark.parametrize("rubric_id", RUBRIC_IDS)
def test_every_clause_at_100_scores_exactly_the_maximum(rubric_id):
    rubric = RUBRICS[rubric_id]
    card = score(from_data(full_document(rubric, 100)), rubric)
    assert card.total == rubric.total_points == card.max
    assert card.complete and not card.missing
    assert card.total == (1000 if rubric.kind == "organization" else 100)


@settings(max_examples=60, deadline=None)
@given(rubric_id=st.sampled_from(RUBRIC_IDS), data=st.data())
def test_totals_are_sums_and_stay_in_range(rubric_id, data):
    rubric = RUBRICS[rubric_id]
    scores = {c.id: data.draw(st.one_of(st.none(), SCORES)) for c in rubric.clauses}
    card = card_for(rubric, scores)
    assert 0 <= card.total <= card.max
    assert card.total == pytest.approx(sum(item.earned for item in card.items))
    expected = sum(scores[c.id] * c.points / 100 for c in rubric.clauses if scores[c.id] is not None)
    assert card.total == pytest.approx(expected)
    assert card.missing == [c.id for c in rubric.clauses if scores[c.id] is None]
    assert card.max - card.total == pytest.approx(sum(c.at_stake for c in card.clauses))
    stakes = [c.at_stake for c in card.gaps()]
    assert stakes == sorted(stakes, reverse=True)


@settings(max_examples=60, deadline=None)
@given(rubric_id=st.sampled_from(RUBRIC_IDS), data=st.data())
def test_raising_one_clause_never_lowers_the_total(rubric_id, data):
    rubric = RUBRICS[rubric_id]
    scores = {c.id: data.draw(SCORES) for c in rubric.clauses}
    before = card_for(rubric, scores).total
    target = data.draw(st.sampled_from([c.id for c in rubric.clauses]))
    raised = {**scores, target: min(100, scores[target] + 5)}
    after = card_for(rubric, raised).total
    points = next(c.points for c in rubric.clauses if c.id == target)
    assert after - before == pytest.approx((raised[target] - scores[target]) * points / 100)


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["process", "results"]), picks=st.lists(st.sampled_from(BANDS), min_size=4, max_size=4))
def test_suggestion_lies_within_the_factor_ratings(kind, picks):
    dimension = RUBRICS["hubei-service"].guidelines.dimension(kind)
    ratings = dict(zip(dimension.factor_ids, picks))
    s = suggest(ratings, dimension)
    lows = sorted(int(p.split("-")[0]) for p in picks)
    assert s.band.key in picks
    assert lows[0] <= s.band.min <= lows[-1]
    assert s.score in s.band.steps
    if len(set(picks)) == 1:
        assert s.score == s.band.steps[(len(s.band.steps) - 1) // 2]


def test_suggestion_examples():
    dim = RUBRICS["hubei-manufacturing"].guidelines.process
    assert suggest({"A": "50-65", "D": "50-65", "L": "50-65", "I": "50-65"}, dim).score == 55
    s = suggest({"A": "50-65", "D": "50-65", "L": "30-45", "I": "50-65"}, dim)
    assert (s.band.key, s.score) == ("50-65", 50)
    s = suggest({"A": "70-85", "D": "50-65", "L": "50-65", "I": "70-85"}, dim)
    assert (s.band.key, s.score) == ("50-65", 65)
    s = suggest({"A": "90-100", "D": "90-100", "L": "90-100", "I": "90-100"}, dim)
    assert (s.band.key, s.score) == ("90-100", 95)
    assert suggest({"A": "50-65", "D": "50-65"}, dim) is None


def test_a_score_outside_the_suggested_band_is_flagged_not_changed():
    rubric = RUBRICS["hubei-manufacturing"]
    scores = {c.id: 50 for c in rubric.clauses}
    scores["5.2.2"] = 80
    card = card_for(rubric, scores, {"5.2.2": {"A": "50-65", "D": "50-65", "L": "50-65", "I": "50-65"},
                                     "5.2.3": {"A": "50-65", "D": "50-65", "L": "50-65", "I": "50-65"}})
    by_id = {c.id: c for c in card.clauses}
    assert by_id["5.2.2"].outside_band and by_id["5.2.2"].score == 80
    assert not by_id["5.2.3"].outside_band
    assert [c.id for c in card.flagged] == ["5.2.2"]


def test_partial_document_says_what_is_missing(cli, tmp_path):
    from support.documents import write_yaml
    rubric = RUBRICS["wuhan-service"]
    data = full_document(rubric, 60)
    del data["clauses"]["5.6.3"]
    data["clauses"]["5.7.4"] = {"score": None, "strengths": ["已有数据"]}
    card = score(from_data(data), rubric)
    assert not card.complete and card.missing == ["5.6.3", "5.7.4"]
    assert card.total == 600 - 0.6 * (45 + 70)
    code, out, _ = cli("score", write_yaml(tmp_path / "p.yaml", data))
    assert code == 0 and "部分评分" in out and "5.6.3、5.7.4" in out


@pytest.mark.parametrize("uniform, band", [(0, "0-5"), (5, "0-5"), (45, "30-45"), (50, "50-65"), (85, "70-85"), (100, "90-100")])
def test_maturity_places_the_total_in_the_bands(uniform, band):
    rubric = RUBRICS["hubei-medical"]
    card = card_for(rubric, {c.id: uniform for c in rubric.clauses})
    assert card.percent == uniform
    assert card.maturity.band.key == band
    guidelines = rubric.guidelines
    assert card.maturity.descriptors["process"] == guidelines.process.band(band).descriptors
    assert card.maturity.descriptors["results"] == guidelines.results.band(band).descriptors


def test_maturity_between_bands_takes_the_lower_band():
    rubric = RUBRICS["hubei-medical"]
    scores = {c.id: 45 for c in rubric.clauses}
    scores["5.2.2"] = 50  # 47.25 % overall: above 45, below 50
    card = card_for(rubric, scores)
    assert 45 < card.percent < 50 and card.maturity.band.key == "30-45"


def test_individual_scores_below_the_lowest_band_are_allowed_but_flagged():
    rubric = RUBRICS["wuhan-individual"]
    scores = {c.id: 80 for c in rubric.clauses}
    scores["2.2"] = 20
    card = card_for(rubric, scores)
    flagged = {c.id: c for c in card.flagged}
    assert list(flagged) == ["2.2"] and flagged["2.2"].below_described.key == "30-45"
    assert card.total == 80 - 0.6 * 25
    assert card.maturity.band.key == "50-65"  # 65 of 100


def test_gaps_carry_the_ofis():
    rubric = RUBRICS["hubei-education"]
    data = full_document(rubric, 80)
    data["clauses"]["5.2.4"] = {"score": 20, "ofis": ["缺少对比数据"]}
    card = score(from_data(data), rubric)
    top = card.gaps()[0]
    assert top.id == "5.2.4" and top.at_stake == 64 and top.ofis == ("缺少对比数据",)
    assert card.to_dict()["gaps"][0] == {"id": "5.2.4", "title": "领导作用的结果", "at_stake": 64.0, "ofis": ["缺少对比数据"]}


def test_priorities_rank_scored_clauses_only_and_partial_maturity_rests_on_them():
    """An unscored clause is not a priority; maturity read from what was scored, not from zeros."""
    rubric = RUBRICS["hubei-service"]
    scores = {c.id: None for c in rubric.clauses}
    scores.update({"5.2.2": 60, "5.2.3": 60, "5.3.4": 30})
    card = card_for(rubric, scores)
    assert [c.id for c in card.priorities()] == ["5.3.4", "5.2.2", "5.2.3"]  # 56, 20, 20 points at stake
    assert [c.id for c in card.unscored] == [c.id for c in rubric.clauses if scores[c.id] is None]
    assert card.to_dict()["gaps"] == [{"id": c.id, "title": c.title, "at_stake": c.at_stake, "ofis": []}
                                      for c in card.priorities()]
    assert card.percent < 10  # the total counts the 15 unscored clauses as 0 …
    assert card.scored_points == 50 + 50 + 80
    maturity = card.maturity  # … maturity does not: it is read from what was scored, and says so
    assert maturity.percent == pytest.approx(100 * (30 + 30 + 24) / 180)
    assert maturity.band.key == "30-45" and maturity.provisional
    assert (maturity.scored, maturity.clauses, maturity.points, maturity.max) == (3, 18, 180, 1000)
    assert maturity.label() == "30%–45%（暂定）" and maturity.label("en") == "30%–45% (provisional)"
    assert maturity.basis() == "暂定：仅依据已评分的 3 项（共 18 项，180 / 1000 分）；未评分的条款不计入"
    assert card.to_dict()["maturity"] | {"descriptors": None} == {
        "band": "30-45", "label": maturity.band.label, "descriptors": None, "percent": 46.67, "provisional": True,
        "scored_clauses": 3, "scored_points": 180}
    nothing = card_for(rubric, {c.id: None for c in rubric.clauses}).maturity
    assert nothing.percent is None and nothing.band is None and nothing.label() == "尚无已评分的内容"
    complete = card_for(rubric, {c.id: 45 for c in rubric.clauses}).maturity
    assert not complete.provisional and complete.basis() == "" and complete.label() == "30%–45%"
