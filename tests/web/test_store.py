"""The store behind the web workbooks: revisions, stale saves, tokens, export, concurrent writers.

Every test taking ``store`` runs twice: on SQLite in a data folder and on a
fresh database of a real PostgreSQL server (``postgres`` in conftest).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import copy
from pathlib import Path

import pytest
import yaml

from qkit import check, load_rubric
from qkit.errors import QkitError
from qkit.web.store import (DB_NAME, SCHEMA_VERSION, StaleRevision, Store, access_path, data_dir, hash_token,
                        open_for_token, token_from_query)


@pytest.fixture
def store(any_store):
    """An empty store, on SQLite and on PostgreSQL in turn."""
    return any_store


def by_hand(store, statement: str) -> None:
    """One statement run on the store's database directly, as someone with the file or a database login could."""
    if store.path is not None:
        with sqlite3.connect(store.path) as db:
            db.execute(statement)
    else:
        import psycopg

        with psycopg.connect(store.location, autocommit=True) as db:
            db.execute(statement)


def scored(data: dict, clause: str, score) -> dict:
    data["clauses"][clause]["score"] = score
    return data


def test_new_applicant_starts_with_every_clause_unscored(store):
    applicant, token = store.add_applicant("  湖北华科精密制造股份有限公司 ", "hubei-manufacturing")
    assert applicant.name == "湖北华科精密制造股份有限公司" and applicant.latest == 1 and token
    first = store.latest(applicant.id)
    assert (first.number, first.parent, first.note) == (1, None, "")
    rubric = load_rubric("hubei-manufacturing")
    assert list(first.data["clauses"]) == [c.id for c in rubric.clauses]
    assert all(rating["score"] is None for rating in first.data["clauses"].values())
    assert first.data["applicant"]["name"] == "湖北华科精密制造股份有限公司"
    doc, problems = check(first.data)
    assert problems == [] and doc.rubric == "hubei-manufacturing"


def test_bad_applicant_input_is_refused_and_nothing_added(store):
    with pytest.raises(QkitError) as exc:
        store.add_applicant("某单位", "hubei-mining")
    assert exc.value.problems[0].code == "unknown_rubric" and "hubei-service" in exc.value.render()
    with pytest.raises(QkitError) as exc:
        store.add_applicant("  ", "hubei-service")
    assert exc.value.problems[0].field == "name" and exc.value.problems[0].code == "required"
    assert store.applicants() == []


def test_every_save_is_a_new_revision_and_old_ones_stay(store):
    applicant, _ = store.add_applicant("江城服务", "hubei-service")
    base = store.latest(applicant.id)
    for step, score in enumerate([30, 50, 70], start=2):
        saved = store.save(applicant.id, scored(base.data, "5.2.2", score), base=base.number, note=f"第{step}次")
        assert (saved.number, saved.parent, saved.note) == (step, step - 1, f"第{step}次")
        base = saved
    history = store.history(applicant.id)
    assert [r.number for r in history] == [4, 3, 2, 1]
    assert [r.data["clauses"]["5.2.2"]["score"] for r in history] == [70, 50, 30, None]
    assert store.applicants()[0].latest == 4
    # even by hand the revisions cannot be changed: the database itself refuses
    for statement in ["UPDATE revision SET document = 'x' WHERE number = 1", "DELETE FROM revision"] + (
            ["TRUNCATE revision CASCADE"] if store.path is None else []):
        with pytest.raises(Exception, match="revisions are never (changed|deleted)"):
            by_hand(store, statement)
    assert [r.data["clauses"]["5.2.2"]["score"] for r in store.history(applicant.id)] == [70, 50, 30, None]


def test_stale_save_is_refused_and_nothing_is_lost(store):
    applicant, _ = store.add_applicant("江城服务", "hubei-service")
    tab_a = store.latest(applicant.id)
    tab_b = store.latest(applicant.id)
    store.save(applicant.id, scored(tab_a.data, "5.2.2", 60), base=tab_a.number)
    with pytest.raises(StaleRevision) as exc:
        store.save(applicant.id, scored(tab_b.data, "5.2.2", 20), base=tab_b.number)
    assert exc.value.latest == 2
    assert "第 2 版" in exc.value.render("zh") and "刷新页面" in exc.value.render("zh")
    assert "reload" in exc.value.render("en")
    assert isinstance(exc.value, QkitError)
    assert [r.number for r in store.history(applicant.id)] == [2, 1]
    assert store.latest(applicant.id).data["clauses"]["5.2.2"]["score"] == 60


def test_unchanged_autosave_adds_no_revision(store):
    applicant, _ = store.add_applicant("江城服务", "hubei-service")
    first = store.latest(applicant.id)
    again = store.save(applicant.id, first.data, base=1)
    assert again.number == 1 and len(store.history(applicant.id)) == 1


def test_invalid_input_is_kept_as_typed(store):
    applicant, _ = store.add_applicant("江城服务", "hubei-service")
    data = scored(store.latest(applicant.id).data, "5.2.2", "三十三")
    data["assessment"]["date"] = "2026-13-45"
    saved = store.save(applicant.id, data, base=1)
    assert store.latest(applicant.id).data == data == saved.data
    _, problems = check(saved.data)
    assert {p.field for p in problems} == {"clauses/5.2.2/score", "assessment/date"}


def test_restore_makes_a_new_revision(store):
    applicant, _ = store.add_applicant("江城服务", "hubei-service")
    first = store.latest(applicant.id)
    second = store.save(applicant.id, scored(first.data, "5.2.2", 80), base=1)
    restored = store.restore(applicant.id, 1, base=2)
    assert (restored.number, restored.parent, restored.note) == (3, 2, "恢复自第 1 版")
    assert restored.data == store.history(applicant.id)[-1].data
    assert store.history(applicant.id)[1].data == second.data  # the restored-over revision is kept
    with pytest.raises(StaleRevision):
        store.restore(applicant.id, 2, base=2)
    with pytest.raises(QkitError) as exc:
        store.restore(applicant.id, 9, base=3)
    assert exc.value.problems[0].code == "unknown_revision" and "第 1 到第 3 版" in exc.value.render()
    with pytest.raises(QkitError) as exc:
        store.latest(99)
    assert exc.value.problems[0].code == "unknown_applicant"


def test_tokens_are_stored_hashed_only(store, request):
    tokens = [store.add_applicant(f"单位{i}", "wuhan-service")[1] for i in range(3)]
    if store.path is not None:
        files = b"".join(p.read_bytes() for p in store.dir.iterdir() if p.is_file())
    else:  # everything the database holds, as pg_dump writes it out
        files = request.getfixturevalue("postgres").run("pg_dump", store.location).stdout.encode()
    assert files and b"wuhan-service" in files  # the database (and its write-ahead log) exist
    for token in tokens:
        assert token.encode() not in files
        assert hash_token(token).encode() in files
    assert len(set(tokens)) == 3 and all(len(t) >= 32 for t in tokens)


def test_token_lookup(store):
    applicant, token = store.add_applicant("光谷制造", "wuhan-manufacturing")
    store.add_applicant("汉江服务", "wuhan-service")
    assert store.applicant_for_token(token) == applicant
    for wrong in [None, "", token[:-1], token + "x", hash_token(token)]:
        assert store.applicant_for_token(wrong) is None


def test_renewed_token_replaces_the_old_one(store):
    applicant, old = store.add_applicant("光谷制造", "wuhan-manufacturing")
    new = store.renew_token(applicant.id)
    assert new != old and store.applicant_for_token(new) == applicant
    assert store.applicant_for_token(old) is None
    assert [r.number for r in store.history(applicant.id)] == [1]  # the document is untouched
    with pytest.raises(QkitError) as exc:
        store.renew_token(42)
    assert exc.value.problems[0].code == "unknown_applicant"


def test_access_link_and_query_string(store):
    applicant, token = store.add_applicant("光谷制造", "wuhan-manufacturing")
    path = access_path(applicant, token)
    assert path == f"/voila/render/wuhan-manufacturing.ipynb?key={token}"
    query = path.split("?", 1)[1]
    assert token_from_query(query) == token
    assert token_from_query(f"lang=en&{query}") == token
    for missing in [None, "", "key=", "key=%20", "token=" + token, "lang=en"]:
        assert token_from_query(missing) is None
    opened = open_for_token(store.location, query)
    assert opened[0] == applicant and opened[1].number == 1
    assert open_for_token(store.location, "key=wrong") is None
    assert open_for_token(store.location, "") is None


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QKIT_DATA", raising=False)
    assert data_dir(None) == tmp_path / "qkit-data"
    monkeypatch.setenv("QKIT_DATA", str(tmp_path / "env"))
    assert data_dir(None) == tmp_path / "env"
    assert data_dir("given") == tmp_path / "given"
    url = "postgresql://qkit@db.example.com/qkit"
    assert data_dir(url) == url and data_dir("postgres://qkit@db/qkit") == "postgres://qkit@db/qkit"
    monkeypatch.setenv("QKIT_DATA", url)
    assert data_dir(None) == url  # a URL stays a URL, wherever it comes from
    for other in ["mysql://qkit@db/qkit", "sqlite:///data.db", str(Path(url))]:  # Path() mangles a URL to postgresql:/
        with pytest.raises(QkitError) as exc:
            data_dir(other)
        assert exc.value.problems[0].field == "--data" and "postgresql://" in exc.value.render()


def test_a_database_password_never_shows(postgres_url):
    from qkit.web.store import redact

    assert redact("postgresql://qkit:s3cret@db.example.com:5432/qkit") == "postgresql://qkit:***@db.example.com:5432/qkit"
    assert redact("postgresql:///qkit?host=/run/pg&password=s3cret") == "postgresql:///qkit?host=/run/pg&password=***"
    assert redact("/srv/qkit-data") == "/srv/qkit-data"
    wrong = postgres_url.replace("postgres@", "nobody:s3cret@")  # no such role: the server refuses the login
    with pytest.raises(QkitError) as exc:
        Store(wrong)
    assert exc.value.problems[0].code == "store_unreachable"
    assert "s3cret" not in exc.value.render("zh") and "nobody" in exc.value.render("en")
    with pytest.raises(QkitError) as exc:
        Store("postgresql://qkit:s3cret@[db")  # a URL libpq cannot parse echoes it: the password is scrubbed
    assert "s3cret" not in exc.value.render("en") and "***" in exc.value.render("en")


def test_database_file_settings(tmp_path):
    store = Store(tmp_path)
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(QkitError) as exc:
        Store(store.dir)
    assert exc.value.problems[0].code == "store_newer"


def test_postgres_keeps_its_schema_version_in_a_table(postgres_url):
    import psycopg

    store = Store(postgres_url)
    assert store.schema_version() == SCHEMA_VERSION and store.dir is None and store.path is None
    with psycopg.connect(postgres_url, autocommit=True) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        db.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(QkitError) as exc:
        Store(postgres_url)
    assert exc.value.problems[0].code == "store_newer" and "qkit_test" in exc.value.problems[0].field


def test_a_later_schema_version_is_reached_by_its_migration_on_both_backends(store, monkeypatch):
    """The versioned migrations: a store of the current version is brought to the next by its step, once."""
    from qkit.web.store import base, schema

    applicant, token = store.add_applicant("江城服务", "hubei-service")
    step = ("ALTER TABLE applicant ADD COLUMN region TEXT NOT NULL DEFAULT '湖北'",)
    monkeypatch.setattr(base, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(schema.MIGRATIONS, SCHEMA_VERSION, step)
    monkeypatch.setitem(schema.PG_MIGRATIONS, SCHEMA_VERSION, step)
    upgraded = Store(store.location)
    assert upgraded.schema_version() == SCHEMA_VERSION + 1
    with upgraded._connect() as db:
        assert db.execute("SELECT region FROM applicant").fetchall() == [("湖北",)]
    assert Store(store.location).schema_version() == SCHEMA_VERSION + 1  # opened again: nothing more to do
    assert upgraded.applicant_for_token(token) == applicant and len(upgraded.history(applicant.id)) == 1


def test_unreadable_database_is_a_problem(tmp_path):
    (tmp_path / DB_NAME).write_bytes(b"this is not a database, just some text " * 100)
    with pytest.raises(QkitError) as exc:
        Store(tmp_path)
    assert exc.value.problems[0].code == "store_unreadable"


def test_export_writes_every_latest_document(store, tmp_path):
    first, _ = store.add_applicant("光谷制造/总部", "wuhan-manufacturing")
    second, _ = store.add_applicant("陈明", "wuhan-individual")
    store.save(second.id, scored(store.latest(second.id).data, "1.1", 90), base=1)
    paths = store.export(tmp_path / "out" / "docs")
    assert [p.name for p in paths] == ["001-光谷制造-总部.yaml", "002-陈明.yaml"]
    assert yaml.safe_load(paths[1].read_text(encoding="utf-8")) == store.latest(second.id).data
    assert "score: 90" in paths[1].read_text(encoding="utf-8")


# --- two writer processes --------------------------------------------------------------

SAVES_PER_WRITER = 200


def _writer(folder: str, applicant_id: int, tag: str, start, results) -> None:
    """Save SAVES_PER_WRITER times, re-reading the latest revision whenever a save was stale."""
    store = Store(folder if "://" in folder else Path(folder))
    saved, stale = [], 0
    start.wait()
    try:
        for i in range(SAVES_PER_WRITER):
            while True:
                latest = store.latest(applicant_id)
                data = latest.data
                data["applicant"]["contact"] = f"{tag}-{i}"
                try:
                    saved.append(store.save(applicant_id, data, base=latest.number).number)
                    break
                except StaleRevision:
                    stale += 1
    except Exception as exc:  # reported to the test instead of leaving it waiting
        saved.append(repr(exc))
    results.put((tag, saved, stale))


def test_two_writer_processes_lose_no_revision(store):
    applicant, _ = store.add_applicant("陈明", "wuhan-individual")
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    writers = [ctx.Process(target=_writer, args=(store.location, applicant.id, tag, start, results))
               for tag in ("a", "b")]
    for w in writers:
        w.start()
    start.set()
    outcome = {tag: (saved, stale) for tag, saved, stale in (results.get(timeout=240) for _ in writers)}
    for w in writers:
        w.join(timeout=30)
        assert w.exitcode == 0
    numbers = outcome["a"][0] + outcome["b"][0]
    print("stale saves retried:", outcome["a"][1] + outcome["b"][1])
    assert len(numbers) == 2 * SAVES_PER_WRITER and len(set(numbers)) == len(numbers)
    history = store.history(applicant.id)
    assert len(history) == 1 + len(numbers)
    assert sorted(r.number for r in history) == list(range(1, len(history) + 1))
    assert all(r.parent == r.number - 1 for r in history if r.number > 1)
    by_number = {r.number: r.data["applicant"].get("contact") for r in history}
    for tag in ("a", "b"):  # every successful save is stored as its writer made it
        assert [by_number[n] for n in outcome[tag][0]] == [f"{tag}-{i}" for i in range(SAVES_PER_WRITER)]


# --- copying into PostgreSQL, backups ---------------------------------------------------------


def filled_store(folder: Path) -> tuple[Store, dict[str, str]]:
    """A SQLite store with two applicants, their teams (one member revoked), authored and restored revisions."""
    store = Store(folder)
    first, lead_key = store.add_applicant("光谷制造", "wuhan-manufacturing", lead="张伟")
    writer, writer_key = store.add_member(first.id, "王强", "writer", ["5.2"])
    leaver, _ = store.add_member(first.id, "赵六", "assessor")
    data = store.latest(first.id).data
    store.save(first.id, scored(data, "5.2.2", 60), base=1, author=writer)
    store.save(first.id, scored(data, "5.2.3", 75), base=2, author=store.member(first.id), note="评审前")
    store.restore(first.id, 2, base=3, author=store.member(first.id))
    store.save_layer(first.id, leaver, {"clauses": {"5.2.2": {"score": 50}}}, submit=True)
    store.save_consensus(first.id, {"clauses": {"5.2.2": {"score": 55, "notes": "共识"}}}, base=0,
                         author=store.member(first.id))
    store.set_due(first.id, "5.2", "2026-12-10", author=store.member(first.id))
    store.mark_opened(first.id, leaver)
    store.new_cycle(first.id, "2027")
    store.revoke(first.id, leaver.id)
    second, second_key = store.add_applicant("陈明", "wuhan-individual")
    store.save(second.id, scored(store.latest(second.id).data, "1.1", 90), base=1)
    return store, {"lead": lead_key, "writer": writer_key, "second": second_key}


def everything(store: Store) -> list:
    """What a store holds, as its API reads it: applicants, members, every revision in full, cycles, rounds, due
    dates and first openings."""
    return [(a, store.members(a.id), store.history(a.id), store.cycles(a.id),
             [(store.layers(a.id, c.number), store.consensus(a.id, c.number), store.deadlines(a.id, c.number),
               store.openings(a.id, c.number)) for c in store.cycles(a.id)])
            for a in store.applicants()]


def test_migrate_copies_a_folder_store_into_postgres_as_it_is(cli, tmp_path, postgres_url):
    source, keys = filled_store(tmp_path / "data")
    code, out, err = cli("store", "migrate", "--from", tmp_path / "data", "--to", postgres_url)
    assert code == 0, err
    assert "申报单位：原有 2，复制后 2" in out and "成员：原有 4，复制后 4" in out and "版本：原有 7，复制后 7" in out
    assert "评价周期：原有 3，复制后 3" in out and "评审记录（独立评分与共识）：原有 2，复制后 2" in out
    assert "截止日期：原有 1，复制后 1" in out and "首次打开页面的记录：原有 1，复制后 1" in out
    target = Store(postgres_url)
    assert everything(target) == everything(source)  # ids, numbers, authors, times, notes, what changed
    assert [r.author for r in target.history(1)] == [None, "张伟", "张伟", "王强", "张伟"]
    assert target.history(1)[0].changed == source.history(1)[0].changed != ()
    assert target.applicant_for_token(keys["writer"]).id == 1 and target.applicant_for_token(keys["second"]).id == 2
    third, _ = target.add_applicant("汉江服务", "wuhan-service")  # numbering continues after the copied rows
    member, _ = target.add_member(1, "李娜")
    assert third.id == 3 and member.id == 6
    saved = target.save(2, scored(target.latest(2).data, "1.2", 80), base=2)
    assert saved.number == 3 and saved.parent == 2
    with pytest.raises(Exception, match="never"):
        by_hand(target, "UPDATE revision SET note = 'x'")

    code, _, err = cli("store", "migrate", "--from", tmp_path / "data", "--to", postgres_url)
    assert code == 1 and "--to" in err and "已有数据" in err and "applicant 3" in err  # never copied on top
    assert target.counts() == {"applicant": 3, "member": 6, "revision": 9, "cycle": 4, "assessment": 2, "deadline": 1,
                               "opened": 1, "file": 0, "attachment": 0}
    code, _, err = cli("store", "migrate", "--from", tmp_path / "data", "--to", tmp_path / "elsewhere", "--lang", "en")
    assert code == 1 and "--to" in err and "postgresql://" in err and not (tmp_path / "elsewhere").exists()


def test_backup_while_in_use_restores_to_the_same_store(cli, tmp_path):
    source, keys = filled_store(tmp_path / "data")
    open_elsewhere = sqlite3.connect(source.path)  # a server reading meanwhile
    open_elsewhere.execute("BEGIN")
    open_elsewhere.execute("SELECT COUNT(*) FROM revision").fetchone()
    code, out, err = cli("store", "backup", "--data", tmp_path / "data", "--to", tmp_path / "backups" / "qkit-1.sqlite3")
    open_elsewhere.close()
    assert code == 0, err
    assert "2 个申报单位，7 个版本" in out
    restored = tmp_path / "restored"
    restored.mkdir()
    (tmp_path / "backups" / "qkit-1.sqlite3").rename(restored / DB_NAME)
    again = Store(restored)
    assert everything(again) == everything(source)
    assert again.applicant_for_token(keys["lead"]).name == "光谷制造"
    assert list((tmp_path / "backups").iterdir()) == []  # no temporary file left beside it

    code, _, err = cli("store", "backup", "--data", tmp_path / "data", "--to", source.path)
    assert code == 1 and "不能备份到正在使用的数据库文件上" in err
    code, _, err = cli("store", "backup", "--data", tmp_path / "data", "--to", tmp_path)
    assert code == 1 and "这是一个文件夹" in err
    assert everything(Store(tmp_path / "data")) == everything(source)


def test_a_postgres_store_is_backed_up_with_pg_dump(cli, postgres, postgres_url, tmp_path):
    """The commands docs/deploy.md gives: pg_dump -Fc, then pg_restore into an empty database."""
    store = Store(postgres_url)
    applicant, key = store.add_applicant("江城服务", "hubei-service")
    store.save(applicant.id, scored(store.latest(applicant.id).data, "5.2.2", 55), base=1)
    code, _, err = cli("store", "backup", "--data", postgres_url, "--to", tmp_path / "x.sqlite3")
    assert code == 1 and "pg_dump" in err and not (tmp_path / "x.sqlite3").exists()
    dump = tmp_path / "qkit.dump"
    postgres.run("pg_dump", "--format=custom", f"--file={dump}", postgres_url)
    fresh = postgres.new_database()
    postgres.run("pg_restore", "--no-owner", f"--dbname={fresh}", str(dump))
    restored = Store(fresh)
    assert everything(restored) == everything(store) and restored.applicant_for_token(key).id == applicant.id
    assert restored.add_applicant("汉江服务", "hubei-service")[0].id == 2
    with pytest.raises(Exception, match="never"):
        by_hand(restored, "DELETE FROM revision")


# --- revisions kept as changes -----------------------------------------------------------------


def test_every_revision_of_a_long_random_history_is_rebuilt_exactly(store):
    """Saves of every kind (scores, texts, list entries added and removed, KPI years, fields removed, keys in a new
    order, a whole new document): each revision, rebuilt from the whole one before it and the changes since, is
    what was saved, to the order of its keys."""
    import random

    from qkit.web.store.revisions import SNAPSHOT_EVERY
    from qkit.web.store.schema import dump

    rng = random.Random(20261204)
    applicant, _ = store.add_applicant("江城服务", "hubei-service")
    data = store.latest(applicant.id).data
    saved, latest = {1: copy.deepcopy(data)}, 1
    clauses = [c for c in data["clauses"]]
    for number in range(2, 3 * SNAPSHOT_EVERY + 40):
        cid, kind = rng.choice(clauses), rng.randrange(8)
        rating = data["clauses"].setdefault(cid, {})
        if kind == 0:
            rating["score"] = rng.choice([None, 5 * rng.randrange(21), 37.5, "约五十"])
        elif kind == 1:
            rating.setdefault("strengths", []).append(f"优势{number}" * rng.randrange(1, 4))
        elif kind == 2 and rating.get("strengths"):
            rating["strengths"].pop(rng.randrange(len(rating["strengths"])))
        elif kind == 3:
            data.setdefault("results", []).append({"clause": "5.2.4", "name": f"指标{number}",
                                                   "values": {2020 + rng.randrange(6): rng.random()}})
        elif kind == 4 and data.get("results"):
            data["results"][rng.randrange(len(data["results"]))]["values"][f"{2020 + rng.randrange(6)}年"] = number
        elif kind == 5:
            data["clauses"].pop(cid, None)
        elif kind == 6:
            data["clauses"][cid] = dict(reversed(list(rating.items())))  # the same fields in a new order
        else:
            data = {"rubric": data["rubric"], "applicant": {"name": f"改名{number}"}, **{
                k: v for k, v in data.items() if k not in ("rubric", "applicant")}}
        revision = store.save(applicant.id, copy.deepcopy(data), base=latest)
        if revision.number != latest:  # nothing changed adds no revision
            latest = revision.number
            saved[latest] = copy.deepcopy(data)
    assert latest > 3 * SNAPSHOT_EVERY
    fresh = Store(store.location)  # nothing remembered: every revision read from the database
    for number, expected in saved.items():
        assert dump(fresh.revision(applicant.id, number).data) == dump(expected), number
    with fresh._connect() as db:
        whole = [n for (n,) in db.execute("SELECT number FROM revision WHERE applicant_id = ? AND document <> ''"
                                          " ORDER BY number", (applicant.id,))]
    assert whole == [n for n in range(1, latest + 1) if (n - 1) % SNAPSHOT_EVERY == 0]


def test_a_revision_takes_the_room_of_its_change_not_of_the_document(store):
    applicant, _ = store.add_applicant("江城服务", "hubei-service")
    data = store.latest(applicant.id).data
    data["clauses"]["5.2.2"] = {"narrative": "长段落。" * 3000}
    store.save(applicant.id, data, base=1)
    data["clauses"]["5.2.2"]["score"] = 60
    store.save(applicant.id, data, base=2)
    with store._connect() as db:
        sizes = dict(db.execute("SELECT number, LENGTH(document) + COALESCE(LENGTH(delta), 0) FROM revision"
                                " WHERE applicant_id = ?", (applicant.id,)).fetchall())
    assert sizes[3] < 100 < 12000 < sizes[2] + sizes[1]  # a score: some dozens of characters
