"""What the form flags and shows from the checked document: problems by field, the summary, live scores."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ...errors import Problem
from ...i18n import tr
from ...paths import FieldPath, as_year, field_of, path_of
from ...scoring import ClauseScore, Scorecard
from .. import places

if TYPE_CHECKING:
    from ...analytics import LetciHint

SCORED_FIELDS = ("score", "factors", "ofis", "notes")  # what a change under clauses/<id>/ can alter in the scorecard
PRIORITIES = 5  # clauses the summary lists as priorities
INCOMPLETE = ("empty_text", "required", "kpi_no_values", "empty_year")  # what is still to be filled in, not wrong


class Checking:
    """The checked document read for the page: problems in the person's words, scores, hints."""

    editing: FieldPath | None = None  # the field changed last: an entry or year row the person is filling in

    def messages(self, path: FieldPath, lang: str = "zh") -> list[str]:
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

    @property
    def shown_problems(self) -> list[Problem]:
        """The document's problems, then the form's notices about KPI years.

        What the person is filling in is not called incomplete until they
        have moved on (``filling``): an entry just added is not empty yet, nor
        is a new KPI without a name or values, or a year row without a value.
        A wrong value (a number typed as 约五) is said at once.
        """
        held = self.filling()
        return [p for p in self.problems + self.notices()
                if not (held and p.code in INCOMPLETE and (p.field == held or p.field.startswith(held + "/")))]

    def filling(self) -> str | None:
        """The field path of what the person is filling in: the entry or field changed last, or the whole KPI
        while they edit inside one (its name, unit, years and values come one after the other)."""
        if not self.editing:
            return None
        return field_of(self.editing[:2] if self.editing[0] == "results" and len(self.editing) > 1 else self.editing)

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
                year = as_year(key)
                if year is not None and year > anchor:
                    found.append(Problem(where, "future_year", params={"year": anchor}))
                if all(s.get(key) in (None, "") for s in series):
                    found.append(Problem(where, "empty_year"))
        return found

    def describe(self, problem: Problem, lang: str = "zh") -> str:
        """A problem with its field named as on screen (``qkit.web.places``); the CLI keeps field paths."""
        return places.describe(problem, self.rubric, self.data, lang)

    def place(self, path: FieldPath, lang: str = "zh") -> str:
        return places.place(self.rubric, self.data, path, lang)

    def path_of(self, field: str) -> FieldPath:
        """The document keys of a problem's field path."""
        return path_of(field, self.data)

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

    def summary(self, lang: str = "zh", top: int = PRIORITIES) -> "Summary | None":
        """What the summary tab shows; None while the document cannot be scored.

        While clauses remain unscored, the band is read from the scored clauses
        alone and said to be provisional, with what it rests on; the unscored
        clauses are listed apart, never among the priorities.
        """
        card = self.scorecard
        if card is None:
            return None
        maturity = card.maturity
        band = maturity.label(lang) if maturity.percent is not None else None
        level = {"maturity": tr("maturity", lang), "overall_level": tr("overall_level", lang)}
        return Summary(card, level[self.rubric.words["maturity"]], band, maturity.basis(lang), card.priorities(top),
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
        from ...analytics import (  # pandas: loaded when a results clause is shown
            analyze_kpi,
            draft_hint,
        )

        clause = self.rubric.clause(clause_id)
        kpis = self.document.kpis(clause_id) if self.document else []
        if clause is None or not self.rubric.hints_for(clause, bool(kpis)):
            return None
        hint = draft_hint([analyze_kpi(k) for k in kpis], self.rubric, lang)
        return hint if kpis else dataclasses.replace(hint, band=None)

    @staticmethod
    def affects_score(path: FieldPath) -> bool:
        """Whether a change at path can alter the scorecard or the priorities."""
        if not path or path[0] != "clauses":
            return path in ((), ("applicant",), ("applicant", "name"))
        return len(path) < 3 or path[2] in SCORED_FIELDS


@dataclasses.dataclass(frozen=True)
class Summary:
    """The summary tab: the total's band (``level`` names it), what it rests on, priorities, unscored clauses."""

    card: Scorecard
    level: str
    band: str | None  # None before any clause is scored
    provisional: str  # empty once every clause is scored
    priorities: list[ClauseScore]
    unscored: list[ClauseScore]
