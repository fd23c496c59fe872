"""The scorecard as tables, with headers in the user's language.

One set of tables serves the report's item table and appendix, the Excel
workbook and the batch summary, so the same numbers never get computed twice.
Cells hold numbers (not formatted text) so Excel can sum and sort them; empty
cells are ``None``.
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass

import pandas as pd

from .cohort import ClauseStats, Entry
from .consensus import calibration
from .document import Comment
from .errors import Problem, QkitError
from .i18n import fmt_band, fmt_percent, fmt_points, join_list, paren, tr
from .palette import BAND_COLOURS
from .rubric import STEP, Band
from .scoring import ClauseScore, ItemScore, Scorecard

# --- a report's edition: who reads it, and whether scores are released as bands ---------------

APPLICANT, INTERNAL = "applicant", "internal"
AUDIENCES = (APPLICANT, INTERNAL)


@dataclass(frozen=True)
class Edition:
    """Who a report is for, and so what it may show.

    An award office sends the applicant the consensus: key themes, strengths,
    OFIs and scores (or only their bands), never who assessed, the individual
    scores, their calibration, the internal notes or the flags that ask an
    assessor to justify a score. The internal edition shows all of it.
    ``bands_only`` releases every score as the band it falls in, as some
    offices do, in either edition.
    """

    audience: str = INTERNAL
    bands_only: bool = False

    @property
    def internal(self) -> bool:
        return self.audience == INTERNAL

    def label(self, lang: str = "zh") -> str:
        """申报单位版 or 内部版, as the cover names the edition."""
        return tr("audience_internal", lang) if self.internal else tr("audience_applicant", lang)

    def title(self, lang: str = "zh") -> str:
        """The feedback report's title with its edition: 自评反馈报告（申报单位版）."""
        return paren(tr("report_title", lang), self.label(lang), lang)

    def release(self, card: Scorecard) -> Scorecard:
        """The scorecard with nothing this edition must not show: for the applicant no assessors' names,
        independent scores, comment authors or notes (the plan's progress notes too, and an owner who is one of
        the assessors), so a view that forgot the edition has none to show."""
        if self.internal:
            return card
        doc = card.assessment

        def anonymous(comments: list) -> list[Comment]:
            return [Comment(str(c)) for c in comments]

        ratings = {cid: dataclasses.replace(r, notes="", independent={}, strengths=anonymous(r.strengths),
                                            ofis=anonymous(r.ofis), evidence=anonymous(r.evidence))
                   for cid, r in doc.clauses.items()}
        meta = {k: v for k, v in doc.assessment.items() if k != "assessors"}
        assessors = set(doc.assessment.get("assessors") or [])
        plan = [dataclasses.replace(a, notes="", owner="" if a.owner in assessors else a.owner)
                for a in doc.improvements]
        items = tuple(dataclasses.replace(i, clauses=tuple(dataclasses.replace(c, notes="", independent=())
                                                           for c in i.clauses)) for i in card.items)
        return dataclasses.replace(card, assessment=dataclasses.replace(doc, assessment=meta, clauses=ratings,
                                                                        improvements=plan), items=items)


FULL = Edition()  # the office's own view with exact scores: what qkit score and the tables show by default


def is_consensus(card: Scorecard) -> bool:
    """A consensus document: its clauses carry the assessors' independent scores."""
    return any(c.independent for c in card.clauses)


def edition_for(card: Scorecard, audience: str | None = None, bands_only: bool = False) -> Edition:
    """The edition asked for; without an audience, the applicant's for a consensus document (what an
    award office sends), the internal one for any other document."""
    if audience in (None, ""):
        audience = APPLICANT if is_consensus(card) else INTERNAL
    if audience not in AUDIENCES:
        raise QkitError(Problem("audience", "unknown_audience", audience, {"allowed": list(AUDIENCES)}))
    return Edition(audience, bool(bands_only))


def percent(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The frame with its columns of percentages named (``frame.attrs["percent"]``): their cells hold 70 for
    70 %, and a workbook writes them as percentages (0.7 shown as 70%), the rest as plain numbers."""
    frame.attrs["percent"] = [c for c in columns if c in frame.columns]
    return frame


def clause_band_label(card: Scorecard, c: ClauseScore, lang: str = "zh") -> str | None:
    """A clause's score as the band of its own scoring table (50%–65%); None when unscored."""
    return band_cell(card.rubric.clause_band(card.rubric.clause(c.id), c.score), c.score, lang)


def item_band_label(card: Scorecard, item: ItemScore, lang: str = "zh") -> str:
    """An item's (or group's) percentage as the band it falls in."""
    return band_cell(card.rubric.band_of(item.percent), item.percent, lang)


def score_text(card: Scorecard, c: ClauseScore, lang: str = "zh", edition: Edition = FULL) -> str:
    """A clause's score as a heading shows it: 55% · 11 / 20, or its band; a proposed score says so."""
    if c.score is None:
        return tr("unscored", lang)
    text = clause_band_label(card, c, lang) if edition.bands_only else \
        f"{fmt_percent(c.score)} · {fmt_points(c.earned)} / {c.points}"
    return f"{text} · {tr('proposed_score', lang)}" if c.proposed else text


def item_score_text(card: Scorecard, item: ItemScore, lang: str = "zh", edition: Edition = FULL) -> str:
    """An item's points earned of its points, or the band of its percentage."""
    return item_band_label(card, item, lang) if edition.bands_only else f"{fmt_points(item.earned)} / {item.points}"



def maturity_label(card: Scorecard, lang: str = "zh") -> str:
    """The maturity band as 50%–65%, 50%–65%（暂定） while clauses are unscored (``scoring.Maturity``), or
    (individual award) a total below the lowest described band."""
    return card.maturity.label(lang)


def item_frame(card: Scorecard, lang: str = "zh", edition: Edition = FULL) -> pd.DataFrame:
    """One row per item (or indicator group): points, earned, percent, or only the band; the total last."""
    head = [tr(card.rubric.words["item"], lang), tr("title", lang), tr("points", lang)]
    if edition.bands_only:
        rows = [(i.id, i.name(lang), i.points, item_band_label(card, i, lang) if i.scored else tr("unscored", lang))
                for i in card.items]
        rows.append(("", tr("total", lang), card.max, maturity_label(card, lang)))
        return pd.DataFrame(rows, columns=head + [tr("score_band", lang)])
    rows = [(i.id, i.name(lang), i.points, *((i.earned, round(i.percent, 1)) if i.scored else (None, None)))
            for i in card.items]  # an item with nothing scored has no score yet, not 0
    rows.append(("", tr("total", lang), card.max, card.total, round(card.percent, 1)))
    return percent(pd.DataFrame(rows, columns=head + [tr("earned", lang), tr("score", lang)]), tr("score", lang))


def clause_frame(card: Scorecard, lang: str = "zh", edition: Edition = FULL) -> pd.DataFrame:
    """One row per clause: score and points earned (or the band), and for the office the suggested band, any
    flag and the note; a state column when a score is still only proposed."""
    proposed = any(c.proposed for c in card.clauses)
    rows = []
    for item in card.items:
        for c in item.clauses:
            row = [item.id, c.id, c.name(lang), tr(c.kind, lang), c.points]
            row += [clause_band_label(card, c, lang)] if edition.bands_only else [c.score, c.earned]
            if edition.internal:
                row.append(fmt_band(c.suggestion.band) if c.suggestion else None)
                if not edition.bands_only:
                    row.append(c.suggestion.score if c.suggestion else None)
                row += [c.flag.short(lang) if c.flag else tr("to_review", lang) if c.to_review else None,
                        c.notes or None]
            if proposed:
                row.append(tr("proposed_score", lang) if c.proposed else None)
            rows.append(row)
    columns = [tr(card.rubric.words["item"], lang), tr(card.rubric.words["clause"], lang), tr("title", lang),
               tr("kind", lang), tr("points", lang)]
    columns += [tr("score_band", lang)] if edition.bands_only else [tr("score", lang), tr("earned", lang)]
    if edition.internal:
        columns.append(tr("suggested", lang))
        if not edition.bands_only:
            columns.append(tr("suggested_score", lang))
        columns += [tr("flag", lang), tr("justified", lang)]
    if proposed:
        columns.append(tr("state", lang))
    return percent(pd.DataFrame(rows, columns=columns), tr("score", lang), tr("suggested_score", lang))


def consensus_frame(card: Scorecard, lang: str = "zh", edition: Edition = FULL) -> pd.DataFrame:
    """A consensus document's clauses: each assessor's independent score, their range, the agreed score, flags;
    with ``bands_only`` each score as its band and no range."""
    names = list(dict.fromkeys(name for c in card.clauses for name, _ in c.independent))
    rows = []
    for c in card.clauses:
        own = dict(c.independent)
        if edition.bands_only:
            clause = card.rubric.clause(c.id)
            shown = [band_cell(card.rubric.clause_band(clause, own.get(n)), own.get(n), lang) for n in names]
            scores = [*shown, clause_band_label(card, c, lang)]
        else:
            span = c.independent_range
            scores = [*(own.get(n) for n in names), None if span is None else f"{span[0]}%–{span[1]}%", c.score]
        rows.append([c.id, c.name(lang), *scores, tr("proposed", lang) if c.proposed else None,
                     c.flag.short(lang) if c.flag else None])
    agreed = [tr("consensus_score", lang)] if edition.bands_only else \
        [tr("independent_range", lang), tr("consensus_score", lang)]
    frame = pd.DataFrame(rows, columns=[tr(card.rubric.words["clause"], lang), tr("title", lang), *names, *agreed,
                                        tr("state", lang), tr("flag", lang)])
    return frame if edition.bands_only else percent(frame, *names, tr("consensus_score", lang))


def self_frame(card: Scorecard, lang: str = "zh", edition: Edition = FULL) -> pd.DataFrame:
    """The team's own score of each clause beside the agreed one: how far it rates itself above (or below), or
    with ``bands_only`` whether its own score lies above, in or below the agreed band. Empty without self-scores."""
    proposed = any(c.proposed for c in card.clauses)
    rows = []
    for c in card.clauses:
        if c.self_gap is None:
            continue
        if edition.bands_only:
            compared = _compare_bands(card, c)
            row = [c.id, c.name(lang), c.self_score, clause_band_label(card, c, lang),
                   tr("self_above", lang) if compared > 0 else tr("self_below", lang) if compared < 0
                   else tr("self_within", lang)]
        else:
            row = [c.id, c.name(lang), c.self_score, c.score, c.self_gap]
        rows.append(row + ([tr("proposed_score", lang) if c.proposed else None] if proposed else []))
    columns = [tr(card.rubric.words["clause"], lang), tr("title", lang), tr("self_score", lang)]
    columns += [tr("consensus_band", lang), tr("self_against_band", lang)] if edition.bands_only else \
        [tr("consensus_score", lang), tr("self_gap", lang)]
    return percent(pd.DataFrame(rows, columns=columns + ([tr("state", lang)] if proposed else [])),
                   tr("self_score", lang), tr("consensus_score", lang))


def band_range(card: Scorecard, c: ClauseScore) -> tuple[int, int] | None:
    """The lowest and highest percentage of a scored clause's band (below the lowest described band of the
    individual award: from 0 up to it); None when unscored."""
    if c.score is None:
        return None
    band = card.rubric.clause_band(card.rubric.clause(c.id), c.score)
    return (band.min, band.max) if band else (0, card.rubric.lowest_band.min - STEP)


def _compare_bands(card: Scorecard, c: ClauseScore) -> int:
    """Whether the team's own score lies above (1), in (0) or below (-1) the band of the agreed score."""
    low, high = band_range(card, c)
    return 1 if c.self_score > high else -1 if c.self_score < low else 0


def calibration_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """Each assessor's mean deviation from the consensus: lenient above zero, severe below."""
    rows = [(name, deviation, tr("lenient" if deviation > 0 else "severe" if deviation < 0 else "on_consensus", lang))
            for name, deviation in calibration(card).items()]
    return pd.DataFrame(rows, columns=[tr("assessors", lang), tr("mean_deviation", lang), tr("tendency", lang)])


def feedback_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """Every strength and OFI, one per row, in clause order."""
    rows = []
    for c in card.clauses:
        rating = card.assessment.rating(c.id)
        for kind, texts in (("strengths", rating.strengths), ("ofis", rating.ofis)):
            for n, text in enumerate(texts, 1):
                rows.append((c.id, c.name(lang), tr(kind, lang), n, text))
    return pd.DataFrame(rows, columns=[tr(card.rubric.words["clause"], lang), tr("title", lang), tr("kind", lang),
                                       tr("number", lang), tr("content", lang)])


def evidence_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """Every piece of evidence the team cites, one per row, in clause order."""
    rows = [(c.id, c.name(lang), n, str(text)) for c in card.clauses
            for n, text in enumerate(card.assessment.rating(c.id).evidence, 1)]
    return pd.DataFrame(rows, columns=[tr(card.rubric.words["clause"], lang), tr("title", lang), tr("number", lang),
                                       tr("evidence", lang)])


def factor_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """Each clause's factor ratings as bands (A D L I for process clauses, Le T C I for results), one column per
    factor; empty for a standard without factors (the individual award)."""
    grids = [g for g in factor_grids(card, lang) if g.kind is not None]
    factors = list(dict.fromkeys(column for g in grids for column in g.columns[:-1]))
    rows = []
    for grid in grids:
        for label, bands in grid.rows:
            rated = dict(zip(grid.columns[:-1], bands))
            rows.append([*label.split(" ", 1), tr(grid.kind, lang),
                         *(fmt_band(rated[f]) if rated.get(f) else None for f in factors)])
    return pd.DataFrame(rows, columns=[tr(card.rubric.words["clause"], lang), tr("title", lang), tr("kind", lang),
                                       *factors])


def narrative_frame(card: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """The team's own text of its self-assessment report: the profile's answers a)–d) and 5.1 text, then each
    clause's text, with its length in Word's 字数; empty when nothing is written."""
    from .markup import word_count

    doc, rubric = card.assessment, card.rubric
    parts = []
    if rubric.profile is not None:
        profile = rubric.profile
        parts += [(f"{profile.id} {p.id}", p.name(lang), doc.profile.get(p.id, "")) for p in profile.prompts]
        parts.append((profile.id, profile.name(lang), doc.profile_narrative))
    parts += [(c.id, c.name(lang), doc.rating(c.id).narrative) for c in rubric.clauses]
    rows = [(part, name, text, word_count(text)) for part, name, text in parts if text and str(text).strip()]
    return pd.DataFrame(rows, columns=[tr("col_part", lang), tr("title", lang), tr("content", lang),
                                       tr("col_words", lang)])


def priority_frame(card: Scorecard, lang: str = "zh", edition: Edition = FULL) -> pd.DataFrame:
    """Clauses with points still at stake, largest first, each with its OFIs.

    With ``bands_only`` every scored clause is ranked by the points its band leaves at stake (from the band's
    middle), so neither the order nor a clause left out (one scored 100 %) tells an exact score.
    """
    if edition.bands_only:
        scored = sorted((c for c in card.clauses if c.score is not None),
                        key=lambda c: (-(100 - _band_middle(card, c)) * c.points, c.id))
        rows = [(rank, c.id, c.name(lang), c.points, clause_band_label(card, c, lang), "\n".join(c.ofis) or None)
                for rank, c in enumerate(scored, 1)]
        scores = [tr("score_band", lang)]
    else:
        rows = [(rank, c.id, c.name(lang), c.points, c.score, c.at_stake, "\n".join(c.ofis) or None)
                for rank, c in enumerate(card.priorities(), 1)]
        scores = [tr("score", lang), tr("at_stake", lang)]
    return percent(pd.DataFrame(rows, columns=[tr("rank", lang), tr(card.rubric.words["clause"], lang),
                                               tr("title", lang), tr("points", lang), *scores, tr("ofis", lang)]),
                   tr("score", lang))


def _band_middle(card: Scorecard, c: ClauseScore) -> float:
    """The middle of a scored clause's band."""
    return sum(band_range(card, c)) / 2


def summary_frame(cards: list[Scorecard], files: list[str], lang: str = "zh") -> pd.DataFrame:
    """The cohort, one row per applicant: its file, each item's points, total and maturity band.

    Applicants of different standards have different items; every item column
    comes before the totals, empty where an applicant's standard lacks it.
    """
    lead = [tr("file", lang), tr("applicant", lang), tr("standard", lang)]
    tail = [tr("total", lang), tr("total_points", lang), tr("score", lang), tr("maturity", lang), tr("unscored", lang)]
    items: dict[str, None] = {}
    rows = []
    for card, file in zip(cards, files):
        row = dict(zip(lead, (file, card.assessment.name, card.rubric.title(lang))))
        for item in card.items:
            items[f"{item.id} {item.name(lang)}"] = None
            row[f"{item.id} {item.name(lang)}"] = item.earned
        row.update(zip(tail, (card.total, card.max, round(card.percent, 1), maturity_label(card, lang),
                              join_list(card.missing, lang) or None)))
        rows.append(row)
    return percent(pd.DataFrame(rows, columns=lead + list(items) + tail), tr("score", lang))


def band_cell(band: Band | None, score: int | None, lang: str) -> str | None:
    """A clause's band; a score below the lowest described band (individual award) says so; unscored is empty."""
    if score is None:
        return None
    return fmt_band(band) if band else tr("below_described_short", lang)



# --- a cohort (qkit.cohort) ----------------------------------------------------------------


def rank_frame(entries: list[Entry], lang: str = "zh") -> pd.DataFrame:
    """One standard's applicants ranked by total: rank, applicant, assessors, stage, items, total, maturity.

    An applicant scored by several assessors is one row: the median of their totals (and of each item).
    """
    rubric = entries[0].rubric
    items = [f"{i.id} {i.name(lang)}" for i in rubric.items]
    head = [tr("rank", lang), tr(rubric.words["applicant"], lang), tr("assessors", lang), tr("stage", lang),
            tr("file", lang)]
    tail = [tr("total", lang), tr("total_points", lang), tr("score", lang), tr(rubric.words["maturity"], lang)]
    rows = []
    for rank, entry in enumerate(entries, 1):
        earned = [statistics.median(card.items[n].earned for card in entry.cards) for n in range(len(rubric.items))]
        card = min(entry.cards, key=lambda c: abs(c.total - entry.total))  # the assessment nearest the median
        rows.append([rank, entry.name, join_list(entry.assessors, lang) or None, entry.stage or None,
                     join_list(list(entry.files), lang), *earned, entry.total, rubric.total_points,
                     round(entry.percent, 1), maturity_label(card, lang)])
    return percent(pd.DataFrame(rows, columns=head + items + tail), tr("score", lang))


def cohort_clause_frame(stats: list[ClauseStats], lang: str = "zh") -> pd.DataFrame:
    """Every clause of a standard: each applicant's score, then the cohort's mean, minimum, maximum and spread."""
    names = list(stats[0].scores)
    rows = [[s.id, s.name(lang), *(s.scores[n] for n in names), s.mean, s.low, s.high, s.spread,
             tr("cohort_weakest", lang) if s.weakest else None] for s in stats]
    frame = pd.DataFrame(rows, columns=[tr("clause", lang), tr("title", lang), *names, tr("cohort_mean", lang),
                                        tr("cohort_min", lang), tr("cohort_max", lang), tr("range", lang),
                                        tr("flag", lang)])
    return percent(frame, *names, tr("cohort_mean", lang), tr("cohort_min", lang), tr("cohort_max", lang))


def spread_frame(entries: list[Entry], lang: str = "zh") -> pd.DataFrame:
    """For every applicant scored by several assessors, each clause's scores side by side, one column per
    assessor (empty where an assessor did not assess that applicant), and its flags."""
    tables = [(entry, entry.spread()) for entry in entries]
    tables = [(entry, table) for entry, table in tables if table is not None]
    names = list(dict.fromkeys(a for _, table in tables for a in table.assessors))
    rows = [[entry.name, c.id, c.name(lang), *(c.scores.get(a) for a in names), c.range, c.proposal,
             join_list([tr(f"spread_{r}", lang) for r in c.reasons], lang) or None]
            for entry, table in tables for c in table.clauses]
    frame = pd.DataFrame(rows, columns=[tr("applicant", lang), tr("clause", lang), tr("title", lang), *names,
                                        tr("range", lang), tr("suggested_score", lang), tr("flag", lang)])
    return percent(frame, *names, tr("suggested_score", lang))


# --- the factor ratings as bands (the factor heatmap) ----------------------------------------


@dataclass(frozen=True)
class FactorGrid:
    """One block of the factor heatmap: a kind of clause (None: the individual award's score bands), its
    columns (the factors, then the score), and each clause's row of bands (None: not rated yet)."""

    kind: str | None
    columns: list[str]
    rows: list[tuple[str, list[Band | None]]]
    scale: list[Band]  # lowest first

    def shade(self, band: Band) -> int:
        """The band's step on the scale, 0 for the lowest: darker is higher."""
        return [b.key for b in self.scale].index(band.key)

    @property
    def colours(self) -> tuple[str, ...]:
        """The fill of each step, lowest first: the palette's darkest shades, as many as the scale has steps."""
        return BAND_COLOURS[-len(self.scale):]

    def dark(self, band: Band) -> bool:
        """Whether the band's fill is dark enough to want white text (its three highest steps)."""
        return self.shade(band) >= len(self.scale) - 3


def factor_grids(card: Scorecard, lang: str = "zh") -> list[FactorGrid]:
    """Each clause's factor ratings (A D L I, or Le T C I for results) and its score, as bands, a block per
    kind of clause; a standard without factors (the individual award) gets one column, each score's band."""
    rubric = card.rubric

    def label(clause) -> str:
        return f"{clause.id} {clause.name(lang)}"

    if all(rubric.dimension(c) is None for c in rubric.clauses):
        rows = [(label(c), [None if c.score is None else rubric.band_of(c.score)]) for c in card.clauses]
        return [FactorGrid(None, [tr("chart_score_band", lang)], rows, sorted(rubric.bands, key=lambda b: b.min))]
    grids = []
    for kind in ("process", "results"):
        clauses = [c for c in card.clauses if c.kind == kind]
        if not clauses:
            continue
        dimension = rubric.dimension(clauses[0])
        rows = []
        for c in clauses:
            factors = card.assessment.rating(c.id).factors
            bands = [dimension.band(factors[f]) if f in factors else None for f in dimension.factor_ids]
            rows.append((label(c), bands + [None if c.score is None else dimension.band_of(c.score)]))
        columns = [f"{f.id} {f.name(lang)}" for f in dimension.factors] + [tr("score", lang)]
        grids.append(FactorGrid(kind, columns, rows, sorted(dimension.bands, key=lambda b: b.min)))
    return grids
