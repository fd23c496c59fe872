"""Each report has its audience: the applicant's edition of a consensus carries no assessor, independent score,
calibration, note or flag in any of its files (HTML, PDF, Word, Excel, JSON, notebook), the internal one does, and
--bands-only releases no exact score."""

from __future__ import annotations

import copy
import html
import json
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import docx
import openpyxl
import pytest
import yaml

from support.documents import run_qkit, SAMPLES, write_notebook, write_yaml
from qkit import QkitError, load, load_rubric, score
from qkit.docx_report import FEEDBACK, write_docx
from qkit.excel import write_workbook
from qkit.i18n import fmt_percent, fmt_points, tr
from qkit.options import ReportOptions
from qkit.report import Reporter, find_chromium
from qkit.rounds import STAGES
from qkit.sections import scores_data
from qkit.tables import APPLICANT, INTERNAL, Edition, edition_for

SAMPLE = SAMPLES / "hubei-service-jiangcheng.yaml"
ASSESSORS = ("欧阳明", "诸葛亮")  # names whose characters a PDF's text gives back as written
OWN_NOTE = "独立评审时写下的个人理由"
NOTE = "现场核实了新的证据，仅供评审组内部"
RANGE = "40%–65%"  # 5.3.2's independent scores: no band has these ends, so only the independent range shows it
SELF = 95  # the team's own score of every clause
AGREED = {"5.2.2": 55, "5.3.2": 75, "5.4.2": 40}  # 5.3.2 outside its independent range: flagged, justified
INTERNAL_ONLY = [tr("sec_consensus"), tr("independent_range"), tr("calibration"), tr("flags"), tr("justified"),
                 tr("chart_spread")]


def make_consensus(folder: Path) -> Path:
    """Two assessors' copies of a sample through qkit consensus, then some scores agreed, notes and the team's
    own scores added, as the consensus round's export gives them."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    inputs = []
    for name, scores in zip(ASSESSORS, ({"5.2.2": 55, "5.3.2": 40, "5.4.2": 40}, {"5.2.2": 60, "5.3.2": 65, "5.4.2": 45})):
        own = copy.deepcopy(data)
        own["assessment"].update(assessors=[name], stage=STAGES["independent"])
        for cid, value in scores.items():
            own["clauses"][cid]["score"] = value
        own["clauses"]["5.2.2"]["notes"] = OWN_NOTE
        own["clauses"]["5.2.2"]["ofis"].append(f"供应商审核未覆盖承运商（第{len(inputs) + 1}位评审员所写）")
        inputs.append(write_yaml(folder / f"{name}.yaml", own))
    target = folder / "共识.yaml"
    code, _, err = run_qkit("consensus", *inputs, "-o", target)
    assert code == 0, err
    consensus = yaml.safe_load(target.read_text(encoding="utf-8"))
    for cid, value in AGREED.items():
        consensus["clauses"][cid].update(score=value)
        consensus["clauses"][cid].pop("proposed", None)
    consensus["clauses"]["5.3.2"]["notes"] = NOTE
    for rating in consensus["clauses"].values():
        rating["self_score"] = SELF
    return write_yaml(target, consensus)


@pytest.fixture(scope="module")
def consensus(tmp_path_factory):
    path = make_consensus(tmp_path_factory.mktemp("consensus"))
    doc = load(path)
    return path, score(doc, load_rubric(doc.rubric))


def plain(text: str) -> str:
    """Text as compared: compatibility forms unified (a PDF's text gives ⾃ for 自, ‒ for –), no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace("‒", "–")


def assert_applicant(text: str, where: str, report: bool = True) -> None:
    """No assessor, note, independent range or internal heading; a report (not a workbook) names its edition."""
    shown = plain(text)
    for secret in (*ASSESSORS, OWN_NOTE, NOTE, RANGE, *INTERNAL_ONLY):
        assert plain(secret) not in shown, (where, secret)
    assert not report or plain(tr("audience_applicant")) in shown, where


def assert_internal(text: str, where: str, report: bool = True) -> None:
    """The assessors, the note, the independent range; a report also its edition and the consensus headings."""
    shown = plain(text)
    headings = (tr("audience_internal"), tr("sec_consensus"), tr("calibration")) if report else ()
    for secret in (*ASSESSORS, NOTE, RANGE, *headings):
        assert plain(secret) in shown, (where, secret)


def html_text(page: str) -> str:
    """What a reader of an HTML report sees: no style sheet, tags or embedded images."""
    return html.unescape(re.sub(r"<[^>]*>", " ", re.sub(r"<style.*?</style>", "", page, flags=re.S)))


def lone_percents(text: str) -> set[int]:
    """Every whole percentage written alone (65%), not as an end of a band (50%–65%)."""
    return {int(n) for n in re.findall(r"(?<![\d.–])(\d+)%(?![\d–])", plain(text))}


def exact_scores(card) -> set[int]:
    """The clause scores a bands-only report must not show: those the document's own texts and the team's own
    scores (which it may show) do not contain anyway."""
    written = lone_percents(SAMPLE.read_text(encoding="utf-8") + NOTE)
    return {c.score for c in card.clauses if c.score is not None} - written - {SELF, 100}


def assert_bands_only(text: str, card, where: str) -> None:
    shown = plain(text)
    assert not lone_percents(text) & exact_scores(card), where
    assert plain(f"{fmt_points(card.total)} / {card.max}") not in shown, where
    assert plain(fmt_percent(round(card.percent, 1))) not in shown, where
    for item in card.items:
        assert plain(f"{fmt_points(item.earned)} / {item.points}") not in shown, (where, item.id)


def docx_text(path: Path) -> str:
    document = docx.Document(path)
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [p.text for section in document.sections for p in section.header.paragraphs]
    return "\n".join(parts)


def xlsx_text(path: Path) -> str:
    book = openpyxl.load_workbook(path)
    return "\n".join([*book.sheetnames, *(str(v) for sheet in book for row in sheet.iter_rows(values_only=True)
                                            for v in row if v is not None)])


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


class Scores(HTMLParser):
    """The text of every score shown beside a heading (``qk-score``) of an HTML report."""

    def __init__(self, page: str):
        super().__init__()
        self.depth, self.found = 0, []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if self.depth or "qk-score" in (dict(attrs).get("class") or "").split():
            self.depth += 1
            if self.depth == 1:
                self.found.append("")

    def handle_endtag(self, tag):
        self.depth = max(self.depth - 1, 0)

    def handle_data(self, data):
        if self.depth:
            self.found[-1] += data


# --- the edition -----------------------------------------------------------------------------


def test_a_consensus_document_goes_to_the_applicant_and_any_other_stays_internal(consensus):
    _, card = consensus
    assert edition_for(card) == Edition(APPLICANT)
    sample = score(load(SAMPLE), card.rubric)
    assert edition_for(sample) == Edition(INTERNAL)
    assert edition_for(card, INTERNAL, bands_only=True) == Edition(INTERNAL, True)
    with pytest.raises(QkitError) as caught:
        edition_for(card, "public")
    assert "audience" in caught.value.render("zh") and "applicant、internal" in caught.value.render("zh")
    assert "unknown audience; choose one of: applicant, internal" in caught.value.render("en")


def test_the_applicant_release_keeps_no_assessor_score_author_or_note(consensus):
    _, card = consensus
    released = Edition(APPLICANT).release(card)
    assert "assessors" not in released.assessment.assessment
    assert all(not c.independent and not c.notes for c in released.clauses)
    ratings = released.assessment.clauses.values()
    assert all(not r.notes and not r.independent for r in ratings)
    assert all(not comment.by for r in ratings for comment in (*r.strengths, *r.ofis, *r.evidence))
    assert [c.score for c in released.clauses] == [c.score for c in card.clauses]  # the agreed scores stay
    assert any(comment.by for r in card.assessment.clauses.values() for comment in r.ofis)  # the card is unchanged
    assert Edition(INTERNAL).release(card) is card


# --- the sections, Word, Excel and JSON, made without a kernel ----------------------------------


def sections_html(card, edition: Edition) -> str:
    """Every section of the report as HTML, from the scorecard as it is (not released first: each section must
    leave out on its own what its edition does not show)."""
    from qkit import sections

    parts = [sections.cover(card, "zh", edition), sections.summary(card, "zh", edition),
             sections.self_assessment(card, "zh", edition), *sections.consensus(card, "zh", edition),
             sections.items(card, "zh", edition), sections.radar(card, "zh", edition=edition),
             sections.feedback(card, "zh", edition), sections.priorities(card, "zh", edition=edition),
             sections.priority_chart(card, "zh", edition), *sections.results(card, "zh", edition),
             sections.appendix(card, "zh", edition)]
    return "".join(part.html for part in parts if isinstance(part, sections.Html))


def test_each_section_shows_what_its_edition_may(consensus):
    _, card = consensus
    applicant = html_text(sections_html(card, Edition(APPLICANT)))
    assert_applicant(applicant, "sections")
    assert "75%" in applicant and tr("self_gaps_title") in applicant
    assert_internal(html_text(sections_html(card, Edition(INTERNAL))), "sections")
    bands = html_text(sections_html(card, Edition(APPLICANT, bands_only=True)))
    assert_applicant(bands, "sections")
    assert_bands_only(bands, card, "sections")
    assert tr("left_out_bands", what=tr("gaps")) in bands and tr("bands_lead") in bands
    internal_bands = html_text(sections_html(card, Edition(INTERNAL, bands_only=True)))
    assert_bands_only(internal_bands, card, "sections")
    assert all(name in internal_bands for name in ASSESSORS) and RANGE not in internal_bands
    assert tr("left_out_bands", what=tr("calibration")) in internal_bands


def test_word_excel_and_json_of_the_applicant_carry_no_internal_data(consensus, tmp_path):
    path, card = consensus
    (word,) = write_docx(card, path, tmp_path, FEEDBACK)  # the document's default: the applicant's
    text = docx_text(word)
    assert_applicant(text, "docx")
    assert tr("self_gaps_title") in text and tr("proposed_score") in text
    assert "5.3.2 战略制定（得分率 75%）" in text  # the agreed score, exact
    book = xlsx_text(write_workbook(card, tmp_path / "applicant.xlsx"))
    assert_applicant(book, "xlsx", report=False)
    assert tr("sheet_self") in book
    data = json.dumps(scores_data(card), ensure_ascii=False)
    assert not any(name in data for name in ASSESSORS) and '"independent"' not in data and NOTE not in data

    (word,) = write_docx(card, path, tmp_path, FEEDBACK, edition=Edition(INTERNAL))
    assert_internal(docx_text(word), "docx")
    book = xlsx_text(write_workbook(card, tmp_path / "internal.xlsx", edition=Edition(INTERNAL)))
    assert_internal(book, "xlsx", report=False)
    assert tr("sheet_consensus") in book and tr("sheet_calibration") in book
    assert all(name in json.dumps(scores_data(card, edition=Edition(INTERNAL)), ensure_ascii=False)
               for name in ASSESSORS)


def test_bands_only_word_excel_and_json_show_no_exact_score(consensus, tmp_path):
    path, card = consensus
    edition = Edition(APPLICANT, bands_only=True)
    assert exact_scores(card) >= {55, 75, 40}  # what the checks below look for
    (word,) = write_docx(card, path, tmp_path, FEEDBACK, edition=edition)
    text = docx_text(word)
    assert_applicant(text, "docx")
    assert_bands_only(text, card, "docx")
    assert "5.3.2 战略制定（分数段 70%–85%）" in text and tr("bands_lead") in text
    book = openpyxl.load_workbook(write_workbook(card, tmp_path / "bands.xlsx", edition=edition))
    assert_bands_only(xlsx_text(tmp_path / "bands.xlsx"), card, "xlsx")
    scores = book[tr("sheet_scores")]
    header = [c.value for c in scores[1]]
    assert tr("score") not in header and tr("earned") not in header
    assert {row[header.index(tr("score_band"))] for row in scores.iter_rows(min_row=2, values_only=True)} <= {
        "10%–25%", "30%–45%", "50%–65%", "70%–85%"}
    data = scores_data(card, edition=edition)

    def keys(value) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        return {k for v in value for k in keys(v)} if isinstance(value, list) else set()

    assert data["bands_only"] and not keys(data) & {"score", "earned", "total", "percent", "gaps", "independent"}
    clause = next(c for item in data["items"] for c in item["clauses"] if c["id"] == "5.3.2")
    assert (clause["band"], clause["self_score"]) == ("70-85", SELF)


# --- refused before a kernel starts ------------------------------------------------------


def test_an_independent_assessment_is_not_made_into_the_applicants_report(consensus, tmp_path):
    path, _ = consensus
    independent = path.parent / f"{ASSESSORS[0]}.yaml"
    with Reporter(ReportOptions(pdf=False, audience=APPLICANT)) as reporter, pytest.raises(QkitError) as caught:
        reporter.run(independent, tmp_path)
    assert "独立评审" in caught.value.render("zh") and "--audience internal" in caught.value.render("zh")
    assert not list(tmp_path.iterdir())  # refused before any kernel ran


def test_a_template_without_the_edition_parameters_cannot_make_the_applicants_report(consensus, tmp_path):
    path, _ = consensus
    old = write_notebook(tmp_path / "old.ipynb", "print(assessment)", parameters="assessment = ''\nlang = 'zh'")
    with Reporter(ReportOptions(pdf=False, template=old)) as reporter, pytest.raises(QkitError) as caught:
        reporter.run(path, tmp_path / "out")
    assert "old.ipynb" in caught.value.render("zh") and "audience" in caught.value.render("en")
    assert not (tmp_path / "out" / "共识.ipynb").exists()


def test_an_unknown_audience_is_refused_with_the_allowed_ones(consensus, tmp_path):
    path, _ = consensus
    with Reporter(ReportOptions(pdf=False, audience="public")) as reporter, pytest.raises(QkitError) as caught:
        reporter.run(path, tmp_path)
    assert "public" in caught.value.render("zh") and "applicant" in caught.value.render("zh")


# --- the whole report, through qkit report -----------------------------------------------------


@pytest.fixture(scope="module")
def reports(consensus, tmp_path_factory):
    """The consensus reported three ways by qkit report, each with its Word feedback report (and PDF)."""
    path, card = consensus
    pdf = [] if find_chromium() else ["--no-pdf"]
    made = {}
    for name, options in (("applicant", []), ("internal", ["--audience", "internal"]), ("bands", ["--bands-only"])):
        out = tmp_path_factory.mktemp(name)
        code, _, err = run_qkit("report", path, "-o", out, "--docx", "feedback", *pdf, *options)
        assert code == 0, err
        made[name] = {suffix: out / f"{path.stem}{suffix}"
                      for suffix in (".html", ".pdf", ".反馈报告.docx", ".xlsx", ".scores.json", ".ipynb")}
    return made


@pytest.mark.slow
def test_the_applicants_report_has_no_internal_data_in_any_file(reports):
    files = reports["applicant"]
    page = files[".html"].read_text(encoding="utf-8")
    assert_applicant(page, "html")
    for suffix in (".反馈报告.docx",):
        assert_applicant(docx_text(files[suffix]), suffix)
    for suffix in (".scores.json", ".ipynb"):
        text = files[suffix].read_text(encoding="utf-8")
        assert not any(secret in text for secret in (*ASSESSORS, OWN_NOTE, NOTE)), suffix
    assert_applicant(xlsx_text(files[".xlsx"]), "xlsx", report=False)
    assert tr("self_gaps_title") in page and tr("proposed_score") in page
    assert page.count("data:image/png") == 2  # the clause bars and the priorities: no spread chart
    assert f"{tr('report_title')}（{tr('audience_applicant')}）" in page  # the HTML's title


@pytest.mark.slow
def test_the_internal_report_shows_the_assessors(reports):
    files = reports["internal"]
    page = files[".html"].read_text(encoding="utf-8")
    assert_internal(page, "html")
    assert_internal(docx_text(files[".反馈报告.docx"]), "docx")
    assert tr("self_gaps_title") in page and tr("flags") in page and NOTE in page
    assert page.count("data:image/png") == 3  # and the assessors' spread


@pytest.mark.slow
def test_bands_only_shows_every_score_as_its_band(reports, consensus):
    _, card = consensus
    files = reports["bands"]
    page = files[".html"].read_text(encoding="utf-8")
    assert_applicant(page, "html")
    assert_bands_only(html_text(page), card, "html")
    shown = Scores(page).found
    assert len(shown) == len(card.items) + len(card.clauses) + len(card.rubric.results_clauses)
    band = r"\d+%–\d+%"
    assert all(re.fullmatch(rf"{band}( · {tr('proposed_score')})?", s.strip()) for s in shown), shown
    assert tr("left_out_bands", what=tr("chart_radar")) in page
    assert_bands_only(docx_text(files[".反馈报告.docx"]), card, "docx")
    data = json.loads(files[".scores.json"].read_text(encoding="utf-8"))
    assert data["bands_only"] and "total" not in data


@pytest.mark.slow
@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")
def test_the_pdfs_text_is_of_its_edition(reports, consensus):
    _, card = consensus
    assert_applicant(pdf_text(reports["applicant"][".pdf"]), "pdf")
    assert plain(tr("self_gaps_title")) in plain(pdf_text(reports["applicant"][".pdf"]))
    assert_internal(pdf_text(reports["internal"][".pdf"]), "pdf")
    bands = pdf_text(reports["bands"][".pdf"])
    assert_applicant(bands, "pdf")
    assert_bands_only(bands, card, "pdf")


@pytest.mark.slow
def test_batch_for_the_applicant_keeps_internal_data_in_the_cohort_summary_only(consensus, tmp_path):
    path, _ = consensus
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / path.name).write_bytes(path.read_bytes())
    (folder / f"{ASSESSORS[0]}.yaml").write_bytes((path.parent / f"{ASSESSORS[0]}.yaml").read_bytes())
    out = tmp_path / "out"
    code, _, err = run_qkit("batch", folder, "-o", out, "--jobs", "1", "--no-pdf", "--audience", "applicant")
    assert code == 1 and f"{ASSESSORS[0]}.yaml" in err and "独立评审" in err  # one assessor's own: not sent
    assert_applicant((out / f"{path.stem}.html").read_text(encoding="utf-8"), "html")
    assert_applicant(xlsx_text(out / f"{path.stem}.xlsx"), "xlsx", report=False)
    assert not (out / f"{ASSESSORS[0]}.html").exists()
    summary = xlsx_text(out / "summary.xlsx")  # the office's own
    assert all(name in summary for name in ASSESSORS)
