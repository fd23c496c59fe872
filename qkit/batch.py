"""Reports for every applicant in a folder, and the cohort summary.

Applicants are shared out to worker processes; each worker keeps one warm
``Reporter`` (kernel and exporter) for all the applicants it gets, which is
where the time goes in a naive loop. One applicant's failure (an invalid
document, a dead kernel, a timeout) is recorded with its reason and the
others go on; its notebook is kept for a look at where it stopped.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from . import charts, excel, sections, tables
from .errors import Problem, QkitError
from .i18n import tr
from .report import TEMPLATE, Reporter, report_paths

DOCUMENT_PATTERNS = ("*.yaml", "*.yml")
SUMMARY_XLSX, SUMMARY_CSV, COHORT_PNG = "summary.xlsx", "summary.csv", "cohort.png"
RESERVED_STEMS = ("summary", "cohort")  # their reports would overwrite the cohort summary


@dataclass
class Outcome:
    """What became of one applicant's report."""

    document: Path
    ok: bool
    reason: str = ""
    notebook: Path | None = None
    notes: list[str] = field(default_factory=list)


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


def is_current(document: Path, out_dir: Path) -> bool:
    """True when the document's HTML report is newer than the document."""
    html = report_paths(document, out_dir)["html"]
    return html.is_file() and html.stat().st_mtime > document.stat().st_mtime


# --- inside a worker process ---------------------------------------------------

_reporter: Reporter | None = None


def _start_worker(options: dict) -> None:
    global _reporter
    _reporter = Reporter(**options)
    # pool workers leave through os._exit, which skips atexit; Finalize still runs
    multiprocessing.util.Finalize(_reporter, _reporter.close, exitpriority=10)


def _report_one(document: Path, out_dir: Path) -> Outcome:
    try:
        files = _reporter.run(document, out_dir)
        return Outcome(document, True, notes=files.notes)
    except QkitError as exc:
        reason = exc.render(_reporter.lang)
    except Exception as exc:  # noqa: BLE001 - one applicant's failure must not stop the others
        reason = f"{type(exc).__name__}: {exc}"
    notebook = report_paths(document, out_dir)["notebook"]
    return Outcome(document, False, reason, notebook if notebook.is_file() else None)


# --- the parent ------------------------------------------------------------------


def run_batch(folder: Path, out_dir: Path, jobs: int = 2, resume: bool = False, lang: str = "zh",
              rubric_dirs: list[Path] | None = None, template: Path = TEMPLATE, timeout: float = 300,
              pdf: bool = True, progress=None) -> BatchResult:
    """Report on every document in ``folder`` into ``out_dir``, then write the cohort summary.

    ``progress`` is a ``rich.progress.Progress`` to advance, or None.
    """
    docs = find_documents(folder)
    if not template.is_file():
        raise QkitError(Problem(str(template), "file_missing"))
    out_dir = out_dir.resolve()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QkitError(Problem(str(out_dir), "cannot_write", params={"detail": exc.strerror})) from None
    skipped = [d for d in docs if resume and is_current(d, out_dir)]
    todo = [d for d in docs if d not in skipped]
    options = {"lang": lang, "rubric_dirs": rubric_dirs, "template": template, "timeout": timeout, "pdf": pdf}
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
                if progress:
                    progress.advance(task)
    ok = skipped + [o.document for o in done]
    for name in (SUMMARY_XLSX, SUMMARY_CSV, COHORT_PNG):
        (out_dir / name).unlink(missing_ok=True)  # a summary of an earlier run must not pass for this one
    summary = write_summary([d for d in docs if d in ok], out_dir, lang, rubric_dirs) if ok else []
    done.sort(key=lambda o: docs.index(o.document))
    failed.sort(key=lambda o: docs.index(o.document))
    return BatchResult(done, failed, skipped, summary)


def write_summary(documents: list[Path], out_dir: Path, lang: str = "zh",
                  rubric_dirs: list[Path] | None = None) -> list[Path]:
    """summary.xlsx and summary.csv (one row per applicant) and the cohort chart."""
    cards = [sections.load_scorecard(d, rubric_dirs) for d in documents]
    frame = tables.summary_frame(cards, [d.name for d in documents], lang)
    xlsx = excel.write_sheets(out_dir / SUMMARY_XLSX, {tr("sheet_summary", lang): frame})
    csv = out_dir / SUMMARY_CSV
    # the BOM makes Excel read the Chinese right
    excel.csv_safe(frame).to_csv(csv, index=False, encoding="utf-8-sig")
    png = out_dir / COHORT_PNG
    charts.cohort_chart(cards, lang).savefig(png, dpi=150)
    return [xlsx, csv, png]
