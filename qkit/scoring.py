"""Points from an assessment: clause, item and total scores, maturity and gaps.

The standards ask assessors for a holistic judgement over the four factors
(A.2, A.3); qkit therefore never averages factor ratings into a score. From
the ratings it *suggests* a best-fit band and a place in it (``suggest``) and
flags a chosen score outside that band so the assessor justifies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .document import Assessment
from .errors import Problem
from .i18n import Named, fmt_band, paren, tr
from .rubric import Band, Dimension, IndividualRubric, OrganizationRubric


@dataclass(frozen=True)
class Suggestion:
    band: Band
    score: int


def suggest(ratings: dict[str, str], dimension: Dimension) -> Suggestion | None:
    """Best-fit band and score from the factor ratings, or None until all factors are rated.

    The band is the lower median of the factors' bands: the highest band that
    most factors reach (with four factors, the second lowest). The score
    starts at the lower-middle step of that band and moves one 5% step up
    for every factor rated above the band and one down for every factor
    rated below it, staying inside the band.
    """
    if sorted(ratings) != sorted(dimension.factor_ids):
        return None
    bands = sorted((dimension.band(key) for key in ratings.values()), key=lambda b: b.min)
    fit = bands[(len(bands) - 1) // 2]
    above = sum(b.min > fit.min for b in bands)
    below = sum(b.min < fit.min for b in bands)
    steps = fit.steps
    place = min(max((len(steps) - 1) // 2 + above - below, 0), len(steps) - 1)
    return Suggestion(fit, steps[place])


@dataclass(frozen=True)
class ClauseScore(Named):
    id: str
    title: str
    title_en: str
    kind: str
    points: int
    score: int | None
    suggestion: Suggestion | None
    below_described: Band | None
    ofis: tuple[str, ...]
    notes: str = ""
    independent: tuple[tuple[str, int | None], ...] = ()  # each assessor's own score, in a consensus document
    proposed: bool = False  # the score is the median proposed for the consensus discussion, not yet agreed
    previous_score: int | None = None  # the previous cycle's score, shown while the clause is reviewed again
    self_score: int | None = None  # a round's document: the team's own score in its application

    @property
    def to_review(self) -> bool:
        """Carried over from the previous cycle and not scored again yet (待复核)."""
        return self.score is None and self.previous_score is not None

    @property
    def independent_range(self) -> tuple[int, int] | None:
        """The lowest and highest independent score, when assessors scored this clause."""
        scores = [s for _, s in self.independent if s is not None]
        return (min(scores), max(scores)) if scores else None

    @property
    def outside_range(self) -> bool:
        """A consensus score outside the assessors' independent range."""
        span = self.independent_range
        return self.score is not None and span is not None and not span[0] <= self.score <= span[1]

    @property
    def self_gap(self) -> int | None:
        """How far the team's own score lies above (or below) this one, when both are known (a consensus)."""
        return None if self.score is None or self.self_score is None else self.self_score - self.score

    @property
    def earned(self) -> float | None:
        return None if self.score is None else self.score * self.points / 100

    @property
    def at_stake(self) -> float:
        """Points this clause could still gain: (100% − score) × points."""
        return (100 - (self.score or 0)) * self.points / 100

    @property
    def outside_band(self) -> bool:
        return self.score is not None and self.suggestion is not None and self.score not in self.suggestion.band

    @property
    def flag(self) -> Problem | None:
        """Why the assessor should look at this clause again, as data every view renders; None when fine.

        Codes: ``outside_range`` (a consensus score outside the assessors'
        independent range, to be justified in the notes; ``outside_range_justified``
        with a note), ``outside_band`` (a score outside the suggested band;
        ``outside_justified`` with a note) and ``below_described`` (an
        individual-award score below the lowest described band). Each has a
        short form, ``<code>_short``.
        """
        if self.outside_range:
            low, high = self.independent_range
            code = "outside_range_justified" if self.notes else "outside_range"
            return Problem(self.id, code, params={"low": low, "high": high})
        if self.outside_band:
            code = "outside_justified" if self.notes else "outside_band"
            return Problem(self.id, code, params={"band": fmt_band(self.suggestion.band)})
        if self.below_described:
            return Problem(self.id, "below_described", params={"band": fmt_band(self.below_described)})
        return None


@dataclass(frozen=True)
class ItemScore(Named):
    id: str
    title: str
    title_en: str
    points: int
    clauses: tuple[ClauseScore, ...]

    @property
    def earned(self) -> float:
        return sum(c.score * c.points for c in self.clauses if c.score is not None) / 100

    @property
    def percent(self) -> float:
        return 100 * self.earned / self.points

    @property
    def scored(self) -> bool:
        """Whether any of its clauses is scored: an item with none has no score yet (not 0 %)."""
        return any(c.score is not None for c in self.clauses)


@dataclass(frozen=True)
class Maturity:
    """The standard's band of what was scored: the one reading of maturity every view shows.

    A complete document's maturity is its total as a percentage of the
    maximum. A partial one's is read from the clauses scored so far (the
    points they earned of their points), because the total counts every
    unscored clause as 0 and would place the document at the bottom whatever
    was found; it is *provisional* and says what it rests on (``basis``).
    Before any clause is scored there is no band (``percent`` is None).
    ``band`` is None below the lowest described band too (the individual
    award), and then ``below`` is that lowest band.
    """

    percent: float | None
    band: Band | None
    descriptors: dict[str, dict[str, str]]
    below: Band | None = None
    scored: int = 0  # the clauses it rests on
    clauses: int = 0  # the clauses of the standard
    points: int = 0  # the points of the clauses it rests on
    max: int = 0  # the standard's points

    @property
    def provisional(self) -> bool:
        """Read from part of the clauses only: unscored ones remain."""
        return self.scored < self.clauses

    def label(self, lang: str = "zh") -> str:
        """The band as every view names it: 50%–65%, 50%–65%（暂定）, or why there is none."""
        if self.percent is None:
            return tr("nothing_scored", lang)
        text = fmt_band(self.band) if self.band else tr("below_described", lang, band=fmt_band(self.below))
        return paren(text, tr("provisional", lang), lang) if self.provisional else text

    def basis(self, lang: str = "zh") -> str:
        """What a provisional band rests on (暂定：仅依据已评分的 3 项 …); empty once every clause is scored."""
        if not self.provisional or self.percent is None:
            return ""
        return tr("maturity_basis", lang, scored=self.scored, all=self.clauses, points=self.points, max=self.max)


@dataclass(frozen=True)
class Scorecard:
    rubric: OrganizationRubric | IndividualRubric
    assessment: Assessment
    items: tuple[ItemScore, ...]

    @property
    def clauses(self) -> list[ClauseScore]:
        return [c for item in self.items for c in item.clauses]

    @property
    def applicant_name(self) -> str:
        """How charts and legends name the applicant: the short name, else the name ("" when neither is given)."""
        applicant = self.assessment.applicant
        return str(applicant.get("short_name") or applicant.get("name") or "")

    @property
    def radar_units(self) -> list[ItemScore] | list[ClauseScore]:
        """The radar's vertices: the items, or the clauses when there are too few items for a polygon (the
        individual award's two groups)."""
        return list(self.items) if len(self.items) >= 3 else self.clauses

    @property
    def total(self) -> float:
        # integer arithmetic first, so a full document scores exactly the maximum
        return sum(c.score * c.points for c in self.clauses if c.score is not None) / 100

    @property
    def max(self) -> int:
        return self.rubric.total_points

    @property
    def percent(self) -> float:
        return 100 * self.total / self.max

    @property
    def missing(self) -> list[str]:
        return [c.id for c in self.clauses if c.score is None]

    @property
    def unscored(self) -> list[ClauseScore]:
        """The clauses not scored yet, in the standard's order."""
        return [c for c in self.clauses if c.score is None]

    @property
    def scored_points(self) -> int:
        """The points of the clauses scored so far."""
        return sum(c.points for c in self.clauses if c.score is not None)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def flagged(self) -> list[ClauseScore]:
        return [c for c in self.clauses if c.flag]

    @property
    def maturity(self) -> Maturity:
        """The band of the total, or of the clauses scored so far while some are not (``Maturity``)."""
        scored = [c for c in self.clauses if c.score is not None]
        points = self.scored_points
        shape = {"scored": len(scored), "clauses": len(self.clauses), "points": points, "max": self.max}
        if not points:
            return Maturity(None, None, {}, **shape)
        percent = 100 * self.total / points
        band = self.rubric.band_of(percent)
        if band is None:
            return Maturity(percent, None, {}, below=self.rubric.lowest_band, **shape)
        return Maturity(percent, band, self.rubric.maturity_descriptors(band), **shape)

    def gaps(self) -> list[ClauseScore]:
        """Clauses ranked by the points still at stake, largest first."""
        return sorted(self.clauses, key=lambda c: (-c.at_stake, c.id))

    def priorities(self, n: int | None = None) -> list[ClauseScore]:
        """The ``n`` scored clauses (all when None) with points still at stake, largest first.

        Unscored clauses are not priorities: nothing is known about them yet
        (``unscored`` lists them). Every view ranks with this method.
        """
        return [c for c in self.gaps() if c.score is not None and c.at_stake > 0][:n]

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        maturity = self.maturity
        return {
            "rubric": self.rubric.id,
            "applicant": self.assessment.name,
            "total": self.total,
            "max": self.max,
            "percent": round(self.percent, 2),
            "complete": self.complete,
            "missing": self.missing,
            "maturity": {
                "band": maturity.band.key if maturity.band else None,
                "label": maturity.band.label if maturity.band else None,
                "descriptors": maturity.descriptors,
                "percent": None if maturity.percent is None else round(maturity.percent, 2),
                "provisional": maturity.provisional,
                "scored_clauses": maturity.scored,
                "scored_points": maturity.points,
            },
            "items": [
                {
                    "id": item.id,
                    "title": item.name(lang),
                    "points": item.points,
                    "earned": item.earned,
                    "clauses": [_clause_dict(c, lang) for c in item.clauses],
                }
                for item in self.items
            ],
            "gaps": [
                {"id": c.id, "title": c.name(lang), "at_stake": c.at_stake, "ofis": list(c.ofis)}
                for c in self.priorities()
            ],
        }


def _clause_dict(c: ClauseScore, lang: str) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.name(lang),
        "kind": c.kind,
        "points": c.points,
        "score": c.score,
        "earned": c.earned,
        "suggested_band": c.suggestion.band.key if c.suggestion else None,
        "suggested_score": c.suggestion.score if c.suggestion else None,
        "outside_band": c.outside_band,
        "below_described": c.below_described is not None,
        "proposed": c.proposed,
        "previous_score": c.previous_score,
        "self_score": c.self_score,
        "independent": dict(c.independent),
    }


def _clause_score(rubric, clause, doc: Assessment) -> ClauseScore:
    rating = doc.rating(clause.id)
    dimension = rubric.dimension(clause)
    suggestion = suggest(rating.factors, dimension) if dimension else None
    return ClauseScore(clause.id, clause.title, clause.title_en, clause.kind, clause.points, rating.score,
                       suggestion, rubric.below_described(rating.score), tuple(rating.ofis), rating.notes,
                       tuple(rating.independent.items()), rating.proposed, rating.previous_score, rating.self_score)


def score(doc: Assessment, rubric: OrganizationRubric | IndividualRubric) -> Scorecard:
    """Score a checked assessment against its rubric."""
    items = tuple(
        ItemScore(item.id, item.title, item.title_en, item.points,
                  tuple(_clause_score(rubric, c, doc) for c in item.clauses))
        for item in rubric.items
    )
    return Scorecard(rubric, doc, items)

