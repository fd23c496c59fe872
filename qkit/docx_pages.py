"""Page numbers on a Word file's contents page, worked out by laying the file out in LibreOffice.

Word fills a contents field in when it opens a file; LibreOffice, WPS and
converters show what the file holds, which is the headings without their
pages. So where LibreOffice (``soffice``) and poppler's ``pdftotext`` are
installed, qkit lays the finished file out once (as a PDF, in a temporary
folder, with a LibreOffice profile of this process's own, so that runs side by
side do not collide), finds the page each heading starts on and writes the numbers into
the contents. Their note on how to have the numbers updated
(``qkit.word.CONTENTS_NOTE``) stays, so the file is laid out as it was
measured; where the numbers cannot be worked out it says how to have them at
all. LibreOffice may set a line differently from Word, which updates the
contents itself when it opens the file.
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn

from .word import TOC_LEVELS

LAYOUT_TIMEOUT = 180  # seconds LibreOffice may take to lay a report out (a 30-page one takes 2–4)
CONTENTS_STYLES = tuple(f"toc {level}" for level in range(1, TOC_LEVELS + 1))


def layout_tools() -> tuple[str, str] | None:
    """LibreOffice and poppler's pdftotext, where both are installed."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    text = shutil.which("pdftotext")
    return (office, text) if office and text else None


@functools.cache
def _profile() -> Path:
    """A LibreOffice profile for this process, made on first use (a second or two) and removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="qkit-office-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _squeezed(text: str) -> str:
    """A line without spaces, and without a contents entry's dotted leader and page number."""
    return re.sub(r"[.．…·]{3,}\d*$", "", re.sub(r"\s+", "", text))


def pages_text(path: Path) -> list[list[str]] | None:
    """The lines of each page of a Word file as LibreOffice lays it out; None where that cannot be done."""
    tools = layout_tools()
    if tools is None:
        return None
    office, pdftotext = tools
    with tempfile.TemporaryDirectory(prefix="qkit-layout-") as folder:
        work = Path(folder)
        source = work / "document.docx"  # a plain name: LibreOffice names its PDF after it
        shutil.copyfile(path, source)
        try:
            subprocess.run([office, f"-env:UserInstallation={_profile().as_uri()}", "--headless", "--norestore",
                            "--convert-to", "pdf", "--outdir", str(work), str(source)],
                           capture_output=True, timeout=LAYOUT_TIMEOUT, check=True)
            shown = subprocess.run([pdftotext, "-layout", "-enc", "UTF-8", str(work / "document.pdf"), "-"],
                                   capture_output=True, timeout=LAYOUT_TIMEOUT, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return None
    return [page.splitlines() for page in shown.decode("utf-8", "replace").split("\f")]


def _page_of(heading: str, pages: list[list[str]], start: int) -> int | None:
    """The first page from ``start`` with a line that is the heading (or begins it, wrapped onto the next line)."""
    wanted = _squeezed(heading)
    for number in range(start, len(pages)):
        lines = [_squeezed(line) for line in pages[number]]
        for i, line in enumerate(lines):
            both = line + (lines[i + 1] if i + 1 < len(lines) else "")
            if line and (line == wanted or (wanted.startswith(line) and both.startswith(wanted))):
                return number
    return None


def number_contents(path: Path) -> bool:
    """Write the page of each heading into the contents of a Word file qkit made (``qkit.word.fill_contents``);
    whether it could (the file is left as it was otherwise)."""
    doc = Document(str(path))
    entries = [p for p in doc.paragraphs if p.style.name in CONTENTS_STYLES]
    if not entries:
        return False
    pages = pages_text(path)
    if pages is None:
        return False
    last = _squeezed(entries[-1].text)
    after = next((n + 1 for n, lines in enumerate(pages) if last in [_squeezed(line) for line in lines]), None)
    if after is None:
        return False
    numbers = []
    for entry in entries:
        page = _page_of(entry.text, pages, numbers[-1] if numbers else after)
        if page is None:
            return False
        numbers.append(page)
    for entry, page in zip(entries, numbers):
        runs = entry.runs  # the heading, the dotted tab, the page number (and the field's end in the last entry)
        tab = max(i for i, run in enumerate(runs) if run._r.find(qn("w:tab")) is not None)
        runs[tab + 1].text = str(page + 1)  # pages counted from the cover, as the footer's PAGE field counts
    doc.save(str(path))
    return True
