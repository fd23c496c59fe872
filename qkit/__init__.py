"""qkit: self-assessment against the Hubei Changjiang and Wuhan Mayor quality awards.

The data flows rubric → assessment document → scoring; the notebooks, reports
and widgets are views over these functions. This package's top re-exports the
small public API, and ``qkit.open`` reaches up to the notebook session.
"""

from importlib.metadata import PackageNotFoundError, version

from .document import Assessment, ClauseRating, KPI, check, from_data, load
from .errors import Problem, QkitError
from .rubric_files import RubricIndex, available_rubrics, load_rubric
from .scoring import Scorecard, score, suggest

__all__ = [
    "Assessment", "ClauseRating", "KPI", "Problem", "QkitError", "RubricIndex", "Scorecard",
    "available_rubrics", "check", "from_data", "load", "load_rubric", "open", "score", "suggest",
]


def open(path, rubrics=None, autosave_delay: float | None = 1.0):  # noqa: A001 - qkit.open(path), as documented
    """Open an assessment document file for editing in a notebook.

    Returns a ``qkit.web.notebook.FileSession``: the live problems and score
    of the web form, ``.form()`` to edit it in JupyterLab, ``.save()`` back to
    the file (atomically, the previous version kept in ``.qkit-history/``,
    comments and key order kept, edits made meanwhile on disk merged),
    ``.scorecard``, ``.report(out_dir)``, ``.compare(other)``, pandas frames and
    ``.next_cycle(new_path)`` to start next year's file (see docs/consultant.md).
    ``autosave_delay=None`` saves only when asked.
    """
    from .web.notebook import open_file

    return open_file(path, rubrics, autosave_delay)

try:
    __version__ = version("qkit")  # written once, in pyproject.toml
except PackageNotFoundError:  # imported from a source folder that was never installed
    __version__ = "0+unknown"
