"""The web workbooks' applicants and their teams: a personal link for each member, roles, items, cycles."""

from __future__ import annotations

import datetime as dt
import json

from rich.console import Console

from ..i18n import tr
from ..rubric_files import RubricIndex
from ..web.serve import public_base
from ..web.store import LEAD_NAME, access_path
from .console import Parents, PlainTable, open_store, role_text, when


def register(sub, parents: Parents) -> None:
    common, data, port = parents.common, parents.data, parents.port
    applicants = sub.add_parser("applicants", parents=[common], help="applicants of the web workbooks")
    asub = applicants.add_subparsers(dest="action", required=True)
    add = asub.add_parser("add", parents=[common, data, port],
                          help="add an applicant and its lead, and print the lead's access link")
    add.add_argument("--name", required=True)
    add.add_argument("--rubric", required=True)
    add.add_argument("--lead", default=LEAD_NAME, help=f"the lead's name (default {LEAD_NAME})")
    add.set_defaults(handler=applicants_add)
    relink = asub.add_parser("relink", parents=[common, data, port],
                             help="a new link for one member (the lead by default); their old one stops working")
    relink.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    relink.add_argument("member", nargs="?", metavar="MEMBER", help="member id or name (default: the lead)")
    relink.set_defaults(handler=applicants_relink)
    cycle = asub.add_parser("new-cycle", parents=[common, data],
                            help="start the next assessment cycle: texts and KPIs carried over, scores to review")
    cycle.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    cycle.add_argument("--label", default=str(dt.date.today().year + 1), help="the cycle's name (default next year)")
    cycle.set_defaults(handler=applicants_new_cycle)
    alist = asub.add_parser("list", parents=[common, data], help="list the applicants")
    alist.add_argument("--json", action="store_true")
    alist.set_defaults(handler=applicants_list)

    members = sub.add_parser("members", parents=[common], help="the people with a link to an applicant's workbook")
    msub = members.add_subparsers(dest="action", required=True)
    madd = msub.add_parser("add", parents=[common, data, port], help="add a member and print their own link")
    madd.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    madd.add_argument("--name", required=True)
    madd.add_argument("--role", default="writer", help="writer (default), lead or assessor")
    madd.add_argument("--items", default="", metavar="5.2,5.3.4",
                      help="the items or clauses a writer writes (5.1 is the profile; a results clause comes with "
                           "its KPIs); the others are read-only to them")
    madd.set_defaults(handler=members_add)
    mlist = msub.add_parser("list", parents=[common, data], help="list an applicant's members")
    mlist.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    mlist.add_argument("--json", action="store_true")
    mlist.set_defaults(handler=members_list)
    revoke = msub.add_parser("revoke", parents=[common, data], help="end a member's link at once; their revisions stay")
    revoke.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    revoke.add_argument("member", metavar="MEMBER", help="member id or name")
    revoke.set_defaults(handler=members_revoke)
    assign = msub.add_parser("assign", parents=[common, data],
                             help="give a writer other items, without a new link; their open page follows at once")
    assign.add_argument("applicant", type=int, metavar="APPLICANT_ID")
    assign.add_argument("member", metavar="MEMBER", help="member id or name")
    assign.add_argument("--items", required=True, metavar="5.2,5.3.4",
                        help='the items or clauses the writer writes from now on ("" for the whole application)')
    assign.set_defaults(handler=members_assign)


def applicants_add(args, index: RubricIndex, lang: str, out: Console) -> int:
    public_base(args.public_url, args.port)  # a wrong public URL is named before a key is made and lost
    applicant, token = open_store(args, index).add_applicant(args.name, args.rubric, args.lead)
    out.print(tr("applicant_added", lang, name=applicant.name, id=applicant.id, rubric=applicant.rubric), markup=False)
    print_link(args, applicant, token, lang, out)
    return 0


def applicants_relink(args, index: RubricIndex, lang: str, out: Console) -> int:
    public_base(args.public_url, args.port)
    st = open_store(args, index)
    member = st.member(args.applicant, args.member)
    token = st.renew_token(args.applicant, member.id)
    out.print(tr("relinked_member", lang, name=member.name), markup=False)
    print_link(args, st.applicant(args.applicant), token, lang, out)
    return 0


def applicants_new_cycle(args, index: RubricIndex, lang: str, out: Console) -> int:
    revision = open_store(args, index).new_cycle(args.applicant, args.label, lang)
    out.print(tr("cycle_started", lang, label=args.label, number=revision.number), markup=False)
    return 0


def applicants_list(args, index: RubricIndex, lang: str, out: Console) -> int:
    applicants = open_store(args, index).applicants()
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
        table.add_row(str(a.id), a.name, a.rubric, str(a.latest), when(a.saved_at, lang))
    out.print(table)
    return 0


def members_add(args, index: RubricIndex, lang: str, out: Console) -> int:
    public_base(args.public_url, args.port)
    st = open_store(args, index)
    member, token = st.add_member(args.applicant, args.name, args.role, typed_items(args.items))
    out.print(tr("member_added", lang, name=member.name, id=member.id, role=role_text(member, lang)), markup=False)
    print_link(args, st.applicant(args.applicant), token, lang, out)
    return 0


def members_list(args, index: RubricIndex, lang: str, out: Console) -> int:
    members = open_store(args, index).members(args.applicant)
    if args.json:
        print(json.dumps([{"id": m.id, "name": m.name, "role": m.role, "items": list(m.items), "active": m.active,
                           "created_at": m.created_at.isoformat(),
                           "revoked_at": m.revoked_at.isoformat() if m.revoked_at else None}
                          for m in members], ensure_ascii=False, indent=2))
        return 0
    table = PlainTable(tr("applicant_id", lang), tr("member_name", lang), tr("member_role", lang),
                       tr("member_state", lang))
    for m in members:
        state = tr("member_active", lang) if m.active else tr("member_revoked", lang, when=when(m.revoked_at, lang))
        table.add_row(str(m.id), m.name, role_text(m, lang), state)
    out.print(table)
    return 0


def typed_items(text: str) -> list[str]:
    """Items as typed on the command line: 5.2,5.3 (or 5.2，5.3)."""
    return [i.strip() for i in text.replace("，", ",").split(",") if i.strip()]


def members_assign(args, index: RubricIndex, lang: str, out: Console) -> int:
    member = open_store(args, index).assign(args.applicant, args.member, typed_items(args.items))
    out.print(tr("member_assigned", lang, name=member.name, role=role_text(member, lang)), markup=False)
    return 0


def members_revoke(args, index: RubricIndex, lang: str, out: Console) -> int:
    member = open_store(args, index).revoke(args.applicant, args.member)
    out.print(tr("member_revoked_now", lang, name=member.name), markup=False)
    return 0


def print_link(args, applicant, token: str, lang: str, out: Console) -> None:
    out.print(tr("access_link", lang), markup=False)
    out.print(public_base(args.public_url, args.port) + access_path(applicant, token), markup=False, highlight=False)
    out.print(tr("token_once", lang), markup=False, style="yellow")
