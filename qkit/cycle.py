"""The next assessment cycle: last year's document carried over, its scores to be given again.

Applicants are assessed year after year. A new cycle starts from the latest
document: the profile, narratives, strengths, OFIs, evidence, notes and KPI
data are carried over; every score and factor rating is cleared, the old
score kept as ``previous_score`` so the form shows it beside the clause, and
a clause stays 待复核 (to review) until it is scored again. The improvement
plan's open actions (未开始, 进行中) are carried over as they are; done and
cancelled ones stay with the cycle they were done in (``qkit.plan.carried``).
"""

from __future__ import annotations

import copy
from typing import Any

from .plan import carried

CLEARED = ("score", "factors", "proposed", "independent", "previous_score")


def next_cycle(data: dict[str, Any], label: str) -> dict[str, Any]:
    """A copy of the document ``data`` as the start of the cycle named ``label`` (e.g. "2027")."""
    out = copy.deepcopy(data)
    clauses = out.get("clauses") if isinstance(out.get("clauses"), dict) else {}
    for rating in clauses.values():
        if not isinstance(rating, dict):
            continue
        score = rating.get("score")
        for key in CLEARED:
            rating.pop(key, None)
        if score is not None:
            rating["previous_score"] = score
    if isinstance(out.get("improvements"), list):
        out["improvements"] = carried(out["improvements"])
        if not out["improvements"]:
            del out["improvements"]
    assessment = out.get("assessment") if isinstance(out.get("assessment"), dict) else {}
    out["assessment"] = {**{k: v for k, v in assessment.items() if k not in ("date", "stage")}, "cycle": label}
    return out
