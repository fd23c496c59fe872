"""The team lead's view: progress, assignments, due dates, notices of others' changes, a history that reads.

Every test taking ``store`` runs on SQLite and on PostgreSQL in turn.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
import yaml

from support.documents import SAMPLES
from qkit import load_rubric
from qkit.i18n import fmt_day
from qkit.web.session import Session
from qkit.web.store import SCHEMA_VERSION, NotAllowed, Store

RUBRIC = "hubei-manufacturing"
SAMPLE = yaml.safe_load((SAMPLES / "hubei-manufacturing-huake.yaml").read_text(encoding="utf-8"))
TODAY = dt.date.today()


@pytest.fixture
def store(any_store):
    return any_store


def open_as(store, key: str) -> Session:
    return Session.open(load_rubric(RUBRIC), store.location, f"key={key}", autosave_delay=None)


def team(store) -> tuple[int, dict[str, str]]:
    """华科精密 with a blank application: its lead 张伟, 王强 writing 5.2, 刘洋 writing 5.1 and 5.3, 李娜 assessing."""
    applicant, lead = store.add_applicant("华科精密", RUBRIC, lead="张伟")
    keys = {"张伟": lead}
    for name, role, items in (("王强", "writer", ["5.2"]), ("刘洋", "writer", ["5.1", "5.3"]),
                              ("李娜", "assessor", [])):
        keys[name] = store.add_member(applicant.id, name, role, items)[1]
    return applicant.id, keys


# --- assignments: items and clauses, one rule for the session and the store ---------------------------


def test_a_writer_of_a_results_clause_writes_it_and_its_kpis_and_nothing_else(store):
    from qkit.web.form.fields import walk
    from qkit.web.form.kpis import KpiEditor
    from qkit.web.form.workbook import Workbook

    applicant, keys = team(store)
    store.assign(applicant, "王强", ["5.3.4"])
    writer = open_as(store, keys["王强"])
    kpi = writer.add_kpi()
    assert writer.value(("results", kpi, "clause")) == "5.3.4"  # a new KPI lands in a clause the writer writes
    writer.set(("results", kpi, "name"), "战略目标达成率")
    writer.set_kpi_value(kpi, ("values",), 2025, "92")
    assert writer.set(("clauses", "5.3.4", "score"), 60) is None
    refused = writer.set(("clauses", "5.3.2", "score"), 60)  # the same item, another clause
    assert refused.code == "not_your_item" and "5.3.4" in writer.describe(refused, "zh")
    moved = writer.set(("results", kpi, "clause"), "5.2.4")  # a KPI moved out of the writer's clause
    assert moved is not None and "5.3.4" in writer.describe(moved, "zh")
    assert writer.value(("results", kpi, "clause")) == "5.3.4"
    assert writer.save()
    saved = store.latest(applicant).data
    assert saved["results"][0]["values"] == {2025: 92} and saved["clauses"]["5.3.4"]["score"] == 60
    data = copy.deepcopy(saved)
    data["clauses"].setdefault("5.3.2", {})["score"] = 40
    with pytest.raises(NotAllowed) as caught:  # the store applies the same rule to whatever a page sends
        store.save(applicant, data, base=store.latest(applicant).number, author=store.member(applicant, "王强"))
    assert "clauses/5.3.2" in caught.value.render("zh")
    book = Workbook(open_as(store, keys["王强"]), "zh")
    book.tabs.selected_index = book.tabs.titles.index("结果数据")
    grid = next(e for e in walk(book.widget) if isinstance(e, KpiEditor))
    assert [cid for _, cid in grid.clause_options] == ["5.3.4"]  # a KPI is moved only among the writer's clauses


def test_the_lead_assigns_clauses_and_the_open_page_follows_without_a_new_link(store, cli):
    from qkit.web.form.fields import walk
    from qkit.web.form.clauses import ClauseEditor
    from qkit.web.form.workbook import Workbook

    applicant, keys = team(store)
    book = Workbook(open_as(store, keys["王强"]), "zh")
    book.tabs.selected_index = 2  # 5.3, read-only to a writer of 5.2
    editors = [e for e in walk(book.widget) if isinstance(e, ClauseEditor) and e.clause.id.startswith("5.3.")]
    assert editors and all(e.score.disabled for e in editors)
    lead = open_as(store, keys["张伟"])
    assert lead.assign("王强", "5.2、5.3.4")
    assert book.session.refresh() is False  # nothing saved meanwhile; the new items are taken in all the same
    assert "5.2、5.3.4" in book.header.alert.value and "无需新链接" in book.header.alert.value
    editors = {e.clause.id: e for e in walk(book.widget) if isinstance(e, ClauseEditor)}
    assert not editors["5.3.4"].score.disabled and editors["5.3.2"].score.disabled  # drawn again, clause by clause
    editors["5.3.4"].score.value = 70
    assert book.session.save() and store.latest(applicant).data["clauses"]["5.3.4"]["score"] == 70
    writer = open_as(store, keys["刘洋"])
    assert writer.assign("王强", "5.5") is False and "负责人" in writer.alert.message("zh")  # the lead's alone
    assert lead.assign("王强", "5.9.9") is False and "5.4.4" in lead.alert.message("zh")  # names what is allowed
    code, out, err = cli("members", "assign", str(applicant), "刘洋", "--items", "5.3,5.4.4", "--data", store.location)
    assert code == 0, err
    assert store.member(applicant, "刘洋").items == ("5.3", "5.4.4")


# --- due dates ------------------------------------------------------------------------------------


def test_due_dates_are_the_leads_and_each_person_sees_their_own_in_the_header(store, cli):
    from qkit.web.form.workbook import Workbook

    applicant, keys = team(store)
    soon, past = TODAY + dt.timedelta(days=3), TODAY - dt.timedelta(days=2)
    code, out, err = cli("due", str(applicant), "5.3", soon.isoformat(), "--data", store.location)
    assert code == 0 and "5.3" in out, err
    code, _, err = cli("due", str(applicant), "5.3", "12月10日", "--data", store.location)
    assert code == 1 and "due" in err and "YYYY-MM-DD" in err  # names the field and what is allowed
    code, _, err = cli("due", str(applicant), "9.9", soon.isoformat(), "--data", store.location)
    assert code == 1 and "application" in err and "5.3.2" in err
    writer = Workbook(open_as(store, keys["刘洋"]), "zh")
    assert f"5.3 截止 {fmt_day(soon)}，还有 3 天" in writer.header.deadlines.value
    assert open_as(store, keys["王强"]).deadline_lines() == []  # 5.3 is not his
    with pytest.raises(NotAllowed):
        store.set_due(applicant, "5.2", past, author=store.member(applicant, "王强"))
    lead = open_as(store, keys["张伟"])
    assert lead.set_due("5.3.2", past.isoformat())
    writer.session.refresh()  # the page's poll finds the new date and the header shows it
    assert f"5.3.2 已逾期 2 天（截止 {fmt_day(past)}）" in writer.header.deadlines.value
    assert "qkit-overdue" in writer.header.deadlines.value
    assert lead.set_due("assessors", past.isoformat())
    assert open_as(store, keys["李娜"]).deadline_lines() == [f"独立评分提交 已逾期 2 天（截止 {fmt_day(past)}）"]
    assert lead.set_due("5.3", "") and "5.3" not in store.deadlines(applicant)  # cleared


# --- progress ---------------------------------------------------------------------------------------


def test_qkit_progress_json_follows_the_team_and_never_shows_an_assessors_score(store, cli):
    applicant, keys = team(store)
    wang, liu = open_as(store, keys["王强"]), open_as(store, keys["刘洋"])
    wang.set(("clauses", "5.2.2", "score"), 70)
    wang.set(("clauses", "5.2.2", "narrative"), "高层领导确定使命、愿景和价值观。")
    assert wang.save()
    liu.set(("clauses", "5.3.2", "score"), 60)
    assert liu.save()
    store.set_due(applicant, "5.2", (TODAY - dt.timedelta(days=1)).isoformat())
    store.set_due(applicant, "5.3.2", (TODAY + dt.timedelta(days=5)).isoformat())
    assessor = open_as(store, keys["李娜"])  # opened: the lead sees it
    assessor.set(("clauses", "5.2.2", "score"), 35)
    assert assessor.save() and assessor.submit()
    store.add_member(applicant, "赵六", "assessor")  # invited, never opened
    code, out, err = cli("progress", str(applicant), "--json", "--data", store.location)
    assert code == 0, err
    found = json.loads(out)
    assert set(found) == {"clauses", "assessors"}
    clauses = {c["id"]: c for c in found["clauses"]}
    assert list(clauses) == [c.id for c in load_rubric(RUBRIC).clauses]
    assert all(set(c) == {"id", "owners", "scored", "words", "limit", "last_edit", "due", "overdue"}
               for c in clauses.values())
    first = clauses["5.2.2"]
    assert first["owners"] == ["王强"] and first["scored"] is True and first["words"] == 16
    assert first["last_edit"]["by"] == "王强" and dt.datetime.fromisoformat(first["last_edit"]["at"])
    assert first["due"] == (TODAY - dt.timedelta(days=1)).isoformat() and first["overdue"] is False  # finished
    assert clauses["5.2.3"]["overdue"] is True and clauses["5.2.3"]["last_edit"] is None  # due with its item
    assert clauses["5.3.2"] == {**clauses["5.3.2"], "owners": ["刘洋"], "scored": True, "words": 0,
                                "due": (TODAY + dt.timedelta(days=5)).isoformat(), "overdue": False}
    assert clauses["5.3.2"]["last_edit"]["by"] == "刘洋" and clauses["5.4.2"]["owners"] == []
    assert found["assessors"] == [{"name": "李娜", "opened": True, "handed_in": True},
                                  {"name": "赵六", "opened": False, "handed_in": False}]
    assert "35" not in json.dumps(found["assessors"])
    code, out, err = cli("progress", str(applicant), "--data", store.location)
    row = next(line for line in out.splitlines() if "5.2.3" in line)
    assert code == 0 and "王强" in row and "1 天" in row and "李娜" in out, err


def test_the_progress_tab_is_the_leads_and_read_only_for_writers(store):
    from qkit.web.form.fields import walk
    from qkit.web.form.progress import ProgressPanel
    from qkit.web.form.workbook import Workbook

    applicant, keys = team(store)
    data = copy.deepcopy(SAMPLE)
    store.save(applicant, data, base=1)
    store.set_due(applicant, "5.5", (TODAY - dt.timedelta(days=4)).isoformat())
    open_as(store, keys["李娜"])

    def panel(book):
        book.tabs.selected_index = book.tabs.titles.index("进度")
        return next(e for e in walk(book.widget) if isinstance(e, ProgressPanel))

    lead = panel(Workbook(open_as(store, keys["张伟"]), "zh"))
    row = lead.table.value.split("data-part='5.2.4'")[1].split("</tr>")[0]
    kpis = [k for k in SAMPLE["results"] if k["clause"] == "5.2.4"]
    assert f"/ {len(kpis)}<" in row  # the KPIs of a results clause, and how many have the latest year's value
    assert "王强" in row and "✓" in row
    assert "已逾期 4 天" in lead.table.value and "qkit-late" in lead.table.value  # 5.5, marked
    assessor = lead.assessors.value.split("data-assessor='李娜'")[1].split("</tr>")[0].split("<td")
    assert "✓" in assessor[3] and "否" in assessor[4]  # opened, not handed in
    assert [r.children[1].value for r in lead.writers.children] == ["5.2", "5.1、5.3"]  # each writer's items
    writer = panel(Workbook(open_as(store, keys["王强"]), "zh"))
    assert "5.2.4" in writer.table.value and writer.assessors.value == ""  # the assessors are the lead's
    assert not [e for e in walk(writer) if hasattr(e, "on_click")]  # nothing to assign or set: read-only
    assert "进度" not in Workbook(open_as(store, keys["李娜"]), "zh").tabs.titles


# --- notices --------------------------------------------------------------------------------------


def test_a_writer_is_told_once_when_someone_else_changes_their_field(store):
    from qkit.web.form.workbook import Workbook

    applicant, keys = team(store)
    book = Workbook(open_as(store, keys["王强"]), "zh")
    writer = book.session
    writer.set(("clauses", "5.2.2", "score"), 65)
    assert writer.save()
    lead = open_as(store, keys["张伟"])
    lead.set(("clauses", "5.2.2", "score"), 70)
    lead.set(("clauses", "5.2.3", "score"), 50)  # a field the writer never touched: no word of it
    assert lead.save()
    assert writer.refresh()
    assert writer.notice_lines("zh") == ["张伟将 5.2.2 引领发展 · 得分率由 65% 改为 70%"]
    assert "张伟将 5.2.2 引领发展 · 得分率由 65% 改为 70%" in book.header.alert.value
    (english,) = writer.notice_lines("en")
    assert english.startswith("张伟 changed 5.2.2 ") and english.endswith(" from 65% to 70%")
    book.header.alert.value = ""
    assert writer.refresh() is False and book.header.alert.value == ""  # told once


def test_a_conflict_decided_against_the_writer_is_said_on_their_page_and_a_merge_too(store):
    applicant, keys = team(store)
    writer = open_as(store, keys["王强"])
    lead = open_as(store, keys["张伟"])  # opened before the writer saves
    writer.set(("clauses", "5.2.2", "score"), 65)
    writer.set(("clauses", "5.2.2", "notes"), "王强的说明")
    assert writer.save()
    lead.set(("clauses", "5.2.2", "score"), 70)
    assert not lead.save() and len(lead.conflicts) == 1
    lead.choose(0, "mine")  # the lead keeps 70
    assert store.latest(applicant).data["clauses"]["5.2.2"]["score"] == 70
    writer.set(("clauses", "5.2.3", "score"), 40)  # the writer goes on elsewhere: the save merges
    assert writer.save()
    assert writer.value(("clauses", "5.2.2", "score")) == 70
    assert writer.notice_lines() == ["张伟将 5.2.2 引领发展 · 得分率由 65% 改为 70%"]
    long_text = "这是一段很长的说明，" * 10
    lead.refresh()
    lead.set(("clauses", "5.2.2", "notes"), long_text)
    assert lead.save() and writer.refresh()
    assert writer.notice_lines() == ["张伟修改了 5.2.2 引领发展 · 备注"]  # a long text is named, not quoted


# --- the history as a person reads it -------------------------------------------------------------


def test_the_history_groups_each_persons_working_spell_and_filters_by_person_and_item(store, monkeypatch):
    from qkit.web.store import revisions

    applicant, keys = team(store)
    clock = [dt.datetime(2026, 12, 7, 10, 0).astimezone()]
    monkeypatch.setattr(revisions, "now", lambda: clock[0].isoformat(timespec="seconds"))
    wang, liu = open_as(store, keys["王强"]), open_as(store, keys["刘洋"])
    for minute, (session, path, value) in enumerate([
            (wang, ("clauses", "5.2.2", "score"), 60), (liu, ("clauses", "5.3.2", "score"), 50),
            (wang, ("clauses", "5.2.2", "notes"), "说明"), (liu, ("profile", "a"), "概况"),
            (wang, ("clauses", "5.2.3", "score"), 40), (wang, ("clauses", "5.2.2", "score"), 65)], start=1):
        clock[0] = clock[0] + dt.timedelta(minutes=3 if minute < 6 else 25)
        session.set(path, value)
        assert session.save()
    assert len(store.history(applicant)) == 7  # every save stays a revision
    lead = open_as(store, keys["张伟"])
    entries = lead.history_entries()
    assert [(e.author, len(e.numbers)) for e in entries] == [("王强", 1), ("王强", 3), ("刘洋", 2), ("张伟", 1)]
    spell = entries[1]
    assert spell.numbers == (6, 4, 2) and spell.changed == ("clauses/5.2.3/score", "clauses/5.2.2/notes",
                                                            "clauses/5.2.2/score")
    assert lead.fields_said(spell.changed[:1]) == ["5.2.3 有效治理 · 得分率"]
    assert [e.author for e in lead.history_entries(author="刘洋")] == ["刘洋"]
    profile = lead.history_entries(item="5.1")
    assert [(e.author, e.changed) for e in profile] == [("刘洋", ("profile/a",))]  # that item's fields only
    assert lead.history_authors() == ["王强", "刘洋", "张伟"]


def test_a_restore_names_what_it_changes_and_waits_for_the_leads_word(store):
    from qkit.web.form.fields import walk
    from qkit.web.form.panels import HistoryPanel
    from qkit.web.form.workbook import Workbook

    applicant, keys = team(store)
    writer = open_as(store, keys["王强"])
    writer.set(("clauses", "5.2.2", "score"), 60)
    assert writer.save()
    writer.set(("clauses", "5.2.2", "score"), 75)
    assert writer.save()
    book = Workbook(open_as(store, keys["张伟"]), "zh")
    book.tabs.selected_index = len(book.tabs.children) - 1
    panel = next(e for e in walk(book.widget) if isinstance(e, HistoryPanel))
    (entry,) = [e for e in book.session.history_entries() if e.author == "王强"]  # two saves, one entry
    panel._ask(1)  # the first revision, as the lead asks to restore it
    assert panel.confirm.layout.display == "flex"
    assert "恢复第 1 版将改变以下 1 处内容" in panel.question.value
    assert "5.2.2 引领发展 · 得分率：75% → （已删除）" in panel.question.value
    cancel = next(b for b in walk(panel.confirm) if getattr(b, "description", "") == "取消")
    cancel.click()
    assert panel.confirm.layout.display == "none" and store.latest(applicant).number == 3
    panel._ask(entry.numbers[-1])
    yes = next(b for b in walk(panel.confirm) if getattr(b, "description", "") == "确认恢复")
    yes.click()
    assert store.latest(applicant).number == 4 and store.latest(applicant).data["clauses"]["5.2.2"]["score"] == 60


# --- a store of schema 4 --------------------------------------------------------------------------


def test_a_store_of_schema_4_gets_due_dates_and_openings(store, monkeypatch):
    from qkit.web.store import revisions

    monkeypatch.setattr(revisions, "SNAPSHOT_EVERY", 1)  # every revision whole, as schema 4 kept them
    applicant, keys = team(store)
    with store._connect() as db, store._write(db):
        db.execute("DROP TABLE attachment")
        db.execute("DROP TABLE file")
        db.execute("DROP TABLE opened")
        db.execute("DROP TABLE deadline")
        db.execute("ALTER TABLE revision DROP COLUMN delta")
        if store.path:
            db.execute("PRAGMA user_version=4")
        else:
            db.execute("UPDATE schema_version SET version = 4")
    upgraded = Store(store.location)
    assert upgraded.schema_version() == SCHEMA_VERSION
    assert [m.name for m in upgraded.members(applicant)] == ["张伟", "王强", "刘洋", "李娜"]
    assert upgraded.set_due(applicant, "application", "2026-12-20").due == dt.date(2026, 12, 20)
    open_as(upgraded, keys["李娜"])
    open_as(upgraded, keys["李娜"])  # opened twice: the first time is kept
    assert list(upgraded.openings(applicant)) == [upgraded.member(applicant, "李娜").id]
    with upgraded._connect() as db:
        with pytest.raises(Exception, match="never"):
            with upgraded._write(db):
                db.execute("UPDATE opened SET opened_at = 'x'")
