"""The consultant's Python API: a document file opened in a notebook, edited, saved back and compared."""

from __future__ import annotations

import asyncio
import inspect
import shutil

import ipywidgets as w
import pytest
import yaml

import qkit
from support.documents import RUBRICS, SAMPLES, write_yaml
from qkit import QkitError
from qkit.cycle import next_cycle
from qkit.web import notebook
from qkit.web.form.clauses import ClauseEditor

SAMPLE = SAMPLES / "hubei-service-jiangcheng.yaml"


@pytest.fixture
def document(tmp_path):
    path = tmp_path / "江城智运.yaml"
    text = SAMPLE.read_text(encoding="utf-8")
    path.write_text("# 江城智运 2026 年自评（顾问：刘）\n" + text, encoding="utf-8")
    return path


def test_open_checks_and_scores_like_the_web_form(document):
    session = qkit.open(document, autosave_delay=None)
    card = qkit.score(qkit.load(document), qkit.load_rubric("hubei-service"))
    assert session.scorecard.total == card.total and session.problems == []
    before = session.clause_score("5.2.2")
    session.set(("clauses", "5.2.2", "score"), 70)
    assert session.scorecard.total == card.total + (70 - before.score) * before.points / 100
    session.set(("clauses", "5.2.3", "strengths"), [""])
    assert [p.field for p in session.problems] == ["clauses/5.2.3/strengths/1"]


def test_save_writes_atomically_keeps_comments_order_and_the_previous_version(document):
    before = document.read_text(encoding="utf-8")
    session = qkit.open(document, autosave_delay=None)
    session.set(("clauses", "5.2.2", "score"), 70)
    assert session.save()
    after = document.read_text(encoding="utf-8")
    assert after.startswith("# 江城智运 2026 年自评（顾问：刘）")  # the user's comment is kept
    keys = [line.split(":")[0] for line in after.splitlines() if line and not line.startswith((" ", "#", "-"))]
    assert keys == [k for k in yaml.safe_load(before)]  # and the key order
    assert yaml.safe_load(after)["clauses"]["5.2.2"]["score"] == 70
    history = list((document.parent / ".qkit-history").glob("江城智运.*.yaml"))
    assert len(history) == 1 and history[0].read_text(encoding="utf-8") == before
    assert not [p for p in document.parent.iterdir() if p.name.startswith(".江城")]  # no temporary file left
    assert qkit.load(document).clauses["5.2.2"].score == 70


def test_a_save_changes_the_lines_of_the_values_changed_and_no_other(tmp_path):
    """Each sample saved after one score changed: a consultant's diff shows that one line, quotes, folded
    paragraphs and 3.20 as written."""
    import difflib

    for sample in sorted(SAMPLES.glob("*.yaml")):
        path = tmp_path / sample.name
        shutil.copy(sample, path)
        before = path.read_text(encoding="utf-8")
        session = qkit.open(path, autosave_delay=None)
        clause = session.rubric.clauses[0].id
        session.set(("clauses", clause, "score"), 5)
        assert session.save()
        changed = [line for line in difflib.unified_diff(before.splitlines(), path.read_text(encoding="utf-8")
                                                         .splitlines(), lineterm="", n=0)
                   if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        assert len(changed) == 2 and changed[1].removeprefix("+").strip() == "score: 5", (sample.name, changed[:6])


def test_a_file_with_a_date_that_is_no_date_keeps_its_comments_when_saved(tmp_path):
    path = tmp_path / "错日期.yaml"
    text = SAMPLE.read_text(encoding="utf-8").replace("date: 2026-05-12", "date: 2025-13-40  # 待核对", 1)
    path.write_text("# 顾问的说明：日期待核对\n" + text, encoding="utf-8")
    session = qkit.open(path, autosave_delay=None)
    assert "assessment/date" in [p.field for p in session.problems]  # named, as qkit validate names it
    session.set(("clauses", "5.2.2", "score"), 70)
    assert session.save()
    after = path.read_text(encoding="utf-8")
    assert after.startswith("# 顾问的说明：日期待核对") and "# 待核对" in after  # ruamel rejected the date: kept
    assert "2025-13-40" in after and qkit.open(path, autosave_delay=None).value(("clauses", "5.2.2", "score")) == 70


def test_a_file_changed_on_disk_meanwhile_is_merged_not_overwritten(document):
    session = qkit.open(document, autosave_delay=None)
    session.set(("clauses", "5.2.2", "score"), 70)
    data = yaml.safe_load(document.read_text(encoding="utf-8"))
    data["clauses"]["5.3.2"]["notes"] = "同事在编辑器里补充的说明"
    document.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert session.save()
    saved = yaml.safe_load(document.read_text(encoding="utf-8"))
    assert saved["clauses"]["5.2.2"]["score"] == 70
    assert saved["clauses"]["5.3.2"]["notes"] == "同事在编辑器里补充的说明"
    assert session.value(("clauses", "5.3.2", "notes")) == "同事在编辑器里补充的说明"

    session.set(("clauses", "5.2.2", "score"), 75)
    data = yaml.safe_load(document.read_text(encoding="utf-8"))
    data["clauses"]["5.2.2"]["score"] = 40
    document.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert not session.save()
    [conflict] = session.conflicts
    assert (conflict.theirs, conflict.mine) == (40, 75)
    session.choose(0, "mine")
    assert yaml.safe_load(document.read_text(encoding="utf-8"))["clauses"]["5.2.2"]["score"] == 75


@pytest.mark.slow
def test_frames_compare_and_report(document, tmp_path):
    last_year = tmp_path / "2025.yaml"
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data["clauses"]["5.3.3"]["score"] = 30
    last_year.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    session = qkit.open(document, autosave_delay=None)
    frame = session.clauses_frame()
    assert len(frame) == 18 and frame.iloc[0, 1] == "5.2.2"
    kpis = session.kpis_frame()
    assert len(kpis) == len(data["results"])
    assert list(kpis.columns[:3]) == ["序号", "条款", "指标"] and "最新值" in kpis.columns  # as clauses_frame: 条目 …
    assert list(session.kpis_frame("en").columns[:3]) == ["no.", "clause", "KPI"]
    comparison = session.compare(last_year)
    clause = next(c for c in comparison.clauses if c.id == "5.3.3")
    now = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))["clauses"]["5.3.3"]["score"]
    assert (clause.old, clause.new) == (30, now)
    files = session.report(tmp_path / "报告")
    assert "湖北江城智运供应链管理有限公司" in files.html.read_text(encoding="utf-8")


def test_a_broken_file_is_refused_with_its_problems(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("rubric: hubei-mining\napplicant: {name: x}\n", encoding="utf-8")
    with pytest.raises(QkitError) as caught:
        qkit.open(path)
    assert "hubei-mining" in caught.value.render("zh")


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def _editor(form, clause_id: str) -> ClauseEditor:
    """The clause's editor in the form, its item's tab opened (tabs are built when first opened)."""
    tabs = next(x for x in _walk(form) if isinstance(x, w.Tab))
    for index in range(len(tabs.children)):
        tabs.selected_index = index
        found = [e for e in _walk(tabs.children[index]) if isinstance(e, ClauseEditor) and e.clause.id == clause_id]
        if found:
            return found[0]
    raise AssertionError(clause_id)


def test_the_form_of_a_file_saves_to_the_file_with_its_button(document):
    session = qkit.open(document, autosave_delay=None)
    form = session.form()
    assert "历史" not in [t for x in _walk(form) if isinstance(x, w.Tab) for t in x.titles]  # no store history
    editor = _editor(form, "5.3.3")
    total = next(x for x in _walk(form) if "qkit-total-value" in x._dom_classes)
    before = total.value
    editor.score.value = 95
    assert total.value != before and "qkit-total-value" in total._dom_classes
    assert qkit.load(document).clauses["5.3.3"].score != 95  # not saved yet
    save = next(x for x in _walk(form) if isinstance(x, w.Button) and x.description == "保存")
    save.click()
    assert qkit.load(document).clauses["5.3.3"].score == 95
    assert document.read_text(encoding="utf-8").startswith("# 江城智运 2026 年自评")
    status = next(x for x in _walk(form) if "qkit-save-status" in x._dom_classes)
    assert "已保存（第 2 版" in status.value


def test_the_form_of_a_file_autosaves_to_the_file(document):
    async def edit() -> None:
        session = qkit.open(document, autosave_delay=0.2)
        editor = _editor(session.form(), "5.2.2")
        editor.score.value = 35
        assert qkit.load(document).clauses["5.2.2"].score != 35
        await asyncio.sleep(0.5)
        assert not session.dirty

    asyncio.run(edit())
    assert qkit.load(document).clauses["5.2.2"].score == 35
    assert len(list((document.parent / ".qkit-history").glob("*.yaml"))) == 1


def test_a_carried_over_clause_shows_last_cycles_score_and_to_review_until_scored(tmp_path):
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data["clauses"]["5.2.3"]["score"] = 80
    path = write_yaml(tmp_path / "2027.yaml", next_cycle(data, "2027"))
    session = qkit.open(path, autosave_delay=None)
    editor = _editor(session.form(), "5.2.3")
    row = next(x for x in _walk(editor) if "qkit-score-row" in getattr(x, "_dom_classes", ()))
    assert list(row.children[:2]) == [editor.score, editor.previous]  # beside the score picker
    assert "上期得分 80%" in editor.previous.value and "待复核" in editor.previous.value
    editor.score.value = 70  # scored again: the badge goes, last cycle's score stays beside the picker
    assert "待复核" not in editor.previous.value and "上期得分 80%" in editor.previous.value
    editor.score.value = -1  # unscored again: to review again
    assert "待复核" in editor.previous.value
    english = _editor(session.form("en"), "5.2.2")
    score = data["clauses"]["5.2.2"]["score"]
    assert f"previous score {score}%" in english.previous.value and "to review" in english.previous.value
    assert _editor(qkit.open(SAMPLE, autosave_delay=None).form(), "5.2.2").previous.value == ""  # no previous cycle


def test_the_next_cycle_of_a_file_starts_a_new_file_and_keeps_this_one(document, tmp_path):
    old = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))["clauses"]
    session = qkit.open(document, autosave_delay=None)
    session.set(("clauses", "5.2.3", "score"), 80)  # unsaved: saved before the new cycle starts
    new = session.next_cycle(tmp_path / "2027.yaml", label="2027")
    assert qkit.load(document).clauses["5.2.3"].score == 80  # this cycle's file is kept as it is
    assert (tmp_path / "2027.yaml").read_text(encoding="utf-8").startswith("# 江城智运 2026 年自评")  # comments kept
    assert new.path == tmp_path / "2027.yaml" and new.value(("assessment", "cycle")) == "2027"
    assert new.clause_score("5.2.2").to_review and new.clause_score("5.2.2").previous_score == old["5.2.2"]["score"]
    assert new.clause_score("5.2.3").previous_score == 80 and new.scorecard.missing
    with pytest.raises(QkitError) as refused:
        session.next_cycle(tmp_path / "2027.yaml")
    assert "--force" in refused.value.render("zh")


def test_new_cycle_command_for_a_file(cli, document, tmp_path):
    code, out, _ = cli("new-cycle", document, "-o", tmp_path / "2027.yaml", "--label", "2027")
    assert code == 0 and "2027" in out
    data = yaml.safe_load((tmp_path / "2027.yaml").read_text(encoding="utf-8"))
    assert data["assessment"]["cycle"] == "2027" and "score" not in data["clauses"]["5.2.2"]
    assert data["clauses"]["5.2.2"]["previous_score"] == qkit.load(document).clauses["5.2.2"].score
    code, _, err = cli("new-cycle", document, "-o", tmp_path / "2027.yaml")
    assert code == 1 and "--force" in err


def test_compare_finds_the_other_file_in_the_same_rubric_folders(tmp_path):
    mine = tmp_path / "mine"
    shutil.copytree(RUBRICS / "guidelines", mine / "guidelines")
    rubric = yaml.safe_load((RUBRICS / "hubei-service.yaml").read_text(encoding="utf-8"))
    write_yaml(mine / "my-service.yaml", {**rubric, "id": "my-service"})
    data = {**yaml.safe_load(SAMPLE.read_text(encoding="utf-8")), "rubric": "my-service"}
    this_year = write_yaml(tmp_path / "2026.yaml", data)
    data["clauses"]["5.3.3"]["score"] = 30
    last_year = write_yaml(tmp_path / "2025.yaml", data)
    session = qkit.open(this_year, rubrics=[mine], autosave_delay=None)
    clause = next(c for c in session.compare(last_year).clauses if c.id == "5.3.3")
    assert clause.old == 30 and clause.new == session.clause_score("5.3.3").score


def test_every_public_name_of_the_notebook_module_says_what_it_does():
    names = [n for n, obj in vars(notebook).items() if not n.startswith("_") and callable(obj)
             and getattr(obj, "__module__", None) == notebook.__name__]
    members = [f"{n}.{m}" for n in names if inspect.isclass(getattr(notebook, n))
               for m, obj in vars(getattr(notebook, n)).items() if not m.startswith("_")]
    undocumented = [n for n in names if not inspect.getdoc(getattr(notebook, n))]
    undocumented += [m for m in members if not inspect.getdoc(_member(m))]
    assert {"FileSession.next_cycle", "FileSession.form", "FileKeeper.save"} <= set(members)
    assert undocumented == []


def _member(dotted: str):
    cls, name = dotted.split(".")
    obj = vars(getattr(notebook, cls))[name]
    return obj.fget if isinstance(obj, property) else getattr(obj, "__func__", obj)
