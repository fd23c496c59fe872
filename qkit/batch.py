"""Reports for every applicant in a folder, and the cohort summary.

Applicants are shared out to worker processes; each worker keeps one warm
``Reporter`` (kernel and exporter) for all the applicants it gets, which is
where the time goes in a naive loop. One applicant's failure (an invalid
document, a dead kernel, a timeout) is recorded with its reason and the
others go on; a run that failed keeps its notebook for a look at where it
stopped (an invalid document is refused before it runs). Every report is of
the edition asked for (``--audience``, ``--bands-only``); the cohort summary
is the office's own and always shows everything.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from . import charts, cohort, excel, sections, tables
from .errors import Problem, QkitError
from .files import remove, replacing, writable_folder, write_atomic
from .i18n import tr
from .report import ReportOptions, Reporter, report_paths

DOCUMENT_PATTERNS = ("*.yaml", "*.yml")
SUMMARY_XLSX, SUMMARY_CSV, COHORT_PNG = "summary.xlsx", "summary.csv", "cohort.png"
RESERVED_STEMS = ("summary", "cohort")  # their reports would overwrite the cohort summary
MANIFEST = ".qkit-batch.json"  # which reports are complete, written after all their files


@dataclass
class Outcome:
    """What became of one applicant's report."""

    document: Path
    ok: bool
    reason: str = ""
    notebook: Path | None = None
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


@dataclass
class BatchResult:
    done: list[Outcome]
    failed: list[Outcome]
    skipped: list[Path]
    summary: list[Path]


def find_documents(folder: Path) -> list[Path]:
    """The assessment documents in a folder, each with a report name of its own."""
    if not folder.exists():
        raise QkitError(Problem(str(folder), "file_missing"))
    if not folder.is_dir():
        raise QkitError(Problem(str(folder), "not_folder"))
    docs = sorted({p for pattern in DOCUMENT_PATTERNS for p in folder.glob(pattern) if p.is_file()})
    if not docs:
        raise QkitError(Problem(str(folder), "no_documents"))
    stems = [p.stem for p in docs]
    clashes = sorted(p.name for p in docs if stems.count(p.stem) > 1 or p.stem in RESERVED_STEMS)
    if clashes:
        raise QkitError(Problem(str(folder), "same_stem", params={"allowed": clashes}))
    return docs


class Manifest:
    """The reports of an output folder known to be complete: ``OUT/.qkit-batch.json``.

    An applicant is entered only after every one of its files was written, and
    taken out before its report is made again, so a run killed half-way leaves
    no entry for what it did not finish. ``--resume`` trusts this file, not
    time stamps: a report is current when its entry names the document as it
    is now (its SHA-256 and modification time), the same options, and files
    that are all still there with the sizes they were written with.
    """

    def __init__(self, out_dir: Path, options: ReportOptions):
        self.path = out_dir / MANIFEST
        self.options = json.dumps(dict(sorted(options.fingerprint().items())), ensure_ascii=False)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries = data["documents"] if isinstance(data.get("documents"), dict) else {}
        except (OSError, ValueError, AttributeError):
            self.entries = {}  # missing or unreadable: nothing is known to be complete

    @staticmethod
    def _document(document: Path) -> dict:
        return {"sha256": hashlib.sha256(document.read_bytes()).hexdigest(),
                "mtime_ns": document.stat().st_mtime_ns}

    def is_current(self, document: Path) -> bool:
        entry = self.entries.get(document.name)
        if not isinstance(entry, dict) or entry.get("options") != self.options:
            return False
        if {k: entry.get(k) for k in ("sha256", "mtime_ns")} != self._document(document):
            return False
        files = entry.get("files") or {}
        return bool(files) and all((self.path.parent / name).is_file()
                                   and (self.path.parent / name).stat().st_size == size
                                   for name, size in files.items())

    def forget(self, documents: list[Path]) -> None:
        for document in documents:
            self.entries.pop(document.name, None)
        self._write()

    def complete(self, document: Path, files: list[Path]) -> None:
        self.entries[document.name] = {**self._document(document), "options": self.options,
                                       "files": {f.name: f.stat().st_size for f in files}}
        self._write()

    def _write(self) -> None:
        write_atomic(self.path, json.dumps({"format": 1, "documents": self.entries}, ensure_ascii=False, indent=1))


# --- inside a worker process ---------------------------------------------------

_reporter: Reporter | None = None


def _start_worker(options: ReportOptions) -> None:
    global _reporter
    _reporter = Reporter(options)
    # pool workers leave through os._exit, which skips atexit; Finalize still runs
    multiprocessing.util.Finalize(_reporter, _reporter.close, exitpriority=10)


def _report_one(document: Path, out_dir: Path) -> Outcome:
    try:
        files = _reporter.run(document, out_dir)
        written = [files.notebook, files.scores, files.html, files.excel] + ([files.pdf] if files.pdf else [])
        return Outcome(document, True, notes=files.notes, files=written)
    except QkitError as exc:
        reason = exc.render(_reporter.lang)
    except Exception as exc:  # noqa: BLE001 - one applicant's failure must not stop the others
        reason = f"{type(exc).__name__}: {exc}"
    notebook = report_paths(document, out_dir)["notebook"]
    return Outcome(document, False, reason, notebook if notebook.is_file() else None)


# --- the parent ------------------------------------------------------------------


def run_batch(folder: Path, out_dir: Path, options: ReportOptions = ReportOptions(), jobs: int = 2,
              resume: bool = False, progress=None) -> BatchResult:
    """Report on every document in ``folder`` into ``out_dir`` as ``options`` say, then write the cohort summary.

    ``progress`` is a ``rich.progress.Progress`` to advance, or None.
    """
    docs = find_documents(folder)
    if not Path(options.template).is_file():
        raise QkitError(Problem(str(options.template), "file_missing"))
    out_dir = writable_folder(out_dir.resolve())  # before any work: a read-only folder fails now, not at the end
    lang, rubric_dirs = options.lang, list(options.rubric_dirs)
    manifest = Manifest(out_dir, options)
    skipped = [d for d in docs if resume and manifest.is_current(d)]
    todo = [d for d in docs if d not in skipped]
    manifest.forget(todo)
    task = progress.add_task(tr("batch_progress", lang), total=len(todo)) if progress else None
    done, failed = [], []
    if todo:
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo))),
                                 mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker, initargs=(options,)) as pool:
            futures = {pool.submit(_report_one, d.resolve(), out_dir): d for d in todo}
            for future in as_completed(futures):
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    outcome = Outcome(futures[future], False, tr("worker_died", lang))
                outcome.document = futures[future]
                (done if outcome.ok else failed).append(outcome)
                if outcome.ok:
                    manifest.complete(outcome.document, outcome.files)
                if progress:
                    progress.advance(task)
    ok = skipped + [o.document for o in done]
    for name in (SUMMARY_XLSX, SUMMARY_CSV, COHORT_PNG):
        remove(out_dir / name)  # a summary of an earlier run must not pass for this one
    summary = write_summary([d for d in docs if d in ok], out_dir, lang, rubric_dirs) if ok else []
    done.sort(key=lambda o: docs.index(o.document))
    failed.sort(key=lambda o: docs.index(o.document))
    return BatchResult(done, failed, skipped, summary)


def write_summary(documents: list[Path], out_dir: Path, lang: str = "zh",
                  rubric_dirs: list[Path] | None = None) -> list[Path]:
    """summary.xlsx (the cohort, then per standard the ranking and the clauses, and the assessors' spreads),
    summary.csv (the cohort) and the cohort chart.

    Documents of the same standard and applicant are one applicant scored by several assessors.
    """
    cards = [sections.load_scorecard(d, rubric_dirs) for d in documents]
    frame = tables.summary_frame(cards, [d.name for d in documents], lang)
    sheets, highlight = {tr("sheet_summary", lang): frame}, {}
    standards = cohort.gather(cards, [d.name for d in documents])
    for entries in standards.values():
        stats = cohort.clause_stats(entries)
        standard = entries[0].rubric.short_title(lang)  # a name people know, not the standard's id
        sheets[f"{tr('sheet_rank', lang)}-{standard}"[:31]] = tables.rank_frame(entries, lang)
        clauses = f"{tr('sheet_clauses', lang)}-{standard}"[:31]
        sheets[clauses] = tables.cohort_clause_frame(stats, lang)
        highlight[clauses] = [n for n, s in enumerate(stats) if s.weakest]
    spreads = tables.spread_frame([e for group in standards.values() for e in group], lang)
    if len(spreads):
        sheets[tr("sheet_spread", lang)] = spreads
    xlsx = excel.write_sheets(out_dir / SUMMARY_XLSX, sheets, highlight)
    csv, png = out_dir / SUMMARY_CSV, out_dir / COHORT_PNG
    with replacing(csv, ".csv") as partial:
        excel.csv_safe(frame).to_csv(partial, index=False, encoding="utf-8-sig")  # the BOM: Excel reads Chinese
    with replacing(png, ".png") as partial:
        charts.cohort_chart(cards, lang).savefig(partial, dpi=150, format="png")
    return [xlsx, csv, png]
