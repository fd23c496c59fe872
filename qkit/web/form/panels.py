"""The form's other tabs: the history, the key themes, the summary and the downloads."""

from __future__ import annotations

import base64
from typing import Any

import ipywidgets as w

from ...document import THEME_KINDS
from ...errors import QkitError
from ...i18n import fmt_day, join_list, tr
from ...paths import FieldPath
from ...radar import radar_svg
from ..session import EXPORTS, Session, parse_names
from .evidence import ApplicationFiles
from .fields import Form, fragment, html_box, in_background


class HistoryPanel(w.VBox):
    """The history as a person reads it: one entry per person's working spell, listing every field they changed,
    filtered by person and by item; any entry compared with now, or restored once a confirmation has named
    what will change. Every revision stays stored."""

    SHOWN = 8  # fields named in an entry; the rest are counted

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang, rubric = self.lang, self.session.rubric
        self.rows = w.VBox()
        self.detail = html_box("")
        self.rounds = html_box("", "qkit-rounds")  # the lead's: every cycle's assessment rounds
        every = [(tr("wb_history_all", lang), "")]
        self.author = w.Dropdown(options=every, description=tr("wb_history_author", lang),
                                 style={"description_width": "initial"}, layout=w.Layout(width="220px"))
        parts = [*([rubric.profile] if rubric.profile is not None else []), *rubric.items]
        self.item = w.Dropdown(options=every + [(f"{p.id} {p.name(lang)}", p.id) for p in parts],
                               description=tr("wb_history_item", lang), style={"description_width": "initial"},
                               layout=w.Layout(width="260px"))
        for picker in (self.author, self.item):
            picker.observe(form.safe(lambda _: self.show()), "value")
            picker.add_class("qkit-history-filter")
        self.question = html_box("")
        restore = w.Button(description=tr("wb_restore_yes", lang), button_style="warning",
                           layout=w.Layout(width="auto"))
        restore.on_click(form.safe(lambda _: self._restore()))
        cancel = w.Button(description=tr("wb_cancel", lang), layout=w.Layout(width="auto"))
        cancel.on_click(form.safe(lambda _: self._ask(None)))
        self.confirm = w.VBox([self.question, w.HBox([restore, cancel])], layout=w.Layout(display="none"))
        self.confirm.add_class("qkit-card")
        self.confirm.add_class("qkit-restore-confirm")
        self._asked: int | None = None  # the revision a restore waits to be confirmed for
        self.children = [html_box(fragment("section_intro", title=tr("wb_history_tab", lang),
                                           intro=tr("wb_history_intro", lang))), self.rounds,
                         w.HBox([self.author, self.item], layout=w.Layout(flex_flow="row wrap")),
                         self.confirm, self.detail, self.rows]
        self.add_class("qkit-history")
        self.show()

    def show(self) -> None:
        session, lang = self.session, self.lang
        authors = [(tr("wb_history_all", lang), "")] + [(a, a) for a in session.history_authors()]
        if list(self.author.options) != authors:
            self.author.options = authors  # keeps the person chosen when they are still listed
        rows = []
        for entry in session.history_entries(self.author.value or None, self.item.value or None):
            rows.append(self._row(entry))
        self.rows.children = rows
        self.rounds.value = fragment("rounds_history", rounds=session.rounds(), lang=lang)

    def _row(self, entry: Any) -> w.Widget:
        session, lang = self.session, self.lang
        fields = join_list(session.fields_said(entry.changed[:self.SHOWN], lang), lang)
        more = max(0, len(entry.changed) - self.SHOWN)
        start = f"{fmt_day(entry.started.date(), lang)} {entry.started:%H:%M}"
        if len(entry.numbers) > 1:
            end = f"{entry.ended:%H:%M}" if entry.ended.date() == entry.started.date() else \
                f"{fmt_day(entry.ended.date(), lang)} {entry.ended:%H:%M}"
            when = start if start.endswith(end) else f"{start}–{end}"
            text = fragment("history_spell", entry=entry, when=when, fields=fields, more=more, lang=lang)
        else:
            text = fragment("history_row", number=entry.latest, author=entry.author or "—", when=start,
                            note=entry.note, fields=fields, more=more, lang=lang)
        compare = w.Button(description=tr("wb_compare", lang), layout=w.Layout(width="auto"))
        compare.on_click(self.form.safe(lambda _, n=entry.latest: self._compare(n)))
        restore = w.Button(description=tr("wb_restore", lang), layout=w.Layout(width="auto"),
                           disabled=entry.latest == session.base or session.member.role != "lead")
        restore.on_click(self.form.safe(lambda _, n=entry.latest: self._ask(n)))
        row = w.HBox([html_box(text), compare, restore], layout=w.Layout(align_items="center", flex_flow="row wrap"))
        row.add_class("qkit-revision")
        return row

    def _compare(self, number: int) -> None:
        self.detail.value = fragment("history_diff", number=number,
                                     differences=self.session.difference(number, self.lang), lang=self.lang)

    def _ask(self, number: int | None) -> None:
        """Name what restoring revision ``number`` will change, and wait for the lead to confirm (None: cancelled)."""
        self._asked = number
        if number is not None:
            self.question.value = fragment("restore_confirm", number=number,
                                           differences=self.session.difference(number, self.lang), lang=self.lang)
        self.confirm.layout.display = "none" if number is None else "flex"

    def _restore(self) -> None:
        number = self._asked
        self._ask(None)
        if number is not None and self.session.restore(number, self.lang):
            self.show()
            self.detail.value = ""


class KeyThemesPanel(w.VBox):
    """The application's key themes: process and results strengths and OFIs, each citing its clauses."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        self.kinds = w.VBox()
        self.children = [html_box(fragment("section_intro", title=tr("sec_key_themes", self.lang),
                                        intro=tr("wb_themes_intro", self.lang))), self.kinds]
        self.add_class("qkit-themes")
        self._build()

    def _build(self) -> None:
        self.form.forget(("key_themes",))
        self.kinds.children = [self._kind(kind) for kind in THEME_KINDS]

    def _kind(self, kind: str) -> w.Widget:
        form, lang = self.form, self.lang
        path = ("key_themes", kind)
        entries = self.session.value(path, [])
        rows = []
        for i, _ in enumerate(entries if isinstance(entries, list) else []):
            text = form.text(path + (i, "text"), "", multiline=True, rows=2, width="62%")
            cited = form.text(path + (i, "clauses"), tr("wb_theme_clauses", lang), parse=parse_names,
                              shown=lambda v: join_list(v, lang) if isinstance(v, list) else str(v), width="30%",
                              placeholder="5.2.2、5.3.3")
            remove = w.Button(icon="trash", tooltip=tr("wb_remove_entry", lang), layout=w.Layout(width="40px"),
                              disabled=not self.session.editable(path + (i,)))
            remove.on_click(form.safe(lambda _, i=i: self._remove(kind, i)))
            rows.append(w.HBox([text, cited, remove], layout=w.Layout(flex_flow="row wrap", align_items="flex-start")))
        add = w.Button(description=tr("wb_add_entry", lang), icon="plus", layout=w.Layout(width="auto"),
                       disabled=not self.session.editable(path + (len(rows),)))
        add.on_click(form.safe(lambda _: self._add(kind)))
        box = w.VBox([html_box(fragment("label", value=tr(f"theme_{kind}", lang))), *rows, form.messages(path), add])
        box.add_class("qkit-card")
        return box

    def _add(self, kind: str) -> None:
        self.session.append(("key_themes", kind), {"text": "", "clauses": []})
        self._build()

    def _remove(self, kind: str, i: int) -> None:
        self.session.remove(("key_themes", kind, i))
        self._build()


class SummaryPanel(w.VBox):
    """Live total, maturity, item table, radar and priorities; redrawn on score changes while visible."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        self.visible = True
        self.stale = True
        self.total = html_box("")
        self.items = html_box("")
        self.radar = html_box("", "qkit-radar")
        self.priorities = html_box("")
        self.unscored = html_box("")
        self.children = [self.total, w.HBox([self.items, self.radar], layout=w.Layout(flex_flow="row wrap")),
                         self.priorities, self.unscored]
        self.add_class("qkit-summary")
        self.session.observe(self._changed)
        self.show()

    def _changed(self, path: FieldPath) -> None:
        if Session.affects_score(path):
            self.stale = True
            if self.visible:
                self.show()

    def show(self) -> None:
        if not self.stale:
            return
        self.stale = False
        summary, lang = self.session.summary(self.lang), self.lang
        if summary is None:
            self.total.value = ""
            return
        self.total.value = fragment("summary_total", summary=summary, lang=lang)
        self.items.value = fragment("summary_items", card=summary.card, lang=lang)
        self.radar.value = str(radar_svg(summary.card, lang))
        self.priorities.value = fragment("summary_priorities", summary=summary, lang=lang)
        self.unscored.value = fragment("summary_unscored", summary=summary, lang=lang)


class ExportPanel(w.VBox):
    """The document (YAML, a backup for consultants) and the Excel workbook as direct downloads; the HTML report
    made on request; for the lead, first, the Word 自评报告 and the application package (``ApplicationFiles``).

    The two files are made again whenever the tab is shown after a change;
    the report takes a while, so its button makes it (with a progress line)
    and its download appears in the same place. All three stay in view.
    """

    KINDS = EXPORTS
    REPORT = "report"

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        self.visible = True
        self.stale = True
        self.links = {kind: html_box("", "qkit-export-link") for kind in self.KINDS}
        self.make_report = w.Button(description=tr("wb_make_report", lang), icon="file",
                                    layout=w.Layout(width="auto"))
        self.make_report.on_click(form.safe(self._report))
        self.progress = html_box("", "qkit-muted")
        self._report_made: str | None = None  # the document and edition the report was made from
        self.edition = self._edition_picker()  # the consensus's lead chooses whom a report is for
        rows = [self.edition] if self.edition is not None else []
        for kind in self.KINDS:
            title = html_box(fragment("label", value=tr(f"wb_export_{kind}", lang)))
            parts = [title] + ([w.HBox([self.make_report, self.progress], layout=w.Layout(align_items="center",
                                                                                        flex_flow="row wrap"))]
                               if kind == self.REPORT else []) + [self.links[kind]]
            row = w.VBox(parts)
            row.add_class("qkit-export-row")
            row.add_class(f"qkit-export-{kind}")
            rows.append(row)
        intro = fragment("section_intro", title=tr("wb_export_tab", lang), intro=tr("wb_export_intro", lang))
        lead = [ApplicationFiles(form)] if self.session.offers_package else []  # what the lead sends the award office
        self.children = [html_box(intro), *lead, *rows]
        self.session.observe(self._changed)
        self.show()

    def _edition_picker(self) -> w.Widget | None:
        """Whom the report and workbook are for (申报单位版 or 内部版) and whether scores go out as bands only;
        shown where the page may offer more than one edition."""
        audiences = self.session.audiences()
        if len(audiences) < 2:
            self.audience, self.bands_only = None, None
            return None
        lang = self.lang
        self.audience = w.Dropdown(options=[(tr(f"audience_{a}", lang), a) for a in audiences], value=audiences[0],
                                   description=tr("wb_audience", lang), style={"description_width": "initial"})
        self.bands_only = w.Checkbox(value=False, description=tr("wb_bands_only", lang), indent=False)
        for picker in (self.audience, self.bands_only):
            picker.observe(self.form.safe(self._edition_changed), "value")
        box = w.HBox([self.audience, self.bands_only], layout=w.Layout(align_items="center", flex_flow="row wrap"))
        box.add_class("qkit-edition")
        return box

    def _chosen(self) -> dict:
        """The edition chosen on the page, as ``Session.export`` takes it."""
        if self.audience is None:
            return {}
        return {"audience": self.audience.value, "bands_only": self.bands_only.value}

    def _edition_changed(self, _: Any) -> None:
        self.stale = True
        self.show()

    def _changed(self, path: FieldPath) -> None:
        if path not in (("_saved",), ("_settled",)):
            self.stale = True
        if self.visible and path in (("_saved",), ()):  # in view: the files follow each save, and others' saves
            self.show()

    def show(self) -> None:
        """Make the document and the workbook from what is on the page now."""
        if not self.stale:
            return
        self.stale = False
        for kind in self.KINDS:
            if kind != self.REPORT:
                self._make(kind)
        if self.session.problems:  # what to correct before a report can be made, said before anyone asks
            self.links[self.REPORT].value = fragment(
                "problems", messages=[self.session.describe(p, self.lang) for p in self.session.problems],
                css="qkit-problem")
        elif self._report_made is None:
            self.links[self.REPORT].value = ""
        elif self._report_made != (self.session.yaml(), self._chosen()):
            self.progress.value = fragment("text", value=tr("wb_report_outdated", self.lang))

    def _make(self, kind: str) -> None:
        try:
            name, content, mime = self.session.export(kind, self.lang, **self._chosen())
        except QkitError as exc:
            self.links[kind].value = fragment("problems", messages=[self.session.describe(p, self.lang)
                                                                    for p in exc.problems], css="qkit-problem")
            return
        data = base64.b64encode(content).decode("ascii")
        self.links[kind].value = fragment("download", name=name, mime=mime, data=data, lang=self.lang)

    _reporting = False  # a report being made: a second one waits for it, whatever the page's button shows

    def _report(self, _: Any = None) -> None:
        """Make the report in the background, saying how long it has taken so far; one at a time."""
        if self._reporting:
            return
        made_from = (self.session.yaml(), self._chosen())
        options = self.session.report_options(self.lang, **self._chosen())  # the page's rights decide the edition
        # the report is made from the page as it is now, while the person may go on editing
        snapshot = self.session.snapshot()
        self._reporting = self.make_report.disabled = True
        self.links[self.REPORT].value = ""
        in_background(lambda: snapshot.report_file(options),
                      self.form.safe(lambda file, error: self._report_done(made_from, file, error)),
                      self.progress, lambda s: tr("wb_report_progress", self.lang, s=s))

    def _report_done(self, made_from: str, file: tuple[str, bytes, str] | None, error: Exception | None) -> None:
        self._reporting = self.make_report.disabled = False
        if error is not None:
            messages = ([self.session.describe(p, self.lang) for p in error.problems] if isinstance(error, QkitError)
                        else [tr("unexpected_error", self.lang)])
            self.links[self.REPORT].value = fragment("problems", messages=messages, css="qkit-problem")
            return
        name, content, mime = file
        self._report_made = made_from
        data = base64.b64encode(content).decode("ascii")
        self.links[self.REPORT].value = fragment("download", name=name, mime=mime, data=data, lang=self.lang)
