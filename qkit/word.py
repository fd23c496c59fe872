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

import datetime as dt
import io
import string
from collections.abc import Iterable

import pandas as pd
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from PIL import Image

from . import markup
from .i18n import capital, fmt_cell, tr

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
PICTURE_HEIGHT = Cm(18)  # a tall image (a scanned page) leaves room on its page for its caption
CHART_DPI = 150
CONTENTS_NOTE = "Contents Note"  # the style of the note under the contents on how to have its page numbers
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
    caption_style = _style(doc, "Caption", HEADING_FONT, TABLE_SIZE, bold=False, color=INK)
    caption_style.paragraph_format.keep_with_next = True  # a table's caption never stays behind at a page's foot
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
        toc.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        toc.paragraph_format.line_spacing = 1.3  # a standard's two levels of headings on one page
        _style(doc, toc, BODY_FONT if level > 1 else HEADING_FONT, BODY_SIZE, bold=level == 1)
    note = doc.styles.add_style(CONTENTS_NOTE, WD_STYLE_TYPE.PARAGRAPH)  # said until the page numbers are in
    note.base_style = doc.styles["Normal"]
    _style(doc, note, BODY_FONT, TABLE_SIZE, color=MUTED)
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


def properties(doc, title: str, author: str, subject: str = "", written: dt.datetime | None = None) -> None:
    """The file's properties as Word shows them: its title, the applicant as its author, the standard as its
    subject, and when it was written (not python-docx's template of 2013)."""
    props = doc.core_properties
    written = (written or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(tzinfo=None)
    props.title, props.subject, props.author, props.last_modified_by = title, subject, author, author
    props.comments = props.keywords = props.category = ""
    props.created = props.modified = written
    props.revision = 1


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
    """A TOC field over the headings (levels 1–2), each entry with a place for its page number after a dotted tab.

    Word updates it on opening (``w:updateFields`` and a dirty field); a
    reader that does not update fields (a converter, some versions of WPS)
    still shows the headings rather than an empty page. The page numbers are
    filled in where LibreOffice can lay the file out (``qkit.docx_pages``); a
    note under the contents says how to have them updated, or had at all.
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
    marker.insert_paragraph_before(tr("toc_pages_note", lang), style=styles[CONTENTS_NOTE])
    entries = [marker.insert_paragraph_before(text, style=styles[f"toc {level}"]) for level, text in headings]
    for entry in entries:
        entry.add_run("\t")
        entry.add_run("")  # the page number, once known
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
        line.add_run(f"{capital(label)}: " if lang == "en" else f"{label}：").bold = True
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
KEEP_TOGETHER = 15  # rows up to which a table is kept on one page
MIN_TABLE_SIZE = 7.5  # pt (小五 is 9): the smallest a wide table's text is set, so that its numbers fit on one line
NO_WRAP_SUCCESSORS = ("w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers", "w:cellIns",
                      "w:cellDel", "w:cellMerge", "w:tcPrChange")  # what follows w:noWrap in a cell's properties


def _widths(header: list[str], rows: list[list[str]], numeric: set[int], size: float) -> list[float]:
    """Column widths in cm at a font size (pt): numbers get the room they need on one line, whatever the table's
    width; text columns share the rest, wrapping, and give up room first."""
    half = HALF_WIDTH * size / TABLE_SIZE.pt
    longest = [max([_text_width(h)] + [_text_width(r[i]) for r in rows if i < len(r)]) for i, h in enumerate(header)]
    need = [half * (n if i in numeric else min(n, 28)) + CELL_PADDING for i, n in enumerate(longest)]
    text = [i for i in range(len(header)) if i not in numeric]
    room = TEXT_WIDTH - sum(need[i] for i in range(len(header)) if i not in text)
    widths = list(need)
    narrowest = set()  # text columns held at the narrowest width while the others share what is left
    while text:
        sharing = [i for i in text if i not in narrowest]
        left = room - MIN_TEXT_COLUMN * len(narrowest)
        share = sum(need[i] for i in sharing)
        below = {i for i in sharing if need[i] * left / share < MIN_TEXT_COLUMN} if sharing and left > 0 else set(sharing)
        if not below:
            for i in sharing:
                widths[i] = need[i] * left / share
            break
        narrowest |= below
        for i in below:
            widths[i] = MIN_TEXT_COLUMN
    return widths


def fit(header: list[str], rows: list[list[str]], numeric: set[int]) -> tuple[list[float], float]:
    """Column widths (cm) and a font size (pt) at which the table fits the text's width with every number on one
    line: the table's size (五号) when it fits, else smaller, down to ``MIN_TABLE_SIZE``; a table that still does
    not fit keeps its numbers whole and reaches into the margin."""
    size = TABLE_SIZE.pt
    widths = _widths(header, rows, numeric, size)
    while sum(widths) > TEXT_WIDTH and size > MIN_TABLE_SIZE:
        size -= 0.5
        widths = _widths(header, rows, numeric, size)
    return widths, size


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
        run = cell.paragraphs[0].add_run(capital(str(text)))  # a column begins with a capital in English too
        run.bold = True
        _shade(cell, HEADER_FILL)
    for r, values in enumerate(rows):
        cells = table.add_row().cells
        for c, (cell, text) in enumerate(zip(cells, values)):
            run = cell.paragraphs[0].add_run("" if text is None else str(text))
            run.bold = r in bold_rows or None
            if c in numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    widths, size = fit(header, [["" if v is None else str(v) for v in r] for r in rows], set(numeric))
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    together = len(table.rows) <= KEEP_TOGETHER  # a short table is not split over two pages
    for r, row in enumerate(table.rows):
        for c, (cell, width) in enumerate(zip(row.cells, widths)):
            cell.width = Cm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            if c in numeric:  # a number is never broken across lines
                cell._tc.get_or_add_tcPr().insert_element_before(OxmlElement("w:noWrap"), *NO_WRAP_SUCCESSORS)
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = together and r < len(table.rows) - 1 or None
                paragraph.paragraph_format.line_spacing = 1.0
                paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(1)
                for run in paragraph.runs:
                    run.font.size = Pt(size)
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
    """An image (PNG or JPEG) at its own size, at most the text's width and ``PICTURE_HEIGHT`` tall, with its caption
    beneath it, kept with it."""
    with Image.open(io.BytesIO(png)) as image:
        dpi = image.info.get("dpi", (96, 96))[0] or 96
        width, height = image.width / dpi * 2.54, image.height / dpi * 2.54  # cm
    scale = min(1.0, PICTURE_WIDTH.cm / width, PICTURE_HEIGHT.cm / height)
    doc.add_picture(io.BytesIO(png), width=Cm(width * scale))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].paragraph_format.keep_with_next = bool(caption)
    if caption:
        paragraph = doc.add_paragraph(caption, style="Caption")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = False  # a figure's caption is beneath it: nothing to keep with
        paragraph.paragraph_format.space_after = Pt(6)
