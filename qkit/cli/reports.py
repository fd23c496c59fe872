"""Feedback reports: one applicant's (qkit report), or every applicant's in a folder with the cohort summary."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console

from ..i18n import tr
from ..narrative import load_limits
from ..options import DEFAULT_TIMEOUT, ReportOptions
from ..rubric_files import RubricIndex
from .console import Parents, console


def register(sub, parents: Parents) -> None:
    common = parents.common
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("-o", "--output", required=True, type=Path, metavar="DIR", help="folder for the reports")
    options.add_argument("--no-pdf", dest="pdf", action="store_false", help="skip the PDF (made with Chromium)")
    options.add_argument("--template", type=Path, help="report notebook to run (default parameterized/report.ipynb)")
    options.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                         help=f"longest a template cell may run (default {DEFAULT_TIMEOUT:g})")
    options.add_argument("--audience", choices=("applicant", "internal"),
                         help="whom the report is for: applicant (申报单位版: no assessor names, independent scores, "
                              "calibration, notes or flags) or internal (内部版: everything); default: applicant for "
                              "a consensus document, internal otherwise")
    options.add_argument("--bands-only", action="store_true",
                         help="release every score as its band (50%%–65%%): clauses, items and total, no exact "
                              "score or points in the HTML, PDF, Excel, Word and JSON")
    options.add_argument("--today", default="", metavar="YYYY-MM-DD",
                         help="read the improvement plan on this day for what is overdue (default: the day the "
                              "report is made)")
    rep = sub.add_parser("report", parents=[common, options],
                         help="feedback report for one applicant: HTML, PDF, Excel, JSON and the executed notebook")
    rep.add_argument("file", type=Path)
    rep.add_argument("--docx", nargs="?", const="both", choices=("both", "narrative", "feedback"), metavar="WHICH",
                     help="also write Word files: NAME.自评报告.docx (the self-assessment report) and NAME.反馈报告.docx "
                          "(the feedback report); --docx narrative or --docx feedback writes one of them")
    rep.add_argument("--limits", type=Path, metavar="FILE",
                     help="word limits of the 自评报告 for the reports' writing section (default: the shipped ones)")
    rep.add_argument("-p", "--previous", type=Path, metavar="FILE",
                     help="an earlier assessment of the same standard: adds the 与上期比较 section")
    bat = sub.add_parser("batch", parents=[common, options],
                         help="reports for every applicant in a folder, in parallel, and the cohort summary")
    bat.add_argument("folder", type=Path)
    bat.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4), metavar="N",
                     help="worker processes, each with its own kernel (default: the number of CPUs, at most 4)")
    bat.add_argument("--resume", action="store_true",
                     help="skip applicants an earlier run reported completely (noted in OUT/.qkit-batch.json) from the "
                          "same document (its SHA-256 and modification time), options and template, with every "
                          "file still there")
    rep.set_defaults(handler=report)
    bat.set_defaults(handler=batch)


def report_options(args, lang: str) -> ReportOptions:
    """The command line's report options as one value (``qkit.options.ReportOptions``)."""
    from ..plan import day_of

    if args.today:
        day_of(args.today, "--today")  # a day that is no date is named before any report runs
    defaults = ReportOptions()
    return ReportOptions(lang, tuple(getattr(args, "rubrics", None) or ()), args.template or defaults.template,
                         args.timeout, args.pdf, getattr(args, "limits", None), args.audience, args.bands_only,
                         args.today)


def report(args, index: RubricIndex, lang: str, out: Console) -> int:
    from ..docx_report import write_docx
    from ..report import make_report

    limits = load_limits(args.limits)  # a wrong limits file is named before the report runs
    options = report_options(args, lang)
    files = make_report(args.file, args.output, options, previous=args.previous)
    docx = write_docx(files.card, args.file, args.output, args.docx, lang, limits, files.edition,
                      options.today) if args.docx else []
    out.print(tr("report_written", lang), markup=False)
    for path in (files.html, files.pdf, files.excel, *docx, files.scores, files.notebook):
        if path is not None:
            out.print(f"  {path}", markup=False, highlight=False)
    for note in files.notes:
        out.print(note, markup=False, style="yellow")
    return 0


def batch(args, index: RubricIndex, lang: str, out: Console) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..batch import run_batch

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=False) as progress:
        result = run_batch(args.folder, args.output, report_options(args, lang), max(1, args.jobs), args.resume,
                           progress=progress)
    out.print(tr("batch_done", lang, ok=len(result.done), failed=len(result.failed), skipped=len(result.skipped)),
              markup=False)
    notes = sorted({note for outcome in result.done for note in outcome.notes})
    for note in notes:
        out.print(note, markup=False, style="yellow")
    if result.summary:
        out.print(f"{tr('summary_written', lang)} " + "  ".join(str(p) for p in result.summary),
                  markup=False, highlight=False)
    if result.failed:
        err = console(stderr=True)
        err.print(tr("batch_failures", lang), markup=False, style="bold red")
        for outcome in result.failed:
            err.print(f"- {outcome.document.name}", markup=False, style="bold")
            for line in outcome.reason.splitlines():
                err.print(f"    {line}", markup=False, highlight=False)
            if outcome.notebook:
                err.print(f"    {tr('notebook_kept', lang, file=outcome.notebook)}", markup=False, highlight=False)
        return 1
    return 0
