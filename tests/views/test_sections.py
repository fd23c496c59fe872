"""The report's sections as HTML: each shows the scorecard's own numbers and names, and typed text only as text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from matplotlib.figure import Figure

from support.documents import full_document, HOSTILE, markup_data, sample_cards
from qkit import analytics, from_data, load_rubric, score, sections
from qkit.i18n import fmt_date, fmt_points, join_list, tr
from qkit.tables import maturity_label

CARDS = sample_cards()
HUAKE = CARDS["hubei-manufacturing-huake"]
CHEN = CARDS["wuhan-individual-chen"]


class Page(HTMLParser):
    """A fragment as a browser's parser sees it: its elements and its visible text."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.chunks: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


def markup(part) -> str:
    """What Jupyter would display for a section."""
    return part._repr_html_()


def text(part) -> str:
    return Page(markup(part)).text


def squash(value: str) -> str:
    return " ".join(value.split())


@pytest.fixture(scope="module")
def hostile():
    """The markup sample, with markup in an assessor's note too, scored."""
    data = markup_data()
    data["clauses"]["5.4.3"]["notes"] = "理由 <script>note()</script>"
    data["assessment"]["assessors"] = ["<i>李娜</i>", "王强"]
    return score(from_data(data), HUAKE.rubric)


# --- cover -----------------------------------------------------------------------------


@pytest.mark.parametrize("stem", sorted(CARDS))
def test_cover_names_award_applicant_standard_date_and_assessors(stem):
    card = CARDS[stem]
    doc = card.assessment
    shown = text(sections.cover(card))
    for expected in (card.rubric.award("zh"), card.rubric.category("zh"), tr("report_title"), doc.name,
                     card.rubric.document.title, fmt_date(doc.assessment["date"]), tr(card.rubric.words["applicant"])):
        assert squash(expected) in shown, expected
    if doc.assessment.get("assessors"):
        assert join_list(doc.assessment["assessors"]) in shown
    for field in card.rubric.applicant_fields:
        if field not in ("name", "short_name") and doc.applicant.get(field) not in (None, ""):
            assert f"{tr(field)} {doc.applicant[field]}" in shown, field


def test_cover_in_english_and_for_a_nominee():
    shown = text(sections.cover(HUAKE, "en"))
    assert "Self-assessment feedback report" in shown and "Hubei Changjiang Quality Award" in shown
    assert "Assessment date 2026-04-16" in shown and "李娜, 王强, 陈静" in shown
    assert "申报人" in text(sections.cover(CHEN)) and "申报人" not in text(sections.cover(HUAKE))


# --- summary ---------------------------------------------------------------------------


def test_summary_shows_total_percent_band_descriptors_and_flags():
    shown = text(sections.summary(HUAKE))
    assert "总分 642.75 / 1000" in shown and "得分率 64.3%" in shown and "成熟度 50%–65%" in shown
    for kind, factors in HUAKE.maturity.descriptors.items():
        assert tr(f"{kind}_descriptors") in shown
        for descriptor in factors.values():
            assert descriptor in shown
    assert [c.id for c in HUAKE.flagged] == ["5.4.3", "5.6.4"]
    for c in HUAKE.flagged:
        assert f"{c.id} {c.name()}" in shown and c.flag.message() in shown and squash(c.notes) in shown
    assert tr("partial") not in shown


def test_summary_of_a_partial_individual_document():
    rubric = load_rubric("wuhan-individual")
    data = full_document(rubric, 20)
    del data["clauses"]["2.3"]["score"]
    card = score(from_data(data), rubric)
    shown = text(sections.summary(card))
    assert f"{tr('partial')}：2.3" in shown
    assert f"总分 {fmt_points(card.total)} / 100" in shown
    assert maturity_label(card) in shown and "低于最低描述档次（30%–45%）" in shown
    assert tr("process_descriptors") not in shown  # the individual award describes no maturity for the total
    assert "1.1 政治素质" in shown and "低于最低描述档次" in shown  # the flagged indicators


# --- tables ----------------------------------------------------------------------------


@pytest.mark.parametrize("stem", sorted(CARDS))
def test_items_table_lists_every_item_and_the_total(stem):
    card = CARDS[stem]
    shown = text(sections.items(card))
    assert tr("sec_items") in shown
    for item in card.items:
        assert f"{item.id} {item.name()} {item.points} {fmt_points(item.earned)} {fmt_points(round(item.percent, 1))}%" in shown
    assert f"{tr('total')} {card.max} {fmt_points(card.total)} {fmt_points(round(card.percent, 1))}%" in shown


def test_priorities_table_ranks_the_top_clauses():
    shown = text(sections.priorities(HUAKE, top=3))
    top = HUAKE.priorities(3)
    for rank, c in enumerate(top, 1):
        assert f"{rank} {c.id} {c.name()} {c.points} {c.score}% {fmt_points(c.at_stake)}" in shown
    assert shown.index(top[0].id) < shown.index(top[1].id) < shown.index(top[2].id)
    fourth = HUAKE.priorities(4)[3]
    assert f"4 {fourth.id}" not in shown
    assert len(Page(markup(sections.priorities(HUAKE))).tags) > len(Page(markup(sections.priorities(HUAKE, top=3))).tags)


def test_appendix_lists_every_clause_with_its_suggestion_and_flag():
    shown = text(sections.appendix(HUAKE))
    assert tr("sec_appendix") in shown
    for c in HUAKE.clauses:
        assert f"{c.id} {c.name()} {tr(c.kind)} {c.points} {c.score}% {fmt_points(c.earned)}" in shown
    assert "5.4.3 品牌管理 过程 40 45% 18 50%–65% 50 超出建议段（已说明）" in shown
    assert text(sections.appendix(HUAKE, "en")).count("outside band (justified)") == 2


# --- feedback --------------------------------------------------------------------------


@pytest.mark.parametrize("stem", sorted(CARDS))
def test_feedback_has_every_strength_ofi_and_piece_of_evidence(stem):
    card = CARDS[stem]
    page = markup(sections.feedback(card))
    shown = Page(page).text
    for item in card.items:
        assert f"{item.id} {item.name()} {fmt_points(item.earned)} / {item.points}" in shown
    for c in card.clauses:
        rating = card.assessment.rating(c.id)
        assert f"{c.id} {c.name()} {c.score}% · {fmt_points(c.earned)} / {c.points}" in shown
        for line in rating.strengths + rating.ofis + rating.evidence:
            assert squash(line) in shown, (c.id, line)
        if rating.notes:
            assert squash(rating.notes) in shown


def test_feedback_says_when_nothing_was_recorded_or_scored():
    rubric = load_rubric("hubei-service")
    data = full_document(rubric, 50)
    del data["clauses"]["5.2.2"]["score"]
    shown = text(sections.feedback(score(from_data(data), rubric)))
    assert f"5.2.2 引领发展 {tr('unscored')}" in shown
    assert shown.count(tr("none_recorded")) == 2 * len(rubric.clauses)
    assert tr("evidence") not in shown


# --- results ---------------------------------------------------------------------------


@pytest.mark.parametrize("stem", ["hubei-manufacturing-huake", "wuhan-individual-chen"])
def test_results_give_each_results_clause_its_hint_table_and_charts(stem):
    card = CARDS[stem]
    doc = card.assessment
    parts = sections.results(card)
    analyzed = analytics.analyze_results(doc, card.rubric)
    assert len(parts) == 1 + 2 * len(analyzed)  # the intro, then each clause's hint and table, and its charts
    assert tr("sec_results") in text(parts[0])
    for clause, part, charts in zip(analyzed, parts[1::2], parts[2::2]):
        shown = text(part)
        assert shown.startswith(f"{clause.id} {clause.title}")
        for sentence in clause.hint.sentences:
            assert squash(sentence) in shown
        for kpi in doc.kpis(clause.id):
            assert kpi.name in shown
            assert kpi.name in markup(charts)  # each KPI's trend chart, named
        assert markup(charts).count("<figure class=\"qk-trend\">") == len(doc.kpis(clause.id))
        if clause.hint.band:
            assert f"{clause.hint.band.min}%–{clause.hint.band.max}%" in shown
    assert sum(markup(c).count("<figure class=\"qk-trend\">") for c in parts[2::2]) == len(doc.results)


def test_results_of_a_document_without_kpis():
    rubric = load_rubric("hubei-service")
    card = score(from_data(full_document(rubric, 50)), rubric)
    parts = sections.results(card)
    results = [c for c in rubric.clauses if c.kind == "results"]
    assert len(parts) == 1 + 2 * len(results)  # every results clause says it has no data yet, and draws nothing
    assert all(tr("hint_no_kpis") in text(p) for p in parts[1::2])
    assert not any("<svg" in markup(p) for p in parts)


# --- user text -------------------------------------------------------------------------


def test_typed_markup_is_shown_escaped_in_every_section(hostile):
    parts = [sections.cover(hostile), sections.summary(hostile), sections.items(hostile),
             sections.feedback(hostile), sections.priorities(hostile, top=20), sections.appendix(hostile)]
    parts += [p for p in sections.results(hostile) if not isinstance(p, Figure)]
    page = "\n".join(markup(p) for p in parts)
    tags = set(Page(page).tags)
    assert not tags & {"script", "img", "iframe", "b", "i"}, tags
    assert "&lt;script&gt;" in page
    escaped = {html.escape(s, quote=False) for s in (HOSTILE, "华科 <b>精密</b> & Co", "<i>李娜</i>",
                                                      "理由 <script>note()</script>", "营业收入 <script>x()</script>")}
    for value in escaped:
        assert value in page or value.replace("'", "&#x27;") in page or value.replace("'", "&#39;") in page, value
    shown = Page(page).text
    for typed in ("强项 " + HOSTILE, "华科 <b>精密</b> & Co", '<img src=x onerror="alert(1)">',
                  "<iframe src='https://example.com'></iframe>", "理由 <script>note()</script>"):
        assert typed in shown, typed  # what the reader sees is what was typed


def test_a_partial_documents_maturity_is_the_same_in_the_form_the_report_the_word_file_the_cli_and_the_json(
        tmp_path, cli):
    """One definition: read from the scored clauses, marked provisional with what it rests on, everywhere."""
    import json

    from docx import Document

    from support.documents import write_yaml
    from qkit.docx_report import feedback_document
    from qkit.web.session import Session

    rubric = load_rubric("hubei-service")
    data = full_document(rubric, 60)
    data["clauses"] = {"5.2.2": {"score": 60}, "5.2.3": {"score": 80}, "5.3.4": {"score": 30}}
    card = score(from_data(data), rubric)
    assert card.percent < 10  # the total's own band would be 0%–5%
    band, basis = "50%–65%（暂定）", "暂定：仅依据已评分的 3 项（共 18 项，180 / 1000 分）"
    assert card.maturity.label() == band and card.maturity.basis().startswith(basis)
    summary = Session(rubric, data, autosave_delay=None).summary()
    assert (summary.band, summary.provisional) == (band, card.maturity.basis())
    shown = text(sections.summary(card))
    assert f"{tr('maturity')} {band}" in shown and basis in shown and "0%–5%" not in shown
    english = text(sections.summary(card, "en"))
    assert "50%–65% (provisional)" in english and "provisional: read from the clauses scored so far (3 of 18" in english
    path = tmp_path / "feedback.docx"
    feedback_document(card).save(path)
    paragraphs = [p.text for p in Document(path).paragraphs]
    assert any(f"成熟度：{band}" in p for p in paragraphs) and any(p.startswith(basis) for p in paragraphs)
    code, out, _ = cli("score", write_yaml(tmp_path / "partial.yaml", data))
    assert code == 0 and f"成熟度: {band}" in out and basis in out
    code, out, _ = cli("score", tmp_path / "partial.yaml", "--json")
    maturity = json.loads(out)["maturity"]
    assert (maturity["band"], maturity["provisional"], maturity["scored_clauses"]) == ("50-65", True, 3)


def test_english_headings_and_column_heads_begin_with_a_capital():
    """The labels are written for running text (“strengths”); a heading or a column head reads “Strengths”."""
    for part in (sections.summary(HUAKE, "en"), sections.feedback(HUAKE, "en"), sections.items(HUAKE, "en"),
                 sections.priorities(HUAKE, "en"), sections.appendix(HUAKE, "en")):
        page = markup(part)
        heads = re.findall(r"<(?:h[2-5]|th|dt)[^>]*>\s*([^<\s][^<]*)<", page)
        heads += re.findall(r'class="qk-kpi-label">([^<]+)<', page)
        assert heads and not [h for h in heads if h[:1].islower()], [h for h in heads if h[:1].islower()]
    assert "<h5>Strengths</h5>" in markup(sections.feedback(HUAKE, "en"))
    assert "<span>Evidence: </span>" in markup(sections.feedback(HUAKE, "en"))  # English punctuation too
    assert "<span>证据：</span>" in markup(sections.feedback(HUAKE))
    assert "<h5>优势</h5>" in markup(sections.feedback(HUAKE))  # Chinese as it is


def test_the_applicants_edition_words_the_data_hints_for_the_applicant_not_the_assessors():
    from docx import Document  # noqa: F401 (the Word report is checked below)

    from qkit.docx_report import feedback_document
    from qkit.tables import Edition

    applicant, internal = Edition("applicant"), Edition("internal")
    mine = " ".join(text(part) for part in sections.results(HUAKE, edition=applicant))
    theirs = " ".join(text(part) for part in sections.results(HUAKE, edition=internal))
    for assessors_words in ("仅供评审员参考", "请评审员"):
        assert assessors_words not in mine and assessors_words in theirs
    assert tr("results_lead_applicant") in mine and tr("hint_integration_applicant") in mine
    english = " ".join(text(part) for part in sections.results(HUAKE, "en", edition=applicant))
    assert "advises the assessor" not in english and "the assessors judged it" in english
    paragraphs = [p.text for p in feedback_document(HUAKE, edition=applicant).paragraphs]
    assert not [p for p in paragraphs if "请评审员" in p or "仅供评审员参考" in p]
    assert tr("results_lead_applicant") in paragraphs
