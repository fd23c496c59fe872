"""The 自评报告 and the feedback report as Word files, for Word and WPS.

``qkit report FILE --docx`` writes, next to the HTML report:

- ``NAME.自评报告.docx``, the self-assessment report an applicant submits: a
  cover page, a table of contents (a TOC field, updated when Word opens the
  file), 5.1 and the items and clauses under their titles from the standard,
  each with its narrative (paragraphs, lists and bold of ``qkit.markup``,
  citations as 表/图 numbers), and under each clause with KPIs its KPI table
  and a trend chart per KPI;
- ``NAME.反馈报告.docx``, the feedback report for consultants to edit before
  handing it over: total and maturity, item scores and charts, strengths and
  OFIs per clause, priorities, the results analysis, the writing status of
  the 自评报告 and the clause table. It is of the HTML report's edition
  (``tables.Edition``): the applicant's shows no assessor, independent score,
  calibration, note or flag, a bands-only one no exact score.

Both have page numbers (PAGE and NUMPAGES fields in the footer) and name
their fonts for Chinese explicitly (``w:eastAsia`` in every style: 宋体 for
text, 黑体 for headings, with Latin fonts beside them), so Word and WPS show
Chinese in the intended fonts rather than a Latin fallback. The numbers come
from the core (scoring, analytics, narrative); this module only lays them out.
"""

from __future__ import annotations

import io
import string
from pathlib import Path
from typing import Iterable

import pandas as pd
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from . import analytics, charts, markup, tables
from .document import KPI
from .files import remove, replacing
from .i18n import fmt_cell, fmt_date, fmt_percent, fmt_points, join_list, paren, tr
from .narrative import (LimitsFile, References, WritingStatus, kpi_caption, kpi_table, references, writing_frame,
                        writing_status)
from .radar import radar_title
from .scoring import ClauseScore, Scorecard
from .tables import Edition, edition_for

NARRATIVE, FEEDBACK, BOTH = "narrative", "feedback", "both"
KINDS = (BOTH, NARRATIVE, FEEDBACK)
SUFFIXES = {NARRATIVE: ".自评报告.docx", FEEDBACK: ".反馈报告.docx"}

BODY_FONT = ("Times New Roman", "宋体")  # (Latin, East Asian)
HEADING_FONT = ("Arial", "黑体")
BODY_SIZE = Pt(12)  # 小四
TABLE_SIZE = Pt(10.5)  # 五号
HEADING_SIZES = {1: Pt(16), 2: Pt(14), 3: Pt(12)}  # 三号, 四号, 小四
INK = RGBColor(0x1A, 0x1A, 0x1A)
MUTED = RGBColor(0x6B, 0x77, 0x85)
HEADER_FILL = "D9E2EC"
TEXT_WIDTH = 15.0  # cm between the margins
PICTURE_WIDTH = Cm(14)
CHART_DPI = 150


def docx_paths(assessment: str | Path, out_dir: str | Path, which: str = BOTH) -> dict[str, Path]:
    """The Word files ``which`` asks for, named after the assessment document."""
    stem = Path(assessment).stem
    kinds = (NARRATIVE, FEEDBACK) if which == BOTH else (which,)
    return {kind: Path(out_dir) / f"{stem}{SUFFIXES[kind]}" for kind in kinds}


def write_docx(card: Scorecard, assessment: str | Path, out_dir: str | Path, which: str = BOTH, lang: str = "zh",
               limits: LimitsFile | None = None, edition: Edition | None = None) -> list[Path]:
    """Write the Word files ``which`` asks for (both, narrative or feedback); each written atomically. The
    feedback report is of ``edition`` (by default the document's, ``tables.edition_for``)."""
    paths = docx_paths(assessment, out_dir, which)
    pictures = _Pictures(lang)
    status = writing_status(card.assessment, card.rubric, limits)
    written = []
    for kind, path in paths.items():
        remove(path)
        doc = narrative_document(card, lang, pictures) if kind == NARRATIVE else \
            feedback_document(card, lang, pictures, status, edition)
        with replacing(path, ".docx") as partial:
            doc.save(partial)
        written.append(path)
    return written


class _Pictures:
    """Charts as PNG, each drawn once even when both documents show it."""

    def __init__(self, lang: str):
        self.lang = lang
        self._kpis: dict[int, bytes] = {}

    @staticmethod
    def png(figure) -> bytes:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=CHART_DPI)
        return buffer.getvalue()

    def kpi(self, kpi: KPI) -> bytes:
        if id(kpi) not in self._kpis:
            self._kpis[id(kpi)] = self.png(charts.kpi_trend(kpi, self.lang))
        return self._kpis[id(kpi)]


# --- the Word document: styles, fields, page set-up ----------------------------------------


def _set_fonts(rpr, latin: str, east_asian: str) -> None:
    """Name the Latin and the East Asian font of a run or style, dropping theme fonts that would override them."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, font in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asian)):
        fonts.set(qn(attr), font)


def _style(doc, name, fonts: tuple[str, str], size, bold: bool | None = None, color: RGBColor | None = INK):
    """Size, weight, colour and fonts of a style (given by name, or the style itself)."""
    style = doc.styles[name] if isinstance(name, str) else name
    style.font.size = size
    if bold is not None:
        style.font.bold = bold
    style.font.italic = False
    if color is not None:
        style.font.color.rgb = color
    _set_fonts(style.element.get_or_add_rPr(), *fonts)
    return style


def _new_document(lang: str):
    """An A4 document whose styles name Chinese fonts, with Chinese as the East Asian language."""
    doc = Document()
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, *BODY_FONT)
    rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    normal = _style(doc, "Normal", BODY_FONT, BODY_SIZE)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.5
    for level, size in HEADING_SIZES.items():
        heading = _style(doc, f"Heading {level}", HEADING_FONT, size, bold=True)
        heading.paragraph_format.space_before = Pt(18 if level == 1 else 12)
        heading.paragraph_format.space_after = Pt(6)
        heading.paragraph_format.keep_with_next = True
    _style(doc, "Title", HEADING_FONT, Pt(36), bold=True)
    _style(doc, "Subtitle", HEADING_FONT, Pt(18), bold=False)
    _style(doc, "Caption", HEADING_FONT, TABLE_SIZE, bold=False, color=INK)
    _style(doc, "List Bullet", BODY_FONT, BODY_SIZE)
    title_border = doc.styles["Title"].element.find(qn("w:pPr"))
    if title_border is not None and title_border.find(qn("w:pBdr")) is not None:
        title_border.remove(title_border.find(qn("w:pBdr")))  # the template's rule under the title
    for level in (1, 2):  # Word's own names, so Word uses them when it updates the contents
        toc = doc.styles.add_style(f"TOC {level}", WD_STYLE_TYPE.PARAGRAPH)
        toc.element.attrib.pop(qn("w:customStyle"), None)
        toc.element.find(qn("w:name")).set(qn("w:val"), f"toc {level}")
        toc.base_style = doc.styles["Normal"]
        toc.paragraph_format.left_indent = Cm(0.75 * (level - 1))
        _style(doc, toc, BODY_FONT if level > 1 else HEADING_FONT, BODY_SIZE, bold=level == 1)
    for name in ("Header", "Footer"):
        _style(doc, name, BODY_FONT, Pt(9), color=MUTED)
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")  # Word fills in the contents and page count on opening
    update.set(qn("w:val"), "true")
    settings.append(update)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm((21 - TEXT_WIDTH) / 2)
    section.different_first_page_header_footer = True  # no header or page number on the cover
    doc.core_properties.language = "en-US" if lang == "en" else "zh-CN"
    return doc


def _fld_char(kind: str):
    """A run holding a field character: begin (marked dirty, so Word updates the field), separate or end."""
    run = OxmlElement("w:r")
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        element.set(qn("w:dirty"), "true")
    run.append(element)
    return run


def _field_start(instruction: str) -> list:
    """The runs that open a field: begin, the instruction, separate (the shown text follows them)."""
    run = OxmlElement("w:r")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run.append(text)
    return [_fld_char("begin"), run, _fld_char("separate")]


def _field(paragraph, instruction: str, shown: str = "") -> None:
    """A Word field (PAGE, NUMPAGES, TOC …) with the text shown until Word updates it."""
    for element in _field_start(instruction):
        paragraph._p.append(element)
    paragraph.add_run(shown)
    paragraph._p.append(_fld_char("end"))


def _with_fields(paragraph, template: str, fields: dict[str, str]) -> None:
    """Text with ``{name}`` placeholders, each placeholder a field: "第 {page} 页" with page = PAGE."""
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            paragraph.add_run(literal)
        if name:
            _field(paragraph, fields[name], "1")


def _page_furniture(doc, header: str, lang: str) -> None:
    section = doc.sections[0]
    paragraph = section.header.paragraphs[0]
    paragraph.text = header
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _with_fields(footer, tr("page_footer", lang), {"page": "PAGE", "pages": "NUMPAGES"})


TOC_LEVELS = 2


def _contents(doc, lang: str):
    """The contents' title and the paragraph where ``_fill_contents`` puts the TOC field."""
    title = doc.add_paragraph(tr("toc_title", lang), style="Subtitle")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return doc.add_paragraph()


def _fill_contents(doc, marker, lang: str) -> None:
    """A TOC field over the headings (levels 1–2), showing them until Word updates it with page numbers.

    Word updates it on opening (``w:updateFields`` and a dirty field); a
    reader that does not update fields (a converter, some versions of WPS)
    still shows the headings rather than an empty page.
    """
    headings = [(int(p.style.name[-1]), p.text) for p in doc.paragraphs
                if p.style.name.startswith("Heading ") and int(p.style.name[-1]) <= TOC_LEVELS]
    after = marker._p.getnext()
    if after is not None and after.tag == qn("w:p"):  # the body starts on a page of its own
        after.get_or_add_pPr().insert(0, OxmlElement("w:pageBreakBefore"))
    if not headings:
        _field(marker, f'TOC \\o "1-{TOC_LEVELS}" \\h \\z \\u', tr("toc_placeholder", lang))
        return
    styles = {s.name: s for s in doc.styles}
    entries = [marker.insert_paragraph_before(text, style=styles[f"toc {level}"]) for level, text in headings]
    first, last = entries[0], entries[-1]
    first_text = first.runs[0]._r
    for element in _field_start(f'TOC \\o "1-{TOC_LEVELS}" \\h \\z \\u'):
        first_text.addprevious(element)
    last._p.append(_fld_char("end"))
    marker._p.getparent().remove(marker._p)


def _page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _paren(text: str, lang: str) -> str:
    return f" ({text})" if lang == "en" else f"（{text}）"


def _cover(doc, title: str, subtitle: str, facts: list[tuple[str, str]], lang: str) -> None:
    for _ in range(4):
        doc.add_paragraph()
    head = doc.add_paragraph(subtitle, style="Subtitle")
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    big = doc.add_paragraph(title, style="Title")
    big.alignment = WD_ALIGN_PARAGRAPH.CENTER
    big.paragraph_format.space_after = Pt(48)
    for label, value in facts:
        line = doc.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line.add_run(f"{label}: " if lang == "en" else f"{label}：").bold = True
        line.add_run(str(value))
        for run in line.runs:
            run.font.size = Pt(14)
    _page_break(doc)


def _cover_facts(card: Scorecard, lang: str, with_assessors: bool) -> list[tuple[str, str]]:
    doc, rubric = card.assessment, card.rubric
    facts = [(tr(rubric.words["applicant"], lang), doc.name)]
    facts += [(tr(f, lang), str(doc.applicant[f])) for f in rubric.applicant_fields
              if f not in ("name", "short_name", "contact", "employees") and doc.applicant.get(f) not in (None, "")]
    facts.append((tr("standard", lang), rubric.document.title))
    facts.append((tr("date", lang), fmt_date(doc.assessment.get("date"), lang)))
    if with_assessors and doc.assessment.get("assessors"):
        facts.append((tr("assessors", lang), join_list(doc.assessment["assessors"], lang)))
    return facts


# --- blocks of content ------------------------------------------------------------------------


def _body(doc, text: str = "", style: str | None = None, indent: bool = True):
    paragraph = doc.add_paragraph(text, style=style)
    if indent and style is None:
        paragraph.paragraph_format.first_line_indent = Pt(24)  # two characters, as Chinese text is set
    return paragraph


def _muted(doc, text: str):
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.font.color.rgb = MUTED
    return paragraph


def _runs(paragraph, runs: Iterable[markup.Run], refs: References, lang: str) -> None:
    for run in runs:
        text = refs.cite(run.cite, lang) if run.cite else run.text
        paragraph.add_run(text).bold = run.bold or None


def _narrative(doc, text: str, refs: References, lang: str) -> None:
    """A narrative's paragraphs and lists; a grey note when nothing is written yet."""
    blocks = markup.parse(text)
    if not blocks:
        _muted(doc, tr("not_written", lang))
        return
    for block in blocks:
        for entry in block.entries:
            paragraph = _body(doc) if block.kind == "paragraph" else doc.add_paragraph(style="List Bullet")
            _runs(paragraph, entry, refs, lang)


def _bullets(doc, texts: Iterable[str]) -> None:
    for text in texts:
        doc.add_paragraph(str(text), style="List Bullet")


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _text_width(text: str) -> int:
    return sum(2 if markup.east_asian(ch) else 1 for ch in str(text))


HALF_WIDTH = 0.19  # cm a Latin character takes in a table (a Chinese one takes two)
CELL_PADDING = 0.45  # cm
MIN_TEXT_COLUMN = 1.6  # cm


def _widths(header: list[str], rows: list[list[str]], numeric: set[int]) -> list[float]:
    """Column widths in cm: numbers get the room they need on one line; text columns share the rest, wrapping."""
    longest = [max([_text_width(h)] + [_text_width(r[i]) for r in rows if i < len(r)]) for i, h in enumerate(header)]
    need = [HALF_WIDTH * (n if i in numeric else min(n, 28)) + CELL_PADDING for i, n in enumerate(longest)]
    text = [i for i in range(len(header)) if i not in numeric] or list(range(len(header)))
    fixed = sum(need[i] for i in range(len(header)) if i not in text)
    share = sum(need[i] for i in text)
    room = max(TEXT_WIDTH - fixed, MIN_TEXT_COLUMN * len(text))
    widths = [max(need[i] * room / share, MIN_TEXT_COLUMN) if i in text else need[i] for i in range(len(header))]
    return [w * min(1.0, TEXT_WIDTH / sum(widths)) for w in widths]  # never wider than the text


def _table(doc, header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
           bold_rows: set[int] = frozenset()):
    """A grid table: the header row shaded, bold and repeated on every page; numbers right-aligned;
    columns as wide as their texts need."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    head = table.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    head._tr.get_or_add_trPr().append(repeat)
    for cell, text in zip(head.cells, header):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
        _shade(cell, HEADER_FILL)
    for r, values in enumerate(rows):
        cells = table.add_row().cells
        for c, (cell, text) in enumerate(zip(cells, values)):
            run = cell.paragraphs[0].add_run("" if text is None else str(text))
            run.bold = r in bold_rows or None
            if c in numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    widths = _widths(header, [[str(v) for v in r] for r in rows], set(numeric))
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.line_spacing = 1.0
                paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(1)
                for run in paragraph.runs:
                    run.font.size = TABLE_SIZE
    return table


def _after_table(doc, note: str = "") -> None:
    """Space after a table, with a note in grey when there is one."""
    paragraph = _muted(doc, note) if note else doc.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(6)


def _frame_table(doc, frame: pd.DataFrame, percent: tuple[str, ...] = ()) -> None:
    numeric = {i for i, c in enumerate(frame.columns) if pd.api.types.is_numeric_dtype(frame[c])}
    rows = [[fmt_cell(v, c in percent) for c, v in row.items()] for _, row in frame.iterrows()]
    _table(doc, [str(c) for c in frame.columns], rows, numeric)
    _after_table(doc)


def _caption(doc, text: str) -> None:
    paragraph = doc.add_paragraph(text, style="Caption")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.keep_with_next = True


def _picture(doc, png: bytes, caption: str = "") -> None:
    doc.add_picture(io.BytesIO(png), width=PICTURE_WIDTH)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].paragraph_format.keep_with_next = bool(caption)
    if caption:
        paragraph = doc.add_paragraph(caption, style="Caption")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _kpi_section(doc, assessment, clause_id: str, title: str, refs: References, pictures: _Pictures,
                 lang: str) -> None:
    """A clause's KPI table (表5.7-1) and each KPI's trend chart (图5.7-1 …), numbered as citations refer to them."""
    indexed = [(i, k) for i, k in enumerate(assessment.results) if k.clause == clause_id]
    if not indexed:
        return
    kpis = [k for _, k in indexed]
    _caption(doc, kpi_caption(refs, clause_id, title, lang))
    header, rows, own = kpi_table(kpis, lang)
    _table(doc, header, rows, numeric=set(range(2, len(header))), bold_rows=own)
    lower = any(k.better == "lower" for k in kpis)
    _after_table(doc, f"{_paren('↓', lang).strip()} {tr('better_lower', lang)}" if lower else "")
    for i, kpi in indexed:
        _picture(doc, pictures.kpi(kpi), f"{tr('ref_figure', lang, number=refs.figures[i])} {kpi.name}")


# --- the two documents -----------------------------------------------------------------------


def narrative_document(card: Scorecard, lang: str = "zh", pictures: _Pictures | None = None):
    """The 自评报告: cover, contents, 5.1 and every clause with its narrative, KPI tables and charts."""
    pictures = pictures or _Pictures(lang)
    assessment, rubric = card.assessment, card.rubric
    refs = references(assessment, rubric)
    doc = _new_document(lang)
    _page_furniture(doc, f"{assessment.name} · {tr('sar_title', lang)}", lang)
    _cover(doc, tr("sar_title", lang), rubric.title(lang), _cover_facts(card, lang, with_assessors=False), lang)
    contents = _contents(doc, lang)
    profile = rubric.profile
    if profile is not None:
        doc.add_heading(f"{profile.id} {profile.name(lang)}", 1)
        if assessment.profile_narrative.strip() or not any(assessment.profile.values()):
            _narrative(doc, assessment.profile_narrative, refs, lang)
        else:  # no narrative yet: the prompts' texts as they are
            for prompt in profile.prompts:
                if assessment.profile.get(prompt.id):
                    doc.add_heading(f"{prompt.id}）{prompt.name(lang)}" if lang != "en"
                                    else f"{prompt.id}) {prompt.name(lang)}", 3)
                    _body(doc, assessment.profile[prompt.id])
    for item in rubric.items:
        doc.add_heading(f"{item.id} {item.name(lang)}", 1)
        for clause in item.clauses:
            doc.add_heading(f"{clause.id} {clause.name(lang)}", 2)
            _narrative(doc, assessment.rating(clause.id).narrative, refs, lang)
            _kpi_section(doc, assessment, clause.id, clause.name(lang), refs, pictures, lang)
    _fill_contents(doc, contents, lang)
    return doc


def _clause_heading(card: Scorecard, c: ClauseScore, edition: Edition, lang: str) -> str:
    """5.2.2 引领发展（得分率 70%）, or with ``bands_only`` （分数段 70%–85%）; a proposed score says so."""
    if c.score is None:
        shown = tr("unscored", lang)
    elif edition.bands_only:
        shown = f"{tr('score_band', lang)} {tables.clause_band_label(card, c, lang)}"
    else:
        shown = f"{tr('score', lang)} {fmt_percent(c.score)}"
    return paren(f"{c.id} {c.name(lang)}", f"{shown} · {tr('proposed_score', lang)}" if c.proposed else shown, lang)


def _left_out(doc, what: str, lang: str) -> None:
    """Where a bands-only report would show a chart or table of exact scores: the sentence saying why not."""
    _muted(doc, tr("left_out_bands", lang, what=what))


def feedback_document(card: Scorecard, lang: str = "zh", pictures: _Pictures | None = None,
                      status: WritingStatus | None = None, edition: Edition | None = None):
    """The feedback report, to edit before handing it over: the HTML report's sections as Word text and tables,
    of the report's edition (by default the document's)."""
    edition = edition or edition_for(card)
    card = edition.release(card)
    pictures = pictures or _Pictures(lang)
    assessment, rubric = card.assessment, card.rubric
    refs = references(assessment, rubric)
    status = status or writing_status(assessment, rubric)
    doc = _new_document(lang)
    _page_furniture(doc, f"{assessment.name} · {edition.title(lang)}", lang)
    _cover(doc, edition.title(lang), rubric.title(lang), _cover_facts(card, lang, with_assessors=edition.internal),
           lang)
    contents = _contents(doc, lang)

    doc.add_heading(tr("sec_summary", lang), 1)
    maturity = f"{tr(card.rubric.words['maturity'], lang)}：{tables.maturity_label(card, lang)}"
    if edition.bands_only:
        _body(doc, tr("bands_lead", lang), indent=False)
        _body(doc, maturity, indent=False)
    else:
        _body(doc, f"{tr('total', lang)}：{fmt_points(card.total)} / {card.max}（{fmt_percent(round(card.percent, 1))}）"
                   f"　{maturity}", indent=False)
    if card.maturity.basis(lang):
        _body(doc, card.maturity.basis(lang), indent=False)
    if card.missing:
        _body(doc, f"{tr('partial', lang)}：{join_list(card.missing, lang)}", indent=False)
    for c in card.flagged if edition.internal else ():
        why = c.flag.short(lang) if edition.bands_only else c.flag.message(lang)  # its message may name scores
        _body(doc, f"{c.id} {c.name(lang)}：{why}", indent=False)
    own = tables.self_frame(card, lang, edition)
    if not own.empty:
        doc.add_heading(tr("self_gaps_title", lang), 2)
        _body(doc, tr("self_gaps_lead_bands", lang) if edition.bands_only else tr("self_gaps_lead", lang),
              indent=False)
        _frame_table(doc, own, (tr("self_score", lang), tr("consensus_score", lang)))
    if edition.internal and tables.is_consensus(card):
        doc.add_heading(tr("sec_consensus", lang), 2)
        _frame_table(doc, tables.consensus_frame(card, lang, edition))
        if edition.bands_only:
            _left_out(doc, tr("calibration", lang), lang)
        else:
            _body(doc, tr("calibration", lang), indent=False)
            _frame_table(doc, tables.calibration_frame(card, lang))
            _picture(doc, pictures.png(charts.spread_chart(card, lang)))

    doc.add_heading(tr("sec_items", lang), 1)
    _frame_table(doc, tables.item_frame(card, lang, edition), (tr("score", lang),))
    if edition.bands_only:
        _left_out(doc, radar_title(card, lang), lang)
        _picture(doc, pictures.png(charts.clause_bands(card, lang)))
    else:
        _picture(doc, pictures.png(charts.item_radar(card, lang)))
        _picture(doc, pictures.png(charts.clause_bars(card, lang)))

    doc.add_heading(tr("sec_feedback", lang), 1)
    for item in card.items:
        doc.add_heading(f"{item.id} {item.name(lang)}", 2)
        for c in item.clauses:
            rating = assessment.rating(c.id)
            doc.add_heading(_clause_heading(card, c, edition, lang), 3)
            for key, texts in (("strengths", rating.strengths), ("ofis_long", rating.ofis),
                               ("evidence", rating.evidence)):
                if texts:
                    doc.add_paragraph().add_run(tr(key, lang)).bold = True
                    _bullets(doc, texts)
            if rating.notes and edition.internal:
                _body(doc, f"{tr('justified', lang)}：{rating.notes}", indent=False)

    doc.add_heading(tr("gaps", lang), 1)
    _body(doc, tr("gaps_lead_bands", lang) if edition.bands_only else tr("gaps_lead", lang), indent=False)
    _frame_table(doc, tables.priority_frame(card, lang, edition).head(10), (tr("score", lang),))
    if edition.bands_only:
        _left_out(doc, tr("gaps", lang), lang)
    else:
        _picture(doc, pictures.png(charts.priority_chart(card, lang)))

    analyses = analytics.analyze_results(assessment, rubric, lang)
    if analyses:
        doc.add_heading(tr("sec_results", lang), 1)
        _body(doc, tr("results_lead", lang), indent=False)
        for clause in analyses:
            doc.add_heading(f"{clause.id} {clause.title}", 2)
            band = clause.hint.band
            if band is not None:
                _body(doc, f"{tr('hint_band', lang)}：{fmt_percent(band.min)}–{fmt_percent(band.max)}", indent=False)
            _bullets(doc, clause.hint.sentences)
            _kpi_section(doc, assessment, clause.id, clause.title, refs, pictures, lang)

    if status.written:
        _writing(doc, status, lang)

    doc.add_heading(tr("sec_appendix", lang), 1)
    frame = tables.clause_frame(card, lang, edition)
    _frame_table(doc, frame.drop(columns=frame.columns[0]), (tr("score", lang),))
    _fill_contents(doc, contents, lang)
    return doc


def _writing(doc, status: WritingStatus, lang: str) -> None:
    """The 自评报告's writing: each part's length against its limit and the sub-points it seems to leave out."""
    doc.add_heading(tr("sec_writing", lang), 1)
    _body(doc, tr("writing_lead", lang, file=Path(status.limits.source).name, figure=status.limits.figure),
          indent=False)
    frame, totals = writing_frame(status, lang)
    _table(doc, [str(c) for c in frame.columns], frame.values.tolist(), numeric={1, 3}, bold_rows=set(totals))
    _after_table(doc)
