"""The improvement plan: what an application's OFIs lead to, followed from one cycle into the next.

Self-assessment exists to drive improvement. An application holds its plan
as ``improvements``: each action names the clauses it works on and the OFIs
of them it answers, what will be done, its owner, when it starts and is
due, its status (未开始, 进行中, 已完成, 已取消), the effect expected (a
target score for its clauses, a KPI's target value in a year) and notes on
progress.

This module is the plan as data for every view: whether an action is open
or overdue on a given day, each clause's target, the roadmap (each item's
score now and were every target met) and the points the plan would gain,
the actions drafted from the priorities (one per clause, from its OFIs:
nothing invented, everything else left for a person to fill in), the open
actions a new cycle carries over, and whether a KPI reached its target.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import Problem, QkitError
from .paths import as_year
from .values import ValueChecks
from .i18n import Named, fmt_date, fmt_points, join_list, tr

if TYPE_CHECKING:
    from .document import KPI
    from .scoring import Scorecard

NOT_STARTED, IN_PROGRESS, DONE, CANCELLED = "未开始", "进行中", "已完成", "已取消"
STATUSES = (NOT_STARTED, IN_PROGRESS, DONE, CANCELLED)  # as the document and the JSON write them, in any language
OPEN = (NOT_STARTED, IN_PROGRESS)  # what a new cycle carries over, and what can be overdue
STATUS_KEYS = {NOT_STARTED: "status_not_started", IN_PROGRESS: "status_in_progress", DONE: "status_done",
               CANCELLED: "status_cancelled"}  # the status as a page in English names it
ACTION_FIELDS = ("id", "clauses", "ofis", "action", "owner", "start", "due", "status", "target_score", "kpi", "notes")
KPI_TARGET_FIELDS = ("name", "target", "year")
DRAFTED = 5  # priorities an action is drafted for, as the summary lists them


def status_label(status: str, lang: str = "zh") -> str:
    """The status in the page's language (the document keeps the Chinese word)."""
    return tr(STATUS_KEYS[status], lang) if status in STATUS_KEYS else status


@dataclass(frozen=True)
class KpiTarget:
    """The KPI an action is to move (named as in ``results``), its target value and the year it is due."""

    name: str
    target: float | None = None
    year: int | None = None

    def to_data(self) -> dict[str, Any]:
        return {k: v for k, v in (("name", self.name), ("target", self.target), ("year", self.year)) if v is not None}


@dataclass(frozen=True)
class Action:
    """One action of the improvement plan, as checked (``qkit.document``)."""

    clauses: tuple[str, ...]
    action: str = ""
    ofis: tuple[str, ...] = ()
    owner: str = ""
    start: dt.date | None = None
    due: dt.date | None = None
    status: str = NOT_STARTED
    target_score: int | None = None
    kpi: KpiTarget | None = None
    notes: str = ""
    id: str = ""

    @property
    def open(self) -> bool:
        return self.status in OPEN

    @property
    def done(self) -> bool:
        return self.status == DONE

    def overdue(self, today: dt.date) -> bool:
        """Still open after its due day."""
        return self.open and self.due is not None and self.due < today

    def to_data(self) -> dict[str, Any]:
        """The action as the document writes it: fields in their order, nothing empty, dates as YYYY-MM-DD."""
        values = {"id": self.id, "clauses": list(self.clauses), "ofis": list(self.ofis), "action": self.action,
                  "owner": self.owner, "start": _iso(self.start), "due": _iso(self.due), "status": self.status,
                  "target_score": self.target_score, "kpi": self.kpi.to_data() if self.kpi else None,
                  "notes": self.notes}
        return {k: v for k, v in values.items() if v not in (None, "", [])}

    def to_dict(self, today: dt.date) -> dict[str, Any]:
        """The action as ``qkit plan --json`` gives it, overdue judged on ``today``."""
        return {"clauses": list(self.clauses), "ofis": list(self.ofis), "action": self.action or None,
                "owner": self.owner or None, "start": _iso(self.start), "due": _iso(self.due), "status": self.status,
                "target_score": self.target_score, "kpi": self.kpi.to_data() if self.kpi else None,
                "overdue": self.overdue(today)}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# --- targets, the roadmap and the gain ------------------------------------------------------


def targets(actions: list[Action] | tuple[Action, ...]) -> dict[str, int]:
    """Each clause's target score: the highest one an action on it sets (a cancelled action sets none)."""
    out: dict[str, int] = {}
    for action in actions:
        if action.target_score is None or action.status == CANCELLED:
            continue
        for cid in action.clauses:
            out[cid] = max(out.get(cid, 0), action.target_score)
    return out


@dataclass(frozen=True)
class ItemTarget(Named):
    """An item's points now and were every target of the plan met (a clause without a target stays as it is)."""

    id: str
    title: str
    title_en: str
    points: int
    earned: float
    target: float

    @property
    def gain(self) -> float:
        return self.target - self.earned

    @property
    def percent(self) -> float:
        return 100 * self.earned / self.points

    @property
    def target_percent(self) -> float:
        return 100 * self.target / self.points


def roadmap(card: Scorecard) -> list[ItemTarget]:
    """Each item's score now against its target. Only scored clauses gain: the gain of a clause not scored
    yet (one carried into a new cycle, to review) is not known, and it is left out until it is scored."""
    wanted = targets(card.assessment.improvements)
    out = []
    for item in card.items:
        gain = sum((wanted[c.id] - c.score) * c.points for c in item.clauses
                   if c.score is not None and wanted.get(c.id, 0) > c.score) / 100
        out.append(ItemTarget(item.id, item.title, item.title_en, item.points, item.earned, item.earned + gain))
    return out


def gain(card: Scorecard) -> float:
    """The points the plan would gain if every target score were met."""
    return sum(item.gain for item in roadmap(card))


@dataclass(frozen=True)
class Plan:
    """A document's plan on a given day: its actions, the roadmap, the gain, what is overdue."""

    actions: tuple[Action, ...]
    today: dt.date
    roadmap: tuple[ItemTarget, ...]

    @property
    def gain(self) -> float:
        return sum(item.gain for item in self.roadmap)

    @property
    def overdue(self) -> list[Action]:
        return [a for a in self.actions if a.overdue(self.today)]

    def counts(self) -> dict[str, int]:
        """How many actions have each status, in the statuses' order."""
        return {status: sum(a.status == status for a in self.actions) for status in STATUSES}

    def by_due(self) -> list[Action]:
        """The actions in the order of their due days (those without one last), for the timeline."""
        return sorted(self.actions, key=lambda a: (a.due is None, a.due or dt.date.max, a.start or dt.date.max))

    def lead(self, lang: str = "zh") -> str:
        """Where the plan stands on its day: how many actions, of each status, how many overdue."""
        counts = join_list([f"{status_label(s, lang)} {n}" for s, n in self.counts().items() if n], lang)
        return tr("plan_lead", lang, today=fmt_date(self.today, lang), n=len(self.actions), counts=counts,
                  overdue=len(self.overdue))

    def gain_text(self, lang: str = "zh") -> str:
        return tr("plan_gain", lang, gain=fmt_points(self.gain))

    def to_dict(self) -> dict[str, Any]:
        """What ``qkit plan --json`` prints."""
        return {"actions": [a.to_dict(self.today) for a in self.actions], "gain": round(self.gain, 2)}


def day_of(value: dt.date | str | None, where: str = "today") -> dt.date:
    """The day a plan is read on, as given (a date, or its text YYYY-MM-DD); today when none is given."""
    if value in (None, ""):
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise QkitError(Problem(where, "not_date", value)) from None


def plan_of(card: Scorecard, today: dt.date | None = None) -> Plan:
    """The document's plan as of ``today`` (by default the day it is asked)."""
    return Plan(tuple(card.assessment.improvements), today or dt.date.today(), tuple(roadmap(card)))


def item_of(card: Scorecard, action: Action) -> str | None:
    """The item an action belongs to: the item of its first clause (it decides who may edit the action)."""
    first = action.clauses[0] if action.clauses else None
    return next((i.id for i in card.items if any(c.id == first for c in i.clauses)), None)


def kpi_reached(kpi: KPI, target: KpiTarget) -> tuple[float | None, bool | None]:
    """The KPI's value in the target's year (its latest without a year) and whether it meets the target, as
    the KPI's direction says; (None, None) while there is no such value or no target."""
    year = target.year if target.year is not None else max(kpi.values, default=None)
    value = kpi.values.get(year) if year is not None else None
    if value is None or target.target is None:
        return value, None
    return value, value >= target.target if kpi.better == "higher" else value <= target.target


# --- the plan in raw document data: drafting, ids, carrying over ---------------------------


def first_clause(entry: Any) -> str:
    """The first clause a raw action names ("" when none): its item decides who may edit it."""
    clauses = entry.get("clauses") if isinstance(entry, dict) else None
    first = (clauses[0] if clauses else None) if isinstance(clauses, list) else clauses
    try:
        return "" if first is None else str(first)
    except ValueError:  # an integer of more digits than Python writes out: no clause
        return ""


def next_id(entries: Any, clause: str) -> str:
    """A new action's id: its clause and a number one past the highest in use there (5.2.2-1, 5.2.2-2 …), so
    people adding actions to different clauses at the same time never give two the same id."""
    pattern = re.compile(rf"{re.escape(clause)}-(\d+)")
    used = [int(m.group(1)) for e in entries or [] if isinstance(e, dict)
            for m in [pattern.fullmatch(str(e.get("id", "")))] if m]
    return f"{clause}-{max(used, default=0) + 1}"


def new_action(entries: Any, clause: str, ofis: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """A raw action on ``clause`` answering ``ofis``, not started, the rest left for a person to fill in."""
    entry: dict[str, Any] = {"id": next_id(entries, clause), "clauses": [clause]}
    if ofis:
        entry["ofis"] = [str(o) for o in ofis]
    entry["status"] = NOT_STARTED
    return entry


def draft(data: dict[str, Any], card: Scorecard, top: int = DRAFTED) -> dict[str, Any]:
    """A copy of the document ``data`` with an action drafted for each of its ``top`` priorities (points at
    stake) that no open action works on yet, each naming the clause and its OFIs as written, not started.

    Nothing is invented: what will be done, the owner, the dates and the targets are left for a person."""
    out = copy.deepcopy(data)
    entries = list(out.get("improvements") or []) if isinstance(out.get("improvements"), list) else []
    covered = {cid for a in card.assessment.improvements if a.open for cid in a.clauses}
    for c in card.priorities(top):
        if c.id not in covered:
            entries.append(new_action(entries, c.id, c.ofis))
    if entries:
        out["improvements"] = entries
    return out


def carried(entries: list[Any]) -> list[Any]:
    """The actions a new cycle starts with: the open ones, as they are. Done and cancelled actions stay with
    the cycle they were done in (its revisions, its file), so every action is found once."""
    return [copy.deepcopy(e) for e in entries
            if not (isinstance(e, dict) and e.get("status") in (DONE, CANCELLED))]


class PlanChecks(ValueChecks):
    """The checks of a document's improvement plan (``improvements``), for ``qkit.document``'s checker."""

    def improvements(self, value: Any, rubric, results: list) -> list[Action]:
        """The improvement plan: each action on clauses the standard has, with a status, dates, targets."""
        ids = [c.id for c in rubric.clauses]
        names = list(dict.fromkeys(k.name for k in results))
        out, seen = [], set()
        for where, raw in self.entries(value, "improvements", ACTION_FIELDS):
            found = len(self.problems)
            code = self.text(raw.get("id"), f"{where}/id")
            if code and code in seen:
                self.add(f"{where}/id", "action_id_twice", code)
            seen.add(code)
            named = len(self.problems)
            cited = self.names(raw.get("clauses"), f"{where}/clauses")
            for cid in cited:
                if cid not in ids:
                    self.add(f"{where}/clauses", "unknown_clause", cid, allowed=ids)
            if not cited and len(self.problems) == named:  # none given, rather than none readable
                self.add(f"{where}/clauses", "action_clauses")
            start, due = (self.date(raw[k], f"{where}/{k}") if raw.get(k) not in (None, "") else None
                          for k in ("start", "due"))
            if start and due and due < start:
                self.add(f"{where}/due", "due_before_start", due.isoformat(), start=start.isoformat())
            status = raw.get("status") if raw.get("status") not in (None, "") else NOT_STARTED
            if status not in STATUSES:
                self.add(f"{where}/status", "action_status", status, allowed=list(STATUSES))
            action = Action(tuple(cited), self.text(raw.get("action"), f"{where}/action"),
                            tuple(str(o) for o in self.texts(raw.get("ofis"), f"{where}/ofis")),
                            self.text(raw.get("owner"), f"{where}/owner"), start, due, status,
                            self.score(raw.get("target_score"), f"{where}/target_score"),
                            self.kpi_target(raw.get("kpi"), f"{where}/kpi", names),
                            self.text(raw.get("notes"), f"{where}/notes"), code)
            if len(self.problems) == found:
                out.append(action)
        return out

    def kpi_target(self, value: Any, where: str, names: list[str]) -> KpiTarget | None:
        """An action's KPI target: a KPI of the document by name, its target value, the year it is due."""
        if value in (None, "", {}):
            return None
        raw = self.mapping(value, where, KPI_TARGET_FIELDS)
        name = self.text(raw.get("name"), f"{where}/name", required=True)
        if name and name not in names:
            self.add(f"{where}/name", "unknown_kpi", name, allowed=names or ["—"])
        year = None
        if raw.get("year") not in (None, ""):
            year = as_year(raw["year"])
            if year is None:
                self.add(f"{where}/year", "year", raw["year"])
        return KpiTarget(name, self.number(raw.get("target"), f"{where}/target"), year)
