"""The ``qkit`` command.

Every command catches ``QkitError`` and prints its problems in the chosen
language: bad input never ends in a traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.table import Table

from . import document, template
from .errors import Problem, QkitError
from .i18n import fmt_percent, fmt_points, join_list, tr
from .rubric import RubricIndex
from .scoring import Scorecard, score


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                        help="language of messages and titles (default zh)")
    common.add_argument("--rubrics", type=Path, action="append", default=argparse.SUPPRESS,
                        metavar="DIR", help="extra directory of rubric files (also $QKIT_RUBRICS)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="qkit", parents=[common],
                                     description="湖北省长江质量奖 / 武汉市市长质量奖 自评工具 (quality-award self-assessment)")
    sub = parser.add_subparsers(dest="command", required=True)

    rubrics = sub.add_parser("rubrics", parents=[common], help="list or show the award standards")
    rsub = rubrics.add_subparsers(dest="action", required=True)
    rlist = rsub.add_parser("list", parents=[common], help="list the available rubrics")
    rlist.add_argument("--json", action="store_true")
    rshow = rsub.add_parser("show", parents=[common], help="show a rubric's items and clauses")
    rshow.add_argument("id")
    rshow.add_argument("--json", action="store_true")

    new = sub.add_parser("new", parents=[common], help="write a blank assessment document")
    new.add_argument("--rubric", required=True)
    new.add_argument("-o", "--output", required=True, type=Path)
    new.add_argument("--force", action="store_true", help="overwrite an existing file")

    validate = sub.add_parser("validate", parents=[common], help="check assessment documents")
    validate.add_argument("files", nargs="+", type=Path)

    sc = sub.add_parser("score", parents=[common], help="score an assessment document")
    sc.add_argument("file", type=Path)
    fmt = sc.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lang = getattr(args, "lang", "zh")
    index = RubricIndex.scan(getattr(args, "rubrics", None))
    out = Console(soft_wrap=True)
    try:
        handler = COMMANDS[(args.command, getattr(args, "action", None))]
        return handler(args, index, lang, out)
    except QkitError as exc:
        Console(stderr=True, soft_wrap=True).print(exc.render(lang), markup=False, highlight=False)
        return 1


# --- rubrics ---------------------------------------------------------------


def _rubrics_list(args, index: RubricIndex, lang: str, out: Console) -> int:
    rubrics = [index.load(rid) for rid in index.ids]
    if args.json:
        print(json.dumps([{"id": r.id, "title": r.title(lang), "kind": r.kind, "total_points": r.total_points}
                          for r in rubrics], ensure_ascii=False, indent=2))
        return 0
    table = Table(tr("rubric_id", lang), tr("award", lang), tr("category", lang), tr("total_points", lang))
    for r in rubrics:
        table.add_row(r.id, r.award(lang), r.category(lang), str(r.total_points))
    out.print(table)
    return 0


def _rubrics_show(args, index: RubricIndex, lang: str, out: Console) -> int:
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
    table = Table(tr("clause", lang), tr("title", lang), tr("kind", lang), tr("points", lang),
                  title=f"{rubric.title(lang)}（{rubric.document.title}）")
    for item in rubric.items:
        table.add_row(item.id, item.name(lang), tr(rubric.kind == "individual" and "group" or "item", lang),
                      str(item.points), style="bold")
        for c in item.clauses:
            table.add_row(c.id, c.name(lang), tr(c.kind, lang), str(c.points))
    table.add_row("", tr("total", lang), "", str(rubric.total_points), style="bold")
    out.print(table)
    return 0


# --- documents ---------------------------------------------------------------


def _new(args, index: RubricIndex, lang: str, out: Console) -> int:
    rubric = index.load(args.rubric)
    if args.output.exists() and not args.force:
        raise QkitError(Problem(str(args.output), "output_exists"))
    try:
        args.output.write_text(template.render(rubric), encoding="utf-8")
    except OSError as exc:
        raise QkitError(Problem(str(args.output), "cannot_write", params={"detail": exc.strerror})) from None
    out.print(tr("written", lang, file=args.output), markup=False)
    return 0


def _validate(args, index: RubricIndex, lang: str, out: Console) -> int:
    failed = 0
    err = Console(stderr=True, soft_wrap=True)
    for path in args.files:
        try:
            document.load(path, index)
        except QkitError as exc:
            failed += 1
            err.print(tr("invalid", lang, file=path, n=len(exc.problems)), markup=False, style="bold red")
            for problem in exc.problems:
                err.print(f"  - {problem.render(lang)}", markup=False, highlight=False)
        else:
            out.print(tr("valid", lang, file=path), markup=False)
    return 1 if failed else 0


def _score(args, index: RubricIndex, lang: str, out: Console) -> int:
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


def flag_text(c, lang: str, short: bool = False) -> str:
    """Why a clause needs the assessor's attention, or "" when it does not."""
    if c.outside_band:
        if short:
            return tr("outside_short", lang)
        return tr("outside_justified" if c.notes else "outside_band", lang, band=c.suggestion.band.key)
    if c.below_described:
        return tr("below_short", lang) if short else tr("below_described", lang, band=c.below_described.key)
    return ""


def print_scorecard(card: Scorecard, lang: str, out: Console) -> None:
    title = f"{card.assessment.name} · {card.rubric.title(lang)}"
    table = Table(tr("clause", lang), tr("title", lang), tr("points", lang), tr("score", lang),
                  tr("earned", lang), tr("suggested", lang), tr("flag", lang), title=title)
    for item in card.items:
        table.add_row(item.id, item.name(lang), str(item.points), fmt_percent(item.percent),
                      fmt_points(item.earned), "", "", style="bold")
        for c in item.clauses:
            suggested = f"{c.suggestion.band.key}（{c.suggestion.score}）" if c.suggestion else ""
            table.add_row(c.id, c.name(lang), str(c.points),
                          fmt_percent(c.score) if c.score is not None else tr("unscored", lang),
                          fmt_points(c.earned), suggested, flag_text(c, lang, short=True))
    table.add_row("", tr("total", lang), str(card.max), fmt_percent(card.percent), fmt_points(card.total),
                  "", "", style="bold")
    out.print(table)
    maturity = card.maturity
    band = maturity.band.label if maturity.band else tr("below_described", lang, band=card.rubric.bands[-1].key)
    out.print(f"{tr('total', lang)}: {fmt_points(card.total)} / {card.max}（{fmt_percent(round(card.percent, 1))}）"
              f"    {tr('maturity', lang)}: {band}", markup=False)
    if card.missing:
        out.print(f"{tr('partial', lang)}: {join_list(card.missing, lang)}", markup=False, style="yellow")
    if card.flagged:
        out.print(f"\n{tr('flags', lang)}", markup=False, style="bold")
        for c in card.flagged:
            out.print(f"- {c.id} {c.name(lang)}: {flag_text(c, lang)}", markup=False)
            if c.notes:
                out.print(f"  {tr('justified', lang)}: {c.notes}", markup=False, style="dim")
    gaps = [c for c in card.gaps() if c.at_stake > 0][:5]
    if gaps:
        out.print(f"\n{tr('gaps', lang)}", markup=False, style="bold")
        for rank, c in enumerate(gaps, 1):
            out.print(f"{rank}. {c.id} {c.name(lang)}  {tr('at_stake', lang)} {fmt_points(c.at_stake)}", markup=False)
            for ofi in c.ofis:
                out.print(f"     - {ofi}", markup=False)


COMMANDS = {
    ("rubrics", "list"): _rubrics_list,
    ("rubrics", "show"): _rubrics_show,
    ("new", None): _new,
    ("validate", None): _validate,
    ("score", None): _score,
}
