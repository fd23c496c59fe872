"""The session's document as files to download: YAML, the Excel workbook, the HTML report."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path as FilePath
from typing import TYPE_CHECKING

import yaml

from ...errors import Problem, QkitError
from ...i18n import tr

if TYPE_CHECKING:
    from . import Session

EXPORTS = ("yaml", "excel", "report")  # the files the form offers for download
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Files:
    """The document as files: as typed (YAML), or checked and scored (Excel, the report)."""

    def yaml(self) -> str:
        """The document as a file: tidy when it passes the checks, else exactly what was typed."""
        if self.document is not None and not self.problems:
            return self.document.to_yaml()
        return yaml.safe_dump(self.data, allow_unicode=True, sort_keys=False, width=1000)

    def file_stem(self, lang: str = "zh") -> str:
        """The exported files' name as people keep them: the applicant's short name (or name), the assessment's
        year and 自评 (华科精密-2026自评; an identifier such as the standard's id means nothing to them)."""
        name = self.value(("applicant", "short_name")) or self.name
        year = self.assessment_year() if self.value(("assessment", "date")) else None
        what = tr("wb_file_name", lang, year=year) if year else tr("wb_file_name_undated", lang)
        return re.sub(r"[\\/:*?\"<>|\s]+", "-", f"{name}-{what}" if name else what).strip("-")

    def audiences(self) -> tuple[str, ...]:
        """The editions of a report this page may offer: the consensus's lead chooses the applicant's (申报单位版)
        or the internal one; everyone else gets their document's own (an application or an assessor's layer is
        never the applicant's feedback)."""
        return ("applicant", "internal") if self.agreeing else ("internal",)

    def report_options(self, lang: str = "zh", audience: str | None = None, bands_only: bool = False):
        """The options a report of this page is made with: its rubric folders and limits, an allowed audience."""
        from ...options import ReportOptions

        audience = audience or self.audiences()[0]
        if audience not in self.audiences():
            raise QkitError(Problem("audience", "audience_not_yours",
                                    params={"asked": audience, "editions": list(self.audiences())}))
        limits = FilePath(self._limits_file) if self._limits_file else None
        return ReportOptions(lang, tuple(self.index.extra), pdf=False, limits=limits, audience=audience,
                             bands_only=bands_only)

    def export(self, kind: str, lang: str = "zh", audience: str | None = None,
               bands_only: bool = False) -> tuple[str, bytes, str]:
        """One of ``EXPORTS`` as a file: its name, bytes and media type.

        The document (yaml) is always given, as typed; the Excel workbook needs
        a scorecard and the report a document without problems, else QkitError
        lists the problems. ``audience`` and ``bands_only`` choose the edition of
        the Excel workbook and the report, among those the page may offer.
        """
        if self.ended:
            raise QkitError(Problem("", "access_revoked"))
        stem = self.file_stem(lang)
        if kind == "yaml":
            return f"{stem}.yaml", self.yaml().encode("utf-8"), "application/x-yaml"
        if kind not in EXPORTS:
            raise ValueError(f"unknown export {kind!r}; one of {EXPORTS}")
        options = self.report_options(lang, audience, bands_only)
        if kind == "report":
            return self.report_file(options)
        if self.scorecard is None:
            raise QkitError(self.problems)
        from ...excel import write_workbook  # the views load when a file is asked for, not with the page
        from ...tables import edition_for

        with tempfile.TemporaryDirectory() as tmp:
            edition = edition_for(self.scorecard, options.audience, bands_only)
            path = write_workbook(self.scorecard, FilePath(tmp) / f"{stem}.xlsx", lang, edition)
            return path.name, path.read_bytes(), XLSX

    def report_file(self, options) -> tuple[str, bytes, str]:
        """The HTML report of the document as it is now, made with ``options`` (``report_options``, asked of
        the page whose rights they follow: a report made in the background is made from a ``snapshot``)."""
        from ...report import make_report

        if self.scorecard is None or self.problems:
            raise QkitError(self.problems)
        with tempfile.TemporaryDirectory() as tmp:
            document = FilePath(tmp) / f"{self.file_stem(options.lang)}.yaml"
            document.write_text(self.yaml(), encoding="utf-8")
            files = make_report(document, FilePath(tmp) / "report", options)
            return files.html.name, files.html.read_bytes(), "text/html"

    def snapshot(self) -> "Session":
        """The document as it is now in a session of its own, without a store: what a report is made from
        while the person types on. It keeps the rubric folders, limits and rules."""
        return type(self)(self.rubric, self.data, index=self.index, autosave_delay=None,
                       limits=self._limits_file or self._limits, rules=self._rules)
