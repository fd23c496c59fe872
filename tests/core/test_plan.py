"""The improvement plan: checked like the rest of the document, overdue on a given day, the points it would gain,
drafted from the priorities, carried into the next cycle, merged when two people add actions, and what the completed
actions did in the next comparison."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from support.documents import SAMPLES, HUAKE
from support.plans import raw, two_cycles
from qkit import check, from_data, load, load_rubric, score
from qkit.compare import compare
from qkit.cycle import next_cycle
from qkit.document import KPI
from qkit.merge import changes, merge
from qkit.plan import (CANCELLED, DONE, IN_PROGRESS, NOT_STARTED, OPEN, STATUSES, Action, KpiTarget, draft, gain,
                       kpi_reached, new_action, plan_of, roadmap, targets)

GUANGGU = SAMPLES / "wuhan-manufacturing-guanggu.yaml"
RUBRIC = load_rubric("hubei-manufacturing")


def card_of(data: dict):
    return score(from_data(data), load_rubric(data["rubric"]))


# --- the samples -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [HUAKE, GUANGGU], ids=lambda p: p.stem)
def test_a_hubei_and_a_wuhan_sample_carry_a_realistic_plan(path):
    doc = load(path)
    actions = doc.improvements
    day = doc.assessment["date"]
    assert len(actions) >= 5 and len({a.status for a in actions}) == len(STATUSES)  # every status, mixed
    assert [a for a in actions if a.overdue(day)], "one action is overdue on the assessment date"
    assert all(a.owner and a.action and a.due and a.ofis for a in actions)
    assert all(abs((a.due - day).days) < 366 for a in actions)  # around the assessment date
    assert any(a.kpi for a in actions) and any(a.target_score for a in actions)
    ofis = {o for c in doc.clauses.values() for o in c.ofis}
    assert all(o in ofis for a in actions for o in a.ofis)  # the OFIs they answer, as the clauses write them
    assert gain(score(doc, load_rubric(doc.rubric))) > 0


# --- checked like the rest of the document ------------------------------------------------------


def test_every_wrong_part_of_an_action_is_named_with_what_is_allowed_in_both_languages():
    data = raw()
    data["improvements"] = [
        {"id": "x", "clauses": ["5.2.2", "9.9.9"], "status": "done", "start": "2026-05-01", "due": "2026-04-01",
         "target_score": 33, "kpi": {"name": "不存在的指标", "target": "高", "year": "明年"}},
        {"id": "x", "clauses": [], "owner": ["张伟"], "when": "明天"},
        "去做",
    ]
    doc, problems = check(data)
    found = {(p.field, p.code) for p in problems}
    assert found == {
        ("improvements/1/clauses", "unknown_clause"), ("improvements/1/status", "action_status"),
        ("improvements/1/due", "due_before_start"), ("improvements/1/target_score", "score_step"),
        ("improvements/1/kpi/name", "unknown_kpi"), ("improvements/1/kpi/target", "not_number"),
        ("improvements/1/kpi/year", "year"), ("improvements/2/id", "action_id_twice"),
        ("improvements/2/clauses", "action_clauses"), ("improvements/2/owner", "not_text"),
        ("improvements/2/when", "unknown_field"), ("improvements/3", "not_mapping")}
    status = next(p for p in problems if p.code == "action_status")
    assert status.render().startswith("improvements/1/status：状态应为以下之一：未开始、进行中、已完成、已取消（")
    assert "done" in status.render() and "not started, in progress, done, cancelled" in status.render("en")
    due = next(p for p in problems if p.code == "due_before_start")
    assert due.message() == "截止日期早于开始日期（2026-05-01）"
    assert due.message("en") == "the due date lies before the start (2026-05-01)"
    clause = next(p for p in problems if p.code == "unknown_clause")
    assert "9.9.9" in clause.render() and "5.7.4" in clause.render("en")  # the clause named, and what is allowed
    kpi = next(p for p in problems if p.code == "unknown_kpi")
    assert "设备综合效率（OEE）" in kpi.render() and "no KPI of this name" in kpi.render("en")
    assert doc is None


ODD = [None, True, 1e999, float("nan"), 10 ** 5000, "", "\ud800", "a\x0bb", [], {}, [[1]], {"a": {"b": []}},
       dt.datetime(2026, 1, 1, 5), "2026-02-30", 2026, ["5.2.2", None], [10 ** 5000]]


@pytest.mark.parametrize("field", ["id", "clauses", "ofis", "action", "owner", "start", "due", "status", "target_score",
                                   "kpi", "notes"])
def test_no_odd_value_in_an_action_ends_in_anything_but_named_problems(field):
    """An integer of 5,000 digits as a clause once stopped the check with a ValueError."""
    for value in ODD:
        data = raw()
        data["improvements"] = [{"clauses": ["5.2.2"], field: value}, {"clauses": ["5.2.2"], "kpi": {field: value}}]
        _, problems = check(data)
        for problem in problems:
            assert problem.render() and problem.render("en")
        changes(raw(), data)  # what a history names: an action whose clause cannot be written has none


def test_a_checked_plan_is_written_back_as_it_was_read():
    data = raw()
    doc = from_data(data)
    written = doc.to_data()["improvements"]
    assert [a["id"] for a in written] == [a["id"] for a in data["improvements"]]
    first = written[1]
    assert first["due"] == "2026-03-31" and first["kpi"] == {"name": "利润总额", "target": 4.6, "year": 2026}
    again, problems = check({**data, "improvements": written})  # dates as text, as JSON or the form give them
    assert problems == [] and again.improvements == doc.improvements


def test_a_document_without_a_plan_writes_none():
    data = raw(SAMPLES / "hubei-service-jiangcheng.yaml")
    assert "improvements" not in from_data(data).to_data()


# --- on a given day, and what it would gain -------------------------------------------------------


def test_an_open_action_is_overdue_the_day_after_it_was_due():
    due = dt.date(2026, 3, 31)
    for status in OPEN:
        action = Action(("5.2.2",), due=due, status=status)
        assert not action.overdue(due) and action.overdue(due + dt.timedelta(days=1))
    for status in (DONE, CANCELLED):
        assert not Action(("5.2.2",), due=due, status=status).overdue(dt.date(2027, 1, 1))
    assert not Action(("5.2.2",)).overdue(dt.date(2099, 1, 1))  # no due day, never overdue


def test_the_gain_is_each_scored_clauses_highest_target_over_its_score():
    data = raw()
    data["clauses"]["5.7.2"].pop("score")  # unscored: its gain is not known
    data["improvements"] = [
        {"clauses": ["5.2.2"], "target_score": 80, "status": IN_PROGRESS},
        {"clauses": ["5.2.2", "5.3.4"], "target_score": 75},
        {"clauses": ["5.2.2"], "target_score": 95, "status": CANCELLED},  # a cancelled action sets no target
        {"clauses": ["5.3.4"], "target_score": 60},  # below its score: nothing to gain
        {"clauses": ["5.7.2"], "target_score": 90},
    ]
    card = card_of(data)
    assert targets(card.assessment.improvements) == {"5.2.2": 80, "5.3.4": 75, "5.7.2": 90}
    clause = {c.id: c for c in card.clauses}
    expected = {"5.2": (80 - clause["5.2.2"].score) * clause["5.2.2"].points / 100,
                "5.3": (75 - clause["5.3.4"].score) * clause["5.3.4"].points / 100}
    gains = {item.id: item.gain for item in roadmap(card)}
    assert {k: v for k, v in gains.items() if v} == expected
    assert gain(card) == sum(expected.values()) > 0
    item = next(i for i in roadmap(card) if i.id == "5.2")
    assert item.earned == next(i.earned for i in card.items if i.id == "5.2") and item.target == item.earned + item.gain


def test_the_plan_on_a_day_counts_statuses_and_orders_the_timeline_by_due_day():
    card = card_of(raw())
    shown = plan_of(card, dt.date(2026, 4, 16))
    assert sum(shown.counts().values()) == len(shown.actions) and shown.counts()[DONE] == 1
    assert [a.id for a in shown.overdue] == ["5.2.4-1"]
    dues = [a.due for a in shown.by_due()]
    assert dues == sorted(dues)
    later = plan_of(card, dt.date(2026, 12, 1))
    assert {a.id for a in later.overdue} == {"5.2.4-1", "5.4.3-1", "5.6.4-1"}  # still open after their due days


def test_a_kpi_target_is_reached_in_its_year_as_the_kpis_direction_says():
    lower = KPI("5.7.4", "PPM", better="lower", values={2025: 12.0, 2026: 9.0})
    assert kpi_reached(lower, KpiTarget("PPM", 10, 2026)) == (9.0, True)
    assert kpi_reached(lower, KpiTarget("PPM", 10, 2025)) == (12.0, False)
    assert kpi_reached(lower, KpiTarget("PPM", 10, 2027)) == (None, None)  # no value for that year yet
    higher = KPI("5.7.4", "OEE", values={2024: 80.0, 2025: 83.0})
    assert kpi_reached(higher, KpiTarget("OEE", 82)) == (83.0, True)  # no year: the latest value


# --- drafting -----------------------------------------------------------------------------------


def test_an_action_is_drafted_for_each_top_priority_from_its_ofis_and_nothing_else():
    data = raw(SAMPLES / "hubei-service-jiangcheng.yaml")
    before = copy.deepcopy(data)
    card = card_of(data)
    drafted = draft(data, card, 3)
    assert data == before  # the input is left as it is
    actions = drafted["improvements"]
    top = card.priorities(3)
    assert [a["clauses"] for a in actions] == [[c.id] for c in top]
    assert [a["ofis"] for a in actions] == [list(c.ofis) for c in top]
    assert all(set(a) == {"id", "clauses", "ofis", "status"} and a["status"] == NOT_STARTED for a in actions)
    assert len({a["id"] for a in actions}) == 3
    assert check(drafted)[1] == []


def test_drafting_skips_a_priority_an_open_action_already_works_on():
    data = raw(SAMPLES / "hubei-service-jiangcheng.yaml")
    first, second, third = card_of(data).priorities(3)
    data["improvements"] = [{"id": "a", "clauses": [first.id], "status": IN_PROGRESS},
                            {"id": "b", "clauses": [second.id], "status": DONE}]
    drafted = draft(data, card_of(data), 3)["improvements"]
    assert [a["clauses"] for a in drafted[2:]] == [[second.id], [third.id]]


# --- the next cycle and two people at once ----------------------------------------------------------


def test_the_next_cycle_carries_open_actions_and_leaves_done_ones_with_their_cycle():
    data = raw()
    carried = next_cycle(data, "2027")["improvements"]
    assert [a["id"] for a in carried] == [a["id"] for a in data["improvements"] if a["status"] in OPEN]
    assert carried[0] == next(a for a in data["improvements"] if a["id"] == carried[0]["id"])  # as it was
    assert {a["status"] for a in data["improvements"]} == set(STATUSES)  # the ending cycle keeps all of them
    assert check(next_cycle(data, "2027"))[1] == []
    data["improvements"] = [a for a in data["improvements"] if a["status"] not in OPEN]
    assert "improvements" not in next_cycle(data, "2027")


def test_two_people_adding_actions_to_different_clauses_keep_both():
    base = raw()
    theirs, mine = copy.deepcopy(base), copy.deepcopy(base)
    theirs["improvements"].append(new_action(theirs["improvements"], "5.2.2", ["甲"]))
    mine["improvements"].append(new_action(mine["improvements"], "5.3.2", ["乙"]))
    mine["improvements"][0]["status"] = DONE  # and one of them finishes an action meanwhile
    merged = merge(base, theirs, mine)
    assert merged.conflicts == []
    ids = [a["id"] for a in merged.data["improvements"]]
    assert ids[-2:] == ["5.2.2-1", "5.3.2-1"] and merged.data["improvements"][0]["status"] == DONE
    assert set(changes(base, mine)) == {"improvements/5.3.2 5.3.2-1", "improvements/5.4.3 5.4.3-1"}


def test_an_action_moved_to_another_clause_is_named_under_both():
    old = {"improvements": [{"id": "5.2.2-1", "clauses": ["5.2.2"]}]}
    new = {"improvements": [{"id": "5.2.2-1", "clauses": ["5.5.2"]}]}
    assert changes(old, new) == ["improvements/5.5.2 5.2.2-1", "improvements/5.2.2 5.2.2-1"]


# --- what the completed actions did -------------------------------------------------------------


def test_the_comparison_reports_completed_actions_against_the_clause_score_change():
    old, new = two_cycles()
    comparison = compare(card_of(old), card_of(new))
    moved = {o.clause: (o.old, o.new, o.moved, [a.id for a in o.actions]) for o in comparison.actions}
    assert moved == {"5.6.4": (70, 65, "down", ["5.6.4-1"]), "5.7.4": (70, 80, "up", ["5.7.4-1"])}
    reached = {t.name: (t.target.target, t.value, t.reached) for t in comparison.targets}
    assert reached["设备综合效率（OEE）"] == (84, 85.0, True)
    assert reached["利润总额"] == (4.6, 4.5, False)
    assert reached["海外业务收入"] == (6.5, None, None)  # no 2026 value yet
    plan = comparison.to_dict()["plan"]
    assert [c["moved"] for c in plan["clauses"]] == ["down", "up"]
    assert {k["name"]: k["reached"] for k in plan["kpis"]}["利润总额"] is False


def test_a_comparison_without_plans_has_nothing_to_say_about_them():
    data = raw(SAMPLES / "hubei-service-jiangcheng.yaml")
    comparison = compare(card_of(data), card_of(next_cycle(data, "2027")))
    assert comparison.actions == () and comparison.targets == ()
    assert comparison.to_dict()["plan"] == {"clauses": [], "kpis": []}
