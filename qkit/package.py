"""The application package as award offices ask for it (``qkit package``).

Published notices ask an applicant for the 组织概述 (a part of its own), the
自我评价报告, the 自评表 (its own scores) and the 证实性材料 (supporting
evidence), on paper and as an electronic copy; the China Quality Award asks
for Word files. ``write_package`` writes them into a folder:

- ``概述.docx``: the organizational profile (5.1);
- ``自评报告.docx``: every item and clause with its narrative, tables and
  figures, without 5.1;
- ``自评表.docx`` and ``自评表.xlsx``: every clause's points, self-assessed
  score and points earned, each item's and the total;
- ``证实性材料/``: each evidence file named by its number and title
  (``5.3-2 战略规划管理办法.pdf``), and ``证实性材料目录.docx`` listing them;
- ``<申报单位>申报材料.zip``: all of it.

The evidence comes from a folder (``qkit.evidence.FolderFiles``) or the web
form's store; a file that is missing or cannot be evidence stops the package
before anything is written, each named. Each file is written atomically; the
evidence folder is made beside its place and swapped in whole, and the zip is
written last, so a package cut short never looks complete.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from .docx_report import cover_facts, narrative_document, profile_text, save_docx
from .errors import Problem, QkitError
from .evidence import EvidenceFile, EvidenceFiles, check_file, safe_name
from .excel import write_sheets
from .files import file_error, replacing, writable_folder
from .i18n import fmt_date, fmt_percent, fmt_points, tr
from .narrative import references
from .scoring import Scorecard
from .word import after_table, body, cover, new_document, page_furniture, properties, table

EVIDENCE_FOLDER = "证实性材料"
NAMES = {"overview": "概述.docx", "report": "自评报告.docx", "table": "自评表.docx", "sheet": "自评表.xlsx",
         "index": "证实性材料目录.docx"}


def evidence_of(card: Scorecard) -> list[tuple[str, EvidenceFile]]:
    """Every evidence file with its clause, in the standard's clause order."""
    return [(clause.id, entry) for clause in card.rubric.clauses
            for entry in card.assessment.rating(clause.id).evidence_files]


def check_evidence(card: Scorecard, files: EvidenceFiles) -> list[Problem]:
    """Each evidence file that is missing, or that cannot be evidence, named by its place in the document."""
    problems = []
    for clause in card.rubric.clauses:
        for i, entry in enumerate(card.assessment.rating(clause.id).evidence_files, 1):
            content = files.content(entry)
            where = f"clauses/{clause.id}/evidence_files/{i}/file"
            found = Problem(where, "evidence_missing", entry.file, {"number": entry.number}) if content is None \
                else check_file(entry.file, content, where)
            if found is not None:
                problems.append(found)
    return problems


def write_package(card: Scorecard, out: str | Path, files: EvidenceFiles, lang: str = "zh") -> list[Path]:
    """Write the package of ``card``'s application into the folder ``out``; the files written, the zip last."""
    problems = check_evidence(card, files)
    if problems:
        raise QkitError(problems)
    out = writable_folder(out)
    written = [
        save_docx(overview_document(card, lang, files), out / NAMES["overview"]),
        save_docx(narrative_document(card, lang, files=files, overview=False), out / NAMES["report"]),
        save_docx(self_assessment_document(card, lang), out / NAMES["table"]),
        write_sheets(out / NAMES["sheet"], {tr("pkg_table", lang): self_assessment_frame(card, lang)}),
        save_docx(evidence_index_document(card, lang), out / NAMES["index"]),
    ]
    folder = _evidence_folder(card, out / EVIDENCE_FOLDER, files)
    written += sorted(folder.iterdir())
    zipped = out / f"{safe_name(card.assessment.name)}{tr('pkg_zip', lang)}.zip"
    with replacing(zipped, ".zip") as partial, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in written:
            archive.write(path, str(path.relative_to(out)))
    return written + [zipped]


def _evidence_folder(card: Scorecard, folder: Path, files: EvidenceFiles) -> Path:
    """The evidence files copied under their package names into a folder made beside ``folder`` and swapped in."""
    try:
        fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        for _, entry in evidence_of(card):
            (fresh / entry.package_name).write_bytes(files.content(entry) or b"")
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            folder.replace(old / folder.name)
            fresh.replace(folder)
            shutil.rmtree(old)
        else:
            fresh.replace(folder)
    except OSError as exc:
        raise file_error(folder, exc) from None
    return folder


# --- the documents --------------------------------------------------------------------------


def _start(card: Scorecard, title: str, lang: str):
    """A Word file of the package: its properties, header and footer, and a cover."""
    doc = new_document(lang)
    properties(doc, title, card.assessment.name, card.rubric.title(lang))
    page_furniture(doc, f"{card.assessment.name} · {title}", lang)
    cover(doc, title, card.rubric.title(lang), cover_facts(card, lang), lang)
    return doc


def overview_document(card: Scorecard, lang: str = "zh", files: EvidenceFiles | None = None):
    """概述: the organizational profile (5.1) with its tables and images, a part of its own."""
    doc = _start(card, tr("pkg_overview", lang), lang)
    profile = card.rubric.profile
    if profile is not None:
        doc.add_heading(f"{profile.id} {profile.name(lang)}", 1)
        profile_text(doc, card, references(card.assessment, card.rubric), lang, files)
    return doc


def self_assessment_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """自评表: each item, then its clauses (points, self-assessed score, points earned), the total last."""
    rows = []
    for item in card.items:
        rows.append([item.id, item.name(lang), item.points, None, item.earned if item.scored else None])
        rows += [[c.id, c.name(lang), c.points, c.score, c.earned if c.score is not None else None]
                 for c in item.clauses]
    rows.append(["", tr("total", lang), card.max, None, card.total])
    return pd.DataFrame(rows, columns=[tr(card.rubric.words["clause"], lang), tr("title", lang), tr("points", lang),
                                       tr("pkg_self_score", lang), tr("earned", lang)])


def self_assessment_document(card: Scorecard, lang: str = "zh"):
    """自评表 as a Word table: items bold, each clause's score as a percentage; unscored clauses said so."""
    doc = _start(card, tr("pkg_table", lang), lang)
    frame = self_assessment_frame(card, lang)
    clause_ids = {c.id for c in card.rubric.clauses}
    bold = {i for i, key in enumerate(frame.iloc[:, 0]) if key not in clause_ids}
    rows = [[key, title, str(points),
             fmt_percent(score) if score is not None and not pd.isna(score) else
             ("" if key not in clause_ids else tr("unscored", lang)),
             fmt_points(earned) if earned is not None and not pd.isna(earned) else ""]
            for key, title, points, score, earned in frame.itertuples(index=False)]
    body(doc, tr("pkg_table_lead", lang, date=fmt_date(card.assessment.assessment.get("date"), lang)), indent=False)
    table(doc, [str(c) for c in frame.columns], rows, numeric={2, 3, 4}, bold_rows=bold)
    after_table(doc)
    return doc


def evidence_index_document(card: Scorecard, lang: str = "zh"):
    """证实性材料目录: every evidence file's number, title, clause, date, owner and its name in the package."""
    doc = _start(card, tr("pkg_index", lang), lang)
    listed = evidence_of(card)
    if not listed:
        body(doc, tr("pkg_no_evidence", lang), indent=False)
        return doc
    header = [tr(f"pkg_col_{c}", lang) for c in ("number", "title", "clause", "date", "owner", "file")]
    rows = [[e.number, e.title, clause_id, e.date.isoformat(), e.owner, e.package_name] for clause_id, e in listed]
    body(doc, tr("pkg_index_lead", lang, folder=EVIDENCE_FOLDER), indent=False)
    table(doc, header, rows, numeric={0, 2, 3})  # numbers, clauses and days each on one line
    after_table(doc)
    return doc
