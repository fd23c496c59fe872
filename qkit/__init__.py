"""qkit: self-assessment against the Hubei Changjiang and Wuhan Mayor quality awards.

The data flows rubric → assessment document → scoring; the notebooks, reports
and widgets are views over these functions.
"""

from importlib.metadata import PackageNotFoundError, version

from .document import Assessment, ClauseRating, KPI, check, from_data, load
from .errors import Problem, QkitError
from .rubric import RubricIndex, available_rubrics, load_rubric
from .scoring import Scorecard, score, suggest

__all__ = [
    "Assessment", "ClauseRating", "KPI", "Problem", "QkitError", "RubricIndex", "Scorecard",
    "available_rubrics", "check", "from_data", "load", "load_rubric", "score", "suggest",
]

try:
    __version__ = version("qkit")  # written once, in pyproject.toml
except PackageNotFoundError:  # imported from a source folder that was never installed
    __version__ = "0+unknown"
