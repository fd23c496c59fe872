"""From independent assessments to one consensus document.

Award processes score in two steps: each assessor scores the application
alone, then the team agrees one score per clause in a consensus discussion,
widest disagreements first (Baldrige: independent review, consensus review;
the Hubei and Wuhan 评审组 work the same way). ``compare_assessors`` lays the
independent scores side by side and flags the clauses to discuss;
``consensus_document`` writes the document the discussion starts from.

The rule (no award office publishes one, so these defaults are a choice):

- a clause is flagged when its scores span ``spread`` percentage points or
  more (default 20: four 5 % steps, more than one band's width of 15–20), when
  they fall in different scoring bands, or when an assessor left it unscored;
- an unflagged clause gets the median of the scores, rounded to the 5 % step
  (halves upward), as a *proposed* score; a flagged one is left unscored;
- strengths and OFIs are merged with their authors, a text written by two
  assessors kept once; evidence likewise;
- each assessor's mean deviation is the average of (their score − the
  clause's median) over the clauses they scored: above zero lenient, below
  zero severe.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from .document import Assessment, Comment
from .errors import Problem, QkitError
from .i18n import Named
from .rubric import STEP

DEFAULT_SPREAD = 20
REASONS = ("spread", "bands", "unscored")  # why a clause is flagged for the discussion


@dataclass(frozen=True)
class ClauseSpread(Named):
    """One clause's independent scores and whether the team must discuss it."""

    id: str
    title: str
    title_en: str
    scores: dict[str, int | None]  # assessor → score (None: not scored)
    bands: dict[str, str | None]  # assessor → band key
    reasons: tuple[str, ...]  # some of REASONS

    @property
    def scored(self) -> list[int]:
        return [s for s in self.scores.values() if s is not None]

    @property
    def range(self) -> int | None:
        return max(self.scored) - min(self.scored) if self.scored else None

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)

    @property
    def median(self) -> float | None:
        return statistics.median(self.scored) if self.scored else None

    @property
    def proposal(self) -> int | None:
        """The median rounded to the 5 % step (halves upward); None when flagged or unscored."""
        if self.flagged or self.median is None:
            return None
        return int(self.median / STEP + 0.5) * STEP


@dataclass(frozen=True)
class AssessorSpread:
    assessors: tuple[str, ...]
    clauses: tuple[ClauseSpread, ...]  # largest spread first

    def deviation(self, assessor: str) -> float | None:
        """The assessor's mean (score − clause median): above zero lenient, below zero severe."""
        gaps = [c.scores[assessor] - c.median for c in self.clauses
                if c.scores.get(assessor) is not None and c.median is not None]
        return round(sum(gaps) / len(gaps), 2) if gaps else None

    @property
    def flagged(self) -> list[ClauseSpread]:
        return [c for c in self.clauses if c.flagged]

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "assessors": {a: {"mean_deviation": self.deviation(a)} for a in self.assessors},
            "clauses": [{"id": c.id, "title": c.name(lang), "scores": c.scores, "bands": c.bands, "range": c.range,
                         "median": c.median, "proposed": c.proposal, "flagged": c.flagged,
                         "reasons": list(c.reasons)} for c in self.clauses],
        }


def calibration(card) -> dict[str, float]:
    """Each assessor's mean deviation from the consensus scores: above zero lenient, below zero severe.

    Taken over the clauses where both the assessor's independent score and the agreed score are known.
    """
    gaps: dict[str, list[int]] = {}
    for clause in card.clauses:
        for name, own in clause.independent:
            if own is not None and clause.score is not None:
                gaps.setdefault(name, []).append(own - clause.score)
    return {name: round(sum(g) / len(g), 2) for name, g in gaps.items()}


def assessor_of(doc: Assessment) -> str:
    """The one assessor an independent assessment names."""
    names = doc.assessment.get("assessors") or []
    return names[0] if len(names) == 1 else ""


def check_inputs(docs: list[Assessment], files: list[str]) -> list[str]:
    """The assessors of documents that may go to one consensus: same standard, same applicant, one assessor each."""
    problems = []
    first = docs[0]
    for doc, file in zip(docs, files):
        if doc.rubric != first.rubric:
            problems.append(Problem(file, "consensus_rubric", doc.rubric, {"first": first.rubric, "file": files[0]}))
        if doc.name != first.name:
            problems.append(Problem(file, "consensus_applicant", doc.name, {"first": first.name, "file": files[0]}))
        if not assessor_of(doc):
            problems.append(Problem(f"{file}: assessment/assessors", "consensus_assessor",
                                    doc.assessment.get("assessors") or []))
    names = [assessor_of(d) for d in docs]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        problems.append(Problem("assessment/assessors", "consensus_same_assessor", params={"allowed": repeated}))
    if len(docs) < 2:
        problems.append(Problem(files[0], "consensus_too_few"))
    if problems:
        raise QkitError(problems)
    return names


def compare_assessors(docs: list[Assessment], rubric, files: list[str], spread: int = DEFAULT_SPREAD,
                      names: list[str] | None = None) -> AssessorSpread:
    """The independent scores of every clause side by side, flagged for discussion, largest spread first.

    ``names`` labels documents already known to be of one standard and applicant (a batch groups them),
    which then need not name their assessor.
    """
    names = names or check_inputs(docs, files)
    clauses = []
    for clause in rubric.clauses:
        scores = {name: doc.rating(clause.id).score for name, doc in zip(names, docs)}
        bands = {name: _band_key(rubric, clause, s) for name, s in scores.items()}
        scored = [s for s in scores.values() if s is not None]
        reasons = []
        if scored and max(scored) - min(scored) >= spread:
            reasons.append("spread")
        if len({b for n, b in bands.items() if scores[n] is not None}) > 1:
            reasons.append("bands")
        if scored and len(scored) < len(scores):
            reasons.append("unscored")
        clauses.append(ClauseSpread(clause.id, clause.title, clause.title_en, scores, bands, tuple(reasons)))
    clauses.sort(key=lambda c: (-(c.range or 0), not c.flagged, rubric.clauses.index(rubric.clause(c.id))))
    return AssessorSpread(tuple(names), tuple(clauses))


def _band_key(rubric, clause, score: int | None) -> str | None:
    band = rubric.clause_band(clause, score)
    return band.key if band else None


def merge_comments(lists: list[tuple[str, list[Comment]]]) -> list[Comment]:
    """Each text once, with every assessor who wrote it, in the order first written."""
    authors: dict[str, list[str]] = {}
    for name, comments in lists:
        for comment in comments:
            text = str(comment).strip()
            who = authors.setdefault(text, [])
            for author in (*comment.by, name) if comment.by else (name,):
                if author not in who:
                    who.append(author)
    return [Comment(text, by) for text, by in authors.items()]


def consensus_document(docs: list[Assessment], rubric, files: list[str], spread: int = DEFAULT_SPREAD
                       ) -> dict[str, Any]:
    """The document a consensus discussion starts from (plain data, as ``qkit validate`` reads it).

    The inputs are never changed. Factor ratings are kept where every assessor
    gave the same; notes are kept with their author.
    """
    table = compare_assessors(docs, rubric, files, spread)
    names = list(table.assessors)
    first = docs[0]
    by_id = {c.id: c for c in table.clauses}
    clauses = {}
    for clause in rubric.clauses:
        ratings = [(name, doc.rating(clause.id)) for name, doc in zip(names, docs)]
        row = by_id[clause.id]
        factors = {}
        for factor in rubric.factors_of(clause):
            given = {r.factors.get(factor) for _, r in ratings}
            if len(given) == 1 and None not in given:
                factors[factor] = given.pop()
        entry: dict[str, Any] = {
            "score": row.proposal,
            "proposed": row.proposal is not None,
            "independent": dict(row.scores),
            "factors": factors,
            "strengths": [c.to_data() for c in merge_comments([(n, r.strengths) for n, r in ratings])],
            "ofis": [c.to_data() for c in merge_comments([(n, r.ofis) for n, r in ratings])],
            "evidence": [str(c) for c in merge_comments([(n, r.evidence) for n, r in ratings])],
            "notes": "\n".join(f"{n}：{r.notes}" for n, r in ratings if r.notes),
        }
        clauses[clause.id] = {k: v for k, v in entry.items() if v not in (None, "", [], {}, False)}
    data = first.to_data()
    data["assessment"] = {**data.get("assessment", {}), "assessors": names, "stage": "共识"}
    data["clauses"] = clauses
    return data
