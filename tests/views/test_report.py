"""The feedback report: the template under nbval and papermill, the HTML, PDF, Excel and JSON it leaves."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import openpyxl
import pytest

from support.documents import (card_of, FORMULA, HOSTILE, markup_document, HUAKE, sample_path, SAMPLES,
                               write_yaml)
from qkit import analytics
from qkit.i18n import fmt_points, tr
from qkit.options import ReportOptions
from qkit.report import TEMPLATE, Reporter, find_chromium
from qkit.tables import maturity_label

SAMPLE = HUAKE  # the document the markup one is made from


class Tags(HTMLParser):
    """Every element of a page with its attributes, as a browser's parser sees them."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def named(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.tags if tag == name]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The sample and a document full of markup, reported by one warm Reporter."""
    out = tmp_path_factory.mktemp("report")
    hostile = markup_document(tmp_path_factory.mktemp("docs") / "hostile.yaml")
    with Reporter(ReportOptions(pdf=find_chromium() is not None)) as reporter:
        yield {"sample": reporter.run(SAMPLE, out), "hostile": reporter.run(hostile, out)}


@pytest.mark.slow
def test_html_has_the_feedback_report_content(reports):
    files = reports["sample"]
    card = files.card
    page = files.html.read_text(encoding="utf-8")
    text = html.unescape(page)
    doc = card.assessment
    for expected in (doc.name, card.rubric.award("zh"), card.rubric.category("zh"), "2026年4月16日",
                     fmt_points(card.total), maturity_label(card), tr("sec_feedback"), tr("gaps"),
                     tr("sec_results"), tr("sec_appendix")):
        assert expected in text, expected
    for c in card.clauses:
        rating = doc.rating(c.id)
        for line in rating.strengths + rating.ofis:
            assert html.escape(line, quote=False) in page, (c.id, line)
    for item in card.items:
        assert f"{item.id} {item.name()}" in text
    # the results section: every results clause with its data hint, every KPI with its chart
    for clause in analytics.analyze_results(doc, card.rubric):
        assert f"{clause.id} {clause.title}" in text
        for sentence in clause.hint.sentences:
            assert sentence in text


@pytest.mark.slow
def test_html_is_self_contained_without_code(reports):
    page = reports["sample"].html.read_text(encoding="utf-8")
    tags = Tags(page)
    assert not tags.named("script")
    assert not [a for a in tags.named("link") if "href" in a]
    assert not [a for tag, a in tags.tags for v in a.values() if v and re.match(r"(https?:)?//", v)]
    images = [a["src"] for a in tags.named("img")]
    assert len(images) == 2  # clause bars, priorities
    assert len([a for a in tags.named("figure") if a.get("class") == "qk-radar"]) == 1  # the radar, as SVG
    assert len([a for a in tags.named("figure") if a.get("class") == "qk-heatmap"]) == 1  # the factors, a table
    assert all(src.startswith("data:image/png;base64,") for src in images)
    kpis = len(reports["sample"].card.assessment.results)
    trends = [a for a in tags.named("figure") if a.get("class") == "qk-trend"]
    assert len(trends) == kpis == len([a for a in tags.named("g") if a.get("data-kind") == "own"])  # one per KPI
    assert not [a for tag, a in tags.tags if tag in ("use", "image", "a") and set(a) & {"href", "xlink:href"}]
    for code in ("load_scorecard", "import ", "sections.", "jp-InputArea", "assessment = "):
        assert code not in page
    assert "@media print" in page and "break-before: page" in page


@pytest.mark.slow
def test_charts_render_chinese_without_warnings(reports):
    nb = nbformat.read(reports["sample"].notebook, as_version=4)
    streams = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
               if o.output_type in ("stream", "error")]
    assert streams == []  # a missing glyph would show up here as a warning on stderr
    pngs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
            if "image/png" in o.get("data", {})]
    assert len(pngs) == 2  # the radar and the KPI trends are SVG and the factors a table, their text set by the browser


@pytest.mark.slow
def test_user_text_is_escaped(reports):
    files = reports["hostile"]
    page = files.html.read_text(encoding="utf-8")
    tags = Tags(page)
    assert not tags.named("script") and not tags.named("iframe")
    assert not [a for a in tags.named("img") if not a["src"].startswith("data:image/png;base64,")]
    assert not tags.named("b")
    assert "&lt;script&gt;alert(&#x27;qkit&#x27;)&lt;/script&gt;" in page or "&lt;script&gt;alert('qkit')&lt;/script&gt;" in page
    assert "华科 &lt;b&gt;精密&lt;/b&gt; &amp; Co" in page
    assert "营业收入 &lt;script&gt;x()&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=" in page
    sheet = openpyxl.load_workbook(files.excel)[tr("sheet_feedback")]
    texts = {row[4].value: row[4].data_type for row in sheet.iter_rows(min_row=2)}
    assert texts[f"强项 {HOSTILE}"] == "s"
    assert texts[FORMULA] == "s"  # shown as typed, never run as a formula


@pytest.mark.slow
def test_scores_json_is_the_scorecard(reports):
    files = reports["sample"]
    assert json.loads(files.scores.read_text(encoding="utf-8")) == json.loads(
        json.dumps(files.card.to_dict("zh"), ensure_ascii=False))


@pytest.mark.slow
def test_excel_workbook_matches_the_scorecard(reports):
    card = reports["sample"].card
    doc = card.assessment
    book = openpyxl.load_workbook(reports["sample"].excel)
    assert book.sheetnames[:4] == [tr("sheet_scores"), tr("sheet_items"), tr("sheet_feedback"), tr("sheet_priorities")]
    scores = book[tr("sheet_scores")]
    header = [c.value for c in scores[1]]
    rows = {r[header.index(tr("clause"))]: r for r in scores.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == [c.id for c in card.clauses]
    for c in card.clauses:
        assert rows[c.id][header.index(tr("score"))] == pytest.approx(c.score / 100)  # a percentage in Excel
        assert rows[c.id][header.index(tr("earned"))] == pytest.approx(c.earned)
        assert rows[c.id][header.index(tr("points"))] == c.points
    items = list(book[tr("sheet_items")].iter_rows(min_row=2, values_only=True))
    assert items[-1][2:4] == (card.max, pytest.approx(card.total))
    feedback = list(book[tr("sheet_feedback")].iter_rows(min_row=2, values_only=True))
    assert len(feedback) == sum(len(doc.rating(c.id).strengths) + len(doc.rating(c.id).ofis) for c in card.clauses)
    priorities = list(book[tr("sheet_priorities")].iter_rows(min_row=2, values_only=True))
    gaps = [c for c in card.gaps() if c.at_stake > 0]
    assert [(r[1], r[5]) for r in priorities] == [(c.id, pytest.approx(c.at_stake)) for c in gaps]
    kpis = list(book[tr("sheet_kpis")].iter_rows(min_row=2, values_only=True))
    assert len(kpis) == len(analytics.kpi_values_frame(doc))
    first = doc.results[0]
    assert (first.name, min(first.values), first.values[min(first.values)]) in [(r[2], r[6], r[7]) for r in kpis]


@pytest.mark.slow
@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")
def test_pdf_is_printed(reports):
    pdf = reports["sample"].pdf
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 10  # cover, summary, charts, feedback, appendix …


@pytest.mark.slow
@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed")
def test_the_pdf_has_no_blank_page(reports):
    """Every page shows text or a chart: the cover is followed by the summary, not by an empty page."""
    import pypdf

    reader = pypdf.PdfReader(reports["sample"].pdf)
    blank = [n for n, page in enumerate(reader.pages, 1)
             if not page.extract_text().strip() and "/XObject" not in (page.get("/Resources") or {})]
    assert blank == []
    assert tr("sec_summary") in reader.pages[1].extract_text()  # page 2


@pytest.mark.slow
def test_nbval_runs_the_template(tmp_path):
    """The template as shipped (its default applicant) passes nbval and writes the scores beside it."""
    shutil.copy(TEMPLATE, tmp_path / "report.ipynb")
    (tmp_path / "applicants").symlink_to(SAMPLES)
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
                           "-p", "no:cacheprovider", "report.ipynb"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"\b\d+ passed", proc.stdout)
    scores = json.loads((tmp_path / "hubei-manufacturing-huake.scores.json").read_text(encoding="utf-8"))
    assert scores["total"] == card_of(SAMPLE).total


@pytest.mark.slow
def test_plain_nbconvert_with_qkits_template_gives_the_reports_look(tmp_path):
    """papermill, then jupyter nbconvert --to html --template qkit-report: the report as qkit makes it, with no
    code, no template explanation, no script or font from a CDN (the template is where Jupyter finds templates)."""
    sample = sample_path("hubei-medical")
    bin_dir = Path(sys.executable).parent
    run = subprocess.run([str(bin_dir / "papermill"), "--no-progress-bar", str(TEMPLATE), "out.ipynb",
                          "-p", "assessment", str(sample)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--template", "qkit-report",
                          "out.ipynb"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert 'class="qk-cover"' in page and "@page { size: A4" in page  # the report's layout and print rules
    assert not re.search(r"cdnjs|cdn\.jsdelivr|require\.js|MathJax|<script src", page, re.I)
    template = nbformat.read(TEMPLATE, as_version=4)
    code = next(line for c in template.cells if c.cell_type == "code" for line in c.source.splitlines()
                if line.startswith(("from ", "import ")))
    assert "jp-InputArea" not in page and code not in page  # no code
    explanation = next(c for c in template.cells if "remove-cell" in c.metadata.get("tags", []))
    assert explanation.source.splitlines()[0].lstrip("# ") not in page  # the template's own title cell is left out


@pytest.mark.slow
def test_plain_papermill_runs_the_template(tmp_path):
    """papermill report.ipynb out.ipynb -p assessment FILE, here in English for the individual award."""
    sample = sample_path("wuhan-individual")
    papermill = Path(sys.executable).parent / "papermill"
    proc = subprocess.run([str(papermill), "--no-progress-bar", str(TEMPLATE), "out.ipynb",
                           "-p", "assessment", str(sample), "-p", "lang", "en"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    shown = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                    for o in c.outputs)
    assert "Self-assessment feedback report" in shown and "陈屹峰" in shown
    scores = json.loads((tmp_path / "wuhan-individual-chen.scores.json").read_text(encoding="utf-8"))
    assert scores["total"] == card_of(sample).total


@pytest.mark.slow
def test_report_command(cli, tmp_path):
    code, out, err = cli("report", sample_path("wuhan-individual"), "-o", tmp_path, "--no-pdf", "--lang", "en")
    assert code == 0, err
    assert "report written" in out
    assert {p.suffix for p in tmp_path.iterdir()} == {".html", ".xlsx", ".json", ".ipynb"}


@pytest.mark.slow
def test_report_from_a_folder_holding_a_folder_named_qkit(cli, tmp_path, monkeypatch):
    """A checkout or an output folder called qkit where the command runs does not hide the package from the kernel."""
    (tmp_path / "qkit").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("report", sample_path("wuhan-individual"), "-o", "qkit", "--no-pdf")
    assert code == 0, err
    assert (tmp_path / "qkit" / "wuhan-individual-chen.html").is_file()


@pytest.mark.slow
def test_report_with_a_temporary_folder_too_deep_for_a_socket(cli, tmp_path, monkeypatch):
    """$TMPDIR deeper than a Unix socket's path allows (107 bytes, as a JupyterLab's or a CI's can be): the report's
    kernel listens on the loopback address instead, and the report is made."""
    import tempfile

    deep = tmp_path / ("临时" * 20)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    code, _, err = cli("report", sample_path("wuhan-individual"), "-o", tmp_path / "out", "--no-pdf")
    assert code == 0, err
    assert (tmp_path / "out" / "wuhan-individual-chen.html").is_file()
    assert not list(deep.iterdir())  # its folder of sockets is gone with the kernel


def test_report_command_on_an_invalid_document(cli, tmp_path):
    bad = write_yaml(tmp_path / "bad.yaml", {"format_version": 1, "rubric": "hubei-medical",
                                             "applicant": {"name": "某医院"}, "clauses": {"5.2.2": {"score": 33}}})
    code, out, err = cli("report", bad, "-o", tmp_path / "out", "--no-pdf")
    assert code == 1
    assert "clauses/5.2.2/score" in err and "5 的倍数" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "bad.ipynb").exists()  # refused before any kernel ran it
    assert not (tmp_path / "out" / "bad.html").exists()


def test_report_command_with_a_missing_file(cli, tmp_path):
    code, out, err = cli("report", tmp_path / "nope.yaml", "-o", tmp_path, "--no-pdf")
    assert code == 1 and "文件不存在" in err and "Traceback" not in err
