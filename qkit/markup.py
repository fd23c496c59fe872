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
  are the English spellings of 图 and 表).

Everything else is text. ``parse`` turns a narrative into blocks of runs, as
data every view renders (Word, HTML); ``word_count`` counts it the way
Word's 字数 does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KPI, FIGURE, TABLE = "kpi", "figure", "table"
CITE_KINDS = {"KPI": KPI, "指标": KPI, "图": FIGURE, "FIG": FIGURE, "表": TABLE, "TABLE": TABLE}
CITE = re.compile(r"\[\[([^\[\]:：]+)[:：]([^\[\]]*)\]\]")
BOLD = "**"
BULLET = re.compile(r"^\s*[-－]\s+")


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


@dataclass(frozen=True)
class Run:
    """A stretch of text with one format: plain or bold, or a citation."""

    text: str
    bold: bool = False
    cite: Cite | None = None


@dataclass(frozen=True)
class Block:
    """A paragraph (one entry in ``entries``) or a list (one entry per list item)."""

    kind: str  # "paragraph" or "list"
    entries: tuple[tuple[Run, ...], ...]


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
    return Cite(kind, match.group(2).strip(), written, match.group(0))


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
    """A narrative as blocks: paragraphs and lists of runs."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    items: list[list[str]] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("paragraph", (runs(_join(paragraph)),)))
            paragraph.clear()
        if items:
            blocks.append(Block("list", tuple(runs(_join(item)) for item in items)))
            items.clear()

    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
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
    """The narrative as a reader sees it, without markup: a citation stands for the name it cites."""
    return "\n".join("".join(run.text for run in entry) for block in parse(text) for entry in block.entries)


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
