"""An award office's cohort: applicants ranked within their standard, clause statistics, assessors grouped.

A batch folder holds one document per applicant, or several when several
assessors scored the same applicant (same standard, same applicant name).
Those are one entry of the cohort: ranked by the median of their totals, and
laid side by side clause by clause as ``qkit consensus`` does. Applicants of
different standards are never ranked against each other (a 100-point
individual award beside 1000-point organization awards says nothing).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .i18n import Named
from .consensus import AssessorSpread, compare_assessors
from .scoring import Scorecard

WEAKEST = 3  # clauses highlighted as the cohort's weakest, per standard


@dataclass(frozen=True)
class Entry:
    """One applicant of the cohort: its documents (one per assessor) and their scorecards."""

    files: tuple[str, ...]
    cards: tuple[Scorecard, ...]

    @property
    def rubric(self):
        return self.cards[0].rubric

    @property
    def name(self) -> str:
        return self.cards[0].assessment.name

    @property
    def assessors(self) -> list[str]:
        return list(dict.fromkeys(a for c in self.cards for a in c.assessment.assessment.get("assessors") or []))

    @property
    def stage(self) -> str:
        return " / ".join(dict.fromkeys(str(c.assessment.assessment.get("stage") or "") for c in self.cards if
                                        c.assessment.assessment.get("stage")))

    @property
    def total(self) -> float:
        """The total; with several assessors, the median of their totals."""
        return statistics.median(c.total for c in self.cards)

    @property
    def percent(self) -> float:
        return 100 * self.total / self.rubric.total_points

    def clause_score(self, clause_id: str) -> float | None:
        """A clause's score; with several assessors, the median of those who scored it."""
        scores = [c.score for card in self.cards for c in card.clauses if c.id == clause_id and c.score is not None]
        return statistics.median(scores) if scores else None

    def spread(self) -> AssessorSpread | None:
        """The assessors' scores side by side, when several assessed this applicant."""
        if len(self.cards) < 2:
            return None
        labels = [_label(card, file) for card, file in zip(self.cards, self.files)]
        return compare_assessors([c.assessment for c in self.cards], self.rubric, list(self.files), names=labels)


def _label(card: Scorecard, file: str) -> str:
    assessors = card.assessment.assessment.get("assessors") or []
    return assessors[0] if len(assessors) == 1 else file


def gather(cards: list[Scorecard], files: list[str]) -> dict[str, list[Entry]]:
    """The cohort by standard (rubric id, in the order first met), each ranked by total, highest first."""
    groups: dict[tuple[str, str], list[tuple[str, Scorecard]]] = {}
    for card, file in zip(cards, files):
        groups.setdefault((card.rubric.id, card.assessment.name), []).append((file, card))
    entries = [Entry(tuple(f for f, _ in group), tuple(c for _, c in group)) for group in groups.values()]
    standards: dict[str, list[Entry]] = {}
    for entry in entries:
        standards.setdefault(entry.rubric.id, []).append(entry)
    return {rid: sorted(group, key=lambda e: (-e.total, e.name)) for rid, group in standards.items()}


@dataclass(frozen=True)
class ClauseStats(Named):
    """One clause across a standard's applicants."""

    id: str
    title: str
    title_en: str
    scores: dict[str, float | None]  # applicant → score
    weakest: bool = False

    @property
    def scored(self) -> list[float]:
        return [s for s in self.scores.values() if s is not None]

    @property
    def mean(self) -> float | None:
        return round(statistics.mean(self.scored), 1) if self.scored else None

    @property
    def low(self) -> float | None:
        return min(self.scored) if self.scored else None

    @property
    def high(self) -> float | None:
        return max(self.scored) if self.scored else None

    @property
    def spread(self) -> float | None:
        return self.high - self.low if self.scored else None


def clause_stats(entries: list[Entry]) -> list[ClauseStats]:
    """Every clause of the standard with each applicant's score and the cohort's mean, minimum, maximum and
    spread; the ``WEAKEST`` clauses by mean are marked."""
    rubric = entries[0].rubric
    rows = [ClauseStats(c.id, c.title, c.title_en, {e.name: e.clause_score(c.id) for e in entries})
            for c in rubric.clauses]
    ranked = sorted((r for r in rows if r.mean is not None), key=lambda r: r.mean)
    weakest = {r.id for r in ranked[:WEAKEST]}
    return [ClauseStats(r.id, r.title, r.title_en, r.scores, r.id in weakest) for r in rows]
