"""The package's layers: core below views below the edges, and nothing imports upwards.

core   errors, i18n, resources, files, rubric, document, scoring, analytics, compare, merge, markup, narrative,
       consensus, lint, cohort, cycle, template, rounds, paths, plan, evidence
views  palette, charts, trends, radar, tables, html, sections, excel, pdf, report, batch, docx_report, docx_pages,
       timeline, word, package, options
edges  qkit.web (store, session, widgets, serve, kpi_import), cli, __main__
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import qkit

PACKAGE = Path(qkit.__file__).parent
CORE = {"errors", "i18n", "resources", "files", "rubric", "document", "scoring", "analytics", "compare", "merge",
        "markup", "narrative", "consensus", "lint", "cohort", "cycle", "template", "rounds", "paths", "plan", "evidence",
        "rubric_files",
        "reading", "values"}
VIEWS = {"palette", "charts", "trends", "radar", "tables", "html", "sections", "excel", "pdf", "report", "batch", "docx_report",
         "docx_pages", "package",
         "timeline", "word", "improvement_tables",
         "options"}
EDGES = {"web", "cli", "__main__"}
LAYER = {**{m: 0 for m in CORE}, **{m: 1 for m in VIEWS}, **{m: 2 for m in EDGES}, "__init__": 2}  # the facade


def module_of(path: Path) -> str:
    """The top-level qkit module a file belongs to: qkit/web/store.py belongs to web."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def qkit_imports(text: str, depth: int = 0) -> set[str]:
    """The top-level qkit modules a file imports, wherever in the file (functions included).

    ``depth`` is how deep the file sits: 0 for qkit/x.py, 1 for qkit/web/x.py.
    """
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".")[0] == "qkit":
                parts = node.module.split(".")[1:]
            elif 0 < node.level <= depth:  # inside the same subpackage
                continue
            elif node.level > 0:
                parts = node.module.split(".") if node.module else []
            else:
                continue
            found |= {parts[0]} if parts else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("qkit.")}
    return found


def imports_of(path: Path) -> set[str]:
    return qkit_imports(path.read_text(encoding="utf-8"), len(path.relative_to(PACKAGE).parts) - 1)


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    assert {module_of(p) for p in source_files()} <= set(LAYER)


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    own = LAYER[module_of(path)]
    upward = sorted(m for m in imports_of(path) if m in LAYER and LAYER[m] > own)
    assert not upward, f"{path.relative_to(PACKAGE)} (layer {own}) imports {upward}"


def test_the_shared_html_environment_stands_on_the_core_only():
    """Both the report's sections and the web form render through qkit.html: it needs no other view."""
    assert imports_of(PACKAGE / "html.py") <= CORE


def test_the_check_sees_imports_inside_functions_and_from_subpackages():
    text = "from . import charts\nfrom .web.store import Store\n\ndef late():\n    from .cli import main\n"
    assert qkit_imports(text) == {"charts", "web", "cli"}
    assert qkit_imports("from .store import Store\nfrom ..tables import x\nimport qkit.report", depth=1) == {
        "tables", "report"}


def test_a_report_kernel_loads_neither_the_cli_nor_the_web_side():
    code = ("import sys; from qkit import charts, sections, batch, excel\n"
            "print(sorted(m for m in sys.modules if m.startswith(('qkit.cli', 'qkit.web', 'voila', 'ipywidgets'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


KIND_BRANCH = re.compile(r"isinstance\([^)]*(IndividualRubric|OrganizationRubric)|kind\s*==\s*[\"'](individual|organization)")


@pytest.mark.parametrize("path", [p for p in source_files() if p.name != "rubric.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_award_kinds_differ_through_the_rubric_classes_only(path):
    branches = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if KIND_BRANCH.search(line)]
    assert not branches, branches
