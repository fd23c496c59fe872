"""qkit: self-assessment against the Hubei Changjiang and Wuhan Mayor quality awards.

The data flows rubric → assessment document → scoring; the notebooks, reports
and widgets are views over these functions.
"""

from .document import Assessment, ClauseRating, KPI, check, from_data, load
from .errors import Problem, QkitError
from .rubric import RubricIndex, available_rubrics, load_rubric
from .scoring import Scorecard, score, suggest

__all__ = [
    "Assessment", "ClauseRating", "KPI", "Problem", "QkitError", "RubricIndex", "Scorecard",
    "available_rubrics", "check", "from_data", "load", "load_rubric", "score", "suggest",
]
__version__ = "0.1.0"
