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
"""

from __future__ import annotations

import asyncio
import copy
import os
import dataclasses
import datetime as dt
import re
import sqlite3
import sys
import tempfile
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any, Callable

import yaml

from ..document import TOP_FIELDS, check_partial
from ..errors import Problem, QkitError
from ..i18n import join_list, tr
from ..rubric import IndividualRubric, OrganizationRubric, RubricIndex
from ..scoring import ClauseScore, Scorecard, score
from ..merge import Conflict, resolve
from .. import rounds
from .store import AccessEnded, Member, MergeConflict, NotAllowed, Revision, Store, open_for_token
from .store import data_dir as store_dir
from ..i18n import fmt_band
from . import access, places

if TYPE_CHECKING:
    from ..analytics import LetciHint
    from ..lint import LintWarning
    from ..narrative import Limits, PartStatus

Path = tuple[Any, ...]
AUTOSAVE_DELAY = 1.0
TYPED = ("key_themes",)  # parts typed as free text (clause ids in a theme): kept as typed and flagged, never refused
# problems the form's own inputs cannot cause (lists of allowed values, fixed fields, typed text within
# MAX_TEXT): a change causing one can only come from a tampered page, and is refused
REFUSED = {"score_step", "factor_band", "unknown_factor", "unknown_clause", "unknown_field", "unknown_prompt",
           "better", "results_clause", "too_long", "not_mapping", "not_list", "not_text", "no_factors", "no_profile",
           "lone_surrogate"}
# what a change under clauses/<id>/ can alter in the scorecard and its priorities
SCORED_FIELDS = ("score", "factors", "ofis", "notes")
LISTS = ("results", "strengths", "ofis", "evidence", "assessors")  # the document's lists, by field name
EXPORTS = ("yaml", "excel", "report")  # the files the form offers for download
PRIORITIES = 5  # clauses the summary lists as priorities
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def field_of(path: Path) -> str:
    """The field path ``qkit validate`` prints: list positions count from 1 (years stay years)."""
    return "/".join(str(p + 1) if isinstance(p, int) and i and path[i - 1] in LISTS else str(p)
                    for i, p in enumerate(path))


def parse_number(text: str) -> float | int | str | None:
    """A typed number as data; text that is not a number is kept so the check can name it.

    So is text that float() reads as NaN or infinity (nan, inf, Infinity, 1e999): no value in a form is one.
    """
    import math

    text = text.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and "." not in text else number


def parse_integer(text: str) -> int | str | None:
    value = parse_number(text)
    return value if not isinstance(value, float) else text.strip()


def parse_year(text: str) -> int | str:
    """A typed year as the document check reads one (2025, 2025年); anything else is kept as typed, to be named."""
    from ..document import as_year

    text = str(text).strip()
    year = as_year(text)
    return text if year is None else year


def parse_names(text: str) -> list[str]:
    """Names typed in one line, separated the ways people separate them."""
    for sep in "，、;；":
        text = text.replace(sep, ",")
    return [name.strip() for name in text.split(",") if name.strip()]


class RoundKeeper:
    """Keeps a session in an assessment round, with the store's interface (``latest``, ``save``).

    The session holds the round's document: the application as the team wrote
    it, read-only, with the round's judgement over it (``qkit.rounds``); a save
    keeps the judgement alone and never touches the application. The round
    is an assessor's own layer (``independent``: only they write it, so a save
    never merges) or the ``consensus`` (the lead's; saves merge as the
    application's do).
    """

    def __init__(self, store: Store, applicant_id: int, member: Member, round_name: str):
        self.store, self.applicant_id, self.member, self.round = store, applicant_id, member, round_name
        self.submitted = False

    def _record(self):
        if self.round == "independent":
            return self.store.layer(self.applicant_id, self.member)
        return self.store.consensus(self.applicant_id)

    def _revision(self, record) -> Revision:
        self.submitted = record.submitted
        return Revision(self.applicant_id, record.number, None, record.created_at,
                        self.store.round_document(self.applicant_id, record), record.note, "", author=record.author)

    def latest(self, _applicant: Any = None) -> Revision:
        return self._revision(self._record())

    def member_now(self, member: Member) -> Member:
        return self.store.member_now(member)

    def save(self, _applicant: Any, data: dict[str, Any], base: int, note: str = "", author: Any = None,
             merging: bool = True) -> Revision:
        if self.round == "independent":
            return self._revision(self.store.save_layer(self.applicant_id, self.member, data))
        try:
            return self._revision(self.store.save_consensus(self.applicant_id, data, base, author=self.member))
        except MergeConflict as exc:  # the conflicts lie in the judgement: the page keeps the application around it
            application = self.store.latest(self.applicant_id).data
            latest = dataclasses.replace(exc.latest, data=rounds.overlay(application, exc.latest.data, True))
            raise MergeConflict(latest, rounds.overlay(application, exc.merged, True), exc.conflicts) from None

    def submit(self, data: dict[str, Any]) -> None:
        self.store.save_layer(self.applicant_id, self.member, data, submit=True)
        self.submitted = True


class Session:
    """Raw document data, its problems and score, and its place in the revision history."""

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
        self._warned: tuple[Any, ...] | None = None  # (document, field being typed, language, messages by field)
        self._merged: tuple[int, dict[str, Any]] | None = None  # (latest revision, merged data) while choosing
        self.index = index or RubricIndex.scan()
        self.autosave_delay = autosave_delay
        self.dirty = False
        self.saved_at: dt.datetime | None = None
        self.save_error: QkitError | None = None
        self.latest_author: str | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._listeners: list[Callable[[Path], None]] = []
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
        return session

    @property
    def judging(self) -> bool:
        """A round's document: what is edited is the round's judgement, never the application around it."""
        return isinstance(self.store, RoundKeeper)

    @property
    def assessing(self) -> bool:
        """An assessor's own layer (hidden from the other assessors until handed in)."""
        return self.judging and self.store.round == "independent"

    @property
    def agreeing(self) -> bool:
        """The consensus, as the lead builds it."""
        return self.judging and self.store.round == "consensus"

    @property
    def submitted(self) -> bool:
        return self.assessing and self.store.submitted

    def submit(self) -> bool:
        """Hand the assessor's layer to the lead; it is saved first and does not change afterwards."""
        if not self.assessing or self.submitted or not self.save():
            return False
        self.store.submit(self.data)
        self._notify_saved()
        for callback in list(self._listeners):
            callback(("_submitted",))
        return True

    def layers(self) -> list:
        """The assessors' layers handed in so far in this cycle, as (assessor, document) pairs: what the lead's
        consensus view lays side by side. None for anyone else."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            return []
        return [(r.assessor.name, self.store.round_document(self.applicant_id, r))
                for r in self.store.submitted_layers(self.applicant_id)]

    def assessors(self) -> list:
        """Every assessor's layer in this cycle (for the lead): who has saved, handed in, been sent back."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            return []
        return self.store.layers(self.applicant_id)

    def reopen(self, assessor: str, reason: str) -> bool:
        """Hand an assessor's layer back to them (the lead), with the reason kept beside it."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            self._say(Problem("", "reopen_leads_only"))
            return False
        try:
            self.store.reopen_layer(self.applicant_id, assessor, reason, author=self.member)
        except AccessEnded:
            self._end()
            return False
        except QkitError as exc:
            self._say(exc.problems[0])
            return False
        return True

    def side_by_side(self) -> "SideBySide | None":
        """The layers handed in, checked, with their scores side by side (``qkit.consensus``); None with fewer
        than two."""
        from ..consensus import compare_assessors

        pairs = [(name, check_partial(doc, self.index)[0]) for name, doc in self.layers()]
        pairs = [(name, doc) for name, doc in pairs if doc is not None]
        if len(pairs) < 2:
            return None
        names, docs = [n for n, _ in pairs], [d for _, d in pairs]
        return SideBySide(names, docs, compare_assessors(docs, self.rubric, names, names=names))

    def proposal(self) -> dict[str, Any] | None:
        """What the consensus discussion starts from: medians where nothing is flagged, comments merged."""
        from ..consensus import consensus_document

        side = self.side_by_side()
        return None if side is None else consensus_document(side.docs, self.rubric, side.names)

    def rounds(self) -> list["RoundSummary"]:
        """Every cycle's assessment rounds saved so far, newest cycle first, each scored (for the lead's 历史)."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            return []
        found = []
        for cycle in reversed(self.store.cycles(self.applicant_id)):
            records = [self.store.consensus(self.applicant_id, cycle.number),
                       *self.store.layers(self.applicant_id, cycle.number)]
            for record in (r for r in records if r.number):
                document = check_partial(self.store.round_document(self.applicant_id, record), self.index)[0]
                card = score(document, self.rubric) if document is not None else None
                found.append(RoundSummary(cycle, record, card))
        return found

    def consensus(self) -> "Session | None":
        """The lead's session of this cycle's consensus: the application read-only, the agreed judgement
        edited and saved apart from it. None for anyone else."""
        if self.member is None or self.member.role != "lead" or not isinstance(self.store, Store):
            return None
        keeper = RoundKeeper(self.store, self.applicant_id, self.member, "consensus")
        revision = keeper.latest()
        session = Session(self.rubric, revision.data, store=keeper, applicant_id=self.applicant_id,
                          base=revision.number, index=self.index, autosave_delay=self.autosave_delay,
                          member=self.member, limits=self._limits_file or self._limits, rules=self._rules)
        session.saved_at = revision.created_at
        return session

    def adopt(self, proposal: dict[str, Any], assessors: list[str]) -> None:
        """Take a consensus proposal (``qkit.consensus.consensus_document``) into the consensus being agreed.

        Clauses already agreed (scored, not merely proposed) keep what the lead
        agreed; the others take the proposal: the median as a proposed score,
        every independent score, the merged comments with their authors.
        """
        if not self.agreeing:
            self._say(Problem("", "consensus_leads_only"))
            return
        clauses = self.data.get("clauses") if isinstance(self.data.get("clauses"), dict) else {}
        for cid, entry in (proposal.get("clauses") or {}).items():
            current = clauses.get(cid) if isinstance(clauses.get(cid), dict) else {}
            if current.get("score") is not None and not current.get("proposed"):
                current["independent"] = entry.get("independent", {})
                continue
            kept = {k: v for k, v in current.items() if k in rounds.WRITTEN or k == "self_score"}
            clauses[cid] = {**kept, **{k: v for k, v in entry.items() if k in rounds.JUDGED}}
        self.data["clauses"] = clauses
        self.data["assessment"] = {**(self.data.get("assessment") or {}), "assessors": list(assessors),
                                   "stage": rounds.STAGES["consensus"]}
        self._changed(())

    def confirm(self, clause_id: str) -> None:
        """The lead agrees a proposed score as it stands: it is proposed no longer."""
        if self._allowed(("clauses", clause_id, "proposed")) is None and self.value(("clauses", clause_id, "proposed")):
            del self.data["clauses"][clause_id]["proposed"]
            self._changed(("clauses", clause_id, "proposed"))

    # --- reading -------------------------------------------------------------

    def value(self, path: Path, default: Any = None) -> Any:
        node: Any = self.data
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return default
        return default if node is None else node

    def messages(self, path: Path, lang: str = "zh") -> list[str]:
        """What the form flags at exactly this field, naming the field as the form shows it."""
        return [self.describe(p, lang) for p in self._shown_by_field().get(field_of(path), [])]

    def _shown_by_field(self) -> dict[str, list[Problem]]:
        """``shown_problems`` by field, worked out once per state: a form asks for every field and grid row,
        and a KPI grid of thousands of cells would otherwise walk every year for each one."""
        key = (self._checked, self.editing)
        if self._shown is None or self._shown[0] != key:
            by_field: dict[str, list[Problem]] = {}
            for problem in self.shown_problems:
                by_field.setdefault(problem.field, []).append(problem)
            self._shown = (key, by_field)
        return self._shown[1]

    def all_messages(self, lang: str = "zh") -> list[str]:
        return [self.describe(p, lang) for p in self.shown_problems]

    # --- what the form flags, in the person's words --------------------------

    editing: Path | None = None  # the field changed last: an entry or year row the person is filling in

    @property
    def shown_problems(self) -> list[Problem]:
        """The document's problems, then the form's notices about KPI years.

        An entry (or a year row) just added or still being filled in is not
        called empty until the person has moved on to another field.
        """
        held = field_of(self.editing) if self.editing else None
        shown = [p for p in self.problems if not (p.code == "empty_text" and p.field == held)]
        return shown + self.notices()

    def notices(self) -> list[Problem]:
        """KPI years after the assessment year, and year rows without any value (flagged, never dropped)."""
        found = []
        anchor = self.assessment_year()
        results = self.value(("results",), [])
        for i, raw in enumerate(results if isinstance(results, list) else []):
            if not isinstance(raw, dict):
                continue
            series = self.kpi_series(i)
            for key in dict.fromkeys(k for s in series for k in s):
                where = field_of(("results", i, "years", key))
                year = places.year_of(key)
                if year is not None and year > anchor:
                    found.append(Problem(where, "future_year", params={"year": anchor}))
                editing = self.editing or ()
                filling = editing[:2] == ("results", i) and len(editing) > 2 and editing[-1] == key
                if not filling and all(s.get(key) in (None, "") for s in series):
                    found.append(Problem(where, "empty_year"))
        return found

    def describe(self, problem: Problem, lang: str = "zh") -> str:
        """A problem with its field named as on screen (``qkit.web.places``); the CLI keeps field paths."""
        return places.describe(problem, self.rubric, self.data, lang)

    def place(self, path: Path, lang: str = "zh") -> str:
        return places.place(self.rubric, self.data, path, lang)

    def path_of(self, field: str) -> Path:
        """The document keys of a problem's field path."""
        return places.path_of(field, self.data)

    def flag_text(self, clause_id: str, lang: str = "zh") -> str:
        """Why a clause's score should be looked at again, in the form's words; empty when it is fine."""
        scored = self.clause_score(clause_id)
        return places.flag_text(scored.flag if scored else None, lang)

    def settle(self) -> None:
        """The person has left what they were filling in (another tab, say): flag it as it stands."""
        if self.editing is not None:
            self.editing = None
            for callback in list(self._listeners):
                callback(("_settled",))

    # --- the summary -----------------------------------------------------------

    def summary(self, lang: str = "zh", top: int = PRIORITIES) -> "Summary | None":
        """What the summary tab shows; None while the document cannot be scored.

        While clauses remain unscored, the band is read from the scored clauses
        alone and said to be provisional, with what it rests on; the unscored
        clauses are listed apart, never among the priorities.
        """
        card = self.scorecard
        if card is None:
            return None
        maturity = card.maturity if card.complete else card.scored_maturity
        band = None
        if maturity is not None:
            band = fmt_band(maturity.band) if maturity.band else tr("below_described", lang, band=fmt_band(maturity.below))
        provisional = ""
        if not card.complete and maturity is not None:
            scored = len(card.clauses) - len(card.missing)
            provisional = tr("wb_provisional", lang, scored=scored, all=len(card.clauses), points=card.scored_points,
                             max=card.max)
        level = {"maturity": tr("maturity", lang), "overall_level": tr("overall_level", lang)}
        return Summary(card, level[self.rubric.words["maturity"]], band, provisional, card.priorities(top),
                       card.unscored)

    @property
    def name(self) -> str:
        return str(self.value(("applicant", "name"), ""))

    @property
    def results_clauses(self) -> list[str]:
        """Clauses a KPI can support: results clauses, or every individual-award indicator."""
        return [c.id for c in self.rubric.results_clauses]

    def clause_score(self, clause_id: str) -> ClauseScore | None:
        """The clause's line in the live scorecard; None while the document cannot be scored."""
        if self.scorecard is None:
            return None
        return next((c for c in self.scorecard.clauses if c.id == clause_id), None)

    def data_hint(self, clause_id: str, lang: str = "zh") -> LetciHint | None:
        """What the clause's KPIs suggest for its results factors (``qkit.analytics``): advice, not a score.

        None when the standard gives this clause no hint; the suggested band is
        left out while the clause has no KPIs, so only the sentences saying so remain.
        """
        from ..analytics import analyze_kpi, draft_hint  # pandas: loaded when a results clause is shown

        clause = self.rubric.clause(clause_id)
        kpis = self.document.kpis(clause_id) if self.document else []
        if clause is None or not self.rubric.hints_for(clause, bool(kpis)):
            return None
        hint = draft_hint([analyze_kpi(k) for k in kpis], self.rubric, lang)
        return hint if kpis else dataclasses.replace(hint, band=None)

    # --- the 自评报告 and the feedback's quality: hints for the writer, never problems ---------

    @property
    def limits(self) -> "Limits":
        """The word limits of this standard: the file given to the session, else the shipped ``limits.yaml``."""
        from ..narrative import Limits, load_limits

        if not isinstance(self._limits, Limits):
            limits = self._limits if hasattr(self._limits, "for_rubric") else load_limits(self._limits)
            self._limits = limits.for_rubric(self.rubric.id)
        return self._limits

    def writing(self, part: str) -> "PartStatus | None":
        """The narrative of the profile (``5.1``) or of a clause as typed, measured as ``qkit validate`` does.

        Its count in Word's 字数 (``qkit.markup``), its limit, whether it is over,
        and the sub-points it does not appear to address (``unaddressed``;
        none while nothing is written). None for a part the standard lacks.
        """
        from ..narrative import part_status

        profile = self.rubric.profile
        if profile is not None and part == profile.id:
            entry, path, limit = profile, ("profile", "narrative"), self.limits.ids.get(part, self.limits.profile)
        else:
            entry, path = self.rubric.clause(part), ("clauses", part, "narrative")
            if entry is None:
                return None
            limit = self.limits.of_clause(part)
        text = self.value(path, "")
        return part_status(entry, field_of(path), text if isinstance(text, str) else "", limit)

    def feedback(self, clause_id: str) -> list["LintWarning"]:
        """The feedback-quality warnings of ``qkit validate --lint`` about one clause's comments.

        A warning's ``number`` is the position of its comment in the list as
        the form shows it (entries still empty count too). The document is
        linted once after each change, and only when asked (under a
        millisecond for a whole sample document).
        """
        from ..lint import Rules, lint

        if self.document is None:
            return []
        if self._linted is None or self._linted[0] is not self.document:
            if not isinstance(self._rules, Rules):
                self._rules = Rules.load(self._rules)
            by_clause: dict[str, list] = {}
            for found in lint(self.document, self.rubric, self._rules):
                by_clause.setdefault(found.clause, []).append(self._shown_at(found))
            self._linted = (self.document, by_clause)
        return self._linted[1].get(clause_id, [])

    def _shown_at(self, found: "LintWarning") -> "LintWarning":
        """The warning numbered by the comment's place in the typed list (the document leaves empty entries out)."""
        if not found.number:
            return found
        kept = [str(c) for c in getattr(self.document.rating(found.clause), found.kind)]
        raw = self.value(("clauses", found.clause, found.kind), [])
        at, n = [], 0
        for i, entry in enumerate(raw if isinstance(raw, list) else []):
            text = entry.get("text") if isinstance(entry, dict) else entry
            if n < len(kept) and text is not None and str(text) == kept[n]:
                at.append(i)
                n += 1
        return dataclasses.replace(found, number=at[found.number - 1] + 1) if found.number <= len(at) else found

    def warnings(self, path: Path, lang: str = "zh") -> list[str]:
        """The feedback-quality warnings shown at a field, with their code, in the page's language.

        At a strength or OFI (``clauses/<id>/ofis/<i>``): that comment's
        warnings; a comment being typed is not called too short until the
        person moves on. At a list (``clauses/<id>/evidence``): the clause's
        warnings about it (no evidence; too few or too many comments). They
        are never problems: not listed to correct, no export held back.
        """
        cached = self._warned
        if cached is None or cached[0] is not self.document or cached[1] != self.editing or cached[2] != lang:
            cached = self._warned = (self.document, self.editing, lang, self._warnings_by_field(lang))
        return cached[3].get(field_of(path), [])

    def _warnings_by_field(self, lang: str) -> dict[str, list[str]]:
        names = {"strengths": tr("strengths", lang), "ofis": tr("ofis", lang), "evidence": tr("evidence", lang)}
        held = field_of(self.editing) if self.editing else None
        by_field: dict[str, list[str]] = {}
        for clause in self.rubric.clauses:
            for found in self.feedback(clause.id):
                problem = found.problem()  # at clauses/<id>/<kind>/<n>, or clauses/<id> for the clause as a whole
                if not found.number:
                    about = found.params.get("kind", "evidence")  # no_evidence is said under the evidence
                    problem = dataclasses.replace(problem, field=f"{problem.field}/{about}",
                                                  params={**problem.params, "kind": names[about]})
                elif found.code == "too_short" and problem.field == held:
                    continue
                by_field.setdefault(problem.field, []).append(problem.message(lang))
        return by_field

    # --- who may change what ---------------------------------------------------

    def who(self, lang: str = "zh") -> str:
        """Who is signed in, as the form's header says it: 王强 · 撰写人（5.2、5.3）; empty for a file."""
        member = self.member
        if member is None:
            return ""
        role = tr(f"role_{member.role}", lang)
        items = f"（{join_list(member.items, lang)}）" if member.items else ""
        return tr("signed_in_as", lang, name=member.name, role=role + items)

    def history(self) -> list:
        """The saved revisions, newest first (a store's); empty for a document file."""
        history = getattr(self.store, "history", None)
        return history(self.applicant_id) if history else []

    def restore(self, number: int, lang: str = "zh") -> bool:
        """Bring back revision ``number`` as a new revision, then show it; False when it could not be saved.

        Only a lead restores (the store checks it too, against the member as they stand now)."""
        if self.ended or (self.member is not None and self.member.role != "lead"):
            self._say(Problem("", "restore_leads_only"))
            return False
        try:
            self.store.restore(self.applicant_id, number, base=self.store.latest(self.applicant_id).number,
                               lang=lang, author=self.member)
        except AccessEnded:
            self._end()
            return False
        except QkitError as exc:
            self.save_error = exc
            self._notify_saved()
            return False
        self.dirty = False
        self.refresh()
        return True

    def editable(self, path: Path) -> bool:
        """Whether the signed-in member may change the field at ``path``.

        A lead, an assessor and a writer without assigned items edit everything;
        a writer with items edits the clauses of those items, the KPIs that
        support them, and the profile when 5.1 is assigned.
        """
        if self.judging:  # a round's judgement: the clauses' scores and comments and the key themes, nothing else
            judged = path[:1] == ("key_themes",) or (path[:1] == ("clauses",) and (len(path) < 3
                                                                                 or path[2] in rounds.JUDGED))
            return judged and not self.submitted
        return access.may_edit(self.rubric, self.member, self.data, path)

    def item_of(self, path: Path) -> str | None:
        """The item (5.1 for the profile) a field belongs to; None for the applicant's details."""
        return access.item_of(self.rubric, self.data, path)

    def failed(self) -> None:
        """Something went wrong that nobody foresaw (the caller logged it): the page says so in words."""
        self._say(Problem("", "unexpected_error"))

    def _say(self, problem: Problem) -> Problem:
        """What the page says once (``alert``): a change refused (the document stays as it was), a failure."""
        self.alert = problem
        for callback in list(self._listeners):
            callback(("_alert",))
        return problem

    def _broken(self, path: Path, *texts: Any) -> Problem | None:
        """A lone surrogate in typed text (the form cannot send one; a tampered page can): refused, said."""
        for text in texts:
            char = next((c for c in str(text) if "\ud800" <= c <= "\udfff"), None)
            if char is not None:
                return self._say(Problem(field_of(path), "lone_surrogate", params={"char": f"U+{ord(char):04X}"}))
        return None

    def _allowed(self, path: Path) -> Problem | None:
        """None when the member may change the field at path, else the refusal (said on the page)."""
        if self.editable(path):
            return None
        if self.member is not None and self.member.role == "writer":
            return self._say(Problem(field_of(path), "not_your_item", params={"items": join_list(self.member.items)}))
        return self._say(Problem(field_of(path), "not_your_document",
                                    params={"role": self.member.role if self.member else ""}))

    # --- changing ------------------------------------------------------------

    def observe(self, callback: Callable[[Path], None]) -> None:
        """Call ``callback(path)`` after every change; ``()`` means the whole document."""
        self._listeners.append(callback)

    def set(self, path: Path, value: Any) -> Problem | None:
        """Put a value at a path; an empty value removes a mapping's field.

        What a person types is kept even when it is wrong (and flagged). A
        change the form's own inputs cannot make (a score of 33 from the
        score list, a clause the standard does not have, an overlong text)
        can only come from a tampered page: it is refused, with the problem
        ``qkit validate`` would report, and the document stays as it was.
        """
        refused = self._allowed(path)
        if refused is not None:
            return refused
        before = copy.deepcopy(self.data)
        parent = self._container(path[:-1], path[-1])
        key = path[-1]
        if isinstance(parent, dict) and value in (None, "", [], {}):
            if key not in parent:
                return None
            del parent[key]
        else:
            if _equal(_get(parent, key), value):
                return None
            if isinstance(parent, list) and key == len(parent):
                parent.append(value)
            else:
                parent[key] = value
        if self.agreeing and path[0] == "clauses" and path[2:] == ("score",) and isinstance(parent, dict):
            parent.pop("proposed", None)  # a score the lead set is agreed, not proposed
        known = {(p.field, p.code) for p in self.problems}
        self._recheck()
        where = field_of(path)
        refused = None if path[0] in TYPED else next(
            (p for p in self.problems if p.code in REFUSED and (p.field, p.code) not in known
             and (p.field == where or p.field.startswith(where + "/") or where.startswith(p.field + "/"))), None)
        if refused is not None:
            self.data = before
            self._recheck()
            return self._say(refused)
        self._changed(path, checked=True)
        return None

    def append(self, path: Path, value: Any) -> int:
        """Add an entry to the list at path; returns its position (-1 when the member may not change it)."""
        entry = path + (len(self.value(path, []) or []),)
        if self._allowed(entry if path != ("results",) else ("clauses", value.get("clause", "")
                                                             if isinstance(value, dict) else "")):
            return -1
        entries = self.value(path)
        entries = list(entries) if isinstance(entries, list) else []
        entries.append(value)
        self.data_at(path[:-1])[path[-1]] = entries
        self._changed(path + (len(entries) - 1,))  # the new entry is what the person fills in next
        return len(entries) - 1

    def remove(self, path: Path) -> None:
        """Remove the list entry at path (its last key is the position)."""
        if self._allowed(path):
            return
        entries = self.value(path[:-1])
        if isinstance(entries, list) and 0 <= path[-1] < len(entries):
            del entries[path[-1]]
            if not entries:
                del self.data_at(path[:-2])[path[-2]]
            self._changed(path[:-1])
            self.editing = None

    def data_at(self, path: Path) -> Any:
        node = self.data
        for key in path:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        return node

    def add_kpi(self, clause: str | None = None) -> int:
        """A new KPI, by default under the first results clause the member writes; -1 when refused."""
        if clause is None:
            mine = [c for c in self.results_clauses if self.editable(("clauses", c))]
            clause = (mine or self.results_clauses)[0]
        return self.append(("results",), {"clause": clause, "name": "", "values": {}})

    def assessment_year(self) -> int:
        """The year of the assessment date; this year while no date is filled in."""
        date = self.value(("assessment", "date"))
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date.strip())
            except ValueError:
                date = None
        return date.year if isinstance(date, dt.date) else dt.date.today().year

    def add_year(self, kpi: int) -> int | None:
        """Add an empty row for the latest year before the assessment year that the KPI lacks.

        Pressed again and again it goes back a year at a time (2025, 2024,
        2023 … for an assessment in 2026), filling any gap on the way. None when the member may not.
        """
        if self._allowed(("results", kpi)):
            return None
        raw = self.data_at(("results", kpi))
        values = raw.get("values") if isinstance(raw.get("values"), dict) else {}
        present = {places.year_of(key) for s in self.kpi_series(kpi) for key in s}
        year = self.assessment_year() - 1
        while year in present:
            year -= 1
        raw["values"] = {**values, year: None}
        self._changed(("results", kpi, "years", year))
        return year

    def set_kpi_value(self, kpi: int, series: Path, year: Any, text: str) -> None:
        """A value typed into the year grid; a cleared cell keeps its year (an empty row is flagged, not lost).

        ``series`` is ``("values",)`` for the KPI's own values or ``("comparisons", name)``.
        """
        path = ("results", kpi, *series, year)
        if self._allowed(("results", kpi)) or self._broken(path, text, *series):
            return
        value = parse_number(text)
        parent = self._container(path[:-1], year)
        if year in parent and _equal(parent[year], value):
            return
        parent[year] = value
        self._changed(path)

    def paste_row(self, kpi: int, series: Path, years: list[Any], text: str) -> list[Any] | None:
        """A row of values copied from Excel (tab-separated) pasted into one cell of the grid.

        The values fill ``years`` in order (the pasted row's year and the rows
        below it); when there are more values than rows, later years are
        added. Returns the years filled, or None when the text is one value (or may not be changed).
        """
        if self._allowed(("results", kpi)) or self._broken(("results", kpi), text, *series):
            return None
        cells = [cell.strip() for cell in re.split(r"\t|\r?\n", text.strip("\r\n"))]
        if len(cells) < 2:  # a column pasted into a one-line box arrives with spaces between the values
            cells = text.split()
        if len(cells) < 2:
            return None
        years = list(years[:len(cells)])
        known = [y for y in (places.year_of(k) for s in self.kpi_series(kpi) for k in s) if y is not None]
        while len(years) < len(cells):
            known.append(max(known) + 1 if known else self.assessment_year() - 1)
            years.append(known[-1])
        parent = self._container(("results", kpi, *series), years[0])
        for year, cell in zip(years, cells):
            parent[year] = parse_number(cell)
        self._changed(("results", kpi, *series))
        return years

    def remove_year(self, kpi: int, year: Any) -> None:
        """Remove a year row: the KPI's value and every comparison's for that year."""
        if self._allowed(("results", kpi)):
            return
        for s in self.kpi_series(kpi):
            s.pop(year, None)
        self._changed(("results", kpi, "values"))
        self.editing = None

    def remove_series(self, kpi: int, name: str) -> None:
        """Remove a comparison series with its values."""
        if self._allowed(("results", kpi)):
            return
        raw = self.data_at(("results", kpi))
        comparisons = raw.get("comparisons")
        if isinstance(comparisons, dict) and name in comparisons:
            del comparisons[name]
            if not comparisons:
                del raw["comparisons"]
            self._changed(("results", kpi, "comparisons"))
            self.editing = None

    def series_names(self, lang: str = "zh") -> list[str]:
        """The comparison series people usually have, offered as choices for a series' name."""
        return [tr("wb_series_benchmark", lang), tr("wb_series_competitor", lang), tr("wb_series_average", lang)]

    def add_series(self, kpi: int, name: str) -> str | None:
        """Add a comparison series (a benchmark, a competitor) with a free name; None when the member may not."""
        if self._allowed(("results", kpi)) or self._broken(("results", kpi, "comparisons"), name):
            return None
        raw = self.data_at(("results", kpi))
        comparisons = raw.get("comparisons") if isinstance(raw.get("comparisons"), dict) else {}
        n, unique = 1, name
        while unique in comparisons:
            n += 1
            unique = f"{name} {n}"
        raw["comparisons"] = {**comparisons, unique: {}}
        self._changed(("results", kpi, "comparisons"))
        return unique

    def set_year(self, kpi: int, old: Any, new_text: str) -> Problem | None:
        """Move one KPI's values (its own and every comparison's) from one year to another."""
        refused = self._allowed(("results", kpi)) or self._broken(("results", kpi, "years", old), new_text)
        if refused is not None:
            return refused
        new = parse_year(new_text)
        if new == old:
            return None
        series = self.kpi_series(kpi)
        if any(new in s for s in series):
            return Problem(field_of(("results", kpi, "years", old)), "duplicate_year", new)
        for s in series:
            if old in s:
                s[new] = s.pop(old)
        self._changed(("results", kpi, "years", new))
        return None

    def rename_series(self, kpi: int, old: str, new: str) -> Problem | None:
        """Rename a comparison series, keeping its place and values."""
        refused = self._allowed(("results", kpi)) or self._broken(("results", kpi, "comparisons"), new)
        if refused is not None:
            return refused
        new = new.strip()
        comparisons = self.value(("results", kpi, "comparisons"), {})
        if new == old or not isinstance(comparisons, dict):
            return None
        if not new or new in comparisons:
            return Problem(field_of(("results", kpi, "comparisons")), "series_name", new)
        self.data_at(("results", kpi))["comparisons"] = {new if k == old else k: v for k, v in comparisons.items()}
        self._changed(("results", kpi, "comparisons"))
        return None

    def kpi_series(self, kpi: int) -> list[dict]:
        """The KPI's own values and each comparison series, as stored."""
        raw = self.value(("results", kpi), {})
        if not isinstance(raw, dict):
            return []
        comparisons = raw.get("comparisons") if isinstance(raw.get("comparisons"), dict) else {}
        return [s for s in [raw.get("values"), *comparisons.values()] if isinstance(s, dict)]

    def import_kpis(self, kpis: list[dict[str, Any]]) -> tuple[int, int]:
        """Merge imported KPIs: same clause and name updates the KPI, others are added.

        KPIs of clauses the member does not write are left out, and the page
        says which (``alert``).
        """
        results = self.value(("results",))
        results = results if isinstance(results, list) else []
        by_key = {}
        for r in results:
            if isinstance(r, dict):
                by_key.setdefault((r.get("clause"), r.get("name")), r)
        updated = added = 0
        refused = []
        for kpi in kpis:
            if not self.editable(("clauses", str(kpi.get("clause", "")))):
                refused.append(str(kpi.get("name", "")))
                continue
            match = by_key.get((kpi.get("clause"), kpi.get("name")))
            if match is None:
                results.append(kpi)
                by_key[(kpi.get("clause"), kpi.get("name"))] = kpi
                added += 1
                continue
            for key, value in kpi.items():
                if key in ("values", "comparisons") and isinstance(match.get(key), dict):
                    merged = match[key]
                    for sub, points in value.items():
                        if key == "comparisons" and isinstance(merged.get(sub), dict):
                            merged[sub].update(points)
                        else:
                            merged[sub] = points
                else:
                    match[key] = value
            updated += 1
        if added or updated:
            self.data["results"] = results
            self._changed(("results",))
        if refused:
            self._say(Problem("results", "kpis_not_yours", params={
                "names": join_list(refused[:5]) + ("…" if len(refused) > 5 else ""), "n": len(refused),
                "items": join_list(self.member.items) if self.member is not None else ""}))
        return added, updated

    def _container(self, path: Path, key: Any) -> Any:
        node: Any = self.data
        for i, part in enumerate(path):
            following = path[i + 1] if i + 1 < len(path) else key
            if isinstance(node, dict):
                if not isinstance(node.get(part), (dict, list)):
                    node[part] = [] if isinstance(following, int) else {}
                node = node[part]
            else:
                node = node[part]
        return node

    def _changed(self, path: Path, checked: bool = False) -> None:
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

    def yaml(self) -> str:
        """The document as a file: tidy when it passes the checks, else exactly what was typed."""
        if self.document is not None and not self.problems:
            return self.document.to_yaml()
        return yaml.safe_dump(self.data, allow_unicode=True, sort_keys=False, width=1000)

    @property
    def file_stem(self) -> str:
        """The exported files' name: the applicant's short name (or name) and the standard's id."""
        name = self.value(("applicant", "short_name")) or self.name or self.rubric.id
        return re.sub(r"[\\/:*?\"<>|\s]+", "-", str(name)).strip("-") + "-" + self.rubric.id

    def export(self, kind: str, lang: str = "zh") -> tuple[str, bytes, str]:
        """One of ``EXPORTS`` as a file: its name, bytes and media type.

        The document (yaml) is always given, as typed; the Excel workbook needs
        a scorecard and the report a document without problems, else QkitError
        lists the problems.
        """
        if self.ended:
            raise QkitError(Problem("", "access_revoked"))
        stem = self.file_stem
        if kind == "yaml":
            return f"{stem}.yaml", self.yaml().encode("utf-8"), "application/x-yaml"
        if kind not in EXPORTS:
            raise ValueError(f"unknown export {kind!r}; one of {EXPORTS}")
        if self.scorecard is None or (kind == "report" and self.problems):
            raise QkitError(self.problems)
        with tempfile.TemporaryDirectory() as tmp:
            if kind == "excel":
                from ..excel import write_workbook  # the views load when a file is asked for, not with the page

                path = write_workbook(self.scorecard, FilePath(tmp) / f"{stem}.xlsx", lang)
                return path.name, path.read_bytes(), XLSX
            from ..report import make_report

            document = FilePath(tmp) / f"{stem}.yaml"
            document.write_text(self.yaml(), encoding="utf-8")
            files = make_report(document, FilePath(tmp) / "report", lang, rubric_dirs=list(self.index.extra),
                                pdf=False, limits=self._limits_file)
            return files.html.name, files.html.read_bytes(), "text/html"

    def snapshot(self) -> "Session":
        """The document as it is now in a session of its own, without a store: what a report is made from
        while the person types on. It keeps the rubric folders, limits and rules."""
        return Session(self.rubric, self.data, index=self.index, autosave_delay=None,
                       limits=self._limits_file or self._limits, rules=self._rules)

    @staticmethod
    def affects_score(path: Path) -> bool:
        """Whether a change at path can alter the scorecard or the priorities."""
        if not path or path[0] != "clauses":
            return path in ((), ("applicant",), ("applicant", "name"))
        return len(path) < 3 or path[2] in SCORED_FIELDS

    # --- saving --------------------------------------------------------------

    def save(self, overwrite: bool = False) -> bool:
        """Save a new revision; returns whether it was written.

        When someone else saved meanwhile, the page's edits are merged with
        theirs field by field (``qkit.merge``) and the merged document is
        saved: the page takes in the others' changes. When the same field was
        changed to different values, nothing is saved and ``conflicts`` lists
        them for the person to choose (``choose``); ``overwrite`` chooses this
        page's value for every one. Each person's saved version stays in the
        history.
        """
        self._cancel_autosave()
        if self.store is None or self.ended:
            return False
        if self.conflicts:
            if not overwrite:
                self._notify_saved()
                return False
            for _ in list(self.conflicts):
                self.choose(0, "mine", save=False)
        try:
            revision = self.store.save(self.applicant_id, copy.deepcopy(self.data), self.base, author=self.member,
                                       merging=True)
        except MergeConflict as exc:
            self.conflicts, self._merged, self.latest_author = exc.conflicts, (exc.latest.number, exc.merged), \
                exc.latest.author
            self._notify_saved()
            return False
        except AccessEnded:
            self._end()
            return False
        except NotAllowed as exc:  # the member's items changed since the page opened
            self.save_error = exc
            self._follow_member()
            self._notify_saved()
            return False
        except QkitError as exc:
            self.save_error = exc
            self._notify_saved()
            return False
        except (OSError, sqlite3.Error) as exc:  # the detail names server files: the server's log has it
            print(f"qkit: saving failed: {exc}", file=sys.stderr)
            self.save_error = QkitError(Problem("", "save_failed"))
            self._notify_saved()
            return False
        self.saved_at, self.dirty, self.save_error = revision.created_at, False, None
        if revision.data != self.data:  # merged with what others saved meanwhile: the page takes it in
            self._take(revision.number, revision.data)
        self.base = revision.number
        self._notify_saved()
        return True

    def _take(self, number: int, data: dict[str, Any]) -> None:
        """Make ``data`` (revision ``number`` plus any edits of this page) what the page shows."""
        self.data, self.base = data, number
        self._recheck()
        for callback in list(self._listeners):
            callback(())

    def choose(self, index: int, which: str, save: bool = True) -> None:
        """Settle conflict ``index``: keep ``theirs``, ``mine``, or ``both`` texts one after the other.

        When the last one is settled, the merged document is saved.
        """
        conflict = self.conflicts.pop(index)
        if which == "both" and isinstance(conflict.theirs, str) and isinstance(conflict.mine, str):
            value: Any = f"{conflict.theirs}\n{conflict.mine}"
        else:
            value = conflict.mine if which == "mine" else conflict.theirs
        number, data = self._merged
        self._merged = (number, resolve(data, conflict, value))
        if not self.conflicts:
            self._take(*self._merged)
            self._merged = None
            self.dirty = True
            if save:
                self.save()
        else:
            self._notify_saved()

    def refresh(self) -> bool:
        """Take in what others saved since this page's revision; True when the page changed.

        Only while the page has no unsaved edits: those are merged when saved;
        and only while the member's link still works (checked first, every
        time: a revoked page stops taking in others' work at once).
        """
        if self.store is None or self.ended or not self._follow_member():
            return False
        if self.dirty or self.conflicts:
            return False
        latest = self.store.latest(self.applicant_id)
        if latest.number == self.base:
            return False
        self.saved_at, self.latest_author = latest.created_at, latest.author
        self._take(latest.number, latest.data)
        return True

    def _end(self) -> None:
        """The member's access has ended: stop saving and taking in; what the page holds stays for copying."""
        self.ended = True
        self._cancel_autosave()
        self._notify_saved()

    def _follow_member(self) -> bool:
        """Take in the member as they stand in the store now; False (and the page ended) when their link no
        longer works. A change of role or items is said on the page and counts from now on."""
        if self.member is None or not hasattr(self.store, "member_now"):
            return True
        try:
            now = self.store.member_now(self.member)
        except AccessEnded:
            self._end()
            return False
        if (now.role, now.items) != (self.member.role, self.member.items):
            self.member = now
            for callback in list(self._listeners):
                callback(("_access",))
        return True

    def status(self, lang: str = "zh") -> tuple[str, str]:
        """What the save indicator says: (state, text); state is saved, unsaved, conflict, error or ended."""
        if self.ended:
            return "ended", tr("access_revoked", lang)
        if self.conflicts:
            return "conflict", tr("merge_conflicts", lang, n=len(self.conflicts), latest=self._merged[0],
                                  author=self.latest_author or tr("someone_else", lang))
        if self.save_error is not None:
            return "error", "；".join(self._said(p, lang) for p in self.save_error.problems)
        if self.dirty:
            return "unsaved", tr("unsaved", lang)
        when = self.saved_at.strftime("%H:%M:%S") if self.saved_at else ""
        return "saved", tr("saved_revision", lang, number=self.base, time=when)

    def _said(self, problem: Problem, lang: str) -> str:
        """A save's problem in the page's words: a document field as on screen; a server's own field (its
        data folder, its database) never shown, only what went wrong."""
        if problem.field.split("/")[0] in TOP_FIELDS:
            return self.describe(problem, lang)
        return problem.message(lang)

    def _notify_saved(self) -> None:
        for callback in list(self._listeners):
            callback(("_saved",))

    def _schedule_autosave(self) -> None:
        if self.autosave_delay is None or self.store is None or self.conflicts or self.ended:
            return
        self._cancel_autosave()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script): the save button still saves
            return
        self._timer = loop.call_later(self.autosave_delay, self.flush)

    def flush(self) -> None:
        """Save edits still waiting for the autosave; a refused save keeps them in the page."""
        self._timer = None
        if self.dirty and not self.conflicts:
            self.save()

    def _cancel_autosave(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


@dataclasses.dataclass(frozen=True)
class RoundSummary:
    """One assessment round as the history lists it: its cycle, its record as last saved, its scores."""

    cycle: Any  # qkit.web.store.Cycle
    record: Any  # qkit.web.store.RoundRecord
    card: Scorecard | None


@dataclasses.dataclass(frozen=True)
class SideBySide:
    """The assessors' layers handed in: their names, their documents, and the table of their scores."""

    names: list[str]
    docs: list[Any]
    table: Any  # qkit.consensus.AssessorSpread


@dataclasses.dataclass(frozen=True)
class Summary:
    """The summary tab: the total's band (``level`` names it), what it rests on, priorities, unscored clauses."""

    card: Scorecard
    level: str
    band: str | None  # None before any clause is scored
    provisional: str  # empty once every clause is scored
    priorities: list[ClauseScore]
    unscored: list[ClauseScore]


def _get(parent: Any, key: Any) -> Any:
    try:
        return parent[key]
    except (KeyError, IndexError, TypeError):
        return None


def _equal(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b
