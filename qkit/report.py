"""One applicant's feedback report: run the report notebook, keep it, export it.

The report is the notebook ``parameterized/report.ipynb`` executed for one
assessment document (plain ``papermill`` runs it too). ``Reporter`` adds what
a team hands over: the executed notebook, the scores as JSON, a
self-contained HTML file (no code, images embedded, nothing loaded from the
network, print rules), a PDF printed by headless Chromium when it is
installed, and an Excel workbook.

Most of a plain notebook run is start-up: a new Python, a new kernel, the
imports inside it, a new exporter, a new browser for the PDF. A ``Reporter``
pays that once: it keeps one kernel warm (its namespace reset between
applicants), one HTML exporter and one headless Chromium (``qkit.pdf``), and
reuses them for every document it is given.

A report has an edition (``tables.Edition``): the applicant's leaves out
what an award office keeps to itself (assessors, independent scores,
calibration, notes, flags), the internal one shows everything, and either
can release scores as bands only. The HTML, PDF, Excel and JSON of one
report are all of its edition.
"""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import compare, excel, sections
from .errors import Problem, QkitError
from .files import remove, replacing, writable_folder, write_atomic
from .i18n import tr
from .options import ReportOptions
from .pdf import BrowserError, Printer
from .resources import REPORT_TEMPLATE, TEMPLATES
from .rounds import STAGES
from .rubric_files import RubricIndex
from .scoring import Scorecard
from .tables import FULL, Edition, edition_for

TEMPLATE = REPORT_TEMPLATE
EXPORT_TEMPLATES = TEMPLATES / "nbconvert"
KERNEL = "python3"
SOCKET_PREFIX_MAX = 107 - len("-65535")  # a Unix socket's path is at most 107 bytes; the kernel adds "-port"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
EDITION_PARAMETERS = ("audience", "bands_only")  # a template without them shows everything, exact
@dataclass
class ReportFiles:
    """Where one applicant's report went; ``notes`` say what was left out and why.

    ``seconds`` times each stage (notebook, html, excel, pdf) for benchmarks.
    """

    notebook: Path
    scores: Path
    html: Path
    excel: Path
    pdf: Path | None
    card: Scorecard
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    edition: Edition = FULL  # for whom the files were made; a Word feedback report beside them takes the same


@contextmanager
def _timed(seconds: dict[str, float], stage: str):
    start = time.perf_counter()
    yield
    seconds[stage] = time.perf_counter() - start


def report_paths(assessment: Path, out_dir: Path) -> dict[str, Path]:
    """The files a report writes, named after the assessment document."""
    stem = Path(assessment).stem
    return {
        "notebook": out_dir / f"{stem}.ipynb",
        "scores": out_dir / sections.scores_name(assessment),
        "html": out_dir / f"{stem}.html",
        "excel": out_dir / f"{stem}.xlsx",
        "pdf": out_dir / f"{stem}.pdf",
    }


def find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


class Reporter:
    """Makes reports one after another with one warm kernel and one exporter.

    Use as a context manager (or call ``close``) so the kernel is shut down.
    A kernel that died or timed out is replaced for the next document.
    """

    def __init__(self, options: ReportOptions = ReportOptions()):
        self.options = options
        template, self.lang = options.template, options.lang
        self.audience, self.bands_only = options.audience, options.bands_only
        self.today = options.today  # the day the plan is read on; "" is the day the report is made
        self.limits = str(Path(options.limits).resolve()) if options.limits else ""  # the 自评报告's word limits
        self.rubric_dirs = [str(Path(d).resolve()) for d in options.rubric_dirs]
        if not Path(template).is_file():
            raise QkitError(Problem(str(template), "file_missing"))
        from papermill.iorw import load_notebook_node

        self.template = load_notebook_node(str(template))
        self.template_path = str(template)
        # the kernel works in the template's folder, as in Jupyter: a folder named qkit where the command
        # was run (a checkout, an output folder) would otherwise hide the installed package from it
        self.template_dir = str(Path(template).resolve().parent)
        self.timeout = options.timeout
        self.chromium = find_chromium() if options.pdf else None
        self.want_pdf = options.pdf
        self._printer: Printer | None = None  # started with the first PDF, kept for the others
        self._km = self._kc = self._sockets = None
        self._exporter = None

    def __enter__(self) -> "Reporter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the kernel ------------------------------------------------------------

    def _client(self, nb):
        from nbclient import NotebookClient

        if self._km is None:
            from jupyter_client.manager import AsyncKernelManager

            # local sockets: nothing listens on the network, and the kernel has no TCP warning to print
            self._sockets = tempfile.TemporaryDirectory(prefix="qkit-kernel-")
            prefix = f"{self._sockets.name}/kernel"
            if len(prefix.encode()) <= SOCKET_PREFIX_MAX:
                self._km = AsyncKernelManager(kernel_name=KERNEL, transport="ipc", ip=prefix)
            else:  # a temporary folder too deep for a socket's path: the loopback address, as Jupyter's default
                self._km = AsyncKernelManager(kernel_name=KERNEL, transport="tcp", ip="127.0.0.1")
        client = NotebookClient(nb, km=self._km, kernel_name=KERNEL, timeout=self.timeout, startup_timeout=120,
                                resources={"metadata": {"path": self.template_dir}})
        client.kc = self._kc
        return client

    def _execute(self, nb) -> None:
        """Run the notebook in the warm kernel (its namespace emptied), starting one when there is none."""
        from jupyter_core.utils import run_sync

        if self._kc is not None and not run_sync(self._km.is_alive)():
            self.close()  # died between documents: not the next document's fault
        if self._kc is not None:
            self._client(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%reset -f")])).execute()
        client = self._client(nb)
        try:
            client.execute()
        finally:
            self._kc = client.kc

    def close(self) -> None:
        """Shut the kernel down (a no-op when none runs)."""
        from jupyter_core.utils import run_sync

        km, kc, sockets, self._km, self._kc, self._sockets = self._km, self._kc, self._sockets, None, None, None
        if kc is not None:
            kc.stop_channels()
        if km is not None and km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
        if sockets is not None:
            sockets.cleanup()
        if self._printer is not None:
            self._printer.close()

    # --- one report --------------------------------------------------------------

    def parameterize(self, assessment: Path, scores: Path, previous: Path | None = None,
                     edition: Edition = FULL):
        from papermill.parameterize import parameterize_notebook

        parameters = {"assessment": str(assessment), "lang": self.lang, "rubrics": self.rubric_dirs,
                      "scores_json": str(scores), "previous": str(previous) if previous else "",
                      "limits": self.limits, "audience": edition.audience, "bands_only": edition.bands_only,
                      "today": self.today}
        return parameterize_notebook(copy.deepcopy(self.template), parameters, kernel_name=KERNEL)

    def _takes_edition(self) -> bool:
        """Whether the template's parameters cell declares the edition's parameters (an older copy does not,
        and would show the internal data, exact, whatever it is told)."""
        declared = "\n".join(c.source for c in self.template.cells if "parameters" in c.metadata.get("tags", []))
        return all(re.search(rf"^\s*{name}\s*=", declared, re.MULTILINE) for name in EDITION_PARAMETERS)

    def _check_edition(self, card: Scorecard, assessment: Path) -> tuple[Edition | None, list[Problem]]:
        """The edition of this document's report, or why it cannot be made: an unknown audience, a template
        that cannot leave anything out, one assessor's independent scores for the applicant."""
        try:
            edition = edition_for(card, self.audience, self.bands_only)
        except QkitError as exc:
            return None, exc.problems
        problems = []
        if edition != FULL and not self._takes_edition():
            problems.append(Problem(self.template_path, "template_no_edition"))
        stage = card.assessment.assessment.get("stage")
        if not edition.internal and stage == STAGES["independent"]:
            problems.append(Problem(str(assessment), "independent_to_applicant", params={"stage": stage}))
        return edition, problems

    def _check_previous(self, card: Scorecard | None, previous: Path) -> list[Problem]:
        """The previous document's problems (naming its file), or its different rubric; none when it compares."""
        try:
            if card is None:
                compare.load_card(previous, RubricIndex.scan([Path(d) for d in self.rubric_dirs]))
            else:
                sections.load_comparison(card, previous, self.rubric_dirs)
        except QkitError as exc:
            return exc.problems
        return []

    def run(self, assessment: str | Path, out_dir: str | Path, previous: str | Path | None = None) -> ReportFiles:
        """Make one applicant's report in ``out_dir``; QkitError says why it failed.

        ``previous``, an earlier assessment of the same standard, adds the
        与上期比较 section; it is checked like the document itself. Both are
        checked before a kernel starts, so a typo is named at once. A failed
        run's notebook is kept (its outputs show where it stopped);
        the other files of an earlier report for this document are removed, so
        nothing stale looks current.
        """
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        assessment, out_dir = Path(assessment).resolve(), Path(out_dir).resolve()
        paths = report_paths(assessment, out_dir)
        if assessment.is_dir():
            raise QkitError(Problem(str(assessment), "is_folder"))
        if not assessment.is_file():
            raise QkitError(Problem(str(assessment), "file_missing"))
        writable_folder(out_dir)
        for path in paths.values():
            remove(path)
        try:
            card, problems = sections.load_scorecard(assessment, self.rubric_dirs), []
        except QkitError as exc:
            card, problems = None, exc.problems
        edition = FULL
        if card is not None:
            edition, refused = self._check_edition(card, assessment)
            problems += refused
        if previous:
            previous = Path(previous).resolve()
            problems += self._check_previous(card, previous)
        if problems:  # named before a kernel starts: a typo is reported at once, not after seconds
            raise QkitError(problems)
        nb = self.parameterize(assessment, paths["scores"], previous or None, edition)
        failure, seconds = None, {}
        try:
            with _timed(seconds, "notebook"):
                self._execute(nb)
        except CellTimeoutError:
            self.close()
            failure = Problem(str(assessment), "run_timeout", params={"seconds": f"{self.timeout:g}"})
        except DeadKernelError:
            self.close()
            failure = Problem(str(assessment), "kernel_died")
        except CellExecutionError as exc:
            failure = Problem(str(assessment), "template_failed", params={"detail": f"{exc.ename}: {exc.evalue}"})
        except RuntimeError as exc:  # the kernel did not start
            self.close()
            failure = Problem(str(assessment), "kernel_failed", params={"detail": str(exc)})
        with replacing(paths["notebook"], ".ipynb") as partial:
            nbformat.write(nb, partial)
        if failure:
            raise QkitError(failure)
        files = ReportFiles(paths["notebook"], paths["scores"], paths["html"], paths["excel"], None, card,
                            seconds=seconds, edition=edition)
        nb.metadata["title"] = f"{edition.title(self.lang)} · {card.assessment.name}"
        with _timed(seconds, "html"):
            write_atomic(paths["html"], self.export_html(nb))
        with _timed(seconds, "excel"):
            excel.write_workbook(card, paths["excel"], self.lang, edition=edition, today=self.today or None)
        if not self.want_pdf:
            return files
        if self.chromium is None:
            files.notes.append(tr("no_chromium", self.lang))
            return files
        try:
            with _timed(seconds, "pdf"):
                self._printer = self._printer or Printer(self.chromium)
                self._printer.print_pdf(paths["html"], paths["pdf"])
            files.pdf = paths["pdf"]
        except BrowserError as exc:
            self._printer.close()  # the next document starts a new browser
            problem = Problem(str(paths["pdf"]), "pdf_failed", params={"detail": str(exc)})
            files.notes.append(QkitError(problem).render(self.lang))
        except QkitError as exc:  # printed, but the file could not be written
            files.notes.append(exc.render(self.lang))
        return files

    def export_html(self, nb) -> str:
        """The executed notebook as the report's HTML: outputs only, in the report layout."""
        if self._exporter is None:
            from nbconvert import HTMLExporter

            # the template itself leaves out code, prompts and the cells tagged remove-cell (its conf.json), as
            # it does for jupyter nbconvert --to html --template qkit-report
            self._exporter = HTMLExporter(template_name="qkit-report",
                                          extra_template_basedirs=[str(EXPORT_TEMPLATES)], language_code=self.lang)
        body, _ = self._exporter.from_notebook_node(nb)
        return body


def make_report(assessment: str | Path, out_dir: str | Path, options: ReportOptions = ReportOptions(),
                previous: str | Path | None = None) -> ReportFiles:
    """One report with a kernel of its own (``qkit report``); ``previous`` adds the comparison with it."""
    with Reporter(options) as reporter:
        return reporter.run(assessment, out_dir, previous)
