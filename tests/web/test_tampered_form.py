"""The form's server side checks what arrives from the browser, as ``qkit validate`` would.

A page can be tampered with: widget state sent over the comm channel is not
limited to what the inputs offer. The session refuses what the form's own
inputs cannot produce, with the problem ``qkit validate`` names, and keeps the
document as it was.
"""

from __future__ import annotations

import copy

import ipywidgets as w
import yaml

from support.documents import SAMPLES
from support.widgets import walk
from qkit import load_rubric
from qkit.values import MAX_TEXT
from qkit.web.session import Session
from qkit.web.form.clauses import ClauseEditor
from qkit.web.form.workbook import Workbook

SAMPLE = SAMPLES / "hubei-service-jiangcheng.yaml"


def session() -> Session:
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    return Session(load_rubric(data["rubric"]), data, autosave_delay=None)


def comm_update(widget: w.Widget, **state) -> None:
    """What the browser sends when an input changes: an update message on the widget's comm."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": []}}, "buffers": []})


def test_scores_the_score_list_does_not_offer_are_refused():
    s = session()
    before = copy.deepcopy(s.data)
    for bad in (33, 120, -5, "high", 52.5):
        problem = s.set(("clauses", "5.2.2", "score"), bad)
        assert problem is not None and problem.code == "score_step" and problem.field == "clauses/5.2.2/score"
        assert s.data == before and s.problems == [] and not s.dirty
    assert s.set(("clauses", "5.2.2", "score"), 55) is None and s.value(("clauses", "5.2.2", "score")) == 55


def test_unknown_clauses_fields_and_bands_are_refused():
    s = session()
    before = copy.deepcopy(s.data)
    refusals = {
        ("clauses", "9.9.9", "score"): "unknown_clause",
        ("clauses", "5.2.2", "owner"): "unknown_field",
        ("clauses", "5.2.2", "factors", "Z"): "unknown_factor",
        ("clauses", "5.2.2", "factors", "A"): "factor_band",
        ("results", 0, "better"): "better",
        ("secret",): "unknown_field",
    }
    for path, code in refusals.items():
        problem = s.set(path, "x" if path[-1] != "score" else 50)
        assert problem is not None and problem.code == code, path
        assert s.data == before, path
    assert s.problems == []


def test_an_overlong_text_sent_as_widget_state_is_refused():
    s = session()
    book = Workbook(s, "zh")
    book.tabs.selected_index = 1  # 5.2: its clause editors are built when the tab opens
    editor = next(e for e in walk(book.widget) if isinstance(e, ClauseEditor))
    notes = [x for x in walk(editor) if isinstance(x, w.Textarea)][-1]
    path = ("clauses", editor.clause.id, "notes")
    comm_update(notes, value="备注：" + "长" * (MAX_TEXT + 1))
    assert s.value(path) == yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))["clauses"][editor.clause.id].get("notes")
    assert s.problems == [] and not s.dirty
    comm_update(notes, value="正常的备注")
    assert s.value(path) == "正常的备注" and s.dirty


def test_a_tampered_score_list_cannot_store_a_score_outside_the_steps():
    s = session()
    book = Workbook(s, "zh")
    book.tabs.selected_index = 1
    editor = next(e for e in walk(book.widget) if isinstance(e, ClauseEditor))
    before = s.value(("clauses", editor.clause.id, "score"))
    for state in ({"index": 999}, {"_options_labels": ["33%"], "index": 0}, {"index": -3}):
        try:
            comm_update(editor.score, **state)
        except Exception:  # noqa: BLE001 - ipywidgets may itself reject the state; either way nothing is stored
            pass
        stored = s.value(("clauses", editor.clause.id, "score"))
        assert stored in (before, None)  # at most 未评分, which the list offers; never a score outside the steps
        assert s.problems == []
