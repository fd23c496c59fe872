"""The blank document of every standard: valid YAML that qkit reads, every clause present, the texts as comments."""

from __future__ import annotations

import re

import pytest
import yaml

from support.documents import RUBRIC_IDS
from qkit import check, score
from qkit.document import FORMAT_VERSION, check_partial
from qkit.rubric_files import RubricIndex
from qkit.template import render

INDEX = RubricIndex.scan()
RUBRICS = [INDEX.load(rid) for rid in INDEX.ids]
ORGANIZATIONS = [r for r in RUBRICS if r.profile is not None]
INDIVIDUALS = [r for r in RUBRICS if r.profile is None]


def squash(text: str) -> str:
    """Text without whitespace: the template wraps long texts over several comment lines."""
    return re.sub(r"\s+", "", text)


def comments(text: str) -> str:
    """Every comment of the file, joined, without the # marks."""
    return squash("".join(line.split("#", 1)[1] for line in text.splitlines() if "#" in line))


def test_every_standard_is_covered():
    assert sorted(INDEX.ids) == sorted(RUBRIC_IDS)
    assert ORGANIZATIONS and [r.id for r in INDIVIDUALS] == ["wuhan-individual"]


@pytest.mark.parametrize("rubric", RUBRICS, ids=lambda r: r.id)
def test_the_template_is_a_document_missing_only_the_name(rubric):
    data = yaml.safe_load(render(rubric))
    assert (data["format_version"], data["rubric"]) == (FORMAT_VERSION, rubric.id)
    doc, problems = check_partial(data)
    assert [(p.field, p.code) for p in problems] == [("applicant/name", "required")]
    assert doc is not None and doc.rubric == rubric.id
    data["applicant"]["name"] = "试填单位"
    doc, problems = check(data)
    assert problems == []
    card = score(doc, rubric)
    assert card.missing == [c.id for c in rubric.clauses] and card.total == 0  # nothing is scored for the user


@pytest.mark.parametrize("rubric", RUBRICS, ids=lambda r: r.id)
def test_every_clause_is_present_in_order_and_empty(rubric):
    data = yaml.safe_load(render(rubric))
    assert list(data["clauses"]) == [c.id for c in rubric.clauses]
    assert all(isinstance(key, str) for key in data["clauses"])  # "1.1" stays an id, not the number 1.1
    for c in rubric.clauses:
        entry = data["clauses"][c.id]
        assert entry["score"] is None
        assert (entry["strengths"], entry["ofis"], entry["evidence"], entry["notes"]) == ([], [], [], "")
    assert list(data["applicant"]) == list(rubric.applicant_fields)
    assert data["results"] == []


@pytest.mark.parametrize("rubric", ORGANIZATIONS, ids=lambda r: r.id)
def test_requirement_texts_are_comments_of_an_organization_template(rubric):
    text = render(rubric)
    said = comments(text)
    for item in rubric.items:
        assert squash(f"{item.id} {item.title}（{item.points}分）") in said
        assert squash(item.overview) in said
        for c in item.clauses:
            assert squash(f"{c.id} {c.title}（{c.points}分，{'过程' if c.kind == 'process' else '结果'}）") in said
            if c.kind == "process":
                assert squash(c.lead) in said
                for req in c.requirements:
                    assert squash(f"{req.id}）{req.title}：{req.text}") in said, (c.id, req.id)
            else:
                assert squash(c.description) in said, c.id
    for prompt in rubric.profile.prompts:
        assert squash(f"{prompt.id}）{prompt.title}：{prompt.text}") in said
    assert squash(rubric.profile.intro) in said
    assert "clauses:" in text and not any(line.startswith("#") and "clauses:" in line for line in text.splitlines())


@pytest.mark.parametrize("rubric", ORGANIZATIONS, ids=lambda r: r.id)
def test_an_organization_template_asks_for_the_profile_and_factor_ratings(rubric):
    data = yaml.safe_load(render(rubric))
    assert data["profile"] == {**{p.id: "" for p in rubric.profile.prompts}, "narrative": ""}
    assert all(entry["narrative"] == "" for entry in data["clauses"].values())
    said = comments(render(rubric))
    for c in rubric.clauses:
        factors = data["clauses"][c.id]["factors"]
        assert list(factors) == rubric.factors_of(c) and set(factors.values()) == {None}
        assert squash("、".join(b.key for b in rubric.dimension(c).bands)) in said


@pytest.mark.parametrize("rubric", INDIVIDUALS, ids=lambda r: r.id)
def test_the_individual_template_has_descriptors_and_no_profile_or_factors(rubric):
    text = render(rubric)
    data = yaml.safe_load(text)
    assert "profile" not in data
    assert not any("factors" in entry for entry in data["clauses"].values())
    assert "factors" not in text and "组织环境" not in text
    said = comments(text)
    for c in rubric.clauses:
        assert squash(f"{c.id} {c.title}（{c.points}分）") in said
        assert squash("评价指标内容：" + "".join(c.contents)) in said
        for point in c.evaluation_points:
            assert squash(point) in said
        assert len(c.descriptors) == len(rubric.bands)
        for band, descriptor in zip(rubric.bands, c.descriptors):
            assert squash(f"{band.label}：{descriptor}") in said, (c.id, band.key)


def test_templates_differ_by_standard():
    texts = {r.id: render(r) for r in RUBRICS}
    assert len(set(texts.values())) == len(texts)
    service, manufacturing = INDEX.load("hubei-service"), INDEX.load("hubei-manufacturing")
    differing = [(a, b) for a, b in zip(service.clauses, manufacturing.clauses) if a.title != b.title]
    assert differing
    for a, b in differing:
        heading = f"  # {a.id} {a.title}（"
        assert heading in texts["hubei-service"] and heading not in texts["hubei-manufacturing"]
        assert f"  # {b.id} {b.title}（" in texts["hubei-manufacturing"]


@pytest.mark.parametrize("rubric", RUBRICS, ids=lambda r: r.id)
def test_no_comment_line_starts_with_chinese_punctuation(rubric):
    lines = [line.split("# ", 1)[1] for line in render(rubric).splitlines() if "# " in line]
    assert not [line for line in lines if line[:1] in "，。、；：！？）"], rubric.id
