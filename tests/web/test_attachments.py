"""Evidence files in the store (both backends): kept once per content, never changed or lost, refused when they break
a limit or come from someone who may not write the clause; attached from the form's session; the package made from
the store; a schema of 6 brought up to date; attachments copied into PostgreSQL by qkit store migrate."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from support.chromium import needs_chromium
from support.evidence import EVIDENCE, excel_file, PDF, PLACED, png, sample_data
from support.servers import serving
from qkit import evidence, load_rubric
from qkit.errors import QkitError
from qkit.web.session import Session
from qkit.web.store import NotAllowed, Store
from qkit.web.store.records import AccessEnded
from qkit.web.store.schema import SCHEMA_VERSION

RUBRIC = "hubei-manufacturing"


def by_hand(store: Store, statement: str, params: tuple = ()) -> None:
    """One statement run on the database directly, as someone with the file or a database login could."""
    if store.path is not None:
        with sqlite3.connect(store.path) as db:
            db.execute(statement, params)
    else:
        import psycopg

        with psycopg.connect(store.location, autocommit=True) as db:
            db.execute(statement.replace("?", "%s"), params)


def team(store: Store) -> tuple[int, dict]:
    """华科精密 with its lead 张伟, 王强 writing 5.2 and 刘洋 writing 5.3."""
    applicant, _ = store.add_applicant("湖北华科精密制造股份有限公司", RUBRIC, lead="张伟")
    members = {"张伟": store.member(applicant.id)}
    for name, items in (("王强", ["5.2"]), ("刘洋", ["5.3"])):
        members[name] = store.add_member(applicant.id, name, "writer", items)[0]
    return applicant.id, members


def session_of(store: Store, applicant: int, member) -> Session:
    latest = store.latest(applicant)
    return Session(load_rubric(RUBRIC), latest.data, store=store, applicant_id=applicant, base=latest.number,
                   member=member, autosave_delay=None)


# --- the store ------------------------------------------------------------------------------


def test_a_file_is_kept_once_per_content_and_never_changed_or_lost(any_store):
    applicant, members = team(any_store)
    first = any_store.attach(applicant, "5.3.2", "战略规划管理办法.pdf", PDF, members["刘洋"])
    again = any_store.attach(applicant, "5.3.3", "规划办法（副本）.pdf", PDF, members["张伟"])
    assert first.sha256 == again.sha256 == evidence.digest(PDF) and first.size == len(PDF)
    assert any_store.counts()["file"] == 1 and any_store.counts()["attachment"] == 2  # the content once
    assert [(a.name, a.clause, a.author) for a in any_store.attachments(applicant)] == [
        ("战略规划管理办法.pdf", "5.3.2", "刘洋"), ("规划办法（副本）.pdf", "5.3.3", "张伟")]
    assert any_store.file_content(applicant, first.sha256) == PDF
    other, _ = any_store.add_applicant("光谷制造", "wuhan-manufacturing")
    assert any_store.file_content(other.id, first.sha256) is None  # another applicant's file is not theirs to read
    for statement in ("UPDATE file SET content = ?", "DELETE FROM file", "UPDATE attachment SET name = 'x'",
                      "DELETE FROM attachment"):
        with pytest.raises(Exception, match="never"):
            by_hand(any_store, statement, (b"x",) if "?" in statement else ())
    assert any_store.file_content(applicant, first.sha256) == PDF


def test_the_store_refuses_a_writer_outside_their_items_and_a_file_breaking_a_limit(any_store, monkeypatch):
    applicant, members = team(any_store)
    with pytest.raises(NotAllowed) as caught:
        any_store.attach(applicant, "5.3.2", "a.pdf", PDF, members["王强"])  # he writes 5.2
    assert caught.value.problems[0].code == "not_your_item" and "5.2" in caught.value.problems[0].render()
    with pytest.raises(QkitError) as caught:
        any_store.attach(applicant, "5.2.2", "程序.exe", b"MZ\x90\x00", members["王强"])
    assert caught.value.problems[0].code == "evidence_type"
    with pytest.raises(QkitError) as caught:
        any_store.attach(applicant, "5.2.2", "大.pdf", PDF + b"0" * evidence.MAX_FILE_BYTES, members["王强"])
    assert caught.value.problems[0].code == "evidence_too_big"
    monkeypatch.setattr("qkit.web.store.attachments.MAX_APPLICANT_BYTES", len(PDF) + 100)
    any_store.attach(applicant, "5.2.2", "a.pdf", PDF, members["王强"])
    any_store.attach(applicant, "5.2.3", "a-again.pdf", PDF, members["王强"])  # the same content takes no more room
    with pytest.raises(QkitError) as caught:
        any_store.attach(applicant, "5.2.2", "b.png", png(), members["王强"])
    assert caught.value.problems[0].code == "evidence_total"
    any_store.revoke(applicant, members["刘洋"].id)
    with pytest.raises(AccessEnded):
        any_store.attach(applicant, "5.3.2", "c.pdf", PDF, members["刘洋"])
    assert any_store.counts()["attachment"] == 2


def test_a_store_of_schema_6_gets_its_evidence_tables(any_store):
    applicant, members = team(any_store)
    with any_store._connect() as db, any_store._write(db):
        db.execute("DROP TABLE attachment")
        db.execute("DROP TABLE file")
        if any_store.path:
            db.execute("PRAGMA user_version=6")
        else:
            db.execute("UPDATE schema_version SET version = 6")
    upgraded = Store(any_store.location)
    assert upgraded.schema_version() == SCHEMA_VERSION == 7
    kept = upgraded.attach(applicant, "5.3.2", "a.pdf", PDF, members["刘洋"])
    assert upgraded.file_content(applicant, kept.sha256) == PDF
    with pytest.raises(Exception, match="never"):
        by_hand(upgraded, "DELETE FROM file")


# --- the session: attaching from the form ---------------------------------------------------------


def test_a_writer_attaches_a_file_to_their_clause_and_it_is_saved_with_the_application(store):
    applicant, members = team(store)
    session = session_of(store, applicant, members["刘洋"])
    assert session.may_attach("5.3.2") and not session.may_attach("5.2.2")
    assert session.attach("5.3.2", "战略规划管理办法.pdf", PDF, today=dt.date(2026, 3, 9)) is None
    assert session.attach("5.3.3", "指标台账.xlsx", excel_file(), today=dt.date(2026, 3, 9)) is None
    entries = session.value(("clauses", "5.3.2", "evidence_files"))
    assert entries == [{"number": "5.3-1", "title": "战略规划管理办法", "date": "2026-03-09", "owner": "刘洋",
                        "file": "战略规划管理办法.pdf", "sha256": evidence.digest(PDF)}]
    assert session.value(("clauses", "5.3.3", "evidence_files", 0, "number")) == "5.3-2"  # the item's next number
    assert not [p for p in session.problems if "evidence" in p.field]
    session.save()
    saved = store.latest(applicant)
    assert saved.data["clauses"]["5.3.2"]["evidence_files"][0]["sha256"] == evidence.digest(PDF)
    assert saved.author == "刘洋" and session.evidence_content(evidence.digest(PDF)) == PDF


def test_the_session_refuses_a_file_the_member_may_not_attach_or_that_breaks_a_limit(store):
    applicant, members = team(store)
    session = session_of(store, applicant, members["王强"])
    refused = session.attach("5.3.2", "a.pdf", PDF)
    assert refused.code == "not_your_item" and session.alert is refused
    too_big = session.attach("5.2.2", "扫描件.pdf", PDF + b"0" * evidence.MAX_FILE_BYTES)
    assert too_big.code == "evidence_too_big" and "5 MB" in session.describe(too_big)
    wrong = session.attach("5.2.2", "宏.docm", b"PK")
    assert wrong.code == "evidence_type" and "PDF" in session.describe(wrong, "en")
    faked = session.attach("5.2.2", "证书.pdf", png())
    assert faked.code == "evidence_content"
    assert session.value(("clauses", "5.2.2", "evidence_files")) is None and store.counts()["file"] == 0


# --- the package from the store --------------------------------------------------------------------


def stored_sample(store: Store) -> tuple[int, dict]:
    """The sample applicant's application in the store, its files attached from the form as its team would."""
    applicant, members = team(store)
    data = sample_data()
    for clause in EVIDENCE:
        data["clauses"][clause].pop("evidence_files")
    data["profile"]["narrative"] = data["profile"]["narrative"].replace(PLACED, "")
    data["clauses"]["5.3.2"]["narrative"] = data["clauses"]["5.3.2"]["narrative"].split("\n\n战略规划管理办法见")[0]
    store.save(applicant, data, base=1, author=members["张伟"])
    session = session_of(store, applicant, members["张伟"])
    for clause, entries in EVIDENCE.items():
        for number, title, date, owner, name, content in entries:
            assert session.attach(clause, name.split("/")[-1], content()) is None
            at = ("clauses", clause, "evidence_files", len(session.value(("clauses", clause, "evidence_files"))) - 1)
            assert session.value(at + ("number",)) == number
            for key, value in (("title", title), ("date", date), ("owner", owner)):
                session.set(at + (key,), value)
    session.set(("profile", "narrative"), session.value(("profile", "narrative")) + PLACED)
    session.set(("clauses", "5.3.2", "narrative"), session.value(("clauses", "5.3.2", "narrative"))
                + "\n\n战略规划管理办法见[[证据:5.3-1]]，研讨过程见[[证据:5.3-2]]。")
    assert session.problems == []
    session.save()
    return applicant, members


def test_qkit_package_from_the_store_is_the_package_from_the_file(cli, tmp_path, store):
    from support.evidence import sample_with_evidence

    applicant, _ = stored_sample(store)
    code, out, err = cli("package", str(applicant), "-o", tmp_path / "从存储", "--data", store.location)
    assert code == 0, err
    path = sample_with_evidence(tmp_path / "file")
    code, _, err = cli("package", path, "-o", tmp_path / "从文件")
    assert code == 0, err
    names = {folder: sorted(p.relative_to(tmp_path / folder).as_posix() for p in (tmp_path / folder).rglob("*"))
             for folder in ("从存储", "从文件")}
    assert names["从存储"] == names["从文件"]
    for name in names["从存储"]:
        if name.startswith("证实性材料/"):
            assert (tmp_path / "从存储" / name).read_bytes() == (tmp_path / "从文件" / name).read_bytes(), name
    code, _, err = cli("package", str(applicant), "-o", tmp_path / "x", "--data", store.location, "--evidence",
                       tmp_path)
    assert code == 1 and "--evidence" in err


def test_the_leads_page_makes_the_word_report_and_the_package(store):
    applicant, members = stored_sample(store)
    lead = session_of(store, applicant, members["张伟"])
    writer = session_of(store, applicant, members["王强"])
    assert lead.offers_package and not writer.offers_package
    with pytest.raises(QkitError) as caught:
        writer.application_file("package")
    assert caught.value.problems[0].code == "package_leads_only"
    name, content, mime = lead.application_file("package")()
    assert mime == "application/zip" and name.endswith("申报材料.zip")
    import io

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.read("证实性材料/5.3-1 战略规划管理办法.pdf") == PDF
        assert {"概述.docx", "自评报告.docx", "自评表.docx", "自评表.xlsx", "证实性材料目录.docx"} <= set(archive.namelist())
    name, content, _ = lead.application_file("docx")()
    assert name.endswith(".自评报告.docx") and content[:2] == b"PK"


# --- qkit store migrate ------------------------------------------------------------------------------


def test_attachments_survive_a_migration_into_postgres(cli, tmp_path, postgres_url):
    source = Store(tmp_path / "data")
    applicant, members = stored_sample(source)
    code, out, err = cli("store", "migrate", "--from", tmp_path / "data", "--to", postgres_url)
    assert code == 0, err
    assert "证据文件（按内容各存一份）：原有 4，复制后 4" in out and "证据文件上传记录：原有 4，复制后 4" in out
    target = Store(postgres_url)
    assert target.attachments(applicant) == source.attachments(applicant)
    for entries in target.latest(applicant).data["clauses"].values():
        for entry in entries.get("evidence_files", []):
            assert target.file_content(applicant, entry["sha256"]) == source.file_content(applicant, entry["sha256"])
    code, _, err = cli("package", str(applicant), "-o", tmp_path / "包", "--data", postgres_url)
    assert code == 0, err
    assert (tmp_path / "包" / "证实性材料" / "5.3-1 战略规划管理办法.pdf").read_bytes() == PDF
    again = target.attach(applicant, "5.2.2", "新.pdf", PDF + b"%", members["王强"])  # numbering continues
    assert target.file_content(applicant, again.sha256) == PDF + b"%"
    assert yaml.safe_load(yaml.safe_dump(target.latest(applicant).data))  # the document reads back as it was


# --- the form ----------------------------------------------------------------------------------------


def uploaded(name: str, content: bytes) -> tuple[dict, ...]:
    """What a page's upload button holds once a file is chosen (ipywidgets' FileUpload value)."""
    return ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
             "last_modified": dt.datetime(2026, 3, 9, tzinfo=dt.timezone.utc)},)


def evidence_lists(book) -> dict:
    from qkit.web.form.evidence import EvidenceFileList
    from qkit.web.form.fields import walk

    return {e.clause_id: e for e in walk(book.widget) if isinstance(e, EvidenceFileList)}


def test_the_form_attaches_a_file_lists_it_and_says_a_refusal(store):
    import ipywidgets as w
    from support.widgets import page_text

    from qkit.web.form.fields import walk
    from qkit.web.form.workbook import Workbook

    applicant, members = team(store)
    session = session_of(store, applicant, members["刘洋"])
    book = Workbook(session, "zh")
    book.tabs.selected_index = book.tab_of(("clauses", "5.3.2"))
    files = evidence_lists(book)["5.3.2"]
    assert "PDF、PNG、JPEG、Word、Excel" in files.children[0].value and "5 MB" in files.children[0].value
    files.upload.value = uploaded("战略规划管理办法.pdf", PDF)
    assert files.upload.value == () and "已上传为证据 5.3-1" in files.said.value and "[[证据:5.3-1]]" in files.said.value
    (row,) = files.entries.children
    assert "证据5.3-1" in row.children[0].children[0].value
    files.upload.value = uploaded("组织架构.png", png())
    assert "[[插图:5.3-2]]" in files.said.value  # an image can be placed in the narrative
    files.upload.value = uploaded("程序.exe", b"MZ\x90\x00")
    assert "不接受这种文件" in files.said.value and len(files.entries.children) == 2
    files.upload.value = uploaded("扫描件.pdf", PDF + b"0" * evidence.MAX_FILE_BYTES)
    assert "超过了每份证据 5 MB 的上限" in files.said.value and len(files.entries.children) == 2
    title = next(b for b in walk(files.entries.children[0]) if isinstance(b, w.Text))
    title.value = "战略规划管理办法（2025 年修订）"  # typed in its box: the same box stays, the cursor in it
    assert next(b for b in walk(files.entries.children[0]) if isinstance(b, w.Text)) is title
    assert session.value(("clauses", "5.3.2", "evidence_files", 0, "title")) == "战略规划管理办法（2025 年修订）"
    date = ("clauses", "5.3.2", "evidence_files", 0, "date")
    session.set(date, "2026-13-01")  # a day that does not exist, typed in the file's date box
    (said,) = session.messages(date)
    assert said.startswith("5.3.2 战略制定 · 证据文件第 1 份 · 日期：") and said in page_text(files)
    book.tabs.selected_index = book.tab_of(("clauses", "5.2.2"))
    assert not hasattr(evidence_lists(book)["5.2.2"], "upload")  # 王强's item: no upload for 刘洋


# --- the package opened in LibreOffice ---------------------------------------------------------------

TABLE_CAPTION = re.compile(r"^表\s*\d")  # 表5.7-1 …: a table's caption, which must never end a page


def pages_of(pdf: Path) -> list[list[str]]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    return [[line.strip() for line in page.decode("utf-8").splitlines() if line.strip()] for page in text.split(b"\f")]


def as_pdf(folder: Path, names: list[str]) -> dict[str, list[list[str]]]:
    """Each file laid out by LibreOffice as a PDF (in pdf/docx/, pdf/xlsx/: 自评表 is both), its pages' lines."""
    for suffix in {Path(n).suffix for n in names}:
        subprocess.run(["soffice", f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(folder / "pdf" / suffix[1:]),
                        *[str(folder / n) for n in names if n.endswith(suffix)]],
                       capture_output=True, check=True, timeout=600)
    return {n: pages_of(folder / "pdf" / Path(n).suffix[1:] / f"{Path(n).stem}.pdf") for n in names}


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice and poppler-utils (scripts/setup installs them)")
def test_the_package_from_the_store_and_from_a_file_opens_in_libreoffice(cli, tmp_path, store):
    import docx

    from support.evidence import sample_with_evidence

    applicant, _ = stored_sample(store)
    assert cli("package", str(applicant), "-o", tmp_path / "store", "--data", store.location)[0] == 0
    assert cli("package", sample_with_evidence(tmp_path / "file"), "-o", tmp_path / "file" / "包")[0] == 0
    names = ["概述.docx", "自评报告.docx", "自评表.docx", "证实性材料目录.docx", "自评表.xlsx"]
    shown = {where: as_pdf(folder, names) for where, folder in (("store", tmp_path / "store"),
                                                                 ("file", tmp_path / "file" / "包"))}
    for name in names:  # the same package, page by page, whichever way it was made
        assert shown["store"][name] == shown["file"][name], name
    pages = shown["store"]["自评报告.docx"]
    contents = [line for line in pages[1] if re.search(r"\.{3,}\s*\d+$", line)]
    heads = [p.text for p in docx.Document(tmp_path / "store" / "自评报告.docx").paragraphs
             if p.style.name in ("Heading 1", "Heading 2")]
    assert len(contents) == len(heads) and heads[0] == "5.2 领导作用"
    for head, line in zip(heads, contents):  # each heading is on the page its contents entry names
        page = int(re.search(r"(\d+)$", line).group(1))
        assert head.replace(" ", "") in [ln.replace(" ", "") for ln in pages[page - 1]], (head, page)
    report = docx.Document(tmp_path / "store" / "自评报告.docx")
    numbers = {cell.text for table in report.tables for row in table.rows[1:] for cell in row.cells[2:]
               if re.fullmatch(r"-?[\d,]+(\.\d+)?", cell.text)}
    text = " ".join(line for page in pages for line in page)
    assert len(numbers) > 50 and not [n for n in numbers if n not in text]  # every number whole on its line
    for name, shown_pages in shown["store"].items():
        for page in shown_pages:
            body = [line for line in page if not re.match(r"^第\s*\d+\s*页", line)]
            assert not (body and TABLE_CAPTION.match(body[-1])), (name, body[-1])  # no caption left at a foot
    overview = shown["store"]["概述.docx"]
    assert "图5.1-1公司组织架构图" in [line.replace(" ", "") for page in overview for line in page]
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "store" / "pdf" / "docx" / "概述.pdf")],
                            capture_output=True, text=True, check=True).stdout
    assert len(images.splitlines()) >= 3  # the header lines and the organization chart
    scores = [line for page in shown["store"]["自评表.docx"] for line in page]
    assert any(line.startswith("5.2.2") and "70%" in line for line in scores)
    sheet = [line for page in shown["store"]["自评表.xlsx"] for line in page]
    assert any(line.startswith("5.2.2") and "70" in line for line in sheet) and any("642.75" in line for line in sheet)
    assert any("5.3-1" in line and "2025-03-01" in line for page in shown["store"]["证实性材料目录.docx"]
               for line in page)
    if os.environ.get("QKIT_SCREENSHOTS"):  # the pages as pictures, to look at
        for name in names[:4]:
            subprocess.run(["pdftoppm", "-r", "50", "-png", str(tmp_path / "store" / "pdf" / "docx" / f"{Path(name).stem}.pdf"),
                            str(Path(os.environ["QKIT_SCREENSHOTS"]) / Path(name).stem)], check=True)


# --- in Chromium -------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_a_file_attached_in_chromium_is_found_in_the_package(tmp_path, new_page, cli):
    from support.chromium import FIRST_RENDER, UPDATE, wait_for_text

    from qkit.web.store import access_path

    files = tmp_path / "files"
    files.mkdir()
    (files / "战略规划管理办法.pdf").write_bytes(PDF)
    (files / "扫描件.pdf").write_bytes(PDF + b"0" * evidence.MAX_FILE_BYTES)
    (files / "程序.exe").write_bytes(b"MZ\x90\x00")
    with serving(tmp_path, "--data", str(tmp_path / "data")) as (base, _):
        store = Store(tmp_path / "data")
        applicant, _ = team(store)
        _, key = store.add_member(applicant, "赵敏", "writer", ["5.3"])
        page = new_page()
        page.goto(base + access_path(store.applicant(applicant), key))
        page.wait_for_selector(".qkit-total-value", timeout=FIRST_RENDER)
        page.get_by_role("tab", name="5.3 战略发展").click()
        card = page.locator(".qkit-card").first
        for name, said in (("战略规划管理办法.pdf", "已上传为证据 5.3-1"), ("扫描件.pdf", "超过了每份证据 5 MB 的上限"),
                           ("程序.exe", "不接受这种文件")):
            with page.expect_file_chooser(timeout=UPDATE) as chooser:
                card.get_by_role("button", name="上传文件").click()
            chooser.value.set_files(str(files / name))
            wait_for_text(page, ".qkit-card .qkit-attach-said", said)
        title = card.locator(".qkit-evidence-file input").first
        assert title.input_value() == "战略规划管理办法"
        wait_for_text(page, ".qkit-save-status", "已保存")
    saved = store.latest(applicant)
    (entry,) = saved.data["clauses"]["5.3.2"]["evidence_files"]
    assert (entry["number"], entry["owner"], saved.author) == ("5.3-1", "赵敏", "赵敏")
    code, _, err = cli("package", str(applicant), "-o", tmp_path / "包", "--data", tmp_path / "data")
    assert code == 0, err
    assert (tmp_path / "包" / "证实性材料" / "5.3-1 战略规划管理办法.pdf").read_bytes() == PDF
    assert store.counts()["file"] == 1  # the refused files were never kept
