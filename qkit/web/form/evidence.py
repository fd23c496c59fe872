"""A clause's evidence files in the form, and the application's own files (the Word 自评报告, the package) in 导出."""

from __future__ import annotations

import base64
from pathlib import PurePath
from typing import Any

import ipywidgets as w

from ...errors import QkitError
from ...evidence import IMAGES, KINDS, MAX_FILE_BYTES
from ...i18n import fmt_bytes, join_list, tr
from ...paths import FieldPath
from ..session import APPLICATION_FILES
from .fields import Form, fragment, html_box, in_background

ACCEPT = ",".join(KINDS)  # what the upload button offers to pick


class EvidenceFileList(w.VBox):
    """A clause's evidence files: each with its number, its title, date and owner (to change), its file's name; an
    upload button (the kinds and the size allowed said beside it) where the member writes the clause, and what
    became of the last upload under it."""

    def __init__(self, form: Form, clause_id: str):
        super().__init__()
        self.form, self.session, self.lang, self.clause_id = form, form.session, form.lang, clause_id
        self.path: FieldPath = ("clauses", clause_id, "evidence_files")
        kinds = join_list(list(dict.fromkeys(kind for kind, _ in KINDS.values())), self.lang)
        hint = tr("wb_files_hint", self.lang, kinds=kinds, limit=fmt_bytes(MAX_FILE_BYTES))
        self.entries = w.VBox()
        self.said = html_box("", "qkit-attach-said")
        parts: list[w.Widget] = [html_box(fragment("label", value=tr("wb_files", self.lang), hint=hint)), self.entries]
        if self.session.may_attach(clause_id):
            self.upload = w.FileUpload(accept=ACCEPT, multiple=False, description=tr("wb_attach", self.lang),
                                       tooltip=hint, layout=w.Layout(width="auto"))
            self.upload.add_class("qkit-upload")
            self.upload.observe(form.safe(self._upload), "value")
            parts += [w.HBox([self.upload]), self.said]
        parts.append(form.messages(self.path))
        self.children = parts
        self.add_class("qkit-evidence-files")
        self._shown: Any = None
        self._build()
        self.session.observe(self._refresh)

    def _listed(self) -> list:
        entries = self.session.value(self.path, [])
        return entries if isinstance(entries, list) else []

    def _files(self) -> list:
        """Which files are listed, in order: what a redraw follows (a title, date or owner being typed is not, its
        box shows it, and others' edits of it reach the box as every bound input's do)."""
        return [(e.get("number"), e.get("file"), e.get("sha256")) if isinstance(e, dict) else e for e in self._listed()]

    def _build(self) -> None:
        self.form.forget(self.path)
        self._shown = self._files()
        self.entries.children = [self._row(i, entry) for i, entry in enumerate(self._listed())]

    def _row(self, i: int, entry: Any) -> w.Widget:
        """One file: its number and name, its title, date and owner, and a bin (the file stays in the store)."""
        lang, at = self.lang, self.path + (i,)
        entry = entry if isinstance(entry, dict) else {}
        head = html_box(fragment("evidence_file", entry=entry, lang=lang))
        remove = w.Button(icon="trash", tooltip=tr("wb_remove_file", lang), layout=w.Layout(width="40px"),
                          disabled=not self.session.editable(at))
        remove.on_click(self.form.safe(lambda _: self._remove(i)))
        fields = w.Box([self.form.text(at + ("title",), tr("wb_file_title", lang), width="46%"),
                        self.form.text(at + ("date",), tr("wb_file_date", lang), placeholder="2026-03-01", width="22%"),
                        self.form.text(at + ("owner",), tr("wb_file_owner", lang), width="26%")],
                       layout=w.Layout(flex_flow="row wrap", justify_content="space-between"))
        row = w.VBox([w.HBox([head, remove], layout=w.Layout(justify_content="space-between")), fields,
                      self.form.messages(at)])
        row.add_class("qkit-evidence-file")
        return row

    def _upload(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        upload = files[0]
        self.upload.value = ()  # ready for the next file; the button shows no count
        refused = self.session.attach(self.clause_id, upload["name"], bytes(upload["content"]))
        if refused is not None:
            self.said.value = fragment("problems", messages=[self.session.describe(refused, self.lang)],
                                       css="qkit-problem")
            return
        self._build()
        added = self._listed()[-1]
        self.said.value = fragment("evidence_attached", entry=added, lang=self.lang,
                                   image=PurePath(added["file"]).suffix.lower() in IMAGES)

    def _remove(self, i: int) -> None:
        self.session.remove(self.path + (i,))
        self._build()

    def _refresh(self, path: FieldPath) -> None:
        """Others' changes taken in (the whole document) or this list changed elsewhere: drawn again."""
        if (path == () or path[:3] == self.path) and self._shown != self._files():
            self._build()


class ApplicationFiles(w.VBox):
    """The lead's 申报材料 in 导出: the Word 自评报告 and the whole package (概述, 自评报告, 自评表, evidence and its
    index, as a zip), each made on request in the background with the seconds counted, then downloaded there."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        rows = []
        self.links: dict[str, w.HTML] = {}
        for kind in APPLICATION_FILES:
            button = w.Button(description=tr(f"wb_make_{kind}", self.lang), icon="file", layout=w.Layout(width="auto"))
            progress, link = html_box("", "qkit-muted"), html_box("", "qkit-export-link")
            button.on_click(form.safe(lambda _, kind=kind, button=button, progress=progress, link=link:
                                      self._make(kind, button, progress, link)))
            row = w.VBox([html_box(fragment("label", value=tr(f"wb_export_{kind}", self.lang))),
                          w.HBox([button, progress], layout=w.Layout(align_items="center", flex_flow="row wrap")),
                          link])
            row.add_class("qkit-export-row")
            row.add_class(f"qkit-export-{kind}")
            rows.append(row)
        self.children = rows

    def _make(self, kind: str, button: w.Button, progress: w.HTML, link: w.HTML) -> None:
        if button.disabled:
            return
        try:
            work = self.session.application_file(kind, self.lang)
        except QkitError as exc:
            link.value = fragment("problems", messages=[self.session.describe(p, self.lang) for p in exc.problems],
                                  css="qkit-problem")
            return
        button.disabled, link.value = True, ""

        def done(file: tuple[str, bytes, str] | None, error: Exception | None) -> None:
            button.disabled = False
            if error is not None:
                messages = ([self.session.describe(p, self.lang) for p in error.problems]
                            if isinstance(error, QkitError) else [tr("unexpected_error", self.lang)])
                link.value = fragment("problems", messages=messages, css="qkit-problem")
                return
            name, content, mime = file
            link.value = fragment("download", name=name, mime=mime, data=base64.b64encode(content).decode("ascii"),
                                  lang=self.lang)

        in_background(work, self.form.safe(done), progress, lambda s: tr("wb_making_file", self.lang, s=s))
