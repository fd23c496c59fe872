"""The narrative's light markup, its citations and its length as Word counts it.

A narrative (the 自评报告's text for the profile or a clause) is written in a
small Markdown subset:

- paragraphs are separated by a blank line; the lines of one paragraph are
  joined (without a space between Chinese characters, so a line break inside
  a Chinese sentence does not show);
- a line starting with ``- `` is a list item (lines after it that do not
  start with ``- `` continue it);
- ``**bold**`` is bold;
- ``[[KPI:名称]]`` cites a KPI by its name, ``[[图:名称]]`` its trend chart and
  ``[[表:5.7.4]]`` the KPI table of a results clause (``FIG`` and ``TABLE``
  are the English spellings of 图 and 表); ``[[证据:5.3-2]]`` (``EVIDENCE``)
  cites an evidence file by its number;
- a line that is only ``[[插图:5.3-2]]`` (``IMAGE``) places that evidence file,
  an image, as a figure; ``[[插图:5.3-2|组织架构图]]`` gives it its own caption
  (else the file's title is the caption);
- lines starting with ``|`` are a table, a row each, cells between ``|``; the
  first row is its header, a row of dashes under it (``| --- | --- |``) is
  left out, and a line ``表：标题`` (``Table:``) right above it is its caption.

Everything else is text. ``parse`` turns a narrative into blocks of runs, as
data every view renders (Word, HTML); ``word_count`` counts it the way
Word's 字数 does: the text of paragraphs and lists (tables and figures are
counted by ``qkit.narrative`` with what they show).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KPI, FIGURE, TABLE, EVIDENCE, IMAGE = "kpi", "figure", "table", "evidence", "image"
CITE_KINDS = {"KPI": KPI, "指标": KPI, "图": FIGURE, "FIG": FIGURE, "表": TABLE, "TABLE": TABLE, "证据": EVIDENCE,
              "EVIDENCE": EVIDENCE, "插图": IMAGE, "IMAGE": IMAGE}
CITE = re.compile(r"\[\[([^\[\]:：]+)[:：]([^\[\]]*)\]\]")
BOLD = "**"
BULLET = re.compile(r"^\s*[-－]\s+")
ROW = re.compile(r"^\s*[|｜]")
RULE = re.compile(r"^\s*[|｜]?(\s*:?-{3,}:?\s*[|｜])*\s*:?-{3,}:?\s*[|｜]?\s*$")  # | --- | :---: |
CELL_NUMBER = re.compile(r"^[-+−]?[\d,，]*\d(\.\d+)?\s*[%％‰]?$")  # a table cell that is a number
TABLE_CAPTION = re.compile(r"^\s*(表|Table)\s*[:：]\s*(?P<caption>.*\S)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Cite:
    """A citation as written: ``[[KPI:营业收入]]`` is kind ``kpi``, id ``营业收入``.

    ``kind`` is None when the word before the colon is not a known kind
    (``written`` keeps that word).
    """

    kind: str | None
    id: str
    written: str
    source: str  # the whole citation as typed, brackets included
    caption: str = ""  # a placed image's own caption: [[插图:5.3-2|组织架构图]]


@dataclass(frozen=True)
class Run:
    """A stretch of text with one format: plain or bold, or a citation."""

    text: str
    bold: bool = False
    cite: Cite | None = None


@dataclass(frozen=True)
class Block:
    """A paragraph (one entry in ``entries``), a list (one entry per list item), a table (one entry per row,
    ``rows`` its cells, the header first) or a placed image (``image``, the citation that places it)."""

    kind: str  # "paragraph", "list", "table" or "image"
    entries: tuple[tuple[Run, ...], ...] = ()
    rows: tuple[tuple[tuple[Run, ...], ...], ...] = ()
    caption: str = ""
    image: Cite | None = None


def _join(lines: list[str]) -> str:
    """The lines of one paragraph as one line: a space only between two Latin letters or digits."""
    text = ""
    for line in (line.strip() for line in lines):
        if text and line and text[-1].isascii() and text[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            text += " "
        text += line
    return text


def _cite(match: re.Match) -> Cite:
    written = match.group(1).strip()
    kind = CITE_KINDS.get(written) or CITE_KINDS.get(written.upper())
    cited, _, caption = match.group(2).partition("|") if kind == IMAGE else (match.group(2), "", "")
    return Cite(kind, cited.strip(), written, match.group(0), caption.strip())


def _placed(line: str) -> Cite | None:
    """The image a line places when the line is only ``[[插图:…]]``."""
    found = CITE.fullmatch(line.strip())
    cite = _cite(found) if found else None
    return cite if cite is not None and cite.kind == IMAGE else None


def _cells(line: str) -> tuple[tuple[Run, ...], ...]:
    """A table row's cells: the text between ``|`` (full-width ｜ too), each as runs."""
    inner = line.strip().replace("｜", "|").strip("|")
    return tuple(runs(cell.strip()) for cell in inner.split("|"))


def runs(text: str) -> tuple[Run, ...]:
    """One line of narrative as runs: ``**`` switches bold on and off (an unpaired one is text)."""
    pieces = text.split(BOLD)
    if len(pieces) % 2 == 0:  # an odd number of markers: the last one is text
        pieces = pieces[:-2] + [pieces[-2] + BOLD + pieces[-1]]
    out: list[Run] = []
    for i, piece in enumerate(pieces):
        bold = i % 2 == 1
        at = 0
        for match in CITE.finditer(piece):
            if match.start() > at:
                out.append(Run(piece[at:match.start()], bold))
            cite = _cite(match)
            out.append(Run(cite.id, bold, cite))
            at = match.end()
        if at < len(piece):
            out.append(Run(piece[at:], bold))
    return tuple(out)


def parse(text: str) -> list[Block]:
    """A narrative as blocks: paragraphs, lists, tables and placed images."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    items: list[list[str]] = []
    table: list[str] = []
    caption = ""

    def flush() -> None:
        nonlocal caption
        if paragraph:
            blocks.append(Block("paragraph", (runs(_join(paragraph)),)))
            paragraph.clear()
        if items:
            blocks.append(Block("list", tuple(runs(_join(item)) for item in items)))
            items.clear()
        if table:
            rows = tuple(_cells(row) for row in table if not RULE.match(row))
            blocks.append(Block("table", rows=rows, caption=caption))
            table.clear()
            caption = ""

    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for at, line in enumerate(lines):
        if ROW.match(line):
            if not table:  # a table ends the paragraph or list before it, and keeps the caption above it
                flush()
            table.append(line)
            continue
        if table:
            flush()
        titled = TABLE_CAPTION.match(line)
        placed = _placed(line)
        if titled and at + 1 < len(lines) and ROW.match(lines[at + 1]):
            flush()
            caption = titled.group("caption")
        elif placed is not None:
            flush()
            blocks.append(Block("image", image=placed))
        elif not line.strip():
            flush()
        elif BULLET.match(line):
            if paragraph:
                flush()
            items.append([BULLET.sub("", line)])
        elif items:
            items[-1].append(line)
        else:
            paragraph.append(line)
    flush()
    return blocks


def plain_text(text: str) -> str:
    """The narrative's paragraphs and lists as a reader sees them, without markup: a citation stands for the name it
    cites. Tables and placed images are left out (``cell_texts`` gives a table's text)."""
    return "\n".join("".join(run.text for run in entry) for block in parse(text) for entry in block.entries)


def inline_images(text: str) -> list[Cite]:
    """The ``[[插图:…]]`` written inside a paragraph, list or table rather than on a line of their own."""
    return [run.cite for block in parse(text) for entry in block.entries + tuple(c for row in block.rows for c in row)
            for run in entry if run.cite is not None and run.cite.kind == IMAGE]


def number_columns(rows: list[list[str]]) -> set[int]:
    """The columns of a table's body whose filled cells are all numbers (12.6%, -3,500, 98.2), to set right-aligned
    and on one line."""
    width = max((len(row) for row in rows), default=0)
    filled = [[row[c].strip() for row in rows if c < len(row) and row[c].strip()] for c in range(width)]
    return {c for c, cells in enumerate(filled) if cells and all(CELL_NUMBER.match(cell) for cell in cells)}


def cell_texts(block: Block) -> list[str]:
    """A table block's cells as plain text, row by row."""
    return ["".join(run.text for run in cell) for row in block.rows for cell in row]


def citations(text: str) -> list[Cite]:
    """Every citation in a narrative, in order."""
    return [_cite(m) for m in CITE.finditer(text or "")]


# --- Word's 字数 --------------------------------------------------------------------

# Word's 字数 (Words) adds two counts of its statistics dialog: 中文字符和朝鲜语单词 (each
# East Asian character, full-width punctuation included) and 非中文单词 (each run of
# other characters between spaces and East Asian characters).
EAST_ASIAN_PUNCTUATION = "“”‘’…—·"


def east_asian(ch: str) -> bool:
    """A character Word counts on its own: CJK ideographs, kana, hangul, CJK and full-width punctuation."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F
            or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3134F or ch in EAST_ASIAN_PUNCTUATION)


def count_words(text: str) -> int:
    """Plain text counted as Word's 字数 counts it.

    Each Chinese character (and each Chinese or full-width punctuation mark)
    counts one; a run of other characters between spaces and Chinese
    characters counts one word if it has a letter or a digit (``ISO``,
    ``9001:2015``, ``12.6%``), none if it is punctuation alone.
    """
    count = 0
    word = False  # inside a run of other characters that has a letter or digit
    for ch in text:
        if ch.isspace() or east_asian(ch):
            count += word
            word = False
            if not ch.isspace():
                count += 1
        else:
            word = word or ch.isalnum()
    return count + word


def word_count(narrative: str) -> int:
    """A narrative's length in Word's 字数, markup left out (see ``count_words``)."""
    return count_words(plain_text(narrative))
