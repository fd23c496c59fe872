"""A team's progress as data: who owns each part, how far it is, when it was last touched, when it is due.

One answer for the lead's 进度 tab, each person's header and ``qkit progress``.
Per part (the profile, each item, each clause): its owners (writers assigned
the part or its item), whether it is scored, its 字数 against the limit
(``qkit.narrative``), how many strengths, OFIs and evidence it lists, for a
results clause how many KPIs and how many of them have a value for the latest
year, the last revision that changed it (who, when) and its due date. For the
assessors: invited, opened, handed in, and never their scores (the layers are
read for whether they were handed in, nothing else).

A part is *finished* when it is scored and its text is written (the profile:
its text is written); an item when all its clauses are, the application when
all its parts are. A part is *overdue* when its due date has passed and it is
not finished; a due date falls to the part's item, then to the whole
application, when the part has none of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from ..document import check_partial
from ..i18n import Named, fmt_day, tr
from ..narrative import PartStatus, WritingStatus, writing_status
from ..paths import as_year, value_at
from . import access

if TYPE_CHECKING:
    from .store import Deadline, Edit, Member, Store

LISTS = ("strengths", "ofis", "evidence")  # the comments and evidence a part is counted by


@dataclasses.dataclass(frozen=True)
class LastEdit:
    by: str | None  # None: saved by the command line, or before there were members
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Due:
    """Something due: a part (by id), the whole ``application`` or the ``assessors``' hand-in."""

    target: str
    due: dt.date
    today: dt.date
    done: bool

    @property
    def days_left(self) -> int:
        """Days until the due date; 0 on the day, below 0 once past."""
        return (self.due - self.today).days

    @property
    def overdue(self) -> bool:
        return not self.done and self.days_left < 0


@dataclasses.dataclass(frozen=True)
class PartProgress(Named):
    """The profile (``kind`` profile), an item or a clause as the lead follows it."""

    id: str
    title: str
    title_en: str
    kind: str
    item: str | None  # the item a clause belongs to
    owners: tuple[str, ...]
    scored: bool | None  # None for the profile, which is not scored; an item: every clause scored
    words: int
    limit: int | None  # a limit in 字, as a notice sets it
    guide: int | None  # where there is no limit: the reference length (参考字数), never a limit
    counts: dict[str, int]  # strengths, ofis, evidence
    kpis: tuple[int, int] | None  # a results clause: (KPIs, of which with a value for the latest year)
    last_edit: LastEdit | None
    finished: bool
    due: Due | None

    @property
    def over(self) -> bool:
        return self.limit is not None and self.words > self.limit

    @property
    def beyond_guide(self) -> bool:
        return self.guide is not None and self.words > self.guide

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due.overdue


@dataclasses.dataclass(frozen=True)
class AssessorProgress:
    """An assessor of the current cycle: invited (added), opened their page, handed in; never their scores."""

    name: str
    invited: dt.datetime
    opened: dt.datetime | None
    handed_in: dt.datetime | None
    due: Due | None


@dataclasses.dataclass(frozen=True)
class Progress:
    parts: tuple[PartProgress, ...]  # the profile, then each item followed by its clauses
    assessors: tuple[AssessorProgress, ...]
    application: Due | None  # the whole application's own due date
    latest_year: int  # the year a KPI's latest value is expected for

    @property
    def clauses(self) -> list[PartProgress]:
        return [p for p in self.parts if p.kind == "clause"]

    def part(self, part_id: str) -> PartProgress | None:
        return next((p for p in self.parts if p.id == part_id), None)

    def overdue(self) -> list[PartProgress]:
        """The parts past their due date and not finished: items and the profile, and clauses of an item that
        is not overdue itself (so one late item is said once)."""
        late_items = {p.id for p in self.parts if p.kind == "item" and p.overdue}
        return [p for p in self.parts if p.overdue and p.item not in late_items]

    def as_json(self) -> dict[str, Any]:
        """What ``qkit progress --json`` prints: each clause, and each assessor (never a score of theirs). A
        clause's ``limit`` is its limit in 字, or its reference length where the notices set no limit."""
        return {
            "clauses": [{"id": c.id, "owners": list(c.owners), "scored": bool(c.scored), "words": c.words,
                         "limit": c.limit if c.limit is not None else c.guide,
                         "last_edit": {"by": c.last_edit.by, "at": c.last_edit.at.isoformat()} if c.last_edit else None,
                         "due": c.due.due.isoformat() if c.due else None, "overdue": c.overdue}
                        for c in self.clauses],
            "assessors": [{"name": a.name, "opened": a.opened is not None, "handed_in": a.handed_in is not None}
                          for a in self.assessors],
        }


def due_text(due: Due, lang: str = "zh", named: bool = True) -> str:
    """A due date as a sentence: 5.3 截止 12 月 10 日，还有 3 天; 今天截止; 已逾期 2 天（截止 12 月 8 日）.
    Without ``named`` (a row that names its part already), the sentence leaves out what is due."""
    words = {"application": tr("due_application", lang), "assessors": tr("due_assessors", lang)}
    target = words.get(due.target, due.target) if named else ""
    day, left = fmt_day(due.due, lang, due.today), due.days_left
    if left == 0:
        text = tr("due_today", lang, target=target, day=day)
    elif left < 0 and due.overdue:
        text = tr("due_overdue", lang, target=target, day=day, n=-left)
    else:
        text = tr("due_left", lang, target=target, day=day, n=left) if left > 0 else f"{target} {day}"
    return text.strip()


def assessment_year(date: Any, today: dt.date | None = None) -> int:
    """The year of an assessment date as typed (a date, or text as 2026-10-15); this year while there is none."""
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date.strip())
        except ValueError:
            date = None
    return date.year if isinstance(date, dt.date) else (today or dt.date.today()).year


def progress(store: "Store", applicant_id: int, limits: Any = None, today: dt.date | None = None,
             lead: bool = True) -> Progress:
    """The team's progress on an applicant as saved (its latest revision), in the current cycle, its 字数 against
    ``limits`` (``qkit.narrative``: the shipped ones by default); the assessors' part only for the lead (``lead``)."""
    today = today or dt.date.today()
    rubric = store.index.load(store.applicant(applicant_id).rubric)
    data = store.latest(applicant_id).data
    document = check_partial(data, store.index)[0]
    writing = writing_status(document, rubric, limits) if document is not None else None
    members = [m for m in store.members(applicant_id) if m.active]
    dues = store.deadlines(applicant_id)
    parts = part_progress(rubric, data, writing, members, dues, store.edits(applicant_id), today)
    assessors = tuple(_assessors(store, applicant_id, members, dues, today)) if lead else ()
    application = dues.get("application")
    everything = all(p.finished for p in parts)
    return Progress(parts, assessors, application and Due("application", application.due, today, everything),
                    assessment_year(value_at(data, ("assessment", "date")), today) - 1)


def part_progress(rubric: Any, data: Any, writing: WritingStatus | None, members: list["Member"],
                  dues: dict[str, "Deadline"], edits: list["Edit"], today: dt.date) -> tuple[PartProgress, ...]:
    """Every part of the application ``data`` as the lead follows it: ``writing`` is its 字数 (None while the
    document cannot be read: nothing counted), ``edits`` its revisions newest first."""
    last: dict[str, LastEdit] = {}
    for edit in edits:
        for field in edit.changed:
            part = access.part_of_field(rubric, field)
            if part is not None and part not in last:
                last[part] = LastEdit(edit.author, edit.created_at)
    writers = [m for m in members if m.role == "writer" and m.items]
    latest = assessment_year(value_at(data, ("assessment", "date")), today) - 1
    found: list[PartProgress] = []
    if rubric.profile is not None:
        found.append(_part(data, writing, rubric.profile, None, writers, dues, last, None, today))
    results = {c.id for c in rubric.results_clauses}
    for item in rubric.items:
        clauses = [_part(data, writing, c, item.id, writers, dues, last, latest if c.id in results else None, today)
                   for c in item.clauses]
        touched = [c.last_edit for c in clauses if c.last_edit is not None]
        done = all(c.finished for c in clauses)
        due = _due(dues, item.id, today, done)
        found.append(PartProgress(
            item.id, item.title, item.title_en, "item", None, _owners(writers, item.id),
            all(c.scored for c in clauses), sum(c.words for c in clauses),
            *next(((i.limit, i.guide) for i in writing.items if i.id == item.id), (None, None))
            if writing else (None, None),
            {kind: sum(c.counts[kind] for c in clauses) for kind in LISTS}, None,
            max(touched, key=lambda e: e.at) if touched else None, done, due))
        found += [dataclasses.replace(c, due=c.due or (due and dataclasses.replace(due, target=c.id, done=c.finished)))
                  for c in clauses]
    application = dues.get("application")
    if application is not None:  # what has no due date of its own is due with the whole application
        found = [p if p.due else dataclasses.replace(p, due=Due(p.id, application.due, today, p.finished))
                 for p in found]
    return tuple(found)


def _part(data: Any, writing: WritingStatus | None, entry: Any, item: str | None, writers: list["Member"],
          dues: dict[str, "Deadline"], last: dict[str, LastEdit], latest: int | None, today: dt.date
          ) -> PartProgress:
    """The profile (``item`` None) or a clause of ``item``; ``latest``: the year a results clause's KPIs are
    expected to have a value for (None for other clauses)."""
    kind = "profile" if item is None else "clause"
    path = ("profile",) if kind == "profile" else ("clauses", entry.id)
    written: PartStatus | None = writing.part(entry.id) if writing is not None else None
    score = value_at(data, path + ("score",))
    scored = None if kind == "profile" else score is not None and score != ""
    counts = {kind_: _count(value_at(data, path + (kind_,))) for kind_ in LISTS}
    kpis = None
    if latest is not None:
        own = [k for k in value_at(data, ("results",), []) or [] if isinstance(k, dict) and k.get("clause") == entry.id]
        kpis = (len(own), sum(1 for k in own if _has_value(k.get("values"), latest)))
    finished = written is not None and written.written and scored is not False
    return PartProgress(entry.id, entry.title, entry.title_en, kind, item, _owners(writers, entry.id, item), scored,
                        written.words if written else 0, written.limit if written else None,
                        written.guide if written else None, counts, kpis,
                        last.get(entry.id), finished, _due(dues, entry.id, today, finished))


def _owners(writers: list["Member"], part: str, item: str | None = None) -> tuple[str, ...]:
    """The writers assigned ``part``, or the whole ``item`` it belongs to."""
    return tuple(m.name for m in writers if part in m.items or item in m.items)


def _due(dues: dict[str, "Deadline"], target: str, today: dt.date, done: bool) -> Due | None:
    own = dues.get(target)
    return Due(target, own.due, today, done) if own is not None else None


def _count(entries: Any) -> int:
    """The entries of a list that say something (a box left empty is not a strength yet)."""
    if not isinstance(entries, list):
        return 0
    return sum(1 for e in entries if str(e.get("text") if isinstance(e, dict) else e or "").strip())


def _has_value(values: Any, year: int) -> bool:
    return isinstance(values, dict) and any(as_year(k) == year and v not in (None, "") for k, v in values.items())


def _assessors(store: "Store", applicant_id: int, members: list["Member"], dues: dict[str, "Deadline"],
               today: dt.date) -> list[AssessorProgress]:
    opened = store.openings(applicant_id)
    due = dues.get("assessors")
    found = []
    for member in (m for m in members if m.role == "assessor"):
        layer = store.layer(applicant_id, member)
        handed_in = layer.created_at if layer.submitted else None
        found.append(AssessorProgress(member.name, member.created_at, opened.get(member.id), handed_in,
                                      due and Due("assessors", due.due, today, handed_in is not None)))
    return found
