"""One applicant's document being edited in the web form.

The workbook widgets are a view over a ``Session``. It keeps exactly what the
user typed, so a wrong field is reported and never dropped; after every change
it re-checks the whole document with the checks of ``qkit validate`` (same
field paths, same messages), scores the valid parts so the total stays live
while something is still wrong, and saves revisions to the store on top of
the revision the edits started from. A save on top of a revision that is no
longer the latest is refused by the store; the session then keeps the edits
and says so, instead of overwriting someone else's work. It also answers
what the widgets show and offer beyond the raw values: a clause's live score,
the hint its KPIs give, and the files to download.

``Session`` is put together from one part per responsibility, each in its
module: ``editing`` (the draft: raw values at field paths, no I/O), ``kpis``
(the KPI grid's edits), ``checking`` (the checked document as the page shows
it) and ``writing`` (word counts and feedback hints), ``rights`` (who may
change what), ``saving`` (saves, merges, conflicts, autosave, refresh,
against a ``keepers.Keeper``), ``judging`` (assessment rounds), ``files``
(downloads), ``leading`` (the team's progress, assignments and due dates),
``changes`` (others' changes told in words, the history by working spell),
``plan`` (the improvement plan's edits and the 改进计划 tab's view of it) and
``attaching`` (evidence files, and the Word 自评报告 and package for the lead).
The observer API is the façade's: ``observe(callback)`` is
called with the path of every change.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import os
from typing import Any, Callable

from ...document import check_partial
from ...errors import Problem, QkitError
from ...merge import Conflict
from ...paths import FieldPath, field_of
from ...rubric import IndividualRubric, OrganizationRubric
from ...rubric_files import RubricIndex
from ...scoring import Scorecard, score
from ..store import Member, Store, open_for_token
from ..store import data_dir as store_dir
from .attaching import APPLICATION_FILES, Attaching
from .changes import Changes, Difference, HistoryEntry, Notice
from .checking import Checking, Summary
from .editing import Editing
from .files import EXPORTS, Files
from .judging import Judging, RoundSummary, SideBySide
from .keepers import Keeper, RoundKeeper
from .kpis import KpiEditing
from .plan import Planning
from .leading import Leading
from .rights import Rights
from .saving import AUTOSAVE_DELAY, Saving
from .typed import parse_integer, parse_names, parse_number, parse_year
from .writing import Writing


class Session(Editing, KpiEditing, Checking, Writing, Rights, Saving, Judging, Files, Planning, Leading, Changes,
              Attaching):
    """Raw document data, its problems and score, and its place in the revision history: the façade the
    widgets see, put together from the parts above. The state every part shares is set here."""

    def __init__(self, rubric: OrganizationRubric | IndividualRubric, data: dict[str, Any], *,
                 store: Store | None = None, applicant_id: Any = None, base: int | None = None,
                 index: RubricIndex | None = None, autosave_delay: float | None = AUTOSAVE_DELAY,
                 member: Member | None = None, limits: Any = None, rules: Any = None):
        self.rubric = rubric
        self.data = copy.deepcopy(data)
        self.store = store
        self.applicant_id = applicant_id
        self.base = base
        self.member = member  # who is signed in; None edits everything (a file, a script)
        self.ended = False  # the member's link was revoked or replaced: nothing more is saved or taken in
        self.alert: Problem | None = None  # what the page says once: a change refused, an unexpected failure
        self.conflicts: list[Conflict] = []  # same fields changed by someone else meanwhile, to be chosen
        self._limits, self._rules = limits, rules  # word limits (a file; the shipped ones) and feedback rules
        self._limits_file = limits if isinstance(limits, (str, os.PathLike)) else None  # what a report is told
        self._linted: tuple[Any, dict[str, list]] | None = None  # (the document linted, its warnings by clause)
        self._report_count: tuple[Any, Any] | None = None  # (the document counted, the 自评报告's WritingStatus)
        self._warned: tuple[Any, ...] | None = None  # (document, field being typed, language, messages by field)
        self._merged: tuple[int, dict[str, Any]] | None = None  # (latest revision, merged data) while choosing
        self.index = index or RubricIndex.scan()
        self.autosave_delay = autosave_delay
        self.dirty = False
        self.saved_at: dt.datetime | None = None
        self.save_error: QkitError | None = None
        self.latest_author: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._listeners: list[Callable[[FieldPath], None]] = []
        self._checked = 0  # how many times the document was checked: a state's number, for what is worked out once
        self._shown: tuple[Any, dict[str, list[Problem]]] | None = None  # (state, shown problems by field)
        self._recheck()

    @classmethod
    def open(cls, rubric: OrganizationRubric | IndividualRubric, data_dir: str | None, query_string: str | None,
             **kwargs: Any) -> "Session | None":
        """The session for the link's access key, or None when the key opens nothing in this workbook."""
        opened = open_for_token(data_dir, query_string)
        if opened is None or opened[0].rubric != rubric.id:
            return None
        applicant, revision, member = opened
        store = Store(store_dir(data_dir))
        if member.role == "assessor":  # an assessor scores alone, in a layer of their own
            store = RoundKeeper(store, applicant.id, member, "independent")
            revision = store.latest()
        session = cls(rubric, revision.data, store=store, applicant_id=applicant.id,
                      base=revision.number, member=member, **kwargs)
        session.saved_at = revision.created_at
        if member.role == "assessor":  # the lead sees who has opened their page, and who has not
            store.store.mark_opened(applicant.id, member)
        return session

    def observe(self, callback: Callable[[FieldPath], None]) -> None:
        """Call ``callback(path)`` after every change; ``()`` means the whole document."""
        self._listeners.append(callback)

    def _changed(self, path: FieldPath, checked: bool = False) -> None:
        self.editing = path
        if not checked:
            self._recheck()
        self.dirty = True
        self._schedule_autosave()
        for callback in list(self._listeners):
            callback(path)

    def _recheck(self) -> None:
        self._checked += 1
        self.document, self.problems = check_partial(self.data, self.index)
        self.scorecard: Scorecard | None = score(self.document, self.rubric) if self.document else None


__all__ = ["APPLICATION_FILES", "AUTOSAVE_DELAY", "Difference", "EXPORTS", "HistoryEntry", "Keeper", "Notice", "RoundKeeper", "RoundSummary",
           "Session", "SideBySide", "Summary", "field_of", "parse_integer", "parse_names", "parse_number", "parse_year"]
