"""Results data: each KPI with its year-by-year grid of values and comparison series, typed, pasted or imported."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ...errors import QkitError
from ...i18n import join_list, tr
from ...paths import FieldPath, as_year
from ..session import parse_number, parse_year
from .fields import Form, fragment, html_box, in_background


class KpiEditor(w.VBox):
    """Results data: KPIs with their yearly values and comparison series, typed or imported."""

    def __init__(self, form: Form):
        super().__init__()
        self.form, self.session, self.lang = form, form.session, form.lang
        lang = self.lang
        clauses = {c.id: c for c in self.session.rubric.clauses}
        self.clause_options = [(f"{cid} {clauses[cid].name(lang)}", cid) for cid in self.session.results_clauses
                               if self.session.editable(("clauses", cid))]  # a KPI moves only among the writer's
        self.upload = w.FileUpload(accept=".csv,.xlsx", multiple=False, description=tr("wb_import", lang),
                                   tooltip=tr("wb_import", lang), layout=w.Layout(width="auto"))
        self.upload.add_class("qkit-upload")  # shows its tooltip, not the count of files uploaded so far
        self.upload.observe(form.safe(self._import), "value")
        self.import_note = html_box("")
        self.add = w.Button(description=tr("wb_add_kpi", lang), icon="plus", button_style="info",
                            layout=w.Layout(width="auto"))
        self.add.on_click(form.safe(self._add))
        self.list = w.VBox()
        intro = html_box(fragment("section_intro", title=tr("wb_results_tab", lang), intro=tr("wb_results_intro", lang)))
        self.own = form.messages(("results",))
        form.register(("results",), self.add)
        self.children = [intro, w.HBox([self.add, self.upload], layout=w.Layout(flex_flow="row wrap")),
                         self.import_note, self.own, self.list]
        self._build()

    def _build(self) -> None:
        self.form.forget(("results",))
        kpis = self.session.value(("results",), [])
        kpis = kpis if isinstance(kpis, list) else []
        self.list.children = [self._kpi(i) for i in range(len(kpis))]

    def _kpi(self, i: int) -> w.Widget:
        form, lang = self.form, self.lang
        path = ("results", i)
        better = [(tr("better_higher", lang), "higher"), (tr("better_lower", lang), "lower")]
        remove = w.Button(description=tr("wb_remove_kpi", lang), icon="trash", layout=w.Layout(width="auto"))
        remove.on_click(form.safe(lambda _: self._remove(i)))
        name = form.text(path + ("name",), tr("wb_kpi_name", lang), width="260px")
        form.register(path, form.input_for(path + ("name",)))
        fields = w.HBox([
            form.labeled(tr("col_clause", lang), form.choice(path + ("clause",), self.clause_options, width="100%"),
                         path + ("clause",), width="260px"),
            name,
            form.text(path + ("unit",), tr("col_unit", lang), width="110px"),
            form.labeled(tr("col_better", lang), form.choice(path + ("better",), better, empty="higher",
                                                             width="100%"), path + ("better",), width="120px"),
            form.text(path + ("target",), tr("col_target", lang), parse=parse_number, width="110px"),
        ], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        fields.add_class("qkit-kpi-fields")
        card = w.VBox([w.HBox([html_box(fragment("kpi_heading", number=i + 1, lang=lang)), remove],
                              layout=w.Layout(justify_content="space-between")),
                       fields, form.messages(path), KpiGrid(form, i)])
        card.add_class("qkit-card")
        return card

    def _add(self, _: Any) -> None:
        i = self.session.add_kpi()
        if i < 0:  # refused (the page says why)
            return
        self._build()
        self.form.focus_soon(self.form.input_for(("results", i, "name")))

    def _remove(self, i: int) -> None:
        self.session.remove(("results", i))
        self._build()

    _importing = False  # a file being read: another waits for it, however the page sends it

    def _import(self, change: dict) -> None:
        """Read an uploaded table off the page's message loop, a progress line counting the seconds."""
        from ..kpi_import import read_kpis

        files = change["new"]
        if not files:
            return
        upload = files[0]
        self.upload.value = ()  # ready for the next file; the button shows no count
        if self._importing:
            return
        name, content = upload["name"], bytes(upload["content"])
        self._importing = self.upload.disabled = True
        in_background(lambda: read_kpis(name, content), self.form.safe(self._imported), self.import_note,
                      lambda s: tr("wb_import_progress", self.lang, s=s))

    def _imported(self, kpis: list[dict[str, Any]] | None, error: Exception | None) -> None:
        """The table read merged into the document, or why it was not."""
        self._importing = self.upload.disabled = False
        if error is not None:
            message = error.render(self.lang) if isinstance(error, QkitError) else tr("unexpected_error", self.lang)
            self.import_note.value = fragment("import_failed", message=message)
            return
        added, updated = self.session.import_kpis(kpis)
        self.import_note.value = fragment("import_done", added=added, updated=updated, lang=self.lang)
        self._build()


class _Row:
    """A year row of the grid; its year changes when the person edits the year box."""

    def __init__(self, year: Any):
        self.year = year
        self.year_box: w.Text | None = None
        self.cells: list[w.Text] = []


class _Column:
    """A series of the grid: the KPI's own values or a comparison, whose name can change."""

    def __init__(self, series: FieldPath):
        self.series = series


class KpiGrid(w.VBox):
    """One KPI's year × series grid: a row per year, our values then each comparison series.

    Rows keep their place while the person types (a year typed over another
    moves its values, not the row); the rows are put in year order when the
    grid is drawn again: a year or series added or removed, the tab reopened.
    """

    def __init__(self, form: Form, i: int):
        super().__init__()
        self.form, self.session, self.lang, self.i = form, form.session, form.lang, i
        self.note = html_box("", "qkit-problem")
        self._draw()
        self.add_class("qkit-grid")

    def _draw(self) -> None:
        form, lang, session, i = self.form, self.lang, self.session, self.i
        for part in ("values", "comparisons", "years"):
            form.forget(("results", i, part))
        comparisons = session.value(("results", i, "comparisons"), {})
        comparisons = comparisons if isinstance(comparisons, dict) else {}
        self.columns = [_Column(("values",))] + [_Column(("comparisons", name)) for name in comparisons]
        years = sorted({y for s in session.kpi_series(i) for y in s}, key=_year_order)
        self.rows = [_Row(year) for year in years]
        head = [html_box(fragment("label", value=tr("col_year", lang)), "qkit-year-cell"),
                html_box(fragment("label", value=tr("own_series", lang)), "qkit-cell")]
        head += [self._series_head(column) for column in self.columns[1:]]
        head_row = w.HBox(head, layout=w.Layout(align_items="flex-end"))
        head_row.add_class("qkit-grid-head")
        lines: list[w.Widget] = [head_row]
        lines += [self._row(row) for row in self.rows]
        for column in self.columns:
            lines.append(form.messages(("results", i, *column.series)))
        add_year = w.Button(description=tr("wb_add_year", lang), icon="plus", tooltip=tr("wb_add_year_hint", lang),
                            layout=w.Layout(width="auto"))
        add_year.on_click(self.form.safe(self._add_year))
        form.register(("results", i, "values"), add_year)  # a KPI without values: the cursor goes here
        add_series = w.Button(description=tr("wb_add_series", lang), icon="plus", layout=w.Layout(width="auto"))
        add_series.on_click(self.form.safe(self._add_series))
        lines += [w.HBox([add_year, add_series], layout=w.Layout(flex_flow="row wrap")),
                  html_box(fragment("muted", value=tr("wb_paste_hint", lang))), self.note]
        self.children = lines

    def _series_head(self, column: _Column) -> w.Widget:
        name = column.series[1]
        box = w.Combobox(value=str(name), options=self.session.series_names(self.lang), ensure_option=False,
                         continuous_update=False, placeholder=tr("wb_series_name", self.lang),
                         tooltip=tr("wb_series_name", self.lang))
        box.observe(self.form.safe(lambda change: self._rename(column, change["new"])), "value")
        self.form.register(("results", self.i, *column.series), box)
        remove = w.Button(icon="trash", tooltip=tr("wb_remove_series", self.lang), layout=w.Layout(width="30px"))
        remove.on_click(self.form.safe(lambda _: self._remove_series(column)))
        label = html_box(fragment("muted", value=tr("wb_series_label", self.lang)))
        head = w.VBox([w.HBox([label, remove], layout=w.Layout(justify_content="space-between",
                                                               align_items="center")), box])
        head.add_class("qkit-cell")
        head.add_class("qkit-series-name")
        return head

    def _row(self, row: _Row) -> w.Widget:
        year_box = w.Text(value=str(row.year), continuous_update=False)
        year_box.add_class("qkit-year-cell")
        year_box.observe(self.form.safe(lambda change: self._year(row, change["new"])), "value")
        row.year_box = year_box
        row.cells = []
        for column in self.columns:
            value = self.session.value(("results", self.i, *column.series, row.year))
            cell = w.Text(value="" if value is None else str(value), continuous_update=True)
            cell.add_class("qkit-cell")
            cell.observe(self.form.safe(lambda change, column=column: self._typed(row, column, change)), "value")
            row.cells.append(cell)
        self._register(row)
        remove = w.Button(icon="trash", tooltip=tr("wb_remove_year", self.lang), layout=w.Layout(width="32px",
                                                                                              margin="2px 0"))
        remove.on_click(self.form.safe(lambda _: self._remove_year(row)))
        messages = self.form.moving_messages(("results", self.i, "years"), lambda: self._paths(row))
        line = w.HBox([year_box, *row.cells, remove])
        line.add_class("qkit-grid-row")
        return w.VBox([line, messages])

    def _paths(self, row: _Row) -> list[FieldPath]:
        return [("results", self.i, "years", row.year)] + [("results", self.i, *c.series, row.year)
                                                            for c in self.columns]

    def _register(self, row: _Row) -> None:
        self.form.register(("results", self.i, "years", row.year), row.year_box)
        for column, cell in zip(self.columns, row.cells):
            self.form.register(("results", self.i, *column.series, row.year), cell)

    def _typed(self, row: _Row, column: _Column, change: dict) -> None:
        text, before = change["new"], change["old"] or ""
        if _pasted(text, before):
            below = [r.year for r in self.rows[self.rows.index(row):]]
            filled = self.session.paste_row(self.i, column.series, below, text)
            if filled is not None:
                self._after_paste(column, filled)
                return
        self.session.set_kpi_value(self.i, column.series, row.year, text)

    def _after_paste(self, column: _Column, filled: list[Any]) -> None:
        """Show the values pasted, and say which years they went to (the grid grows when years were added)."""
        years = sorted(as_year(y) or 0 for y in filled)
        span = f"{years[0]}–{years[-1]}" if years == list(range(years[0], years[-1] + 1)) else join_list(years, self.lang)
        self.note.value = fragment("muted", value=tr("wb_pasted", self.lang, years=span))
        if any(year not in {r.year for r in self.rows} for year in filled):
            self._draw()
            return
        at = self.columns.index(column)
        for row in self.rows:
            value = self.session.value(("results", self.i, *column.series, row.year))
            row.cells[at].value = "" if value is None else str(value)

    def _year(self, row: _Row, text: str) -> None:
        problem = self.session.set_year(self.i, row.year, text)
        if problem is not None:
            self.note.value = fragment("problems", messages=[self.session.describe(problem, self.lang)])
            return
        self.note.value = ""
        for path in self._paths(row):
            self.form.unregister(path)
        row.year = parse_year(text)
        self._register(row)
        self.form._refresh_messages(())

    def _rename(self, column: _Column, name: str) -> None:
        old = column.series[1]
        problem = self.session.rename_series(self.i, old, name)
        if problem is not None:
            self.note.value = fragment("problems", messages=[self.session.describe(problem, self.lang)])
            return
        self.note.value = ""
        new = ("comparisons", name.strip())
        for row in self.rows:
            self.form.unregister(("results", self.i, *column.series, row.year))
        column.series = new
        for row in self.rows:
            self._register(row)
        self.form._refresh_messages(())

    def _add_year(self, _: Any) -> None:
        self.session.add_year(self.i)
        self._draw()

    def _add_series(self, _: Any) -> None:
        comparisons = self.session.value(("results", self.i, "comparisons"), {})
        taken = set(comparisons) if isinstance(comparisons, dict) else set()
        suggested = [name for name in self.session.series_names(self.lang) if name not in taken]
        self.session.add_series(self.i, suggested[0] if suggested else tr("wb_new_series", self.lang))
        self._draw()

    def _remove_year(self, row: _Row) -> None:
        self.session.remove_year(self.i, row.year)
        self._draw()

    def _remove_series(self, column: _Column) -> None:
        self.session.remove_series(self.i, column.series[1])
        self._draw()


def _year_order(key: Any) -> tuple:
    """Years in order, then anything typed that is not a year yet."""
    year = as_year(key)
    return (year is None, year or 0, str(key))


def _pasted(text: str, before: str) -> bool:
    """Whether a cell's new text is a row of values pasted at once rather than typed.

    A tab or a line break cannot be typed into a cell; values separated by
    spaces (a column pasted into a one-line box) count when they arrived at once.
    """
    if "\t" in text or "\n" in text:
        return True
    parts = text.split()
    return len(parts) > 1 and len(text) - len(before) > 1 and all(_number(p) for p in parts)


def _number(text: str) -> bool:
    return isinstance(parse_number(text), (int, float))
