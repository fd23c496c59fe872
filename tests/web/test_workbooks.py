"""The served workbooks: every notebook runs (nbval), every standard's form shows its applicant, no other."""

from __future__ import annotations

import ast
import base64
import io
import json
import os
import queue
import re
import subprocess
import sys
import time

import ipywidgets as w
import openpyxl
import pytest
import yaml

from support.documents import ROOT, RUBRIC_IDS, sample_path, sample_paths
from support.widgets import page_text, walk
from qkit import load, load_rubric, score
from qkit.analytics import analyze_results
from qkit.i18n import fmt_points, tr
from qkit.web.session import Session
from qkit.web.form.clauses import ClauseEditor, NarrativeEditor
from qkit.web.form.fields import TextList
from qkit.web.form.panels import ExportPanel, SummaryPanel
from qkit.web.form.workbook import Workbook, workbook

WORKBOOKS = ROOT / "workbooks"


def open_tabs(book: Workbook) -> None:
    for index in range(len(book.tabs.children)):
        book.tabs.selected_index = index


def stored_sample(store, path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    applicant, token = store.add_applicant(data["applicant"]["name"], data["rubric"])
    store.save(applicant.id, data, base=1)
    return applicant, token


def test_one_output_free_workbook_per_standard():
    names = sorted(p.stem for p in WORKBOOKS.glob("*.ipynb"))
    assert names == sorted(RUBRIC_IDS)  # the landing page is qkit serve's own
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
    drawn = dict(re.findall(r'class="qk-radar-vertex" data-id="([^"]+)" data-percent="([^"]+)"', summary.radar.value))
    assert {k: float(v) for k, v in drawn.items()} == {u.id: pytest.approx(u.percent if hasattr(u, "percent") else
                                                                            float(u.score or 0))
                                                        for u in card.radar_units}
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


@pytest.mark.parametrize("module", sorted(p.name for p in (ROOT / "qkit" / "web" / "form").glob("*.py")))
def test_no_html_is_built_by_hand_in_the_widgets(module):
    """Every fragment comes from a macro of web_form.html.j2: no f-string with markup, no escaping by hand."""
    source = (ROOT / "qkit" / "web" / "form" / module).read_text(encoding="utf-8")
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
    """The file behind a download link of the export tab (the report is made first, with its button)."""
    if kind == "report":
        panel.make_report.click()
    found = re.search(r"href='data:[^;]+;base64,([^']+)'", panel.links[kind].value)
    assert found, panel.links[kind].value
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
    panel.show()
    assert "申报单位 · 名称：缺少必填字段" in panel.links["report"].value  # said before the button is pressed
    panel.make_report.click()
    assert "申报单位 · 名称：缺少必填字段" in panel.links["report"].value and "href=" not in panel.links["report"].value


@pytest.mark.slow  # a fresh Python, as a page's kernel
def test_a_page_loads_charts_pandas_and_excel_only_on_the_tabs_that_need_them(store):
    """Every open page is a kernel: what the first tabs load, every visitor pays for (time and memory)."""
    applicant, token = stored_sample(store, sample_path("hubei-manufacturing"))
    code = """if True:
        import sys
        from qkit.web.form.workbook import workbook
        heavy = lambda: sorted({m.split('.')[0] for m in sys.modules} & {
            'pandas', 'numpy', 'matplotlib', 'openpyxl', 'docx', 'voila', 'jupyter_server'})
        tabs = workbook('hubei-manufacturing', query='key=' + sys.argv[1], data_dir=sys.argv[2]).children[2]
        for index, title in enumerate(tabs.titles):
            tabs.selected_index = index
            print(title, heavy())
    """
    done = subprocess.run([sys.executable, "-c", code, token, str(store.dir)], capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    loaded = dict(line.split(" [", 1) for line in done.stdout.splitlines())
    titles = list(loaded)
    assert titles[:8] == ["5.1 组织环境", "5.2 领导作用", "5.3 战略发展", "5.4 品牌影响", "5.5 员工契合", "5.6 创新驱动",
                          "5.7 质量提升", "结果数据"]
    for title in titles[:titles.index("导出")]:  # the profile, every item, the KPIs, the key themes, the summary
        assert loaded[title] == "]", (title, loaded[title])
    assert "'openpyxl'" in loaded["导出"]  # the Excel workbook is made as the tab is shown
    assert "voila" not in done.stdout and "jupyter_server" not in done.stdout


@pytest.mark.slow
def test_nbval_runs_every_workbook(store, tmp_path):
    """Each notebook in a real kernel: the manufacturing one with its key, the others refusing it."""
    applicant, token = stored_sample(store, sample_path("hubei-manufacturing"))
    env = {**os.environ, "QKIT_DATA": str(store.dir), "QUERY_STRING": f"key={token}"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                          "--rootdir", str(tmp_path), *sorted(map(str, WORKBOOKS.glob("*.ipynb")))],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(rf"\b{len(RUBRIC_IDS)} passed", run.stdout), run.stdout[-2000:]


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


# --- the form as a person meets it -----------------------------------------------------------


def scored_service(store, scores: dict[str, int]) -> tuple[Session, Workbook]:
    applicant, token = store.add_applicant("试填单位", "hubei-service")
    session = Session.open(load_rubric("hubei-service"), str(store.dir), f"key={token}")
    for clause, value in scores.items():
        session.set(("clauses", clause, "score"), value)
    session.set(("clauses", "5.2.2", "ofis"), ["建立文化评估机制"])
    return session, Workbook(session, "zh")


def test_the_summary_of_a_partial_assessment_keeps_unscored_clauses_apart(store):
    session, book = scored_service(store, {"5.2.2": 60, "5.2.3": 80, "5.3.4": 30})
    book.tabs.selected_index = book.tabs.titles.index(tr("wb_summary_tab"))
    summary = next(e for e in walk(book.widget) if isinstance(e, SummaryPanel))
    assert "成熟度</b>：50%–65%" in summary.total.value  # from the three scored clauses, not 0%–5% from zeros
    assert "暂定：仅依据已评分的 3 项（共 18 项，180 / 1000 分）" in summary.total.value
    priorities = summary.priorities.value
    assert [c.id for c in session.scorecard.priorities(5)] == ["5.3.4", "5.2.2", "5.2.3"]
    assert priorities.index("5.3.4") < priorities.index("5.2.2") < priorities.index("5.2.3")
    assert "5.2.4" not in priorities and "建立文化评估机制" in priorities
    assert "待评分（15 项）" in summary.unscored.value and "5.2.4 领导作用的结果" in summary.unscored.value
    for clause in session.rubric.clauses:
        session.set(("clauses", clause.id, "score"), 60)
    assert "暂定" not in summary.total.value and summary.unscored.value == ""


def test_the_individual_awards_total_band_is_called_qkits_summary_not_a_level_of_the_standard(store):
    applicant, token = store.add_applicant("陈质量", "wuhan-individual")
    session = Session.open(load_rubric("wuhan-individual"), str(store.dir), f"key={token}")
    session.set(("clauses", "1.1", "score"), 75)
    book = Workbook(session, "zh")
    book.tabs.selected_index = book.tabs.titles.index(tr("wb_summary_tab"))
    summary = next(e for e in walk(book.widget) if isinstance(e, SummaryPanel))
    assert "总体水平（按各指标档次汇总）</b>：70%–85%" in summary.total.value and "成熟度" not in summary.total.value
    assert session.summary("en").level == "overall level (qkit's summary of the indicator bands)"
    organization, _ = scored_service(store, {"5.2.2": 60})
    assert organization.summary().level == "成熟度"


def test_in_english_the_guidelines_read_in_english_marked_as_a_translation_with_the_chinese_at_hand(store):
    applicant, token = store.add_applicant("Test Ltd", "hubei-service")
    session = Session.open(load_rubric("hubei-service"), str(store.dir), f"key={token}")
    book = Workbook(session, "en")
    book.tabs.selected_index = 1
    editor = next(e for e in walk(book.widget) if isinstance(e, ClauseEditor))
    session.set(("clauses", editor.clause.id, "factors", "A"), "50-65")
    shown = editor.descriptors["A"].value
    assert shown.startswith("A systematic, effective approach to the overall requirements of the item.")
    assert "(translation; the Chinese text is authoritative)" in shown
    assert "<details class='qkit-original'><summary>Chinese original</summary>" in shown
    assert "针对条目的总体要求，有系统、有效的方法" in shown  # the authoritative text, one click away
    text = page_text(editor)
    assert "Table A.1 Scoring guidelines for the process dimension" in text and "表A.1 过程维度评分指南" in text
    chinese = Workbook(Session(session.rubric, session.data, autosave_delay=None), "zh")
    chinese.tabs.selected_index = 1
    zh_editor = next(e for e in walk(chinese.widget) if isinstance(e, ClauseEditor))
    assert zh_editor.descriptors["A"].value == "针对条目的总体要求，有系统、有效的方法"  # no translation in Chinese


def test_an_entry_to_correct_takes_the_person_to_its_tab_and_field(store):
    applicant, token = store.add_applicant("试填单位", "hubei-service")
    session = Session.open(load_rubric("hubei-service"), str(store.dir), f"key={token}")
    book = Workbook(session, "zh")
    session.append(("clauses", "5.3.2", "evidence"), "")
    session.set(("applicant", "employees"), "很多")
    session.add_kpi("5.2.4")
    shown = lambda: [b for b in walk(book.header) if isinstance(b, w.Button) and "qkit-jump" in b._dom_classes]  # noqa: E731
    assert len(shown()) == 2  # a new KPI is not incomplete while the person fills it in …
    session.settle()  # … only once they move on
    entries = shown()
    assert [b.description for b in entries] == ["⚠ 申报单位 · 员工人数：应为整数（当前值：“很多”）",
                                                 "⚠ 5.3.2 战略制定 · 证据第 1 条：内容为空，请填写或删除此行",
                                                 "⚠ 第 1 项指标 · 指标名称：缺少必填字段",
                                                 "⚠ 第 1 项指标 · 本组织：该指标没有任何年度数据，请至少填写一年的数值"]
    focused = []
    w.Textarea.focus = w.Text.focus = lambda self: focused.append(self)  # no browser here: note where it went
    try:
        entries[1].click()
        assert book.tabs.selected_index == 2  # 5.3
        assert focused[-1] is book.form.input_for(("clauses", "5.3.2", "evidence", 0))
        entries[2].click()
        assert book.tabs.selected_index == book._results_tab
        assert focused[-1] is book.form.input_for(("results", 0, "name")) and isinstance(focused[-1], w.Text)
        entries[0].click()
        assert book.tabs.selected_index == 0 and focused[-1] is book.form.input_for(("applicant", "employees"))
    finally:
        del w.Textarea.focus, w.Text.focus


def test_the_document_and_workbook_are_offered_as_downloads_at_once(store):
    session, book = scored_service(store, {"5.2.2": 60})
    panel = ExportPanel(book.form)
    assert yaml.safe_load(exported(panel, "yaml"))["clauses"]["5.2.2"]["score"] == 60
    assert "得分" in openpyxl.load_workbook(io.BytesIO(exported(panel, "excel"))).sheetnames
    assert "download=" in panel.links["yaml"].value and "download=" in panel.links["excel"].value
    session.set(("clauses", "5.2.3", "score"), 80)
    panel.show()  # the tab shown again after an edit: the files follow the page
    assert yaml.safe_load(exported(panel, "yaml"))["clauses"]["5.2.3"]["score"] == 80


# --- the 自评报告 and the feedback's quality in the form ----------------------------------------------


def service_form(store, **kwargs) -> tuple[Session, Workbook]:
    applicant, token = store.add_applicant("试填单位", "hubei-service")
    session = Session.open(load_rubric("hubei-service"), str(store.dir), f"key={token}", **kwargs)
    return session, Workbook(session, "zh")


def clause_editor(book: Workbook, clause_id: str) -> ClauseEditor:
    book.tabs.selected_index = book.tab_of(("clauses", clause_id))
    return next(e for e in walk(book.widget) if isinstance(e, ClauseEditor) and e.clause.id == clause_id)


def textarea(widget) -> w.Textarea:
    return next(x for x in walk(widget) if isinstance(x, w.Textarea))


def test_a_narrative_is_counted_as_word_counts_while_typed_and_turns_red_over_its_limit(store, tmp_path):
    limits = tmp_path / "字数限制.yaml"
    limits.write_text('default:\n  "5.2.2": 20\n  overview: 30\n', encoding="utf-8")
    session, book = service_form(store, limits=limits)
    editor = clause_editor(book, "5.2.2")
    status = editor.narrative.status
    assert "0 / 20 字" in status.value and "qkit-over" not in status.value
    box = textarea(editor.narrative)
    box.value = "高层领导确定使命、愿景和价值观。"  # 14 characters and two Chinese punctuation marks
    assert "16 / 20 字" in status.value and "qkit-over" not in status.value
    box.value += "ISO 9001 认证"  # a Latin word and a number count one each, as in Word
    assert "20 / 20 字" in status.value and "qkit-over" not in status.value
    box.value += "。"
    assert "21 / 20 字 · 超出 1 字" in status.value and "qkit-count qkit-over" in status.value
    assert session.value(("clauses", "5.2.2", "narrative")) == "高层领导确定使命、愿景和价值观。ISO 9001 认证。"
    assert session.clause_score("5.2.2").score is None  # over the limit is a hint for the writer, not a problem
    assert not [p for p in session.shown_problems if "narrative" in p.field] and "叙述" not in page_text(book.header)
    box.value = "高层领导确定使命。"
    assert "9 / 20 字" in status.value and "qkit-over" not in status.value
    book.tabs.selected_index = 0  # the profile's narrative, against the profile's limit
    profile = next(e for e in walk(book.widget) if isinstance(e, NarrativeEditor) and e.part == "5.1")
    textarea(profile).value = "江城智运是一家城市物流服务企业。" * 2
    assert "32 / 30 字 · 超出 2 字" in profile.status.value and "qkit-over" in profile.status.value
    assert session.value(("profile", "narrative")).startswith("江城智运")
    english = Workbook(Session(session.rubric, session.data, autosave_delay=None), "en")
    english_editor = clause_editor(english, "5.2.2")
    shown = english_editor.narrative.status.value  # the shipped limits, without a file: guidance by points
    assert "9 words · guidance about 1,500" in shown and "whole report" in shown and "/ 30,000 words" in shown


def test_the_coverage_hint_names_the_sub_points_a_narrative_seems_to_leave_out_and_never_scores(store):
    session, book = service_form(store)
    editor = clause_editor(book, "5.2.2")
    box = textarea(editor.narrative)
    assert "似乎尚未写到" not in editor.narrative.status.value  # nothing written, nothing to hint
    box.value = "公司高层领导确定了未来五年的发展方向，并向全体员工宣贯。"
    hint = editor.narrative.status.value
    assert "以下要点似乎尚未写到：b）组织文化、c）可持续发展、d）契合时代" in hint and "不影响评分" in hint
    assert "a）" not in hint
    session.set(("clauses", "5.2.2", "score"), 60)
    box.value += "\n\n我们以“诚信、协同”的组织文化凝聚员工。"
    hint = editor.narrative.status.value
    assert "c）可持续发展、d）契合时代" in hint and "b）组织文化" not in hint
    assert session.value(("clauses", "5.2.2", "score")) == 60 and session.clause_score("5.2.2").score == 60


def test_a_prescriptive_ofi_shows_its_warning_under_the_box_until_it_is_rewritten(store):
    session, book = service_form(store)
    editor = clause_editor(book, "5.2.2")
    ofis = next(x for x in walk(editor) if isinstance(x, TextList) and x.path[-1] == "ofis")
    evidence = next(x for x in walk(editor) if isinstance(x, TextList) and x.path[-1] == "evidence")
    ofis.add.click()
    ofis.add.click()
    box = ofis.entries.children[1].box
    line = ofis.entries.children[1].children[2]  # under the box and its problems
    box.value = "建议"
    assert "[指令性] 改进机会带有指令性措辞“建议”" in line.value and "qkit-lint-line" in line.value
    assert "too_short" not in line.value  # not called too short while it is being typed
    box.value = "建议建立企业文化落地效果的评估机制"
    assert "[指令性]" in line.value and "[prescriptive]" not in line.value and ofis.entries.children[0].children[2].value == ""
    assert "[缺少证据] 有优势或改进机会，但没有列出证据" in evidence.lint.value  # beside the clause's evidence
    assert "[条数少] 优势只有 0 条（建议至少 1 条）" in next(
        x for x in walk(editor) if isinstance(x, TextList) and x.path[-1] == "strengths").lint.value
    # warnings, never problems: not among the entries to correct, no file held back
    assert "prescriptive" not in page_text(book.header) and "指令性" not in page_text(book.header)
    assert not [p for p in session.problems if p.code.startswith("lint")]
    assert session.export("excel")[0].endswith(".xlsx")
    english = Workbook(Session(session.rubric, session.data, autosave_delay=None), "en")
    english_ofis = next(x for x in walk(clause_editor(english, "5.2.2")) if isinstance(x, TextList)
                        and x.path[-1] == "ofis")
    assert "[prescriptive] the OFI prescribes (“建议”)" in english_ofis.entries.children[1].children[2].value
    box.value = "企业文化落地效果尚无评估，无法判断各层级员工的认同程度"
    assert line.value == ""
    evidence.add.click()
    textarea(evidence.entries).value = "《企业文化手册》2025 版"
    assert evidence.lint.value == ""
    box.value = "文化评估缺失"  # short, but being typed: said once the person moves on
    assert line.value == ""
    session.set(("clauses", "5.2.2", "notes"), "待讨论")
    assert "[过短] 评语过短（6 字，建议至少 15 字）" in line.value


def test_the_lead_writes_the_key_themes_each_citing_its_clauses(store):
    from qkit.web.form.panels import KeyThemesPanel

    applicant, key = store.add_applicant("要点测试单位", "hubei-service")
    session = Session.open(load_rubric("hubei-service"), str(store.dir), f"key={key}", autosave_delay=None)
    book = Workbook(session, "zh")
    book.tabs.selected_index = book.tabs.titles.index(tr("sec_key_themes"))
    panel = next(e for e in walk(book.widget) if isinstance(e, KeyThemesPanel))
    first = panel.kinds.children[0]
    next(x for x in walk(first) if isinstance(x, w.Button) and x.description == tr("wb_add_entry")).click()
    boxes = [x for x in walk(panel.kinds.children[0]) if isinstance(x, (w.Text, w.Textarea))]
    boxes[0].value = "数字化平台贯穿仓储、运输和结算"
    boxes[1].value = "5.6.2、5.9.9"
    assert session.value(("key_themes", "process_strengths", 0)) == {"text": "数字化平台贯穿仓储、运输和结算",
                                                                    "clauses": ["5.6.2", "5.9.9"]}
    assert any(p.field == "key_themes/process_strengths/1/clauses" and p.code == "unknown_clause"
               for p in session.problems)  # kept as typed, and flagged
    boxes[1].value = "5.6.2、5.7.2"
    assert session.problems == [] and session.save()
    saved = store.latest(applicant.id).data["key_themes"]["process_strengths"]
    assert saved == [{"text": "数字化平台贯穿仓储、运输和结算", "clauses": ["5.6.2", "5.7.2"]}]


# --- an individual, a person: the form speaks of a nominee and indicators -------------------------


def test_the_individual_awards_form_speaks_of_a_person_and_its_indicators(store):
    applicant, token = store.add_applicant("陈屹峰", "wuhan-individual")  # no --lead: the lead is called 负责人
    session = Session.open(load_rubric("wuhan-individual"), str(store.dir), f"key={token}")
    book = Workbook(session, "zh")
    profile = page_text(book.tabs.children[0])
    assert "申报人" in profile and "姓名（必填）" in profile and "申报联络人" in profile
    assert "申报单位" not in profile and "简称" not in profile and "联系人" not in profile.replace("申报联络人", "")
    header = page_text(book.header)
    assert "共 6 个指标，还有 6 个未评分" in header and "条款" not in header
    assert "当前用户：负责人" in header and "负责人 · 负责人" not in header
    assert session.who("en") == "signed in as the lead"
    editor = clause_editor(book, "2.1")
    text = page_text(editor)
    assert "备注（例如评分的依据）" in text and "建议分数段" not in text
    assert "[[表:1.1]]" in text and "5.7.4" not in text  # the writing hint cites an indicator this award has
    assert "qkit-chosen" not in editor.requirement.value
    session.set(("clauses", "2.1", "score"), 75)
    chosen = re.search(r"<tr class='qkit-chosen'><td>([^<]+)</td>", editor.requirement.value)
    assert chosen and chosen.group(1) == "70%, 75%, 80%或 85%"  # the row of the band the score falls in
    assert session.messages(("applicant", "name")) == [] and session.place(("applicant", "contact")) == "申报人 · 申报联络人"


def test_the_overview_of_each_item_is_shown_under_its_own_number_and_the_date_box_shows_an_example(store):
    applicant, token = store.add_applicant("荆楚医院", "hubei-medical")
    session = Session.open(load_rubric("hubei-medical"), str(store.dir), f"key={token}")
    book = Workbook(session, "zh")
    book.tabs.selected_index = 1
    intro = next(x for x in walk(book.tabs.children[1]) if isinstance(x, w.HTML) and "概述" in x.value).value
    assert "5.2.1 概述" in intro and "不计分" in intro and session.rubric.items[0].overview in intro
    date = next(x for x in walk(book.tabs.children[0]) if isinstance(x, w.Text) and x.placeholder.endswith("2026-10-15"))
    assert date.placeholder == "例如 2026-10-15"  # an example, said to be one: no value that looks typed
    english = Workbook(Session(session.rubric, session.data, autosave_delay=None), "en")
    english.tabs.selected_index = 1
    assert "5.2.1 Overview" in page_text(english.tabs.children[1])


def test_each_workbook_page_is_titled_with_its_award_not_its_id():
    for rubric_id in RUBRIC_IDS:
        notebook = json.loads((WORKBOOKS / f"{rubric_id}.ipynb").read_text(encoding="utf-8"))
        rubric = load_rubric(rubric_id)
        assert notebook["metadata"]["title"].startswith(f"{rubric.title('zh')} · 自评表")
        assert rubric_id not in notebook["metadata"]["title"]


def test_a_workbook_opened_without_qkit_serve_says_no_store_was_found_and_makes_none(tmp_path, monkeypatch):
    """Voila alone runs the workbook in the notebooks' folder with no $QKIT_DATA: nothing is made there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QKIT_DATA", raising=False)
    for query, lang in (("key=whatever", "zh"), ("", "en")):
        shown = page_text(workbook("hubei-manufacturing", query=query, lang=lang))
        assert "qkit serve" in shown and ("没有找到自评数据" in shown or "No assessment data was found" in shown)
        assert "链接无效" not in shown and "link is invalid" not in shown  # not the link's fault
    assert list(tmp_path.iterdir()) == []  # no qkit-data folder, no database


@pytest.mark.slow
def test_a_kernel_keeps_every_widget_message_while_the_server_does_not_read():
    """A tab sends a thousand and more widget messages at once; a server busy for a moment (starting kernels) does
    not read them. The kernel's output socket dropped all beyond zmq's 1,000 and the page lacked cards or updates;
    a workbook's kernel keeps them all now. A real kernel, its output read only after a pause."""
    from jupyter_client.manager import start_new_kernel

    kernels, client = start_new_kernel(kernel_name="python3")
    try:
        client.execute("from qkit.web.form.workbook import keep_every_message\nkeep_every_message()\n"
                       "import time, ipywidgets as w\ntime.sleep(0.5)\nboxes = [w.HTML(str(i)) for i in range(3000)]")
        time.sleep(6)  # nothing read meanwhile, as a busy server
        opened = 0
        while True:
            try:
                message = client.get_iopub_msg(timeout=3)
            except queue.Empty:
                break
            opened += message["msg_type"] == "comm_open"
        assert opened == 3000 * 3  # each box, its layout and its style
    finally:
        client.stop_channels()
        kernels.shutdown_kernel(now=True)
