"""The application and its assessment are two records: rounds over the application, per cycle, never over it.

Every test taking ``store`` runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re

import pytest
import yaml

from support.documents import SAMPLES
from qkit import from_data, load_rubric, score
from qkit.rounds import judgement, overlay
from qkit.web.session import Session
from qkit.web.store import SCHEMA_VERSION, NotAllowed, Store
from qkit.web.store.schema import _layer

RUBRIC = "hubei-manufacturing"
SAMPLE = yaml.safe_load((SAMPLES / "hubei-manufacturing-huake.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def store(any_store):
    return any_store


def open_as(store, key: str) -> Session:
    return Session.open(load_rubric(RUBRIC), store.location, f"key={key}", autosave_delay=None)


def team(store) -> tuple[int, str, dict[str, str]]:
    """华科精密 with the sample as its application, its lead, and two assessors."""
    applicant, lead_key = store.add_applicant("华科精密", RUBRIC, lead="张伟")
    store.save(applicant.id, copy.deepcopy(SAMPLE), base=1)
    keys = {name: store.add_member(applicant.id, name, "assessor")[1] for name in ("李娜", "赵六")}
    return applicant.id, lead_key, keys


def scored_layer(store, key: str, scores: dict[str, int], submit: bool = True) -> Session:
    session = open_as(store, key)
    for cid, value in scores.items():
        session.set(("clauses", cid, "score"), value)
    assert session.save()
    if submit:
        assert session.submit()
    return session


# --- the core: a round over the application ------------------------------------------------------


def test_a_round_keeps_its_judgement_and_reads_the_application_as_written():
    judged = {"assessment": {"assessors": ["李娜"], "stage": "独立评审"},
              "clauses": {"5.2.2": {"score": 40, "ofis": ["文化未覆盖外包人员"], "narrative": "评审员不写叙述"}}}
    document = overlay(SAMPLE, judged)
    written = SAMPLE["clauses"]["5.2.2"]
    assert document["clauses"]["5.2.2"] == {"narrative": written["narrative"], "evidence": written["evidence"],
                                            "score": 40, "ofis": ["文化未覆盖外包人员"]}
    assert document["results"] == SAMPLE["results"] and document["profile"] == SAMPLE["profile"]
    assert document["assessment"]["assessors"] == ["李娜"] and document["assessment"]["date"] == \
        SAMPLE["assessment"]["date"]
    assert "key_themes" not in document  # the team's key themes are the team's
    assert judgement(document) == {"assessment": {"assessors": ["李娜"], "stage": "独立评审"},
                                   "clauses": {"5.2.2": {"score": 40, "ofis": ["文化未覆盖外包人员"]}}}
    with_self = overlay(SAMPLE, judged, self_scores=True)
    assert with_self["clauses"]["5.2.3"]["self_score"] == SAMPLE["clauses"]["5.2.3"]["score"]
    card = score(from_data(with_self), load_rubric(RUBRIC))
    clause = next(c for c in card.clauses if c.id == "5.2.2")
    assert clause.self_gap == SAMPLE["clauses"]["5.2.2"]["score"] - 40


# --- cycles, reopening, exports -----------------------------------------------------------------


def test_a_new_cycle_gives_every_assessor_an_empty_layer_and_keeps_the_last_ones_readable(store):
    applicant, lead_key, keys = team(store)
    scored_layer(store, keys["李娜"], {"5.2.2": 40})
    lead = open_as(store, lead_key)
    assert [name for name, _ in lead.layers()] == ["李娜"]
    store.new_cycle(applicant, "2027", author=store.member(applicant))
    assert [c.label for c in store.cycles(applicant)] == ["", "2027"]
    fresh = open_as(store, keys["李娜"])
    assert not fresh.submitted and fresh.scorecard.scored_points == 0  # a new cycle, a layer of its own
    assert fresh.value(("clauses", "5.2.2", "narrative")) == SAMPLE["clauses"]["5.2.2"]["narrative"]
    assert open_as(store, lead_key).layers() == []  # the lead's consensus offers this cycle's layers only
    earlier = store.layer(applicant, store.member(applicant, "李娜"), cycle=1)
    assert earlier.submitted and earlier.data["clauses"]["5.2.2"]["score"] == 40
    assert store.round_document(applicant, earlier)["clauses"]["5.2.2"]["score"] == 40
    with pytest.raises(NotAllowed):
        store.new_cycle(applicant, "2028", author=store.add_member(applicant, "王强")[0])


def test_the_lead_sends_a_hand_in_back_with_a_reason_that_is_kept(store):
    applicant, lead_key, keys = team(store)
    li = scored_layer(store, keys["李娜"], {"5.2.2": 40})
    lead = open_as(store, lead_key)
    assert lead.reopen("李娜", "") is False and "原因" in lead.alert.message("zh")
    writer = open_as(store, store.add_member(applicant, "王强")[1])
    assert writer.reopen("李娜", "请补充") is False
    assert lead.reopen("李娜", "5.2.2 证据与得分不符，请复核")
    record = store.layer(applicant, store.member(applicant, "李娜"))
    assert not record.submitted and record.note == "5.2.2 证据与得分不符，请复核" and record.author == "张伟"
    again = open_as(store, keys["李娜"])
    assert not again.submitted and again.value(("clauses", "5.2.2", "score")) == 40
    again.set(("clauses", "5.2.2", "score"), 45)
    assert again.save() and again.submit()
    assert li.submitted  # the earlier page knew it was handed in; the store now holds the new hand-in
    assert [doc["clauses"]["5.2.2"]["score"] for _, doc in lead.layers()] == [45]


def test_the_consensus_is_a_record_of_its_own_and_proposals_are_confirmed_one_by_one(store):
    applicant, lead_key, keys = team(store)
    scored_layer(store, keys["李娜"], {"5.2.2": 40, "5.2.3": 50})
    scored_layer(store, keys["赵六"], {"5.2.2": 60, "5.2.3": 55})
    application = store.latest(applicant)
    agreed = open_as(store, lead_key).consensus()
    agreed.adopt(open_as(store, lead_key).proposal(), ["李娜", "赵六"])
    assert agreed.value(("clauses", "5.2.3", "score")) == 55 and agreed.value(("clauses", "5.2.3", "proposed"))
    agreed.confirm("5.2.3")
    assert agreed.value(("clauses", "5.2.3", "proposed")) is None and agreed.value(("clauses", "5.2.3", "score")) == 55
    agreed.set(("clauses", "5.2.2", "score"), 70)  # outside 40–60: said on the card until the notes say why
    assert "40" in agreed.flag_text("5.2.2") and "60" in agreed.flag_text("5.2.2")
    agreed.set(("clauses", "5.2.2", "notes"), "现场评审确认")
    assert agreed.save()
    again = open_as(store, lead_key).consensus()
    again.adopt(open_as(store, lead_key).proposal(), ["李娜", "赵六"])  # adopting again keeps what was agreed
    assert again.value(("clauses", "5.2.2", "score")) == 70 and again.value(("clauses", "5.2.3", "proposed")) is None
    assert store.latest(applicant) == application  # the application never changed
    with pytest.raises(NotAllowed):
        store.save_consensus(applicant, {}, base=1, author=store.member(applicant, "李娜"))


def test_exported_rounds_feed_qkit_consensus(store, cli, tmp_path):
    applicant, lead_key, keys = team(store)
    scored_layer(store, keys["李娜"], {"5.2.2": 40})
    scored_layer(store, keys["赵六"], {"5.2.2": 60})
    out = tmp_path / "layers"
    code, _, err = cli("export", "-o", str(out), "--round", "independent", "--data", store.location)
    assert code == 0, err
    files = sorted(out.glob("*.yaml"))
    assert [f.name for f in files] == ["001-华科精密-独立评审-李娜.yaml", "001-华科精密-独立评审-赵六.yaml"]
    exported = yaml.safe_load(files[0].read_text(encoding="utf-8"))
    assert exported["assessment"]["assessors"] == ["李娜"] and exported["clauses"]["5.2.2"]["score"] == 40
    assert exported["clauses"]["5.2.2"]["narrative"] == SAMPLE["clauses"]["5.2.2"]["narrative"]
    code, out_text, err = cli("consensus", *map(str, files), "-o", str(tmp_path / "共识.yaml"))
    assert code == 0 and "李娜" in out_text and "赵六" in out_text, err
    code, _, err = cli("export", "-o", str(tmp_path / "agreed"), "--round", "consensus", "--data", store.location)
    assert code == 0 and list((tmp_path / "agreed").glob("*.yaml")) == []  # no consensus saved yet
    code, _, err = cli("export", "-o", str(tmp_path / "x"), "--round", "independent", "--cycle", "9",
                       "--data", store.location)
    assert code == 1 and "没有这个周期" in err


# --- a store of the previous schema --------------------------------------------------------------


def to_schema_3(store: Store, layers: list[tuple[int, int, str, dict, bool]]) -> None:
    """Turn a new store back into one of schema 3: layers in the table of that time, no cycles, rounds, due dates
    or openings."""
    statements = [_layer("INTEGER PRIMARY KEY" if store.path else
                         "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
                  "DROP TABLE assessment", "DROP TABLE cycle", "DROP TABLE deadline", "DROP TABLE opened",
                  "ALTER TABLE revision DROP COLUMN delta", "DROP TABLE attachment", "DROP TABLE file"]
    with store._connect() as db, store._write(db):
        for statement in statements:
            db.execute(statement)
        for applicant_id, member_id, created, document, submitted in layers:
            number = 1 + db.execute("SELECT COUNT(*) FROM layer WHERE member_id = ?", (member_id,)).fetchone()[0]
            db.execute("INSERT INTO layer (applicant_id, member_id, number, created_at, document, submitted)"
                       " VALUES (?, ?, ?, ?, ?, ?)", (applicant_id, member_id, number, created,
                                                      yaml.safe_dump(document, allow_unicode=True), int(submitted)))
        if store.path:
            db.execute("PRAGMA user_version=3")
        else:
            db.execute("UPDATE schema_version SET version = 3")


def test_a_store_of_schema_3_is_brought_up_to_date_with_its_cycles_and_layers(store, monkeypatch):
    from qkit.web.store import revisions

    monkeypatch.setattr(revisions, "SNAPSHOT_EVERY", 1)  # every revision whole, as schema 3 kept them
    applicant, lead_key, keys = team(store)
    li = store.member(applicant, "李娜")
    store.new_cycle(applicant, "2027", author=store.member(applicant))  # revision 3 starts cycle 2
    cycle_2 = store.cycles(applicant)[1].created_at
    before, after = (cycle_2 - dt.timedelta(days=30)).isoformat(), (cycle_2 + dt.timedelta(seconds=5)).isoformat()
    old_layer = {**copy.deepcopy(SAMPLE), "assessment": {"assessors": ["李娜"], "stage": "独立评审"},
                 "clauses": {"5.2.2": {"score": 40, "narrative": "旧版层里的叙述副本"}}}
    new_layer = {**old_layer, "clauses": {"5.2.2": {"score": 65}}}
    to_schema_3(store, [(applicant, li.id, before, old_layer, True), (applicant, li.id, after, new_layer, False)])
    store = Store(store.location)  # opened by a newer qkit
    assert store.schema_version() == SCHEMA_VERSION
    assert [(c.number, c.label, c.first_revision) for c in store.cycles(applicant)] == [(1, "", 1), (2, "2027", 3)]
    first, second = (store.layer(applicant, li, cycle=n) for n in (1, 2))
    assert first.submitted and first.data["clauses"] == {"5.2.2": {"score": 40}}  # the judgement only
    assert not second.submitted and second.data["clauses"] == {"5.2.2": {"score": 65}}
    assert open_as(store, keys["李娜"]).value(("clauses", "5.2.2", "score")) == 65
    with store._connect() as db:
        with pytest.raises(Exception, match="never"):
            with store._write(db):
                db.execute("UPDATE assessment SET note = 'x'")


# --- the form -------------------------------------------------------------------------------------


def test_an_assessor_reads_the_application_beside_their_own_scoring(store):
    from qkit.web.form.clauses import ClauseEditor
    from qkit.web.form.fields import TextList, walk
    from qkit.web.form.workbook import Workbook

    applicant, _, keys = team(store)
    book = Workbook(open_as(store, keys["李娜"]), "zh")
    book.tabs.selected_index = 1  # 5.2
    editor = next(e for e in walk(book.widget) if isinstance(e, ClauseEditor) and e.clause.id == "5.2.2")
    read = next(e for e in walk(editor) if "qkit-written" in e._dom_classes)
    first_words = SAMPLE["clauses"]["5.2.2"]["narrative"].split("\n")[0].replace("**", "")[:12]
    assert first_words in read.value and SAMPLE["clauses"]["5.2.2"]["evidence"][0] in read.value
    lists = [e.path[-1] for e in walk(editor) if isinstance(e, TextList)]
    assert lists == ["strengths", "ofis"]  # the team's evidence is read above, not edited
    results = next(e for e in walk(book.widget) if isinstance(e, ClauseEditor) and e.clause.id == "5.2.4")
    assert "<svg" in next(e for e in walk(results) if "qkit-written" in e._dom_classes).value  # KPI trends
    assert editor.score.value == -1  # the team's own score is not shown


def test_the_lead_agrees_the_consensus_in_its_tab_and_the_application_stays(store):
    from qkit.web.form.consensus import ConsensusPanel
    from qkit.web.form.fields import TextList, walk
    from qkit.web.form.workbook import Workbook

    applicant, lead_key, keys = team(store)
    li = open_as(store, keys["李娜"])
    li.set(("clauses", "5.2.3", "ofis"), ["对外包人员的文化宣贯不足"])
    assert li.save()
    scored_layer(store, keys["李娜"], {"5.2.2": 40, "5.2.3": 50})
    zhao = open_as(store, keys["赵六"])
    zhao.set(("clauses", "5.2.3", "ofis"), ["对外包人员的文化宣贯不足"])
    assert zhao.save()
    scored_layer(store, keys["赵六"], {"5.2.2": 60, "5.2.3": 55})
    application = store.latest(applicant)
    book = Workbook(open_as(store, lead_key), "zh")
    book.tabs.selected_index = len(book.tabs.children) - 2  # 共识
    panel = next(e for e in walk(book.widget) if isinstance(e, ConsensusPanel))
    assert "已提交" in panel.assessors.children[0].children[0].value
    panel.adopt.click()
    confirm, _ = panel._cards["5.2.3"]
    assert confirm.layout.display == "inline-flex"  # 55 is proposed
    confirm.click()
    assert confirm.layout.display == "none" and panel.agreed.value(("clauses", "5.2.3", "score")) == 55
    ofis = next(e for e in walk(panel) if isinstance(e, TextList) and e.path == ("clauses", "5.2.3", "ofis"))
    row = ofis.entries.children[0]
    assert "李娜、赵六" in row.children[1].value  # the merged comment names its authors, not a Python repr
    row.box.value = "对外包人员的文化宣贯覆盖不足"
    assert panel.agreed.value(("clauses", "5.2.3", "ofis")) == [{"text": "对外包人员的文化宣贯覆盖不足",
                                                                 "by": ["李娜", "赵六"]}]
    picker = panel.agreed_form.input_for(("clauses", "5.2.2", "score"))
    picker.value = 75  # outside 40–60: warned on the card itself
    assert "40" in panel._cards["5.2.2"][1].value and "60" in panel._cards["5.2.2"][1].value
    assert "自评与共识对比" in panel.gaps.value
    assert panel.agreed.save()
    assert store.consensus(applicant).data["clauses"]["5.2.2"]["score"] == 75
    assert store.latest(applicant) == application  # the team's application as it was


def test_the_leads_history_lists_every_cycles_rounds(store):
    from qkit.web.form.fields import walk
    from qkit.web.form.panels import HistoryPanel
    from qkit.web.form.workbook import Workbook

    applicant, lead_key, keys = team(store)
    scored_layer(store, keys["李娜"], {"5.2.2": 40})
    store.new_cycle(applicant, "2027", author=store.member(applicant))
    scored_layer(store, keys["赵六"], {"5.2.2": 60}, submit=False)
    book = Workbook(open_as(store, lead_key), "zh")
    book.tabs.selected_index = len(book.tabs.children) - 1  # 历史
    panel = next(e for e in walk(book.widget) if isinstance(e, HistoryPanel))
    text = panel.rounds.value
    assert "独立评审 · 李娜" in text and "独立评审 · 赵六" in text and "2027" in text
    assert text.index("赵六") < text.index("李娜")  # the newest cycle first
    assert "20 / 1000" in text and "30 / 1000" in text  # 40 % and 60 % of 5.2.2's 50 points
    writer_book = Workbook(open_as(store, store.add_member(applicant, "王强")[1]), "zh")
    writer_book.tabs.selected_index = len(writer_book.tabs.children) - 1
    history = next(e for e in walk(writer_book.widget) if isinstance(e, HistoryPanel))
    assert history.rounds.value == ""  # assessors' layers are the lead's to see


@pytest.mark.slow
def test_exported_layers_give_the_batch_its_spread_sheet(tmp_path, cli):
    import openpyxl

    store = Store(tmp_path / "data")
    applicant, _, keys = team(store)
    scored_layer(store, keys["李娜"], {"5.2.2": 40, "5.3.2": 70})
    scored_layer(store, keys["赵六"], {"5.2.2": 60, "5.3.2": 70})
    code, _, err = cli("export", "-o", str(tmp_path / "layers"), "--round", "independent", "--data", store.location)
    assert code == 0, err
    code, _, err = cli("batch", str(tmp_path / "layers"), "-o", str(tmp_path / "out"), "--no-pdf")
    assert code == 0, err
    book = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")
    spread = next(book[name] for name in book.sheetnames if name.startswith("评审分歧"))
    rows = [[c.value for c in row] for row in spread.iter_rows()]
    header = next(row for row in rows if any(str(v).startswith("李娜") for v in row if v))
    at = {name: next(i for i, v in enumerate(header) if str(v or "").startswith(name)) for name in ("李娜", "赵六")}
    disputed = next(row for row in rows if any("5.2.2" in str(v) for v in row if v))
    assert {disputed[at["李娜"]], disputed[at["赵六"]]} in ({0.4, 0.6}, {40, 60})  # each assessor's score, apart


def test_each_page_offers_the_report_editions_its_role_allows(store):
    from qkit.errors import QkitError
    from qkit.web.form.consensus import ConsensusPanel
    from qkit.web.form.panels import ExportPanel
    from qkit.web.form.workbook import Workbook
    from qkit.web.form.fields import walk

    applicant, lead_key, keys = team(store)
    scored_layer(store, keys["李娜"], {"5.2.2": 40})
    writer = open_as(store, store.add_member(applicant, "王强", "writer", ["5.2"])[1])
    assert writer.audiences() == ("internal",)
    with pytest.raises(QkitError) as refused:  # the team's application is never sent out as the office's feedback
        writer.export("excel", audience="applicant")
    assert refused.value.render("zh") == "audience：申报单位版的报告不对您开放；可选：内部版"
    assessor = open_as(store, keys["赵六"])
    assert assessor.audiences() == ("internal",)
    book = Workbook(open_as(store, lead_key), "zh")
    book.tabs.selected_index = len(book.tabs.children) - 2  # 共识
    panel = next(e for e in walk(book.widget) if isinstance(e, ConsensusPanel))
    assert panel.agreed.audiences() == ("applicant", "internal")
    downloads = panel.downloads
    assert [label for label, _ in downloads.audience.options] == ["申报单位版", "内部版"]
    assert "申报单位版" in downloads.links["excel"].value or "download" in downloads.links["excel"].value
    own = next(e for e in walk(book.widget) if isinstance(e, ExportPanel) and e is not downloads) \
        if any(isinstance(e, ExportPanel) and e is not downloads for e in walk(book.widget)) else None
    assert own is None or own.edition is None  # the application's own downloads offer no edition to choose


def downloaded(link) -> dict:
    """The document behind a download link of the page."""
    data = re.search(r"base64,([A-Za-z0-9+/=]+)", link.value).group(1)
    return yaml.safe_load(base64.b64decode(data))


def test_the_consensus_tab_follows_the_hand_ins_while_in_view_and_its_files_follow_the_agreement(store):
    from qkit.web.form.consensus import ConsensusPanel
    from qkit.web.form.fields import walk
    from qkit.web.form.workbook import Workbook

    applicant, lead_key, keys = team(store)
    book = Workbook(open_as(store, lead_key), "zh")
    book.tabs.selected_index = len(book.tabs.children) - 2  # 共识, opened before anyone handed in
    panel = next(e for e in walk(book.widget) if isinstance(e, ConsensusPanel))
    assert panel.adopt.disabled and "尚无评审员提交独立评分" in panel.rows.children[0].value
    scored_layer(store, keys["李娜"], {"5.2.2": 40, "5.2.3": 50})
    book._poll_shown()  # as the page does every few seconds while the tab is in view
    reason = next(e for e in walk(panel.assessors) if getattr(e, "placeholder", "").startswith("退回原因"))
    reason.value = "5.2.3 的评分依据不全"  # the lead starts typing why it goes back
    scored_layer(store, keys["赵六"], {"5.2.2": 60, "5.2.3": 55})
    book._poll_shown()
    assert not panel.adopt.disabled and set(panel._cards) >= {"5.2.2", "5.2.3"}
    assert reason.value == "5.2.3 的评分依据不全" and reason in list(walk(panel.assessors))  # kept as typed
    cards = panel.rows.children
    book._poll_shown()
    assert panel.rows.children == cards  # nothing new: nothing drawn again, nothing the lead typed is lost
    panel.adopt.click()
    panel.agreed_form.input_for(("clauses", "5.2.2", "score")).value = 45
    assert panel.agreed.save()
    assert downloaded(panel.downloads.links["yaml"])["clauses"]["5.2.2"]["score"] == 45  # the file as agreed
    reason.value = "5.2.3 的评分依据不全"
    next(e for e in walk(panel.assessors) if getattr(e, "description", "") == "退回重评").click()
    assert "已退回：5.2.3 的评分依据不全" in panel.assessors.children[0].children[0].value
    again = open_as(store, keys["李娜"])
    again.set(("clauses", "5.2.3", "score"), 55)
    assert again.save() and again.submit()
    book._poll_shown()
    assert panel.rows.children != cards  # drawn again from the new hand-in: the agreed score stays
    assert panel.agreed_form.input_for(("clauses", "5.2.2", "score")).value == 45
    assert all(widget.comm is not None for _, widget, _ in panel.agreed_form._bound)  # the old cards let go
