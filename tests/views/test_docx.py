"""The Word files: the 自评报告 and the feedback report, opened with python-docx and checked for their structure."""

from __future__ import annotations

import re

import docx
import pytest
from docx.oxml.ns import qn

from support.documents import card_of, SAMPLES, HUAKE
from qkit import docx_pages
from qkit.docx_report import BOTH, FEEDBACK, NARRATIVE, docx_paths, write_docx
from qkit.narrative import references

CHEN = SAMPLES / "wuhan-individual-chen.yaml"


@pytest.fixture(scope="module")
def huake(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docx")
    card = card_of(HUAKE)
    paths = write_docx(card, HUAKE, folder)
    return card, folder, {p.name: docx.Document(p) for p in paths}


def narrative_of(files) -> docx.document.Document:
    return files[f"{HUAKE.stem}.自评报告.docx"]


def feedback_of(files) -> docx.document.Document:
    return files[f"{HUAKE.stem}.反馈报告.docx"]


def headings(document, level: int | None = None) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading ")
            and (level is None or p.style.name == f"Heading {level}")]


def instructions(part) -> list[str]:
    element = part._element if hasattr(part, "_element") else part.element
    return [t.text.strip() for t in element.iter(qn("w:instrText"))]


def test_both_files_are_named_after_the_document_and_nothing_else_is_left(huake):
    _, folder, files = huake
    assert sorted(files) == sorted([f"{HUAKE.stem}.自评报告.docx", f"{HUAKE.stem}.反馈报告.docx"])
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)  # no temporary files left beside them


def test_the_narrative_has_every_item_and_clause_under_its_title_from_the_standard(huake):
    card, _, files = huake
    document = narrative_of(files)
    rubric = card.rubric
    assert headings(document, 1) == ["5.1 组织环境"] + [f"{i.id} {i.title}" for i in rubric.items]
    assert headings(document, 2) == [f"{c.id} {c.title}" for c in rubric.clauses]


def test_the_narrative_renders_paragraphs_lists_bold_and_citations(huake):
    card, _, files = huake
    document = narrative_of(files)
    texts = [p.text for p in document.paragraphs]
    assert any(t.startswith("华科精密始建于2003年") for t in texts)  # the profile narrative, markup gone
    assert not any("**" in t or "[[" in t for t in texts)
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert "华科精密" in bold and "（四）契合时代" in bold
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert "使命：精密制造，驱动美好出行；" in bullets
    assert len([b for b in bullets if b.startswith(("将“精益求精”", "通过入职培训", "质量文化", "每年开展"))]) == 4
    refs = references(card.assessment, card.rubric)
    assert refs.figure_of("客户端百万件不良率") == "5.7-1"
    assert any("客户端百万件不良率（见图5.7-1）" in t for t in texts)
    assert any("质量提升的关键结果见表5.7-1。" == t for t in texts)
    assert sum("（尚未撰写）" == t for t in texts) == len(card.rubric.clauses) - 4  # clauses without a narrative


def test_the_narrative_has_a_kpi_table_per_results_clause_and_a_chart_per_kpi(huake):
    card, _, files = huake
    document = narrative_of(files)
    doc = card.assessment
    with_kpis = [c for c in card.rubric.clauses if doc.kpis(c.id)]
    assert len(document.tables) == len(with_kpis) == 6
    first = document.tables[0]
    header = [cell.text for cell in first.rows[0].cells]
    assert header[:2] == ["指标", "单位"] and header[-1] == "目标值" and "2025" in header
    names = [row.cells[0].text for row in first.rows[1:]]
    assert names[0] == "营业收入" and "　行业标杆" in names  # our row, then each comparison series
    assert len(document.inline_shapes) == len(doc.results)  # one trend chart per KPI, as PNG
    images = [rel for rel in document.part.rels.values() if "image" in rel.reltype]
    assert images and all(rel.target_part.content_type == "image/png" for rel in images)
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert "表5.7-1 质量提升的结果：关键绩效指标" in captions and "图5.7-1 客户端百万件不良率" in captions


def test_the_narrative_has_a_cover_contents_and_page_numbers(huake):
    card, _, files = huake
    document = narrative_of(files)
    assert document.paragraphs[5].text == "自评报告" and document.paragraphs[5].style.name == "Title"
    assert any(p.text == "申报单位：湖北华科精密制造股份有限公司" for p in document.paragraphs[:15])
    toc = [i for i in instructions(document) if i.startswith("TOC")]
    assert toc == ['TOC \\o "1-2" \\h \\z \\u']
    entries = [p.text.split("\t") for p in document.paragraphs if p.style.name.startswith("toc")]
    assert [e[0] for e in entries] == [p.text for p in document.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert [e[0] for e in entries[:3]] == ["5.1 组织环境", "5.2 领导作用", "5.2.2 引领发展"]
    pages = [e[1] for e in entries]  # after a dotted tab: the page, where LibreOffice could lay the file out
    if docx_pages.layout_tools():
        assert [int(n) for n in pages] == sorted(int(n) for n in pages) and int(pages[0]) >= 3  # cover, contents
    else:
        assert pages == [""] * len(entries)
    note = next(p for p in document.paragraphs if p.style.name == "Contents Note")
    assert "更新域" in note.text  # how to have the numbers, or have them updated
    props = document.core_properties
    assert (props.title, props.author, props.last_modified_by) == ("自评报告", card.assessment.name, card.assessment.name)
    assert props.subject == card.rubric.title("zh") and props.comments == ""
    assert props.created.year >= 2025 and props.created == props.modified  # the day it was written, not 2013
    section = document.sections[0]
    assert section.different_first_page_header_footer  # the cover has no page number
    assert instructions(section.footer) == ["PAGE", "NUMPAGES"]
    assert "自评报告" in section.header.paragraphs[0].text
    settings = document.settings.element
    assert settings.find(qn("w:updateFields")).get(qn("w:val")) == "true"


def test_fonts_name_chinese_fonts_explicitly(huake):
    _, _, files = huake
    for document in files.values():
        styles = document.styles
        defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
        assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
        for name, east, latin in (("Normal", "宋体", "Times New Roman"), ("Heading 1", "黑体", "Arial"),
                                  ("Heading 2", "黑体", "Arial"), ("Caption", "黑体", "Arial")):
            fonts = styles[name].element.rPr.find(qn("w:rFonts"))
            assert fonts.get(qn("w:eastAsia")) == east and fonts.get(qn("w:ascii")) == latin, name
            assert fonts.get(qn("w:eastAsiaTheme")) is None and fonts.get(qn("w:asciiTheme")) is None, name


def test_the_feedback_report_has_the_report_sections_and_the_writing_status(huake):
    card, _, files = huake
    document = feedback_of(files)
    top = headings(document, 1)
    assert top == ["总体评价", "各条目得分", "优势与改进机会", "改进优先级（按失分排序）", "改进计划", "结果分析",
                   "自评报告撰写情况", "附录：条款得分明细"]
    third = headings(document, 3)
    assert "5.2.2 引领发展（得分率 70%）" in third
    texts = [p.text for p in document.paragraphs]
    total = next(t for t in texts if t.startswith("总分："))
    assert total.startswith("总分：642.75 / 1000（64.3%）")
    strengths = card.assessment.rating("5.2.2").strengths
    assert strengths[0] in [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    writing = next(t for t in document.tables if t.rows[0].cells[0].text == "部分")
    rows = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in writing.rows[1:]}
    assert rows["5.7.3 产品和服务质量"][3] == "c）质量深化"
    assert rows["5.2.3 有效治理"][0] == "（尚未撰写）" and rows["5.2.3 有效治理"][2] == "约 1,500（参考）"
    assert rows["5.7.4 质量提升的结果"][1].startswith("表格 ") and "图 5 幅" in rows["5.7.4 质量提升的结果"][1]
    assert rows["5.1 组织环境（组织概述，单独计算）"][2] == "3,000"
    assert rows["自评报告（含图表，不含组织概述）"][2] == "30,000"
    assert len(document.inline_shapes) >= 3 + len(card.assessment.results)  # radar, clause bars, priorities, trends


def test_one_kind_only_and_english(tmp_path):
    card = card_of(HUAKE)
    (path,) = write_docx(card, HUAKE, tmp_path, NARRATIVE, lang="en")
    assert path.name.endswith(".自评报告.docx") and sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    document = docx.Document(path)
    assert headings(document, 2)[0] == "5.2.2 Leading development"
    texts = [p.text for p in document.paragraphs]
    assert any("(see Figure 5.7-1)" in t for t in texts) and "(not written yet)" in texts
    assert "Applicant: 湖北华科精密制造股份有限公司" in texts and "(↓) lower is better" in texts
    assert instructions(document.sections[0].footer) == ["PAGE", "NUMPAGES"]
    assert document.sections[0].footer.paragraphs[0].text.startswith("Page ")
    assert docx_paths(HUAKE, tmp_path, FEEDBACK) == {FEEDBACK: tmp_path / f"{HUAKE.stem}.反馈报告.docx"}
    assert set(docx_paths(HUAKE, tmp_path, BOTH)) == {NARRATIVE, FEEDBACK}


def test_the_individual_award_has_no_profile_and_its_indicators_as_headings(tmp_path):
    card = card_of(CHEN)
    (path,) = write_docx(card, CHEN, tmp_path, NARRATIVE)
    document = docx.Document(path)
    assert headings(document, 1) == [f"{g.id} {g.title}" for g in card.rubric.items]
    assert headings(document, 2) == [f"{i.id} {i.title}" for i in card.rubric.clauses]
    assert any(p.text.startswith("申报人：") for p in document.paragraphs[:15])


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    from qkit import docx_report

    card = card_of(HUAKE)
    monkeypatch.setattr(docx_report, "feedback_document", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x")))
    with pytest.raises(RuntimeError):
        write_docx(card, HUAKE, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f"{HUAKE.stem}.自评报告.docx"]
    assert not [p for p in tmp_path.iterdir() if re.match(r"^\.", p.name)]


@pytest.mark.slow
def test_qkit_report_docx_writes_both_word_files(cli, tmp_path):
    code, out, err = cli("report", HUAKE, "-o", tmp_path, "--no-pdf", "--docx")
    assert code == 0, err
    for name in (f"{HUAKE.stem}.自评报告.docx", f"{HUAKE.stem}.反馈报告.docx", f"{HUAKE.stem}.html"):
        assert (tmp_path / name).is_file() and str(tmp_path / name) in out
    html = (tmp_path / f"{HUAKE.stem}.html").read_text(encoding="utf-8")
    assert "自评报告撰写情况" in html and "c）质量深化" in html
    code, _, err = cli("report", HUAKE, "-o", tmp_path / "bad", "--no-pdf", "--docx", "--limits", tmp_path / "none.yaml")
    assert code == 1 and "none.yaml" in err


def test_the_english_feedback_reports_headings_and_column_heads_begin_with_a_capital(tmp_path):
    card = card_of(HUAKE)
    (path,) = write_docx(card, HUAKE, tmp_path, FEEDBACK, lang="en")
    document = docx.Document(path)
    lower = [h for h in headings(document) if h[:1].islower()]
    lower += [c.text for t in document.tables for c in t.rows[0].cells if c.text[:1].islower()]
    assert lower == [] and "Priorities (points at stake)" in headings(document, 1)
    texts = [p.text for p in document.paragraphs]
    assert next(t for t in texts if t.startswith("Total")).startswith("Total: 642.75 / 1000 (64.3%)    Maturity: ")
    assert [t for t in texts if t.startswith("Band the data suggest: ")]  # English punctuation, not ：（）
    assert not [t for t in texts if re.match(r"^[A-Z][a-z ]+：", t)]
