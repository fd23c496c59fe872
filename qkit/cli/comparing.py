"""Assessments side by side: one year against the last (compare, new-cycle) and assessors against each other
(consensus)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml
from rich.console import Console

from .. import document
from ..errors import Problem, QkitError
from ..files import write_atomic
from ..i18n import fmt_cell, fmt_percent, join_list, tr
from ..rubric_files import RubricIndex
from .console import Parents, PlainTable, missing
from .plan import print_outcomes


def register(sub, parents: Parents) -> None:
    common = parents.common
    cmp = sub.add_parser("compare", parents=[common],
                         help="compare an earlier and a later assessment of the same standard (year over year)")
    cmp.add_argument("old", type=Path, metavar="OLD", help="the earlier assessment document")
    cmp.add_argument("new", type=Path, metavar="NEW", help="the later assessment document")
    cmp.add_argument("--json", action="store_true")
    cmp.set_defaults(handler=compare)
    cycle = sub.add_parser("new-cycle", parents=[common],
                           help="start the next assessment cycle in a new file: texts and KPIs carried over, "
                                "scores cleared for review (previous_score)")
    cycle.add_argument("file", type=Path, metavar="FILE", help="the assessment document of the cycle ending")
    cycle.add_argument("-o", "--output", required=True, type=Path, help="the new cycle's document")
    cycle.add_argument("--label", default=str(dt.date.today().year + 1), help="the cycle's name (default next year)")
    cycle.add_argument("--force", action="store_true", help="overwrite an existing file")
    cycle.set_defaults(handler=new_cycle)
    from ..consensus import DEFAULT_SPREAD

    con = sub.add_parser("consensus", parents=[common],
                         help="independent assessments of one applicant side by side, and the consensus document")
    con.add_argument("files", nargs="+", type=Path, metavar="FILE", help="one document per assessor")
    con.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the consensus document here")
    con.add_argument("--spread", type=int, default=DEFAULT_SPREAD, metavar="POINTS",
                     help=f"flag clauses whose scores span this many percentage points or more (default {DEFAULT_SPREAD})")
    con.add_argument("--json", action="store_true")
    con.set_defaults(handler=consensus)


def compare(args, index: RubricIndex, lang: str, out: Console) -> int:
    from ..compare import compare_files

    comparison = compare_files(args.old, args.new, index)
    if args.json:
        print(json.dumps(comparison.to_dict(lang), ensure_ascii=False, indent=2))
    else:
        print_comparison(comparison, lang, out)
    return 0


def new_cycle(args, index: RubricIndex, lang: str, out: Console) -> int:
    from ..web.notebook import start_cycle

    start_cycle(args.file, args.output, args.label, args.force)
    out.print(tr("cycle_file_started", lang, label=args.label, file=args.output, source=args.file), markup=False)
    return 0


def print_comparison(comparison, lang: str, out: Console) -> None:
    """The clause table (items in bold) with scores before and after and the changes; total, maturity,
    the clauses that moved most, the OFIs gone and new, and the KPIs joined over both documents."""
    from ..compare import signed
    from ..improvement_tables import change_columns, clause_change_frame, comparison_facts, item_change_frame, revision_lines

    cols = change_columns(lang)
    clauses, items = clause_change_frame(comparison, lang), item_change_frame(comparison, lang)
    facts = comparison_facts(comparison, lang)

    def cells(row, columns) -> list[str]:
        texts = []
        for c in columns:
            if c in (cols["delta_percent"], cols["delta_points"]):
                texts.append(signed(None if missing(row[c]) else row[c]))
            elif c in (cols["old"], cols["new"]) and missing(row[c]):
                texts.append(tr("unscored", lang))
            else:
                texts.append(fmt_cell(row[c], c in (cols["old"], cols["new"])))
        return texts

    shown = list(clauses.columns[1:8])  # clause, title, points, old, new, changes
    headers = shown[:3] + [tr("cmp_previous", lang), tr("cmp_current", lang), *shown[5:], tr("cmp_band", lang)]
    table = PlainTable(*headers, title=f"{comparison.new.assessment.name} · {comparison.rubric.title(lang)}",
                  caption=facts["sides"])
    for (_, item_row), item in zip(items.iterrows(), [*comparison.items, None]):
        table.add_row(*cells(item_row, items.columns), "", style="bold")
        for _, row in clauses[clauses.iloc[:, 0] == (item.id if item else None)].iterrows():
            old_band, new_band = (fmt_cell(row[cols[k]]) for k in ("old_band", "new_band"))
            moved = old_band != new_band and "—" not in (old_band, new_band)
            table.add_row(*cells(row, shown), f"{old_band} → {new_band}" if moved else new_band)
    out.print(table)
    out.print(facts["total"], markup=False, style="bold")
    out.print(facts["maturity"], markup=False)
    if facts["unscored"]:
        out.print(facts["unscored"], markup=False, style="yellow")
    out.print(f"\n{tr('cmp_movers', lang)}", markup=False, style="bold")
    for rank, line in enumerate(facts["movers"], 1):
        out.print(f"{rank}. {line}", markup=False)
    if not facts["movers"]:
        out.print(tr("cmp_no_movers", lang), markup=False)
    out.print(f"\n{tr('cmp_ofis', lang)}", markup=False, style="bold")
    for change in comparison.ofis:
        out.print(f"{change.clause} {change.name(lang)}", markup=False, style="bold")
        for title, texts, mark in ((tr("cmp_ofis_gone", lang), change.gone, "-"),
                                   (tr("cmp_ofis_new", lang), change.added, "+")):
            if texts:
                out.print(f"  {title}", markup=False)
                for text in texts:
                    out.print(f"    {mark} {text}", markup=False)
    if not comparison.ofis:
        out.print(tr("cmp_no_ofi_changes", lang), markup=False)
    print_kpi_joins(comparison, lang, out)
    revisions = revision_lines(comparison, lang)
    if revisions:
        out.print(f"\n{tr('cmp_kpi_revised', lang)}", markup=False, style="bold")
        for line in revisions:
            out.print(f"- {line}", markup=False)
    print_outcomes(comparison, lang, out)


def print_kpi_joins(comparison, lang: str, out: Console) -> None:
    """Each KPI's own values over the years of both documents (the later document wins on a year in both)."""
    from ..i18n import fmt_value

    if not comparison.kpis:
        out.print(f"\n{tr('cmp_no_kpis', lang)}", markup=False)
        return
    found = {"both": tr("cmp_kpi_both", lang), "old": tr("cmp_kpi_old", lang), "new": tr("cmp_kpi_new", lang)}
    years = sorted({y for join in comparison.kpis for y in join.kpi.values})
    table = PlainTable(tr("col_clause", lang), tr("col_kpi", lang), tr("col_unit", lang), *map(str, years),
                  tr("cmp_kpi_found", lang), title=tr("cmp_kpis", lang))
    for join in comparison.kpis:
        k = join.kpi
        values = [fmt_value(k.values[y]) if y in k.values else "" for y in years]
        table.add_row(k.clause, k.name, k.unit, *values, found[join.found])
    out.print(table)


def consensus(args, index: RubricIndex, lang: str, out: Console) -> int:
    from ..consensus import compare_assessors, consensus_document

    docs, problems = [], []
    for path in args.files:
        try:
            docs.append(document.load(path, index))
        except QkitError as exc:
            problems += exc.problems
    if problems:
        raise QkitError(problems)
    names = [str(p) for p in args.files]
    rubric = index.load(docs[0].rubric)
    table = compare_assessors(docs, rubric, names, args.spread)
    if args.output is not None:
        if any(args.output.resolve() == p.resolve() for p in args.files):
            raise QkitError(Problem(str(args.output), "consensus_overwrites_input"))
        data = consensus_document(docs, rubric, names, args.spread)
        document.from_data(data, index)  # what is written passes qkit validate
        write_atomic(args.output, yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000))
    if args.json:
        print(json.dumps(table.to_dict(lang), ensure_ascii=False, indent=2))
        return 0
    assessors = list(table.assessors)
    grid = PlainTable(tr("clause", lang), tr("title", lang), *assessors, tr("range", lang), tr("flag", lang),
                 title=f"{docs[0].name} · {rubric.title(lang)}")
    for c in table.clauses:
        cells = [tr("unscored", lang) if c.scores[a] is None else f"{fmt_percent(c.scores[a])}（{c.bands[a] or '—'}）"
                 for a in assessors]
        why = join_list([tr(f"spread_{r}", lang) for r in c.reasons], lang)
        grid.add_row(c.id, c.name(lang), *cells, "—" if c.range is None else fmt_percent(c.range), why,
                     style="bold yellow" if c.flagged else None)
    out.print(grid)
    out.print(tr("consensus_summary", lang, flagged=len(table.flagged), all=len(table.clauses), spread=args.spread),
              markup=False)
    for a in assessors:
        deviation = table.deviation(a)
        out.print(f"  {a}: {tr('mean_deviation', lang)} "
                  f"{'—' if deviation is None else f'{deviation:+g}'}", markup=False)
    if args.output is not None:
        out.print(tr("consensus_written", lang, file=args.output), markup=False, highlight=False)
    return 0
