"""Word documents for Word and WPS: their styles, fields, page set-up, and the blocks qkit writes into them.

The Word files (``qkit.docx_report``) are built from these: an A4
document whose styles name their Chinese fonts explicitly (``w:eastAsia``:
宋体 for text, 黑体 for headings, with Latin fonts beside them), so Word and
WPS show Chinese in the intended fonts rather than a Latin fallback; page
numbers and a table of contents as Word fields; a cover page; body text,
muted notes and bullets; tables whose columns are as wide as their texts
need; captions and pictures.
"""

from __future__ import annotations

import io
import string
from collections.abc import Iterable

import pandas as pd
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from . import markup
from .i18n import fmt_cell, tr

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


def new_document(lang: str):
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


def page_furniture(doc, header: str, lang: str) -> None:
    section = doc.sections[0]
    paragraph = section.header.paragraphs[0]
    paragraph.text = header
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _with_fields(footer, tr("page_footer", lang), {"page": "PAGE", "pages": "NUMPAGES"})


TOC_LEVELS = 2


def contents_page(doc, lang: str):
    """The contents' title and the paragraph where ``fill_contents`` puts the TOC field."""
    title = doc.add_paragraph(tr("toc_title", lang), style="Subtitle")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return doc.add_paragraph()


def fill_contents(doc, marker, lang: str) -> None:
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


def bracketed(text: str, lang: str) -> str:
    return f" ({text})" if lang == "en" else f"（{text}）"


def cover(doc, title: str, subtitle: str, facts: list[tuple[str, str]], lang: str) -> None:
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


# --- blocks of content ------------------------------------------------------------------------


def body(doc, text: str = "", style: str | None = None, indent: bool = True):
    paragraph = doc.add_paragraph(text, style=style)
    if indent and style is None:
        paragraph.paragraph_format.first_line_indent = Pt(24)  # two characters, as Chinese text is set
    return paragraph


def muted(doc, text: str):
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.font.color.rgb = MUTED
    return paragraph


def bullets(doc, texts: Iterable[str]) -> None:
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


def table(doc, header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
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


def after_table(doc, note: str = "") -> None:
    """Space after a table, with a note in grey when there is one."""
    paragraph = muted(doc, note) if note else doc.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(6)


def frame_table(doc, frame: pd.DataFrame, percent: tuple[str, ...] = ()) -> None:
    numeric = {i for i, c in enumerate(frame.columns) if pd.api.types.is_numeric_dtype(frame[c])}
    rows = [[fmt_cell(v, c in percent) for c, v in row.items()] for _, row in frame.iterrows()]
    table(doc, [str(c) for c in frame.columns], rows, numeric)
    after_table(doc)


def caption(doc, text: str) -> None:
    paragraph = doc.add_paragraph(text, style="Caption")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.keep_with_next = True


def picture(doc, png: bytes, caption: str = "") -> None:
    doc.add_picture(io.BytesIO(png), width=PICTURE_WIDTH)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].paragraph_format.keep_with_next = bool(caption)
    if caption:
        paragraph = doc.add_paragraph(caption, style="Caption")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
