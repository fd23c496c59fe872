"""The application and the assessment rounds over it: two records, never one.

What the team writes and owns is the *application*: the profile, the
narratives, the KPIs, the evidence, and the team's own self-assessment
(scores, factor ratings, strengths, OFIs, notes, key themes). What assessors
judge is a *round* over it: in the independent round each assessor's own
layer, in the consensus round the one agreed assessment (a site visit can
be a round of its own later). A round holds only its judgement and never
changes the application.

``overlay`` lays a round over the application: the document an assessor
reads beside their own scoring, and the one a round's report and export are
made from (the application as written, its self-assessment replaced by the
round's). ``judgement`` takes the round's part back out of such a document.
"""

from __future__ import annotations

import copy
from typing import Any

ROUNDS = ("independent", "consensus", "site_visit")
STAGES = {"independent": "独立评审", "consensus": "共识", "site_visit": "现场评审"}  # assessment/stage of a round
JUDGED = ("score", "factors", "strengths", "ofis", "notes", "independent", "proposed")  # a round's clause fields
WRITTEN = ("narrative", "evidence", "evidence_files")  # the application's clause fields every round reads
ASSESSMENT = ("assessors", "stage")  # the round's own part of assessment/; the date and cycle are the application's


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def judgement(data: Any, round_name: str = "independent") -> dict[str, Any]:
    """The round's part of a document: its assessors and stage, each clause's judged fields, its key themes."""
    data = _mapping(data)
    clauses = {}
    for cid, rating in _mapping(data.get("clauses")).items():
        judged = {k: copy.deepcopy(v) for k, v in _mapping(rating).items() if k in JUDGED}
        if judged:
            clauses[cid] = judged
    assessment = {k: v for k, v in _mapping(data.get("assessment")).items() if k in ASSESSMENT}
    out: dict[str, Any] = {"assessment": {**assessment, "stage": STAGES[round_name]}, "clauses": clauses}
    if data.get("key_themes"):
        out["key_themes"] = copy.deepcopy(data["key_themes"])
    return out


def empty(round_name: str, assessors: list[str]) -> dict[str, Any]:
    """A round not yet begun: its assessors named, nothing judged."""
    return {"assessment": {"assessors": list(assessors), "stage": STAGES[round_name]}, "clauses": {}}


def overlay(application: Any, judged: Any, self_scores: bool = False) -> dict[str, Any]:
    """The document of a round: the application as written, with the round's judgement instead of the team's own.

    ``self_scores`` keeps the team's own score of each clause beside the
    round's as ``self_score`` (a consensus document: where the team rates
    itself higher or lower than the assessors).
    """
    out = copy.deepcopy(_mapping(application))
    judged = _mapping(judged)
    out.pop("key_themes", None)
    clauses: dict[str, dict[str, Any]] = {}
    for cid, rating in _mapping(out.get("clauses")).items():
        rating = _mapping(rating)
        clauses[cid] = {k: v for k, v in rating.items() if k in WRITTEN}
        if self_scores and rating.get("score") is not None:
            clauses[cid]["self_score"] = rating["score"]
    for cid, rating in _mapping(judged.get("clauses")).items():
        clauses.setdefault(cid, {}).update({k: copy.deepcopy(v) for k, v in _mapping(rating).items() if k in JUDGED})
    out["clauses"] = {cid: rating for cid, rating in clauses.items() if rating}
    written = {k: v for k, v in _mapping(out.get("assessment")).items() if k not in ASSESSMENT}
    out["assessment"] = {**written, **{k: copy.deepcopy(v) for k, v in _mapping(judged.get("assessment")).items()
                                       if k in ASSESSMENT}}
    if judged.get("key_themes"):
        out["key_themes"] = copy.deepcopy(judged["key_themes"])
    return out
