"""The scoring guidelines in English: qkit's translation stored beside the verbatim Chinese, never instead of it."""

from __future__ import annotations

import re

import pytest
import yaml

from support.documents import RUBRICS
from qkit import load_rubric

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize("name", ["hubei", "wuhan"])
def test_every_guideline_text_has_an_english_translation_beside_it(name):
    data = yaml.safe_load((RUBRICS / "guidelines" / f"{name}.yaml").read_text(encoding="utf-8"))
    for kind in ("process", "results"):
        dimension = data[kind]
        assert dimension["table_en"].startswith("Table A.") and dimension["intro_en"]
        for factor in dimension["factors"]:
            assert factor["definition_en"].startswith(f"“{factor['en']}”"), factor
        for band in dimension["bands"]:
            assert set(band["descriptors_en"]) == set(band["descriptors"])
        english = [dimension["table_en"], dimension["intro_en"]] + [f["definition_en"] for f in dimension["factors"]]
        english += [text for band in dimension["bands"] for text in band["descriptors_en"].values()]
        for text in english:
            assert text.strip() and not CJK.search(text), text


def test_the_rubric_gives_english_where_asked_and_the_chinese_otherwise():
    rubric = load_rubric("hubei-service")
    process = rubric.guidelines.process
    band = process.band("50-65")
    assert band.descriptor("A") == "针对条目的总体要求，有系统、有效的方法"
    assert band.descriptor("A", "en") == "A systematic, effective approach to the overall requirements of the item."
    assert process.caption() == "表A.1 过程维度评分指南" and process.caption("en").startswith("Table A.1")
    factor = process.factors[0]
    assert factor.explained() == factor.definition and factor.explained("en") == factor.definition_en
    untranslated = band.model_copy(update={"descriptors_en": {}})
    assert untranslated.descriptor("A", "en") == band.descriptors["A"]  # a user's rubric without translations
