"""The lead's consensus tab: the assessors' layers side by side and the agreed judgement, a record of its own."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ...i18n import tr
from ...paths import FieldPath
from ...rubric import STEP
from ..session import Session
from .fields import UNSCORED, Form, TextList, fragment, html_box, walk
from .panels import ExportPanel


class ConsensusPanel(w.VBox):
    """The lead's consensus: the layers handed in side by side, widest spread first, and the agreed judgement.

    The agreed scores and comments are a record of their own (a session over
    the consensus round): adopting the proposal and agreeing each clause
    never changes the application the team wrote. Each assessor's hand-in can
    be sent back with a reason.
    """

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        self.agreed = self.session.consensus()
        self.agreed_form = Form(self.agreed, lang)
        self.status = html_box("", "qkit-consensus-status")
        self.adopt = w.Button(description=tr("wb_adopt", lang), button_style="info", layout=w.Layout(width="auto"))
        self.adopt.on_click(form.safe(self._adopt))
        self.gaps = html_box("", "qkit-self-gaps")
        self._cards: dict[str, tuple[w.Button, w.HTML]] = {}
        self._reasons: dict[str, w.Text] = {}  # why a hand-in is sent back, as typed, by assessor
        records = self.session.assessors()
        self._states, self._handed_in = self._state_of(records)  # what the assessors' rows and the cards show
        # made with their rows and cards: the page draws them as it gets them, waiting for no later message
        self.assessors = w.VBox(self._assessor_rows(records))
        self.rows = w.VBox(self._clause_cards())
        self.downloads = ExportPanel(self.agreed_form)  # the consensus's own files: 申报单位版 or 内部版
        self.children = [html_box(fragment("section_intro", title=tr("wb_consensus_tab", lang),
                                        intro=tr("wb_consensus_intro", lang))), self.status, self.assessors,
                         self.adopt, self.gaps, self.rows, self.downloads]
        self.add_class("qkit-consensus")
        self.agreed.observe(self._changed)
        self._changed(())

    @staticmethod
    def _state_of(records: list) -> tuple[tuple, tuple]:
        """Each assessor's layer as the rows show it, and the layers handed in that the cards are drawn from."""
        return (tuple((r.assessor.name, r.number, r.submitted, r.note) for r in records),
                tuple((r.assessor.name, r.number) for r in records if r.submitted))

    def show(self) -> None:
        """The tab shown again: what changed in the store, and the downloads made from the agreement as it is."""
        self.poll()
        self.downloads.show()

    def poll(self) -> None:
        """Draw again what changed in the store: who has handed in, and then the side-by-side table. Called
        every few seconds while the tab is in view, so a hand-in or a layer sent back shows by itself."""
        records = self.session.assessors()
        states, handed_in = self._state_of(records)
        if states == self._states:
            return
        self._states = states
        _close(self.assessors, keep=list(self._reasons.values()))  # a reason being typed stays as typed
        self.assessors.children = self._assessor_rows(records)
        if handed_in != self._handed_in:
            self._handed_in = handed_in
            self.agreed_form.forget(("clauses",))  # the cards drawn before are replaced, their inputs with them
            _close(self.rows)
            self._cards = {}
            self.rows.children = self._clause_cards()
            self._changed(())

    def _clause_cards(self) -> list[w.Widget]:
        """A card per clause for the layers handed in, widest spread first; a line saying none yet."""
        side = self.session.side_by_side()
        self.adopt.disabled = side is None
        if side is None:
            return [html_box(fragment("muted", value=tr("wb_no_layers", self.lang)))]
        return [self._card(row, side.names) for row in side.table.clauses]

    def _assessor_rows(self, records: list) -> list[w.Widget]:
        """Each assessor: not begun, scoring, handed in (with a way to send it back) or sent back."""
        lang, rows = self.lang, []
        for record in records:
            name = record.assessor.name
            line = html_box(fragment("assessor_state", name=name, record=record, lang=lang))
            parts: list[w.Widget] = [line]
            if record.submitted:
                reason = self._reasons.get(name) or w.Text(placeholder=tr("wb_reopen_reason", lang),
                                                           layout=w.Layout(width="320px"))
                self._reasons[name] = reason
                back = w.Button(description=tr("wb_reopen", lang), layout=w.Layout(width="auto"))
                back.on_click(self.form.safe(lambda _, n=name, r=reason: self._reopen(n, r.value)))
                parts += [reason, back]
            row = w.HBox(parts, layout=w.Layout(align_items="center", flex_flow="row wrap"))
            row.add_class("qkit-assessor")
            rows.append(row)
        return rows

    def _reopen(self, name: str, reason: str) -> None:
        if self.session.reopen(name, reason):
            self._reasons.pop(name, None)  # said and kept with the layer: the next hand-in starts without it
            self.poll()

    def _card(self, row: Any, names: list[str]) -> w.Widget:
        form, lang = self.agreed_form, self.lang
        clause = self.session.rubric.clause(row.id)
        path = ("clauses", row.id)
        options = [(tr("unscored", lang), UNSCORED)] + [(f"{s}%", s) for s in range(0, 101, STEP)]
        score = form.choice(path + ("score",), options, empty=UNSCORED, label=tr("consensus_score", lang))
        confirm = w.Button(description=tr("wb_confirm_proposal", lang), button_style="success",
                           layout=w.Layout(width="auto"))
        confirm.on_click(form.safe(lambda _: self.agreed.confirm(row.id)))
        flag = html_box("", "qkit-warn")
        self._cards[row.id] = (confirm, flag)
        card = w.VBox([html_box(fragment("consensus_row", clause=clause, row=row, names=names, lang=lang)),
                       w.HBox([score, confirm], layout=w.Layout(align_items="center", flex_flow="row wrap")),
                       flag, form.messages(path + ("score",)),
                       form.text_list(path + ("strengths",), tr("strengths", lang)),
                       form.text_list(path + ("ofis",), tr("ofis", lang)),
                       form.text(path + ("notes",), tr("wb_notes", lang), multiline=True, rows=2)])
        card.add_class("qkit-card")
        card.add_class("qkit-consensus-clause")
        return card

    def _changed(self, path: FieldPath) -> None:
        """Keep the save state, each card's proposal and warning, and the self-assessment table current."""
        agreed, lang = self.agreed, self.lang
        state, text = agreed.status(lang)
        alert = agreed.describe(agreed.alert, lang) if path == ("_alert",) and agreed.alert is not None else ""
        self.status.value = fragment("save_status", state=state, message=text) + fragment("notice", message=alert)
        for cid, (confirm, flag) in self._cards.items():
            confirm.layout.display = "inline-flex" if agreed.value(("clauses", cid, "proposed")) else "none"
            flag.value = fragment("notice", message=agreed.flag_text(cid, lang))
        if Session.affects_score(path):
            card = agreed.scorecard
            self.gaps.value = fragment("self_gaps", card=card, lang=lang) if card is not None else ""

    def _adopt(self, _: Any) -> None:
        proposal = self.session.proposal()
        if proposal is None:
            return
        self.agreed.adopt(proposal, proposal["assessment"]["assessors"])
        self.agreed_form.sync()
        for holder in walk(self.rows):
            if isinstance(holder, TextList):
                holder.resync()


def _close(box: w.Box, keep: list[w.Widget] = ()) -> None:
    """Let go of what a box showed before it is drawn again (the page drops it too), but for ``keep``."""
    for old in [inner for child in box.children for inner in walk(child)]:
        if not any(old is kept for kept in keep):
            old.close()
