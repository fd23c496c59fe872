"""Rights are checked where data changes: in the session and in the store, against the member as they stand now.

Each test reproduces a red-team finding first: a writer restoring any
revision, a writer editing other items' KPIs through the grid and the import,
a revoked member's open page saving and receiving, items changed under an
open page. Every test taking ``store`` runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from support.documents import SAMPLES
from support.mounts import needs_root, tmpfs
from qkit import load_rubric
from qkit.web.session import Session
from qkit.web.store import AccessEnded, NotAllowed, Store

RUBRIC = "hubei-manufacturing"
SAMPLE = yaml.safe_load((SAMPLES / "hubei-manufacturing-huake.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def store(any_store):
    return any_store


@pytest.fixture
def team(store):
    """华科精密 with the sample's document as revision 2, its lead 张伟 and 王强, a writer of 5.2."""
    applicant, lead_key = store.add_applicant("华科精密", RUBRIC, lead="张伟")
    writer, writer_key = store.add_member(applicant.id, "王强", "writer", ["5.2"])
    store.save(applicant.id, copy.deepcopy(SAMPLE), base=1)
    return applicant, {"lead": lead_key, "writer": writer_key}, writer


def open_as(store, key: str) -> Session:
    return Session.open(load_rubric(RUBRIC), store.location, f"key={key}", autosave_delay=None)


def kpi_at(session: Session, clause: str) -> int:
    return next(i for i, k in enumerate(session.value(("results",))) if k["clause"] == clause)


# --- the store refuses what the member may not change ---------------------------------------


def test_the_store_refuses_a_writers_change_outside_their_items(store, team):
    applicant, _, writer = team
    data = store.latest(applicant.id).data
    theirs = copy.deepcopy(data)
    theirs["clauses"]["5.5.2"]["score"] = 5
    with pytest.raises(NotAllowed) as refused:
        store.save(applicant.id, theirs, base=2, author=writer)
    assert "clauses/5.5.2" in refused.value.render("zh") and "5.2" in refused.value.render("zh")
    moved = copy.deepcopy(data)
    other = next(k for k in moved["results"] if k["clause"] == "5.3.4")
    other["values"] = {2025: 1}
    with pytest.raises(NotAllowed):  # another item's KPI
        store.save(applicant.id, moved, base=2, author=writer)
    own = copy.deepcopy(data)
    own["clauses"]["5.2.2"]["score"] = 5
    next(k for k in own["results"] if k["clause"] == "5.2.4")["target"] = 1
    assert store.save(applicant.id, own, base=2, author=writer).number == 3
    assert store.latest(applicant.id).author == "王强"


def test_only_a_lead_restores_and_an_assessor_never_saves_the_application(store, team):
    applicant, keys, writer = team
    with pytest.raises(NotAllowed) as refused:
        store.restore(applicant.id, 1, base=2, author=writer)
    assert "负责人" in refused.value.render("zh")
    assessor, _ = store.add_member(applicant.id, "李娜", "assessor")
    with pytest.raises(NotAllowed):
        store.save(applicant.id, {**SAMPLE, "key_themes": {}}, base=2, author=assessor)
    with pytest.raises(NotAllowed):  # a writer has no layer to save
        store.save_layer(applicant.id, writer, {})
    assert store.latest(applicant.id).number == 2
    assert store.restore(applicant.id, 1, base=2, author=store.member(applicant.id)).number == 3


def test_a_revoked_or_replaced_link_saves_nothing(store, team):
    applicant, _, writer = team
    data = copy.deepcopy(store.latest(applicant.id).data)
    data["clauses"]["5.2.2"]["score"] = 5
    key = store.renew_token(applicant.id, writer.id)  # the link was sent to the wrong address: a new one
    with pytest.raises(AccessEnded):
        store.save(applicant.id, data, base=2, author=writer)
    renewed = store.member_now(store.member(applicant.id, "王强"))
    assert store.save(applicant.id, data, base=2, author=renewed).number == 3 and key
    store.revoke(applicant.id, writer.id)
    with pytest.raises(AccessEnded) as ended:
        store.save(applicant.id, data, base=3, author=renewed)
    assert "已被撤销" in ended.value.render("zh")


# --- red team 1: a writer restores any revision ----------------------------------------------


def test_a_writer_cannot_restore_through_the_session(store, team):
    applicant, keys, _ = team
    session = open_as(store, keys["writer"])
    assert session.restore(1) is False  # as the history panel's button sends it over the comm channel
    assert store.latest(applicant.id).number == 2
    assert session.alert.code == "restore_leads_only"
    lead = open_as(store, keys["lead"])
    assert lead.restore(1) and store.latest(applicant.id).author == "张伟"


# --- red team 4: a writer edits other items' KPIs -----------------------------------------------


def test_a_writer_changes_no_other_items_kpi_through_the_grid(store, team):
    applicant, keys, _ = team
    session = open_as(store, keys["writer"])
    theirs, mine = kpi_at(session, "5.3.4"), kpi_at(session, "5.2.4")
    before = copy.deepcopy(session.data)
    session.set_kpi_value(theirs, ("values",), 2024, "1")
    assert session.paste_row(theirs, ("values",), [2023, 2024], "1\t2") is None
    assert session.add_year(theirs) is None
    session.remove_year(theirs, 2024)
    assert session.add_series(theirs, "行业标杆") is None
    assert session.set_year(theirs, 2024, "2019").code == "not_your_item"
    name = next(iter(session.value(("results", theirs, "comparisons"), {}) or {"x": 0}))
    assert session.rename_series(theirs, name, "改名").code == "not_your_item"
    session.remove_series(theirs, name)
    session.remove(("results", theirs))
    assert session.add_kpi("5.6.4") == -1
    assert session.data == before and not session.dirty
    assert "5.2" in session.alert.message("zh")
    session.set_kpi_value(mine, ("values",), 2024, "42")  # their own items' KPIs stay editable
    assert session.save() and store.latest(applicant.id).data["results"][mine]["values"][2024] == 42


def test_a_writer_imports_only_kpis_of_their_items(store, team):
    applicant, keys, _ = team
    session = open_as(store, keys["writer"])
    theirs = session.value(("results", kpi_at(session, "5.3.4")))
    imported = [
        {"clause": "5.3.4", "name": theirs["name"], "values": {2025: 1}},  # updates another item's KPI
        {"clause": "5.6.4", "name": "新增指标", "values": {2025: 1}},  # adds one to another item
        {"clause": "5.2.4", "name": "新指标", "values": {2025: 7}},
    ]
    assert session.import_kpis(imported) == (1, 0)
    assert session.alert.code == "kpis_not_yours" and "新增指标" in session.alert.message("zh")
    assert session.save()
    saved = store.latest(applicant.id).data["results"]
    assert [k for k in saved if k["name"] == "新增指标"] == []
    assert next(k for k in saved if k["name"] == theirs["name"])["values"] == theirs["values"]
    assert [k["values"] for k in saved if k["name"] == "新指标"] == [{2025: 7}]


# --- red team 5: revocation and reassignment take effect on open pages -------------------------


def test_a_revoked_members_open_page_stops_saving_and_receiving(store, team):
    applicant, keys, _ = team
    writer, lead = open_as(store, keys["writer"]), open_as(store, keys["lead"])
    store.revoke(applicant.id, "王强")
    writer.set(("clauses", "5.2.2", "notes"), "撤销后输入的内容")
    assert writer.save() is False
    state, text = writer.status("zh")
    assert state == "ended" and "访问权限已被撤销" in text and "请联系负责人" in text
    assert writer.value(("clauses", "5.2.2", "notes")) == "撤销后输入的内容"  # kept on the page to copy
    assert store.latest(applicant.id).number == 2
    lead.set(("clauses", "5.3.2", "notes"), "负责人之后的修改")
    assert lead.save()
    writer.dirty = False  # even a page with nothing unsaved takes in nothing more
    assert writer.refresh() is False
    assert writer.value(("clauses", "5.3.2", "notes")) != "负责人之后的修改"
    with pytest.raises(Exception) as caught:
        writer.export("yaml")
    assert "访问权限" in caught.value.render("zh")


def test_a_page_learns_of_its_revocation_while_idle(store, team):
    applicant, keys, _ = team
    writer = open_as(store, keys["writer"])
    heard = []
    writer.observe(heard.append)
    store.revoke(applicant.id, "王强")
    assert writer.refresh() is False and writer.ended  # the page's poll finds it, with nothing to save
    assert ("_saved",) in heard


def test_items_changed_under_an_open_page_count_at_its_next_save(store, team, cli):
    applicant, keys, _ = team
    writer = open_as(store, keys["writer"])
    heard = []
    writer.observe(heard.append)
    writer.set(("clauses", "5.2.2", "notes"), "分工调整前写的")
    code, out, _ = cli("members", "assign", str(applicant.id), "王强", "--items", "5.3", "--data", store.location)
    assert code == 0 and "5.3" in out
    assert writer.save() is False  # 5.2 is no longer theirs: refused by the store, said on the page
    state, text = writer.status("zh")
    assert state == "error" and "5.2.2" in text and "5.3" in text
    assert ("_access",) in heard and writer.member.items == ("5.3",)
    assert writer.editable(("clauses", "5.3.2", "score")) and not writer.editable(("clauses", "5.2.2", "score"))
    assert store.latest(applicant.id).number == 2
    code, _, err = cli("members", "assign", str(applicant.id), "张伟", "--items", "5.3", "--data", store.location)
    assert code != 0 and "撰写人" in err


def test_an_assessors_layer_stops_when_revoked(store, team):
    applicant, _, _ = team
    _, key = store.add_member(applicant.id, "李娜", "assessor")
    assessor = open_as(store, key)
    assessor.set(("clauses", "5.2.2", "score"), 60)
    assert assessor.save()
    store.revoke(applicant.id, "李娜")
    assessor.set(("clauses", "5.2.3", "score"), 60)
    assert assessor.save() is False and assessor.ended


@needs_root
def test_a_save_error_never_shows_the_servers_data_path(tmp_path):
    data = tmp_path / "data"
    applicant, key = Store(data).add_applicant("华科精密", RUBRIC)
    with tmpfs(tmp_path / "qkit-data-secret-place", read_only=True, fill_from=data) as ro:
        session = open_as(Store(ro), key)
        session.set(("clauses", "5.2.2", "score"), 60)
        assert session.save() is False
        state, text = session.status("zh")
    assert state == "error" and "只读" in text and "secret-place" not in text and str(tmp_path) not in text, text


def test_a_copy_into_postgres_locks_every_table_assessment_rounds_included(tmp_path, postgres_url):
    import psycopg

    source = Store(tmp_path / "data")
    applicant, _ = source.add_applicant("华科精密", RUBRIC)
    target = Store(postgres_url)
    blocked = []

    def try_layer_insert(db):
        with psycopg.connect(postgres_url, autocommit=True) as other:
            other.execute("SET lock_timeout = '200ms'")
            try:
                with other.transaction():
                    other.execute("LOCK TABLE assessment IN ROW EXCLUSIVE MODE")
            except psycopg.errors.LockNotAvailable:
                blocked.append("assessment")

    target.backend.after_copy = try_layer_insert  # runs inside the copy's transaction
    source.copy_to(target)
    assert blocked == ["assessment"]


# --- the page: what it says, and a last resort around every callback -------------------------


def built_form(store, key: str):
    from qkit.web.form.workbook import Workbook

    book = Workbook(open_as(store, key), "zh")
    for index in range(len(book.tabs.children)):  # every tab built, as a person opening each would
        book.tabs.selected_index = index
    return book


def handlers(widget):
    """The form's own callbacks on a widget: its click handlers and its value observers."""
    found = list(getattr(getattr(widget, "_click_handlers", None), "callbacks", []))
    for by_type in widget._trait_notifiers.values():
        for callbacks in by_type.values():
            found += [getattr(c, "handler", c) for c in callbacks]
    return [c for c in found if getattr(c, "__module__", "").startswith("qkit")]


def test_every_callback_of_the_form_has_the_last_resort(store, team):
    from qkit.web.form.fields import walk

    book = built_form(store, team[1]["lead"])
    found = [c for widget in walk(book.widget) for c in handlers(widget)]
    assert len(found) > 100  # buttons, boxes, pickers, the grid's cells, the tabs
    assert [c for c in found if not getattr(c, "qkit_safe", False)] == []


def test_the_forms_boxes_share_a_layout_and_a_style_that_nothing_changes(store, team):
    """A layout and a style of its own for each HTML box were half of a tab's widgets, each sent to the
    browser and made there one by one; the boxes share them now. A change to a shared one would show in every
    box, so after every tab of the lead's and a writer's form is built and used, each is as it was made."""
    import ipywidgets as w

    from qkit.web.form import fields
    from qkit.web.form.fields import walk

    books = [built_form(store, key) for key in team[1].values()]
    lead = books[0]
    lead.session.set(("clauses", "5.2.2", "strengths"), ["", "高层每季度审视战略"])  # entries, numbers, messages
    lead.session.settle()
    lead.header.save_button.click()
    boxes = [e for book in books for e in walk(book.widget) if isinstance(e, w.HTML)]
    assert len(boxes) > 200 and len({id(e.layout) for e in boxes}) <= 2 and len({id(e.style) for e in boxes}) == 1
    for (kind, traits), widget in fields._SHARED.items():
        made = kind(**dict(traits))
        assert widget.get_state() == made.get_state(), kind.__name__
        made.close()


def test_an_unexpected_error_in_a_callback_is_said_in_words_and_logged(store, team, capsys, monkeypatch):
    book = built_form(store, team[1]["lead"])

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom-in-save")

    monkeypatch.setattr(book.session, "save", broken)
    book.header.save_button.click()
    assert "出了点问题" in book.header.alert.value and "boom" not in book.header.alert.value
    assert "boom-in-save" in capsys.readouterr().err  # the traceback is in the server's log
    book.session.set(("clauses", "5.2.2", "notes"), "之后照常编辑")  # the page goes on working
    assert book.session.dirty


def test_the_header_says_a_refusal_a_new_assignment_and_the_end_of_access(store, team):
    applicant, keys, _ = team
    book = built_form(store, keys["writer"])
    session = book.session
    session.set_kpi_value(kpi_at(session, "5.3.4"), ("values",), 2024, "1")
    assert "您负责的是 5.2" in book.header.alert.value
    store.assign(applicant.id, "王强", ["5.2", "5.3"])
    session.refresh()
    assert "5.2、5.3" in book.header.alert.value and "无需新链接" in book.header.alert.value
    assert "5.2、5.3" in book.header.who.value
    store.revoke(applicant.id, "王强")
    session.refresh()
    assert "访问权限已被撤销" in book.header.status.value and "qkit-ended" in book.header.status.value
    assert book.header.save_button.layout.display == "none"


def test_a_lone_surrogate_sent_into_the_kpi_grid_is_refused_and_said(store, team):
    applicant, keys, _ = team
    session = open_as(store, keys["lead"])
    kpi = kpi_at(session, "5.2.4")
    before = copy.deepcopy(session.data)
    session.set_kpi_value(kpi, ("values",), 2024, "4\ud8002")
    assert session.paste_row(kpi, ("values",), [2023, 2024], "1\t\udfff") is None
    assert session.add_series(kpi, "标杆\ud800") is None
    assert session.set_year(kpi, 2024, "20\ud80024").code == "lone_surrogate"
    assert session.rename_series(kpi, "x", "\ud800").code == "lone_surrogate"
    assert session.data == before and "U+D800" in session.alert.message("zh")
    assert session.export("excel")[1]  # the Excel file is still made


def test_a_kpi_of_vanishingly_small_values_still_draws_its_trend():
    from qkit.document import KPI
    from qkit.trends import kpi_trends

    assert "<svg" in str(kpi_trends([KPI("5.2.4", "微量指标", values={2023: 2.48e-110, 2024: 3e-110, 2025: 1e-109})]))
