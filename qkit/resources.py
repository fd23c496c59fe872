"""Where qkit finds the files it ships: rubrics, templates, the report notebook, the workbooks.

They live inside the package and are found with ``importlib.resources``, so
qkit runs the same from a source checkout, an editable install or a wheel,
from any working folder.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped(*parts: str) -> Path:
    """A file or folder shipped inside the qkit package (installed unpacked, so a real path)."""
    return Path(str(files("qkit").joinpath(*parts)))


RUBRICS = shipped("rubrics")
TEMPLATES = shipped("templates")
REPORT_TEMPLATE = TEMPLATES / "report.ipynb"
WORKBOOKS = shipped("workbooks")
LIMITS = shipped("limits.yaml")
FEEDBACK_RULES = shipped("rules", "feedback.yaml")
