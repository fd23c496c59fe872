"""The team lead's view in Debian's Chromium, at a person's pace: progress filling in, an assessor's hand-in, an item
reassigned without a new link, a KPI added by the writer of 5.1 and 5.3, a notice to the writer whose value lost,
the history by working spell with its filters and a restore that asks first, and an overdue mark."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from support.chromium import FIRST_RENDER, HUMAN, needs_chromium, UPDATE, wait_for_text
from qkit.i18n import fmt_day
from qkit.web.store import access_path

RUBRIC = "hubei-manufacturing"
POLLED = 30_000  # ms for another page's poll (every 3 s) to find a change, on a busy machine
pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]


def team(server, name: str, *members: tuple[str, str, list[str]]) -> tuple[int, dict[str, str]]:
    """An applicant led by 张伟 and a link for each member (name, role, items), by name."""
    base, store = server
    applicant, lead = store.add_applicant(name, RUBRIC, lead="张伟")
    links = {"张伟": base + access_path(applicant, lead)}
    for member, role, items in members:
        links[member] = base + access_path(applicant, store.add_member(applicant.id, member, role, items)[1])
    return applicant.id, links


def open_tab(page, url: str, tab: str):
    page.goto(url)
    page.wait_for_selector(".qkit-total-value", timeout=FIRST_RENDER)
    page.get_by_role("tab", name=tab).click()


def visible_card(page, n: int = 0):
    card = page.locator(".qkit-card:visible").nth(n)
    card.wait_for(timeout=UPDATE)
    return card


def cell(page, part: str, column: int) -> str:
    """A cell of the 进度 table's row of a part (columns from 0: part, owners, scored, words, comments, KPIs, last
    edit, due)."""
    return page.locator(f".qkit-progress-table tr[data-part='{part}'] td").nth(column).inner_text()


def until(condition, seconds: float = POLLED / 1000) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.3)


def test_the_leads_progress_fills_in_as_two_writers_work_and_an_assessors_hand_in_appears(server, new_page):
    _, links = team(server, "进度测试单位", ("王强", "writer", ["5.2"]), ("刘洋", "writer", ["5.3"]),
                    ("李娜", "assessor", []))
    lead = new_page()
    open_tab(lead, links["张伟"], "进度")
    lead.locator(".qkit-progress-table").wait_for(timeout=UPDATE)
    assert "王强" in cell(lead, "5.2.2", 1) and "刘洋" in cell(lead, "5.3.2", 1)  # who writes what
    assert "否" in cell(lead, "5.2.2", 2) and cell(lead, "5.2.2", 6) == ""  # nothing scored, nobody has edited
    wang, liu = new_page(), new_page()
    open_tab(wang, links["王强"], "5.2 领导作用")
    card = visible_card(wang)
    card.locator(".qkit-narrative textarea").click()
    wang.keyboard.type("高层领导确定使命、愿景和价值观。", delay=HUMAN)  # 16 字
    card.locator(".qkit-score select").select_option(label="70%")
    open_tab(liu, links["刘洋"], "5.3 战略发展")
    visible_card(liu).locator(".qkit-score select").select_option(label="60%")
    # the lead's tab fills in by itself as the writers' pages save
    lead.wait_for_function("() => (document.querySelector(\".qkit-progress-table tr[data-part='5.2.2']\")"
                           "?.innerText || '').includes('王强 ·')", timeout=POLLED)
    lead.wait_for_function("() => (document.querySelector(\".qkit-progress-table tr[data-part='5.3.2']\")"
                           "?.innerText || '').includes('刘洋 ·')", timeout=POLLED)
    assert "✓" in cell(lead, "5.2.2", 2) and cell(lead, "5.2.2", 3).startswith("16 /")
    assert "✓" in cell(lead, "5.3.2", 2) and "否" in cell(lead, "5.5.2", 2)
    # an assessor opens the page, scores and hands in: the lead sees it, and never the score
    row = lead.locator(".qkit-assessor-progress[data-assessor='李娜'] td")
    assert "否" in row.nth(2).inner_text() and "否" in row.nth(3).inner_text()
    assessor = new_page()
    open_tab(assessor, links["李娜"], "5.2 领导作用")
    wait_for_text(lead, ".qkit-assessor-progress", "✓", timeout=POLLED)  # opened
    visible_card(assessor).locator(".qkit-score select").select_option(label="65%")  # no minute, hour or day reads 65
    wait_for_text(assessor, ".qkit-save-status", "已保存")
    assessor.get_by_role("button", name="提交独立评分").click()
    wait_for_text(assessor, ".qkit-header", "已提交独立评分")
    lead.wait_for_function("() => (document.querySelectorAll(\".qkit-assessor-progress[data-assessor='李娜'] td\")[3]"
                           "?.innerText || '').includes('✓')", timeout=POLLED)
    assert "65" not in lead.locator(".qkit-progress-assessors").inner_text()


def test_an_item_reassigned_in_the_progress_tab_needs_no_new_link(server, new_page):
    applicant, links = team(server, "分工测试单位", ("王强", "writer", ["5.2"]))
    store = server[1]
    writer = new_page()
    open_tab(writer, links["王强"], "5.3 战略发展")
    assert visible_card(writer).locator(".qkit-score select").is_disabled()  # not his yet
    lead = new_page()
    open_tab(lead, links["张伟"], "进度")
    items = lead.locator(".qkit-assignment", has_text="王强").locator("input")
    items.click(click_count=3)
    lead.keyboard.type("5.2、5.3", delay=HUMAN)
    lead.locator(".qkit-assignment", has_text="王强").get_by_role("button", name="保存分工").click()
    lead.wait_for_function("() => (document.querySelector(\".qkit-progress-table tr[data-part='5.3.2']\")"
                           "?.innerText || '').includes('王强')", timeout=UPDATE)
    wait_for_text(writer, ".qkit-header", "您的分工已改为：5.2、5.3", timeout=POLLED)  # the same link, the same page
    until(lambda: visible_card(writer).locator(".qkit-score select").is_enabled())  # drawn again, his now
    visible_card(writer).locator(".qkit-score select").select_option(label="40%")
    wait_for_text(writer, ".qkit-save-status", "第 2 版")
    assert store.latest(applicant).data["clauses"]["5.3.2"]["score"] == 40
    assert store.latest(applicant).author == "王强"


def test_the_writer_of_5_1_and_5_3_adds_a_kpi_to_the_results_of_5_3(server, new_page):
    applicant, links = team(server, "指标分工测试单位", ("刘洋", "writer", ["5.1", "5.3"]))
    store = server[1]
    page = new_page()
    open_tab(page, links["刘洋"], "结果数据")
    page.get_by_role("button", name="添加指标").click()
    name = visible_card(page).locator(".qkit-field", has=page.locator("text=指标名称")).locator("input")
    name.wait_for(timeout=UPDATE)
    page.wait_for_function("() => document.activeElement?.closest('.qkit-field')", timeout=UPDATE)
    page.keyboard.type("战略目标达成率", delay=HUMAN)  # the cursor was put in the new KPI's name
    chosen = visible_card(page).locator("select").first.evaluate("s => s.options[s.selectedIndex].text")
    assert chosen.startswith("5.3.4")  # the results clause of 5.3, hers
    until(lambda: [(k.get("clause"), k.get("name")) for k in store.latest(applicant).data.get("results", [])]
          == [("5.3.4", "战略目标达成率")])
    assert "您负责的是" not in page.locator(".qkit-header").inner_text()  # nothing refused


def test_the_writer_whose_value_lost_a_conflict_is_told_in_words(server, new_page):
    applicant, links = team(server, "冲突告知测试单位", ("王强", "writer", ["5.2"]))
    lead, writer = new_page(), new_page()
    open_tab(lead, links["张伟"], "5.2 领导作用")
    open_tab(writer, links["王强"], "5.2 领导作用")
    visible_card(writer).locator(".qkit-score select").select_option(label="65%")
    wait_for_text(writer, ".qkit-save-status", "第 2 版")
    lead_card = visible_card(lead)  # the lead's page changed the same score before it took in the writer's
    lead_card.locator(".qkit-score select").select_option(label="70%")
    wait_for_text(lead, ".qkit-conflicts", "需要选择的修改（1 处）", timeout=POLLED)
    lead.get_by_role("button", name="保留本页的").click()
    wait_for_text(lead, ".qkit-save-status", "第 3 版")
    wait_for_text(writer, ".qkit-alert", "张伟将 5.2.2 引领发展 · 得分率由 65% 改为 70%", timeout=POLLED)
    chosen = visible_card(writer).locator(".qkit-score select").evaluate("s => s.options[s.selectedIndex].text")
    assert chosen == "70%"
    assert server[1].latest(applicant).data["clauses"]["5.2.2"]["score"] == 70


def test_the_history_reads_by_spell_filters_and_asks_before_a_restore_and_an_overdue_item_is_marked(server, new_page):
    applicant, links = team(server, "历史测试单位", ("王强", "writer", ["5.2"]))
    store = server[1]
    yesterday = dt.date.today() - dt.timedelta(days=1)
    store.set_due(applicant, "5.2", yesterday)
    writer = new_page()
    open_tab(writer, links["王强"], "5.2 领导作用")
    wait_for_text(writer, ".qkit-deadlines", f"5.2 已逾期 1 天（截止 {fmt_day(yesterday)}）")  # in his header
    card = visible_card(writer)
    card.locator(".qkit-score select").select_option(label="70%")
    wait_for_text(writer, ".qkit-save-status", "第 2 版")
    card.locator(".qkit-narrative textarea").click()
    writer.keyboard.type("高层领导每季度审视战略目标。", delay=HUMAN)
    wait_for_text(writer, ".qkit-save-status", "已保存")
    card.locator(".qkit-list-strengths").get_by_role("button", name="添加一条").click()
    writer.wait_for_function("() => document.activeElement?.matches('.qkit-list-strengths textarea')", timeout=UPDATE)
    writer.keyboard.type("战略目标逐级分解到部门", delay=HUMAN)
    until(lambda: store.latest(applicant).data["clauses"]["5.2.2"].get("strengths") == ["战略目标逐级分解到部门"])
    saves = store.latest(applicant).number - 1
    assert saves >= 3  # every autosave is a revision
    lead = new_page()
    open_tab(lead, links["张伟"], "进度")
    assert "已逾期 1 天" in cell(lead, "5.2", 7)  # the item past its date, marked in the lead's progress
    assert lead.locator(".qkit-progress-table tr[data-part='5.2'].qkit-late").count() == 1
    lead.get_by_role("tab", name="历史").click()
    entries = lead.locator(".qkit-revision:visible")
    entries.first.wait_for(timeout=UPDATE)
    assert entries.count() == 2  # the writer's spell, and the applicant's first revision
    spell = entries.first.inner_text()
    assert "王强 · " in spell and f"保存 {saves} 次" in spell
    assert "5.2.2 引领发展 · 得分率" in spell and "5.2.2 引领发展 · 自评报告叙述" in spell and "优势" in spell
    lead.locator(".qkit-history-filter select").nth(1).select_option(label="5.3 战略发展")
    lead.wait_for_function("() => !document.querySelector('.qkit-revision')", timeout=UPDATE)  # nobody wrote 5.3
    lead.locator(".qkit-history-filter select").nth(1).select_option(index=0)
    lead.locator(".qkit-history-filter select").first.select_option(label="张伟")
    lead.wait_for_function("() => document.querySelectorAll('.qkit-revision').length == 1", timeout=UPDATE)
    entries.first.get_by_role("button", name="恢复为新版本").click()
    confirm = lead.locator(".qkit-restore-confirm")
    wait_for_text(lead, ".qkit-restore-confirm", "恢复第 1 版")
    asked = confirm.inner_text()
    assert "恢复第 1 版将改变以下" in asked and "5.2.2 引领发展 · 得分率：70% → （已删除）" in asked
    confirm.get_by_role("button", name="取消").click()
    confirm.wait_for(state="hidden", timeout=UPDATE)
    assert store.latest(applicant).number == saves + 1  # asked, not done
    entries.first.get_by_role("button", name="恢复为新版本").click()
    confirm.get_by_role("button", name="确认恢复").click()
    until(lambda: store.latest(applicant).number == saves + 2)
    restored = store.latest(applicant)
    assert restored.note == "恢复自第 1 版" and restored.data["clauses"]["5.2.2"]["score"] is None
