"""The 自评报告 and the feedback report as Word files, for Word and WPS.

``qkit report FILE --docx`` writes, next to the HTML report:

- ``NAME.自评报告.docx``, the self-assessment report an applicant submits: a
  cover page, a table of contents (a TOC field, updated when Word opens the
  file), 5.1 and the items and clauses under their titles from the standard,
  each with its narrative (paragraphs, lists and bold of ``qkit.markup``,
  citations as 表/图 numbers), and under each clause with KPIs its KPI table
  and a trend chart per KPI;
- ``NAME.反馈报告.docx``, the feedback report for consultants to edit before
  handing it over: total and maturity, item scores and charts, strengths and
  OFIs per clause, priorities, the results analysis, the writing status of
  the 自评报告 and the clause table. It is of the HTML report's edition
  (``tables.Edition``): the applicant's shows no assessor, independent score,
  calibration, note or flag, a bands-only one no exact score.

Both have page numbers (PAGE and NUMPAGES fields in the footer) and name
their fonts for Chinese explicitly (``qkit.word``: its styles, fields and
blocks). The numbers come from the core (scoring, analytics, narrative,
plan); this module only lays them out.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Iterable

from . import analytics, charts, improvement_tables, markup, tables
from .document import KPI
from .docx_pages import number_contents
from .files import remove, replacing
from .i18n import capital, colon, fmt_date, fmt_percent, fmt_points, join_list, paren, tr
from .evidence import EvidenceFiles
from .narrative import (LimitsFile, References, WritingStatus, image_caption, kpi_caption, kpi_table, references,
                        table_caption, writing_frame, writing_status)
from .plan import day_of, plan_of
from .radar import radar_title
from .scoring import ClauseScore, Scorecard
from .tables import Edition, edition_for
from .word import (CHART_DPI, after_table, body, bracketed, bullets, caption, contents_page, cover, fill_contents,
                   frame_table, muted, new_document, page_furniture, picture, properties, table)

NARRATIVE, FEEDBACK, BOTH = "narrative", "feedback", "both"
KINDS = (BOTH, NARRATIVE, FEEDBACK)
SUFFIXES = {NARRATIVE: ".自评报告.docx", FEEDBACK: ".反馈报告.docx"}


def docx_paths(assessment: str | Path, out_dir: str | Path, which: str = BOTH) -> dict[str, Path]:
    """The Word files ``which`` asks for, named after the assessment document."""
    stem = Path(assessment).stem
    kinds = (NARRATIVE, FEEDBACK) if which == BOTH else (which,)
    return {kind: Path(out_dir) / f"{stem}{SUFFIXES[kind]}" for kind in kinds}


def write_docx(card: Scorecard, assessment: str | Path, out_dir: str | Path, which: str = BOTH, lang: str = "zh",
               limits: LimitsFile | None = None, edition: Edition | None = None, today=None) -> list[Path]:
    """Write the Word files ``which`` asks for (both, narrative or feedback); each written atomically. The
    feedback report is of ``edition`` (by default the document's, ``tables.edition_for``), its plan as of
    ``today`` (by default the day it is written)."""
    paths = docx_paths(assessment, out_dir, which)
    pictures = _Pictures(lang)
    status = writing_status(card.assessment, card.rubric, limits)
    written = []
    for kind, path in paths.items():
        remove(path)
        doc = narrative_document(card, lang, pictures) if kind == NARRATIVE else \
            feedback_document(card, lang, pictures, status, edition, today)
        written.append(save_docx(doc, path))
    return written


def save_docx(doc, path: Path) -> Path:
    """Write a Word file atomically, its contents' page numbers filled in where LibreOffice can lay it out."""
    with replacing(path, ".docx") as partial:
        doc.save(partial)
        number_contents(partial)
    return path


class _Pictures:
    """Charts as PNG, each drawn once even when both documents show it."""

    def __init__(self, lang: str):
        self.lang = lang
        self._kpis: dict[int, bytes] = {}

    @staticmethod
    def png(figure) -> bytes:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=CHART_DPI)
        return buffer.getvalue()

    def kpi(self, kpi: KPI) -> bytes:
        if id(kpi) not in self._kpis:
            self._kpis[id(kpi)] = self.png(charts.kpi_trend(kpi, self.lang))
        return self._kpis[id(kpi)]


def cover_facts(card: Scorecard, lang: str, with_assessors: bool = False) -> list[tuple[str, str]]:
    doc, rubric = card.assessment, card.rubric
    facts = [(tr(rubric.words["applicant"], lang), doc.name)]
    facts += [(tr(f, lang), str(doc.applicant[f])) for f in rubric.applicant_fields
              if f not in ("name", "short_name", "contact", "employees") and doc.applicant.get(f) not in (None, "")]
    facts.append((tr("standard", lang), rubric.document.title))
    facts.append((tr("date", lang), fmt_date(doc.assessment.get("date"), lang)))
    if with_assessors and doc.assessment.get("assessors"):
        facts.append((tr("assessors", lang), join_list(doc.assessment["assessors"], lang)))
    return facts


def _runs(paragraph, runs: Iterable[markup.Run], refs: References, lang: str) -> None:
    for run in runs:
        text = refs.cite(run.cite, lang) if run.cite else run.text
        paragraph.add_run(text).bold = run.bold or None


def narrative_blocks(doc, part_id: str, text: str, refs: References, lang: str,
                     files: EvidenceFiles | None = None) -> None:
    """A narrative's paragraphs, lists, tables and placed images (their content from ``files``; a grey note where
    there is none), captioned and numbered as ``refs`` says; a grey note when nothing is written yet."""
    blocks = markup.parse(text)
    if not blocks:
        muted(doc, tr("not_written", lang))
        return
    for place, block in enumerate(blocks):
        if block.kind == "table":
            caption(doc, table_caption(refs, part_id, place, block, lang))
            cells = [[refs_text(cell, refs, lang) for cell in row] for row in block.rows]
            width = max(len(row) for row in cells)
            header, rows = cells[0] + [""] * (width - len(cells[0])), [r + [""] * (width - len(r)) for r in cells[1:]]
            table(doc, header, rows, numeric=markup.number_columns(rows))
            after_table(doc)
        elif block.kind == "image":
            entry = refs.evidence.get(block.image.id)
            content = files.content(entry) if files is not None and entry is not None else None
            shown = image_caption(refs, part_id, place, block, lang)
            if content is None:
                muted(doc, tr("image_missing", lang, caption=shown, number=block.image.id))
            else:
                picture(doc, content, shown)
        for entry in block.entries:
            paragraph = body(doc) if block.kind == "paragraph" else doc.add_paragraph(style="List Bullet")
            _runs(paragraph, entry, refs, lang)


def refs_text(runs: Iterable[markup.Run], refs: References, lang: str) -> str:
    """Runs as plain text, citations as the report prints them (a table's cell)."""
    return "".join(refs.cite(run.cite, lang) if run.cite else run.text for run in runs)


def _kpi_section(doc, assessment, clause_id: str, title: str, refs: References, pictures: _Pictures,
                 lang: str) -> None:
    """A clause's KPI table (表5.7-1) and each KPI's trend chart (图5.7-1 …), numbered as citations refer to them."""
    indexed = [(i, k) for i, k in enumerate(assessment.results) if k.clause == clause_id]
    if not indexed:
        return
    kpis = [k for _, k in indexed]
    caption(doc, kpi_caption(refs, clause_id, title, lang))
    header, rows, own = kpi_table(kpis, lang)
    table(doc, header, rows, numeric=set(range(2, len(header))), bold_rows=own)
    lower = any(k.better == "lower" for k in kpis)
    after_table(doc, f"{bracketed('↓', lang).strip()} {tr('better_lower', lang)}" if lower else "")
    for i, kpi in indexed:
        picture(doc, pictures.kpi(kpi), f"{tr('ref_figure', lang, number=refs.figures[i])} {kpi.name}")


# --- the two documents -----------------------------------------------------------------------


def narrative_document(card: Scorecard, lang: str = "zh", pictures: _Pictures | None = None,
                       files: EvidenceFiles | None = None, overview: bool = True):
    """The 自评报告: cover, contents, 5.1 (unless ``overview`` is False: the package sends it apart, as 概述) and
    every clause with its narrative, KPI tables and charts; placed images from ``files``."""
    pictures = pictures or _Pictures(lang)
    assessment, rubric = card.assessment, card.rubric
    refs = references(assessment, rubric)
    doc = new_document(lang)
    properties(doc, tr("sar_title", lang), assessment.name, rubric.title(lang))
    page_furniture(doc, f"{assessment.name} · {tr('sar_title', lang)}", lang)
    cover(doc, tr("sar_title", lang), rubric.title(lang), cover_facts(card, lang), lang)
    contents = contents_page(doc, lang)
    if rubric.profile is not None and overview:
        doc.add_heading(f"{rubric.profile.id} {rubric.profile.name(lang)}", 1)
        profile_text(doc, card, refs, lang, files)
    for item in rubric.items:
        doc.add_heading(f"{item.id} {item.name(lang)}", 1)
        for clause in item.clauses:
            doc.add_heading(f"{clause.id} {clause.name(lang)}", 2)
            narrative_blocks(doc, clause.id, assessment.rating(clause.id).narrative, refs, lang, files)
            _kpi_section(doc, assessment, clause.id, clause.name(lang), refs, pictures, lang)
    fill_contents(doc, contents, lang)
    return doc


def profile_text(doc, card: Scorecard, refs: References, lang: str, files: EvidenceFiles | None = None) -> None:
    """The profile's (5.1) narrative; while none is written, the prompts' texts as they are."""
    assessment, profile = card.assessment, card.rubric.profile
    if assessment.profile_narrative.strip() or not any(assessment.profile.values()):
        narrative_blocks(doc, profile.id, assessment.profile_narrative, refs, lang, files)
        return
    for prompt in profile.prompts:
        if assessment.profile.get(prompt.id):
            doc.add_heading(f"{prompt.id}）{prompt.name(lang)}" if lang != "en" else f"{prompt.id}) {prompt.name(lang)}", 3)
            body(doc, assessment.profile[prompt.id])


def _clause_heading(card: Scorecard, c: ClauseScore, edition: Edition, lang: str) -> str:
    """5.2.2 引领发展（得分率 70%）, or with ``bands_only`` （分数段 70%–85%）; a proposed score says so."""
    if c.score is None:
        shown = tr("unscored", lang)
    elif edition.bands_only:
        shown = f"{tr('score_band', lang)} {tables.clause_band_label(card, c, lang)}"
    else:
        shown = f"{tr('score', lang)} {fmt_percent(c.score)}"
    return paren(f"{c.id} {c.name(lang)}", f"{shown} · {tr('proposed_score', lang)}" if c.proposed else shown, lang)


def _left_out(doc, what: str, lang: str) -> None:
    """Where a bands-only report would show a chart or table of exact scores: the sentence saying why not."""
    muted(doc, tr("left_out_bands", lang, what=what))


def feedback_document(card: Scorecard, lang: str = "zh", pictures: _Pictures | None = None,
                      status: WritingStatus | None = None, edition: Edition | None = None, today=None):
    """The feedback report, to edit before handing it over: the HTML report's sections as Word text and tables,
    of the report's edition (by default the document's)."""
    edition = edition or edition_for(card)
    card = edition.release(card)
    pictures = pictures or _Pictures(lang)
    assessment, rubric = card.assessment, card.rubric
    refs = references(assessment, rubric)
    status = status or writing_status(assessment, rubric)
    doc = new_document(lang)
    properties(doc, edition.title(lang), assessment.name, rubric.title(lang))
    page_furniture(doc, f"{assessment.name} · {edition.title(lang)}", lang)
    cover(doc, edition.title(lang), rubric.title(lang), cover_facts(card, lang, with_assessors=edition.internal),
           lang)
    contents = contents_page(doc, lang)

    doc.add_heading(tr("sec_summary", lang), 1)
    maturity = f"{capital(tr(card.rubric.words['maturity'], lang))}{colon(lang)}{tables.maturity_label(card, lang)}"
    if edition.bands_only:
        body(doc, tr("bands_lead", lang), indent=False)
        body(doc, maturity, indent=False)
    else:
        total = paren(f"{fmt_points(card.total)} / {card.max}", fmt_percent(round(card.percent, 1)), lang)
        body(doc, f"{capital(tr('total', lang))}{colon(lang)}{total}{'　' if lang != 'en' else '    '}{maturity}",
             indent=False)
    if card.maturity.basis(lang):
        body(doc, card.maturity.basis(lang), indent=False)
    if card.missing:
        body(doc, f"{capital(tr('partial', lang))}{colon(lang)}{join_list(card.missing, lang)}", indent=False)
    for c in card.flagged if edition.internal else ():
        why = c.flag.short(lang) if edition.bands_only else c.flag.message(lang)  # its message may name scores
        body(doc, f"{c.id} {c.name(lang)}{colon(lang)}{why}", indent=False)
    own = tables.self_frame(card, lang, edition)
    if not own.empty:
        doc.add_heading(tr("self_gaps_title", lang), 2)
        body(doc, tr("self_gaps_lead_bands", lang) if edition.bands_only else tr("self_gaps_lead", lang),
              indent=False)
        frame_table(doc, own, (tr("self_score", lang), tr("consensus_score", lang)))
    if edition.internal and tables.is_consensus(card):
        doc.add_heading(tr("sec_consensus", lang), 2)
        frame_table(doc, tables.consensus_frame(card, lang, edition))
        if edition.bands_only:
            _left_out(doc, tr("calibration", lang), lang)
        else:
            body(doc, tr("calibration", lang), indent=False)
            frame_table(doc, tables.calibration_frame(card, lang))
            picture(doc, pictures.png(charts.spread_chart(card, lang)))

    doc.add_heading(tr("sec_items", lang), 1)
    frame_table(doc, tables.item_frame(card, lang, edition), (tr("score", lang),))
    if edition.bands_only:
        _left_out(doc, radar_title(card, lang), lang)
        picture(doc, pictures.png(charts.clause_bands(card, lang)))
    else:
        picture(doc, pictures.png(charts.item_radar(card, lang)))
        picture(doc, pictures.png(charts.clause_bars(card, lang)))

    doc.add_heading(tr("sec_feedback", lang), 1)
    for item in card.items:
        doc.add_heading(f"{item.id} {item.name(lang)}", 2)
        for c in item.clauses:
            rating = assessment.rating(c.id)
            doc.add_heading(_clause_heading(card, c, edition, lang), 3)
            for key, texts in (("strengths", rating.strengths), ("ofis_long", rating.ofis),
                               ("evidence", rating.evidence)):
                if texts:
                    doc.add_paragraph().add_run(capital(tr(key, lang))).bold = True
                    bullets(doc, texts)
            if rating.notes and edition.internal:
                body(doc, f"{capital(tr('justified', lang))}{colon(lang)}{rating.notes}", indent=False)

    doc.add_heading(capital(tr("gaps", lang)), 1)
    body(doc, tr("gaps_lead_bands", lang) if edition.bands_only else tr("gaps_lead", lang), indent=False)
    frame_table(doc, tables.priority_frame(card, lang, edition).head(10), (tr("score", lang),))
    if edition.bands_only:
        _left_out(doc, tr("gaps", lang), lang)
    else:
        picture(doc, pictures.png(charts.priority_chart(card, lang)))
    _plan(doc, card, edition, today, lang)

    analyses = analytics.analyze_results(assessment, rubric, lang, for_applicant=not edition.internal)
    if analyses:
        doc.add_heading(tr("sec_results", lang), 1)
        body(doc, tr("results_lead" if edition.internal else "results_lead_applicant", lang), indent=False)
        for clause in analyses:
            doc.add_heading(f"{clause.id} {clause.title}", 2)
            band = clause.hint.band
            if band is not None:
                body(doc, f"{capital(tr('hint_band', lang))}{colon(lang)}{fmt_percent(band.min)}–{fmt_percent(band.max)}",
                     indent=False)
            bullets(doc, clause.hint.sentences)
            _kpi_section(doc, assessment, clause.id, clause.title, refs, pictures, lang)

    if status.written:
        _writing(doc, status, lang)

    doc.add_heading(tr("sec_appendix", lang), 1)
    frame = tables.clause_frame(card, lang, edition)
    frame_table(doc, frame.drop(columns=frame.columns[0]), (tr("score", lang),))
    fill_contents(doc, contents, lang)
    return doc


def _plan(doc, card: Scorecard, edition: Edition, today, lang: str) -> None:
    """改进计划: where the plan stands, the points it would gain (not with bands only), the roadmap and the
    actions by due day; nothing without a plan."""
    shown = plan_of(card, day_of(today))
    if not shown.actions:
        return
    doc.add_heading(tr("sec_plan", lang), 1)
    body(doc, shown.lead(lang), indent=False)
    if edition.bands_only:
        _left_out(doc, tr("col_gain", lang), lang)
    else:
        body(doc, shown.gain_text(lang), indent=False)
    doc.add_heading(tr("sec_roadmap", lang), 2)
    frame_table(doc, improvement_tables.roadmap_frame(card, lang, edition))
    frame_table(doc, improvement_tables.plan_table(shown, lang, edition), (tr("col_target_score", lang),))


def _writing(doc, status: WritingStatus, lang: str) -> None:
    """The 自评报告's writing: each part's length against its limit and the sub-points it seems to leave out."""
    doc.add_heading(tr("sec_writing", lang), 1)
    body(doc, tr("writing_lead", lang, file=Path(status.limits.source).name, figure=status.limits.figure),
         indent=False)
    frame, totals = writing_frame(status, lang)
    table(doc, [str(c) for c in frame.columns], frame.values.tolist(), numeric={1, 3}, bold_rows=set(totals))
    after_table(doc)
