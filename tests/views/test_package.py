"""Evidence files in the document and its narratives, and the application package built from a document file and its
evidence folder (qkit package FILE --evidence DIR)."""

from __future__ import annotations

import re
import zipfile

import docx
import openpyxl
import pytest
import yaml

from support.documents import HUAKE, write_yaml
from support.evidence import CITED, excel_file, PDF, sample_data, sample_with_evidence, word_file
from qkit import document, from_data, load, load_rubric, markup
from qkit.evidence import MAX_FILE_BYTES, FolderFiles, check_file, next_number
from qkit.narrative import references, writing_status
from qkit.package import NAMES, write_package
from qkit.scoring import score

# --- evidence files in the document -----------------------------------------------------------


def test_evidence_files_are_numbered_in_their_item_and_read_back():
    doc = from_data(sample_data())
    (entry,) = doc.rating("5.2.2").evidence_files
    assert (entry.number, entry.title, entry.owner, entry.file, entry.image) == (
        "5.2-1", "公司组织架构图", "人力资源部", "材料/组织架构.png", True)
    assert entry.package_name == "5.2-1 公司组织架构图.png"
    again = from_data(yaml.safe_load(doc.to_yaml()))
    assert again.rating("5.3.2").evidence_files == doc.rating("5.3.2").evidence_files
    assert doc.to_data()["clauses"]["5.3.2"]["evidence_files"][0] == {
        "number": "5.3-1", "title": "战略规划管理办法", "date": "2025-03-01", "owner": "战略发展部",
        "file": "材料/战略规划管理办法.pdf"}
    assert next_number("5.3", ["5.3-1", "5.3-2", "5.2-7"]) == "5.3-3" and next_number("1", []) == "1-1"


def test_an_evidence_file_that_breaks_a_rule_is_named_with_what_is_allowed():
    data = sample_data()
    data["clauses"]["5.3.3"]["evidence_files"] = [
        {"number": "5.3-1", "title": "重复编号", "date": "2025-01-01", "owner": "甲", "file": "a.pdf"},
        {"number": "5.2-9", "title": "", "date": "2025-13-01", "owner": "乙", "file": "../b.pdf"},
        {"number": "5.3-3", "title": "程序", "date": "2025-01-01", "file": "setup.exe", "colour": "红"},
    ]
    _, problems = document.check(data)
    found = {(p.field, p.code) for p in problems}
    where = "clauses/5.3.3/evidence_files"
    assert found == {(f"{where}/1/number", "evidence_number_twice"), (f"{where}/2/number", "evidence_number"),
                     (f"{where}/2/title", "required"), (f"{where}/2/date", "not_date"),
                     (f"{where}/2/file", "evidence_path"), (f"{where}/3/owner", "required"),
                     (f"{where}/3/file", "evidence_type"), (f"{where}/3/colour", "unknown_field")}
    messages = {p.field: p.render() for p in problems}
    assert "5.3-3" in messages[f"{where}/1/number"] and "clauses/5.3.2/evidence_files/1" in messages[f"{where}/1/number"]
    assert "条目 5.3" in messages[f"{where}/2/number"] and ".pdf" in messages[f"{where}/3/file"]


def test_a_citation_of_a_missing_evidence_number_is_flagged(cli, tmp_path):
    data = sample_data()
    data["clauses"]["5.3.2"]["narrative"] += "另见[[证据:5.3-9]]。"
    data["clauses"]["5.5.2"]["narrative"] = "培训记录见[[EVIDENCE:5.5-1]]。\n[[插图:5.3-1]]\n文中插图[[插图:5.2-1]]不成行。"
    _, problems = document.check(data)
    assert [(p.field, p.code, p.value) for p in problems] == [
        ("clauses/5.3.2/narrative", "cite_evidence", "[[证据:5.3-9]]"),
        ("clauses/5.5.2/narrative", "cite_evidence", "[[EVIDENCE:5.5-1]]"),
        ("clauses/5.5.2/narrative", "cite_image", "[[插图:5.3-1]]"),  # a PDF is no figure
        ("clauses/5.5.2/narrative", "cite_image_inline", "[[插图:5.2-1]]")]
    assert "5.3-9" in problems[0].render() and "5.2-1、5.3-1、5.3-2、5.7-1" in problems[0].render()
    assert "does not exist" in problems[0].render("en")
    code, _, err = cli("validate", write_yaml(tmp_path / "引用.yaml", data))
    assert code == 1 and "clauses/5.3.2/narrative" in err and "5.3-9" in err and "Traceback" not in err


def test_rounds_read_the_applications_evidence_files():
    from qkit import rounds

    data = sample_data()
    judged = rounds.overlay(data, rounds.empty("independent", ["李娜"]))
    assert judged["clauses"]["5.3.2"]["evidence_files"] == data["clauses"]["5.3.2"]["evidence_files"]
    assert from_data(judged).rating("5.3.2").evidence_files  # its narrative's citations still find them


# --- the markup ----------------------------------------------------------------------------


def test_tables_and_placed_images_in_the_markup():
    blocks = markup.parse("前文\n表：质量目标\n| 指标 | 2025 |\n|---|---|\n| **PPM** | 12 |\n[[插图:5.2-1|组织架构]]\n后文")
    assert [b.kind for b in blocks] == ["paragraph", "table", "image", "paragraph"]
    table = blocks[1]
    assert table.caption == "质量目标" and markup.cell_texts(table) == ["指标", "2025", "PPM", "12"]
    assert table.rows[1][0][0].bold
    assert (blocks[2].image.id, blocks[2].image.caption) == ("5.2-1", "组织架构")
    assert markup.plain_text("见下表\n| 甲 | 乙 |\n[[插图:5.2-1]]") == "见下表"  # tables and figures counted apart
    assert markup.parse("| 无表题 | x |")[0].caption == ""
    assert markup.number_columns([["转向节", "12.6%", "3"], ["轮毂", "8.1%", "-"]]) == {1}


def test_placed_tables_and_images_are_numbered_and_counted():
    doc = from_data(sample_data())
    rubric = load_rubric(doc.rubric)
    refs = references(doc, rubric)
    blocks = markup.parse(doc.profile_narrative)
    places = {b.kind: i for i, b in enumerate(blocks) if b.kind in ("table", "image")}
    assert refs.placed[("5.1", places["image"])] == "5.1-1" and refs.placed[("5.1", places["table"])] == "5.1-1"
    assert refs.cite(markup.citations(CITED)[0]) == "证据5.3-1"
    status = writing_status(doc, rubric)
    shown = status.profile.shown
    cells = sum(markup.count_words(c) for c in ["表5.1-1 主要产品及市场地位", "产品", "市场占有率", "排名",
                                                 "转向节", "12.6%", "3", "轮毂单元", "8.1%", "5"])
    assert shown.tables == cells and shown.figures == 1
    assert shown.figure_words == 400 + markup.count_words("图5.1-1 公司组织架构图")
    plain = writing_status(load(HUAKE), rubric).profile
    assert status.profile.words - plain.words == shown.words + markup.count_words("公司组织架构见下图。")


def test_evidence_files_are_refused_when_too_big_empty_or_not_what_their_name_says():
    assert check_file("证书.pdf", PDF) is None and check_file("图.JPG", b"\xff\xd8\xff\xe0" + b"0" * 10) is None
    assert check_file("纪要.docx", word_file()) is None and check_file("台账.xlsx", excel_file()) is None
    assert check_file("程序.exe", b"MZ").code == "evidence_type"
    assert check_file("伪装.pdf", b"MZ\x90\x00").code == "evidence_content"
    assert check_file("台账.xlsx", word_file()).code == "evidence_content"  # a zip, but not a workbook
    assert check_file("空.pdf", b"").code == "evidence_empty"
    big = check_file("扫描件.pdf", PDF + b"0" * MAX_FILE_BYTES)
    assert big.code == "evidence_too_big" and "5 MB" in big.render() and "5 MB" in big.render("en")
    assert "PDF" in check_file("程序.exe", b"MZ").render() and ".docx" in check_file("程序.exe", b"MZ").render()


# --- the package from a document file --------------------------------------------------------


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    folder = tmp_path_factory.mktemp("package")
    path = sample_with_evidence(folder)
    out = folder / "申报材料"
    doc = load(path)
    written = write_package(score(doc, load_rubric(doc.rubric)), out, FolderFiles(folder))
    return doc, out, written


def test_the_package_holds_what_award_offices_ask_for(package):
    doc, out, written = package
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == sorted([*NAMES.values(), "证实性材料/5.2-1 公司组织架构图.png", "证实性材料/5.3-1 战略规划管理办法.pdf",
                            "证实性材料/5.3-2 战略研讨会会议纪要.docx", "证实性材料/5.7-1 质量指标台账.xlsx",
                            "湖北华科精密制造股份有限公司申报材料.zip"])
    assert (out / "证实性材料" / "5.3-1 战略规划管理办法.pdf").read_bytes() == PDF
    zipped = written[-1]
    with zipfile.ZipFile(zipped) as archive:
        assert sorted(archive.namelist()) == sorted(n for n in names if not n.endswith(".zip"))
        assert archive.read("证实性材料/5.2-1 公司组织架构图.png") == (out / "证实性材料/5.2-1 公司组织架构图.png").read_bytes()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_the_overview_and_the_report_are_apart(package):
    doc, out, _ = package
    overview = docx.Document(out / "概述.docx")
    report = docx.Document(out / "自评报告.docx")
    heads = [p.text for p in report.paragraphs if p.style.name == "Heading 1"]
    assert heads[0] == "5.2 领导作用" and "5.1 组织环境" not in heads  # 5.1 is the overview, sent apart
    assert [p.text for p in overview.paragraphs if p.style.name == "Heading 1"] == ["5.1 组织环境"]
    assert len(overview.inline_shapes) == 1  # the organization chart placed in the profile
    captions = [p.text for p in overview.paragraphs if p.style.name == "Caption"]
    assert captions == ["图5.1-1 公司组织架构图", "表5.1-1 主要产品及市场地位"]
    (table,) = overview.tables
    assert [c.text for c in table.rows[1].cells] == ["转向节", "12.6%", "3"]
    assert "战略规划管理办法见证据5.3-1，研讨过程见证据5.3-2。" in [p.text for p in report.paragraphs]
    for made in (overview, report):
        props = made.core_properties
        assert props.author == doc.name and props.created.year >= 2025
    assert overview.core_properties.title == "组织概述" and report.core_properties.title == "自评报告"


def test_the_self_assessment_table_gives_points_scores_and_earned_for_every_clause(package):
    doc, out, _ = package
    card = score(doc, load_rubric(doc.rubric))
    sheet = openpyxl.load_workbook(out / "自评表.xlsx").active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]}
    assert list(next(sheet.iter_rows(max_row=1, values_only=True))) == ["条款", "名称", "分值", "自评得分率", "得分"]
    for clause in card.clauses:
        assert rows[clause.id][2:] == (clause.points, clause.score, clause.earned)
    for item in card.items:
        assert rows[item.id][2] == item.points and rows[item.id][4] == pytest.approx(item.earned)
    total = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "总分"][0]
    assert total[2] == 1000 and total[4] == pytest.approx(card.total)
    word_table = docx.Document(out / "自评表.docx").tables[0]
    cells = {row.cells[0].text: [c.text for c in row.cells] for row in word_table.rows}
    assert cells["5.2.2"][2:] == ["50", "70%", "35"] and cells[""][1:3] == ["总分", "1000"]


def test_the_evidence_index_lists_every_file_by_number(package):
    _, out, _ = package
    (table,) = docx.Document(out / "证实性材料目录.docx").tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["编号", "名称", "条款", "日期", "责任部门或责任人", "文件"]
    assert [r[0] for r in rows[1:]] == ["5.2-1", "5.3-1", "5.3-2", "5.7-1"]
    assert rows[2] == ["5.3-1", "战略规划管理办法", "5.3.2", "2025-03-01", "战略发展部", "5.3-1 战略规划管理办法.pdf"]


def test_a_missing_or_unacceptable_file_stops_the_package_before_anything_is_written(cli, tmp_path):
    path = sample_with_evidence(tmp_path)
    (tmp_path / "材料" / "会议纪要.docx").unlink()
    (tmp_path / "材料" / "指标台账.xlsx").write_bytes(b"MZ\x90\x00 not a workbook")
    code, _, err = cli("package", path, "-o", tmp_path / "out")
    assert code == 1 and not (tmp_path / "out").exists()
    assert "clauses/5.3.2/evidence_files/2/file" in err and "5.3-2" in err and "不在证据文件夹中" in err
    assert "clauses/5.7.4/evidence_files/1/file" in err and "不是 Excel 文件" in err and "Traceback" not in err


def test_qkit_package_from_a_file_and_its_evidence_folder(cli, tmp_path):
    (tmp_path / "doc").mkdir()
    path = sample_with_evidence(tmp_path / "doc")
    (tmp_path / "doc" / "材料").rename(tmp_path / "材料")  # the evidence kept apart from the document
    code, out, err = cli("package", path, "-o", tmp_path / "包", "--evidence", tmp_path)
    assert code == 0, err
    assert "申报材料已生成" in out and re.search(r"申报材料\.zip", out)
    assert (tmp_path / "包" / "证实性材料" / "5.3-1 战略规划管理办法.pdf").read_bytes() == PDF
    again = cli("package", path, "-o", tmp_path / "包", "--evidence", tmp_path, "--lang", "en")
    assert again[0] == 0 and "application package written" in again[1]  # a second package replaces the first
    assert len(list((tmp_path / "包" / "证实性材料").iterdir())) == 4
