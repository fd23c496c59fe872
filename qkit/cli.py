"""The ``qkit`` command.

Every command catches ``QkitError`` and prints its problems in the chosen
language: bad input never ends in a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Sequence

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__, document, template
from .errors import Problem, QkitError
from .files import write_atomic
from .i18n import fmt_cell, fmt_date, fmt_percent, fmt_points, join_list, render_problems, tr
from .narrative import load_limits
from .rubric import RubricIndex
from .scoring import Scorecard, score
from .web.serve import DEFAULT_PORT, HOST, MAX_KERNELS, POOL, PUBLIC_URL_ENV, public_base, serve
from .web.store import LEAD_NAME, Store, access_path, data_dir


class PlainTable(Table):
    """A Rich table showing its headers, title, caption and cells as written, never as markup: a name such as
    "[/bold]" would stop the command, and "[link=…]" would become a link."""

    def __init__(self, *headers: str, title: str | None = None, caption: str | None = None) -> None:
        super().__init__(title=_plain(title), caption=_plain(caption))
        for header in headers:
            self.add_column(_plain(header))

    def add_row(self, *cells: str | None, style: str | None = None) -> None:
        super().add_row(*(_plain(cell) for cell in cells), style=style)


def _plain(text: str | None) -> Text | None:
    return None if text is None else Text(str(text))


def console(stderr: bool = False) -> Console:
    """Standard output or error for messages printed with ``markup=False``: no emoji codes either (a name
    with :warning: in it stays as written)."""
    return Console(stderr=stderr, soft_wrap=True, emoji=False)


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
    parser.add_argument("--version", action="version", version=f"qkit {__version__}")
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
    validate.add_argument("--limits", type=Path, metavar="FILE",
                          help="word limits of the self-assessment report (default: the limits.yaml qkit ships)")
    validate.add_argument("--coverage", action="store_true",
                          help="list the requirement sub-points each narrative does not appear to address")
    validate.add_argument("--lint", action="store_true",
                          help="also warn about the feedback comments (prescriptive OFIs, judgements without facts …)")
    validate.add_argument("--lint-rules", type=Path, metavar="FILE", help="your own feedback rules (YAML)")

    sc = sub.add_parser("score", parents=[common], help="score an assessment document")
    sc.add_argument("file", type=Path)
    fmt = sc.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    _add_workbook_commands(sub, common)
    _add_report_commands(sub, common)
    _add_compare_command(sub, common)
    _add_cycle_command(sub, common)
    _add_consensus_command(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    lang = getattr(args, "lang", "zh")
    out = console()
    try:
        index = RubricIndex.scan(getattr(args, "rubrics", None))
        handler = COMMANDS[(args.command, getattr(args, "action", None))]
        return handler(args, index, lang, out)
    except QkitError as exc:
        console(stderr=True).print(exc.render(lang), markup=False, highlight=False)
        return 1
    except BrokenPipeError:  # the reader went away (qkit … | head): nothing left to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:  # Ctrl-C: stopped as asked, as a shell reports it
        console(stderr=True).print(tr("interrupted", lang), markup=False, highlight=False)
        return 130
    except Exception:  # noqa: BLE001 - the last resort: a bug is a short message and a logged traceback
        try:
            message = tr("command_crashed", lang, file=log_exception(argv))
        except OSError as exc:
            message = tr("command_crashed_unlogged", lang, file=crash_log(), detail=exc.strerror or str(exc))
        console(stderr=True).print(message, markup=False, highlight=False)
        return 1


def crash_log() -> Path:
    """Where unexpected errors are logged: the user's state folder ($XDG_STATE_HOME, else ~/.local/state)."""
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "qkit" / "qkit.log"


def log_exception(argv: Sequence[str] | None) -> Path:
    """Append the exception being handled, with the time, qkit's version and the command, to ``crash_log()``."""
    import traceback

    path = crash_log()
    path.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join(["qkit", *(sys.argv[1:] if argv is None else argv)])
    entry = (f"--- {dt.datetime.now().astimezone().isoformat(timespec='seconds')} qkit {__version__}\n"
             f"{command}\n{traceback.format_exc()}\n")
    with path.open("a", encoding="utf-8", errors="backslashreplace") as log:
        log.write(entry)
    return path


# --- rubrics ---------------------------------------------------------------


def _rubrics_list(args, index: RubricIndex, lang: str, out: Console) -> int:
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


# --- documents ---------------------------------------------------------------


def _new(args, index: RubricIndex, lang: str, out: Console) -> int:
    rubric = index.load(args.rubric)
    if args.output.exists() and not args.force:
        raise QkitError(Problem(str(args.output), "output_exists"))
    write_atomic(args.output, template.render(rubric))
    out.print(tr("written", lang, file=args.output), markup=False)
    return 0


def _validate(args, index: RubricIndex, lang: str, out: Console) -> int:
    failed = 0
    err = console(stderr=True)
    limits = load_limits(getattr(args, "limits", None))
    rules = None
    if getattr(args, "lint", False):
        from .lint import Rules

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
        _print_writing(doc, index.load(doc.rubric), limits, getattr(args, "coverage", False), lang, out)
        if rules is not None:
            from .lint import lint

            warnings = lint(doc, index.load(doc.rubric), rules)
            out.print(tr("lint_found", lang, n=len(warnings)), markup=False, style="yellow" if warnings else None)
            for warning in warnings:
                out.print(f"  - {warning.problem().render(lang)}", markup=False, highlight=False)
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


def print_scorecard(card: Scorecard, lang: str, out: Console) -> None:
    """The clause table (items in bold), total, maturity, missing clauses, flags and the top priorities."""
    from .tables import clause_frame, item_frame, maturity_label

    clauses, items = clause_frame(card, lang), item_frame(card, lang)
    score_column = tr("score", lang)
    shown = [clauses.columns[i] for i in (1, 2, 4, 5, 6, 7, 9)]  # clause … points, score, earned, suggested, flag

    def cells(row, columns) -> list[str]:
        texts = [fmt_cell(row[c], c == score_column) for c in columns]
        return [tr("unscored", lang) if c == score_column and text == "—" else text for c, text in zip(columns, texts)]

    item_columns = [items.columns[i] for i in (0, 1, 2, 4, 3)]  # in the clause table's order
    table = PlainTable(*shown, title=f"{card.assessment.name} · {card.rubric.title(lang)}")
    for (_, item_row), item in zip(items.iterrows(), [*card.items, None]):
        table.add_row(*cells(item_row, item_columns), "", "", style="bold")
        for _, row in clauses[clauses.iloc[:, 0] == (item.id if item else None)].iterrows():
            table.add_row(*cells(row, shown))
    out.print(table)
    out.print(f"{tr('total', lang)}: {fmt_points(card.total)} / {card.max}（{fmt_percent(round(card.percent, 1))}）"
              f"    {tr(card.rubric.words['maturity'], lang)}: {maturity_label(card, lang)}", markup=False)
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


# --- web workbooks: applicants, serving, revisions ----------------------------------


def _add_workbook_commands(sub, common: argparse.ArgumentParser) -> None:
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", metavar="DIR|URL",
                      help="data directory, or a postgresql:// database URL (default ./qkit-data or $QKIT_DATA)")
    applicants = sub.add_parser("applicants", parents=[common], help="applicants of the web workbooks")
    asub = applicants.add_subparsers(dest="action", required=True)
    port = argparse.ArgumentParser(add_help=False)
    port.add_argument("--port", type=int, default=DEFAULT_PORT, help="the port qkit serve uses (for the link)")
    port.add_argument("--public-url", metavar="URL",
                      help=f"where staff reach qkit, e.g. https://qkit.example.com/ behind a proxy (default ${PUBLIC_URL_ENV}, "
                           "else this machine's 127.0.0.1 and --port)")
    add = asub.add_parser("add", parents=[common, data, port],
                          help="add an applicant and its lead, and print the lead's access link")
    add.add_argument("--name", required=True)
    add.add_argument("--rubric", required=True)
    add.add_argument("--lead", default=LEAD_NAME, help=f"the lead's name (default {LEAD_NAME})")
    relink = asub.add_parser("relink", parents=[common, data, port],
                             help="a new link for one member (the lead by default); their old one stops working")
    relink.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    relink.add_argument("member", nargs="?", metavar="MEMBER", help="member id or name (default: the lead)")
    cycle = asub.add_parser("new-cycle", parents=[common, data],
                            help="start the next assessment cycle: texts and KPIs carried over, scores to review")
    cycle.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    cycle.add_argument("--label", default=str(dt.date.today().year + 1), help="the cycle's name (default next year)")
    alist = asub.add_parser("list", parents=[common, data], help="list the applicants")
    alist.add_argument("--json", action="store_true")

    members = sub.add_parser("members", parents=[common], help="the people with a link to an applicant's workbook")
    msub = members.add_subparsers(dest="action", required=True)
    madd = msub.add_parser("add", parents=[common, data, port], help="add a member and print their own link")
    madd.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    madd.add_argument("--name", required=True)
    madd.add_argument("--role", default="writer", help="writer (default), lead or assessor")
    madd.add_argument("--items", default="", metavar="5.2,5.3",
                      help="the items a writer writes (5.1 is the profile); the others are read-only to them")
    mlist = msub.add_parser("list", parents=[common, data], help="list an applicant's members")
    mlist.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    mlist.add_argument("--json", action="store_true")
    revoke = msub.add_parser("revoke", parents=[common, data], help="end a member's link at once; their revisions stay")
    revoke.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    revoke.add_argument("member", metavar="MEMBER", help="member id or name")
    assign = msub.add_parser("assign", parents=[common, data],
                             help="give a writer other items, without a new link; their open page follows at once")
    assign.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    assign.add_argument("member", metavar="MEMBER", help="member id or name")
    assign.add_argument("--items", required=True, metavar="5.2,5.3",
                        help='the items the writer writes from now on ("" for the whole application)')

    srv = sub.add_parser("serve", parents=[common, data], help="serve the web workbooks (Voila) on 127.0.0.1")
    srv.add_argument("--port", type=int, default=DEFAULT_PORT)
    srv.add_argument("--host", default=HOST, metavar="ADDRESS",
                     help=f"address to listen on (default {HOST}: this machine only); see docs/deploy.md")
    srv.add_argument("--allow-remote", action="store_true",
                     help="allow a --host other machines can reach; serve it only behind an HTTPS proxy")
    srv.add_argument("--base-url", metavar="PATH", help="serve under this path, e.g. /qkit/ behind a proxy")
    srv.add_argument("--behind-proxy", action="store_true",
                     help="trust the client address the proxy sends (X-Real-IP, X-Forwarded-For)")
    srv.add_argument("--no-browser", action="store_true", help="do not open a browser")
    srv.add_argument("--workbooks", type=Path, metavar="DIR", help="folder of workbooks to serve (default: the shipped ones)")
    srv.add_argument("--pool", type=_count, default=POOL, metavar="N",
                     help=f"warm kernels kept in all, shared among the standards in use, so pages open at once "
                          f"(default {POOL}; 0: none)")
    srv.add_argument("--max-kernels", type=_count, default=MAX_KERNELS, metavar="N",
                     help=f"pages open at once at most; more visitors are asked to retry in a minute "
                          f"(default {MAX_KERNELS}; 0: no limit)")

    export = sub.add_parser("export", parents=[common, data], help="write every applicant's latest document as YAML")
    export.add_argument("-o", "--output", required=True, type=Path, metavar="FOLDER")
    export.add_argument("--round", choices=("independent", "consensus"), default=None,
                        help="the assessors' layers handed in (one document each), or the consensus, "
                             "instead of the applications")
    export.add_argument("--cycle", type=int, default=None, metavar="N",
                        help="an earlier cycle's rounds, by number (qkit history lists them); default the current")

    history = sub.add_parser("history", parents=[common, data],
                             help="an applicant's saved revisions: who saved them and what changed")
    history.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    history.add_argument("--json", action="store_true")
    restore = sub.add_parser("restore", parents=[common, data], help="bring back an old revision as a new one")
    restore.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    restore.add_argument("revision", type=int, metavar="REVISION")

    stores = sub.add_parser("store", parents=[common], help="copy or back up the workbooks' store")
    ssub = stores.add_subparsers(dest="action", required=True)
    migrate = ssub.add_parser("migrate", parents=[common],
                              help="copy a store (a data folder) into an empty PostgreSQL database, and check the counts")
    migrate.add_argument("--from", dest="source", required=True, metavar="DIR", help="the data folder to copy")
    migrate.add_argument("--to", dest="target", required=True, metavar="URL", help="postgresql://… of an empty database")
    backup = ssub.add_parser("backup", parents=[common, data],
                             help="copy the SQLite database into one file while qkit runs (PostgreSQL: use pg_dump)")
    backup.add_argument("--to", dest="target", required=True, type=Path, metavar="FILE")


def _when(moment, lang: str) -> str:
    return f"{fmt_date(moment.date(), lang)} {moment:%H:%M}"


def _store(args, index: RubricIndex) -> Store:
    return Store(data_dir(args.data), index)


def _applicants_add(args, index: RubricIndex, lang: str, out: Console) -> int:
    public_base(args.public_url, args.port)  # a wrong public URL is named before a key is made and lost
    applicant, token = _store(args, index).add_applicant(args.name, args.rubric, args.lead)
    out.print(tr("applicant_added", lang, name=applicant.name, id=applicant.id, rubric=applicant.rubric), markup=False)
    _print_link(args, applicant, token, lang, out)
    return 0


def _applicants_relink(args, index: RubricIndex, lang: str, out: Console) -> int:
    public_base(args.public_url, args.port)
    st = _store(args, index)
    member = st.member(args.applicant, args.member)
    token = st.renew_token(args.applicant, member.id)
    out.print(tr("relinked_member", lang, name=member.name), markup=False)
    _print_link(args, st.applicant(args.applicant), token, lang, out)
    return 0


def _applicants_new_cycle(args, index: RubricIndex, lang: str, out: Console) -> int:
    revision = _store(args, index).new_cycle(args.applicant, args.label, lang)
    out.print(tr("cycle_started", lang, label=args.label, number=revision.number), markup=False)
    return 0


def _role_text(member, lang: str) -> str:
    role = tr(f"role_{member.role}", lang)
    return f"{role}（{join_list(member.items, lang)}）" if member.items else role


def _members_add(args, index: RubricIndex, lang: str, out: Console) -> int:
    public_base(args.public_url, args.port)
    st = _store(args, index)
    member, token = st.add_member(args.applicant, args.name, args.role, _items(args.items))
    out.print(tr("member_added", lang, name=member.name, id=member.id, role=_role_text(member, lang)), markup=False)
    _print_link(args, st.applicant(args.applicant), token, lang, out)
    return 0


def _members_list(args, index: RubricIndex, lang: str, out: Console) -> int:
    members = _store(args, index).members(args.applicant)
    if args.json:
        print(json.dumps([{"id": m.id, "name": m.name, "role": m.role, "items": list(m.items), "active": m.active,
                           "created_at": m.created_at.isoformat(),
                           "revoked_at": m.revoked_at.isoformat() if m.revoked_at else None}
                          for m in members], ensure_ascii=False, indent=2))
        return 0
    table = PlainTable(tr("applicant_id", lang), tr("member_name", lang), tr("member_role", lang),
                       tr("member_state", lang))
    for m in members:
        state = tr("member_active", lang) if m.active else tr("member_revoked", lang, when=_when(m.revoked_at, lang))
        table.add_row(str(m.id), m.name, _role_text(m, lang), state)
    out.print(table)
    return 0


def _items(text: str) -> list[str]:
    """Items as typed on the command line: 5.2,5.3 (or 5.2，5.3)."""
    return [i.strip() for i in text.replace("，", ",").split(",") if i.strip()]


def _members_assign(args, index: RubricIndex, lang: str, out: Console) -> int:
    member = _store(args, index).assign(args.applicant, args.member, _items(args.items))
    out.print(tr("member_assigned", lang, name=member.name, role=_role_text(member, lang)), markup=False)
    return 0


def _members_revoke(args, index: RubricIndex, lang: str, out: Console) -> int:
    member = _store(args, index).revoke(args.applicant, args.member)
    out.print(tr("member_revoked_now", lang, name=member.name), markup=False)
    return 0


def _print_link(args, applicant, token: str, lang: str, out: Console) -> None:
    out.print(tr("access_link", lang), markup=False)
    out.print(public_base(args.public_url, args.port) + access_path(applicant, token), markup=False, highlight=False)
    out.print(tr("token_once", lang), markup=False, style="yellow")


def _applicants_list(args, index: RubricIndex, lang: str, out: Console) -> int:
    applicants = _store(args, index).applicants()
    if args.json:
        print(json.dumps([{"id": a.id, "name": a.name, "rubric": a.rubric, "latest": a.latest,
                           "created_at": a.created_at.isoformat(), "saved_at": a.saved_at.isoformat()}
                          for a in applicants], ensure_ascii=False, indent=2))
        return 0
    if not applicants:
        out.print(tr("no_applicants", lang), markup=False)
        return 0
    table = PlainTable(tr("applicant_id", lang), tr("applicant_name", lang), tr("rubric_id", lang),
                  tr("revision_no", lang), tr("last_saved", lang))
    for a in applicants:
        table.add_row(str(a.id), a.name, a.rubric, str(a.latest), _when(a.saved_at, lang))
    out.print(table)
    return 0


def _count(text: str) -> int:
    """A whole number of 0 or more, for options that count things."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: 0, 1, 2 …")
    return number


def _serve(args, index: RubricIndex, lang: str, out: Console) -> int:
    serve(args.port, args.data, not args.no_browser, args.workbooks, lang, args.host, args.allow_remote,
          args.base_url, args.behind_proxy, args.pool, args.max_kernels)
    return 0


def _store_migrate(args, index: RubricIndex, lang: str, out: Console) -> int:
    source = Store(data_dir(args.source), index)
    target_url = data_dir(args.target)
    if not isinstance(target_url, str):
        raise QkitError(Problem("--to", "data_url", args.target, {"allowed": "postgresql://USER@HOST/DATABASE"}))
    target = Store(target_url, index)
    counts = source.copy_to(target)
    out.print(tr("copied_store", lang, to=target.shown), markup=False, highlight=False)
    names = {"applicant": tr("table_applicant", lang), "member": tr("table_member", lang),
             "revision": tr("table_revision", lang), "cycle": tr("table_cycle", lang),
             "assessment": tr("table_assessment", lang)}
    for table, (here, copied) in counts.items():
        out.print(tr("copied_counts", lang, table=names[table], source=here, target=copied), markup=False)
    return 0


def _store_backup(args, index: RubricIndex, lang: str, out: Console) -> int:
    st = _store(args, index)
    path = st.backup(args.target)
    counts = st.counts()
    out.print(tr("backed_up", lang, file=path, applicants=counts["applicant"], revisions=counts["revision"]),
              markup=False, highlight=False)
    return 0


def _export(args, index: RubricIndex, lang: str, out: Console) -> int:
    paths = _store(args, index).export(args.output, args.round, args.cycle)
    out.print(tr("exported", lang, n=len(paths), folder=args.output), markup=False)
    if paths:
        _validate(argparse.Namespace(files=paths), index, lang, out)  # lists the problems; exported all the same
    return 0


def _history(args, index: RubricIndex, lang: str, out: Console) -> int:
    st = _store(args, index)
    applicant = st.applicant(args.applicant)
    revisions = st.history(applicant.id)
    if args.json:
        print(json.dumps([{"number": r.number, "author": r.author, "created_at": r.created_at.isoformat(),
                           "changed": list(r.changed), "based_on": r.parent, "note": r.note}
                          for r in revisions], ensure_ascii=False, indent=2))
        return 0
    table = PlainTable(tr("revision_no", lang), tr("author", lang), tr("saved_at", lang), tr("changed", lang),
                  tr("note", lang), title=f"{applicant.id} {applicant.name}（{applicant.rubric}）")
    for rev in revisions:
        table.add_row(str(rev.number), rev.author or "—", _when(rev.created_at, lang),
                      join_list(rev.changed, lang), rev.note)
    out.print(table)
    return 0


def _restore(args, index: RubricIndex, lang: str, out: Console) -> int:
    st = _store(args, index)
    new = st.restore(args.applicant, args.revision, base=st.latest(args.applicant).number, lang=lang)
    out.print(tr("restored", lang, n=args.revision, new=new.number), markup=False)
    return 0


# --- reports -------------------------------------------------------------------


def _add_report_commands(sub, common: argparse.ArgumentParser) -> None:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("-o", "--output", required=True, type=Path, metavar="DIR", help="folder for the reports")
    options.add_argument("--no-pdf", dest="pdf", action="store_false", help="skip the PDF (made with Chromium)")
    options.add_argument("--template", type=Path, help="report notebook to run (default parameterized/report.ipynb)")
    options.add_argument("--timeout", type=float, default=300, metavar="SECONDS",
                         help="longest a template cell may run (default 300)")
    options.add_argument("--audience", choices=("applicant", "internal"),
                         help="whom the report is for: applicant (申报单位版: no assessor names, independent scores, "
                              "calibration, notes or flags) or internal (内部版: everything); default: applicant for "
                              "a consensus document, internal otherwise")
    options.add_argument("--bands-only", action="store_true",
                         help="release every score as its band (50%%–65%%): clauses, items and total, no exact "
                              "score or points in the HTML, PDF, Excel, Word and JSON")
    rep = sub.add_parser("report", parents=[common, options],
                         help="feedback report for one applicant: HTML, PDF, Excel, JSON and the executed notebook")
    rep.add_argument("file", type=Path)
    rep.add_argument("--docx", nargs="?", const="both", choices=("both", "narrative", "feedback"), metavar="WHICH",
                     help="also write Word files: NAME.自评报告.docx (the self-assessment report) and NAME.反馈报告.docx "
                          "(the feedback report); --docx narrative or --docx feedback writes one of them")
    rep.add_argument("--limits", type=Path, metavar="FILE",
                     help="word limits of the 自评报告 for the reports' writing section (default: the shipped ones)")
    rep.add_argument("-p", "--previous", type=Path, metavar="FILE",
                     help="an earlier assessment of the same standard: adds the 与上期比较 section")
    bat = sub.add_parser("batch", parents=[common, options],
                         help="reports for every applicant in a folder, in parallel, and the cohort summary")
    bat.add_argument("folder", type=Path)
    bat.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4), metavar="N",
                     help="worker processes, each with its own kernel (default: the number of CPUs, at most 4)")
    bat.add_argument("--resume", action="store_true",
                     help="skip applicants an earlier run reported completely (noted in OUT/.qkit-batch.json) from the "
                          "same document (its SHA-256 and modification time), options and template, with every "
                          "file still there")


def _report_options(args, lang: str) -> dict:
    from .report import TEMPLATE

    return {"lang": lang, "rubric_dirs": getattr(args, "rubrics", None), "template": args.template or TEMPLATE,
            "timeout": args.timeout, "pdf": args.pdf, "audience": args.audience, "bands_only": args.bands_only}


def _report(args, index: RubricIndex, lang: str, out: Console) -> int:
    from .docx_report import write_docx
    from .report import make_report

    limits = load_limits(args.limits)  # a wrong limits file is named before the report runs
    files = make_report(args.file, args.output, previous=args.previous, limits=args.limits,
                        **_report_options(args, lang))
    docx = write_docx(files.card, args.file, args.output, args.docx, lang, limits, files.edition) if args.docx else []
    out.print(tr("report_written", lang), markup=False)
    for path in (files.html, files.pdf, files.excel, *docx, files.scores, files.notebook):
        if path is not None:
            out.print(f"  {path}", markup=False, highlight=False)
    for note in files.notes:
        out.print(note, markup=False, style="yellow")
    return 0


def _batch(args, index: RubricIndex, lang: str, out: Console) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .batch import run_batch

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=False) as progress:
        result = run_batch(args.folder, args.output, max(1, args.jobs), args.resume, progress=progress,
                           **_report_options(args, lang))
    out.print(tr("batch_done", lang, ok=len(result.done), failed=len(result.failed), skipped=len(result.skipped)),
              markup=False)
    notes = sorted({note for outcome in result.done for note in outcome.notes})
    for note in notes:
        out.print(note, markup=False, style="yellow")
    if result.summary:
        out.print(f"{tr('summary_written', lang)} " + "  ".join(str(p) for p in result.summary),
                  markup=False, highlight=False)
    if result.failed:
        err = console(stderr=True)
        err.print(tr("batch_failures", lang), markup=False, style="bold red")
        for outcome in result.failed:
            err.print(f"- {outcome.document.name}", markup=False, style="bold")
            for line in outcome.reason.splitlines():
                err.print(f"    {line}", markup=False, highlight=False)
            if outcome.notebook:
                err.print(f"    {tr('notebook_kept', lang, file=outcome.notebook)}", markup=False, highlight=False)
        return 1
    return 0


# --- comparing two assessments ----------------------------------------------------------


def _add_compare_command(sub, common: argparse.ArgumentParser) -> None:
    cmp = sub.add_parser("compare", parents=[common],
                         help="compare an earlier and a later assessment of the same standard (year over year)")
    cmp.add_argument("old", type=Path, metavar="OLD", help="the earlier assessment document")
    cmp.add_argument("new", type=Path, metavar="NEW", help="the later assessment document")
    cmp.add_argument("--json", action="store_true")


def _compare(args, index: RubricIndex, lang: str, out: Console) -> int:
    from .compare import compare_files

    comparison = compare_files(args.old, args.new, index)
    if args.json:
        print(json.dumps(comparison.to_dict(lang), ensure_ascii=False, indent=2))
    else:
        print_comparison(comparison, lang, out)
    return 0


def _add_cycle_command(sub, common: argparse.ArgumentParser) -> None:
    cycle = sub.add_parser("new-cycle", parents=[common],
                           help="start the next assessment cycle in a new file: texts and KPIs carried over, "
                                "scores cleared for review (previous_score)")
    cycle.add_argument("file", type=Path, metavar="FILE", help="the assessment document of the cycle ending")
    cycle.add_argument("-o", "--output", required=True, type=Path, help="the new cycle's document")
    cycle.add_argument("--label", default=str(dt.date.today().year + 1), help="the cycle's name (default next year)")
    cycle.add_argument("--force", action="store_true", help="overwrite an existing file")


def _new_cycle(args, index: RubricIndex, lang: str, out: Console) -> int:
    from .web.notebook import start_cycle

    start_cycle(args.file, args.output, args.label, args.force)
    out.print(tr("cycle_file_started", lang, label=args.label, file=args.output, source=args.file), markup=False)
    return 0


def print_comparison(comparison, lang: str, out: Console) -> None:
    """The clause table (items in bold) with scores before and after and the changes; total, maturity,
    the clauses that moved most, the OFIs gone and new, and the KPIs joined over both documents."""
    from .compare import signed
    from .tables import change_columns, clause_change_frame, comparison_facts, item_change_frame, revision_lines

    cols = change_columns(lang)
    clauses, items = clause_change_frame(comparison, lang), item_change_frame(comparison, lang)
    facts = comparison_facts(comparison, lang)

    def cells(row, columns) -> list[str]:
        texts = []
        for c in columns:
            if c in (cols["delta_percent"], cols["delta_points"]):
                texts.append(signed(None if _missing(row[c]) else row[c]))
            elif c in (cols["old"], cols["new"]) and _missing(row[c]):
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


def print_kpi_joins(comparison, lang: str, out: Console) -> None:
    """Each KPI's own values over the years of both documents (the later document wins on a year in both)."""
    from .i18n import fmt_value

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


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


# --- consensus -----------------------------------------------------------------


def _add_consensus_command(sub, common: argparse.ArgumentParser) -> None:
    from .consensus import DEFAULT_SPREAD

    con = sub.add_parser("consensus", parents=[common],
                         help="independent assessments of one applicant side by side, and the consensus document")
    con.add_argument("files", nargs="+", type=Path, metavar="FILE", help="one document per assessor")
    con.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the consensus document here")
    con.add_argument("--spread", type=int, default=DEFAULT_SPREAD, metavar="POINTS",
                     help=f"flag clauses whose scores span this many percentage points or more (default {DEFAULT_SPREAD})")
    con.add_argument("--json", action="store_true")


def _consensus(args, index: RubricIndex, lang: str, out: Console) -> int:
    from .consensus import compare_assessors, consensus_document

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


# --- the 自评报告: narrative limits and coverage -------------------------------------------


def _print_writing(doc, rubric, limits, coverage: bool, lang: str, out: Console) -> None:
    """A valid document's narrative over its limits (warnings, not errors) and the coverage hint."""
    from .narrative import writing_status

    status = writing_status(doc, rubric, limits)
    warnings = status.warnings
    if warnings:
        out.print(f"  {tr('narrative_warnings', lang, n=len(warnings), file=limits.path.name)}", markup=False,
                  style="yellow")
        for warning in warnings:
            out.print(f"  - {warning.message(lang)}", markup=False, highlight=False)
    hinted = status.hinted
    if hinted and not coverage:
        out.print(f"  {tr('coverage_note', lang, n=len(hinted))}", markup=False, highlight=False)
    elif hinted:
        out.print(f"  {tr('coverage_lead', lang)}", markup=False)
        for part in hinted:
            points = join_list([c.label(lang) for c in part.unaddressed], lang)
            out.print(f"  - {tr('coverage_missing', lang, where=part.id, title=part.name(lang), points=points)}",
                      markup=False, highlight=False)


COMMANDS = {
    ("rubrics", "list"): _rubrics_list,
    ("rubrics", "show"): _rubrics_show,
    ("new", None): _new,
    ("validate", None): _validate,
    ("score", None): _score,
    ("applicants", "add"): _applicants_add,
    ("applicants", "relink"): _applicants_relink,
    ("applicants", "list"): _applicants_list,
    ("applicants", "new-cycle"): _applicants_new_cycle,
    ("members", "add"): _members_add,
    ("members", "list"): _members_list,
    ("members", "revoke"): _members_revoke,
    ("members", "assign"): _members_assign,
    ("serve", None): _serve,
    ("export", None): _export,
    ("history", None): _history,
    ("restore", None): _restore,
    ("store", "migrate"): _store_migrate,
    ("store", "backup"): _store_backup,
    ("report", None): _report,
    ("batch", None): _batch,
    ("compare", None): _compare,
    ("new-cycle", None): _new_cycle,
    ("consensus", None): _consensus,
}
