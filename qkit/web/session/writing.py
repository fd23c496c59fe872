"""The 自评报告 and the comments' quality, as hints for the writer: counts, limits, coverage, feedback warnings."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ...i18n import tr
from ...paths import FieldPath, field_of

if TYPE_CHECKING:
    from ...lint import LintWarning
    from ...narrative import Limits, PartStatus, WritingStatus


class Writing:
    """Word counts against limits, sub-points not addressed, feedback-quality warnings: hints, never problems."""

    @property
    def limits(self) -> "Limits":
        """The word limits of this standard: the file given to the session, else the shipped ``limits.yaml``."""
        from ...narrative import Limits, limits_of, load_limits

        if not isinstance(self._limits, Limits):
            self._limits = limits_of(self._limits if hasattr(self._limits, "for_rubric") else load_limits(self._limits),
                                     self.rubric.id)
        return self._limits

    def writing(self, part: str) -> "PartStatus | None":
        """The narrative of the profile (``5.1``) or of a clause as typed, measured as ``qkit validate`` does.

        Its count in Word's 字数 (``qkit.markup``) with the clause's tables and
        figures, its limit or guidance, whether it is over, and the sub-points it
        does not appear to address (``unaddressed``; none while nothing is
        written). None for a part the standard lacks.
        """
        from ...narrative import part_writing

        profile = self.rubric.profile
        path = ("profile", "narrative") if profile is not None and part == profile.id else ("clauses", part, "narrative")
        text = self.value(path, "")
        return part_writing(self.document, self.rubric, self.limits, part, text if isinstance(text, str) else "")

    def report_writing(self) -> "WritingStatus | None":
        """The whole 自评报告's count against its limit (the document as checked; None while there is none),
        worked out once per state of the document."""
        from ...narrative import writing_status

        if self.document is None:
            return None
        if self._report_count is None or self._report_count[0] is not self.document:
            self._report_count = (self.document, writing_status(self.document, self.rubric, self.limits))
        return self._report_count[1]

    def feedback(self, clause_id: str) -> list["LintWarning"]:
        """The feedback-quality warnings of ``qkit validate --lint`` about one clause's comments.

        A warning's ``number`` is the position of its comment in the list as
        the form shows it (entries still empty count too). The document is
        linted once after each change, and only when asked (under a
        millisecond for a whole sample document).
        """
        from ...lint import Rules, lint

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

    def warnings(self, path: FieldPath, lang: str = "zh") -> list[str]:
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
                # the rule's code is for the command line and the rules file; the form names the rule in words
                problem = dataclasses.replace(problem, params={**problem.params,
                                                               "code": tr(f"lint_code_{found.code}", lang)})
                by_field.setdefault(problem.field, []).append(problem.message(lang))
        return by_field
