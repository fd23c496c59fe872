"""Teams: a link for each person, who changed what, and simultaneous edits that merge.

Every test taking ``store`` runs on SQLite and on PostgreSQL in turn.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from support.documents import SAMPLES
from qkit import check, load_rubric
from qkit.merge import MISSING, changes, merge
from qkit.web.session import Session
from qkit.web.store import SCHEMA_VERSION, StaleRevision, Store, open_for_token

RUBRIC = "hubei-manufacturing"
SAMPLE = yaml.safe_load((SAMPLES / "hubei-manufacturing-huake.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def store(any_store):
    """An empty store, on SQLite and on PostgreSQL in turn."""
    return any_store


def open_as(store, token, **kwargs) -> Session:
    return Session.open(load_rubric(RUBRIC), store.location, f"key={token}", autosave_delay=None, **kwargs)


# --- people -----------------------------------------------------------------------------


def test_each_member_has_a_key_of_their_own_and_a_revoked_one_opens_nothing(store):
    applicant, lead_key = store.add_applicant("华科精密", RUBRIC, lead="张伟")
    writer, writer_key = store.add_member(applicant.id, "王强", "writer", ["5.2", "5.3"])
    assessor, assessor_key = store.add_member(applicant.id, "李娜", "assessor")
    assert len({lead_key, writer_key, assessor_key}) == 3
    assert open_for_token(store.location, f"key={writer_key}")[2] == writer
    assert open_for_token(store.location, f"key={lead_key}")[2].role == "lead"
    session = open_as(store, writer_key)
    session.set(("clauses", "5.2.2", "score"), 60)
    assert session.save()
    store.revoke(applicant.id, "王强")
    assert open_for_token(store.location, f"key={writer_key}") is None
    assert store.latest(applicant.id).author == "王强"  # the revoked member's revisions stay
    assert [m.active for m in store.members(applicant.id)] == [True, False, True]
    new_key = store.renew_token(applicant.id, assessor.id)
    assert open_for_token(store.location, f"key={assessor_key}") is None
    assert open_for_token(store.location, f"key={new_key}")[2].name == "李娜"


def test_bad_members_are_refused_with_what_is_allowed(store):
    from qkit import QkitError

    applicant, _ = store.add_applicant("华科精密", RUBRIC)
    for kwargs, words in (({"role": "boss"}, "lead、writer、assessor"), ({"items": ["9.9"]}, "5.1、5.2"),
                          ({"name": "负责人"}, "同名")):
        with pytest.raises(QkitError) as caught:
            store.add_member(applicant.id, **{"name": "王强", **kwargs})
        assert words in caught.value.render("zh")


def test_a_writer_edits_their_items_and_sees_the_others_read_only(store):
    applicant, _ = store.add_applicant("华科精密", RUBRIC)
    _, key = store.add_member(applicant.id, "王强", "writer", ["5.2", "5.1"])
    session = open_as(store, key)
    assert session.set(("clauses", "5.2.2", "score"), 60) is None
    assert session.set(("profile", "a"), "概况") is None
    refused = session.set(("clauses", "5.5.2", "score"), 60)
    assert refused.code == "not_your_item" and "5.2、5.1" in refused.message("zh")
    assert session.set(("applicant", "name"), "别的名字").code == "not_your_item"
    assert session.value(("clauses", "5.5.2", "score")) is None
    kpi = session.add_kpi("5.2.4")
    assert session.editable(("results", kpi, "values", 2025))  # a KPI of 5.2.4 belongs to 5.2
    assert not session.editable(("clauses", "5.7.2", "notes"))


# --- authorship and history --------------------------------------------------------------


def test_history_names_the_author_and_what_changed(cli, store):
    applicant, lead_key = store.add_applicant("华科精密", RUBRIC, lead="张伟")
    _, key = store.add_member(applicant.id, "王强", "writer", ["5.2"])
    session = open_as(store, key)
    session.set(("clauses", "5.2.2", "score"), 60)
    session.set(("clauses", "5.2.2", "strengths"), ["战略清晰"])
    assert session.save()
    code, out, _ = cli("history", str(applicant.id), "--json", "--data", store.location)
    assert code == 0
    revisions = json.loads(out)
    assert [r["number"] for r in revisions] == [2, 1]
    assert revisions[0]["author"] == "王强" and revisions[1]["author"] == "张伟"
    assert revisions[0]["changed"] == ["clauses/5.2.2/score", "clauses/5.2.2/strengths"]
    assert set(revisions[0]) >= {"number", "author", "created_at", "changed"}
    code, out, _ = cli("history", str(applicant.id), "--data", store.location)
    assert "王强" in out and "clauses/5.2.2/score" in out


def test_members_commands(cli, store):
    data = store.location
    code, out, _ = cli("applicants", "add", "--name", "华科精密", "--rubric", RUBRIC, "--lead", "张伟", "--data", data)
    assert code == 0 and "key=" in out
    code, out, _ = cli("members", "add", "1", "--name", "王强", "--items", "5.2,5.3", "--data", data)
    assert code == 0 and "撰写人（5.2、5.3）" in out and "/voila/render/hubei-manufacturing.ipynb?key=" in out
    code, out, _ = cli("members", "list", "1", "--json", "--data", data)
    listed = json.loads(out)
    assert [(m["name"], m["role"], m["items"]) for m in listed] == [("张伟", "lead", []), ("王强", "writer", ["5.2", "5.3"])]
    code, out, _ = cli("members", "revoke", "1", "王强", "--data", data)
    assert code == 0 and "已撤销" in out
    code, _, err = cli("members", "revoke", "1", "王强", "--data", data)
    assert code == 1 and "没有此成员" in err and "张伟" in err
    code, out, _ = cli("applicants", "relink", "1", "--data", data)
    assert code == 0 and "张伟" in out


def test_a_store_of_the_first_format_is_brought_up_to_date(tmp_path):
    """A store made before members: the applicant's key becomes its lead's, every revision stays."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = sqlite3.connect(folder / "qkit.sqlite3")
    db.executescript(textwrap.dedent("""
        CREATE TABLE applicant (id INTEGER PRIMARY KEY, name TEXT NOT NULL, rubric TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
        CREATE TABLE revision (id INTEGER PRIMARY KEY, applicant_id INTEGER NOT NULL REFERENCES applicant(id),
            number INTEGER NOT NULL, parent_number INTEGER, created_at TEXT NOT NULL, document TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '', UNIQUE (applicant_id, number));
        CREATE TRIGGER revision_never_updated BEFORE UPDATE ON revision
            BEGIN SELECT RAISE(ABORT, 'revisions are never changed; save a new one'); END;
        CREATE TRIGGER revision_never_deleted BEFORE DELETE ON revision
            BEGIN SELECT RAISE(ABORT, 'revisions are never deleted'); END;
        PRAGMA user_version=1;
    """))
    from qkit.web.store import hash_token

    db.execute("INSERT INTO applicant VALUES (1, '老单位', ?, ?, '2025-01-01T08:00:00+08:00')",
               (RUBRIC, hash_token("old-key")))
    for number in (1, 2):
        document = yaml.safe_dump({"rubric": RUBRIC, "applicant": {"name": "老单位"},
                                   "clauses": {"5.2.2": {"score": 50 + number * 5}}}, allow_unicode=True)
        db.execute("INSERT INTO revision (applicant_id, number, parent_number, created_at, document) VALUES"
                   " (1, ?, ?, '2025-01-01T08:00:00+08:00', ?)", (number, number - 1 or None, document))
    db.commit()
    db.close()

    store = Store(folder)
    applicant, _, member = open_for_token(str(folder), "key=old-key")
    assert applicant.name == "老单位" and member.role == "lead" and member.name == "负责人"
    assert [r.data["clauses"]["5.2.2"]["score"] for r in store.history(1)] == [60, 55]
    assert [r.author for r in store.history(1)] == [None, None]
    with sqlite3.connect(folder / "qkit.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        with pytest.raises(sqlite3.DatabaseError, match="never"):
            db.execute("UPDATE revision SET note = 'x'")
    _, key = store.add_member(1, "王强")
    session = open_as(store, key)
    session.set(("clauses", "5.2.3", "score"), 70)
    assert session.save() and store.latest(1).author == "王强"


def test_two_servers_see_each_others_saves_and_merge_or_refuse_across_them(store):
    """Pages served by two servers: each session opens its own Store (its own connection), as a server does."""
    applicant, _ = store.add_applicant("华科精密", RUBRIC, lead="张伟")
    _, key_a = store.add_member(applicant.id, "王强", "writer", ["5.2"])
    _, key_b = store.add_member(applicant.id, "李娜", "writer", ["5.5"])
    on_a, on_b, watching = open_as(store, key_a), open_as(store, key_b), open_as(store, key_a)
    assert on_a.store is not on_b.store  # no shared connection between the "servers"
    on_a.set(("clauses", "5.2.2", "score"), 60)
    assert on_a.save() and on_a.base == 2
    assert watching.refresh() and watching.value(("clauses", "5.2.2", "score")) == 60  # seen through the other
    on_b.set(("clauses", "5.5.2", "score"), 40)  # edited from revision 1: merged with what A saved
    assert on_b.save() and on_b.base == 3 and on_b.value(("clauses", "5.2.2", "score")) == 60
    with pytest.raises(StaleRevision):  # a save that may not merge is refused across servers, never lost
        Store(store.location).save(applicant.id, on_a.data, base=2)
    assert store.latest(applicant.id).data["clauses"]["5.5.2"]["score"] == 40
    on_a.set(("clauses", "5.2.2", "score"), 70)  # the same field changed on both: a choice, nothing saved
    watching.refresh()
    watching.set(("clauses", "5.2.2", "score"), 80)
    assert watching.save()
    assert not on_a.save() and len(on_a.conflicts) == 1 and store.latest(applicant.id).number == 4


# --- the merge ---------------------------------------------------------------------------


def test_lists_merge_by_entry_and_a_removed_entry_someone_edited_is_a_conflict():
    base = {"clauses": {"5.2.2": {"strengths": ["甲", "乙", "丙"]}}}
    theirs = copy.deepcopy(base)
    mine = copy.deepcopy(base)
    theirs["clauses"]["5.2.2"]["strengths"].append("丁（他人）")
    mine["clauses"]["5.2.2"]["strengths"].append("戊（本人）")
    mine["clauses"]["5.2.2"]["strengths"][0] = "甲（改）"
    merged = merge(base, theirs, mine)
    assert merged.conflicts == []
    assert merged.data["clauses"]["5.2.2"]["strengths"] == ["甲（改）", "乙", "丙", "丁（他人）", "戊（本人）"]

    theirs = copy.deepcopy(base)
    del theirs["clauses"]["5.2.2"]["strengths"][1]
    mine = copy.deepcopy(base)
    mine["clauses"]["5.2.2"]["strengths"][1] = "乙（改）"
    merged = merge(base, theirs, mine)
    [conflict] = merged.conflicts
    assert (conflict.theirs, conflict.mine) == (MISSING, "乙（改）")


def test_kpis_merge_by_clause_and_name_and_their_values_by_year():
    kpi = {"clause": "5.2.4", "name": "营业收入", "values": {2023: 40.0, 2024: 45.0}}
    base = {"results": [kpi]}
    theirs = {"results": [{**kpi, "values": {**kpi["values"], 2025: 48.0}},
                          {"clause": "5.4.4", "name": "顾客满意度", "values": {2025: 90.0}}]}
    mine = {"results": [{**kpi, "unit": "亿元", "values": {**kpi["values"], 2022: 38.0}}]}
    merged = merge(base, theirs, mine)
    assert merged.conflicts == []
    first, second = merged.data["results"]
    assert first["unit"] == "亿元" and first["values"] == {2022: 38.0, 2023: 40.0, 2024: 45.0, 2025: 48.0}
    assert second["name"] == "顾客满意度"
    assert changes(base, merged.data) == ["results/5.2.4 营业收入", "results/5.4.4 顾客满意度"]


CLAUSES = [c.id for c in load_rubric(RUBRIC).clauses]
EDIT = st.tuples(st.sampled_from(["score", "notes", "strength", "kpi"]), st.integers(0, 100))


def apply(data: dict, clause: str, edit: tuple) -> dict:
    """One person's edit of one clause (or of a KPI of their own)."""
    kind, n = edit
    rating = data.setdefault("clauses", {}).setdefault(clause, {})
    if kind == "score":
        rating["score"] = (n // 5) * 5
    elif kind == "notes":
        rating["notes"] = f"说明 {n}"
    elif kind == "strength":
        rating.setdefault("strengths", []).append(f"优势 {clause} {n}")
    else:
        data.setdefault("results", []).append({"clause": "5.2.4", "name": f"指标 {clause} {n}",
                                               "values": {2025: float(n)}})
    return data


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(CLAUSES), min_size=2, max_size=10, unique=True), st.data())
def test_edits_of_different_clauses_always_merge_to_their_union(clauses, draw):
    split = draw.draw(st.integers(1, len(clauses) - 1))
    theirs_edits = {c: draw.draw(EDIT) for c in clauses[:split]}
    mine_edits = {c: draw.draw(EDIT) for c in clauses[split:]}
    base = copy.deepcopy(SAMPLE)
    theirs, mine, both = copy.deepcopy(base), copy.deepcopy(base), copy.deepcopy(base)
    for clause, edit in theirs_edits.items():
        apply(theirs, clause, edit)
        apply(both, clause, edit)
    for clause, edit in mine_edits.items():
        apply(mine, clause, edit)
        apply(both, clause, edit)
    merged = merge(base, theirs, mine)
    assert merged.conflicts == []
    assert merged.data["clauses"] == both["clauses"]
    assert sorted(map(repr, merged.data["results"])) == sorted(map(repr, both["results"]))
    inputs = {p.render() for side in (theirs, mine) for p in check(side)[1]}
    assert {p.render() for p in check(merged.data)[1]} <= inputs  # as valid as its inputs


# --- two writers at once --------------------------------------------------------------------

WRITER = """
import sys
from qkit import load_rubric
from qkit.web.session import Session
data, key, prefix, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
session = Session.open(load_rubric("hubei-manufacturing"), data, "key=" + key, autosave_delay=None)
clauses = [c.id for c in session.rubric.clauses if c.id.startswith(prefix)]
for n in range(rounds):
    session.set(("clauses", clauses[n % len(clauses)], "notes"), f"{prefix} 第 {n} 次")
    assert session.save(), session.status()
"""


@pytest.mark.slow
def test_two_writer_processes_editing_different_items_lose_nothing(store):
    applicant, _ = store.add_applicant("华科精密", RUBRIC)
    keys = [store.add_member(applicant.id, name, "writer", [item])[1] for name, item in (("甲", "5.2"), ("乙", "5.5"))]
    rounds = 25
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, store.location, key, prefix, str(rounds)],
                              stderr=subprocess.PIPE, text=True)
             for key, prefix in zip(keys, ("5.2", "5.5"))]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    latest = store.latest(applicant.id).data["clauses"]
    for prefix in ("5.2", "5.5"):
        clauses = [c.id for c in load_rubric(RUBRIC).clauses if c.id.startswith(prefix)]
        for n in range(rounds - len(clauses), rounds):  # the last edit of every clause is there
            assert latest[clauses[n % len(clauses)]]["notes"] == f"{prefix} 第 {n} 次"
    history = store.history(applicant.id)
    assert len(history) == 2 * rounds + 1 and {r.author for r in history[:-1]} == {"甲", "乙"}


# --- independent assessment in the store: each assessor's layer, the lead's consensus ---------------


def test_assessors_score_alone_and_the_lead_brings_the_layers_together(store):
    applicant, lead_key = store.add_applicant("华科精密", RUBRIC, lead="张伟")
    written = copy.deepcopy(SAMPLE)
    store.save(applicant.id, written, base=1)
    keys = {name: store.add_member(applicant.id, name, "assessor")[1] for name in ("李娜", "赵六")}
    li, zhao = (open_as(store, keys[n]) for n in ("李娜", "赵六"))
    assert li.assessing and li.scorecard.scored_points == 0  # a layer starts with nothing scored
    narrative = SAMPLE["clauses"]["5.2.2"]["narrative"]
    assert li.value(("clauses", "5.2.2", "narrative")) == narrative  # the assessor reads what the team wrote
    assert li.value(("clauses", "5.2.2", "strengths")) is None  # and not the team's own judgement
    assert li.set(("profile", "a"), "改写概况").code == "not_your_document"  # an assessor scores, nothing else
    assert li.set(("clauses", "5.2.2", "narrative"), "改写").code == "not_your_document"
    li.set(("clauses", "5.2.2", "score"), 40)
    li.set(("clauses", "5.2.2", "ofis"), ["文化未覆盖外包人员"])
    zhao.set(("clauses", "5.2.2", "score"), 60)
    assert li.save() and zhao.save()
    assert open_as(store, keys["赵六"]).value(("clauses", "5.2.2", "score")) == 60  # each sees only their own
    assert store.latest(applicant.id).number == 2  # the application is untouched
    lead = open_as(store, lead_key)
    assert lead.layers() == []  # nothing handed in yet
    assert li.submit() and li.submitted and not li.editable(("clauses", "5.2.2", "score"))
    assert li.set(("clauses", "5.2.2", "score"), 45) is not None
    assert [name for name, _ in lead.layers()] == ["李娜"]
    assert zhao.submit()
    assert [doc["clauses"]["5.2.2"]["score"] for _, doc in lead.layers()] == [40, 60]

    agreed = lead.consensus()
    agreed.adopt(lead.proposal(), ["李娜", "赵六"])
    assert agreed.value(("clauses", "5.2.2", "independent")) == {"李娜": 40, "赵六": 60}
    assert agreed.value(("clauses", "5.2.2", "score")) is None  # 40 and 60 are flagged: the team decides
    assert agreed.value(("clauses", "5.2.2", "self_score")) == SAMPLE["clauses"]["5.2.2"]["score"]
    agreed.set(("clauses", "5.2.2", "score"), 50)
    agreed.set(("clauses", "5.2.2", "notes"), "现场核实后取中间档")
    agreed.set(("clauses", "5.2.2", "ofis", 0, "text"), "企业文化尚未覆盖外包人员")
    assert agreed.save()
    consensus = store.consensus(applicant.id)
    assert consensus.data["clauses"]["5.2.2"]["score"] == 50 and consensus.data["assessment"]["stage"] == "共识"
    assert consensus.data["clauses"]["5.2.2"]["ofis"] == [{"text": "企业文化尚未覆盖外包人员", "by": ["李娜"]}]
    assert store.latest(applicant.id).number == 2 and store.latest(applicant.id).data == written  # never touched
