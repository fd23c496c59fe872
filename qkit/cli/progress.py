"""A team's progress on an applicant, and its due dates: what the lead's 进度 tab shows, on the command line."""

from __future__ import annotations

import json

from rich.console import Console

from ..i18n import fmt_day, join_list, tr
from ..rubric_files import RubricIndex
from ..web.progress import due_text, progress
from .console import Parents, PlainTable, open_store, when


def register(sub, parents: Parents) -> None:
    common, data = parents.common, parents.data
    show = sub.add_parser("progress", parents=[common, data],
                          help="a team's progress: owners, scored, words, last edit and due date per clause; the "
                               "assessors' hand-ins (never their scores)")
    show.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=progress_show)
    due = sub.add_parser("due", parents=[common, data],
                         help="set when a part is due in the current cycle: an item or clause id, 5.1, "
                              "application (the whole) or assessors (their hand-in)")
    due.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    due.add_argument("target", metavar="TARGET", help="5.3, 5.3.2, 5.1, application or assessors")
    due.add_argument("date", nargs="?", default="", metavar="YYYY-MM-DD", help="the due date; leave out to clear it")
    due.set_defaults(handler=due_set)


def progress_show(args, index: RubricIndex, lang: str, out: Console) -> int:
    found = progress(open_store(args, index), args.applicant)
    if args.json:
        print(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
        return 0
    yes, no = tr("progress_yes", lang), tr("progress_no", lang)
    table = PlainTable(tr("progress_part", lang), tr("progress_owners", lang), tr("progress_scored", lang),
                       tr("progress_words", lang), tr("progress_last_edit", lang), tr("progress_due", lang),
                       tr("progress_overdue", lang))
    for clause in found.clauses:
        edit = clause.last_edit
        measure = (f" / {clause.limit:,}" if clause.limit else
                   f" / {tr('progress_guide', lang, n=f'{clause.guide:,}')}" if clause.guide else "")
        table.add_row(f"{clause.id} {clause.name(lang)}", join_list(clause.owners, lang) or tr("progress_nobody", lang),
                      yes if clause.scored else no, f"{clause.words:,}{measure}",
                      f"{edit.by or '—'} {when(edit.at, lang)}" if edit else "", *_due(clause.due, lang),
                      style="red" if clause.overdue else None)
    out.print(table)
    if found.application is not None:
        out.print(due_text(found.application, lang), markup=False, style="red" if found.application.overdue else None)
    if found.assessors:
        assessors = PlainTable(tr("progress_assessor", lang), tr("progress_opened", lang),
                               tr("progress_handed_in", lang), tr("progress_due", lang), tr("progress_overdue", lang))
        for assessor in found.assessors:
            assessors.add_row(assessor.name, when(assessor.opened, lang) if assessor.opened else no,
                              when(assessor.handed_in, lang) if assessor.handed_in else no, *_due(assessor.due, lang),
                              style="red" if assessor.due and assessor.due.overdue else None)
        out.print(assessors)
    return 0


def _due(due, lang: str) -> tuple[str, str]:
    """A due date in a table row, and how many days it is overdue (the cells stay short in a terminal)."""
    if due is None:
        return "", ""
    return fmt_day(due.due, lang, due.today), tr("progress_days_over", lang, n=-due.days_left) if due.overdue else ""


def due_set(args, index: RubricIndex, lang: str, out: Console) -> int:
    deadline = open_store(args, index).set_due(args.applicant, args.target, args.date)
    if deadline is None:
        out.print(tr("due_cleared", lang, target=args.target), markup=False)
    else:
        out.print(tr("due_set", lang, target=args.target, day=fmt_day(deadline.due, lang)), markup=False)
    return 0
