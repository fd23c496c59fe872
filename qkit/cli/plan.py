"""The improvement plan of a document: shown (``qkit plan FILE``: a table, JSON or CSV) and drafted from the
priorities into a new file (``qkit plan draft FILE -o NEW.yaml``); what it did, for ``qkit compare``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from rich.console import Console

from .. import document, plan, reading
from ..errors import Problem, QkitError
from ..files import write_atomic
from ..i18n import fmt_cell, fmt_percent, fmt_value, join_list, tr
from ..rubric_files import RubricIndex
from ..scoring import score
from .console import Parents, PlainTable, columns

DRAFT = "draft"


def register(sub, parents: Parents) -> None:
    cmd = sub.add_parser("plan", parents=[parents.common],
                         help="the improvement plan: 'qkit plan FILE' shows it, "
                              "'qkit plan draft FILE -o NEW.yaml' drafts one action per top priority into a new file")
    cmd.add_argument("words", nargs="+", metavar="[draft] FILE", help="the assessment document, after 'draft' to draft")
    fmt = cmd.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    cmd.add_argument("--today", metavar="YYYY-MM-DD", help="judge what is overdue on this day (default today)")
    cmd.add_argument("-o", "--output", type=Path, metavar="NEW.yaml", help="draft: the new document to write")
    cmd.add_argument("--top", type=int, default=plan.DRAFTED, metavar="N",
                     help=f"draft: the priorities to draft an action for (default {plan.DRAFTED})")
    cmd.add_argument("--force", action="store_true", help="draft: overwrite an existing output file")
    cmd.set_defaults(handler=run)


def run(args, index: RubricIndex, lang: str, out: Console) -> int:
    words = args.words
    if words[0] == DRAFT and len(words) == 2:
        return draft(Path(words[1]), args, index, lang, out)
    if len(words) != 1:
        raise QkitError(Problem(" ".join(words), "plan_usage"))
    doc = document.load(words[0], index)
    card = score(doc, index.load(doc.rubric))
    shown = plan.plan_of(card, plan.day_of(args.today, "--today"))
    if args.json:
        print(json.dumps(shown.to_dict(), ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(plan_csv(shown))
    else:
        print_plan(shown, card, lang, out)
    return 0


CSV_COLUMNS = ("id", "clauses", "action", "ofis", "owner", "start", "due", "status", "target_score", "kpi",
               "kpi_target", "kpi_year", "overdue", "notes")


def plan_csv(shown: plan.Plan) -> str:
    """The actions, one row each, under the JSON's names; text a spreadsheet would run as a formula is quoted."""
    import pandas as pd

    from ..excel import csv_safe

    rows = []
    for a in shown.actions:
        kpi = a.kpi or plan.KpiTarget("")
        rows.append([a.id, ";".join(a.clauses), a.action, "\n".join(a.ofis), a.owner,
                     a.start.isoformat() if a.start else "", a.due.isoformat() if a.due else "", a.status,
                     "" if a.target_score is None else a.target_score, kpi.name,
                     "" if kpi.target is None else fmt_value(kpi.target), "" if kpi.year is None else kpi.year,
                     "true" if a.overdue(shown.today) else "false", a.notes])
    buffer = io.StringIO()
    csv_safe(pd.DataFrame(rows, columns=CSV_COLUMNS)).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def print_plan(shown: plan.Plan, card, lang: str, out: Console) -> None:
    """The actions (overdue ones in red), where the plan stands and what it would gain."""
    from ..improvement_tables import dates_as_text, plan_frame

    if not shown.actions:
        out.print(tr("plan_none", lang), markup=False)
        return
    frame = dates_as_text(plan_frame(shown, lang), lang)
    shown_columns = columns(frame, tr("col_action_id", lang), tr("col_clause", lang), tr("col_action", lang),
                            tr("col_owner", lang), tr("col_start", lang), tr("col_due", lang),
                            tr("col_status", lang), tr("col_target_score", lang), tr("col_kpi_target", lang),
                            tr("col_overdue", lang))
    target = tr("col_target_score", lang)
    table = PlainTable(*shown_columns, title=f"{card.assessment.name} · {tr('sec_plan', lang)}")
    for (_, row), action in zip(frame.iterrows(), shown.actions):
        table.add_row(*(fmt_cell(row[c], c == target) for c in shown_columns),
                      style="bold red" if action.overdue(shown.today) else None)
    out.print(table)
    out.print(shown.lead(lang), markup=False)
    out.print(shown.gain_text(lang), markup=False, style="bold")


def draft(path: Path, args, index: RubricIndex, lang: str, out: Console) -> int:
    """Write the document with an action drafted for each top priority to a new file; the input stays as it is."""
    from ..web.notebook import dump_keeping_comments

    if args.output is None:
        raise QkitError(Problem("--output", "required"))
    if args.output.resolve() == path.resolve():
        raise QkitError(Problem(str(args.output), "draft_overwrites_input"))
    if args.output.exists() and not args.force:
        raise QkitError(Problem(str(args.output), "output_exists"))
    text = reading.read_text(path)
    data = reading.parse_yaml(text, str(path))
    doc = document.from_data(data, index)
    drafted = plan.draft(data, score(doc, index.load(doc.rubric)), args.top)
    added = len(drafted.get("improvements") or []) - len(doc.improvements)
    document.from_data(drafted, index)  # what is written passes qkit validate
    write_atomic(args.output, dump_keeping_comments(text, drafted))
    out.print(tr("plan_drafted", lang, n=added, file=args.output, source=path), markup=False, highlight=False)
    return 0


def print_outcomes(comparison, lang: str, out: Console) -> None:
    """What the completed actions did (``qkit compare``): each clause's score before and after, each KPI target."""
    from ..improvement_tables import kpi_target_text, moved_text, reached_text

    if not comparison.actions and not comparison.targets:
        return
    out.print(f"\n{tr('cmp_plan', lang)}", markup=False, style="bold")
    for o in comparison.actions:
        done = join_list([a.id or a.action for a in o.actions], lang)
        out.print(f"- {o.clause} {o.name(lang)}（{done}）：{fmt_percent(o.old)} → {fmt_percent(o.new)} "
                  f"{moved_text(o, lang)}", markup=False)
    for t in comparison.targets:
        out.print(f"- {kpi_target_text(t.target, lang)}：{fmt_value(t.value)} {reached_text(t, lang)}", markup=False)
