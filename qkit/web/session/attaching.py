"""Evidence files attached from the form, and the application's own files: the Word 自评报告 and the package."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Callable

from ...errors import Problem, QkitError
from ...evidence import check_file, next_number
from ...i18n import fmt_bytes
from ...paths import field_of
from .. import access
from ..store import Store, StoreFiles

if TYPE_CHECKING:
    from ...scoring import Scorecard

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_PAGE_DOWNLOAD = 50 * 1024 * 1024  # a package the page hands over itself; a larger one is made by qkit package
APPLICATION_FILES = ("docx", "package")  # what the lead's 导出 makes on request


class Attaching:
    """Files attached to a clause's evidence (kept in the store, listed in ``evidence_files``), and the Word
    自评报告 and the whole package made from the application as it is now, for its lead."""

    def may_attach(self, clause_id: str) -> bool:
        """Whether this page attaches files to the clause: an application in the store, a clause the member writes."""
        return isinstance(self.store, Store) and not self.judging and self.editable(
            ("clauses", clause_id, "evidence_files"))

    def attach(self, clause_id: str, name: str, content: bytes, today: dt.date | None = None) -> Problem | None:
        """Attach an uploaded file to a clause's evidence; the refusal (said on the page too) when there is one.

        The file is refused when the member may not write the clause, or it
        cannot be evidence (too big, empty, a kind not accepted, not what its
        name says); the store checks the member again, as they stand now. A
        file kept is listed in the clause's ``evidence_files`` with the next
        free number of its item, its name as its title, today as its date and
        the member as its owner (each can be changed), and saved as any change is.
        """
        path = ("clauses", clause_id, "evidence_files")
        refused = self._allowed(path)
        if refused is not None:
            return refused
        if not isinstance(self.store, Store):
            return self._say(Problem(field_of(path), "evidence_no_store"))
        problem = check_file(name, content, field_of(path))
        if problem is not None:
            return self._say(problem)
        try:
            kept = self.store.attach(self.applicant_id, clause_id, name, content, self.member)
        except QkitError as exc:  # the member's rights as the store holds them, the applicant's total
            return self._say(exc.problems[0])
        taken = [entry.get("number") for rating in (self.value(("clauses",), {}) or {}).values()
                 if isinstance(rating, dict) for entry in (rating.get("evidence_files") or [])
                 if isinstance(entry, dict)]
        item = access.item_of(self.rubric, self.data, path)
        self.append(path, {"number": next_number(item, [str(n) for n in taken if n]),
                           "title": FilePath(name).stem, "date": (today or dt.date.today()).isoformat(),
                           "owner": self.member.name if self.member else "", "file": name, "sha256": kept.sha256})
        return None

    def evidence_content(self, sha256: str) -> bytes | None:
        """An attached file's content, to open from the page."""
        return self.store.file_content(self.applicant_id, sha256) if isinstance(self.store, Store) else None

    @property
    def offers_package(self) -> bool:
        """Whether the page offers the Word 自评报告 and the package: the lead's, on the application."""
        return self.leads and not self.judging and isinstance(self.store, Store)

    def application_file(self, kind: str, lang: str = "zh") -> Callable[[], tuple[str, bytes, str]]:
        """The work of making the Word 自评报告 (``docx``) or the package as a zip (``package``) of the application
        as it is now, to run in the background: the page goes on while it is made. Refused (QkitError) for anyone
        but the lead, and while the document has problems to correct."""
        if not self.offers_package:
            raise QkitError(Problem("", "package_leads_only"))
        if self.scorecard is None or self.problems:
            raise QkitError(self.problems)
        card, stem, files = self.scorecard, self.file_stem(lang), StoreFiles(self.store, self.applicant_id)
        return (lambda: _report_docx(card, stem, files, lang)) if kind == "docx" else \
            (lambda: _package_zip(card, files, lang, self.applicant_id))


def _report_docx(card: "Scorecard", stem: str, files: StoreFiles, lang: str) -> tuple[str, bytes, str]:
    from ...docx_report import narrative_document, save_docx

    with tempfile.TemporaryDirectory() as tmp:
        path = save_docx(narrative_document(card, lang, files=files), FilePath(tmp) / f"{stem}.自评报告.docx")
        return path.name, path.read_bytes(), DOCX


def _package_zip(card: "Scorecard", files: StoreFiles, lang: str, applicant_id: int) -> tuple[str, bytes, str]:
    from ...package import write_package

    with tempfile.TemporaryDirectory() as tmp:
        zipped = write_package(card, FilePath(tmp) / "package", files, lang)[-1]
        if zipped.stat().st_size > MAX_PAGE_DOWNLOAD:
            raise QkitError(Problem("", "package_too_big_for_page", params={
                "size": fmt_bytes(zipped.stat().st_size), "limit": fmt_bytes(MAX_PAGE_DOWNLOAD), "id": applicant_id}))
        return zipped.name, zipped.read_bytes(), "application/zip"
