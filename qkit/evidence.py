"""Evidence files (证实性材料): what an application attaches to a clause, and what qkit accepts as one.

A clause lists its files under ``clauses/<id>/evidence_files``, each with a
number (``5.3-2``: its item, then its place there, as tables and figures are
numbered), a title, a date, an owner (the person or department responsible)
and the file's name; the web form's store keeps the content too, found by its
SHA-256 (``sha256``). Narratives cite a file as ``[[证据:5.3-2]]`` and place an
image one as ``[[插图:5.3-2]]`` (``qkit.markup``); ``qkit package`` copies each
file into 证实性材料/ named by its number and title.

A file is accepted when its name ends in one of ``KINDS`` (PDF, PNG or JPEG
images, Word, Excel), its content is what that name says (the first bytes of a
PDF, a PNG or JPEG image, a Word or Excel file; a renamed program is not), and
it is at most ``MAX_FILE_BYTES``: a scanned certificate or a report of a
hundred pages is far below, and a page sends a file to its kernel in one
message of at most 8 MB (``qkit.web.voila.MAX_MESSAGE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Protocol

from .errors import Problem
from .i18n import fmt_bytes

EVIDENCE_FIELDS = ("number", "title", "date", "owner", "file", "sha256")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_APPLICANT_BYTES = 500 * 1024 * 1024  # all of one applicant's files in a store, each content counted once
MAX_NAME = 120  # characters of a file's name
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the first bytes of the older Word and Excel files (.doc, .xls)
IMAGES = (".png", ".jpg", ".jpeg")


def _zipped(member: str):
    """Whether content is a zip (as .docx and .xlsx are) holding ``member``."""
    def check(content: bytes) -> bool:
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return member in archive.namelist()
        except (zipfile.BadZipFile, ValueError):
            return False
    return check


# a file's ending -> what it is called and how its content is recognised
KINDS: dict[str, tuple[str, Any]] = {
    ".pdf": ("PDF", lambda c: c.startswith(b"%PDF-")),
    ".png": ("PNG", lambda c: c.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("JPEG", lambda c: c.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("JPEG", lambda c: c.startswith(b"\xff\xd8\xff")),
    ".docx": ("Word", _zipped("word/document.xml")),
    ".doc": ("Word", lambda c: c.startswith(OLE)),
    ".xlsx": ("Excel", _zipped("xl/workbook.xml")),
    ".xls": ("Excel", lambda c: c.startswith(OLE)),
}
NUMBER = re.compile(r"^(?P<item>\d+(?:\.\d+)*)-(?P<n>[1-9]\d*)$")
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')  # characters no file name on Windows or Linux may hold


@dataclass(frozen=True)
class EvidenceFile:
    """One evidence file as the document lists it."""

    number: str
    title: str
    date: dt.date
    owner: str
    file: str
    sha256: str = ""

    @property
    def suffix(self) -> str:
        return PurePath(self.file).suffix.lower()

    @property
    def image(self) -> bool:
        return self.suffix in IMAGES

    @property
    def package_name(self) -> str:
        """The name ``qkit package`` gives its copy: ``5.3-2 战略规划管理办法.pdf``."""
        return f"{self.number} {safe_name(self.title)}{self.suffix}"

    def to_data(self) -> dict[str, Any]:
        data = {"number": self.number, "title": self.title, "date": self.date.isoformat(), "owner": self.owner,
                "file": self.file}
        return data | ({"sha256": self.sha256} if self.sha256 else {})


def safe_name(text: str) -> str:
    """Text fit for a file's name: characters a file system refuses become ＿, at most 60 characters."""
    return UNSAFE.sub("＿", text).strip(" .")[:60] or "_"


def item_of_number(number: str) -> str | None:
    """The item a number belongs to: 5.3 for 5.3-2."""
    found = NUMBER.match(number)
    return found.group("item") if found else None


def next_number(item_id: str, taken: set[str] | list[str]) -> str:
    """The next free number in an item: 5.3-3 when 5.3-1 and 5.3-2 are taken."""
    used = [int(found.group("n")) for n in taken if (found := NUMBER.match(str(n))) and found.group("item") == item_id]
    return f"{item_id}-{max(used, default=0) + 1}"


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def kind_problem(name: str, field: str = "file") -> Problem | None:
    """A file's name whose ending is not of a kind accepted as evidence, named with the kinds that are."""
    if PurePath(name).suffix.lower() in KINDS:
        return None
    return Problem(field, "evidence_type", name, {"allowed": list(dict.fromkeys(kind for kind, _ in KINDS.values())),
                                                  "endings": " ".join(KINDS)})


def check_file(name: str, content: bytes, field: str = "file") -> Problem | None:
    """Why a file cannot be evidence (too big, empty, of a type not accepted, or not what its name says), or None.

    The message names the limit or the types allowed."""
    wrong_kind = kind_problem(name, field)
    if wrong_kind is not None:
        return wrong_kind
    if len(name) > MAX_NAME:
        return Problem(field, "evidence_name", name, {"limit": MAX_NAME})
    if not content:
        return Problem(field, "evidence_empty", name)
    if len(content) > MAX_FILE_BYTES:
        return Problem(field, "evidence_too_big", name, {"size": fmt_bytes(len(content)),
                                                          "limit": fmt_bytes(MAX_FILE_BYTES)})
    kind, recognised = KINDS[PurePath(name).suffix.lower()]
    if not recognised(content):
        return Problem(field, "evidence_content", name, {"kind": kind})
    return None


class EvidenceFiles(Protocol):
    """Where the evidence files' content is: a folder (``FolderFiles``) or the web form's store."""

    def content(self, entry: EvidenceFile) -> bytes | None:
        """The file's content; None when it is not there."""


class FolderFiles:
    """A document's evidence files in a folder, each found by its ``file`` (a name or a path in the folder)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def content(self, entry: EvidenceFile) -> bytes | None:
        path = self.folder / entry.file
        try:
            return path.read_bytes() if path.is_file() else None
        except OSError:
            return None
