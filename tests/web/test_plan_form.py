"""The improvement plan in the web form: the 改进计划 tab filters, marks what is overdue and edits through the session;
one click beside an OFI adds an action; writers edit the actions of their own items and the lead all of them, in the
session and in the store; an owner who is not a member is named; every field is named as the form shows it."""

from __future__ import annotations

import copy

import pytest
import yaml

from support.documents import SAMPLES
from qkit import load_rubric
from qkit.merge import changes
from qkit.plan import DONE, IN_PROGRESS, NOT_STARTED
from qkit.web.form.fields import Form, walk
from qkit.web.session import Session
from qkit.web.store import NotAllowed

RUBRIC = "hubei-manufacturing"
SAMPLE = yaml.safe_load((SAMPLES / "hubei-manufacturing-huake.yaml").read_text(encoding="utf-8"))
OWN = 1  # 5.2.4-1, an action on 5.2 (王强's item), overdue since 2026-03-31
OTHER = 0  # 5.4.3-1, on 5.4


@pytest.fixture
def team(store):
    """华科精密 with the sample (and its plan) as revision 2: its lead 张伟, 王强 writing 5.2, 李娜 assessing."""
    applicant, lead_key = store.add_applicant("华科精密", RUBRIC, lead="张伟")
    writer, writer_key = store.add_member(applicant.id, "王强", "writer", ["5.2"])
    store.add_member(applicant.id, "李娜", "assessor")
    store.save(applicant.id, copy.deepcopy(SAMPLE), base=1)
    return applicant, {"lead": lead_key, "writer": writer_key}, writer


def open_as(store, key: str) -> Session:
    return Session.open(load_rubric(RUBRIC), store.location, f"key={key}", autosave_delay=None)


def test_a_writer_edits_the_actions_of_their_items_and_is_refused_on_others(store, team):
    applicant, keys, _ = team
    session = open_as(store, keys["writer"])
    assert session.set(("improvements", OWN, "status"), DONE) is None
    refused = session.set(("improvements", OTHER, "owner"), "王强")
    assert refused.code == "not_your_item" and session.alert == refused
    assert session.value(("improvements", OTHER, "owner")) == "刘洋"  # as it was
    assert session.set_action_clauses(OWN, "5.5.2").code == "not_your_item"  # nor moved into another item
    assert session.add_action("5.3.2") == -1 and session.add_action_from_ofi("5.3.2", 0) == -1
    added = session.add_action_from_ofi("5.2.2", 0)
    assert session.actions()[added]["clauses"] == ["5.2.2"]
    assert session.save()
    saved = store.latest(applicant.id)
    assert saved.author == "王强" and saved.data["improvements"][OWN]["status"] == DONE
    assert "improvements/5.2.2 5.2.2-1" in saved.changed  # named by its clause: whose item it is
    assert [r.editable for r in session.action_rows()][:2] == [False, True]
    lead = open_as(store, keys["lead"])
    assert lead.set(("improvements", OTHER, "owner"), "王强") is None and all(r.editable for r in lead.action_rows())


def test_the_store_refuses_a_writers_save_that_changes_another_items_action(store, team):
    applicant, _, writer = team
    data = store.latest(applicant.id).data
    theirs = copy.deepcopy(data)
    theirs["improvements"][OTHER]["status"] = DONE
    with pytest.raises(NotAllowed) as refused:
        store.save(applicant.id, theirs, base=2, author=writer)
    assert "improvements/5.4.3" in refused.value.render("zh")
    moved = copy.deepcopy(data)
    moved["improvements"][OWN]["clauses"] = ["5.3.2"]  # out of the writer's item
    assert changes(data, moved) == ["improvements/5.3.2 5.2.4-1", "improvements/5.2.4 5.2.4-1"]
    with pytest.raises(NotAllowed):
        store.save(applicant.id, moved, base=2, author=writer)
    own = copy.deepcopy(data)
    own["improvements"][OWN]["notes"] = "差距分析已提交经营分析会"
    assert store.save(applicant.id, own, base=2, author=writer).number == 3


def test_an_assessor_gets_no_plan_to_edit(store, team):
    from qkit.web.form.workbook import Workbook

    applicant, _, _ = team
    _, key = store.add_member(applicant.id, "赵六", "assessor")
    book = Workbook(open_as(store, key), "zh")
    assert "改进计划" not in book.tabs.titles
    book.tabs.selected_index = 1  # 5.2: the OFIs have no button to the plan in an assessor's layer
    assert not [b for b in walk(book.widget) if "qkit-to-plan" in getattr(b, "_dom_classes", ())]


def test_the_tab_filters_by_owner_status_and_item_and_marks_what_is_overdue(store, team):
    from qkit.web.form.plan import PlanPanel

    session = open_as(store, team[1]["lead"])
    panel = PlanPanel(Form(session, "zh"))
    assert len(panel.rows.children) == len(SAMPLE["improvements"])
    panel.owner.value = "王强"
    assert {session.actions()[r.index]["owner"] for r in session.action_rows(owner="王强")} == {"王强"}
    assert "显示 2 / 7 项" in panel.count.value
    panel.owner.value, panel.status.value = "", IN_PROGRESS
    assert "显示 3 / 7 项" in panel.count.value
    panel.status.value, panel.item.value = "", "5.2"
    (card,) = panel.rows.children
    assert "5.2.4-1" in panel._heads[OWN].value and "已逾期（截止 2026年3月31日）" in panel._heads[OWN].value
    assert "qkit-action-late" in card._dom_classes
    status = next(w for w in walk(card) if getattr(w, "options", None) and ("已完成", DONE) in w.options)
    status.value = DONE  # a done action is late no more
    assert "已逾期" not in panel._heads[OWN].value and "qkit-action-late" not in card._dom_classes
    assert "共 7 项措施" in panel.summary.value and "预计可提升" in panel.summary.value


def test_a_writers_tab_shows_other_items_actions_read_only(store, team):
    from qkit.web.form.plan import PlanPanel

    panel = PlanPanel(Form(open_as(store, team[1]["writer"]), "zh"))
    cards = dict(zip([r.index for r in panel.session.action_rows()], panel.rows.children))
    inputs = lambda card: [w for w in walk(card) if hasattr(w, "disabled") and hasattr(w, "value")]  # noqa: E731
    assert all(w.disabled for w in inputs(cards[OTHER])) and not any(w.disabled for w in inputs(cards[OWN]))


def test_one_click_beside_an_ofi_adds_an_action_answering_it(store, team):
    from qkit.web.form.clauses import ClauseEditor

    session = open_as(store, team[1]["writer"])
    editor = ClauseEditor(Form(session, "zh"), session.rubric.clause("5.2.2"))
    buttons = [w for w in walk(editor) if "qkit-to-plan" in getattr(w, "_dom_classes", ())]
    assert len(buttons) == len(SAMPLE["clauses"]["5.2.2"]["ofis"]) and buttons[0].description == "加入改进计划"
    buttons[0].click()
    action = session.actions()[-1]
    assert action == {"id": "5.2.2-1", "clauses": ["5.2.2"], "ofis": [SAMPLE["clauses"]["5.2.2"]["ofis"][0]],
                      "status": NOT_STARTED}
    assert buttons[0].description == "已在改进计划中（5.2.2-1）" and buttons[0].disabled
    buttons[0].click()  # a second click adds nothing
    assert len(session.actions()) == len(SAMPLE["improvements"]) + 1
    other = ClauseEditor(Form(session, "zh"), session.rubric.clause("5.3.2"))
    assert all(b.disabled for b in walk(other) if "qkit-to-plan" in getattr(b, "_dom_classes", ()))


def test_an_owner_who_is_not_a_member_is_named_and_kept(store, team):
    session = open_as(store, team[1]["lead"])
    assert session.plan_owners()[:2] == ["张伟", "王强"] and "李娜" not in session.plan_owners()[:2]
    session.set(("improvements", OWN, "owner"), "王五")
    hint = session.owner_hint(OWN)
    assert hint.message() == "“王五”不是本单位的成员，按文字保留；成员：张伟、王强"
    assert "not a member" in hint.message("en")
    assert session.value(("improvements", OWN, "owner")) == "王五"
    assert session.owner_hint(OTHER).params["owner"] == "刘洋"  # the sample's owners are not this store's members
    session.set(("improvements", OWN, "owner"), "王强")
    assert session.owner_hint(OWN) is None
    assert not [p for p in session.problems if p.field.startswith("improvements")]  # free text, not a problem


def test_a_plans_fields_are_named_as_the_form_shows_them_and_lead_to_the_tab(store, team):
    from qkit.web.form.workbook import Workbook

    book = Workbook(open_as(store, team[1]["lead"]), "zh")
    session = book.session
    session.set(("improvements", OWN, "due"), "2026-02-30")
    (message,) = [m for m in session.all_messages() if "截止日期" in m]
    assert message.startswith("改进计划 5.2.4-1 · 截止日期：应为日期")
    assert session.place(("improvements", OWN, "kpi", "target"), "en") == "plan action 5.2.4-1 · KPI target · KPI target value"
    book.jump("improvements/2/due")
    assert book.tabs.titles[book.tabs.selected_index] == "改进计划"
