"""Batch reports: the loop a user would write against ``qkit batch``, same machine, same run.

The baseline runs, for each applicant, the papermill command and then
``jupyter nbconvert --to html --no-input``: a new Python, kernel, import of
qkit/pandas/matplotlib inside the kernel and exporter every time. ``qkit
batch`` keeps one warm kernel and one exporter per worker process. Both make
one HTML report per applicant from the same template; qkit also writes the
Excel workbook, the scores JSON and the cohort summary, and no PDF, as the
baseline makes none. Then ``qkit batch`` runs again with PDFs, each worker
printing with one Chromium kept open, to show what the PDFs add (target: at
most 10 %).

Then it times the stages of one warm worker in-process, to show where the
time goes: the kernel start and the imports inside it (paid once per worker),
the notebook itself, the HTML export and the Excel workbook.

    .venv/bin/python benchmarks/batch.py [--applicants 20] [--jobs 2] [--no-pdf]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SAMPLES = sorted((ROOT / "parameterized" / "applicants").glob("*.yaml"))
TEMPLATE = ROOT / "parameterized" / "report.ipynb"


def prepare(folder: Path, n: int) -> list[Path]:
    """n applicants: the samples over and over, each under a name of its own."""
    folder.mkdir()
    docs = []
    for i in range(n):
        sample = SAMPLES[i % len(SAMPLES)]
        docs.append(folder / f"applicant-{i + 1:02d}-{sample.stem}.yaml")
        shutil.copy(sample, docs[-1])
    return docs


def run(cmd: list, cwd: Path) -> None:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{proc.stderr[-2000:]}")


def naive(docs: list[Path], out: Path) -> tuple[float, float]:
    """The per-applicant loop; returns the seconds spent in papermill and in nbconvert."""
    out.mkdir()
    papermill = nbconvert = 0.0
    for doc in docs:
        notebook = out / f"{doc.stem}.ipynb"
        start = time.perf_counter()
        run([BIN / "papermill", TEMPLATE, notebook, "-p", "assessment", doc], out)
        middle = time.perf_counter()
        run([BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", notebook], out)
        papermill += middle - start
        nbconvert += time.perf_counter() - middle
    return papermill, nbconvert


def stages(docs: list[Path], out: Path, pdf: bool) -> list[tuple[str, float]]:
    """One worker's stages, timed in-process: the first applicant (cold kernel), then warm ones."""
    from qkit.options import ReportOptions
    from qkit.report import Reporter

    with Reporter(ReportOptions(pdf=pdf)) as reporter:
        runs = [reporter.run(doc, out) for doc in docs]
    warm = runs[1:]
    times = [("kernel start + imports + first notebook", runs[0].seconds["notebook"]),
             ("notebook in the warm kernel, each", sum(r.seconds["notebook"] for r in warm) / len(warm)),
             ("  of which cells that draw charts", sum(chart_cells(r.notebook) for r in warm) / len(warm)),
             ("HTML export, each", sum(r.seconds["html"] for r in runs) / len(runs)),
             ("Excel workbook, each", sum(r.seconds["excel"] for r in runs) / len(runs))]
    if pdf:
        times += [("PDF, first (starts Chromium)", runs[0].seconds["pdf"]),
                  ("PDF in the open Chromium, each", sum(r.seconds["pdf"] for r in warm) / len(warm))]
    return times


def chart_cells(notebook: Path) -> float:
    """Seconds the kernel spent in the cells that show a chart, a PNG or an inline SVG (from the cells'
    execution times)."""
    import nbformat

    def chart(output) -> bool:
        data = output.get("data", {})
        return "image/png" in data or "<svg" in "".join(data.get("text/html", ""))

    seconds = 0.0
    for cell in nbformat.read(notebook, as_version=4).cells:
        timing = cell.metadata.get("execution", {})
        if any(chart(o) for o in cell.get("outputs", [])) and timing:
            start, end = (datetime.fromisoformat(timing[k]) for k in ("iopub.execute_input", "shell.execute_reply"))
            seconds += (end - start).total_seconds()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-pdf", action="store_true", help="leave out the run with PDFs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qkit-bench-") as tmp:
        tmp = Path(tmp)
        docs = prepare(tmp / "applicants", args.applicants)
        print(f"{len(docs)} applicants (copies of the {len(SAMPLES)} samples), {args.jobs} jobs for qkit batch")

        start = time.perf_counter()
        papermill, nbconvert = naive(docs, tmp / "naive")
        baseline = time.perf_counter() - start
        print(f"papermill + nbconvert loop: {baseline:7.1f} s  (papermill {papermill:.1f} s, nbconvert {nbconvert:.1f} s,"
              f" {baseline / len(docs):.2f} s per applicant)")

        cmd = [BIN / "qkit", "batch", tmp / "applicants", "-o", tmp / "qkit", "--jobs", args.jobs]
        start = time.perf_counter()
        run(cmd + ["--no-pdf"], tmp)
        batch = time.perf_counter() - start
        reports = len(list((tmp / "qkit").glob("*.html")))
        assert reports == len(docs), f"qkit batch made {reports} reports"
        print(f"qkit batch --jobs {args.jobs}:       {batch:7.1f} s  ({batch / len(docs):.2f} s per applicant)")
        print(f"ratio: qkit batch is {baseline / batch:.1f}x faster (target: 6x or more)")
        if not args.no_pdf:
            cmd[4] = tmp / "qkit-pdf"
            start = time.perf_counter()
            run(cmd, tmp)
            with_pdf = time.perf_counter() - start
            pdfs = len(list((tmp / "qkit-pdf").glob("*.pdf")))
            assert pdfs == len(docs), f"qkit batch made {pdfs} PDFs"
            print(f"qkit batch --jobs {args.jobs} with PDFs: {with_pdf:5.1f} s  ({with_pdf / len(docs):.2f} s per applicant)")
            print(f"PDFs add {100 * (with_pdf / batch - 1):.0f} % (target: at most 10 %)")

        print("\nwhere one worker's time goes (in-process, 4 applicants):")
        for name, seconds in stages(docs[:4], tmp / "stages", not args.no_pdf):
            print(f"  {name:42s} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
