"""The improvement plan in the served form, driven in Debian's Chromium at a person's pace: a plan drafted from a
sample with qkit plan draft, an action added from an OFI in one click, its owner and due day typed, its status
changed, the overdue action marked, the tab filtered, and a writer refused on another item's action."""

from __future__ import annotations

import time

import pytest
import yaml

from support.chromium import FIRST_RENDER, HUMAN, needs_chromium, UPDATE
from support.documents import run_qkit, SAMPLES
from support.servers import serving
from qkit.web.store import Store, access_path

SAMPLE = SAMPLES / "hubei-service-jiangcheng.yaml"  # no plan of its own: its top priorities are 5.6.4 … 5.2.4

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server, and 江城 with the plan qkit plan draft wrote from the sample: its lead 张伟 and 王强 writing 5.2."""
    root = tmp_path_factory.mktemp("plan")
    drafted = root / "江城-计划.yaml"
    code, _, err = run_qkit("plan", "draft", SAMPLE, "-o", drafted)
    assert code == 0, err
    with serving(root, "--data", str(root / "data")) as (base, _):
        store = Store(root / "data")
        applicant, lead = store.add_applicant("江城智运", "hubei-service", lead="张伟")
        _, writer = store.add_member(applicant.id, "王强", "writer", ["5.2"])
        store.save(applicant.id, yaml.safe_load(drafted.read_text(encoding="utf-8")), base=1)
        yield store, applicant.id, base + access_path(applicant, lead), base + access_path(applicant, writer)


def open_tab(page, url: str, tab: str):
    page.goto(url)
    page.wait_for_selector(".qkit-total-value", timeout=FIRST_RENDER)
    page.get_by_role("tab", name=tab).click()


def card(page, action_id: str):
    """The card of one action, found by the id in its heading."""
    found = page.locator(".qkit-action").filter(has=page.locator(".qkit-action-head", has_text=action_id))
    found.wait_for(timeout=UPDATE)
    return found


def type_into(page, box, text: str) -> None:
    box.click()
    page.keyboard.type(text, delay=HUMAN)


def until(condition, seconds: float = UPDATE / 1000) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not saved in time"
        time.sleep(0.2)


def test_a_drafted_plan_is_edited_in_the_form_and_a_writer_keeps_to_their_items(served, new_page):
    store, applicant, lead, writer = served
    drafted = [a["id"] for a in store.latest(applicant).data["improvements"]]
    assert drafted == ["5.6.4-1", "5.3.4-1", "5.4.4-1", "5.5.4-1", "5.2.4-1"]
    page = new_page()
    # one click beside an OFI of 5.2.2, which no drafted action answers
    open_tab(page, lead, "5.2 领导作用")
    ofis = page.locator(".qkit-card").first.locator(".qkit-list-ofis")
    ofis.get_by_role("button", name="加入改进计划").first.click()
    ofis.get_by_role("button", name="已在改进计划中（5.2.2-1）").wait_for(timeout=UPDATE)
    # the plan: the new action gets its owner, due day, text and status, typed as a person types
    page.get_by_role("tab", name="改进计划").click()
    page.wait_for_function("() => document.querySelectorAll('.qkit-action').length === 6", timeout=UPDATE)
    action = card(page, "5.2.2-1")
    first_ofi = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))["clauses"]["5.2.2"]["ofis"][0]
    assert action.locator(".qkit-action-ofis li").all_inner_texts() == [first_ofi]  # the OFI it answers
    type_into(page, action.get_by_placeholder("选择成员或输入部门"), "王强")
    type_into(page, action.get_by_placeholder("年-月-日").nth(1), "2026-03-31")
    type_into(page, action.locator("textarea").first, "每季度向关键供应商和外协单位宣贯使命愿景并评估效果")
    action.locator("select").filter(has_text="已完成").select_option(label="进行中")
    # due on 2026-03-31 and still in progress: overdue, marked
    action.locator(".qkit-late-mark", has_text="已逾期（截止 2026年3月31日）").wait_for(timeout=UPDATE)
    assert "qkit-action-late" in action.get_attribute("class")
    page.wait_for_function("() => document.querySelector('.qkit-plan-summary').innerText.includes('1 项已逾期')",
                           timeout=UPDATE)
    action.locator("select").filter(has_text="已完成").select_option(label="已完成")
    action.locator(".qkit-late-mark").wait_for(state="detached", timeout=UPDATE)
    saved = lambda: next((a for a in store.latest(applicant).data["improvements"] if a["id"] == "5.2.2-1"),  # noqa: E731
                         {})  # not saved yet: the page saves a moment after the typing stops
    until(lambda: saved().get("status") == "已完成" and saved().get("owner") == "王强")
    assert saved()["due"] == "2026-03-31" and saved()["clauses"] == ["5.2.2"]
    assert saved()["action"] == "每季度向关键供应商和外协单位宣贯使命愿景并评估效果"
    # filtered by owner: only 王强's
    page.locator(".qkit-plan-filters select").first.select_option(label="王强")
    page.wait_for_function("() => document.querySelectorAll('.qkit-action').length === 1", timeout=UPDATE)
    assert "显示 1 / 6 项" in page.locator(".qkit-plan").inner_text()
    # the writer of 5.2 edits 5.2's actions; another item's action is read-only to him
    other = new_page()
    open_tab(other, writer, "改进计划")
    theirs = card(other, "5.6.4-1")
    assert theirs.get_by_placeholder("选择成员或输入部门").is_disabled()
    assert theirs.locator("select").first.is_disabled() and theirs.get_by_role("button").first.is_disabled()
    own = card(other, "5.2.4-1")
    type_into(other, own.get_by_placeholder("选择成员或输入部门"), "王强")
    until(lambda: store.latest(applicant).data["improvements"][4].get("owner") == "王强")
    assert store.latest(applicant).author == "王强"
    assert "owner" not in store.latest(applicant).data["improvements"][0]  # 5.6.4-1 as it was
