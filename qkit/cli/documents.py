"""Commands on the standards and on assessment documents: rubrics, new, validate, score."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from rich.console import Console

from .. import document, template
from ..errors import Problem, QkitError
from ..files import write_atomic
from ..i18n import fmt_cell, fmt_percent, fmt_points, join_list, paren, render_problems, tr
from ..narrative import load_limits
from ..rubric_files import RubricIndex
from ..scoring import Scorecard, score
from .console import Parents, PlainTable, columns, console


def register(sub, parents: Parents) -> None:
    common = parents.common
    rubrics = sub.add_parser("rubrics", parents=[common], help="list or show the award standards")
    rsub = rubrics.add_subparsers(dest="action", required=True)
    rlist = rsub.add_parser("list", parents=[common], help="list the available rubrics")
    rlist.add_argument("--json", action="store_true")
    rlist.set_defaults(handler=rubrics_list)
    rshow = rsub.add_parser("show", parents=[common], help="show a rubric's items and clauses")
    rshow.add_argument("id")
    rshow.add_argument("--json", action="store_true")
    rshow.set_defaults(handler=rubrics_show)

    new_doc = sub.add_parser("new", parents=[common], help="write a blank assessment document")
    new_doc.add_argument("--rubric", required=True)
    new_doc.add_argument("-o", "--output", required=True, type=Path)
    new_doc.add_argument("--force", action="store_true", help="overwrite an existing file")
    new_doc.set_defaults(handler=new)

    check = sub.add_parser("validate", parents=[common], help="check assessment documents")
    check.add_argument("files", nargs="+", type=Path)
    check.add_argument("--limits", type=Path, metavar="FILE",
                       help="word limits of the self-assessment report (default: the limits.yaml qkit ships)")
    check.add_argument("--coverage", action="store_true",
                       help="list the requirement sub-points each narrative does not appear to address")
    check.add_argument("--lint", action="store_true",
                       help="also warn about the feedback comments (prescriptive OFIs, judgements without facts …)")
    check.add_argument("--lint-rules", type=Path, metavar="FILE", help="your own feedback rules (YAML)")
    check.set_defaults(handler=validate)

    sc = sub.add_parser("score", parents=[common], help="score an assessment document")
    sc.add_argument("file", type=Path)
    fmt = sc.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    sc.set_defaults(handler=score_command)


def rubrics_list(args, index: RubricIndex, lang: str, out: Console) -> int:
    rubrics = [index.load(rid) for rid in index.ids]
    if args.json:
        print(json.dumps([{"id": r.id, "title": r.title(lang), "kind": r.kind, "total_points": r.total_points}
                          for r in rubrics], ensure_ascii=False, indent=2))
        return 0
    table = PlainTable(tr("rubric_id", lang), tr("award", lang), tr("category", lang), tr("total_points", lang))
    for r in rubrics:
        table.add_row(r.id, r.award(lang), r.category(lang), str(r.total_points))
    out.print(table)
    return 0


def rubrics_show(args, index: RubricIndex, lang: str, out: Console) -> int:
    rubric = index.load(args.id)
    if args.json:
        data = {
            "id": rubric.id,
            "title": rubric.title(lang),
            "total_points": rubric.total_points,
            "items": [
                {"id": item.id, "title": item.name(lang), "points": item.points,
                 "clauses": [{"id": c.id, "title": c.name(lang), "kind": c.kind, "points": c.points}
                             for c in item.clauses]}
                for item in rubric.items
            ],
        }
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    table = PlainTable(tr("clause", lang), tr("title", lang), tr("kind", lang), tr("points", lang),
                  title=f"{rubric.title(lang)}（{rubric.document.title}）")
    for item in rubric.items:
        table.add_row(item.id, item.name(lang), tr(rubric.words["item"], lang),
                      str(item.points), style="bold")
        for c in item.clauses:
            table.add_row(c.id, c.name(lang), tr(c.kind, lang), str(c.points))
    table.add_row("", tr("total", lang), "", str(rubric.total_points), style="bold")
    out.print(table)
    return 0


def new(args, index: RubricIndex, lang: str, out: Console) -> int:
    rubric = index.load(args.rubric)
    if args.output.exists() and not args.force:
        raise QkitError(Problem(str(args.output), "output_exists"))
    write_atomic(args.output, template.render(rubric))
    out.print(tr("written", lang, file=args.output), markup=False)
    return 0


def validate(args, index: RubricIndex, lang: str, out: Console) -> int:
    failed = 0
    err = console(stderr=True)
    limits = load_limits(getattr(args, "limits", None))
    rules = None
    if getattr(args, "lint", False):
        from ..lint import Rules

        rules = Rules.load(args.lint_rules)
    for path in args.files:
        try:
            doc = document.load(path, index)
        except QkitError as exc:
            failed += 1
            err.print(tr("invalid", lang, file=path, n=len(exc.problems)), markup=False, style="bold red")
            for line in render_problems(exc.problems, lang):
                err.print(f"  - {line}", markup=False, highlight=False)
            continue
        out.print(tr("valid", lang, file=path), markup=False)
        print_writing(doc, index.load(doc.rubric), limits, getattr(args, "coverage", False), lang, out)
        if rules is not None:
            from ..lint import lint

            warnings = lint(doc, index.load(doc.rubric), rules)
            out.print(tr("lint_found", lang, n=len(warnings)), markup=False, style="yellow" if warnings else None)
            for warning in warnings:
                out.print(f"  - {warning.problem().render(lang)}", markup=False, highlight=False)
    return 1 if failed else 0


def score_command(args, index: RubricIndex, lang: str, out: Console) -> int:
    doc = document.load(args.file, index)
    card = score(doc, index.load(doc.rubric))
    if args.json:
        print(json.dumps(card.to_dict(lang), ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(scores_csv(card, lang))
    else:
        print_scorecard(card, lang, out)
    return 0


def scores_csv(card: Scorecard, lang: str = "zh") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["item", "clause", "title", "kind", "points", "score", "earned", "suggested_band", "suggested_score"])
    for item in card.items:
        for c in item.clauses:
            writer.writerow([item.id, c.id, c.name(lang), c.kind, c.points, "" if c.score is None else c.score,
                             "" if c.earned is None else fmt_points(c.earned),
                             c.suggestion.band.key if c.suggestion else "",
                             c.suggestion.score if c.suggestion else ""])
    writer.writerow(["", "", tr("total", lang), "", card.max, "", fmt_points(card.total), "", ""])
    return buffer.getvalue()


def print_scorecard(card: Scorecard, lang: str, out: Console) -> None:
    """The clause table (items in bold), total, maturity, missing clauses, flags and the top priorities."""
    from ..tables import clause_frame, item_frame, maturity_label

    clauses, items = clause_frame(card, lang), item_frame(card, lang)
    score_column = tr("score", lang)
    shown = columns(clauses, tr(card.rubric.words["clause"], lang), tr("title", lang), tr("points", lang),
                    tr("score", lang), tr("earned", lang), tr("suggested", lang), tr("flag", lang))

    def cells(row, columns) -> list[str]:
        texts = [fmt_cell(row[c], c == score_column) for c in columns]
        return [tr("unscored", lang) if c == score_column and text == "—" else text for c, text in zip(columns, texts)]

    item_columns = columns(items, tr(card.rubric.words["item"], lang), tr("title", lang), tr("points", lang),
                           tr("score", lang), tr("earned", lang))  # in the clause table's order
    table = PlainTable(*shown, title=f"{card.assessment.name} · {card.rubric.title(lang)}")
    for (_, item_row), item in zip(items.iterrows(), [*card.items, None]):
        table.add_row(*cells(item_row, item_columns), "", "", style="bold")
        for _, row in clauses[clauses.iloc[:, 0] == (item.id if item else None)].iterrows():
            table.add_row(*cells(row, shown))
    out.print(table)
    total = paren(f"{fmt_points(card.total)} / {card.max}", fmt_percent(round(card.percent, 1)), lang)
    out.print(f"{tr('total', lang)}: {total}    {tr(card.rubric.words['maturity'], lang)}: {maturity_label(card, lang)}",
              markup=False)
    if card.maturity.basis(lang):
        out.print(card.maturity.basis(lang), markup=False, style="yellow")
    if card.missing:
        out.print(f"{tr('partial', lang)}: {join_list(card.missing, lang)}", markup=False, style="yellow")
    if card.flagged:
        out.print(f"\n{tr('flags', lang)}", markup=False, style="bold")
        for c in card.flagged:
            out.print(f"- {c.id} {c.name(lang)}: {c.flag.message(lang)}", markup=False)
            if c.notes:
                out.print(f"  {tr('justified', lang)}: {c.notes}", markup=False, style="dim")
    priorities = card.priorities(5)
    if priorities:
        out.print(f"\n{tr('gaps', lang)}", markup=False, style="bold")
        for rank, c in enumerate(priorities, 1):
            out.print(f"{rank}. {c.id} {c.name(lang)}  {tr('at_stake', lang)} {fmt_points(c.at_stake)}", markup=False)
            for ofi in c.ofis:
                out.print(f"     - {ofi}", markup=False)


def print_writing(doc, rubric, limits, coverage: bool, lang: str, out: Console) -> None:
    """A valid document's narrative over its limits (warnings, not errors) and the coverage hint."""
    from ..narrative import writing_status

    status = writing_status(doc, rubric, limits)
    warnings = status.warnings
    if warnings:
        out.print(f"  {tr('narrative_warnings', lang, n=len(warnings), file=limits.path.name)}", markup=False,
                  style="yellow")
        for warning in warnings:
            out.print(f"  - {warning.message(lang)}", markup=False, highlight=False)
    beyond = [p.id for p in status.parts if p.beyond_guide] + [i.id for i in status.items if i.beyond_guide]
    if beyond:
        out.print(f"  {tr('guide_note', lang, n=len(beyond), parts=join_list(beyond, lang))}", markup=False,
                  highlight=False)
    hinted = status.hinted
    if hinted and not coverage:
        out.print(f"  {tr('coverage_note', lang, n=len(hinted))}", markup=False, highlight=False)
    elif hinted:
        out.print(f"  {tr('coverage_lead', lang)}", markup=False)
        for part in hinted:
            points = join_list([c.label(lang) for c in part.unaddressed], lang)
            out.print(f"  - {tr('coverage_missing', lang, where=part.id, title=part.name(lang), points=points)}",
                      markup=False, highlight=False)
