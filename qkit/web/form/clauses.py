"""The profile (5.1) and the clauses of each item: requirement, the 自评报告's text, factors, score, comments."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ...i18n import fmt_band, join_list, tr
from ...narrative import exhibits_text
from ...paths import FieldPath
from ...rubric import STEP
from ..session import parse_integer, parse_names
from .evidence import EvidenceFileList
from .fields import UNSCORED, Form, entry_text, fragment, html_box


class ProfileEditor(w.VBox):
    """Who is assessed and when, and the organizational profile (5.1) of organization awards."""

    def __init__(self, form: Form):
        super().__init__()
        lang, rubric = form.lang, form.session.rubric
        fields = []
        prefix = rubric.words["applicant_form"]  # an organization's details, or a person's
        for key in rubric.applicant_fields:
            parse = parse_integer if key == "employees" else None
            fields.append(form.text(("applicant", key), tr(f"{prefix}_{key}", lang), parse=parse, width="48%"))
        applicant = w.VBox([html_box(fragment("heading", value=tr(prefix, lang))),
                            w.Box(fields, layout=w.Layout(flex_flow="row wrap", justify_content="space-between"))])
        assessment = w.VBox([
            html_box(fragment("heading", value=tr("wb_assessment", lang))),
            w.Box([
                form.text(("assessment", "date"), tr("wb_date", lang), placeholder=tr("wb_date_placeholder", lang),
                          width="30%", shown=_iso),
                form.text(("assessment", "stage"), tr("wb_stage", lang), width="30%"),
                form.text(("assessment", "assessors"), tr("wb_assessors", lang), parse=parse_names,
                          shown=lambda v: join_list(v, lang) if isinstance(v, list) else str(v), width="36%",
                          placeholder=tr("wb_assessors_hint", lang)),
            ], layout=w.Layout(flex_flow="row wrap", justify_content="space-between")),
        ])
        parts = [applicant, assessment]
        profile = rubric.profile
        if profile is not None:
            prompts = []
            for prompt in profile.prompts:
                prompts.append(html_box(fragment("profile_prompt", prompt=prompt, lang=lang)))
                prompts.append(form.text(("profile", prompt.id), "", multiline=True, rows=5))
            parts.append(w.VBox([html_box(fragment("profile_intro", profile=profile, lang=lang)), *prompts]))
            parts.append(NarrativeEditor(form, profile.id, ("profile", "narrative"),
                                         f"{profile.id} {profile.name(lang)} · {tr('wb_narrative', lang)}",
                                         tr("wb_profile_narrative_intro", lang)))
        self.children = parts
        self.add_class("qkit-profile")


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class NarrativeEditor(w.VBox):
    """The 自评报告's text of the profile or a clause: a large box, its length in Word's 字数 against the limit
    (red over it) and the sub-points it seems to leave out, as the session measures them while it is typed."""

    def __init__(self, form: Form, part: str, path: FieldPath, title: str = "", intro: str = ""):
        super().__init__()
        self.session, self.lang, self.part, self.path = form.session, form.lang, part, path
        heading = [html_box(fragment("heading", value=title, level=4)), html_box(fragment("muted", value=intro))] if title \
            else [html_box(fragment("label", value=tr("wb_narrative", form.lang)))]
        self.box = form.text(path, "", multiline=True, rows=14)
        self.status = html_box("", "qkit-narrative-status")
        self.children = [*heading, self.box, self.status, html_box(self._markup_help(form))]
        self.add_class("qkit-narrative")
        self.session.observe(self._refresh)
        self._refresh(())

    @staticmethod
    def _markup_help(form: Form) -> str:
        """How to write the text, with examples from this document and standard: its first KPI and the first
        clause KPIs support (a clause the standard has: 1.1 for the individual award, not 5.7.4)."""
        session, rubric = form.session, form.session.rubric
        kpis = session.value(("results",), [])
        names = [k.get("name") for k in kpis if isinstance(k, dict) and isinstance(k.get("name"), str)] \
            if isinstance(kpis, list) else []
        clause = rubric.results_clauses[0].id
        item = next(i.id for i in rubric.items if any(c.id == clause for c in i.clauses))
        return fragment("markup_help", kpi=next((n for n in names if n.strip()), tr("wb_example_kpi", form.lang)),
                        clause=clause, number=f"{item}-1", lang=form.lang)

    def _refresh(self, path: FieldPath) -> None:
        """On a change of any narrative (the report's count) or of the KPIs (the clause's tables and figures)."""
        if path != () and path[-1:] != ("narrative",) and path[:1] != ("results",):
            return
        status = self.session.writing(self.part)
        points = join_list([c.label(self.lang) for c in status.unaddressed], self.lang)
        report = None if self.path[0] == "profile" else self.session.report_writing()
        self.status.value = fragment("narrative_status", status=status, points=points, lang=self.lang,
                                     shown=exhibits_text(status.shown, self.lang) if status.shown.words else "",
                                     report=report)


class ItemPanel(w.VBox):
    """One item (or indicator group): its overview and an editor per clause."""

    def __init__(self, form: Form, item: Any):
        super().__init__()
        intro = html_box(fragment("item_intro", item=item, lang=form.lang))
        self.children = [intro] + [ClauseEditor(form, clause) for clause in item.clauses]


class ClauseEditor(w.VBox):
    """One clause: requirement, factor ratings, suggested band, score, strengths, OFIs, evidence, notes."""

    def __init__(self, form: Form, clause: Any):
        super().__init__()
        self.form, self.session, self.lang, self.clause = form, form.session, form.lang, clause
        lang, rubric = self.lang, self.session.rubric
        self.path = ("clauses", clause.id)
        head = html_box(fragment("clause_heading", clause=clause, lang=lang))
        parts: list[w.Widget] = [head, self._writing()]
        self.suggestion = html_box("")
        self.apply = w.Button(description=tr("wb_apply_suggestion", lang), layout=w.Layout(width="auto",
                                                                                        display="none"))
        self.apply.on_click(form.safe(self._apply))
        self.descriptors: dict[str, w.HTML] = {}
        self.dimension = rubric.dimension(clause)
        if self.dimension is not None:
            parts.append(self._factors())
            parts.append(w.HBox([self.suggestion, self.apply], layout=w.Layout(align_items="center",
                                                                               flex_flow="row wrap")))
        options = [(tr("unscored", lang), UNSCORED)] + [(f"{s}%", s) for s in range(0, 101, STEP)]
        self.score = form.choice(self.path + ("score",), options, empty=UNSCORED, label=tr("score", lang))
        form.register(self.path, self.score)
        self.score.add_class("qkit-score")
        self.earned = html_box("")
        self.flag = html_box("", "qkit-warn")
        self.previous = html_box("", "qkit-previous-score")  # a carried-over clause: last cycle's score, 待复核
        self.hint = html_box("", "qkit-muted")
        if clause.kind in ("results", "indicator"):
            parts.append(self.hint)
        score_row = w.HBox([self.score, self.previous, self.earned, self.flag],
                           layout=w.Layout(align_items="center", flex_flow="row wrap"))
        score_row.add_class("qkit-score-row")
        parts.append(score_row)
        parts.append(form.messages(self.path + ("score",)))
        parts.append(form.messages(self.path))
        parts += [
            form.text_list(self.path + ("strengths",), tr("wb_strengths", lang)),
            form.text_list(self.path + ("ofis",), tr("ofis", lang),
                           beside=None if self.session.judging else self._to_plan),  # the plan is the application's
            *([] if self.session.judging else  # a round reads the team's evidence beside the text
              [form.text_list(self.path + ("evidence",), tr("wb_evidence", lang), tr("wb_evidence_hint", lang)),
               EvidenceFileList(form, clause.id)]),
            form.text(self.path + ("notes",), tr(rubric.words["notes"], lang), multiline=True, rows=2),
        ]
        self.children = parts
        self.add_class("qkit-card")
        self.session.observe(self._refresh)
        self._refresh(self.path)

    def _requirement(self) -> str:
        """What the clause asks; an indicator's table of bands marks the band of the score chosen."""
        scored = self.session.clause_score(self.clause.id)
        chosen = self.session.rubric.clause_band(self.clause, scored.score) if scored else None
        return fragment("requirement", clause=self.clause, rubric=self.session.rubric, chosen=chosen, lang=self.lang)

    def _writing(self) -> w.Widget:
        """The requirement, and beside it the clause's text in the 自评报告 (one under the other when narrow).

        In an assessment round the text is the application's, to read: set as
        the report sets it, with the team's evidence and the trends of the
        clause's KPIs beneath."""
        if self.session.judging:
            from ...markup import parse
            from ...trends import kpi_trends

            written = self.session.value(self.path + ("narrative",), "")
            evidence = self.session.value(self.path + ("evidence",), [])
            evidence = [entry_text(e) for e in evidence] if isinstance(evidence, list) else []
            rating = self.session.document.rating(self.clause.id) if self.session.document else None
            evidence += [f"{tr('ref_evidence', self.lang, number=e.number)} {e.title}" for e in
                         (rating.evidence_files if rating else [])]  # the files, by the numbers the text cites
            kpis = self.session.document.kpis(self.clause.id) if self.session.document else []
            beside = html_box(fragment("written", blocks=parse(written if isinstance(written, str) else ""),
                                    evidence=evidence,
                                    trends=kpi_trends(kpis, self.lang), lang=self.lang), "qkit-written")
        else:
            beside = self.narrative = NarrativeEditor(self.form, self.clause.id, self.path + ("narrative",))
        self.requirement = html_box(self._requirement(), "qkit-req")
        row = w.HBox([self.requirement, beside])
        row.add_class("qkit-writing")
        return row

    def _factors(self) -> w.Widget:
        lang, dimension = self.lang, self.dimension
        options = [(tr("wb_unrated", lang), "")] + [(fmt_band(b), b.key) for b in dimension.bands]
        columns = []
        for factor in dimension.factors:
            path = self.path + ("factors", factor.id)
            picker = self.form.choice(path, options, empty="", tooltip=factor.explained(lang), width="150px")
            self.descriptors[factor.id] = html_box("", "qkit-muted")
            column = w.VBox([
                html_box(fragment("factor_heading", factor=factor, lang=lang)),
                picker, self.form.messages(path), self.descriptors[factor.id],
            ])
            column.add_class("qkit-factor")
            columns.append(column)
        title = html_box(fragment("factors_title", dimension=dimension, lang=lang))
        grid = w.HBox(columns)
        grid.add_class("qkit-factors")
        return w.VBox([title, grid, self.form.messages(self.path + ("factors",))])

    def _refresh(self, path: FieldPath) -> None:
        if path[:2] != self.path and path[:1] != ("results",) and path != ():
            return
        if path[2:3] == ("narrative",):  # typing the 自评报告 changes no score: only its count (NarrativeEditor)
            return
        lang = self.lang
        scored = self.session.clause_score(self.clause.id)
        dimension = self.dimension
        if dimension is not None:
            for factor in dimension.factors:
                key = self.session.value(self.path + ("factors", factor.id))
                band = next((b for b in dimension.bands if b.key == key), None)
                self.descriptors[factor.id].value = fragment("descriptor", band=band, factor=factor, lang=lang)
            suggestion = scored.suggestion if scored else None
            self.suggestion.value = fragment("suggestion", suggestion=suggestion, lang=lang)
            self.apply.layout.display = "inline-flex" if suggestion and scored.score != suggestion.score else "none"
        self.earned.value = fragment("earned", scored=scored, lang=lang)
        if self.clause.kind == "indicator":
            self.requirement.value = self._requirement()
        self.flag.value = fragment("flag", text=self.session.flag_text(self.clause.id, lang))
        self._previous()
        if self.clause.kind in ("results", "indicator"):
            self.hint.value = fragment("data_hint", hint=self.session.data_hint(self.clause.id, lang), lang=lang)

    def _previous(self) -> None:
        """The previous cycle's score of a carried-over clause, and 待复核 until it is scored again."""
        previous = self.session.value(self.path + ("previous_score",))
        if isinstance(previous, bool) or not isinstance(previous, int):  # a wrong value is flagged, not shown
            previous = None
        to_review = previous is not None and self.session.value(self.path + ("score",)) is None
        self.previous.value = fragment("previous_score", previous=previous, to_review=to_review, lang=self.lang)

    def _to_plan(self, i: int) -> list[w.Widget]:
        """Beside an OFI: one click adds an action answering it to the improvement plan; once it is there, the
        button names the action."""
        button = w.Button(icon="flag", layout=w.Layout(width="auto"))
        button.add_class("qkit-to-plan")

        def shown() -> None:
            found = self.session.action_for_ofi(self.clause.id, i)
            button.description = tr("wb_in_plan", self.lang, id=found) if found is not None \
                else tr("wb_from_ofi", self.lang)
            button.disabled = found is not None or not self.session.editable(("clauses", self.clause.id))

        button.on_click(self.form.safe(lambda _: (self.session.add_action_from_ofi(self.clause.id, i), shown())))
        shown()
        return [button]

    def _apply(self, _: Any) -> None:
        scored = self.session.clause_score(self.clause.id)
        if scored and scored.suggestion:
            self.score.value = scored.suggestion.score
