"""Two assessments of one applicant against one standard, compared: what changed from one year to the next.

``compare(old, new)`` takes two scorecards of the same rubric and returns a
``Comparison``: the change of the total, of each item and of each clause, in
points and in percentage points; each clause's band in its scoring table
before and after; the OFIs that no longer appear and the new ones; and each
KPI's series joined over the years of both documents; for the improvement
plan, each clause with actions completed in either cycle and whether its
score moved, and each KPI with a target in the plan and whether it reached
it. Every view (the
``qkit compare`` table and JSON, the report's 与上期比较 section) renders
this data and computes nothing of its own.

An unscored clause has no change: it is shown as unscored, never as 0. An
item or total with an unscored clause on either side has no change either,
since its sum would count that clause as 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import document
from .document import KPI
from .errors import Problem, QkitError
from .i18n import Named, fmt_date, fmt_points
from .plan import CANCELLED, Action, KpiTarget, kpi_reached
from .rubric import Band
from .rubric_files import RubricIndex
from .scoring import ClauseScore, ItemScore, Scorecard, score

MOVERS = 5  # the clauses that moved most, as listed by default


def _delta(old: float | None, new: float | None) -> float | None:
    return None if old is None or new is None else new - old


def _key(band: Band | None) -> str | None:
    return band.key if band else None


@dataclass(frozen=True)
class ClauseChange(Named):
    """One clause's score (%) before and after, and its band in the clause's scoring table."""

    item: str
    id: str
    title: str
    title_en: str
    points: int
    old: int | None
    new: int | None
    old_band: Band | None
    new_band: Band | None

    @property
    def delta_percent(self) -> int | None:
        """The change in percentage points; None when either side is unscored."""
        return _delta(self.old, self.new)

    @property
    def delta_points(self) -> float | None:
        """The change in points: percentage points × the clause's points."""
        return None if self.delta_percent is None else self.delta_percent * self.points / 100

    @property
    def band_changed(self) -> bool:
        return self.old is not None and self.new is not None and _key(self.old_band) != _key(self.new_band)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"id": self.id, "item": self.item, "title": self.name(lang), "points": self.points, "old": self.old,
                "new": self.new, "delta_percent": self.delta_percent, "delta_points": self.delta_points,
                "old_band": _key(self.old_band), "new_band": _key(self.new_band), "band_changed": self.band_changed}


@dataclass(frozen=True)
class ItemChange(Named):
    """One item (or indicator group): points earned and score % before and after.

    ``complete`` is False when a clause of the item is unscored on either
    side; then there is no change to show.
    """

    id: str
    title: str
    title_en: str
    points: int
    old_earned: float
    new_earned: float
    old_percent: float
    new_percent: float
    complete: bool

    @property
    def delta_points(self) -> float | None:
        return self.new_earned - self.old_earned if self.complete else None

    @property
    def delta_percent(self) -> float | None:
        return self.new_percent - self.old_percent if self.complete else None

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"id": self.id, "title": self.name(lang), "points": self.points,
                "old": round(self.old_percent, 2), "new": round(self.new_percent, 2),
                "delta_percent": _round(self.delta_percent), "delta_points": _round(self.delta_points),
                "old_earned": self.old_earned, "new_earned": self.new_earned, "complete": self.complete}


@dataclass(frozen=True)
class TotalChange:
    """The total in points and as % of the maximum, before and after, with its maturity band."""

    max: int
    old: float
    new: float
    old_percent: float
    new_percent: float
    old_band: Band | None
    new_band: Band | None
    complete: bool

    @property
    def delta(self) -> float | None:
        return self.new - self.old if self.complete else None

    @property
    def delta_percent(self) -> float | None:
        return self.new_percent - self.old_percent if self.complete else None

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "delta": _round(self.delta), "max": self.max,
                "old_percent": round(self.old_percent, 2), "new_percent": round(self.new_percent, 2),
                "delta_percent": _round(self.delta_percent), "old_band": _key(self.old_band),
                "new_band": _key(self.new_band), "complete": self.complete}


@dataclass(frozen=True)
class OfiChange(Named):
    """A clause's OFIs that no longer appear (``gone``) and those that are new (``added``)."""

    clause: str
    title: str
    title_en: str
    gone: tuple[str, ...]
    added: tuple[str, ...]
    kept: int

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"clause": self.clause, "title": self.name(lang), "gone": list(self.gone), "new": list(self.added),
                "kept": self.kept}


@dataclass(frozen=True)
class Revision:
    """A year whose value differs between the two documents; ``series`` None is the KPI's own values."""

    series: str | None
    year: int
    old: float
    new: float

    def to_dict(self) -> dict[str, Any]:
        return {"series": self.series, "year": self.year, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class KpiJoin:
    """One KPI over the years of both documents.

    ``kpi`` holds the joined series (the newer document wins on a year both
    give, and on unit, direction and target when it has the KPI), so any
    KPI view (``charts.kpi_trend``) draws it. ``found`` says where the KPI
    is: ``both``, ``old`` (dropped) or ``new`` (added).
    """

    kpi: KPI
    found: str
    revised: tuple[Revision, ...]

    def to_dict(self) -> dict[str, Any]:
        k = self.kpi
        return {"clause": k.clause, "name": k.name, "unit": k.unit, "better": k.better, "target": k.target,
                "found": self.found, "values": {str(y): v for y, v in k.values.items()},
                "comparisons": {s: {str(y): v for y, v in p.items()} for s, p in k.comparisons.items()},
                "revised": [r.to_dict() for r in self.revised]}


@dataclass(frozen=True)
class ActionOutcome(Named):
    """A clause with actions completed in either cycle: its score before and after, and whether it moved."""

    clause: str
    title: str
    title_en: str
    actions: tuple[Action, ...]
    old: int | None
    new: int | None

    @property
    def delta(self) -> int | None:
        return _delta(self.old, self.new)

    @property
    def moved(self) -> str:
        """up, down, not (the same score), or unknown (unscored on one side)."""
        delta = self.delta
        return "unknown" if delta is None else "up" if delta > 0 else "down" if delta < 0 else "not"

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"clause": self.clause, "title": self.name(lang),
                "actions": [{"id": a.id or None, "action": a.action or None} for a in self.actions],
                "old": self.old, "new": self.new, "delta_percent": self.delta, "moved": self.moved}


@dataclass(frozen=True)
class TargetOutcome:
    """A KPI with a target in the plan: its value in the target's year (its latest without one), and whether
    it reached the target (None while there is no such value)."""

    clause: str
    name: str
    unit: str
    better: str
    target: KpiTarget
    value: float | None
    reached: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {"clause": self.clause, "name": self.name, "target": self.target.target, "year": self.target.year,
                "value": self.value, "reached": self.reached}


@dataclass(frozen=True)
class Comparison:
    """An earlier (``old``) and a later (``new``) assessment of one standard, compared."""

    old: Scorecard
    new: Scorecard
    total: TotalChange
    items: tuple[ItemChange, ...]
    clauses: tuple[ClauseChange, ...]
    ofis: tuple[OfiChange, ...]
    kpis: tuple[KpiJoin, ...]
    actions: tuple[ActionOutcome, ...] = ()
    targets: tuple[TargetOutcome, ...] = ()

    @property
    def rubric(self):
        return self.new.rubric

    def movers(self, n: int | None = MOVERS) -> list[ClauseChange]:
        """The ``n`` clauses (all when None) whose points changed most, either way, largest first."""
        moved = [c for c in self.clauses if c.delta_points]
        return sorted(moved, key=lambda c: (-abs(c.delta_points), c.id))[:n]

    @property
    def band_changes(self) -> list[ClauseChange]:
        return [c for c in self.clauses if c.band_changed]

    @property
    def unscored(self) -> list[ClauseChange]:
        """Clauses unscored on either side: they have no change."""
        return [c for c in self.clauses if c.old is None or c.new is None]

    @property
    def revisions(self) -> list[tuple[KPI, Revision]]:
        return [(join.kpi, r) for join in self.kpis for r in join.revised]

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "rubric": self.rubric.id,
            "old": _side(self.old),
            "new": _side(self.new),
            "total": self.total.to_dict(),
            "items": [i.to_dict(lang) for i in self.items],
            "clauses": [c.to_dict(lang) for c in self.clauses],
            "movers": [c.id for c in self.movers()],
            "ofis": [o.to_dict(lang) for o in self.ofis],
            "kpis": [k.to_dict() for k in self.kpis],
            "plan": {"clauses": [a.to_dict(lang) for a in self.actions], "kpis": [t.to_dict() for t in self.targets]},
        }


def signed(value: float | None) -> str:
    """A change as every view shows it: +4, -2.5, 0; — for no change to show (an unscored side)."""
    if value is None:
        return "—"
    return f"+{fmt_points(value)}" if round(value, 2) > 0 else fmt_points(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _side(card: Scorecard) -> dict[str, Any]:
    date = assessment_date(card)
    return {"applicant": card.assessment.name, "date": date.isoformat() if date else None,
            "unscored": card.missing}


def assessment_date(card: Scorecard) -> dt.date | None:
    return card.assessment.assessment.get("date")


def assessment_label(card: Scorecard, lang: str = "zh") -> str:
    """An assessment as a legend or heading names it: the applicant's short name and the assessment date."""
    name = card.applicant_name or card.rubric.id
    date = assessment_date(card)
    return f"{name} · {fmt_date(date, lang)}" if date else name


# --- comparing ----------------------------------------------------------------------


def _clause(rubric, item: ItemScore, old: ClauseScore, new: ClauseScore) -> ClauseChange:
    clause = rubric.clause(new.id)
    return ClauseChange(item.id, new.id, new.title, new.title_en, new.points, old.score, new.score,
                        rubric.clause_band(clause, old.score), rubric.clause_band(clause, new.score))


def _item(old: ItemScore, new: ItemScore) -> ItemChange:
    complete = all(c.score is not None for c in old.clauses + new.clauses)
    return ItemChange(new.id, new.title, new.title_en, new.points, old.earned, new.earned, old.percent,
                      new.percent, complete)


def _total(old: Scorecard, new: Scorecard) -> TotalChange:
    return TotalChange(new.max, old.total, new.total, old.percent, new.percent, old.maturity.band,
                       new.maturity.band, old.complete and new.complete)


def _texts(texts) -> list[str]:
    """OFIs as compared: whitespace stripped at both ends, each once, in their order."""
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def _ofis(old: ClauseScore, new: ClauseScore) -> OfiChange | None:
    before, after = _texts(old.ofis), _texts(new.ofis)
    gone = tuple(t for t in before if t not in after)
    added = tuple(t for t in after if t not in before)
    if not gone and not added:
        return None
    return OfiChange(new.id, new.title, new.title_en, gone, added, len(before) - len(gone))


def _join_series(old: dict[int, float], new: dict[int, float], series: str | None) -> tuple[dict, list[Revision]]:
    joined = dict(sorted({**old, **new}.items()))
    revised = [Revision(series, year, old[year], new[year]) for year in sorted(old.keys() & new.keys())
               if old[year] != new[year]]
    return joined, revised


def _join_kpi(old: KPI | None, new: KPI | None) -> KpiJoin:
    if old is None or new is None:
        return KpiJoin(new or old, "new" if old is None else "old", ())
    values, revised = _join_series(old.values, new.values, None)
    comparisons = {}
    for series in dict.fromkeys([*old.comparisons, *new.comparisons]):
        comparisons[series], more = _join_series(old.comparisons.get(series, {}), new.comparisons.get(series, {}),
                                                 series)
        revised += more
    kpi = replace(new, values=values, comparisons=comparisons,
                  target=new.target if new.target is not None else old.target)
    return KpiJoin(kpi, "both", tuple(revised))


def _by_key(kpis: list[KPI]) -> dict[tuple[str, str, int], KPI]:
    """KPIs by clause and name (a name given twice in a clause is told apart by its place)."""
    out, seen = {}, {}
    for kpi in kpis:
        name = (kpi.clause, kpi.name.strip())
        seen[name] = seen.get(name, 0) + 1
        out[(*name, seen[name])] = kpi
    return out


def _kpis(old: list[KPI], new: list[KPI]) -> tuple[KpiJoin, ...]:
    before, after = _by_key(old), _by_key(new)
    keys = list(dict.fromkeys([*after, *before]))  # the newer document's order, then the dropped KPIs
    return tuple(_join_kpi(before.get(k), after.get(k)) for k in keys)


def _plan(old: Scorecard, new: Scorecard) -> list[Action]:
    """The actions of both cycles' plans, each once: the later document's where both hold it (by id)."""
    later = new.assessment.improvements
    ids = {a.id for a in later if a.id}
    return [*(a for a in old.assessment.improvements if not (a.id and a.id in ids) and a not in later), *later]


def _outcomes(pairs: list, actions: list[Action]) -> tuple[ActionOutcome, ...]:
    done = [a for a in actions if a.done]
    return tuple(ActionOutcome(n.id, n.title, n.title_en, tuple(a for a in done if n.id in a.clauses), o.score,
                               n.score) for _, o, n in pairs if any(n.id in a.clauses for a in done))


def _targets(actions: list[Action], kpis: tuple[KpiJoin, ...]) -> tuple[TargetOutcome, ...]:
    wanted = list(dict.fromkeys(a.kpi for a in actions if a.kpi and a.status != CANCELLED))
    out = []
    for target in wanted:
        join = next((j for j in kpis if j.kpi.name == target.name), None)
        if join is None:
            continue
        value, reached = kpi_reached(join.kpi, target)
        out.append(TargetOutcome(join.kpi.clause, join.kpi.name, join.kpi.unit, join.kpi.better, target, value,
                                 reached))
    return tuple(out)


def compare(old: Scorecard, new: Scorecard) -> Comparison:
    """Compare an earlier and a later scorecard of the same rubric; a different rubric is refused."""
    if old.rubric.id != new.rubric.id:
        raise QkitError(Problem("rubric", "compare_rubrics", params={"old": old.rubric.id, "new": new.rubric.id}))
    rubric = new.rubric
    pairs = [(item, o, n) for item, old_item in zip(new.items, old.items)
             for o, n in zip(old_item.clauses, item.clauses)]
    kpis = _kpis(old.assessment.results, new.assessment.results)
    actions = _plan(old, new)
    return Comparison(
        old, new, _total(old, new),
        tuple(_item(o, n) for o, n in zip(old.items, new.items)),
        tuple(_clause(rubric, item, o, n) for item, o, n in pairs),
        tuple(change for _, o, n in pairs if (change := _ofis(o, n))),
        kpis, _outcomes(pairs, actions), _targets(actions, kpis),
    )


# --- reading the two documents ------------------------------------------------------


def _in_file(problems: list[Problem], path: Path) -> list[Problem]:
    """Problems of one of two documents, each naming its file."""
    where = str(path)
    return [p if p.field.startswith(where) else replace(p, field=f"{where}: {p.field}" if p.field else where)
            for p in problems]


def load_card(path: str | Path, index: RubricIndex | None = None) -> Scorecard:
    """Read, check and score a document; every problem names the file (there are two documents)."""
    index = index or RubricIndex.scan()
    try:
        doc = document.load(path, index)
    except QkitError as exc:
        raise QkitError(_in_file(exc.problems, Path(path))) from None
    return score(doc, index.load(doc.rubric))


def compare_files(old: str | Path, new: str | Path, index: RubricIndex | None = None) -> Comparison:
    """Read both documents (listing the problems of both) and compare them."""
    index = index or RubricIndex.scan()
    cards, problems = [], []
    for path in (old, new):
        try:
            cards.append(load_card(path, index))
        except QkitError as exc:
            problems += exc.problems
    if problems:
        raise QkitError(problems)
    return compare(*cards)
