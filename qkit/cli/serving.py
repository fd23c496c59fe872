"""The workbooks' server and the store behind it: serve, export, history, restore, copies and backups."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from ..errors import Problem, QkitError
from ..i18n import join_list, tr
from ..rubric_files import RubricIndex
from ..web.serve import DEFAULT_PORT, HOST, MAX_KERNELS, POOL, ServeOptions, serve
from ..web.store import Store, data_dir
from .console import Parents, PlainTable, count, open_store, when
from .documents import validate


def register(sub, parents: Parents) -> None:
    common, data = parents.common, parents.data
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
    srv.add_argument("--pool", type=count, default=POOL, metavar="N",
                     help=f"warm kernels kept in all, shared among the standards in use, so pages open at once "
                          f"(default {POOL}; 0: none)")
    srv.add_argument("--max-kernels", type=count, default=MAX_KERNELS, metavar="N",
                     help=f"pages open at once at most; more visitors are asked to retry in a minute "
                          f"(default {MAX_KERNELS}; 0: no limit)")
    srv.set_defaults(handler=serve_command)

    exp = sub.add_parser("export", parents=[common, data], help="write every applicant's latest document as YAML")
    exp.add_argument("-o", "--output", required=True, type=Path, metavar="FOLDER")
    exp.add_argument("--round", choices=("independent", "consensus"), default=None,
                     help="the assessors' layers handed in (one document each), or the consensus, "
                          "instead of the applications")
    exp.add_argument("--cycle", type=int, default=None, metavar="N",
                     help="an earlier cycle's rounds, by number (qkit history lists them); default the current")
    exp.set_defaults(handler=export)

    hist = sub.add_parser("history", parents=[common, data],
                          help="an applicant's saved revisions: who saved them and what changed")
    hist.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    hist.add_argument("--json", action="store_true")
    hist.set_defaults(handler=history)
    back = sub.add_parser("restore", parents=[common, data], help="bring back an old revision as a new one")
    back.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    back.add_argument("revision", type=int, metavar="REVISION")
    back.set_defaults(handler=restore)

    stores = sub.add_parser("store", parents=[common], help="copy or back up the workbooks' store")
    ssub = stores.add_subparsers(dest="action", required=True)
    migrate = ssub.add_parser("migrate", parents=[common],
                              help="copy a store (a data folder) into an empty PostgreSQL database, and check the counts")
    migrate.add_argument("--from", dest="source", required=True, metavar="DIR", help="the data folder to copy")
    migrate.add_argument("--to", dest="target", required=True, metavar="URL", help="postgresql://… of an empty database")
    migrate.set_defaults(handler=store_migrate)
    backup = ssub.add_parser("backup", parents=[common, data],
                             help="copy the SQLite database into one file while qkit runs (PostgreSQL: use pg_dump)")
    backup.add_argument("--to", dest="target", required=True, type=Path, metavar="FILE")
    backup.set_defaults(handler=store_backup)


def serve_command(args, index: RubricIndex, lang: str, out: Console) -> int:
    serve(ServeOptions(args.port, args.data, not args.no_browser, args.workbooks, lang, args.host, args.allow_remote,
                       args.base_url, args.behind_proxy, args.pool, args.max_kernels))
    return 0


def export(args, index: RubricIndex, lang: str, out: Console) -> int:
    paths = open_store(args, index).export(args.output, args.round, args.cycle)
    out.print(tr("exported", lang, n=len(paths), folder=args.output), markup=False)
    if paths:
        validate(argparse.Namespace(files=paths), index, lang, out)  # lists the problems; exported all the same
    return 0


def history(args, index: RubricIndex, lang: str, out: Console) -> int:
    st = open_store(args, index)
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
        table.add_row(str(rev.number), rev.author or "—", when(rev.created_at, lang),
                      join_list(rev.changed, lang), rev.note)
    out.print(table)
    return 0


def restore(args, index: RubricIndex, lang: str, out: Console) -> int:
    st = open_store(args, index)
    new = st.restore(args.applicant, args.revision, base=st.latest(args.applicant).number, lang=lang)
    out.print(tr("restored", lang, n=args.revision, new=new.number), markup=False)
    return 0


def store_migrate(args, index: RubricIndex, lang: str, out: Console) -> int:
    source = Store(data_dir(args.source), index)
    target_url = data_dir(args.target)
    if not isinstance(target_url, str):
        raise QkitError(Problem("--to", "data_url", args.target, {"allowed": "postgresql://USER@HOST/DATABASE"}))
    target = Store(target_url, index)
    counts = source.copy_to(target)
    out.print(tr("copied_store", lang, to=target.shown), markup=False, highlight=False)
    names = {"applicant": tr("table_applicant", lang), "member": tr("table_member", lang),
             "revision": tr("table_revision", lang), "cycle": tr("table_cycle", lang),
             "assessment": tr("table_assessment", lang), "deadline": tr("table_deadline", lang),
             "opened": tr("table_opened", lang), "file": tr("table_file", lang),
             "attachment": tr("table_attachment", lang)}
    for table, (here, copied) in counts.items():
        out.print(tr("copied_counts", lang, table=names[table], source=here, target=copied), markup=False)
    return 0


def store_backup(args, index: RubricIndex, lang: str, out: Console) -> int:
    st = open_store(args, index)
    path = st.backup(args.target)
    counts = st.counts()
    out.print(tr("backed_up", lang, file=path, applicants=counts["applicant"], revisions=counts["revision"]),
              markup=False, highlight=False)
    return 0
