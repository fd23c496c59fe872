"""The form as its people meet it, at a person's pace in Debian's Chromium: a hospital's quality manager in Chinese,
an English-speaking consultant, both on a laptop (1366×768) and on a phone (390×844), and a nominee for the
individual award. Each test keeps screenshots of what the person saw, for a person to look at: in the folder
$QKIT_SCREENSHOTS when it is set, else in the test's own temporary folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from support.chromium import FIRST_RENDER, HUMAN, needs_chromium, UPDATE, wait_for_text
from qkit.web.store import access_path

LAPTOP, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("QKIT_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def person(browser, server, name: str, rubric: str, size: dict, lang: str = "zh"):
    """A new applicant's page as its lead opens it, in a window of ``size`` (a phone is a touch screen)."""
    base, store = server
    applicant, key = store.add_applicant(name, rubric)
    phone = size["width"] < 500
    context = browser.new_context(viewport=size, locale="zh-CN" if lang == "zh" else "en-GB", is_mobile=phone,
                                  has_touch=phone, device_scale_factor=2 if phone else 1, accept_downloads=True)
    page = context.new_page()
    page.goto(base + access_path(applicant, key) + ("&lang=en" if lang == "en" else ""))
    page.wait_for_selector(".qkit-total-value", timeout=FIRST_RENDER)
    return context, page


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(300)


def shown_problems(page, within: str) -> str:
    """The problem lines under the fields inside ``within`` as the person sees them."""
    return page.evaluate("""(s) => [...document.querySelectorAll(s + ' .qkit-problem')]
        .filter(e => e.offsetParent !== null).map(e => e.innerText).join('\\n')""", within)


def below_header(page) -> dict:
    """Where the field with the cursor is, against the bottom of the header that stays in view."""
    return page.evaluate("""() => { const r = document.activeElement.getBoundingClientRect();
        const h = document.querySelector('.qkit-header').getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, header: h.bottom, height: innerHeight,
                tag: document.activeElement.tagName}; }""")


def test_a_hospital_quality_manager_fills_in_the_form_at_her_pace(server, browser, shots, tmp_path):
    context, page = person(browser, server, "荆楚医院", "hubei-medical", LAPTOP)
    try:
        assert page.title().startswith("湖北省长江质量奖 · 医疗类 · 自评表")  # not the standard's id
        date = page.locator(".qkit-field", has=page.locator("text=自评日期")).locator("input")
        assert date.get_attribute("placeholder") == "例如 2026-10-15" and date.input_value() == ""
        date.click()
        page.keyboard.type("2026-10-15", delay=HUMAN)
        page.screenshot(path=shots / "zh-laptop-1-profile.png")
        tab(page, "5.2 领导作用")
        wait_for_text(page, ".qkit-overview", "5.2.1 概述")  # the standard's own clause, under its number
        card = page.locator(".qkit-card").first
        strengths = card.locator(".qkit-list-strengths")
        strengths.get_by_role("button", name="添加一条").click()
        box = strengths.locator("textarea").first
        box.wait_for(timeout=UPDATE)
        entry = strengths.locator(".qkit-entry").first
        said = "e => getComputedStyle(e, '::after').content.includes('内容为空') " \
               "&& getComputedStyle(e, '::after').visibility == 'visible'"
        page.wait_for_function("() => document.activeElement?.matches('.qkit-list-strengths textarea')",
                               timeout=UPDATE)
        page.wait_for_timeout(1000)
        assert not entry.evaluate(said)  # the cursor is in it: not called empty
        card.locator(".qkit-narrative textarea").click()  # she leaves it empty, nothing else changed yet
        page.wait_for_function(said, arg=entry.element_handle(), timeout=3000)  # said as she leaves it
        assert "内容为空" not in page.locator(".qkit-header").inner_text()  # listed only at the next change
        ofis = card.locator(".qkit-list-ofis")
        ofis.get_by_role("button", name="添加一条").click()
        page.wait_for_function("() => document.activeElement?.matches('.qkit-list-ofis textarea')", timeout=UPDATE)
        page.keyboard.type("建议建立文化落地评估机制", delay=HUMAN)
        wait_for_text(page, ".qkit-list-ofis", "[指令性] 改进机会带有指令性措辞“建议”")
        assert "prescriptive" not in card.inner_text()
        page.screenshot(path=shots / "zh-laptop-2-clause.png")

        tab(page, "结果数据")
        page.get_by_role("button", name="添加指标").click()
        name = page.locator(".qkit-field", has=page.locator("text=指标名称")).locator("input")
        name.wait_for(timeout=UPDATE)
        page.wait_for_timeout(1500)
        assert shown_problems(page, ".qkit-card") == ""  # nothing red before she has typed anything
        page.keyboard.type("门诊患者满意度", delay=HUMAN)
        page.get_by_role("button", name="添加年份").click()
        years = page.locator(".qkit-grid .qkit-year-cell input")
        years.first.wait_for(timeout=UPDATE)
        assert years.first.input_value() == "2025" and shown_problems(page, ".qkit-grid") == ""
        cell = page.locator(".qkit-grid .qkit-grid-row").first.locator("input").nth(1)
        cell.click()
        page.keyboard.insert_text("88.1\t89.4\t90.2\t92.8%\r\n")  # four years of a row copied from Excel
        page.wait_for_function("() => document.querySelectorAll('.qkit-grid .qkit-year-cell input').length == 4",
                               timeout=UPDATE)
        assert [years.nth(k).input_value() for k in range(4)] == ["2022", "2023", "2024", "2025"]
        wait_for_text(page, ".qkit-grid", "已填入 2022–2025 年")
        rows = page.locator(".qkit-grid .qkit-grid-row")
        third = rows.nth(2).locator("input").nth(1)
        third.fill("")
        third.click()
        page.keyboard.type("９０．２", delay=HUMAN)  # typed with a Chinese keyboard's full-width digits
        second = rows.nth(1).locator("input").nth(1)
        second.fill("")
        second.click()
        page.keyboard.type("89.4%", delay=HUMAN)
        first = rows.nth(0).locator("input").nth(1)
        first.fill("")
        first.click()
        page.keyboard.type("8O.1", delay=HUMAN)  # a letter O for a zero
        wait_for_text(page, ".qkit-grid", "其中的字母 O 看起来应是数字 0（当前值：“8O.1”）")
        problems = shown_problems(page, ".qkit-grid")
        assert "2023" not in problems and "2024" not in problems and "晚于本次自评" not in problems
        page.screenshot(path=shots / "zh-laptop-3-kpis.png")

        entries = page.locator(".qkit-problems")
        entries.get_by_text("需要修改的内容").click()
        page.locator(".qkit-jump").first.wait_for(timeout=UPDATE)
        page.screenshot(path=shots / "zh-laptop-4-to-correct.png")
        page.locator(".qkit-jump", has_text="优势第 1 条").click()
        page.wait_for_function("() => document.activeElement?.closest('.qkit-list-strengths')", timeout=UPDATE)
        page.wait_for_timeout(800)
        spot = below_header(page)
        assert spot["header"] <= spot["top"] and spot["bottom"] <= spot["height"], spot  # in view, not under it
        page.screenshot(path=shots / "zh-laptop-5-jumped.png")

        tab(page, "汇总")
        summary = page.locator(".qkit-summary")
        wait_for_text(page, ".qkit-summary", "尚无已评分的内容")
        table = summary.locator("table").first.inner_text()
        assert "未评分" in table and "0%" not in table  # an item with nothing scored has no score yet
        assert page.locator(".qkit-radar svg text", has_text=re.compile(r"^0%$")).count() == 0
        page.screenshot(path=shots / "zh-laptop-6-summary.png")

        tab(page, "导出")
        anchor = page.locator(".qkit-export-yaml a")
        anchor.wait_for(timeout=UPDATE)
        with page.expect_download(timeout=UPDATE) as started:
            anchor.click()
        assert started.value.suggested_filename == "荆楚医院-2026自评.yaml"  # the applicant and year, no id
        started.value.save_as(tmp_path / "saved.yaml")
        kpi = yaml.safe_load((tmp_path / "saved.yaml").read_text(encoding="utf-8"))["results"][0]
        assert kpi["values"] == {2022: "8O.1", 2023: 89.4, 2024: 90.2, 2025: 92.8}  # kept as typed, flagged
    finally:
        context.close()


def test_an_english_speaking_consultant_reads_the_standard_in_english_with_the_chinese_at_hand(server, browser,
                                                                                                shots):
    context, page = person(browser, server, "Jingchu Hospital", "hubei-medical", LAPTOP, "en")
    try:
        header = page.locator(".qkit-header")
        assert "Total 0 / 1000 (0%)" in header.inner_text() and "（" not in header.inner_text()
        tab(page, "5.2 Leadership")
        wait_for_text(page, ".qkit-overview", "5.2.1 Overview")
        requirement = page.locator(".qkit-card .qkit-req").first
        text = requirement.inner_text()
        assert "Senior leaders guide the organization" in text and "a) Direction: The organization" in text
        assert "(translation; the Chinese text is authoritative)" in text and "高层领导" not in text
        original = requirement.locator("details.qkit-original")
        original.locator("summary").click()
        assert "高层领导引领组织确定、沟通、传播使命" in original.inner_text()  # the authoritative text, a click away
        page.screenshot(path=shots / "en-laptop-1-requirement.png")
        separated = page.evaluate("""() => ['.qkit-detail', '.qkit-who'].map(s =>
            getComputedStyle(document.querySelector('.qkit-header ' + s)).borderLeftStyle)""")
        assert separated == ["solid", "solid"]  # the header's parts set apart, not run together
        tab(page, "Summary")
        wait_for_text(page, ".qkit-summary", "Total: 0 / 1000 (0%)")
        assert "：" not in page.locator(".qkit-summary").inner_text()
        page.screenshot(path=shots / "en-laptop-2-summary.png")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_on_a_phone_a_jump_shows_the_field_below_the_header(server, browser, shots, lang):
    context, page = person(browser, server, f"手机医院 {lang}", "hubei-medical", PHONE, lang)
    words = {"zh": ("5.2 领导作用", "添加一条", "需要修改的内容", "汇总"),
             "en": ("5.2 Leadership", "Add", "Entries to correct", "Summary")}[lang]
    try:
        tab(page, words[0])
        card = page.locator(".qkit-card").first
        card.locator(".qkit-list-ofis").get_by_role("button", name=words[1]).click()
        page.wait_for_function("() => document.activeElement?.matches('.qkit-list-ofis textarea')", timeout=UPDATE)
        card.locator(".qkit-narrative textarea").click()
        page.keyboard.type("高层领导每季度审视战略。", delay=HUMAN)  # another field changes: the empty OFI is listed
        page.locator(".qkit-problems").get_by_text(words[2]).click()
        page.locator(".qkit-jump").first.wait_for(timeout=UPDATE)
        page.screenshot(path=shots / f"{lang}-phone-1-to-correct.png")
        page.evaluate("() => window.scrollTo(0, 0)")
        page.locator(".qkit-jump").first.click()
        page.wait_for_function("() => document.activeElement?.closest('.qkit-list-ofis')", timeout=UPDATE)
        page.wait_for_timeout(800)
        spot = below_header(page)
        assert spot["header"] <= spot["top"] and spot["bottom"] <= spot["height"], spot
        page.screenshot(path=shots / f"{lang}-phone-2-jumped.png")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        tab(page, words[3])
        page.locator(".qkit-radar svg").wait_for(timeout=UPDATE)
        cut = page.evaluate("""() => { const table = document.querySelector('.qkit-summary table');
            const panel = table.closest('.qkit-summary').getBoundingClientRect();
            const box = table.parentElement;  // what does not fit can be scrolled to, never cut off
            return table.getBoundingClientRect().right > panel.right + 1 && box.scrollWidth <= box.clientWidth; }""")
        assert not cut
        page.screenshot(path=shots / f"{lang}-phone-3-summary.png", full_page=True)
    finally:
        context.close()


def test_a_nominee_for_the_individual_award_is_asked_about_a_person_and_sees_the_band_of_the_score(server,
                                                                                                   browser, shots):
    context, page = person(browser, server, "陈屹峰", "wuhan-individual", LAPTOP)
    try:
        profile = page.locator(".qkit-profile").inner_text()
        assert "申报人" in profile and "姓名（必填）" in profile and "申报单位" not in profile
        header = page.locator(".qkit-header").inner_text()
        assert "共 6 个指标" in header and "负责人 · 负责人" not in header
        page.screenshot(path=shots / "zh-laptop-individual-1-nominee.png")
        tab(page, "主要业绩")
        card = page.locator(".qkit-card").first
        card.locator(".qkit-score select").select_option(label="75%")
        chosen = card.locator(".qkit-req tr.qkit-chosen")
        chosen.wait_for(timeout=UPDATE)
        assert chosen.locator("td").first.inner_text() == "70%, 75%, 80%或 85%"
        assert chosen.evaluate("r => getComputedStyle(r.cells[0]).backgroundColor") == "rgb(255, 243, 214)"
        text = card.inner_text()
        assert "备注（例如评分的依据）" in text and "建议分数段" not in text
        card.locator("details.qkit-markup summary").click()
        assert "[[表:1.1]]" in card.locator("details.qkit-markup").inner_text()
        page.screenshot(path=shots / "zh-laptop-individual-2-indicator.png")
    finally:
        context.close()


def test_a_workbook_served_by_voila_alone_says_to_use_qkit_serve_and_makes_no_store(browser, tmp_path, shots):
    """Someone runs voila on a workbook without qkit serve: the page says no data was found and names qkit serve,
    and the notebooks' folder stays as it was (no empty store made beside them)."""
    import shutil
    import subprocess
    import sys
    import time

    from support.documents import ROOT
    from support.servers import free_port, get, qkit_env, stop

    folder = tmp_path / "workbooks"
    folder.mkdir()
    shutil.copy(ROOT / "workbooks" / "hubei-medical.ipynb", folder)
    port = free_port()
    voila = Path(sys.executable).parent / "voila"
    with open(tmp_path / "voila.log", "wb") as log:
        proc = subprocess.Popen([str(voila), "--no-browser", f"--port={port}", "hubei-medical.ipynb"], cwd=folder,
                                env=qkit_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                if get(f"http://127.0.0.1:{port}/api/kernelspecs")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        page = browser.new_page(viewport=LAPTOP)
        page.goto(f"http://127.0.0.1:{port}/?key=anything")
        page.wait_for_selector(".qkit-denied", timeout=FIRST_RENDER)
        text = page.locator(".qkit-denied").inner_text()
        assert "没有找到自评数据" in text and "qkit serve" in text and "链接无效" not in text
        page.screenshot(path=shots / "zh-voila-alone.png")
        page.close()
    finally:
        stop(proc)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == ["hubei-medical.ipynb"]
