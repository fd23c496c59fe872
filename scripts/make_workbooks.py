"""Write the served workbooks: qkit/workbooks/<rubric id>.ipynb for each built-in standard.

Each workbook is one code cell calling qkit, so every standard gets the same
form from the same widgets (the landing page is qkit serve's own, with no
kernel). Run it after adding a rubric; ``--check`` only reports whether the
files are up to date (the tests use it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qkit import load_rubric  # noqa: E402
from qkit.resources import RUBRICS, WORKBOOKS  # noqa: E402

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}


def notebook(source: str, title: str) -> str:
    """One code cell; ``title`` is the browser tab's (Voila's page takes the notebook's title, else its file name)."""
    nb = nbformat.v4.new_notebook(metadata={**KERNEL, "title": title})
    nb.cells = [nbformat.v4.new_code_cell(source)]
    for cell in nb.cells:
        cell.pop("id", None)
    nb.nbformat_minor = 4  # no cell ids: the files stay identical whenever they are regenerated
    return nbformat.writes(nb) + "\n"


def title(rubric_id: str) -> str:
    """The page's title in both languages (one notebook serves both): the award and category, and what it is."""
    rubric = load_rubric(rubric_id)
    return f"{rubric.title('zh')} · 自评表 | {rubric.title('en')} · Self-assessment"


def expected() -> dict[Path, str]:
    ids = sorted(p.stem for p in RUBRICS.glob("*.yaml"))
    return {WORKBOOKS / f"{rid}.ipynb": notebook(f'from qkit.web.form import workbook\n\nworkbook("{rid}")', title(rid))
            for rid in ids}


def main(argv: list[str]) -> int:
    files = expected()
    if "--check" in argv:
        stale = [p.name for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for name in stale:
            print(f"out of date: qkit/workbooks/{name} (run scripts/make_workbooks.py)")
        return 1 if stale else 0
    WORKBOOKS.mkdir(exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
