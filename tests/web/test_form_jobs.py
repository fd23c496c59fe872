"""The form's slow jobs, the KPI import and the report, run off the page's message loop and always end."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

import pytest

from qkit.errors import Problem, QkitError
from qkit.web import kpi_import
from qkit.web.session import Session
from qkit.web.form.kpis import KpiEditor
from qkit.web.form.panels import ExportPanel
from qkit.web.form.workbook import Workbook

from support.widgets import blank_session, walk

TABLE = "条款,指标,单位,方向,2024年,2025年\n5.2.4,营业收入,亿元,越高越好,48.9,51.3\n".encode("utf-8")


def upload(editor: KpiEditor, content: bytes = TABLE, name: str = "kpi.csv") -> None:
    editor.upload.value = ({"name": name, "type": "text/csv", "size": len(content), "content": memoryview(content),
                            "last_modified": dt.datetime.now()},)


def kpi_editor(book: Workbook) -> KpiEditor:
    book.tabs.selected_index = book._results_tab
    return next(x for x in walk(book.widget) if isinstance(x, KpiEditor))


async def until(condition, timeout: float = 20) -> None:
    """Let the loop run until ``condition()`` holds (a guard against a job that never ends)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the job never ended"
        await asyncio.sleep(0.05)


@pytest.fixture
def report_export(monkeypatch):
    """The form's report (``Session.report_file``) replaced by ``report(session)``; set it on the returned dict."""
    plan = {}
    monkeypatch.setattr(Session, "report_file", lambda self, options: plan["report"](self))
    return plan


def broken_report(_session):
    raise RuntimeError("boom-in-report")


def test_a_report_that_fails_unexpectedly_ends_its_job_and_says_so(report_export, capsys):
    report_export["report"] = broken_report
    panel = ExportPanel(Workbook(blank_session(), "zh").form)
    panel.make_report.click()  # no event loop: made here and now
    assert not panel.make_report.disabled and panel.progress.value == ""
    assert "出了点问题" in panel.links["report"].value and "boom" not in panel.links["report"].value
    assert "boom-in-report" in capsys.readouterr().err  # the traceback is in the server's log

    english = ExportPanel(Workbook(blank_session(), "en").form)

    async def in_a_page():
        english.make_report.click()
        await until(lambda: not english.make_report.disabled)

    asyncio.run(in_a_page())
    assert english.progress.value == "" and "Something went wrong" in english.links["report"].value
    assert "boom-in-report" in capsys.readouterr().err


def test_a_second_report_is_refused_while_one_is_made(report_export):
    calls, release = [], threading.Event()

    def slow_report(session):
        calls.append(threading.current_thread())
        release.wait(20)
        return "报告.html", b"<html>ok</html>", "text/html"

    report_export["report"] = slow_report
    panel = ExportPanel(Workbook(blank_session(), "zh").form)

    async def in_a_page():
        for _ in range(4):  # clicks sent over the page's channel, whatever the button shows
            panel.make_report.disabled = False
            panel.make_report.click()
        await until(lambda: calls)
        await asyncio.sleep(1.2)
        assert len(calls) == 1 and calls[0] is not threading.main_thread()
        assert "正在生成报告" in panel.progress.value
        release.set()
        await until(lambda: "download=" in panel.links["report"].value)
        assert not panel.make_report.disabled and panel.progress.value == ""
        panel.make_report.click()  # the job over, the next one starts
        await until(lambda: len(calls) == 2 and "download=" in panel.links["report"].value)

    asyncio.run(in_a_page())


def test_a_report_refused_by_the_checks_lists_the_problems(report_export):
    def refused(_session):
        raise QkitError(Problem("applicant/name", "required"))

    report_export["report"] = refused
    panel = ExportPanel(Workbook(blank_session(), "zh").form)
    panel.make_report.click()
    assert "缺少必填字段" in panel.links["report"].value and not panel.make_report.disabled


def test_an_import_is_read_off_the_loop_with_a_progress_line(monkeypatch):
    read, release = [], threading.Event()
    reader = kpi_import.read_kpis

    def slow_read(name, content):
        read.append(threading.current_thread())
        release.wait(20)
        return reader(name, content)

    monkeypatch.setattr(kpi_import, "read_kpis", slow_read)
    book = Workbook(blank_session(), "zh")
    editor = kpi_editor(book)

    async def in_a_page():
        upload(editor)
        await asyncio.sleep(1.2)  # the page's loop is free meanwhile: this coroutine runs
        assert "正在导入" in editor.import_note.value and "1 秒" in editor.import_note.value
        assert read[0] is not threading.main_thread() and book.session.value(("results",)) in (None, [])
        upload(editor)  # a second file while the first is read: refused
        assert editor.upload.disabled and len(read) == 1
        release.set()
        await until(lambda: "新增 1 项指标" in editor.import_note.value)
        assert not editor.upload.disabled and editor.upload.value == ()

    asyncio.run(in_a_page())
    assert [k["name"] for k in book.session.value(("results",))] == ["营业收入"]
    assert len(editor.list.children) == 1


def test_an_import_that_fails_unexpectedly_says_so_and_the_next_file_is_taken(monkeypatch, capsys):
    def broken(name, content):
        raise RuntimeError("boom-in-import")

    monkeypatch.setattr(kpi_import, "read_kpis", broken)
    editor = kpi_editor(Workbook(blank_session(), "zh"))

    async def in_a_page():
        upload(editor)
        await until(lambda: "出了点问题" in editor.import_note.value)

    asyncio.run(in_a_page())
    assert "boom" not in editor.import_note.value and "boom-in-import" in capsys.readouterr().err
    monkeypatch.undo()
    upload(editor)  # no event loop: read here and now
    assert "新增 1 项指标" in editor.import_note.value
