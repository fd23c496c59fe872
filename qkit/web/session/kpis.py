"""The KPI grid's edits: years, values, pasted rows, comparison series, imported tables."""

from __future__ import annotations

import re
from typing import Any

from ...errors import Problem
from ...i18n import join_list, tr
from ...merge import same
from ...paths import FieldPath, as_year, field_of
from ..progress import assessment_year
from .typed import parse_number, parse_year


class KpiEditing:
    """Results data as the grid changes it: every edit checked against the member's items first."""

    def add_kpi(self, clause: str | None = None) -> int:
        """A new KPI, by default under the first results clause the member writes; -1 when refused."""
        if clause is None:
            mine = [c for c in self.results_clauses if self.editable(("clauses", c))]
            clause = (mine or self.results_clauses)[0]
        return self.append(("results",), {"clause": clause, "name": "", "values": {}})

    def assessment_year(self) -> int:
        """The year of the assessment date; this year while no date is filled in."""
        return assessment_year(self.value(("assessment", "date")))

    def add_year(self, kpi: int) -> int | None:
        """Add an empty row for the latest year before the assessment year that the KPI lacks.

        Pressed again and again it goes back a year at a time (2025, 2024,
        2023 … for an assessment in 2026), filling any gap on the way. None when the member may not.
        """
        if self._allowed(("results", kpi)):
            return None
        raw = self.data_at(("results", kpi))
        values = raw.get("values") if isinstance(raw.get("values"), dict) else {}
        present = {as_year(key) for s in self.kpi_series(kpi) for key in s}
        year = self.assessment_year() - 1
        while year in present:
            year -= 1
        raw["values"] = {**values, year: None}
        self._changed(("results", kpi, "years", year))
        return year

    def set_kpi_value(self, kpi: int, series: FieldPath, year: Any, text: str) -> None:
        """A value typed into the year grid; a cleared cell keeps its year (an empty row is flagged, not lost).

        ``series`` is ``("values",)`` for the KPI's own values or ``("comparisons", name)``.
        """
        path = ("results", kpi, *series, year)
        if self._allowed(("results", kpi)) or self._broken(path, text, *series):
            return
        value = parse_number(text)
        parent = self._container(path[:-1], year)
        if year in parent and same(parent[year], value):
            return
        parent[year] = value
        self._changed(path)

    def paste_row(self, kpi: int, series: FieldPath, years: list[Any], text: str) -> list[Any] | None:
        """Values copied from Excel (tab-separated) pasted into one cell of the grid, on the years a person means.

        Values pasted with their years (a row of years above the row of values,
        or a year beside each value) land on those years. Values alone fill
        ``years`` (the pasted row's year and the rows below it) when there are
        enough rows; otherwise they are the latest years, oldest first as a row
        in Excel runs, ending at the grid's last year (never after the
        assessment year), so no year after the assessment is made up. Returns
        the years filled, or None when the text is one value (or may not be changed).
        """
        if self._allowed(("results", kpi)) or self._broken(("results", kpi), text, *series):
            return None
        pairs = _with_years(text)
        if pairs is None:
            cells = [cell.strip() for cell in re.split(r"\t|\r?\n", text.strip("\r\n"))]
            if len(cells) < 2:  # a column pasted into a one-line box arrives with spaces between the values
                cells = text.split()
            if len(cells) < 2:
                return None
            if len(cells) <= len(years):
                pairs = list(zip(years, cells))
            else:
                known = [y for y in (as_year(k) for s in self.kpi_series(kpi) for k in s) if y is not None]
                last = min(max(known), self.assessment_year()) if known else self.assessment_year() - 1
                pairs = list(zip(range(last - len(cells) + 1, last + 1), cells))
        stored = {as_year(k): k for s in self.kpi_series(kpi) for k in s if as_year(k) is not None}
        pairs = [(stored.get(as_year(year), year), cell) for year, cell in pairs]  # a year kept as typed ("2024年")
        parent = self._container(("results", kpi, *series), pairs[0][0])
        for year, cell in pairs:
            parent[year] = parse_number(cell)
        self._changed(("results", kpi, *series))
        return [year for year, _ in pairs]

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


def _with_years(text: str) -> list[tuple[int, str]] | None:
    """(year, value) pairs of a table pasted with its years: a row of years over a row of values, or a column of
    years beside a column of values; None when the text is values alone."""
    lines = [line.split("\t") for line in re.split(r"\r?\n", text.strip("\r\n")) if line.strip()]
    if len(lines) == 2 and len(lines[0]) == len(lines[1]) >= 2 and all(as_year(c) for c in lines[0]):
        return [(as_year(year), cell.strip()) for year, cell in zip(*lines)]
    if len(lines) >= 2 and all(len(line) == 2 and as_year(line[0]) for line in lines):
        return [(as_year(year), cell.strip()) for year, cell in lines]
    return None
