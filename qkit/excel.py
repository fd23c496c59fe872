"""The report as an Excel workbook, for teams who work in Excel.

One sheet per table (scores, items, strengths and OFIs, priorities, the
improvement plan when there is one, KPI data and KPI analysis; a consensus
document's self-assessment against the
consensus, and for the office the independent scores and the calibration),
headers in the user's language, numbers as numbers, text as text (never a
formula), a frozen header row with filters, and widths that fit Chinese text.
A workbook is of one report edition (``tables.Edition``): the applicant's has
no assessor, independent score or note, a bands-only one no exact score.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import analytics, improvement_tables, tables
from .values import UNWRITABLE
from .files import replacing
from .i18n import tr
from .plan import day_of, plan_of
from .scoring import Scorecard
from .tables import Edition, edition_for

MAX_WIDTH = 60
HEADER_FILL = PatternFill("solid", fgColor="1D3557")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def _display_width(value) -> int:
    """Columns a value needs: CJK characters are twice as wide as Latin ones."""
    text = "" if value is None else str(value)
    lines = text.splitlines() or [""]
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def keep_text(ws: Worksheet) -> None:
    """Text stays text: a strength typed as "=HYPERLINK(…)" must not become a live formula."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _writable(value):
    """Text without the characters a workbook cannot hold (control characters, lone surrogates), which openpyxl
    refuses: the check names them in a document, but a workbook is also made from a form's partial document."""
    return UNWRITABLE.sub("", value) if isinstance(value, str) else value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text that a spreadsheet would run as a formula, quoted with a leading apostrophe (for CSV)."""
    return frame.map(lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v)


def style_sheet(ws: Worksheet) -> None:
    """Header row styled and frozen, filters on, widths fitted, long text wrapped, and set up to print: A4
    landscape, every column on the page's width, the header row on every page, the sheet and page in the footer."""
    ws.freeze_panes = "A2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&A · &P / &N"
    ws.auto_filter.ref = ws.dimensions
    for cell in ws[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for i, column in enumerate(ws.iter_cols(), 1):
        width = max(_display_width(c.value) for c in column) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 6), MAX_WIDTH)
        if width > MAX_WIDTH:
            for cell in column[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


HIGHLIGHT_FILL = PatternFill("solid", fgColor="FCE4D6")


def as_percent(ws: Worksheet, frame: pd.DataFrame) -> None:
    """The frame's columns of percentages (``tables.percent``: 70 for 70 %) stored as fractions in Excel's
    percent format, so 70% reads as 70% and sums and sorts as a share."""
    for name in frame.attrs.get("percent", ()):
        column = list(frame.columns).index(name) + 1
        numbers = [v for v in frame[name] if isinstance(v, (int, float)) and not pd.isna(v)]
        style = "0%" if all(float(v).is_integer() for v in numbers) else "0.0%"
        for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.value, cell.number_format = cell.value / 100, style


def write_sheets(path: str | Path, sheets: dict[str, pd.DataFrame],
                 highlight: dict[str, list[int]] | None = None) -> Path:
    """Write named tables, one per sheet, each styled by ``style_sheet``; ``highlight`` fills rows (0-based)."""
    path = Path(path)
    with replacing(path, ".xlsx") as partial, pd.ExcelWriter(partial, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.map(_writable).rename(columns=_writable).to_excel(writer, sheet_name=name, index=False)
            keep_text(writer.sheets[name])
            as_percent(writer.sheets[name], frame)
            style_sheet(writer.sheets[name])
            for row in (highlight or {}).get(name, []):
                for cell in writer.sheets[name][row + 2]:
                    cell.fill = HIGHLIGHT_FILL
    return path


def workbook_sheets(card: Scorecard, lang: str = "zh", edition: Edition | None = None,
                    today=None) -> dict[str, pd.DataFrame]:
    """The report's tables by sheet name, as the edition (by default the document's) may show them; the
    plan's overdue actions are those of ``today`` (a date or YYYY-MM-DD; by default the day it is made)."""
    edition = edition or edition_for(card)
    card = edition.release(card)
    doc = card.assessment
    values = analytics.kpi_values_frame(doc, lang)
    values["better"] = [tr(f"better_{b}", lang) for b in values["better"]]
    sheets = {
        tr("sheet_scores", lang): tables.clause_frame(card, lang, edition),
        tr("sheet_items", lang): tables.item_frame(card, lang, edition),
    }
    own = tables.self_frame(card, lang, edition)
    if not own.empty:
        sheets[tr("sheet_self", lang)] = own
    if edition.internal and tables.is_consensus(card):
        sheets[tr("sheet_consensus", lang)] = tables.consensus_frame(card, lang, edition)
        if not edition.bands_only:
            sheets[tr("sheet_calibration", lang)] = tables.calibration_frame(card, lang)
    sheets |= {
        tr("sheet_feedback", lang): tables.feedback_frame(card, lang),
        tr("sheet_priorities", lang): tables.priority_frame(card, lang, edition),
    }
    plan = plan_of(card, day_of(today))
    if plan.actions:  # what will be done about the priorities, beside them
        sheets[tr("sheet_plan", lang)] = improvement_tables.plan_frame(plan, lang, edition)
    # the team's own work, in either edition: factor ratings, evidence and the self-assessment report's text
    for key, frame in (("sheet_factors", tables.factor_frame(card, lang)),
                       ("sheet_evidence", tables.evidence_frame(card, lang)),
                       ("sheet_narratives", tables.narrative_frame(card, lang))):
        if not frame.empty:
            sheets[tr(key, lang)] = frame
    summary = analytics.kpi_summary_frame(doc, lang)
    summary["met"] = [None if m is None or pd.isna(m) else tr("met_yes" if m else "met_no", lang)
                      for m in summary["met"]]  # 是 / 否, not TRUE / FALSE in a Chinese sheet
    return sheets | {
        tr("sheet_kpis", lang): analytics.localize_columns(values, lang),
        tr("sheet_kpi_summary", lang): analytics.localize_columns(summary, lang),
    }


def write_workbook(card: Scorecard, path: str | Path, lang: str = "zh", edition: Edition | None = None,
                   today=None) -> Path:
    """One applicant's scores, feedback, priorities, plan and KPI data as an .xlsx file, of the report's
    ``edition`` (``tables.edition_for``; by default the applicant's for a consensus document, the internal one
    otherwise); the plan as of ``today``."""
    return write_sheets(path, workbook_sheets(card, lang, edition, today))
