"""The shipped sample applicants: one per standard, complete, realistic in shape."""

from __future__ import annotations

import pytest

from support.documents import RUBRIC_IDS, sample_paths
from qkit import load, load_rubric, score

SAMPLES = sample_paths()


def test_every_standard_has_a_sample():
    assert {load(p).rubric for p in SAMPLES} == set(RUBRIC_IDS)


def test_samples_vary_in_maturity():
    percents = [score(doc, load_rubric(doc.rubric)).percent for doc in map(load, SAMPLES)]
    assert min(percents) < 40 and max(percents) > 60


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_is_complete(path):
    doc = load(path)
    rubric = load_rubric(doc.rubric)
    card = score(doc, rubric)
    assert card.complete
    assert doc.applicant["name"] and doc.assessment.get("date")
    for clause in rubric.clauses:
        rating = doc.clauses[clause.id]
        assert 2 <= len(rating.strengths) <= 4, clause.id
        assert 1 <= len(rating.ofis) <= 4, clause.id
        assert rating.evidence, clause.id
        if rubric.kind == "organization":
            assert set(rating.factors) == set(rubric.factors_of(clause)), clause.id
    if rubric.kind == "organization":
        assert set(doc.profile) == {"a", "b", "c", "d"}
        for clause in rubric.clauses:
            if clause.kind == "results":
                kpis = doc.kpis(clause.id)
                assert 4 <= len(kpis) <= 6, clause.id
                assert all(len(k.values) >= 3 for k in kpis)
                assert any(k.comparisons for k in kpis)
        assert any(k.better == "lower" for k in doc.results)
