"""The standards' requirement texts in English: qkit's translation beside each verbatim Chinese text, never instead of it,
shown in the English form marked as a translation with the Chinese one click away."""

from __future__ import annotations

import html
import re

import pytest
import yaml

from support.documents import RUBRIC_IDS, RUBRICS
from support.widgets import walk
from qkit import load_rubric

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
TRANSLATED = RUBRIC_IDS


def texts(rubric_id: str) -> list[tuple[str, str, str]]:
    """Each text of the standard as the file stores it: (where, Chinese, English)."""
    data = yaml.safe_load((RUBRICS / f"{rubric_id}.yaml").read_text(encoding="utf-8"))
    found = []
    if data["kind"] == "individual":
        for group in data["groups"]:
            for ind in group["indicators"]:
                for name in ("contents", "evaluation_points", "descriptors"):
                    english = ind.get(f"{name}_en", [])
                    assert len(english) == len(ind[name]), (ind["id"], name)
                    found += [(f"{ind['id']} {name}", zh, en) for zh, en in zip(ind[name], english)]
        return found
    profile = data["profile"]
    found.append(("5.1 intro", profile["intro"], profile.get("intro_en")))
    found += [(f"5.1 {p['id']}", p["text"], p.get("text_en")) for p in profile["prompts"]]
    for item in data["items"]:
        found.append((f"{item['id']} overview", item["overview"], item.get("overview_en")))
        for clause in item["clauses"]:
            if clause.get("lead"):
                found.append((f"{clause['id']} lead", clause["lead"], clause.get("lead_en")))
            found += [(f"{clause['id']} {r['id']}", r["text"], r.get("text_en")) for r in clause.get("requirements", [])]
            if clause.get("description"):
                found.append((f"{clause['id']}", clause["description"], clause.get("description_en")))
    return found


@pytest.mark.parametrize("rubric_id", TRANSLATED)
def test_every_requirement_text_has_an_english_translation_beside_it(rubric_id):
    found = texts(rubric_id)
    assert len(found) > 50
    for where, zh, en in found:
        assert en and en.strip() and not CJK.search(en), (where, en)
        assert CJK.search(zh), (where, zh)  # the Chinese stays in its own field (test_rubrics checks its wording)
        assert 0.5 < len(en) / len(zh) < 8, (where, zh, en)  # a translation of this text, not another's
    provenance = " ".join(yaml.safe_load((RUBRICS / f"{rubric_id}.yaml").read_text(encoding="utf-8"))["provenance"])
    assert "qkit's English translation" in provenance and "stays authoritative" in provenance


@pytest.mark.parametrize("rubric_id", TRANSLATED)
def test_the_rubric_gives_the_english_where_asked_and_the_chinese_otherwise(rubric_id):
    rubric = load_rubric(rubric_id)
    for clause in rubric.clauses:
        assert clause.translated
        if rubric.kind == "individual":
            assert clause.texts("contents") == clause.contents and clause.texts("contents", "en") == clause.contents_en
            continue
        assert clause.lead_text() == clause.lead and clause.description_text() == clause.description
        for requirement in clause.requirements:
            assert requirement.body() == requirement.text and requirement.body("en") == requirement.text_en
    for item in getattr(rubric, "items", []):
        if hasattr(item, "overview"):
            assert item.overview_text() == item.overview and item.overview_text("en") == item.overview_en


def test_the_english_form_shows_the_requirements_in_english_marked_with_the_chinese_one_click_away(store):
    from qkit.web.form.clauses import ClauseEditor, ItemPanel
    from qkit.web.form.workbook import Workbook
    from qkit.web.session import Session

    rubric_id = TRANSLATED[0]
    applicant, token = store.add_applicant("Test Ltd", rubric_id)
    session = Session.open(load_rubric(rubric_id), str(store.dir), f"key={token}")
    english, chinese = Workbook(session, "en"), Workbook(Session(session.rubric, session.data, autosave_delay=None), "zh")
    for book in (english, chinese):
        book.tabs.selected_index = 1
    clause = session.rubric.clauses[0]
    shown = html.unescape(next(e for e in walk(english.widget) if isinstance(e, ClauseEditor)).requirement.value)
    assert clause.lead_en in shown and clause.requirements[0].text_en in shown and "a) " in shown
    assert "(translation; the Chinese text is authoritative)" in shown
    assert "<details class='qkit-original'><summary>Chinese original</summary>" in shown
    assert clause.lead in shown and clause.requirements[0].text in shown  # the authoritative text, one click away
    assert "：" not in shown.split("<details")[0]  # English punctuation in the English text
    intro = html.unescape(next(e for e in walk(english.widget) if isinstance(e, ItemPanel)).children[0].value)
    assert session.rubric.items[0].overview_en in intro and session.rubric.items[0].overview in intro
    zh = next(e for e in walk(chinese.widget) if isinstance(e, ClauseEditor)).requirement.value
    assert clause.lead in zh and clause.lead_en not in zh and "qkit-translation" not in zh
    profile = english.tabs.children[0].children[0]
    assert session.rubric.profile.prompts[0].text_en in html.unescape("\n".join(
        x.value for x in walk(profile) if hasattr(x, "value") and isinstance(x.value, str)))


def test_an_indicators_sub_points_read_in_english_in_the_english_form():
    rubric = load_rubric("wuhan-individual")
    indicator = rubric.clause("2.1")
    assert [p.name("en") for p in indicator.subpoints] == indicator.evaluation_points_en
    assert [p.name() for p in indicator.subpoints] == indicator.evaluation_points
