"""The served workbooks: every notebook runs (nbval), every standard's form shows its applicant, no other."""

from __future__ import annotations

import ast
import base64
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets as w
import openpyxl
import pytest
import yaml

from conftest import ROOT, RUBRIC_IDS, sample_path, sample_paths
from qkit import load, load_rubric, score
from qkit.analytics import analyze_results
from qkit.i18n import fmt_points, tr
from qkit.web import widgets as form_widgets
from qkit.web.session import Session
from qkit.web.widgets import ClauseEditor, ExportPanel, SummaryPanel, TextList, Workbook, landing, workbook

WORKBOOKS = ROOT / "workbooks"


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def page_text(widget) -> str:
    """Every string a browser would receive for this widget tree."""
    strings = []

    def collect(value):
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                collect(v)
        elif isinstance(value, dict):
            for v in value.values():
                collect(v)

    for child in walk(widget):
        collect(child.get_state())
    return "\n".join(strings)


def open_tabs(book: Workbook) -> None:
    for index in range(len(book.tabs.children)):
        book.tabs.selected_index = index


def stored_sample(store, path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    applicant, token = store.add_applicant(data["applicant"]["name"], data["rubric"])
    store.save(applicant.id, data, base=1)
    return applicant, token


def test_one_output_free_workbook_per_standard_and_a_landing_page():
    names = sorted(p.stem for p in WORKBOOKS.glob("*.ipynb"))
    assert names == sorted(RUBRIC_IDS + ["index"])
    for path in WORKBOOKS.glob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert all(not cell.get("outputs") for cell in nb["cells"]), path.name
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_workbooks.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("sample", sample_paths(), ids=lambda p: p.stem)
def test_each_sample_fills_its_form(store, sample):
    applicant, token = stored_sample(store, sample)
    doc = load(sample)
    card = score(doc, load_rubric(doc.rubric))
    session = Session.open(load_rubric(doc.rubric), str(store.dir), f"key={token}")
    book = Workbook(session, "zh")
    open_tabs(book)
    assert f"{fmt_points(card.total)} / {card.max}" in book.header.total.value
    assert session.problems == []
    editors = [e for e in walk(book.widget) if isinstance(e, ClauseEditor)]
    assert [e.clause.id for e in editors] == [c.id for c in card.clauses]
    for editor in editors:
        expected = doc.rating(editor.clause.id).score
        assert editor.score.value == (-1 if expected is None else expected)
    hints = {r.id: r.hint for r in analyze_results(doc, load_rubric(doc.rubric))}
    for editor in editors:
        if editor.clause.id in hints and hints[editor.clause.id].band and doc.kpis(editor.clause.id):
            band = hints[editor.clause.id].band
            assert f"数据提示分数段：{band.min}%–{band.max}%" in editor.hint.value
    text = page_text(book.widget)
    for kpi in doc.results:
        assert kpi.name in text
    summary = next(e for e in walk(book.widget) if isinstance(e, SummaryPanel))
    assert bytes(summary.radar.value).startswith(b"\x89PNG")
    top = card.gaps()[0]
    assert f"{top.id} {top.name('zh')}" in summary.priorities.value


def test_a_score_change_updates_the_total_and_suggestion(store):
    applicant, token = store.add_applicant("试填单位", "hubei-service")
    session = Session.open(load_rubric("hubei-service"), str(store.dir), f"key={token}")
    book = Workbook(session, "zh")
    book.tabs.selected_index = 1
    editor = next(e for e in walk(book.widget) if isinstance(e, ClauseEditor))
    assert "总分 0 / 1000" in book.header.total.value
    for picker, band in zip([c for c in walk(editor) if isinstance(c, w.Dropdown)][:4], ["50-65", "50-65", "30-45", "70-85"]):
        picker.value = band
    assert "50%–65%" in editor.suggestion.value and "55%" in editor.suggestion.value
    editor.apply.click()
    assert editor.score.value == 55
    points = editor.clause.points * 55 / 100
    assert f"总分 {fmt_points(points)} / 1000" in book.header.total.value
    assert session.value(("clauses", editor.clause.id, "score")) == 55
    editor.score.value = 90
    assert "超出建议段" in editor.flag.value or "不在建议分数段" in editor.flag.value


def test_an_unreadable_store_is_explained_without_server_paths(tmp_path, capsys):
    (tmp_path / "qkit.sqlite3").write_bytes(b"this is not a database" * 100)
    text = page_text(workbook("hubei-service", "key=anything", str(tmp_path)))
    assert tr("store_unavailable", "zh") in text
    assert str(tmp_path) not in text and "qkit.sqlite3" not in text
    assert "qkit.sqlite3" in capsys.readouterr().err  # the administrator finds the detail in the server log


def test_a_wrong_or_foreign_key_shows_a_friendly_message_and_no_data(store):
    sample = sample_paths()[0]
    applicant, token = stored_sample(store, sample)
    other = next(r for r in RUBRIC_IDS if r != applicant.rubric)
    for rubric, query in [(applicant.rubric, "key=wrong"), (applicant.rubric, ""), (other, f"key={token}"),
                          (applicant.rubric, f"token={token}")]:
        page = workbook(rubric, query, str(store.dir))
        text = page_text(page)
        assert "无法打开自评表" in text and "专属链接" in text
        assert applicant.name not in text and "优势" not in text
    english = page_text(workbook(applicant.rubric, "key=wrong&lang=en", str(store.dir)))
    assert "The workbook cannot be opened" in english
    assert applicant.name in page_text(workbook(applicant.rubric, f"key={token}", str(store.dir)))


def test_user_text_reaches_html_only_escaped(store):
    """Typed markup shows as text in every HTML widget: names, list entries, and problems quoting a value."""
    applicant, token = store.add_applicant("<u>单位</u>", "hubei-manufacturing")
    session = Session.open(load_rubric("hubei-manufacturing"), str(store.dir), f"key={token}")
    payload, script = "<img src=x onerror=alert(1)>", "<script>alert(1)</script>"
    session.set(("clauses", "5.2.4", "ofis"), [payload, script])
    session.set(("clauses", "5.2.4", "notes"), payload)
    session.set(("clauses", "5.2.2", "strengths"), [script])
    session.set(("applicant", "employees"), script)  # not a number: the problem quotes it
    session.add_kpi("5.2.4")
    session.set(("results", 0, "name"), payload)
    session.set(("results", 0, "values", 2025), script)
    session.add_series(0, payload)
    book = Workbook(session, "zh")
    open_tabs(book)
    html_values = [x.value for x in walk(book.widget) if isinstance(x, w.HTML)]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in v for v in html_values)  # the priorities list the OFIs
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in v for v in html_values)  # the problems quote it
    assert any("&lt;u&gt;单位&lt;/u&gt;" in v for v in html_values)
    for value in html_values:
        assert "<img" not in value and "<script" not in value and "<u>" not in value, value
    session.set(("applicant", "name"), payload)  # the header follows the session
    assert book.header.title.value.startswith("&lt;img src=x onerror=alert(1)&gt;")


def test_no_html_is_built_by_hand_in_the_widgets():
    """Every fragment comes from a macro of web_form.html.j2: no f-string with markup, no escaping by hand."""
    source = Path(form_widgets.__file__).read_text(encoding="utf-8")
    assert "html.escape" not in source and "esc(" not in source and "import html" not in source
    tree = ast.parse(source)
    built = [ast.get_source_segment(source, node) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
             and any(isinstance(part, ast.Constant) and "<" in str(part.value) for part in node.values)]
    assert not built, built
    concatenated = [ast.get_source_segment(source, node) for node in ast.walk(tree)
                    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod))
                    and any(isinstance(side, ast.Constant) and "<" in str(side.value)
                            for side in (node.left, node.right))]
    assert not concatenated, concatenated


def exported(panel: ExportPanel, kind: str) -> bytes:
    panel.buttons[ExportPanel.KINDS.index(kind)].click()
    found = re.search(r"href='data:[^;]+;base64,([^']+)'", panel.link.value)
    assert found, panel.link.value
    return base64.b64decode(found.group(1))


@pytest.mark.slow  # the report runs the template in a kernel
def test_export_gives_the_document_workbook_and_report_as_downloads(store):
    applicant, token = stored_sample(store, sample_path("hubei-medical"))
    session = Session.open(load_rubric(applicant.rubric), str(store.dir), f"key={token}")
    session.set(("clauses", "5.2.2", "strengths", 0), "<script>alert(1)</script>")
    panel = ExportPanel(Workbook(session, "zh").form)
    assert yaml.safe_load(exported(panel, "yaml"))["clauses"]["5.2.2"]["strengths"][0] == "<script>alert(1)</script>"
    sheets = openpyxl.load_workbook(io.BytesIO(exported(panel, "excel"))).sheetnames
    assert len(sheets) >= 5
    report = exported(panel, "report").decode("utf-8")
    assert applicant.name in report and "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "<script>alert(1)</script>" not in report
    session.set(("applicant", "name"), "")
    panel.buttons[ExportPanel.KINDS.index("report")].click()
    assert "applicant/name：缺少必填字段" in panel.link.value and "href=" not in panel.link.value


def test_the_landing_page_lists_the_standards_only(store):
    stored_sample(store, sample_paths()[0])
    text = page_text(landing("zh"))
    for rid in RUBRIC_IDS:
        assert load_rubric(rid).document.title in text
    assert "湖北华科" not in text and "key=" not in text


@pytest.mark.slow
def test_nbval_runs_every_workbook(store, tmp_path):
    """Each notebook in a real kernel: the manufacturing one with its key, the others refusing it."""
    applicant, token = stored_sample(store, sample_path("hubei-manufacturing"))
    env = {**os.environ, "QKIT_DATA": str(store.dir), "QUERY_STRING": f"key={token}"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                          "--rootdir", str(tmp_path), *sorted(map(str, WORKBOOKS.glob("*.ipynb")))],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(rf"\b{len(RUBRIC_IDS) + 1} passed", run.stdout), run.stdout[-2000:]


def test_list_entries_keep_their_own_messages_after_a_removal(store):
    applicant, token = store.add_applicant("试填单位", "hubei-service")
    session = Session.open(load_rubric("hubei-service"), str(store.dir), f"key={token}")
    book = Workbook(session, "zh")
    book.tabs.selected_index = 1
    strengths = next(x for x in walk(book.widget) if isinstance(x, TextList) and x.path[-1] == "strengths")
    messages = lambda: [row.children[1].value for row in strengths.entries.children]  # noqa: E731
    strengths.add.click()
    assert messages() == [""] and "内容为空" not in page_text(book.header)  # a new box is not called empty yet
    for _ in range(2):
        strengths.add.click()
    boxes = [x for x in walk(strengths.entries) if isinstance(x, w.Textarea)]
    boxes[1].value = "顾客需求识别覆盖全部细分市场"
    first, second, third = messages()
    assert "5.2.2 引领发展 · 优势第 1 条：内容为空" in first and second == "" and "优势第 3 条：内容为空" in third
    assert "strengths/" not in page_text(book.widget)  # the form names fields as it shows them
    remove = [x for x in walk(strengths.entries) if isinstance(x, w.Button)]
    remove[0].click()
    assert session.value(strengths.path) == ["顾客需求识别覆盖全部细分市场", ""]
    assert messages()[0] == "" and "优势第 2 条：内容为空" in messages()[1]
    rows = [x for x in walk(strengths.entries) if isinstance(x, w.Textarea)]
    rows[1].value = "服务标准覆盖全部网点"
    assert messages() == ["", ""] and "内容为空" not in page_text(book.header)
