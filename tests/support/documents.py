"""The shipped samples and standards, documents and notebooks written for a test, the qkit command in-process."""

from __future__ import annotations

import contextlib
import io
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = ROOT / "rubrics"
SAMPLES = ROOT / "parameterized" / "applicants"
RUBRIC_IDS = [
    "hubei-manufacturing", "hubei-service", "hubei-education", "hubei-medical",
    "wuhan-manufacturing", "wuhan-service", "wuhan-individual",
]
HOSTILE = "<script>alert('qkit')</script>"
FORMULA = '=HYPERLINK("https://example.com","点此")'
HUAKE = SAMPLES / "hubei-manufacturing-huake.yaml"  # the fullest sample: markup, evidence, a plan


def run_qkit(*args) -> tuple[int, str, str]:
    """The qkit command in-process with its own capture, for module-wide fixtures (capsys is per test)."""
    from qkit.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([str(a) for a in args])
    return code, stdout.getvalue(), stderr.getvalue()


def sample_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.yaml"))


def sample_path(rubric_id: str) -> Path:
    """The sample applicant of one standard (there is one per standard)."""
    (path,) = [p for p in sample_paths() if p.stem.startswith(f"{rubric_id}-")]
    return path


def card_of(path: Path):
    """An assessment document read, checked and scored against its own rubric."""
    from qkit import load, load_rubric, score

    doc = load(path)
    return score(doc, load_rubric(doc.rubric))


@cache
def sample_cards() -> dict:
    """The scorecard of every sample applicant, by file stem (read once; do not change them)."""
    return {p.stem: card_of(p) for p in sample_paths()}


def full_document(rubric, score: int = 100) -> dict:
    """Raw document data with every clause scored at `score`."""
    return {
        "format_version": 1,
        "rubric": rubric.id,
        "applicant": {"name": "测试单位"},
        "clauses": {c.id: {"score": score} for c in rubric.clauses},
    }


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def markup_data() -> dict:
    """A sample with markup where users type: name, strength, OFI, evidence, KPI name; and a formula OFI."""
    data = yaml.safe_load(HUAKE.read_text(encoding="utf-8"))
    data["applicant"]["name"] = "华科 <b>精密</b> & Co"
    data["clauses"]["5.2.2"]["strengths"][0] = f"强项 {HOSTILE}"
    data["clauses"]["5.2.2"]["ofis"].append('<img src=x onerror="alert(1)">')
    data["clauses"]["5.2.2"]["evidence"].append("<iframe src='https://example.com'></iframe>")
    data["clauses"]["5.2.3"]["ofis"].append(FORMULA)
    data["results"][0]["name"] = "营业收入 <script>x()</script>"
    data["profile"].pop("narrative", None)  # it cites the KPI by its old name
    return data


def markup_document(path: Path) -> Path:
    """``markup_data`` written to ``path``."""
    return write_yaml(path, markup_data())


def write_notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    """A notebook of code cells for the python3 kernel; ``parameters`` is a first cell tagged for papermill."""
    import nbformat

    cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})] if parameters is not None else []
    nb = nbformat.v4.new_notebook(cells=cells + [nbformat.v4.new_code_cell(source) for source in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path
